/**
 * Schema side of the corpus generator: per-app model state that evolves migration by migration,
 * and makemigrations-style operations over it (CreateModel with realistic fields and options,
 * AddField, AlterField, RemoveField, RenameField, AddIndex, AddConstraint, …) so that later
 * migrations refer to models and fields that earlier ones created.
 */
import { call, dict, list, str, tuple, type Call, type Expr, type Rng, type Style } from './corpus-format';

export interface FieldState {
  name: string;
  kind: string;
}
export interface ModelState {
  name: string;
  fields: FieldState[];
}
export interface AppState {
  label: string;
  style: Style;
  models: ModelState[];
  /** Names of this app's migrations so far, in order. */
  migrations: string[];
  django: string;
  /** Minutes since 2019-01-01 of the last migration (header timestamps only move forward). */
  clock: number;
}

/** Per-file state: the imports the operations need and the cross-app dependencies they add. */
export interface FileCtx {
  rng: Rng;
  app: AppState;
  apps: AppState[];
  imports: Set<string>;
  deps: Expr[];
  /** Name fragments for Django's automatic migration name. */
  nameParts: string[];
}

const NAMES: Record<string, readonly string[]> = {
  CharField: ['title', 'name', 'code', 'status', 'reference', 'currency', 'country', 'phone', 'first_name', 'last_name', 'sku', 'label', 'kind', 'state', 'external_ref', 'locale', 'timezone', 'source', 'channel'],
  TextField: ['description', 'notes', 'body', 'summary', 'comment', 'instructions', 'raw_payload', 'address'],
  IntegerField: ['quantity', 'position', 'priority', 'retry_count', 'stock', 'attempts', 'sort_order', 'year', 'duration_days'],
  PositiveIntegerField: ['capacity', 'views', 'max_uses', 'seats', 'version'],
  BigIntegerField: ['external_id', 'size_bytes', 'sequence'],
  BooleanField: ['is_active', 'is_archived', 'is_public', 'has_consent', 'send_notifications', 'is_verified', 'is_default', 'is_deleted'],
  DecimalField: ['price', 'amount', 'total', 'tax_rate', 'discount', 'balance', 'unit_cost'],
  DateTimeField: ['created_at', 'updated_at', 'published_at', 'processed_at', 'expires_at', 'cancelled_at', 'last_seen_at', 'synced_at'],
  DateField: ['start_date', 'end_date', 'due_date', 'birth_date', 'valid_from', 'valid_until'],
  EmailField: ['email', 'billing_email', 'contact_email'],
  URLField: ['website', 'callback_url', 'image_url'],
  SlugField: ['slug'],
  UUIDField: ['uuid', 'public_id', 'token'],
  JSONField: ['metadata', 'settings', 'payload', 'extra', 'attributes'],
  FloatField: ['score', 'latitude', 'longitude', 'ratio'],
  DurationField: ['duration', 'grace_period'],
  FileField: ['attachment', 'document', 'export_file'],
  ImageField: ['image', 'avatar', 'thumbnail'],
  GenericIPAddressField: ['ip_address', 'last_login_ip'],
  ForeignKey: [],
  ManyToManyField: [],
  OneToOneField: [],
};
const KIND_WEIGHTS: Record<string, number> = {
  CharField: 22, TextField: 6, IntegerField: 6, PositiveIntegerField: 3, BigIntegerField: 2, BooleanField: 9, DecimalField: 5,
  DateTimeField: 9, DateField: 3, EmailField: 2, URLField: 2, SlugField: 2, UUIDField: 2, JSONField: 3, FloatField: 2,
  DurationField: 1, FileField: 1, ImageField: 1, GenericIPAddressField: 1, ForeignKey: 12, ManyToManyField: 2, OneToOneField: 1,
};
const SUFFIXES = ['', 'Item', 'Line', 'Event', 'Log', 'Setting', 'Attachment', 'Note', 'Version', 'Snapshot', 'Rule', 'Template', 'Export', 'Batch', 'Entry', 'Type', 'Category', 'Membership', 'Invitation', 'Status', 'Schedule', 'Record'];
const CHOICES = [['draft', 'Draft'], ['pending', 'Pending'], ['active', 'Active'], ['paused', 'Paused'], ['archived', 'Archived'], ['failed', 'Failed']] as const;

const lower = (s: string): string => s.toLowerCase();
const pyBool = (b: boolean): string => (b ? 'True' : 'False');

export function singular(label: string): string {
  const base = label.replace(/ies$/, 'y').replace(/s$/, '');
  return base.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

export function newModelName(ctx: FileCtx): string {
  const base = singular(ctx.app.label);
  for (let i = 0; i < 40; i++) {
    const name = base + ctx.rng.pick(SUFFIXES);
    if (!ctx.app.models.some((m) => m.name === name)) return name;
  }
  return `${base}Extra${ctx.app.models.length}`;
}

function fieldName(ctx: FileCtx, model: ModelState, kind: string, target?: string): string {
  const pool = NAMES[kind] ?? [];
  const candidates = target ? [lower(target).replace(/^.*\./, ''), `${lower(target)}_ref`, `parent_${lower(target)}`] : [...pool];
  const free = candidates.filter((n) => !model.fields.some((f) => f.name === n));
  if (free.length > 0) return ctx.rng.pick(free);
  const base = candidates[0] ?? 'value';
  let i = 2;
  while (model.fields.some((f) => f.name === `${base}_${i}`)) i++;
  return `${base}_${i}`;
}

/** A reference target for a relation: a model of this app, another app, or the user model. */
function relationTarget(ctx: FileCtx, model: ModelState): { to: string; name: string } {
  const { rng, app } = ctx;
  if (rng.chance(0.25)) {
    ctx.imports.add('from django.conf import settings');
    const dep = call('migrations.swappable_dependency', 'settings.AUTH_USER_MODEL');
    if (!ctx.deps.some((d) => typeof d !== 'string' && d.kind === 'call' && d.fn === dep.fn)) ctx.deps.unshift(dep);
    return { to: 'settings.AUTH_USER_MODEL', name: rng.pick(['user', 'owner', 'created_by', 'assigned_to', 'customer']) };
  }
  const others = ctx.apps.filter((a) => a !== app && a.migrations.length > 0 && a.models.length > 0);
  if (others.length > 0 && rng.chance(0.35)) {
    const other = rng.pick(others);
    const target = rng.pick(other.models);
    const last = other.migrations[other.migrations.length - 1]!;
    if (!ctx.deps.some((d) => typeof d !== 'string' && d.kind === 'seq' && inlineLabel(d) === other.label)) ctx.deps.push(tuple(str(app.style, other.label), str(app.style, last)));
    return { to: str(app.style, `${other.label}.${lower(target.name)}`), name: lower(target.name) };
  }
  const own = app.models.filter((m) => m !== model);
  const target = own.length > 0 ? rng.pick(own) : model;
  return { to: str(app.style, `${app.label}.${lower(target.name)}`), name: target === model ? 'parent' : lower(target.name) };
}

function inlineLabel(seq: { items: Expr[] }): string {
  const first = seq.items[0];
  return typeof first === 'string' ? first.slice(1, -1) : '';
}

/** A new field for `model`: its name, kind and the `models.X(...)` expression. */
export function newField(ctx: FileCtx, model: ModelState, forcedKind?: string): { name: string; kind: string; expr: Call } {
  const { rng, app } = ctx;
  const s = (t: string): string => str(app.style, t);
  const kind = forcedKind ?? rng.weighted(KIND_WEIGHTS);
  const args: [string, Expr][] = [];
  let name: string;
  if (kind === 'ForeignKey' || kind === 'OneToOneField' || kind === 'ManyToManyField') {
    const t = relationTarget(ctx, model);
    name = fieldName(ctx, model, kind, t.name);
    if (kind === 'ManyToManyField') {
      args.push(['blank', 'True']);
    } else {
      ctx.imports.add('import django.db.models.deletion');
      const onDelete = rng.pick(['CASCADE', 'CASCADE', 'PROTECT', 'SET_NULL']);
      if (onDelete === 'SET_NULL') args.push(['blank', 'True'], ['null', 'True']);
      args.push(['on_delete', `django.db.models.deletion.${onDelete}`]);
    }
    if (rng.chance(0.6)) args.push(['related_name', s(`${lower(model.name)}s`)]);
    args.push(['to', t.to]);
    return { name, kind, expr: call(`models.${kind}`, ...args) };
  }
  name = fieldName(ctx, model, kind);
  const opt = (p: number): boolean => rng.chance(p);
  switch (kind) {
    case 'CharField':
      if (name === 'status' || name === 'state' || name === 'kind') {
        const ch = rng.sample(CHOICES, rng.int(2, 5));
        args.push(['choices', list(...ch.map(([v, l]) => tuple(s(v), s(l))))], ['default', s(ch[0]![0])]);
      } else if (opt(0.3)) args.push(['blank', 'True']);
      if (opt(0.2)) args.push(['db_index', 'True']);
      args.push(['max_length', String(rng.pick([16, 32, 64, 100, 128, 200, 255]))]);
      if (opt(0.15)) args.push(['unique', 'True']);
      break;
    case 'DecimalField':
      if (opt(0.5)) args.push(['default', s('0.00')]);
      args.push(['decimal_places', String(rng.pick([2, 2, 4]))], ['max_digits', String(rng.pick([8, 10, 12, 14]))]);
      if (opt(0.2)) {
        ctx.imports.add('import django.core.validators');
        args.push(['validators', list(call('django.core.validators.MinValueValidator', '0'))]);
      }
      break;
    case 'BooleanField':
      args.push(['default', pyBool(opt(0.4))]);
      break;
    case 'DateTimeField':
      if (name === 'created_at') args.push(['auto_now_add', 'True']);
      else if (name === 'updated_at') args.push(['auto_now', 'True']);
      else if (opt(0.3)) {
        ctx.imports.add('import django.utils.timezone');
        args.push(['default', 'django.utils.timezone.now']);
      } else args.push(['blank', 'True'], ['null', 'True']);
      break;
    case 'UUIDField':
      ctx.imports.add('import uuid');
      args.push(['default', 'uuid.uuid4'], ['editable', 'False'], ['unique', 'True']);
      break;
    case 'JSONField':
      args.push(['blank', 'True'], ['default', rng.pick(['dict', 'list'])]);
      break;
    case 'FileField':
    case 'ImageField':
      args.push(['blank', 'True'], ['upload_to', s(`${app.label}/${name}s/`)]);
      break;
    case 'EmailField':
      args.push(['max_length', '254']);
      break;
    case 'SlugField':
      args.push(['max_length', rng.pick(['50', '100', '200'])], ['unique', pyBool(opt(0.5))]);
      break;
    case 'IntegerField':
    case 'PositiveIntegerField':
    case 'BigIntegerField':
    case 'FloatField':
      if (opt(0.6)) args.push(['default', kind === 'FloatField' ? '0.0' : '0']);
      else args.push(['blank', 'True'], ['null', 'True']);
      break;
    default:
      if (opt(0.5)) args.push(['blank', 'True'], ['null', 'True']);
  }
  if (opt(0.12)) args.push(['help_text', s(`The ${name.replace(/_/g, ' ')} shown to staff in the admin and in exports.`)]);
  if (opt(0.15)) args.push(['verbose_name', s(name.replace(/_/g, ' '))]);
  return { name, kind, expr: call(`models.${kind}`, ...args) };
}

export function createModel(ctx: FileCtx, nFields: number): Call {
  const { rng, app } = ctx;
  const s = (t: string): string => str(app.style, t);
  const model: ModelState = { name: newModelName(ctx), fields: [{ name: 'id', kind: 'BigAutoField' }] };
  const fields: Expr[] = [tuple(s('id'), call('models.BigAutoField', ['auto_created', 'True'], ['primary_key', 'True'], ['serialize', 'False'], ['verbose_name', s('ID')]))];
  for (let i = 1; i < nFields; i++) {
    const f = newField(ctx, model);
    model.fields.push({ name: f.name, kind: f.kind });
    fields.push(tuple(s(f.name), f.expr));
  }
  app.models.push(model);
  ctx.nameParts.push(lower(model.name));
  const args: [string, Expr][] = [['name', s(model.name)], ['fields', list(...fields)]];
  const options: [Expr, Expr][] = [];
  if (rng.chance(0.5)) options.push([s('ordering'), list(s(rng.pick(['-created_at', 'name', 'position', '-id'])))]);
  if (rng.chance(0.4)) options.push([s('verbose_name_plural'), s(`${lower(model.name)}s`)]);
  if (rng.chance(0.15)) options.push([s('abstract'), 'False']);
  if (rng.chance(0.08)) options.push([s('managed'), 'False'], [s('db_table'), s(`legacy_${lower(model.name)}`)]);
  if (options.length > 0) args.push(['options', dict(...options)]);
  if (rng.chance(0.05)) args.push(['bases', tuple('models.Model')]);
  return call('migrations.CreateModel', ...args);
}

const OP_WEIGHTS = { add: 30, alter: 25, remove: 8, rename: 5, index: 8, constraint: 5, create: 9, options: 4, together: 2, removeIndex: 1, deleteModel: 1 };

/** One schema operation on the app's current state (falls back to CreateModel when empty). */
export function schemaOperation(ctx: FileCtx): Call {
  const { rng, app } = ctx;
  const s = (t: string): string => str(app.style, t);
  const kind = app.models.length === 0 ? 'create' : rng.weighted(OP_WEIGHTS);
  if (kind === 'create') return createModel(ctx, rng.int(5, 16));
  const model = rng.pick(app.models);
  const m = lower(model.name);
  const plain = model.fields.filter((f) => f.name !== 'id');
  switch (kind) {
    case 'add': {
      const f = newField(ctx, model);
      model.fields.push({ name: f.name, kind: f.kind });
      ctx.nameParts.push(`${m}_${f.name}`);
      return call('migrations.AddField', ['model_name', s(m)], ['name', s(f.name)], ['field', f.expr]);
    }
    case 'alter':
    case 'remove':
    case 'rename': {
      const target = plain.length > 0 ? rng.pick(plain) : undefined;
      if (!target || target.kind === 'ManyToManyField') return schemaOperation(ctx);
      if (kind === 'remove') {
        model.fields = model.fields.filter((f) => f !== target);
        ctx.nameParts.push(`remove_${m}_${target.name}`);
        return call('migrations.RemoveField', ['model_name', s(m)], ['name', s(target.name)]);
      }
      if (kind === 'rename') {
        const newName = `${target.name}_${rng.pick(['old', 'new', 'value', 'v2'])}`;
        if (model.fields.some((f) => f.name === newName)) return schemaOperation(ctx);
        ctx.nameParts.push(`rename_${target.name}_${m}_${newName}`);
        const old = target.name;
        target.name = newName;
        return call('migrations.RenameField', ['model_name', s(m)], ['old_name', s(old)], ['new_name', s(newName)]);
      }
      const probe: ModelState = { name: model.name, fields: model.fields.filter((f) => f !== target) };
      const f = newField(ctx, probe, target.kind);
      ctx.nameParts.push(`alter_${m}_${target.name}`);
      return call('migrations.AlterField', ['model_name', s(m)], ['name', s(target.name)], ['field', f.expr]);
    }
    case 'index':
    case 'removeIndex': {
      const cols = rng.sample(plain.filter((f) => f.kind !== 'ManyToManyField'), rng.int(1, 3)).map((f) => f.name);
      if (cols.length === 0) return schemaOperation(ctx);
      const name = `${`${app.label}_${m}`.slice(0, 11)}_${cols[0]!.slice(0, 7)}_${rng.int(0, 0xffffff).toString(16).padStart(6, '0')}_idx`;
      ctx.nameParts.push(`${m}_${name}`);
      if (kind === 'removeIndex') return call('migrations.RemoveIndex', ['model_name', s(m)], ['name', s(name)]);
      const fieldsArg = list(...cols.map((c) => s(rng.chance(0.2) ? `-${c}` : c)));
      const idxArgs: [string, Expr][] = [['fields', fieldsArg], ['name', s(name)]];
      if (rng.chance(0.15)) idxArgs.push(['condition', call('models.Q', [`${cols[0]}__isnull`, 'False'])]);
      return call('migrations.AddIndex', ['model_name', s(m)], ['index', call('models.Index', ...idxArgs)]);
    }
    case 'constraint': {
      const cols = rng.sample(plain, rng.int(1, 3)).map((f) => f.name);
      if (cols.length === 0) return schemaOperation(ctx);
      const cname = `unique_${m}_${cols.join('_')}`.slice(0, 60);
      ctx.nameParts.push(`${m}_${cname}`);
      const numeric = plain.find((f) => ['IntegerField', 'DecimalField', 'PositiveIntegerField'].includes(f.kind));
      const c = numeric && rng.chance(0.4)
        ? call('models.CheckConstraint', ['check', call('models.Q', [`${numeric.name}__gte`, '0'])], ['name', s(`${m}_${numeric.name}_non_negative`)])
        : call('models.UniqueConstraint', ['fields', tuple(...cols.map(s))], ['name', s(cname)]);
      return call('migrations.AddConstraint', ['model_name', s(m)], ['constraint', c]);
    }
    case 'options':
      ctx.nameParts.push(`alter_${m}_options`);
      return call('migrations.AlterModelOptions', ['name', s(m)], ['options', dict([s('ordering'), list(s(rng.pick(['-created_at', 'name', 'position'])))], [s('verbose_name'), s(m)])]);
    case 'together': {
      const cols = rng.sample(plain, 2).map((f) => s(f.name));
      ctx.nameParts.push(`alter_${m}_unique_together`);
      return call('migrations.AlterUniqueTogether', ['name', s(m)], ['unique_together', `{${cols.length ? `(${cols.join(', ')})` : ''}}`]);
    }
    default: {
      if (app.models.length < 3) return schemaOperation(ctx);
      app.models = app.models.filter((x) => x !== model);
      ctx.nameParts.push(`delete_${m}`);
      return call('migrations.DeleteModel', ['name', s(model.name)]);
    }
  }
}

/** Django's automatic name: fragments joined, or auto_<timestamp> when too long. */
export function autoName(parts: string[], clock: number): string {
  const joined = parts.join('_');
  if (parts.length > 0 && joined.length <= 52) return joined;
  const d = new Date(Date.UTC(2019, 0, 1) + clock * 60_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `auto_${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}_${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

export function headerComment(app: AppState): string {
  const d = new Date(Date.UTC(2019, 0, 1) + app.clock * 60_000);
  return `# Generated by Django ${app.django} on ${d.toISOString().slice(0, 16).replace('T', ' ')}`;
}

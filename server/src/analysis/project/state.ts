/**
 * A static model state per app, replayed from operation summaries the way Django's
 * `state_forwards` methods change a ProjectState (django/db/migrations/operations/*.py): models,
 * their fields (FieldSpec), db_table, managed / proxy, unique_together, index_together, indexes
 * and constraints. Two views are kept: Django's state, and what the database really has (they part
 * at SeparateDatabaseAndState). An operation we cannot replay marks its model unknown — or, when
 * we cannot even tell which model, the whole app — and questions about it answer "unknown".
 * States are immutable: each operation returns a new one sharing what did not change.
 */
import { fieldColumn, type ConstraintSpec, type FieldSpec, type IndexSpec } from '../fields';
import type { OperationArgs } from '../operation-args';
import { asBool, type Value } from '../values';
import type { OperationSummary } from './summary';

export interface ModelOptionsState {
  dbTable: string | null | undefined;
  /** The setting a swappable model answers to (`AUTH_USER_MODEL`): null when it is not swappable, undefined when unread. */
  swappable?: string | null;
  managed: boolean | undefined;
  proxy: boolean | undefined;
  uniqueTogether: string[][] | null;
  indexTogether: string[][] | null;
  indexes: IndexSpec[] | null;
  constraints: ConstraintSpec[] | null;
  /** Meta.ordering is given (a query of the model without order_by() is ordered); undefined when unread. */
  ordered?: boolean;
}

export interface ModelState {
  app: string;
  /** The name as written in its CreateModel / RenameModel. */
  name: string;
  /** Fields in Django's order; a null spec is a field whose definition we cannot read. */
  fields: ReadonlyMap<string, FieldSpec | null>;
  options: ModelOptionsState;
  /** Bases as written ('app.model' strings or qualified class names); null when unreadable. */
  bases: string[] | null;
}

export type ModelEntry = ModelState | 'unknown' | 'absent';

/**
 * One app's models after some migration. Each state keeps only what its migration changed and
 * points at the state before it (a long history would otherwise copy every model once per
 * migration); every few dozen states the chain is flattened, so a look-up walks a short way.
 */
export class AppState {
  private constructor(
    readonly app: string,
    /** An operation we could not attribute ran: models not listed may exist too. */
    readonly open: boolean,
    private readonly own: ReadonlyMap<string, ModelEntry>,
    private readonly parent: AppState | null,
    private readonly depth: number,
  ) {}

  static empty(app: string, open = false): AppState {
    return new AppState(app, open, new Map(), null, 0);
  }

  /** A model by lower-case name: its entry, or undefined when nothing ever named it. */
  get(model: string): ModelEntry | undefined {
    const e = this.own.get(model);
    if (e !== undefined) return e;
    for (let s = this.parent; s; s = s.parent) {
      const found = s.own.get(model);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Every model named so far (lower-case name -> entry), oldest first. */
  get models(): ReadonlyMap<string, ModelEntry> {
    const chain: AppState[] = [];
    for (let s = this.parent; s; s = s.parent) chain.push(s);
    chain.unshift(this);
    const out = new Map<string, ModelEntry>();
    for (let i = chain.length - 1; i >= 0; i--) for (const [k, v] of (chain[i] as AppState).own) out.set(k, v);
    return out;
  }

  /** The state after `changes` (and possibly `open`) on top of this one. */
  next(changes: ReadonlyMap<string, ModelEntry>, open: boolean): AppState {
    if (changes.size === 0 && open === this.open) return this;
    if (this.depth >= 32) {
      const flat = new Map(this.models);
      for (const [k, v] of changes) flat.set(k, v);
      return new AppState(this.app, open, flat, null, 0);
    }
    return new AppState(this.app, open, changes, this, this.depth + 1);
  }
}

export type StateView = 'state' | 'database';

export function emptyAppState(app: string): AppState {
  return AppState.empty(app);
}

/** A model's entry: its state, 'unknown', or 'absent'. */
export function modelEntry(state: AppState, model: string): ModelEntry {
  return state.get(model.toLowerCase()) ?? (state.open ? 'unknown' : 'absent');
}

/** Third-party operations known to leave models and tables alone. */
// django-pgtrigger's AddTrigger / RemoveTrigger change a model's triggers only, no field or table
// (review 26: courtlistener tracks its big tables with them, which left them unknown from then on);
// wagtail's BootstrapTranslatableModel is a RunPython that fills rows (wagtailcore 0056 left the app's
// 42 later migrations unknown); pgvector's VectorExtension is a CreateExtension (review 23: rapidpro's
// `knowledge` app lost its state at its first migration).
// django-add-default-value's AddDefaultValue sets a column's database default (SET DEFAULT) and no state
// (review 54: oncall's `alerts/0025` lost the app's state to it, and a unique constraint went unreported).
const NEUTRAL_OPERATIONS = new Set(['IgnoreMigration', 'AddTrigger', 'RemoveTrigger', 'BootstrapTranslatableModel', 'VectorExtension', 'AddDefaultValue']);

/** Options AlterModelOptions replaces wholesale (Django's ALTER_OPTION_KEYS), those we keep. */
const ALTER_OPTION_KEYS = new Set(['managed']);

class Builder {
  private readonly changes = new Map<string, ModelEntry>();
  private open: boolean;
  readonly app: string;

  constructor(private readonly base: AppState) {
    this.open = base.open;
    this.app = base.app;
  }

  entries(): Array<[string, ModelEntry]> {
    const all = new Map(this.base.models);
    for (const [k, v] of this.changes) all.set(k, v);
    return [...all];
  }

  get(model: string): ModelEntry {
    const m = this.changes.get(model) ?? this.base.get(model);
    return m ?? (this.open ? 'unknown' : 'absent');
  }

  set(model: string, entry: ModelEntry): void {
    this.changes.set(model, entry);
  }

  /** Nothing about the app can be trusted any more. */
  unknownApp(): void {
    for (const [k, v] of this.entries()) if (v !== 'absent') this.changes.set(k, 'unknown');
    this.open = true;
  }

  unknown(model: string | null): void {
    if (model) this.set(model.toLowerCase(), 'unknown');
    else this.unknownApp();
  }

  /** Applies `change` to a known model; an unknown or missing one becomes unknown. */
  update(model: string | null, change: (m: ModelState) => ModelState | null): void {
    if (!model) return this.unknownApp();
    const key = model.toLowerCase();
    const current = this.get(key);
    if (current === 'unknown' || current === 'absent') return this.set(key, 'unknown');
    const next = change(current);
    this.set(key, next ?? 'unknown');
  }

  result(): AppState {
    return this.base.next(this.changes, this.open);
  }
}

function withOptions(m: ModelState, options: Partial<ModelOptionsState>): ModelState {
  return { ...m, options: { ...m.options, ...options } };
}

function withFields(m: ModelState, edit: (fields: Map<string, FieldSpec | null>) => void): ModelState {
  const fields = new Map(m.fields);
  edit(fields);
  return { ...m, fields };
}

function noDefault(field: FieldSpec | null): FieldSpec | null {
  return field ? { ...field, default: 'NOT_PROVIDED' } : null;
}

function renameInTogether(groups: string[][] | null, from: string, to: string): string[][] | null {
  return groups ? groups.map((g) => g.map((n) => (n === from ? to : n))) : null;
}

/** Does a relation target as written (`'Tag'`, `'store.Tag'`) name this app's `model`? */
function namesModel(to: Value, app: string, model: string): boolean {
  if (to.kind !== 'str') return false;
  const dot = to.value.indexOf('.');
  const [a, m] = dot === -1 ? [app, to.value] : [to.value.slice(0, dot), to.value.slice(dot + 1)];
  return a === app && m.toLowerCase() === model.toLowerCase();
}

/** RenameModel repoints the app's relations (`to`, `through`) at the new name, as Django does. */
function repointRelations(b: Builder, from: string, to: string): void {
  const target: Value = { kind: 'str', value: `${b.app}.${to}` };
  for (const [key, m] of b.entries()) {
    if (typeof m === 'string') continue;
    let changed: Map<string, FieldSpec | null> | null = null;
    for (const [name, f] of m.fields) {
      const rel = f?.relation;
      if (!f || !rel) continue;
      const toHit = namesModel(rel.to, b.app, from);
      const throughHit = !!rel.through && namesModel({ kind: 'str', value: rel.through }, b.app, from);
      if (!toHit && !throughHit) continue;
      changed ??= new Map(m.fields);
      changed.set(name, { ...f, relation: { ...rel, to: toHit ? target : rel.to, through: throughHit ? `${b.app}.${to}` : rel.through } });
    }
    if (changed) b.set(key, { ...m, fields: changed });
  }
}

/** A CreateModel's `swappable` option: the setting's name, null without one, undefined when it cannot be read. */
function swappableOf(raw: Record<string, Value> | null): string | null | undefined {
  if (!raw) return undefined;
  const v = raw['swappable'];
  if (v === undefined) return null;
  return v.kind === 'str' ? v.value : undefined;
}

/** Whether options written as `raw` give the model an ordering: `ordering` present and not an empty list. */
function orderedBy(raw: Readonly<Record<string, Value>> | null): boolean | undefined {
  if (!raw) return undefined;
  const v = raw['ordering'];
  if (v === undefined) return false;
  return !((v.kind === 'list' || v.kind === 'tuple') && v.items.length === 0);
}

/** One operation's effect on the models it names (typed arguments only). */
function applyArgs(b: Builder, args: OperationArgs, view: StateView = 'state'): void {
  switch (args.kind) {
    case 'CreateModel': {
      if (!args.model) return b.unknownApp();
      if (!args.fields) return b.unknown(args.model);
      const o = args.options;
      b.set(args.model.toLowerCase(), {
        app: b.app,
        name: args.model,
        fields: new Map(args.fields),
        options: { dbTable: o.dbTable, managed: o.managed, proxy: o.proxy, uniqueTogether: o.uniqueTogether, indexTogether: o.indexTogether, indexes: o.indexes, constraints: o.constraints, swappable: swappableOf(o.raw), ordered: orderedBy(o.raw) },
        bases: args.bases,
      });
      return;
    }
    case 'DeleteModel':
      if (!args.model) return b.unknownApp();
      return b.set(args.model.toLowerCase(), 'absent');
    case 'RenameModel': {
      if (!args.model || !args.newName) return b.unknownApp();
      const old = b.get(args.model.toLowerCase());
      b.set(args.model.toLowerCase(), 'absent');
      b.set(args.newName.toLowerCase(), typeof old === 'string' ? 'unknown' : { ...old, name: args.newName });
      repointRelations(b, args.model, args.newName);
      return;
    }
    case 'AlterModelTable':
      return b.update(args.model, (m) => withOptions(m, { dbTable: args.table }));
    case 'AlterTogether':
      return b.update(args.model, (m) => withOptions(m, args.option === 'unique_together' ? { uniqueTogether: args.groups } : { indexTogether: args.groups }));
    case 'AlterModelOptions':
      return b.update(args.model, (m) => {
        if (!args.options) return withOptions(m, { managed: undefined, ordered: undefined });
        // Django replaces `ordering` with the options given, as it does `managed`.
        const out: Partial<ModelOptionsState> = { ordered: orderedBy(args.options) };
        for (const key of ALTER_OPTION_KEYS) {
          const v: Value | undefined = args.options[key];
          if (key === 'managed') out.managed = v === undefined ? true : (asBool(v) ?? undefined);
        }
        return withOptions(m, out);
      });
    case 'AddField':
    case 'AlterField':
      if (!args.name) return b.unknown(args.model);
      return b.update(args.model, (m) =>
        withFields(m, (f) => {
          const field = args.preserveDefault === false ? noDefault(args.field) : args.preserveDefault === undefined ? null : args.field;
          if (args.kind === 'AddField') f.delete(args.name as string);
          f.set(args.name as string, field);
        }),
      );
    case 'RemoveField':
      if (!args.name) return b.unknown(args.model);
      return b.update(args.model, (m) => withFields(m, (f) => f.delete(args.name as string)));
    case 'RenameField': {
      const { oldName, newName } = args;
      if (!oldName || !newName) return b.unknown(args.model);
      return b.update(args.model, (m) => {
        // Renamed already, in the database view, by the SeparateDatabaseAndState around it (applyOne).
        if (view === 'database' && !m.fields.has(oldName) && m.fields.has(newName)) return m;
        if (!m.fields.has(oldName)) return null;
        return renamedField(m, oldName, newName, false);
      });
    }
    case 'AddIndex':
      return b.update(args.model, (m) => withOptions(m, { indexes: m.options.indexes && args.index ? [...m.options.indexes, args.index] : null }));
    case 'RemoveIndex':
      return b.update(args.model, (m) => withOptions(m, { indexes: m.options.indexes && args.name ? m.options.indexes.filter((i) => i.name !== args.name) : null }));
    case 'RenameIndex':
      return b.update(args.model, (m) => {
        const { newName, oldName, oldFields } = args;
        if (newName && !oldName && oldFields) {
          // Django 4.1+: an index_together group becomes a named Index (takahe users/0018).
          const group = JSON.stringify(oldFields);
          const index: IndexSpec = { cls: 'Index', path: 'django.db.models.Index', name: newName, fields: [...oldFields], expressions: false, partial: false };
          return withOptions(m, {
            indexTogether: m.options.indexTogether ? m.options.indexTogether.filter((g) => JSON.stringify(g) !== group) : null,
            indexes: m.options.indexes ? [...m.options.indexes, index] : null,
          });
        }
        if (!m.options.indexes || !newName || !oldName) return withOptions(m, { indexes: null });
        return withOptions(m, { indexes: m.options.indexes.map((i) => (i.name === oldName ? { ...i, name: newName } : i)) });
      });
    case 'AddConstraint':
      return b.update(args.model, (m) => withOptions(m, { constraints: m.options.constraints && args.constraint ? [...m.options.constraints, args.constraint] : null }));
    case 'RemoveConstraint':
      return b.update(args.model, (m) => withOptions(m, { constraints: m.options.constraints && args.name ? m.options.constraints.filter((c) => c.name !== args.name) : null }));
    case 'AlterConstraint':
      return b.update(args.model, (m) => {
        const { constraint, name } = args;
        if (!m.options.constraints || !constraint || !name) return withOptions(m, { constraints: null });
        return withOptions(m, { constraints: m.options.constraints.map((c) => (c.name === name ? constraint : c)) });
      });
    case 'ValidateConstraint':
    case 'AlterOrderWithRespectTo':
    case 'AlterModelManagers':
    case 'AlterModelTableComment':
    case 'Global':
    case 'RunPython':
    case 'RunSQL':
    case 'SeparateDatabaseAndState':
      return;
  }
}

/** The table an `ALTER TABLE … RENAME TO …` statement gives its table, lower-case; null for any other statement. */
export function renamedToTable(sql: string): string | null {
  const m = /^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:"[^"]+"|[\w.]+)\s+RENAME\s+TO\s+(?:"([^"]+)"|(\w+))\s*;?\s*$/i.exec(sql);
  return m ? (m[1] ?? (m[2] as string)).toLowerCase() : null;
}

/**
 * @param renamedTo in the database view, for a SeparateDatabaseAndState: the tables its database side
 *   renames other tables to
 */
function applyOne(b: Builder, op: OperationSummary, view: StateView, renamedTo?: ReadonlySet<string>, adopt?: Adopt): void {
  // In the database view, operations inside SeparateDatabaseAndState's database side count; in
  // Django's state, only its state side does.
  if (op.container !== null && view === 'state') return;
  const uncertain = op.branches.length > 0 || !op.certain;
  const target = op.targetModel ?? op.createsModel ?? modelOf(op.args);
  if (op.specName === 'SeparateDatabaseAndState' || op.specName === 'RunSQL') {
    // RunSQL's state_operations describe what its SQL does: both views take them.
    if (op.specName === 'SeparateDatabaseAndState' && view === 'database') {
      if (uncertain) return;
      for (const inner of op.stateOperations ?? []) {
        if (inner.certain && inner.args?.kind === 'RenameField') renameKeepingColumn(b, inner.args);
        // Django's recipe for giving a many-to-many field a through model of its own: the join table is
        // renamed in SQL to the table of a model created in the state only (review 28: lutris
        // `games/0071`). The database then has that model's table, with the rows of the old one.
        const created = inner.certain && inner.args?.kind === 'CreateModel' ? inner.args : null;
        const table = created?.model && created.options.dbTable !== undefined ? (created.options.dbTable ?? `${b.app}_${created.model}`).toLowerCase() : null;
        // Or a table another app's migrations left under that name (review 49: karrot's `places/0028` renames its
        // tables to `activities_*`, then `activities/0001` adopts them with a state-only CreateModel).
        if (created && table && (renamedTo?.has(table) || adopt?.(table))) applyArgs(b, created, view);
      }
      return;
    }
    if (op.stateOperations === null) return b.unknownApp();
    for (const inner of op.stateOperations) applyOne(b, uncertain ? { ...inner, certain: false } : inner, 'state');
    return;
  }
  if (op.specName === 'RunPython') return;
  if (!op.specName) {
    if (NEUTRAL_OPERATIONS.has(op.name) || op.stateNeutral) return;
    // A third-party operation that names its model (sortedm2m's AlterSortedManyToManyField(model_name='course', …)):
    // that model is unknown from here on; the app's other models are not (course-discovery's 0077 made every model
    // of course_metadata unknown, so later AlterFields that run no SQL were counted as schema changes).
    return b.unknown(op.actsOn ?? null);
  }
  if (view === 'database' && op.databaseEffect === 'none') return;
  if ((view === 'database' && op.databaseEffect === 'custom') || (view === 'state' && op.customState) || !op.args) return b.unknown(target);
  if (uncertain) return uncertainly(b, op.args, target);
  applyArgs(b, op.args, view);
}

/**
 * A RenameField on Django's side only (SeparateDatabaseAndState's state_operations, what renaming a
 * field without touching its table writes): in the database view the field takes the new name and
 * keeps its column, pinned as db_column. Nothing happens when the database's side renamed it already
 * or the field is not there.
 */
function renameKeepingColumn(b: Builder, args: Extract<OperationArgs, { kind: 'RenameField' }>): void {
  const { oldName, newName } = args;
  if (!oldName || !newName || !args.model) return;
  const current = b.get(args.model.toLowerCase());
  if (typeof current === 'string' || !current.fields.has(oldName) || current.fields.has(newName)) return;
  b.update(args.model, (m) => renamedField(m, oldName, newName, true));
}

/** The model with a field renamed (in the together options too); `keepColumn` pins its old column as db_column. */
function renamedField(m: ModelState, oldName: string, newName: string, keepColumn: boolean): ModelState {
  const moved = withFields(m, (f) => {
    const spec = f.get(oldName) ?? null;
    f.delete(oldName);
    const column = keepColumn && spec && !spec.dbColumn ? fieldColumn(oldName, spec) : undefined;
    f.set(newName, spec && column ? { ...spec, dbColumn: column } : spec);
  });
  return withOptions(moved, {
    uniqueTogether: renameInTogether(m.options.uniqueTogether, oldName, newName),
    indexTogether: renameInTogether(m.options.indexTogether, oldName, newName),
  });
}

/**
 * An operation that may or may not run (a conditional arm, a comprehension that may be empty):
 * an index, constraint or `*_together` operation leaves only the model's indexes, constraints or
 * groups unknown (a migration adding an index only where the database supports it); anything else,
 * the model.
 */
function uncertainly(b: Builder, args: OperationArgs, target: string | null): void {
  switch (args.kind) {
    case 'AddIndex':
    case 'RemoveIndex':
    case 'RenameIndex':
      return b.update(args.model, (m) => withOptions(m, { indexes: null }));
    case 'AddConstraint':
    case 'RemoveConstraint':
    case 'AlterConstraint':
      return b.update(args.model, (m) => withOptions(m, { constraints: null }));
    // `unique_together` changed only on some databases (kobocat `logger/0017`, on SQLite only: review 45).
    case 'AlterTogether':
      return b.update(args.model, (m) => withOptions(m, args.option === 'unique_together' ? { uniqueTogether: null } : { indexTogether: null }));
    default:
      return b.unknown(target);
  }
}

function modelOf(args: OperationArgs | null): string | null {
  return args && 'model' in args ? args.model : null;
}

/** Whether the database has a table of that name (lower case) that another app's model stands for. */
export type Adopt = (table: string) => boolean;

/**
 * The state after a migration's operations (the top-level list of its summary).
 * @param adopt in the database view: tables other apps left, which a state-only CreateModel may take over
 */
export function applyMigration(state: AppState, operations: readonly OperationSummary[], complete: boolean, view: StateView, adopt?: Adopt): AppState {
  const b = new Builder(state);
  // In the database view a SeparateDatabaseAndState's own effect (the fields its state side renames)
  // comes after its database_operations, which run against the fields as they were.
  let deferred: { index: number; op: OperationSummary; renamedTo: Set<string> } | null = null;
  operations.forEach((op, i) => {
    if (deferred && op.container !== deferred.index) {
      applyOne(b, deferred.op, view, deferred.renamedTo, adopt);
      deferred = null;
    }
    if (view === 'database' && op.specName === 'SeparateDatabaseAndState') deferred = { index: i, op, renamedTo: new Set() };
    else {
      if (deferred && op.specName === 'RunSQL' && op.certain) for (const sql of op.sql ?? []) {
        const table = renamedToTable(sql);
        if (table) deferred.renamedTo.add(table);
      }
      applyOne(b, op, view);
    }
  });
  if (deferred) {
    const last = deferred as { op: OperationSummary; renamedTo: Set<string> };
    applyOne(b, last.op, view, last.renamedTo, adopt);
  }
  if (!complete) b.unknownApp();
  return b.result();
}

/**
 * A SeparateDatabaseAndState's own effect, once its database operations (`inner`, replayed already)
 * have run: what applyMigration does at its end, for a caller that replays one operation at a time.
 */
export function applySeparated(state: AppState, op: OperationSummary, inner: readonly OperationSummary[], view: StateView, adopt?: Adopt): AppState {
  const b = new Builder(state);
  const renamedTo = new Set<string>();
  for (const o of inner) if (o.specName === 'RunSQL' && o.certain) for (const sql of o.sql ?? []) {
    const table = renamedToTable(sql);
    if (table) renamedTo.add(table);
  }
  applyOne(b, op, view, renamedTo, adopt);
  return b.result();
}

/** Django's truncate_name: names longer than the database allows get a hash suffix. */
export function truncateName(name: string, maxLength: number | null, digest: (s: string) => string): string {
  if (maxLength === null || name.length <= maxLength) return name;
  const hashLen = 4;
  return `${name.slice(0, maxLength - hashLen)}${digest(name).slice(0, hashLen)}`;
}

/** The table a model's rows live in (before truncation): db_table, or `app_model`. */
export function defaultTable(m: ModelState): string | undefined {
  if (m.options.dbTable === undefined) return undefined;
  return m.options.dbTable ?? `${m.app}_${m.name.toLowerCase()}`;
}

/** Field names mapped to their columns (`_id` for foreign keys, db_column when set). */
export function columnOf(field: [string, FieldSpec | null]): string | null | undefined {
  const [name, spec] = field;
  return spec ? fieldColumn(name, spec) : undefined;
}


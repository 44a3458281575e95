/**
 * Hand-written side of the corpus generator: data migrations (RunPython with helper functions,
 * save loops, bulk_update batches, pk windows, seeds over literal lists, lambdas, partials) and
 * RunSQL migrations (plain strings, lists, parameter tuples, CONCURRENTLY, triggers,
 * SeparateDatabaseAndState). A realistic mix of code that should and should not be flagged.
 */
import { call, renderOperation, str, type Call } from './corpus-format';
import { schemaOperation, type FileCtx } from './corpus-schema';

export interface HandWritten {
  name: string;
  imports: string[];
  preamble: string[];
  attributes: string[];
  operations: string[];
}

const DATA_KINDS = { saveLoop: 20, helperSave: 10, bulkUpdate: 16, seedLiteral: 10, createLoop: 8, updateQuery: 10, pkWindow: 8, deleteLoop: 5, relatedCreate: 5, lambdaOrPartial: 8 };

/** A data migration for the app's current models; `null` when the app has no model yet. */
export function dataMigration(ctx: FileCtx): HandWritten | null {
  const { rng, app } = ctx;
  if (app.models.length === 0) return null;
  const q = (t: string): string => str(app.style, t);
  const model = rng.pick(app.models);
  const M = model.name;
  const plain = model.fields.filter((f) => f.name !== 'id' && !['ManyToManyField', 'ForeignKey', 'OneToOneField'].includes(f.kind));
  const field = plain.length > 0 ? rng.pick(plain).name : 'name';
  const other = plain.length > 1 ? rng.pick(plain.filter((f) => f.name !== field)).name : 'id';
  const last = M.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase()).split('_').pop()!;
  const v = ['type', 'record', 'entry', 'item', 'line', 'status'].includes(last) ? `${last}_obj` : last;
  const kind = rng.weighted(DATA_KINDS);
  const fn = `${rng.pick(['backfill', 'populate', 'migrate', 'fix', 'normalise', 'copy'])}_${v}_${field}`;
  const imports = ['from django.db import migrations'];
  const pre: string[] = [];
  const attrs: string[] = [];
  const getModel = `    ${M} = apps.get_model(${q(app.label)}, ${q(M)})`;
  const batch = rng.pick([500, 1000, 2000, 5000]);
  let forward = fn;
  let batched = false;
  const suppress = rng.chance(0.04) ? `  # migration-guard: ignore[unbatched-save-loop] -- ${rng.pick(['fewer than 50 rows', 'runs on an empty table', 'staging only'])}` : '';
  switch (kind) {
    case 'saveLoop':
    case 'helperSave': {
      const qs = rng.pick([`${M}.objects.all()`, `${M}.objects.filter(${other}__isnull=False)`, `${M}.objects.using(db_alias).exclude(${field}=${q('')})`, `${M}.objects.select_related().order_by(${q('pk')})`]);
      pre.push(`def ${fn}(apps, schema_editor):`, getModel, '    db_alias = schema_editor.connection.alias', `    for ${v} in ${qs}:${suppress}`);
      if (kind === 'helperSave') {
        pre.push(`        _update_${v}(${v})`, '', '');
        pre.unshift(`def _update_${v}(${v}):`, `    """Recompute ${field} from ${other}; kept separate so tests can call it."""`, `    if ${v}.${other} is None:`, '        return', `    ${v}.${field} = str(${v}.${other}).strip()[:64]`, `    ${v}.save(update_fields=[${q(field)}])`, '', '');
      } else {
        pre.push(`        if not ${v}.${other}:`, '            continue', `        ${v}.${field} = ${rng.pick([`${v}.${other}`, `str(${v}.${other}).lower()`, `${q('legacy')}`, `compute_${field}(${v})`])}`, `        ${v}.save(${rng.chance(0.5) ? `update_fields=[${q(field)}]` : ''})`, '', '');
        if (pre.some((l) => l.includes(`compute_${field}(`))) pre.unshift(`def compute_${field}(obj):`, `    return ${q('%s-%s')} % (obj.pk, obj.${other})`, '', '');
      }
      break;
    }
    case 'bulkUpdate':
      batched = true;
      pre.push(`BATCH_SIZE = ${batch}`, '', '', `def ${fn}(apps, schema_editor):`, getModel, '    batch = []',
        `    for ${v} in ${M}.objects.filter(${field}__isnull=True).iterator(chunk_size=BATCH_SIZE):`,
        `        ${v}.${field} = ${v}.${other}`, `        batch.append(${v})`, '        if len(batch) >= BATCH_SIZE:',
        `            ${M}.objects.bulk_update(batch, [${q(field)}])`, '            batch = []', '    if batch:', `        ${M}.objects.bulk_update(batch, [${q(field)}])`, '', '');
      break;
    case 'seedLiteral': {
      const rows = rng.int(3, 7);
      pre.push(`DEFAULT_${v.toUpperCase()}S = [`);
      for (let i = 0; i < rows; i++) pre.push(`    (${q(`${v}-${i}`)}, ${q(`${M} ${i}`)}),`);
      pre.push(']', '', '', `def ${fn}(apps, schema_editor):`, getModel, `    for code, label in DEFAULT_${v.toUpperCase()}S:`,
        `        ${M}.objects.get_or_create(${field}=code, defaults={${q(other)}: label})`, '', '');
      break;
    }
    case 'createLoop':
    case 'relatedCreate': {
      const src = rng.pick(app.models);
      const sv = `${src.name.toLowerCase()}_obj`;
      pre.push(`def ${fn}(apps, schema_editor):`, getModel, `    ${src.name} = apps.get_model(${q(app.label)}, ${q(src.name)})`,
        `    for ${sv} in ${src.name}.objects.all():${suppress}`,
        kind === 'createLoop' ? `        ${M}.objects.create(${field}=${sv}.pk)` : `        ${sv}.${v}_set.create(${field}=${q('migrated')})`, '', '');
      break;
    }
    case 'updateQuery':
      imports.push('from django.db.models import F, Value', 'from django.db.models.functions import Concat');
      pre.push(`def ${fn}(apps, schema_editor):`, getModel, `    ${M}.objects.filter(${field}__isnull=True).update(${field}=F(${q(other)}))`,
        `    ${M}.objects.filter(${other}=${q('')}).update(${other}=Concat(Value(${q('n/a-')}), F(${q('pk')})))`, '', '');
      break;
    case 'pkWindow':
      batched = true;
      imports.push('from django.db.models import Max');
      pre.push(`STEP = ${batch}`, '', '', `def ${fn}(apps, schema_editor):`, getModel,
        `    max_id = ${M}.objects.aggregate(max_id=Max(${q('id')}))[${q('max_id')}] or 0`,
        '    for start in range(0, max_id + 1, STEP):',
        `        ${M}.objects.filter(id__gte=start, id__lt=start + STEP, ${field}__isnull=True).update(`,
        `            ${field}=${q('unknown')}`, '        )', '', '');
      break;
    case 'deleteLoop':
      pre.push(`def ${fn}(apps, schema_editor):`, getModel, '    seen = set()', `    for ${v} in ${M}.objects.order_by(${q(field)}, ${q('-id')}):`,
        `        key = (${v}.${field}, ${v}.${other})`, '        if key in seen:', `            ${v}.delete()${suppress}`, '        else:', '            seen.add(key)', '', '');
      break;
    default:
      if (rng.chance(0.5)) {
        imports.push('import functools');
        pre.push('def set_default(apps, schema_editor, value):', getModel, `    ${M}.objects.filter(${field}__isnull=True).update(${field}=value)`, '', '');
        forward = `functools.partial(set_default, value=${q('default')})`;
      } else {
        forward = `lambda apps, schema_editor: apps.get_model(${q(app.label)}, ${q(M)}).objects.update(${field}=None)`;
      }
  }
  return finish(forward);

  function finish(fwd: string): HandWritten {
    const ops: string[] = [];
    const mixed = rng.chance(0.3);
    if (mixed) imports[0] = 'from django.db import migrations, models';
    if (mixed && rng.chance(0.6)) ops.push(...renderOperation(schemaOperation(ctx), 8, app.style));
    const reverse = rng.weighted({ none: 40, noop: 40, fn: 15, explicitNone: 5 });
    if (reverse === 'fn') {
      pre.push(`def reverse_${fn}(apps, schema_editor):`, '    # The old values were not kept; nothing to undo.', '    pass', '', '');
    }
    const revExpr = reverse === 'noop' ? 'migrations.RunPython.noop' : reverse === 'fn' ? `reverse_${fn}` : reverse === 'explicitNone' ? 'None' : null;
    const op: Call = call('migrations.RunPython', fwd);
    if (revExpr) op.args.push(rng.chance(0.5) ? { key: null, value: revExpr } : { key: 'reverse_code', value: revExpr });
    if (rng.chance(0.15)) op.args.push({ key: 'elidable', value: 'True' });
    ops.push(...renderOperation(op, 8, app.style));
    if (mixed) ops.push(...renderOperation(schemaOperation(ctx), 8, app.style));
    if (batched ? rng.chance(0.6) : rng.chance(0.05)) attrs.push('    atomic = False');
    while (pre.length > 0 && pre[pre.length - 1] === '') pre.pop();
    return { name: fn, imports, preamble: pre, attributes: attrs, operations: ops };
  }
}

const SQL_KINDS = { concurrentIndex: 30, statementList: 20, params: 10, trigger: 15, separate: 15, addColumn: 10 };

/** A RunSQL migration against one of the app's tables; `null` when the app has no model yet. */
export function sqlMigration(ctx: FileCtx): HandWritten | null {
  const { rng, app } = ctx;
  if (app.models.length === 0) return null;
  const q = (t: string): string => str(app.style, t);
  const model = rng.pick(app.models);
  const m = model.name.toLowerCase();
  const table = `${app.label}_${m}`;
  const col = rng.pick(model.fields).name;
  const imports = ['from django.db import migrations'];
  const attrs: string[] = [];
  const ops: string[] = [];
  const pre: string[] = [];
  const noRev = rng.chance(0.3);
  const kind = rng.weighted(SQL_KINDS);
  let name = `${kind === 'trigger' ? 'create' : 'add'}_${m}_${col}_${kind === 'trigger' ? 'trigger' : 'index'}`;
  const idx = `${table}_${col}_idx`.slice(0, 63);
  const runSql = (sql: string, rev: string | null, extra: string[] = []): void => {
    ops.push('        migrations.RunSQL(', `            sql=${sql},`);
    if (rev && !noRev) ops.push(`            reverse_sql=${rev},`);
    ops.push(...extra, '        ),');
  };
  switch (kind) {
    case 'concurrentIndex':
      runSql(q(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${idx} ON ${table} (${col});`), q(`DROP INDEX CONCURRENTLY IF EXISTS ${idx};`));
      if (rng.chance(0.75)) attrs.push('    atomic = False');
      break;
    case 'statementList':
      name = `denormalise_${m}_${col}`;
      runSql(`[\n                ${q(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${col}_copy text;`)},\n                ${q(`UPDATE ${table} SET ${col}_copy = ${col}::text WHERE ${col}_copy IS NULL;`)},\n            ]`,
        `[\n                ${q(`ALTER TABLE ${table} DROP COLUMN IF EXISTS ${col}_copy;`)},\n            ]`);
      break;
    case 'params':
      name = `fix_${m}_${col}_values`;
      runSql(`[(${q(`UPDATE ${table} SET ${col} = %s WHERE ${col} = %s;`)}, [${q('unknown')}, ${q('')}])]`, 'migrations.RunSQL.noop');
      break;
    case 'trigger': {
      const body = [`CREATE OR REPLACE FUNCTION ${table}_touch() RETURNS trigger AS $$`, 'BEGIN', '    NEW.updated_at = now();', '    RETURN NEW;', 'END;',
        '$$ LANGUAGE plpgsql;', '', `CREATE TRIGGER ${table}_touch_trg`, `    BEFORE UPDATE ON ${table}`, `    FOR EACH ROW EXECUTE PROCEDURE ${table}_touch();`];
      pre.push(`FORWARD_SQL = ${app.style.q.repeat(3)}`, ...body, `${app.style.q.repeat(3)}`, '', `REVERSE_SQL = ${app.style.q.repeat(3)}`,
        `DROP TRIGGER IF EXISTS ${table}_touch_trg ON ${table};`, `DROP FUNCTION IF EXISTS ${table}_touch();`, `${app.style.q.repeat(3)}`);
      runSql('FORWARD_SQL', 'REVERSE_SQL');
      break;
    }
    case 'separate': {
      name = `rename_${m}_${col}_column`;
      const target = model.fields.find((f) => f.name === col && f.name !== 'id');
      const newName = `${col}_legacy`;
      if (target) target.name = newName;
      ops.push('        migrations.SeparateDatabaseAndState(', '            database_operations=[', '                migrations.RunSQL(',
        `                    ${q(`ALTER TABLE ${table} RENAME COLUMN ${col} TO ${newName};`)},`,
        `                    ${noRev ? 'None' : q(`ALTER TABLE ${table} RENAME COLUMN ${newName} TO ${col};`)},`, '                ),', '            ],',
        '            state_operations=[', '                migrations.RenameField(', `                    model_name=${q(m)},`, `                    old_name=${q(col)},`,
        `                    new_name=${q(newName)},`, '                ),', '            ],', '        ),');
      break;
    }
    default:
      name = `add_${m}_search_vector`;
      runSql(q(`ALTER TABLE ${table} ADD COLUMN search_vector tsvector;`), q(`ALTER TABLE ${table} DROP COLUMN search_vector;`), ['            elidable=False,']);
  }
  return { name, imports, preamble: pre, attributes: attrs, operations: ops };
}

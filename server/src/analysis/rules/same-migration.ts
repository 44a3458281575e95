/**
 * What the other operations of the same migration do to the table a schema step touches: a column
 * given back under its name, the table dropped later, renamed earlier, emptied earlier, a database
 * default set again by RunSQL. The schema rules ask these before they report a step (schema-walk.ts
 * gives the steps).
 */
import { fieldColumn, type FieldSpec } from '../fields';
import { modelEntry, type ModelState } from '../project/state';
import type { MigrationSummary, OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from './rule';
import { hasColumnNamed, type SchemaStep } from './schema-walk';
import { releaseChain, sameMinuteAncestors } from './shipped-together';

/**
 * Whether an operation after the step gives the same table a column named `column` again (an
 * AddField, a RenameField or a new db_column) for the same kind of value: code that names it keeps
 * working, so dropping or renaming the old one breaks nothing of the previous release by that name.
 */
export function columnComesBack(summary: MigrationSummary, step: SchemaStep, column: string): boolean {
  const back = returnedColumn(summary, step, column);
  return back !== null && !back.otherKind;
}

/**
 * The class of the field that gives the column back for another kind of value than the one the step
 * drops or renames (a text column back as an array, an integer key back as a UUID: review 56,
 * money-to-prisoners-api `security/0030`, saleor's primary keys made UUIDs), or null.
 */
export function columnReturnsAs(summary: MigrationSummary, step: SchemaStep, column: string): string | null {
  const back = returnedColumn(summary, step, column);
  return back?.otherKind ? back.cls : null;
}

function returnedColumn(summary: MigrationSummary, step: SchemaStep, column: string): { otherKind: boolean; cls: string } | null {
  const ops = summary.operations;
  // The field that had the column before this step, to compare the one given back with.
  const was = step.before ? [...step.before.fields].find(([name, f]) => f && fieldColumn(name, f) === column)?.[1] : undefined;
  const found = (f: FieldSpec | null | undefined) => ({ otherKind: !!was && !!f && valueKind(was) !== valueKind(f), cls: f?.cls ?? '' });
  for (let i = step.index + 1; i < ops.length; i++) {
    const op = ops[i] as OperationSummary;
    const a = op.args;
    if (!a || op.databaseEffect !== 'normal' || !('model' in a) || a.model?.toLowerCase() !== step.model) continue;
    if ((a.kind === 'AddField' || a.kind === 'AlterField') && a.name && a.field && fieldColumn(a.name, a.field) === column) return found(a.field);
    // The renamed field's column is its new name (with `_id` for a foreign key) unless db_column keeps it: by the
    // field's spec where it is known (review 56: ndoh-hub `eventstore/0007` drops the `created_by` foreign key,
    // column `created_by_id`, and renames the text field `created_by_name` to `created_by`, column `created_by`).
    if (a.kind === 'RenameField' && a.newName) {
      const spec = a.oldName ? step.before?.fields.get(a.oldName) : undefined;
      if (spec ? fieldColumn(a.newName, spec) === column : a.newName === column || `${a.newName}_id` === column) return found(spec);
    }
  }
  return null;
}

/**
 * Whether a DeleteModel later in the same migration drops the step's table (Django's autodetector
 * removes a model's foreign keys with RemoveField just before it deletes the model): the drop-table
 * finding on the DeleteModel already says what old code meets.
 */
export function tableDroppedLater(summary: MigrationSummary, step: SchemaStep): boolean {
  const ops = summary.operations;
  for (let i = step.index + 1; i < ops.length; i++) {
    const op = ops[i] as OperationSummary;
    const a = op.args;
    if (a?.kind === 'DeleteModel' && op.databaseEffect === 'normal' && a.model?.toLowerCase() === step.model) return true;
  }
  return false;
}

/**
 * Whether a RenameModel or AlterModelTable earlier in this migration gave the step's model the table
 * it has now: a RenameModel renames the table only where the model had Django's default name for it.
 */
export function renamedInThisMigration(ctx: ProjectRuleContext, step: SchemaStep): boolean {
  const ops = ctx.summary.operations;
  // Back from the step: the names the model had earlier in the migration (plane `0114` moves the table, then renames the model).
  let name = step.model;
  for (let i = step.index - 1; i >= 0 && name; i--) {
    const op = ops[i] as OperationSummary;
    const a = op.args;
    if (op.databaseEffect !== 'normal' || !a) continue;
    if (a.kind === 'AlterModelTable' && a.model?.toLowerCase() === name && a.table !== undefined) return true;
    if (a.kind !== 'RenameModel' || a.newName?.toLowerCase() !== name || !a.model) continue;
    name = a.model.toLowerCase();
    const old = ctx.view && ctx.file ? ctx.view.modelBefore(ctx.file, name, 'database') : 'unknown';
    if (typeof old !== 'string' && old.options.dbTable === null) return true;
  }
  return false;
}

/** `TRUNCATE [TABLE] [ONLY] a, b …`: the tables it empties, as written. */
const TRUNCATE = /^\s*TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?([^;]+)/i;

/** The tables (lower case, without schema or quotes) the TRUNCATE statements of `sql` empty. */
export function truncatedTables(sql: string): string[] {
  const out: string[] = [];
  for (const statement of sql.split(';')) {
    const m = TRUNCATE.exec(statement);
    if (!m) continue;
    for (const n of (m[1] as string).split(',')) {
      const name = n.trim().split(/\s+/)[0]?.replace(/"/g, '').split('.').pop()?.toLowerCase();
      if (name) out.push(name);
    }
  }
  return out;
}

/**
 * Whether an operation earlier in the same migration empties `table`: RunSQL `TRUNCATE rates_to_usage`
 * (review 50: koku `reporting/0353` truncates, then builds two indexes), or RunPython that deletes every
 * row of the model first thing. An index built or a NOT NULL column added afterwards meets no row.
 */
export function emptiedBefore(summary: MigrationSummary, step: SchemaStep, table: string): boolean {
  const ops = summary.operations.slice(0, step.index);
  if (ops.some((op) => op.specName === 'RunSQL' && op.certain && op.branches.length === 0 && (op.sql ?? []).some((sql) => truncatedTables(sql).includes(table.toLowerCase())))) return true;
  // RunPython that deletes every row of the model first thing (review 52: seqr `reference_data/0007`, `0061`).
  const app = step.before?.app ?? step.start?.app;
  return !!app && ops.some((op) => op.emptiedModels?.some((m) => m.app === app && m.model === step.model));
}

/** `ALTER TABLE [ONLY] [IF EXISTS] t ALTER [COLUMN] c SET DEFAULT`, names quoted or not. */
const SET_DEFAULT = /^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?\s+ALTER\s+(?:COLUMN\s+)?"?(\w+)"?\s+SET\s+DEFAULT\b/i;

/**
 * Whether RunSQL later in the same migration gives column `column` of `table` a database default
 * again (what projects wrote before `db_default`), or django-add-default-value's
 * `AddDefaultValue(model_name=…, name=…)` does for field `field` of the step's model (review 54:
 * oncall `alerts/0010`): then the previous release's INSERTs get it.
 */
export function defaultRestoredBySql(summary: MigrationSummary, step: SchemaStep, table: string, column: string, field?: string): boolean {
  const ops = summary.operations;
  for (let i = step.index + 1; i < ops.length; i++) {
    const op = ops[i] as OperationSummary;
    if (op.name === 'AddDefaultValue' && op.specName === null && op.certain && op.branches.length === 0 && op.actsOn === step.model && field !== undefined && op.actsOnField === field.toLowerCase()) return true;
    for (const statement of op.sql ?? []) {
      const m = SET_DEFAULT.exec(statement);
      if (m && m[1]?.toLowerCase() === table.toLowerCase() && m[2]?.toLowerCase() === column.toLowerCase()) return true;
    }
  }
  return false;
}

/**
 * Whether column `column` of the step's model was there before the first migration of the app's
 * chain that makemigrations stamped the same minute as this one (`# Generated by Django … on`): files
 * of one minute ship together, so a column an earlier one of them made, or renamed into being, is
 * no concern of the release before (review 55: open-city-profile `profiles/0009` and `0010` switch a
 * primary key to a UUID in two files of one minute, renaming columns the first one made) — or, where
 * the project's history is known, of the chain that shipped in the same release (releaseChain:
 * review 64's tethys `0004` renames a column `0003` of the same commit added two days before).
 * Undefined when there is no such earlier file or the model cannot be read there.
 */
export function columnBeforeTheMinute(ctx: ProjectRuleContext, step: SchemaStep, column: string): boolean | undefined {
  // The release the history tells reaches further than the minute's stamps, when it is known.
  const { chain: released, others } = releaseChain(ctx);
  const minute = sameMinuteAncestors(ctx);
  const byHistory = released.length >= minute.length && released.length > 0;
  const chain = byHistory ? released : minute;
  const firstNode = chain[chain.length - 1];
  const first = firstNode?.migration?.file;
  const state = first && step.model && ctx.view ? ctx.view.stateOf(first, 'before', 'database') : null;
  // The model under the name it had then: one the chain renamed is no new model (mayan
  // `document_parsing/0008` renames the model whose column `0009` renames; review 65).
  let model = step.model;
  const renames = [...[...chain].reverse().flatMap((n) => n.migration?.summary.operations ?? []), ...ctx.summary.operations.slice(0, step.index)].flatMap((op) =>
    op.args?.kind === 'RenameModel' && op.args.model && op.args.newName && op.databaseEffect !== 'none' ? [{ from: op.args.model.toLowerCase(), to: op.args.newName.toLowerCase() }] : [],
  );
  for (let i = renames.length - 1; i >= 0 && model; i--) if ((renames[i] as { to: string }).to === model) model = (renames[i] as { from: string }).from;
  const entry = state && model ? modelEntry(state, model) : null;
  // A merge migration of the chain joins a line that shipped before: a column there is old.
  if (byHistory && model && ctx.view) {
    for (const other of others) {
      const after = other.migration ? ctx.view.stateOf(other.migration.file, 'after', 'database') : null;
      const there = after ? modelEntry(after, model) : null;
      if (there && typeof there !== 'string' && holdsColumn(there, column)) return true;
    }
  }
  // A model the first file of the minute creates: none of its columns was there (janeway `core/0104` creates
  // Organization, `0106` drops its temporary `migration_id`). Not where that file is the app's first: an
  // initial migration and a change stamped the same minute after it is how django-migration-linter's test
  // apps each show one hazard, and a first release is judged as it comes.
  const appFirst = !byHistory && !!firstNode && (firstNode.migration?.summary.initial === true || !firstNode.parents.some((p) => p.key.app === firstNode.key.app));
  if (entry === 'absent' && !state?.open && !appFirst) return false;
  return entry && typeof entry !== 'string' ? holdsColumn(entry, column) : undefined;
}

/** Whether the model has the column, or a many-to-many field of that name (it has no column: its name stands for its join table). */
function holdsColumn(model: ModelState, column: string): boolean {
  return hasColumnNamed(model, column) || model.fields.get(column)?.relation?.kind === 'many-to-many';
}

/** Django's text fields: old code reads and writes strings in any of them. */
const TEXT_FIELDS = /^(?:CharField|TextField|SlugField|EmailField|URLField|FilePathField|FileField|ImageField|CICharField|CITextField|CIEmailField)$/;

/** Django's integer fields; a foreign key's column holds such a key too (taiga `projects/0003` swaps one for the other). */
const INTEGER_FIELDS = /^(?:IntegerField|BigIntegerField|SmallIntegerField|PositiveIntegerField|PositiveBigIntegerField|PositiveSmallIntegerField|AutoField|BigAutoField|SmallAutoField)$/;

/**
 * The field another operation of the migration adds to the same model in place of the one the step
 * removes, when it looks like that field renamed: the only AddField there of a new name, of the same
 * class (a relation to the same model). Such a pair loses every value the column held, where a
 * RenameField keeps them (review 63: dissemin `hal/0002` turned `on_behalf_on` into `on_behalf_of`).
 */
export function addedInstead(summary: MigrationSummary, step: SchemaStep, removed: FieldSpec): string | null {
  // Code in the migration may copy the values over (netbox's cached `_site`, saleor's populated prices).
  if (summary.operations.some((op) => op.isData || op.databaseEffect === 'custom' || op.specName === null)) return null;
  const to = (f: FieldSpec) => JSON.stringify(f.relation?.to ?? null).toLowerCase();
  const alike = (f: FieldSpec) => f.cls !== '' && f.cls === removed.cls && (f.relation?.kind ?? null) === (removed.relation?.kind ?? null) && to(f) === to(removed);
  const onModel = (op: OperationSummary) => op.container === null && !!op.args && 'model' in op.args && op.args.model?.toLowerCase() === step.model;
  const added = summary.operations.flatMap((op) => (onModel(op) && op.args?.kind === 'AddField' && op.args.name && op.args.field && !step.start?.fields.has(op.args.name) && alike(op.args.field) ? [op.args.name] : []));
  // One for one: the only field of its kind removed, the only one added.
  const removedAlike = summary.operations.filter((op) => {
    const spec = onModel(op) && op.args?.kind === 'RemoveField' && op.args.name ? step.start?.fields.get(op.args.name) : null;
    return !!spec && alike(spec);
  });
  const [name] = added;
  const gone = step.args.kind === 'RemoveField' ? step.args.name : null;
  return added.length === 1 && removedAlike.length === 1 && name !== undefined && gone && similarNames(gone, name) ? name : null;
}

/** Names a rename would give: one inside the other (`data`, `key_data`), or a few letters apart (`on_behalf_on`, `on_behalf_of`). */
function similarNames(a: string, b: string): boolean {
  if (a.includes(b) || b.includes(a)) return true;
  // Levenshtein distance, bounded.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return (prev[b.length] as number) <= Math.max(2, Math.floor(Math.min(a.length, b.length) / 4));
}

/** What kind of value a field holds, as old code uses it: text, an integer, or the field's class. */
function valueKind(f: FieldSpec): string {
  if (f.relation) return f.relation.kind === 'many-to-many' ? 'many-to-many' : 'integer';
  return TEXT_FIELDS.test(f.cls) ? 'text' : INTEGER_FIELDS.test(f.cls) ? 'integer' : f.cls;
}

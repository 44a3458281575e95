/**
 * What the schema-hazard rules share: a walk over the operations of one migration that reach the
 * database, each with the model as the database has it just before that operation (the project
 * view's state before the migration, advanced by the migration's own earlier operations) and
 * whether its table is new (created earlier in this migration, or by an initial migration), an
 * existing table, no table at all (unmanaged / proxy), or unknown. Unknown means silence.
 * Reads summaries only — never the tree — so a file the quick path read gets the same answers.
 */
import { fieldGoneBefore, modelGoneBefore } from '../project/code-before';
import { fieldColumn, type FieldSpec } from '../fields';
import type { OperationArgs } from '../operation-args';
import { AppState, applyMigration, applySeparated, defaultTable, modelEntry, type ModelState } from '../project/state';
import type { MigrationSummary, OperationSummary } from '../project/summary';
import type { DatabaseVendor, TargetDatabase } from '../target-database';
import { runsOn } from '../vendor-branch';
import type { ProjectRuleContext } from './rule';
import { OneSlot } from '../one-slot';
import { initialAsDjango, partOfFirstRun, releaseChain, sameReleaseCreated, sameRunCreated, squashedRun } from './shipped-together';

export type TableStatus = 'new' | 'existing' | 'none' | 'unknown';

export interface SchemaStep {
  op: OperationSummary;
  args: OperationArgs;
  /** The model the operation names, lower-cased; null for operations that name none. */
  model: string | null;
  /** Its table as the database has it just before this operation. */
  table: TableStatus;
  /** The model's state just before this operation (database view), when the table exists and is known. */
  before: ModelState | null;
  /**
   * The model as the database had it when the migration began, when known: what code of the
   * previous release, still running during the deploy, knows. A column or index this migration
   * made itself is no concern of that code.
   */
  start: ModelState | null;
  /**
   * The same for a model this migration renamed before the operation (`start` is null for it): the
   * model under the name it had when the migration began.
   */
  renamedFrom?: ModelState;
  /** The operation's index in the summary's operations. */
  index: number;
  /**
   * A new table (no code of an earlier release knows it) that code of its release may have filled:
   * an earlier migration of the same commit made it and RunPython or RunSQL ran after.
   */
  mayHaveRows?: true;
}

/** Operation names the walk gives to the rules (the rest cannot create a hazard of theirs). */
const WALKED = new Set([
  'AddField',
  'AlterField',
  'RemoveField',
  'RenameField',
  'DeleteModel',
  'RenameModel',
  'AlterModelTable',
  'AddIndex',
  'RemoveIndex',
  'AddConstraint',
  'RemoveConstraint',
  'AlterTogether',
]);

function statusOf(entry: ReturnType<typeof modelEntry>, created: ReadonlySet<string>, model: string): { table: TableStatus; before: ModelState | null } {
  if (created.has(model)) return { table: 'new', before: null };
  if (entry === 'unknown' || entry === 'absent') return { table: 'unknown', before: null };
  if (entry.options.managed === false || entry.options.proxy === true) return { table: 'none', before: entry };
  if (entry.options.managed === undefined || entry.options.proxy === undefined) return { table: 'unknown', before: null };
  return { table: 'existing', before: entry };
}

/**
 * Calls `visit` for every operation of the migration that reaches the database and that the
 * schema rules judge, in order. Nothing is visited in an initial migration (it builds the app's
 * tables from nothing; `migrate --fake-initial` treats it so) — nor state-only operations,
 * SeparateDatabaseAndState's state side, operations from a comprehension that may be empty, or
 * operations whose database effect is custom code.
 */
export function walkSchema(ctx: ProjectRuleContext, visit: (step: SchemaStep) => void): void {
  for (const step of stepsOf(ctx)) visit(step);
}

/** The steps of a summary in a view, computed once for all the rules that read them in turn. */
const walked = new OneSlot<SchemaStep[]>();

function stepsOf(ctx: ProjectRuleContext): SchemaStep[] {
  return walked.get([ctx.summary, ctx.view, ctx.file], () => computeSteps(ctx));
}

function computeSteps(ctx: ProjectRuleContext): SchemaStep[] {
  const { summary } = ctx;
  const steps: SchemaStep[] = [];
  const app = ctx.view && ctx.file ? (ctx.view.keyOf(ctx.file)?.app ?? '') : '';
  if (initialAsDjango(summary, app) || partOfFirstRun(summary, ctx, app)) return steps;
  // Without a project view only what this migration creates is known; everything else is unknown.
  let state: AppState = (ctx.view && ctx.file ? ctx.view.stateOf(ctx.file, 'before', 'database') : null) ?? AppState.empty(app, true);
  const initial = state;
  const startOf = (model: string): ModelState | null => {
    const entry = modelEntry(initial, model);
    return entry === 'unknown' || entry === 'absent' ? null : entry;
  };
  // Django writes an AlterField's SQL from its own state, which SeparateDatabaseAndState may have
  // moved away from the database (database side empty, or custom code): where the two disagree
  // about the field, what runs is unknowable (ArchiveBox core/0029 made `id` a UUID in the state
  // only, by code; 0030's AlterField to UUID then runs no SQL at all).
  let stateStart: AppState | null | undefined;
  const startOfState = (): AppState | null => {
    if (stateStart === undefined) stateStart = ctx.view && ctx.file ? ctx.view.stateOf(ctx.file, 'before', 'state') : null;
    return stateStart;
  };
  // Django's state replayed beside the database's once this migration has a SeparateDatabaseAndState
  // (before it, both moved alike since the migration began).
  let stateNow: AppState | null = null;
  const diverged = (model: string, field: string | null, dbNow: AppState): boolean => {
    if (!field) return false;
    const st0 = stateNow ?? startOfState();
    const db = modelEntry(stateNow ? dbNow : initial, model);
    const st = st0 ? modelEntry(st0, model) : 'unknown';
    if (typeof db === 'string' || typeof st === 'string') return false;
    return !sameField(db.fields.get(field), st.fields.get(field));
  };
  const released = sameReleaseCreated(ctx);
  const created = new Set([...squashedRun(ctx), ...sameRunCreated(ctx), ...released.keys()]);
  // Tables of the release that code may have filled: new to old code, not known to be empty.
  const mayHaveRows = new Set([...released].flatMap(([m, filled]) => (filled ? [m] : [])));
  // A state-only CreateModel that takes over another app's table (a model moved between apps): that table, with its rows.
  const view = ctx.view;
  const file = ctx.file;
  const adopt = view && file ? (table: string) => view.adoptsTable(file, table) : undefined;
  const ops = summary.operations;
  // Which models a judged operation at or after each index asks about: an operation on another
  // model cannot change the answers, so it needs no replay (most files judge one or two models).
  const later: Array<ReadonlySet<string>> = new Array<ReadonlySet<string>>(ops.length);
  let needed = new Set<string>();
  for (let i = ops.length - 1; i >= 0; i--) {
    later[i] = needed;
    const a = (ops[i] as OperationSummary).args;
    const m = a && WALKED.has(a.kind) && 'model' in a && a.model ? a.model.toLowerCase() : null;
    if (m && !needed.has(m)) needed = new Set([...needed, m]);
  }
  const mustReplay = (op: OperationSummary, after: ReadonlySet<string>): boolean => {
    if (after.size === 0) return false;
    const a = op.args;
    if (!a || !op.specName || a.kind === 'RenameModel' || !('model' in a) || !a.model) return true;
    return after.has(a.model.toLowerCase());
  };
  let opaque = false;
  const touched = new Set<string>();
  // Models renamed earlier in this migration, by their new name: the name each had when it began.
  const originalName = new Map<string, string>();
  // A SeparateDatabaseAndState takes effect once its database side has run (that side runs against
  // the fields as they were): in both views, it is applied when the first operation outside it comes.
  let pending: { index: number; op: OperationSummary } | null = null;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as OperationSummary;
    const args = op.args;
    if (pending && op.container !== pending.index) {
      // Its database side's renames count (the explicit-through-model recipe: review 31, seed `0222`).
      const pendingIndex = pending.index;
      state = applySeparated(state, pending.op, ops.filter((o) => o.container === pendingIndex), 'database', adopt);
      if (stateNow) stateNow = applyMigration(stateNow, [pending.op], true, 'state');
      pending = null;
    }
    if (op.specName === 'SeparateDatabaseAndState' && stateNow === null) {
      const start = startOfState();
      stateNow = start ? applyMigration(start, ops.slice(0, i), true, 'state') : null;
    }
    // An arm the target backend never takes (`elif 'mysql' in db_engine:`) is replayed, never judged.
    if (args && op.certain && op.databaseEffect === 'normal' && WALKED.has(args.kind) && op.specName !== 'SeparateDatabaseAndState' && runsOn(op.branches, ctx.target.vendor)) {
      const model = 'model' in args && args.model ? args.model.toLowerCase() : null;
      if (model) {
        const status = statusOf(modelEntry(state, model), created, model);
        // A swapped-out model (Spirit's user model while AUTH_USER_MODEL names another): Django runs no SQL for it.
        if (status.before && ctx.view?.swappedOut(status.before)) status.table = 'none';
        const field = args.kind === 'RenameField' ? args.oldName : args.kind === 'AlterField' || args.kind === 'RemoveField' ? args.name : null;
        if (status.table === 'existing' && (opaque || diverged(model, field, state) || (touched.size > 0 && status.before && touched.has((defaultTable(status.before) ?? '').toLowerCase())))) {
          status.table = 'unknown';
          status.before = null;
        }
        const start = created.has(model) ? null : startOf(model);
        const origin = start === null && !created.has(model) ? originalName.get(model) : undefined;
        const renamedFrom = origin ? startOf(origin) : null;
        steps.push({ op, args, model, ...status, start, ...(renamedFrom ? { renamedFrom } : {}), ...(status.table === 'new' && mayHaveRows.has(model) ? { mayHaveRows: true as const } : {}), index: i });
      }
    }
    // Schema changes written as code: RunPython that runs DDL (awx rebuilds its event tables under
    // the same names) changes tables the state cannot name, so no later operation is judged; RunSQL
    // that renames a table away or drops it leaves a different table (or none) under that name.
    if (op.isSchema && op.databaseEffect === 'normal' && op.specName === 'RunPython') opaque = true;
    for (const statement of op.sql ?? []) {
      const m = TABLE_REPLACED.exec(statement);
      const table = m?.[1] ?? m?.[2];
      if (table) touched.add(table.toLowerCase());
    }
    if (op.specName === 'SeparateDatabaseAndState') {
      pending = { index: i, op };
      continue;
    }
    if (op.createsModel) created.add(op.createsModel);
    if (args?.kind === 'CreateModel' && args.model && op.databaseEffect === 'normal') created.add(args.model.toLowerCase());
    if (args?.kind === 'RenameModel' && args.model && args.newName && created.has(args.model.toLowerCase())) {
      created.add(args.newName.toLowerCase());
      if (mayHaveRows.has(args.model.toLowerCase())) mayHaveRows.add(args.newName.toLowerCase());
    }
    else if (args?.kind === 'RenameModel' && args.model && args.newName) originalName.set(args.newName.toLowerCase(), originalName.get(args.model.toLowerCase()) ?? args.model.toLowerCase());
    if (mustReplay(op, later[i] as ReadonlySet<string>)) state = applyMigration(state, [op], true, 'database');
    if (stateNow) stateNow = applyMigration(stateNow, [op], true, 'state');
  }
  return steps;
}

/** Two readings of a field that agree on everything its column depends on (unknown agrees with nothing). */
function sameField(a: FieldSpec | null | undefined, b: FieldSpec | null | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const r = (f: FieldSpec) => (f.relation ? [f.relation.kind, JSON.stringify(f.relation.to), f.relation.dbConstraint, f.relation.toField] : f.relation);
  return (
    a.cls === b.cls &&
    a.null === b.null &&
    a.primaryKey === b.primaryKey &&
    a.unique === b.unique &&
    a.dbIndex === b.dbIndex &&
    a.maxLength === b.maxLength &&
    a.maxDigits === b.maxDigits &&
    a.decimalPlaces === b.decimalPlaces &&
    a.dbColumn === b.dbColumn &&
    JSON.stringify(r(a)) === JSON.stringify(r(b))
  );
}

/** A field of the model before the operation: its spec, or null when absent or unreadable. */
export function fieldBefore(step: SchemaStep, name: string | null): FieldSpec | null {
  if (!step.before || !name) return null;
  return step.before.fields.get(name) ?? null;
}

/** The model's table name as Django names it (no truncation), for messages. */
export function tableLabel(step: SchemaStep): string {
  const table = step.before ? defaultTable(step.before) : undefined;
  // A name quoted already: `db_table = '"external"."thing"'`, a table of another schema (review 71: mit-learn `profiles/0022`).
  return table ? (/^".*"$/.test(table) ? table : `"${table}"`) : `the table of '${step.model}'`;
}

/** A relation field that has a column of its own (ForeignKey, OneToOneField). */
export function hasColumn(field: FieldSpec): boolean {
  return field.relation?.kind !== 'many-to-many';
}

/** The index a field's column has: a unique one, a plain one (db_index, a ForeignKey's), none; undefined when unknown. */
export function fieldIndex(f: FieldSpec): 'unique' | 'index' | 'none' | undefined {
  if (!hasColumn(f)) return 'none';
  if (f.unique === undefined || f.dbIndex === undefined) return undefined;
  if (f.unique) return 'unique';
  return f.dbIndex ? 'index' : 'none';
}

/** An AlterField on an existing table whose field before this migration is known: the field's name, before and after. */
export function alteredField(step: SchemaStep): { name: string; before: FieldSpec; after: FieldSpec } | null {
  const { args } = step;
  if (args.kind !== 'AlterField' || step.table !== 'existing' || !args.field || !args.name) return null;
  const before = fieldBefore(step, args.name);
  return before ? { name: args.name, before, after: args.field } : null;
}

/** The text for the target's database. */
export function forVendor(target: TargetDatabase, texts: Readonly<Record<DatabaseVendor, string>>): string {
  return texts[target.vendor];
}

/**
 * Whether column `column` of the step's table existed when the migration began: false when this
 * migration made it (an AddField, a rename or a new foreign key's `_id` earlier in the file).
 * Undefined when the model's fields then are not known; a field whose column cannot be read
 * counts by its name.
 */
export function columnAtStart(step: SchemaStep, column: string): boolean | undefined {
  const start = step.start ?? step.renamedFrom;
  return start ? hasColumnNamed(start, column) : undefined;
}

/** Whether one of the model's fields is stored in `column`. */
export function hasColumnNamed(model: ModelState, column: string): boolean {
  for (const [name, field] of model.fields) {
    // A field of a class we cannot read has its name as its column, as far as anyone can tell.
    const c = field ? fieldColumn(name, field) : undefined;
    if ((c === undefined ? name : c) === column) return true;
  }
  return false;
}

/** `ALTER TABLE t RENAME TO …` or `DROP TABLE t`: the table of that name is no longer the one the state has. */
const TABLE_REPLACED = /^\s*(?:ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?\s+RENAME\s+TO\b|DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:"?\w+"?\.)?"?(\w+)"?)/i;

/** django-safemigrate's `safe = Safe.after_deploy()`: the project runs it once no old code is left. */
export function runsAfterDeploy(summary: MigrationSummary): boolean {
  return summary.deployPhase === 'after-deploy';
}

/**
 * Whether the code of the release before this migration had no class for the model (`model` as the
 * operation writes it), or its class no field `field`: the project's history says so (review 77:
 * the second step of a two-release removal made without SeparateDatabaseAndState — the model or
 * field left the code in one release, the migration that drops it came in a later one). False
 * when not known.
 */
export function goneFromCodeBefore(ctx: ProjectRuleContext, model: string | null, field?: string): boolean {
  const before = model && ctx.view && ctx.file ? ctx.view.modelsBefore(ctx.file) : null;
  if (!before || !model) return false;
  // A name the release gave the model or field (a RenameModel or RenameField in this migration or an
  // earlier one of its release): the old code knows it by its old name (review 78: mayan
  // `checkouts/0010` renames NewVersionBlock to NewFileBlock, `0011` of the same release deletes it).
  if (renamedInRelease(ctx, model, field)) return false;
  // Gone from each release a database may come from.
  return before.length > 0 && before.every((b) => (field === undefined ? modelGoneBefore(b, model) : fieldGoneBefore(b, model, field)));
}

/** Whether a RenameModel (or, with `field`, a RenameField of that model) of this migration or an earlier one of its release gave that name. */
function renamedInRelease(ctx: ProjectRuleContext, model: string, field?: string): boolean {
  const lower = model.toLowerCase();
  const summaries = [ctx.summary, ...releaseChain(ctx).chain.flatMap((n) => (n.migration ? [n.migration.summary] : []))];
  return summaries.some((s) =>
    s.operations.some((op) => {
      const a = op.args;
      if (field === undefined) return a?.kind === 'RenameModel' && a.newName?.toLowerCase() === lower;
      return (a?.kind === 'RenameField' && a.model?.toLowerCase() === lower && a.newName === field) || (a?.kind === 'RenameModel' && a.newName?.toLowerCase() === lower);
    }),
  );
}

/**
 * Whether the code of the release before this migration no longer knows the model (or its field
 * `field`) the migration drops: Django's state just before the migration lacks it while the
 * database still has it. That is the second step of a two-release removal — the first removed it
 * from the state only (SeparateDatabaseAndState), so the old code, built against that state,
 * never names it (data-hub-api `company_referral/0006`, review 25). False when not known.
 */
export function goneFromStateBefore(ctx: ProjectRuleContext, model: string | null, field?: string): boolean {
  if (!ctx.view || !ctx.file || !model) return false;
  const entry = ctx.view.modelBefore(ctx.file, model, 'state');
  if (entry === 'absent') return true;
  if (entry === 'unknown' || field === undefined) return false;
  return !entry.fields.has(field);
}

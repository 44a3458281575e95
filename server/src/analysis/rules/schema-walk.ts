/**
 * What the schema-hazard rules share: a walk over the operations of one migration that reach the
 * database, each with the model as the database has it just before that operation (the project
 * view's state before the migration, advanced by the migration's own earlier operations) and
 * whether its table is new (created earlier in this migration, or by an initial migration), an
 * existing table, no table at all (unmanaged / proxy), or unknown. Unknown means silence.
 * Reads summaries only — never the tree — so a file the quick path read gets the same answers.
 */
import { fieldColumn, type FieldSpec } from '../fields';
import type { OperationArgs } from '../operation-args';
import { AppState, applyMigration, applySeparated, defaultTable, modelEntry, type ModelState } from '../project/state';
import type { MigrationSummary, OperationSummary } from '../project/summary';
import type { DatabaseVendor, TargetDatabase } from '../target-database';
import { runsOn } from '../vendor-branch';
import type { GraphNode } from '../project/graph';
import type { ProjectRuleContext } from './rule';
import { OneSlot } from '../one-slot';

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

/**
 * makemigrations writes an AddField of a NOT NULL foreign key with no default at all only when
 * the model is created in the same run: an app's first tables split across files because of
 * foreign keys between apps (before Django 1.9 without `initial = True`). For a model that
 * already exists it asks for a default and writes `preserve_default=False`. Such a file, which
 * depends on another app, is part of the run that builds the tables from nothing (on a table with
 * rows it could not even have been applied). A hand-written one on a single app stays a finding.
 */
function partOfFirstRun(summary: MigrationSummary, ctx: ProjectRuleContext, app: string): boolean {
  // The split exists for foreign keys between apps: the file depends on another app's migration.
  const otherApp = summary.dependencies.entries.some((e) => e.kind === 'swappable') || new Set(summary.dependencies.entries.flatMap((e) => (e.kind === 'key' ? [e.app] : []))).size > 1;
  if (!otherApp) return false;
  // And it does not follow a later run of its app: with the view, no migration of the app before it is
  // plainly one — not initial, no squash, not of this shape itself (review 27: kukkuu children/0003
  // follows 0002_remove_child_ssn).
  const node = ctx.view && ctx.file ? ctx.view.node(ctx.file) : null;
  const own = node ? node.parents.filter((p) => p.key.app === app) : [];
  if (own.some((p) => p.migration && !initialAsDjango(p.migration.summary, app) && !p.migration.summary.replaces && !firstRunShape(p.migration.summary) && !relationsSplitOff(p.migration.summary, app))) return false;
  return firstRunShape(summary);
}

/**
 * A file of the first run's split that adds relations only (`0002_profile_follows_foia`: a
 * many-to-many field to another app's model, which needed that app's first migration): every
 * operation an AddField of a relation, and a dependency on another app (review 54: muckrock
 * `accounts/0003` follows such a file, and its NOT NULL key was reported on a table still empty).
 */
function relationsSplitOff(summary: MigrationSummary, app: string): boolean {
  if (!summary.operationsComplete || summary.operations.length === 0) return false;
  if (!summary.dependencies.entries.some((e) => e.kind === 'swappable' || (e.kind === 'key' && e.app !== app))) return false;
  return summary.operations.every((op) => op.args?.kind === 'AddField' && op.container === null && !!op.args.field?.relation);
}

/** An AddField of a NOT NULL foreign key with no default at all, to a model the file does not create. */
function firstRunShape(summary: MigrationSummary): boolean {
  // A model this same file creates gets such AddFields in any run (two models pointing at each
  // other: wger manager/0018 adds DayNg.routine after creating both); only one made before counts.
  const created = new Set(summary.operations.flatMap((op) => (op.createsModel ? [op.createsModel.toLowerCase()] : [])));
  return summary.operations.some((op) => {
    const a = op.args;
    if (a?.kind !== 'AddField' || !a.field || a.preserveDefault !== true || op.container !== null) return false;
    if (a.model && created.has(a.model.toLowerCase())) return false;
    const f = a.field;
    return !!f.relation && hasColumn(f) && f.null === false && f.default === 'NOT_PROVIDED' && f.dbDefault === 'NOT_PROVIDED';
  });
}

/**
 * Whether Django takes the migration for an initial one (what `migrate --fake-initial` may skip):
 * `initial = True`, or no `initial` at all and no dependency on its own app (awx's `0001_initial`
 * states none). A dependency list that cannot be read fully is not taken for one.
 */
function initialAsDjango(summary: MigrationSummary, app: string): boolean {
  if (summary.initial !== null) return summary.initial;
  if (!app || !summary.dependencies.complete) return false;
  return summary.dependencies.entries.every((e) => e.kind === 'swappable' || (e.kind === 'key' && e.app !== app));
}

/**
 * A squashed migration (one with `replaces`) right after initial ones: squashmigrations splits a
 * project's first tables across such files (a field added to a model the initial file created).
 * They run together on an empty database; a database that already has those tables has the
 * replaced migrations recorded and never runs the squash. The models the initial ancestors
 * directly above it created count as new tables.
 */
function squashedRun(ctx: ProjectRuleContext): Set<string> {
  const out = new Set<string>();
  if (!ctx.summary.replaces || !ctx.view || !ctx.file) return out;
  let node = ctx.view.node(ctx.file);
  const app = node?.key.app;
  for (let hops = 0; node && hops < 20; hops++) {
    const parents = node.parents.filter((p) => p.key.app === app);
    const parent = parents.length === 1 ? parents[0] : undefined;
    const summary = parent?.migration?.summary;
    if (!parent || !summary || !initialAsDjango(summary, app ?? '')) break;
    for (const op of summary.operations) if (op.createsModel) out.add(op.createsModel);
    node = parent;
  }
  return out;
}

/**
 * Tables an earlier migration of the same makemigrations run created: makemigrations writes one run
 * as several files of an app when a foreign key needs another app's migration in between
 * (lookit-api `accounts/0003` creates Child, `0004` adds its key to the user model; review 45). Files
 * stamped the same minute ship and run together, so to this one such a table is new and empty, and
 * no code of the previous release knows it. Only for a file that depends on another app (what makes
 * makemigrations split), and only the app's own chain of single parents stamped as this file is,
 * each of operations makemigrations writes (no code, no SQL).
 */
function sameRunCreated(ctx: ProjectRuleContext): Set<string> {
  const out = new Set<string>();
  const app = ctx.view && ctx.file ? ctx.view.node(ctx.file)?.key.app : undefined;
  // The split's mark: this file depends on another app's migration. Two runs of one minute in a row
  // with no such dependency (django-migration-linter's test apps) are not taken for one.
  if (!ctx.summary.dependencies.entries.some((e) => e.kind === 'swappable' || (e.kind === 'key' && e.app !== app))) return out;
  for (const parent of sameMinuteAncestors(ctx)) {
    const summary = parent.migration?.summary;
    if (!summary?.operationsComplete) break;
    if (summary.operations.some((op) => op.isData || op.databaseEffect === 'custom' || op.specName === null || op.container !== null)) break;
    for (const op of summary.operations) if (op.createsModel) out.add(op.createsModel);
  }
  return out;
}

/**
 * Tables an earlier migration of the same release created, as the project's history tells (the
 * same commit added both files, or neither is committed yet): every deploy runs them together, so
 * to this one such a table is new — no code of the previous release knows it (review 64: tethys
 * `0003`/`0004` two days apart in one squashed pull request; ubyssey's `users/0002` after the
 * `0001` of its commit). Oldest first, so a table created and then renamed counts under its new
 * name. A table code of the release ran on after it was made may hold rows (SchemaStep.mayHaveRows):
 * mayan's `duplicates` app copies rows into the table its `0001` made — no old code knows it, but a
 * unique default added to it fails.
 */
function sameReleaseCreated(ctx: ProjectRuleContext): Map<string, boolean> {
  // By model: whether code of the release ran after the table was made (it may hold rows then).
  const out = new Map<string, boolean>();
  for (const parent of sameReleaseAncestors(ctx).reverse()) {
    for (const op of parent.migration?.summary.operations ?? []) {
      if (op.isData || op.databaseEffect === 'custom' || op.specName === null) for (const m of out.keys()) out.set(m, true);
      if (op.createsModel) out.set(op.createsModel, false);
      const a = op.args;
      const renamed = a?.kind === 'RenameModel' && a.model && a.newName ? out.get(a.model.toLowerCase()) : undefined;
      if (renamed !== undefined && a?.kind === 'RenameModel' && a.newName) out.set(a.newName.toLowerCase(), renamed);
    }
  }
  return out;
}

/**
 * The app's own chain of single parents above this file that shipped in the same release as it
 * (ProjectView.releaseOf: the commit that added both), nearest first. Empty when the history is
 * not known (no repository, a shallow clone's first commit, an untrusted workspace).
 */
export function sameReleaseAncestors(ctx: ProjectRuleContext): GraphNode[] {
  const out: GraphNode[] = [];
  const view = ctx.view;
  const release = view && ctx.file ? view.releaseOf(ctx.file) : null;
  // A squash ships operations that ran long before the commit that wrote it (netbox adds
  // `ipam/0001_squashed_0053` and `0054_squashed_0067` in one commit): the walk stops at one.
  if (!view || !ctx.file || release === null || ctx.summary.replaces) return out;
  let node = view.node(ctx.file);
  const app = node?.key.app;
  for (let hops = 0; node && hops < 200; hops++) {
    const parents = node.parents.filter((p) => p.key.app === app);
    const parent = parents.length === 1 ? parents[0] : undefined;
    if (!parent?.migration || parent.migration.summary.replaces || view.releaseOf(parent.migration.file) !== release) break;
    // An app's first migration written before Django 1.9 may be the conversion of an app South had
    // built (taiga's "Add django1.7 migrations" adds `users/0001` to `0003` at once): such a release
    // is faked on that database, or run on tables with rows and code that knows them. Nothing is said.
    if (southEra(parent.migration.summary, app ?? '')) return [];
    out.push(parent);
    node = parent;
  }
  return out;
}

/** An initial migration a Django before 1.9 wrote (no stamp and its imports, or a stamp of before 2016). */
function southEra(summary: MigrationSummary, app: string): boolean {
  if (!initialAsDjango(summary, app)) return false;
  return summary.namedBefore19 === true || (summary.generated !== undefined && summary.generated < '2016');
}

/**
 * The app's own chain of single parents above this file that makemigrations stamped the same minute
 * (`# Generated by Django … on`), nearest first: files that ship together. A file stamped later that
 * sits between two of them was written afterwards and put there by hand (janeway `core/0105`, a data
 * migration of 2025 between `0104` and `0106` of one minute of 2024): it ships with them, and the walk
 * goes on past it when a file of the minute lies beyond. Empty without a stamp or a view.
 */
export function sameMinuteAncestors(ctx: ProjectRuleContext): GraphNode[] {
  const out: GraphNode[] = [];
  const stamp = ctx.summary.generated;
  if (!stamp || !ctx.view || !ctx.file) return out;
  let node = ctx.view.node(ctx.file);
  const app = node?.key.app;
  let between: GraphNode[] = [];
  for (let hops = 0; node && hops < 20; hops++) {
    const parents = node.parents.filter((p) => p.key.app === app);
    const parent = parents.length === 1 ? parents[0] : undefined;
    const at = parent?.migration?.summary.generated;
    if (!parent?.migration || !at || at < stamp) break;
    if (at === stamp) {
      out.push(...between, parent);
      between = [];
    } else between.push(parent);
    node = parent;
  }
  return out;
}

/** A field of the model before the operation: its spec, or null when absent or unreadable. */
export function fieldBefore(step: SchemaStep, name: string | null): FieldSpec | null {
  if (!step.before || !name) return null;
  return step.before.fields.get(name) ?? null;
}

/** The model's table name as Django names it (no truncation), for messages. */
export function tableLabel(step: SchemaStep): string {
  const table = step.before ? defaultTable(step.before) : undefined;
  return table ? `"${table}"` : `the table of '${step.model}'`;
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

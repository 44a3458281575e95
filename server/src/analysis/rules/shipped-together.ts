/**
 * Which earlier migrations ship with this one, so that a table or column they made is new to it: the
 * files of the app's first run (split by makemigrations, or by squashmigrations right after the
 * initial ones), the files of one makemigrations run (stamped the same minute), and the files of one
 * release as git tells it (the project view's releases). The schema walk (schema-walk.ts) counts the
 * tables they created as new; same-migration.ts asks the same chains about columns.
 */
import type { GraphNode } from '../project/graph';
import type { MigrationSummary } from '../project/summary';
import { OneSlot } from '../one-slot';
import type { ProjectRuleContext } from './rule';

/**
 * makemigrations writes an AddField of a NOT NULL foreign key with no default at all only when
 * the model is created in the same run: an app's first tables split across files because of
 * foreign keys between apps (before Django 1.9 without `initial = True`). For a model that
 * already exists it asks for a default and writes `preserve_default=False`. Such a file, which
 * depends on another app, is part of the run that builds the tables from nothing (on a table with
 * rows it could not even have been applied). A hand-written one on a single app stays a finding.
 */
export function partOfFirstRun(summary: MigrationSummary, ctx: ProjectRuleContext, app: string): boolean {
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
    return !!f.relation && f.relation.kind !== 'many-to-many' && f.null === false && f.default === 'NOT_PROVIDED' && f.dbDefault === 'NOT_PROVIDED';
  });
}

/**
 * Whether Django takes the migration for an initial one (what `migrate --fake-initial` may skip):
 * `initial = True`, or no `initial` at all and no dependency on its own app (awx's `0001_initial`
 * states none). A dependency list that cannot be read fully is not taken for one.
 */
export function initialAsDjango(summary: MigrationSummary, app: string): boolean {
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
export function squashedRun(ctx: ProjectRuleContext): Set<string> {
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
export function sameRunCreated(ctx: ProjectRuleContext): Set<string> {
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
export function sameReleaseCreated(ctx: ProjectRuleContext): Map<string, boolean> {
  // By model: whether code of the release ran after the table was made (it may hold rows then).
  const out = new Map<string, boolean>();
  for (const parent of releaseChain(ctx).chain.reverse()) {
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
 * `chain`: the app's own chain of parents above this file that shipped in the same release as it
 * (ProjectView.releaseOf: the commit that added both, the merge that brought both, or the release tag
 * that first held both), nearest first, through merge migrations (along every parent of the release:
 * releaseLines; along the one where those lines meet a squash); `others`: the parents of its merge
 * migrations that are not of the release, and where its lines start — lines that shipped before, whose
 * tables and columns old code knows though the state before the chain's first file lacks them. Empty when the
 * history is not known (no repository, a shallow clone's first commit, an untrusted workspace).
 */
export function releaseChain(ctx: ProjectRuleContext): { chain: GraphNode[]; others: GraphNode[] } {
  const none = { chain: [], others: [] };
  const view = ctx.view;
  const release = view && ctx.file ? view.releaseOf(ctx.file) : null;
  // A squash ships operations that ran long before the commit that wrote it (netbox adds
  // `ipam/0001_squashed_0053` and `0054_squashed_0067` in one commit): the walk stops at one.
  if (!view || !ctx.file || release === null || ctx.summary.replaces) return none;
  const start = view.node(ctx.file);
  if (!start) return none;
  const app = start.key.app;
  const ofRelease = (p: GraphNode) => p.key.app === app && !!p.migration && view.releaseOf(p.migration.file) === release;
  const lines = releaseLines(start, app, ofRelease);
  if (lines === 'south') return none;
  if (lines) return lines;
  // A walk that meets a squash: along single parents only.
  const chain: GraphNode[] = [];
  const others: GraphNode[] = [];
  let node: GraphNode | undefined = start;
  for (let hops = 0; node && hops < 200; hops++) {
    // Through a merge migration, along the one parent of the same release: the other line shipped
    // before (review 65: tandoor's `0061_merge` joins the pull request's `0060` with
    // `0056_auto_20200625_2157` of an earlier commit; `0063` drops the many-to-many its `0056_…_2118` made).
    const own: GraphNode[] = node.parents.filter((p) => p.key.app === app);
    const parents = own.filter(ofRelease);
    const parent: GraphNode | undefined = parents.length === 1 ? parents[0] : undefined;
    if (!parent?.migration || parent.migration.summary.replaces) break;
    if (southEra(parent.migration.summary, app)) return none;
    others.push(...own.filter((p) => p !== parent));
    chain.push(parent);
    node = parent;
  }
  return { chain, others };
}

/**
 * Every migration of the release above `start`, through merge migrations whose parents are all of the
 * release too (review 69: open-inwoner's pull request #121 made `pdc/0023_auto_…` and
 * `0023_productcondition`, joined them in `0024_merge_…`, and `0025` dropped the join table one of them
 * made), nearest first; `others` as releaseChain's, and, where the release's lines start from different
 * migrations before it, those migrations too (the state before the release is then no one file's). Null
 * where the lines meet a squash or are longer than 200 (releaseChain then walks single parents only);
 * 'south' as releaseChain's early exit.
 */
function releaseLines(start: GraphNode, app: string, ofRelease: (p: GraphNode) => boolean): { chain: GraphNode[]; others: GraphNode[] } | 'south' | null {
  const chain: GraphNode[] = [];
  const others: GraphNode[] = [];
  const seen = new Set<GraphNode>();
  const starts = new Set<GraphNode>();
  for (const queue = [start]; queue.length > 0; ) {
    const node = queue.shift() as GraphNode;
    const own = node.parents.filter((p) => p.key.app === app);
    const same = own.filter(ofRelease);
    if (same.length === 0) {
      // Where a line of the release starts: what came before it.
      if (node !== start) for (const p of own) starts.add(p);
      continue;
    }
    others.push(...own.filter((p) => !same.includes(p)));
    for (const p of same) {
      if (seen.has(p)) continue;
      if (!p.migration || p.migration.summary.replaces || chain.length >= 200) return null;
      if (southEra(p.migration.summary, app)) return 'south';
      seen.add(p);
      chain.push(p);
      queue.push(p);
    }
  }
  // Lines that start from different migrations (review 73: care's tag `v24.07.0` joins a branch begun on
  // `0404` with one begun on `0407`): the state before the last start is not the state before the
  // release, so what came before each start joins `others` — old code knows what it made.
  if (starts.size > 1) for (const s of starts) if (!others.includes(s)) others.push(s);
  // Where the lines start last: the state before the chain's last file is the state before the release.
  const isStart = (n: GraphNode) => !n.parents.some((p) => p.key.app === app && ofRelease(p));
  return { chain: [...chain.filter((n) => !isStart(n)), ...chain.filter(isStart)], others };
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

const released = new OneSlot<Set<string>>();

/**
 * The tables the migrations of this one's release before it made (releaseChain: the same commit, merge
 * or release tag): their models' tables and their many-to-many fields' join tables, lower-cased.
 */
export function releasedTables(ctx: ProjectRuleContext): Set<string> {
  return released.get([ctx.summary, ctx.view, ctx.file], () => {
    const out = new Set<string>();
    const view = ctx.view;
    if (!view) return out;
    for (const node of releaseChain(ctx).chain) {
      const file = node.migration?.file;
      const after = file ? view.stateOf(file, 'after', 'database') : null;
      if (!file || !after) continue;
      for (const op of node.migration?.summary.operations ?? []) {
        const a = op.args;
        if (op.databaseEffect !== 'normal' || !a || !('model' in a) || !a.model) continue;
        const entry = after.get(a.model.toLowerCase());
        if (!entry || typeof entry === 'string') continue;
        if (a.kind === 'CreateModel') {
          const table = view.tableName(entry, after);
          if (table) out.add(table.toLowerCase());
          for (const [name, spec] of entry.fields) {
            const join = spec?.relation?.kind === 'many-to-many' ? view.joinTableName(entry, name, spec, after) : undefined;
            if (join) out.add(join.toLowerCase());
          }
        } else if (a.kind === 'AddField' && a.name && a.field?.relation?.kind === 'many-to-many') {
          const join = view.joinTableName(entry, a.name, a.field, after);
          if (join) out.add(join.toLowerCase());
        }
      }
    }
    return out;
  });
}

/**
 * Whether a later migration of the app that shipped in the same release as this file (ProjectView.releaseOf)
 * drops the column `field` of `model` again, or the model's table: what this migration adds then lives
 * only within one `migrate` run, and no release's code meets it after (review 80: inyoka `portal/0007` adds a
 * column to `portal_group`, whose table `0014` of the same release drops; osis `base/0420` adds a column
 * `0423` of its release removes). A rename of either on the way answers no. False when the history is not known.
 */
export function goneLaterInRelease(ctx: ProjectRuleContext, model: string, field: string): boolean {
  const view = ctx.view;
  const release = view && ctx.file ? view.releaseOf(ctx.file) : null;
  const start = view && ctx.file ? view.node(ctx.file) : null;
  if (!view || !start || release === null) return false;
  const app = start.key.app;
  const seen = new Set<GraphNode>([start]);
  const queue = start.children.filter((c) => c.key.app === app);
  for (let n = 0; queue.length > 0 && n < 200; n++) {
    const node = queue.shift() as GraphNode;
    if (seen.has(node)) continue;
    seen.add(node);
    const m = node.migration;
    if (!m || m.summary.replaces || view.releaseOf(m.file) !== release) continue;
    for (const op of m.summary.operations) {
      const a = op.args;
      if (!a || !('model' in a) || a.model?.toLowerCase() !== model) continue;
      if (a.kind === 'RenameModel' || (a.kind === 'RenameField' && a.oldName === field)) return false;
      if (op.databaseEffect !== 'normal' || !op.certain || op.branches.length > 0 || op.container !== null) continue;
      if (a.kind === 'DeleteModel' || (a.kind === 'RemoveField' && a.name === field)) return true;
    }
    queue.push(...node.children.filter((c) => c.key.app === app));
  }
  return false;
}

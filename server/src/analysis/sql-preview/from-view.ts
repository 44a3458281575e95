/**
 * The SQL preview of one migration file of a project view: the app's state before it, and models
 * of other apps read from the state after the migration's own dependency on that app (where
 * Django's makemigrations always records one for a foreign key). Django's own state, not the
 * database as the view models it: Django writes the SQL from its state, also where a
 * SeparateDatabaseAndState has moved the state away from the database (proved by
 * sql-preview-truth's 0012_after_state_only).
 */
import { keyId, type GraphNode } from '../project/graph';
import { defaultTable, modelEntry, truncateName, type ModelEntry } from '../project/state';
import type { MigrationSummary } from '../project/summary';
import type { DatabaseNames, ProjectView } from '../project/view';
import type { TargetDatabase } from '../target-database';
import { OneSlot } from '../one-slot';
import { NameHistory } from './name-history';
import { previewMigration, type MigrationPreview, type ModelLookup } from './preview';

/** `current`: the file's newest summary when the view may hold an older one (an open buffer). */
export function previewFile(view: ProjectView, file: string, target: TargetDatabase, names: DatabaseNames, current?: MigrationSummary, approximateNames = false): MigrationPreview | null {
  const migration = view.migration(file);
  if (!migration) return null;
  const summary = current ?? migration.summary;
  const otherApp: ModelLookup = (app, model) => {
    const found = (entry: ModelEntry): ReturnType<ModelLookup> => {
      if (typeof entry === 'string') return entry;
      const table = defaultTable(entry);
      if (table === undefined) return 'unknown';
      return { state: entry, table: truncateName(table, names.maxNameLength, names.digest) };
    };
    const deps = summary.dependencies.entries.filter((d) => d.kind === 'key' && d.app === app);
    for (const d of deps) {
      if (d.kind !== 'key') continue;
      const node = view.graph.nodes.get(keyId({ app: d.app, name: d.name }));
      const depFile = node?.migration?.file;
      const state = depFile ? view.stateOf(depFile, 'after', 'state') : null;
      if (!state) continue;
      return found(modelEntry(state, model));
    }
    // No dependency of its own on that app: as the migrations it depends on, through others, leave it
    // (review 59: Geotrek's core/0013 renames keys to authent.Structure, which core/0001 depends on).
    return deps.length === 0 ? found(view.modelSeenBy(file, app, model)) : 'unknown';
  };
  // What earlier migrations (of every app: foreign keys name other apps' tables) renamed and created.
  const node = view.node(file);
  const history = NameHistory.deferred((h) => {
    if (node) replayPlan(view, node, h);
  });
  return previewMigration({ summary, app: migration.key.app, before: view.stateOf(file, 'before', 'state'), target, names, otherApp, history, ...(approximateNames ? { approximateNames } : {}) });
}

/** One slot for the exact preview of a file's own operations, one for the preview with approximate names. */
const own = [new OneSlot<MigrationPreview | null>(), new OneSlot<MigrationPreview | null>()] as const;

/**
 * previewFile of a file's own operations (`summary`, its current one), made once for the rules and
 * fixes of one lint that ask in turn — the lock wording, the SQL of a fix. One slot each, not a
 * cache keyed by summary, which would keep every file's preview, and its view, alive.
 */
export function ownPreview(view: ProjectView, file: string, target: TargetDatabase, names: DatabaseNames, summary: MigrationSummary, approximateNames = false): MigrationPreview | null {
  return own[approximateNames ? 1 : 0].get([view, file, target, names, summary], () => previewFile(view, file, target, names, summary, approximateNames));
}

/**
 * The history a view's last replay ended with, before the replayed node's own operations and after
 * them: the same file asking again (its preview with other operations) replays nothing, and a later
 * file whose plan starts with that plan — the next migration of a chain, whose plan is its
 * parent's and then itself — replays only what comes after it. Replaying
 * each file's whole plan made the previews of a large project quadratic (saleor: 1,400 migrations).
 */
const lastReplay = new WeakMap<ProjectView, { plan: readonly GraphNode[]; before: NameHistory; covered: NameHistory }>();

function recordNode(h: NameHistory, n: GraphNode): void {
  if (!n.migration) return;
  const before19 = n.migration.summary.namedBefore19 === true;
  for (const op of n.migration.summary.operations) if (op.args) h.record(n.key.app, op.args, before19);
}

/** Records on `h` the operations of every migration `node` comes after, in plan order (not its own). */
function replayPlan(view: ProjectView, node: GraphNode, h: NameHistory): void {
  const last = lastReplay.get(view);
  // The same file again (its preview with other operations, or with approximate names).
  if (last && last.plan[last.plan.length - 1] === node) {
    h.copyRecords(last.before);
    return;
  }
  const plan = view.graph.forwardsPlan(node);
  let from = 0;
  if (last && last.plan.length < plan.length && last.plan.every((n, i) => plan[i] === n)) {
    h.copyRecords(last.covered);
    from = last.plan.length;
  }
  for (let i = from; i < plan.length; i++) {
    const n = plan[i] as GraphNode;
    if (n !== node) recordNode(h, n);
  }
  const before = h.clone();
  const covered = h.clone();
  recordNode(covered, node);
  lastReplay.set(view, { plan, before, covered });
}

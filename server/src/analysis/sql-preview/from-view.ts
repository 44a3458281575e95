/**
 * The SQL preview of one migration file of a project view: the app's state before it, and models
 * of other apps read from the state after the migration's own dependency on that app (where
 * Django's makemigrations always records one for a foreign key). Django's own state, not the
 * database as the view models it: Django writes the SQL from its state, also where a
 * SeparateDatabaseAndState has moved the state away from the database (proved by
 * sql-preview-truth's 0012_after_state_only).
 */
import { keyId } from '../project/graph';
import { defaultTable, modelEntry, truncateName, type ModelEntry } from '../project/state';
import type { MigrationSummary } from '../project/summary';
import type { DatabaseNames, ProjectView } from '../project/view';
import type { TargetDatabase } from '../target-database';
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
    for (const n of node ? view.graph.forwardsPlan(node) : []) {
      if (n === node || !n.migration) continue;
      for (const op of n.migration.summary.operations) if (op.args) h.record(n.key.app, op.args, n.migration.summary.namedBefore19 === true);
    }
  });
  return previewMigration({ summary, app: migration.key.app, before: view.stateOf(file, 'before', 'state'), target, names, otherApp, history, ...(approximateNames ? { approximateNames } : {}) });
}

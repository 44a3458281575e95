/**
 * Whether a migration's schema operations make Django run SQL. An AlterField that changes only
 * what Django keeps in its state (choices, help_text, verbose_name, validators, …) runs none, and
 * neither does a RenameField that keeps its db_column or a RenameModel with a db_table: such a
 * migration "changes the schema" in name only, and atomic = False cannot let it half-apply. The
 * SQL preview of the project view tells (sql-preview/); without it, every schema operation counts.
 */
import type { MigrationModel } from '../migration-model';
import type { Operation } from '../operations';
import { previewFile } from '../sql-preview/from-view';
import type { OperationPreview } from '../sql-preview/preview';
import type { RuleContext } from './rule';

/** Operations whose SQL Django may leave empty (a change of validators, a db_column kept, a db_table given). */
export const MAYBE_NO_SQL: ReadonlySet<string> = new Set(['AlterField', 'RenameField', 'RenameModel', 'AlterModelTable', 'AlterUniqueTogether', 'AlterIndexTogether']);

/** Whether the SQL preview of one operation shows Django runs nothing for it (false when it could not preview it). */
export function previewRunsNoSql(p: OperationPreview | undefined): boolean {
  return !!p && p.cannotPreview === null && p.statements.length === 0 && p.deferred.length === 0;
}

/**
 * True when a schema operation of the migration (certain to run) makes Django run SQL, or may:
 * false only when the preview shows every one of them runs none. A per-file rule without the view
 * asks for it (`needsView`) when the answer could change.
 */
export function schemaRunsSql(model: MigrationModel, ctx: Pick<RuleContext, 'project' | 'target' | 'needsView'>): boolean {
  const known = answered.get(model);
  if (known && known.project === ctx.project) return known.runs;
  const runs = decide(model, ctx);
  answered.set(model, { project: ctx.project, runs });
  return runs;
}

/** Answers by migration read (rules ask once per loop), with the project they were asked with. */
const answered = new WeakMap<MigrationModel, { project: RuleContext['project']; runs: boolean }>();

function decide(model: MigrationModel, ctx: Pick<RuleContext, 'project' | 'target' | 'needsView'>): boolean {
  const schema = model.operations.filter((o) => o.isSchema && o.certain);
  if (schema.length === 0) return false;
  if (schema.some((o) => o.container !== null || !o.specName || !MAYBE_NO_SQL.has(o.specName))) return true;
  if (!ctx.project) {
    ctx.needsView?.('schema operations that may run no SQL');
    return true;
  }
  const view = ctx.project.view;
  const names = view?.databaseNames() ?? null;
  const migration = view?.migration(ctx.project.file) ?? null;
  // The view's reading of the file must be this one's, operation for operation.
  if (!view || !names || !migration || migration.summary.operations.length !== model.operations.length) return true;
  const preview = previewFile(view, ctx.project.file, ctx.target, names);
  const runsSql = (o: Operation): boolean => {
    return !previewRunsNoSql(preview?.operations[model.operations.indexOf(o)]);
  };
  return schema.some(runsSql);
}

/**
 * drop-table: DeleteModel of a managed, non-proxy model whose table existed before this migration.
 * Old code still running during a rolling deploy queries the table and fails once it is dropped;
 * drop the model from Django's state first, the table in a later release. A migration the project
 * runs only after the deploy (django-safemigrate's `Safe.after_deploy()`) has no old code left.
 */
import type { FieldSpec } from '../fields';
import { twoReleaseDropFixes } from '../fixes/two-release-drop';
import { columnOf, defaultTable } from '../project/state';
import type { OperationSummary } from '../project/summary';
import { dropTableLock } from './drop-column';
import type { ProjectRuleContext, Rule } from './rule';
import { goneFromCodeBefore, goneFromStateBefore, runsAfterDeploy, tableLabel, walkSchema, type SchemaStep } from './schema-walk';
import { reportSqlHazards } from './sql-hazards';
import { renamedInThisMigration } from './same-migration';

/**
 * Whether a CreateModel later in the same migration makes a table of the same name with the same
 * columns again (review 52: seqr `clickhouse_search/0041` deletes two models and creates them
 * again to move their storage): code of the previous release finds the table and every column it
 * names, so nothing it runs fails. Unknown columns on either side count as different.
 */
function tableRebuiltLater(ctx: ProjectRuleContext, step: SchemaStep): boolean {
  const gone = step.start ?? step.before;
  const table = gone ? defaultTable(gone) : undefined;
  const app = ctx.view && ctx.file ? ctx.view.keyOf(ctx.file)?.app : undefined;
  if (!gone || !table || !app) return false;
  const columns = (fields: Iterable<[string, FieldSpec | null]>): string[] | null => {
    const out: string[] = [];
    for (const field of fields) {
      const column = columnOf(field);
      if (column === undefined) return null;
      out.push(column ?? `m2m:${field[0]}`);
    }
    return out.sort();
  };
  const before = columns(gone.fields);
  if (!before) return false;
  const ops = ctx.summary.operations;
  for (let i = step.index + 1; i < ops.length; i++) {
    const op = ops[i] as OperationSummary;
    const a = op.args;
    if (a?.kind !== 'CreateModel' || op.databaseEffect !== 'normal' || !a.model || !a.fields || a.options.dbTable === undefined) continue;
    if ((a.options.dbTable ?? `${app}_${a.model.toLowerCase()}`).toLowerCase() !== table.toLowerCase()) continue;
    const after = columns(a.fields);
    return after !== null && after.join('\0') === before.join('\0');
  }
  return false;
}

/** Whether a CreateModel of this migration, before the step, makes a model of the name a RenameModel earlier in it took from the step's model. */
function recreatedUnderOldName(ctx: ProjectRuleContext, step: SchemaStep): boolean {
  const ops = ctx.summary.operations;
  let name = step.model;
  let renamedAt = -1;
  for (let i = step.index - 1; i >= 0 && name; i--) {
    const a = (ops[i] as OperationSummary).args;
    if (a?.kind === 'RenameModel' && a.newName?.toLowerCase() === name && a.model) {
      name = a.model.toLowerCase();
      renamedAt = i;
    }
  }
  if (renamedAt < 0 || !name) return false;
  return ops.slice(renamedAt + 1, step.index).some((op) => op.args?.kind === 'CreateModel' && op.container === null && op.args.model?.toLowerCase() === name && !op.args.options.dbTable);
}

export const dropTable: Rule = {
  meta: {
    id: 'drop-table',
    summary: 'DeleteModel drops an existing table while old code, still running during the deploy, queries it.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (runsAfterDeploy(ctx.summary)) return;
    walkSchema(ctx, (step) => {
      if (step.args.kind !== 'DeleteModel' || step.table !== 'existing') return;
      // Removed from the state a release ago (not renamed in this migration: the database had it under this name).
      if (step.start && goneFromStateBefore(ctx, step.model)) return;
      if (tableRebuiltLater(ctx, step)) return;
      // A table this migration renamed away and then created again under its old name, before dropping the
      // renamed one: old code still finds a table by the name it knows (what differs in it is rename-table's to
      // say), and none of it knows the dropped one's (review 64: tethys `tethys_apps/0002` renames
      // CustomSetting to OldCustomSetting, creates a new CustomSetting, copies the rows, deletes OldCustomSetting).
      if (renamedInThisMigration(ctx, step) && recreatedUnderOldName(ctx, step)) return;
      // The model's class had left the code a release before (asked last: it may read the project's history).
      if (goneFromCodeBefore(ctx, step.args.model ?? step.model)) return;
      const { fixes, refusal } = twoReleaseDropFixes(ctx, step);
      ctx.report({
        range: step.op.range,
        fixes,
        message:
          `DeleteModel drops existing table ${tableLabel(step)} of '${step.model}' (${dropTableLock(ctx.target)}): old code still running during the deploy queries it and fails. ` +
          `Stop using the model and remove it from Django's state in one release (a state-only DeleteModel in SeparateDatabaseAndState), and drop the table in the next.${refusal ? ` (No fix: ${refusal}.)` : ''}`,
      });
    });
    reportSqlHazards(ctx, 'drop-table');
  },
};

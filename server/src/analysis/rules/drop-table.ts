/**
 * drop-table: DeleteModel of a managed, non-proxy model whose table existed before this migration.
 * Old code still running during a rolling deploy queries the table and fails once it is dropped;
 * drop the model from Django's state first, the table in a later release. A migration the project
 * runs only after the deploy (django-safemigrate's `Safe.after_deploy()`) has no old code left.
 */
import { twoReleaseDropFixes } from '../fixes/two-release-drop';
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { dropLock } from './drop-column';
import { goneFromStateBefore, runsAfterDeploy, tableLabel, walkSchema } from './schema-walk';

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
      const { fixes, refusal } = twoReleaseDropFixes(ctx, step);
      ctx.report({
        range: step.op.range,
        fixes,
        message:
          `DeleteModel drops existing table ${tableLabel(step)} of '${step.model}' (${dropLock(ctx.target)}): old code still running during the deploy queries it and fails. ` +
          `Stop using the model and remove it from Django's state in one release (a state-only DeleteModel in SeparateDatabaseAndState), and drop the table in the next.${refusal ? ` (No fix: ${refusal}.)` : ''}`,
      });
    });
    reportSqlHazards(ctx, 'drop-table');
  },
};

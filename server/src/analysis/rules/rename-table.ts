/**
 * rename-table: RenameModel of a model without an explicit db_table, or AlterModelTable giving a
 * new table name, on an existing table. Old code still running during the deploy queries the old
 * name and fails at once; keeping the table (`db_table = '<old name>'` on the renamed model) costs
 * nothing.
 */
import { defaultTable } from '../project/state';
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { runsAfterDeploy, walkSchema } from './schema-walk';

export const renameTable: Rule = {
  meta: {
    id: 'rename-table',
    summary: 'RenameModel (or AlterModelTable) renames an existing table: old code still running breaks at once.',
    defaultSeverity: 'warning',
  },
  checkProject(ctx) {
    if (runsAfterDeploy(ctx.summary)) return; // no old code left to break (django-safemigrate)
    walkSchema(ctx, (step) => {
      const { args, before } = step;
      if (step.table !== 'existing' || !before) return;
      const from = defaultTable(before);
      let to: string | undefined;
      let label: string;
      if (args.kind === 'RenameModel') {
        if (!args.newName || before.options.dbTable !== null) return; // an explicit db_table stays
        to = defaultTable({ ...before, name: args.newName });
        label = `RenameModel '${args.model}' → '${args.newName}'`;
      } else if (args.kind === 'AlterModelTable') {
        if (args.table === undefined) return;
        to = defaultTable({ ...before, options: { ...before.options, dbTable: args.table } });
        label = 'AlterModelTable';
      } else return;
      if (!from || !to || from === to) return;
      // A name this migration gave the table (a RenameModel or AlterModelTable before): old code queries another.
      if (!step.start || defaultTable(step.start) !== from) return;
      ctx.report({
        range: step.op.range,
        message:
          `${label} renames existing table "${from}" to "${to}" (ALTER TABLE … RENAME, a brief ACCESS EXCLUSIVE lock): old code still running during the deploy queries "${from}" and fails at once. ` +
          `Keep the table: give the model \`db_table = "${from}"\` so nothing changes in the database.`,
      });
    });
    reportSqlHazards(ctx, 'rename-table');
  },
};

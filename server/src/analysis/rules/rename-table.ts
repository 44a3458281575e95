/**
 * rename-table: RenameModel of a model without an explicit db_table, or AlterModelTable giving a
 * new table name, on an existing table; RenameField of a many-to-many field whose join table
 * Django made (the table is named after the field), and AlterField of one that names its join table otherwise. Old code still running during the deploy queries the old
 * name and fails at once; keeping the table (`db_table = '<old name>'` on the renamed model) costs
 * nothing.
 */
import { defaultTable } from '../project/state';
import type { Rule } from './rule';
import { renameLock } from './drop-column';
import { columnBeforeTheMinute } from './same-migration';
import { reportSqlHazards } from './sql-hazards';
import { runsAfterDeploy, walkSchema } from './schema-walk';

export const renameTable: Rule = {
  meta: {
    id: 'rename-table',
    summary: 'RenameModel (or AlterModelTable) renames an existing table: old code still running breaks at once.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (runsAfterDeploy(ctx.summary)) return; // no old code left to break (django-safemigrate)
    walkSchema(ctx, (step) => {
      const { args, before } = step;
      if (step.table !== 'existing' || !before) return;
      const from = defaultTable(before);
      let to: string | undefined;
      let label: string;
      if (args.kind === 'RenameField') {
        // A many-to-many field's join table is named after the field: renaming the field renames it (NEMO 0099).
        const field = args.oldName ? before.fields.get(args.oldName) : undefined;
        if (!field || !args.oldName || !args.newName || !ctx.view || !step.start?.fields.has(args.oldName)) return;
        const oldJoin = ctx.view.joinTableName(before, args.oldName, field);
        const newJoin = ctx.view.joinTableName(before, args.newName, field);
        if (!oldJoin || !newJoin || oldJoin === newJoin || field.call?.kwargs['db_table'] !== undefined) return;
        // A field an earlier migration of the same release added: no old code knows its join table (review 70:
        // bornhack `teams/0006` renames `membersnew`, which `0005` of the same commit added).
        if (columnBeforeTheMinute(ctx, step, args.oldName) === false) return;
        ctx.report({
          range: step.op.range,
          message:
            `RenameField '${args.oldName}' → '${args.newName}' renames the join table of the many-to-many field, "${oldJoin}" to "${newJoin}" (ALTER TABLE … RENAME, ${renameLock(ctx.target)}): ` +
            `old code still running during the deploy queries "${oldJoin}" and fails at once. Keep the table: give the field \`db_table="${oldJoin}"\` so nothing changes in the database.`,
        });
        return;
      }
      if (args.kind === 'AlterField') {
        // A many-to-many field given another db_table (or none: the name Django makes from the field) renames
        // its join table (review 59: Geotrek's English names dropped `db_table="l_r_troncon_reseau"` and others).
        const field = args.name ? before.fields.get(args.name) : undefined;
        const started = args.name ? step.start?.fields.get(args.name) : undefined;
        if (!field || !args.name || !args.field || !ctx.view || !started) return;
        const oldJoin = ctx.view.joinTableName(before, args.name, field);
        const newJoin = ctx.view.joinTableName(before, args.name, args.field);
        if (!oldJoin || !newJoin || oldJoin === newJoin || ctx.view.joinTableName(step.start ?? before, args.name, started) !== oldJoin) return;
        if (columnBeforeTheMinute(ctx, step, args.name) === false) return;
        ctx.report({
          range: step.op.range,
          message:
            `AlterField '${args.name}' gives the many-to-many field's join table another name, "${oldJoin}" to "${newJoin}" (ALTER TABLE … RENAME, ${renameLock(ctx.target)}): ` +
            `old code still running during the deploy queries "${oldJoin}" and fails at once. Keep the table: give the field \`db_table="${oldJoin}"\` so nothing changes in the database.`,
        });
        return;
      }
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
          `${label} renames existing table "${from}" to "${to}" (ALTER TABLE … RENAME, ${renameLock(ctx.target)}): old code still running during the deploy queries "${from}" and fails at once. ` +
          `Keep the table: give the model \`db_table = "${from}"\` so nothing changes in the database.`,
      });
    });
    reportSqlHazards(ctx, 'rename-table');
  },
};

/**
 * rename-column: RenameField, or AlterField changing `db_column`, that renames a column of an
 * existing table. Old code still running during the deploy names the old column and fails at
 * once. Keeping the column is free: rename the field in Django's state only, with
 * `db_column='<old name>'`. A field that already had an explicit db_column keeps its column.
 */
import { fieldColumn } from '../fields';
import { renameFieldFixes } from '../fixes/rename-fixes';
import type { Fix } from '../types';
import type { Rule } from './rule';
import { renameLock } from './drop-column';
import { reportSqlHazards } from './sql-hazards';
import { columnAtStart, fieldBefore, runsAfterDeploy, tableLabel, walkSchema } from './schema-walk';
import { columnBeforeTheMinute, columnComesBack, columnReturnsAs } from './same-migration';

export const renameColumn: Rule = {
  meta: {
    id: 'rename-column',
    summary: 'RenameField (or a new db_column) renames a column of an existing table: old code still running breaks at once.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (runsAfterDeploy(ctx.summary)) return; // no old code left to break (django-safemigrate)
    walkSchema(ctx, (step) => {
      const { args } = step;
      if (step.table !== 'existing') return;
      let from: string | null | undefined;
      let to: string | null | undefined;
      let label: string;
      let keep = 'nothing changes in the database';
      let fixes: () => Fix[] = () => [];
      if (args.kind === 'RenameField') {
        const before = fieldBefore(step, args.oldName);
        if (!before || !args.newName || !args.oldName) return;
        from = fieldColumn(args.oldName, before);
        to = fieldColumn(args.newName, before);
        label = `RenameField '${args.oldName}' → '${args.newName}'`;
        const { model, newName } = args;
        fixes = () => (from && model ? renameFieldFixes(ctx, step.op, model, newName, before, from) : []);
      } else if (args.kind === 'AlterField') {
        const before = fieldBefore(step, args.name);
        if (!before || !args.field || !args.name) return;
        from = fieldColumn(args.name, before);
        to = fieldColumn(args.name, args.field);
        // A field turned into a foreign key (or back) renames its column by Django's `<name>_id` rule, not by db_column.
        const relationChanged = !!before.relation !== !!args.field.relation;
        label = relationChanged ? `AlterField '${args.name}' (${args.field.relation ? 'now a foreign key' : 'no longer a foreign key'})` : `AlterField '${args.name}' (db_column)`;
        if (relationChanged) keep = 'the column keeps its name; the rest of the change still runs';
      } else return;
      if (!from || !to || from === to) return;
      // A column this migration made (a new foreign key's `_id`, an earlier rename): no old code names it.
      if (columnAtStart(step, from) === false) return;
      // Nor one an earlier file of the same minute made: they ship together.
      if (columnBeforeTheMinute(ctx, step, from) === false) return;
      // Given back under the old name later in the migration: old code still finds a column "from".
      if (columnComesBack(ctx.summary, step, from)) return;
      // Given back under the old name later in the migration, for another kind of value (baserow `database/0093`: a UUID key, then an integer one).
      const returns = columnReturnsAs(ctx.summary, step, from);
      const fails = returns ? `the name "${from}" goes to a field of another kind later in this migration (${returns}), and old code still running during the deploy reads and writes it as the field it was, and fails` : `old code still running during the deploy names "${from}" and fails at once`;
      ctx.report({
        range: step.op.range,
        message:
          `${label} renames column "${from}" to "${to}" of existing table ${tableLabel(step)} (ALTER TABLE … RENAME COLUMN, ${renameLock(ctx.target)}): ` +
          (returns
            ? // The field given the name later would collide with a column kept under it (review 80: inyoka `portal/0028`, "column … already exists").
              `${fails}. Keep the column for the old code: give the new field a column of its own (\`db_column=\` another name), and drop the old column in a later release.`
            : `${fails}. Keep the column: rename the field with \`db_column="${from}"\` (${keep}).`),
        fixes: returns ? [] : fixes(),
      });
    });
    reportSqlHazards(ctx, 'rename-column');
  },
};

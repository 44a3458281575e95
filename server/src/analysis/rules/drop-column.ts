/**
 * drop-column: RemoveField on a table that existed before this migration. During a rolling deploy
 * the old code is still running, and Django's queries name every field of its models: each SELECT,
 * INSERT and UPDATE of the old code fails the moment the column is gone. The safe way is expand /
 * contract: remove the field from Django's state first (SeparateDatabaseAndState, after making the
 * column nullable if it is NOT NULL without a default), drop the column in a later release. A
 * migration the project runs only after the deploy (django-safemigrate's `Safe.after_deploy()`)
 * has no old code left to break. A column this migration made, or gives back, is no concern; nor is
 * one of a table the same migration then drops (the drop-table finding says it).
 */
import { twoReleaseDropFixes } from '../fixes/two-release-drop';
import type { TargetDatabase } from '../target-database';
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { djangoMadeJoinTable, fieldColumn } from '../fields';
import { columnBeforeTheMinute } from './same-migration';
import { columnAtStart, fieldBefore, forVendor, goneFromCodeBefore, goneFromStateBefore, runsAfterDeploy, tableLabel, walkSchema } from './schema-walk';
import { addedInstead, columnComesBack, columnReturnsAs, tableDroppedLater } from './same-migration';

export function dropLock(target: TargetDatabase): string {
  return forVendor(target, { postgresql: 'ACCESS EXCLUSIVE lock, brief', mysql: 'a metadata lock, and the table may be copied', sqlite: 'Django rebuilds the table' });
}

/** The lock a DROP TABLE takes, as the target's database takes it (no copy: nothing is left to copy; review 64). */
export function dropTableLock(target: TargetDatabase): string {
  return forVendor(target, { postgresql: 'ACCESS EXCLUSIVE lock, brief', mysql: 'an exclusive metadata lock, brief', sqlite: "the database's write lock, brief" });
}

/** The lock an `ALTER TABLE … RENAME` (of a table or a column) takes on the target's database (review 64: a MySQL run was told PostgreSQL's). */
export function renameLock(target: TargetDatabase): string {
  return forVendor(target, { postgresql: 'a brief ACCESS EXCLUSIVE lock', mysql: 'a brief exclusive metadata lock', sqlite: "the database's write lock" });
}

export const dropColumn: Rule = {
  meta: {
    id: 'drop-column',
    summary: 'RemoveField drops a column of an existing table while old code, still running during the deploy, selects it.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (runsAfterDeploy(ctx.summary)) return;
    walkSchema(ctx, (step) => {
      const { args } = step;
      if (args.kind !== 'RemoveField' || step.table !== 'existing' || !args.name) return;
      if (!step.before?.fields.has(args.name)) return; // a field we never saw added: its column is unknown
      const field = fieldBefore(step, args.name);
      if (!step.start?.fields.has(args.name)) return; // made in this migration: no old code knows it
      if (goneFromStateBefore(ctx, step.model, args.name)) return; // removed from the state a release ago
      const column = field ? fieldColumn(args.name, field) : undefined;
      if (column && columnAtStart(step, column) === false) return;
      // Nor one an earlier file of the same minute made: they ship together (review 56: janeway `core/0106`).
      if (columnBeforeTheMinute(ctx, step, column ?? args.name) === false) return;
      const m2m = field?.relation?.kind === 'many-to-many';
      // A field of a class we cannot read keeps its name as the column, as good as we know. A
      // many-to-many field has no column: a field of its name added back (an ArrayField, review 29:
      // pydis-site `api/0053`) does not bring its join table back.
      if (!m2m && columnComesBack(ctx.summary, step, column ?? args.name)) return;
      if (tableDroppedLater(ctx.summary, step)) return;
      // Django drops a join table only when it made it: one with an explicit `through` model (or one
      // we cannot read) stays, and the RemoveField runs no SQL (bookwyrm 0239).
      if (m2m && field?.relation && djangoMadeJoinTable(field.relation) !== true) return;
      // The field (or its model) had left the code a release before (asked last: it may read the project's history).
      if (goneFromCodeBefore(ctx, args.model ?? step.model, args.name)) return;
      // A foreign key's column is `<name>_id` (or its db_column): name what the database drops.
      const what = m2m ? `drops the join table of many-to-many '${args.name}'` : column && column !== args.name ? `drops column '${column}' (field '${args.name}')` : `drops column '${args.name}'`;
      // A join table has no column of the model's to make nullable.
      const how = m2m ? 'a state-only RemoveField in SeparateDatabaseAndState), and drop the join table in the next' : 'a state-only RemoveField in SeparateDatabaseAndState, after making the column nullable if it is NOT NULL), and drop it in the next';
      const { fixes, refusal } = twoReleaseDropFixes(ctx, step);
      // Given back under its name later in the migration, for another kind of value (a text column back as an array).
      const returns = m2m ? null : columnReturnsAs(ctx.summary, step, column ?? args.name);
      const fails = returns
        ? `its name goes to a field of another kind later in this migration (${returns}), and old code still running during the deploy reads and writes it as the field it was, and fails`
        : 'old code still running during the deploy names it in its queries and fails';
      // Removed and added back under another name: a rename that loses the data, which RenameField would keep.
      const instead = !returns && !m2m && field ? addedInstead(ctx.summary, step, field) : null;
      const renamed = instead
        ? ` This migration also adds '${instead}', a ${field?.cls} like it: if that is this field renamed, the values '${args.name}' holds are lost — a RenameField keeps them (makemigrations asks "Did you rename …?" only when nothing else about the field changed).`
        : '';
      ctx.report({
        range: step.op.range,
        // The two-release removal keeps the old column, which the field given back would then have to share.
        fixes: returns ? [] : fixes,
        message:
          `RemoveField ${what} of existing table ${tableLabel(step)} (${dropLock(ctx.target)}): ${fails}. ` +
          (returns
            ? 'Instead, give the new field a column of its own (another name, or `db_column`) in one release, switch the code over to it, and drop the old column in the next.'
            : `Remove the field from the model in one release (${how}.`) +
          `${refusal && !returns ? ` (No fix: ${refusal}.)` : ''}${renamed}`,
      });
    });
    reportSqlHazards(ctx, 'drop-column');
  },
};

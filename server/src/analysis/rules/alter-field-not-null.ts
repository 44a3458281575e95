/**
 * alter-field-not-null: AlterField that makes a nullable column NOT NULL on an existing table.
 * PostgreSQL checks every row while holding an ACCESS EXCLUSIVE lock (no reads, no writes) unless a
 * validated `CHECK (col IS NOT NULL)` constraint already proves it (PostgreSQL 12+); MySQL copies the
 * table; SQLite rebuilds it. Needs the field as it was before this migration; unknown is silence.
 */
import { alterFieldFixes } from '../fixes/not-null-steps';
import { postgresqlAtLeast, type TargetDatabase } from '../target-database';
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { alteredField, forVendor, hasColumn, tableLabel, walkSchema } from './schema-walk';
import { columnBeforeTheMinute } from './same-migration';
import { fieldColumn } from '../fields';

function how(target: TargetDatabase): string {
  return forVendor(target, {
    postgresql: postgresqlAtLeast(target, 12)
      ? 'PostgreSQL scans every row under an ACCESS EXCLUSIVE lock (no reads, no writes) to check it. Add a `CHECK (col IS NOT NULL) NOT VALID` constraint, VALIDATE it (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on), then SET NOT NULL (no scan once the check is valid) and drop the check — in SeparateDatabaseAndState, so Django\'s state ends the same'
      : `PostgreSQL ${target.postgresqlVersion} scans every row under an ACCESS EXCLUSIVE lock (no reads, no writes) to check it, and only from PostgreSQL 12 can a validated CHECK constraint spare that scan`,
    mysql: 'MySQL rebuilds the table to change the column, blocking writes meanwhile',
    sqlite: 'SQLite has Django rebuild the whole table',
  });
}

export const alterFieldNotNull: Rule = {
  meta: {
    id: 'alter-field-not-null',
    summary: 'AlterField makes a nullable column NOT NULL on an existing table: the database checks every row while holding its lock.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    walkSchema(ctx, (step) => {
      const altered = alteredField(step);
      if (!altered) return;
      const { name, before, after } = altered;
      if (before.null !== true || after.null !== false) return;
      if (!hasColumn(after) || !hasColumn(before) || after.relation === undefined) return;
      const fill = after.default !== 'NOT_PROVIDED' && after.default !== undefined ? ' Django first UPDATEs the rows that are NULL to the default, in the same transaction.' : '';
      const { fixes, refusal } = alterFieldFixes(ctx, step, name, after);
      // A column old code does not know (this migration added it, or an earlier one of its release): its INSERTs
      // leave it out, NULL, and fail once it is NOT NULL — unless the database fills it (review 73: care
      // `facility/0447` adds `taken_at`, fills it and sets NOT NULL in one migration).
      const column = fieldColumn(name, after) ?? name;
      const here = step.start !== null && !step.start.fields.has(name);
      const newToOldCode = here || (step.start !== null && columnBeforeTheMinute(ctx, step, column) === false);
      const filled = after.dbDefault !== undefined && after.dbDefault !== 'NOT_PROVIDED';
      const inserts =
        newToOldCode && !filled
          ? ` And the previous release's code does not know '${name}' (${here ? 'this migration adds it' : 'an earlier migration of this release adds it'}): its INSERTs leave it NULL, and fail once it is NOT NULL — make it NOT NULL in a later release, once the code that fills it is deployed, or give it a database default (db_default, Django 5.0+).`
          : '';
      ctx.report({
        range: step.op.range,
        message: `AlterField makes '${name}' of '${step.model}' NOT NULL on existing table ${tableLabel(step)}: ${how(ctx.target)}.${fill}${inserts}${refusal ? ` (No fix: ${refusal}.)` : ''}`,
        fixes,
      });
    });
    reportSqlHazards(ctx, 'alter-field-not-null');
  },
};

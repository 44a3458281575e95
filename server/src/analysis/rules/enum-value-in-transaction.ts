/**
 * enum-value-in-transaction— see docs/rules/enum-value-in-transaction.md. A RunSQL-only rule: the statements are found by sql-sites.ts and
 * judged by sql-hazards.ts with the SQL side of the schema-hazard rules.
 */
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';

export const enumValueInTransaction: Rule = {
  meta: {
    id: 'enum-value-in-transaction',
    summary: "ALTER TYPE … ADD VALUE runs inside the migration's transaction: PostgreSQL before 12 refuses it, and no version lets the same transaction use the new value.",
    defaultSeverity: 'error',
    followsDatabase: true,
  },
  checkProject(ctx) {
    reportSqlHazards(ctx, 'enum-value-in-transaction');
  },
};

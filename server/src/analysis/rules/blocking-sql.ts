/**
 * blocking-sql— see docs/rules/blocking-sql.md. A RunSQL-only rule: the statements are found by sql-sites.ts and
 * judged by sql-hazards.ts with the SQL side of the schema-hazard rules.
 */
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';

export const blockingSql: Rule = {
  meta: {
    id: 'blocking-sql',
    summary: 'RunSQL runs a statement that blocks reads or writes for as long as it takes: VACUUM FULL, CLUSTER, LOCK TABLE, REINDEX without CONCURRENTLY, and the like.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    reportSqlHazards(ctx, 'blocking-sql');
  },
};

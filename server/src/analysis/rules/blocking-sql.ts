/**
 * blocking-sql— see docs/rules/blocking-sql.md. The statements of RunSQL are found by sql-sites.ts and
 * judged by sql-hazards.ts with the SQL side of the schema-hazard rules; the one operation Django
 * turns into such a statement is judged here: an AddField of a GeneratedField (Django 5.0), which
 * PostgreSQL stores, computing it for every row of the table.
 */
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { tableDroppedLater, tableLabel, walkSchema } from './schema-walk';

export const blockingSql: Rule = {
  meta: {
    id: 'blocking-sql',
    summary: 'A statement that blocks reads or writes for as long as it takes: VACUUM FULL, CLUSTER, LOCK TABLE, REINDEX without CONCURRENTLY, a stored generated column added to a table, and the like.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (ctx.target.vendor === 'postgresql') {
      walkSchema(ctx, (step) => {
        const { args } = step;
        if (args.kind !== 'AddField' || step.table !== 'existing' || !args.field || args.field.cls !== 'GeneratedField') return;
        if (args.field.path && !args.field.path.startsWith('django.')) return;
        if (tableDroppedLater(ctx.summary, step)) return;
        ctx.report({
          range: step.op.range,
          message:
            `AddField '${args.name ?? 'the field'}' on '${step.model}' adds a stored generated column to existing table ${tableLabel(step)}: ` +
            'PostgreSQL computes it for every row, rewriting the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes) until the migration commits. ' +
            'On a large table, add a plain nullable column instead, fill it in batches (a trigger or the application keeps it current), or add the generated column in a maintenance window.',
          fixes: [],
        });
      });
    }
    reportSqlHazards(ctx, 'blocking-sql');
  },
};

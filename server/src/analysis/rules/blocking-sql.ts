/**
 * blocking-sql— see docs/rules/blocking-sql.md. The statements of RunSQL are found by sql-sites.ts and
 * judged by sql-hazards.ts with the SQL side of the schema-hazard rules; the operations Django turns
 * into such a statement are judged here: an AddField of a GeneratedField (Django 5.0), which
 * PostgreSQL stores, computing it for every row of the table, or of an auto-increment field.
 */
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { tableLabel, walkSchema } from './schema-walk';
import { tableDroppedLater } from './same-migration';

/** Django's auto-increment fields: `serial` (identity from Django 4.1) columns, filled for every existing row. */
const AUTO_FIELDS: ReadonlySet<string> = new Set(['AutoField', 'BigAutoField', 'SmallAutoField']);

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
        if (args.kind !== 'AddField' || step.table !== 'existing' || !args.field) return;
        const cls = args.field.cls;
        if (cls !== 'GeneratedField' && !AUTO_FIELDS.has(cls)) return;
        if (args.field.path && !args.field.path.startsWith('django.')) return;
        if (tableDroppedLater(ctx.summary, step)) return;
        const name = args.name ?? 'the field';
        ctx.report({
          range: step.op.range,
          message:
            cls === 'GeneratedField'
              ? `AddField '${name}' on '${step.model}' adds a stored generated column to existing table ${tableLabel(step)}: ` +
                'PostgreSQL computes it for every row, rewriting the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes) until the migration commits. ' +
                'On a large table, add a plain nullable column instead, fill it in batches (a trigger or the application keeps it current), or add the generated column in a maintenance window.'
              : `AddField '${name}' on '${step.model}' adds an auto-increment column (${cls}) to existing table ${tableLabel(step)}: ` +
                'PostgreSQL fills it from its sequence for every row, rewriting the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes), and builds its index meanwhile. ' +
                'On a large table, add it nullable with a default from a sequence set afterwards, fill it in batches, then make it the key in a maintenance window (review 29: pydis-site api/0036).',
          fixes: [],
        });
      });
    }
    reportSqlHazards(ctx, 'blocking-sql');
  },
};

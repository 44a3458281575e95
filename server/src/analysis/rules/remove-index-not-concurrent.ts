/**
 * remove-index-not-concurrent: an index dropped on an existing table without CONCURRENTLY —
 * RemoveIndex, AlterField dropping `db_index` or `unique`, RemoveConstraint of a unique constraint,
 * AlterUniqueTogether / AlterIndexTogether removing groups. DROP INDEX (and DROP CONSTRAINT) take
 * an ACCESS EXCLUSIVE lock: brief, but queued behind every running query, with every later query
 * queued behind it. PostgreSQL only (`RemoveIndexConcurrently` exists nowhere else).
 */
import { indexFixes, indexFixNote } from '../fixes/index-fixes';
import type { Rule } from './rule';
import { beforeNonAtomicMigrations, reportSqlHazards } from './sql-hazards';
import type { MigrationSummary } from '../project/summary';
import { fieldBefore, fieldIndex, tableLabel, walkSchema, type SchemaStep } from './schema-walk';
import { tableDroppedLater } from './same-migration';
import { heldBefore } from './held-lock';

const LOCK = 'it takes an ACCESS EXCLUSIVE lock on the table, and while it waits for running queries to finish every new read and write queues behind it';


export const removeIndexNotConcurrent: Rule = {
  meta: {
    id: 'remove-index-not-concurrent',
    summary: 'An index is dropped on an existing table without CONCURRENTLY: the ACCESS EXCLUSIVE lock queues every query behind it.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (ctx.target.vendor !== 'postgresql') return;
    const report = (step: SchemaStep, what: string, fix: string) => {
      const message = `${what} on existing table ${tableLabel(step)}: ${LOCK}. Instead, ${fix}.${indexFixNote(ctx, step.op)}`;
      // A constraint dropped at a quiet time needs no CONCURRENTLY: only the index advice changes before Django 1.10.
      const old = /CONCURRENTLY/.test(fix) ? beforeNonAtomicMigrations(ctx.target, message, 'drop') : null;
      ctx.report({ range: step.op.range, message: old ?? message, fixes: old ? [] : indexFixes(ctx, step.op) });
    };
    const sql = 'drop it with `DROP INDEX CONCURRENTLY` in RunSQL (atomic = False) inside SeparateDatabaseAndState, keeping Django\'s operation as its state side';
    // `unique=True` and unique_together are constraints (ALTER TABLE … ADD CONSTRAINT … UNIQUE): PostgreSQL
    // refuses DROP INDEX on the index behind one, so there is no concurrent way (nautobot dcim/0036).
    const constraint = 'drop the constraint at a quiet time with a short lock_timeout, retrying';
    walkSchema(ctx, (step) => {
      // An index of a table the migration then drops goes with it: the drop-table finding says so.
      if (step.table !== 'existing' || tableDroppedLater(ctx.summary, step)) return;
      // An earlier operation of the migration holds the table's ACCESS EXCLUSIVE lock until it commits: the drop
      // queues behind nothing new (review 79: pontoon `base/0024`, `0083`, kpi `0042`). That operation is the one to move.
      if (heldBefore(ctx, step)?.kind === 'held') return;
      const { args } = step;
      // An index on a column the migration then drops goes with that column, under the same lock: drop-column's finding (takahe users/0019).
      let dropped: Set<string> | null = null;
      const goesWithAColumn = (fields: ReadonlyArray<string> | null | undefined): boolean => {
        if (!fields) return false;
        dropped ??= fieldsDroppedLater(ctx.summary, step);
        const later = dropped;
        return fields.some((f) => later.has(f.replace(/^-/, '')));
      };
      switch (args.kind) {
        case 'RemoveIndex':
          if (args.concurrently) return;
          if (step.start?.options.indexes && !step.start.options.indexes.some((x) => x.name === args.name)) return; // added in this migration
          if (goesWithAColumn(step.before?.options.indexes?.find((x) => x.name === args.name)?.fields)) return;
          return report(step, `RemoveIndex '${args.name ?? '…'}' drops an index`, 'use `RemoveIndexConcurrently` (django.contrib.postgres.operations) in a migration with `atomic = False`');
        case 'AlterField': {
          if (!args.field) return;
          const before = fieldBefore(step, args.name);
          if (!before || before.primaryKey || args.field.primaryKey !== false) return;
          const was = fieldIndex(before);
          const now = fieldIndex(args.field);
          const atStart = step.start?.fields.get(args.name ?? '');
          if (step.start && (!atStart || fieldIndex(atStart) !== was)) return; // the index is this migration's own
          if (was === undefined || now === undefined || was === now || was === 'none') return;
          if (was === 'index' && now === 'unique') return; // an index replaced by a unique one: add-index-not-concurrent's
          return report(step, `AlterField '${args.name}' drops its ${was === 'unique' ? 'unique constraint' : 'index'}`, was === 'unique' ? constraint : sql);
        }
        case 'RemoveConstraint': {
          const c = step.before?.options.constraints?.find((x) => x.name === args.name);
          if (!c || c.kind !== 'unique' || goesWithAColumn(c.fields)) return;
          if (step.start?.options.constraints && !step.start.options.constraints.some((x) => x.name === args.name)) return;
          return report(step, `RemoveConstraint '${args.name}' drops a unique index`, c.partial || c.fields === null ? sql : constraint);
        }
        case 'AlterTogether': {
          const before = step.before ? (args.option === 'unique_together' ? step.before.options.uniqueTogether : step.before.options.indexTogether) : null;
          if (!before || !args.groups) return;
          const now = new Set(args.groups.map((g) => JSON.stringify(g)));
          const start = step.start ? (args.option === 'unique_together' ? step.start.options.uniqueTogether : step.start.options.indexTogether) : null;
          const old = start ? new Set(start.map((g) => JSON.stringify(g))) : null;
          // Groups this migration added and drops again were never the previous release's.
          // A group with a field the migration then drops goes with that column, under the drop-column finding (bookwyrm 0016).
          const removed = before.filter((g) => !now.has(JSON.stringify(g)) && (!old || old.has(JSON.stringify(g))) && !goesWithAColumn(g));
          if (removed.length === 0) return;
          return report(step, `${args.option === 'unique_together' ? 'AlterUniqueTogether' : 'AlterIndexTogether'} drops ${removed.map((g) => `(${g.join(', ')})`).join(', ')}`, args.option === 'unique_together' ? constraint : sql);
        }
        default:
          return;
      }
    });
    reportSqlHazards(ctx, 'remove-index-not-concurrent');
  },
};

/** The fields of the step's model that RemoveFields later in the same migration drop from the database. */
function fieldsDroppedLater(summary: MigrationSummary, step: SchemaStep): Set<string> {
  const out = new Set<string>();
  for (const op of summary.operations.slice(step.index + 1)) {
    const a = op.args;
    if (a?.kind === 'RemoveField' && op.databaseEffect === 'normal' && a.model?.toLowerCase() === step.model && a.name) out.add(a.name);
  }
  return out;
}

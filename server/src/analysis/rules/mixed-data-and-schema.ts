/**
 * mixed-data-and-schema: data operations (RunPython doing work, RunSQL with DML) and schema
 * operations in one migration, hence in one transaction. A warning when a schema change touches a
 * table that existed before; information when it only touches tables this migration creates.
 */
import type { BranchStep, Operation } from '../operations';
import { rangeOf } from '../syntax';
import type { RelatedLocation } from '../types';
import type { Rule } from './rule';

/** Two operations can both run unless they sit in different arms of the same conditional. */
function compatible(a: BranchStep[], b: BranchStep[]): boolean {
  for (const x of a) for (const y of b) if (x.id === y.id && x.arm !== y.arm) return false;
  return true;
}

function label(op: Operation): string {
  return op.targetModel && op.spec?.role !== 'run-sql' ? `${op.name} on '${op.targetModel}'` : op.name;
}

export const mixedDataAndSchema: Rule = {
  meta: {
    id: 'mixed-data-and-schema',
    summary: 'One migration (one transaction) runs both data operations and schema operations.',
    defaultSeverity: 'warning',
  },
  check(ctx) {
    const ops = ctx.model.operations.filter((o) => o.certain);
    const created = new Set(ops.map((o) => o.createsModel).filter((m): m is string => !!m));
    const touchesOld = (o: Operation) => o.touchesExistingTable && !(o.targetModel && created.has(o.targetModel));
    for (const data of ops.filter((o) => o.isData)) {
      const schema = ops.filter((s) => s.isSchema && compatible(data.branches, s.branches));
      if (schema.length === 0) continue;
      const old = schema.filter(touchesOld);
      const severity = old.length > 0 ? 'warning' : 'information';
      const shown = (old.length > 0 ? old : schema).filter((s) => s !== data);
      const related: RelatedLocation[] = shown.slice(0, 5).map((s) => ({
        range: rangeOf(s.callee),
        message: `schema operation: ${label(s)}`,
      }));
      const names = [...new Set(shown.map(label))].slice(0, 3).join(', ') || 'its own DDL';
      const message =
        severity === 'warning'
          ? `${data.name} changes data in the same migration — the same transaction — as schema changes to existing tables (${names}). ` +
            `The ALTER waits for the data work to finish while queued for an ACCESS EXCLUSIVE lock, so every query on the table waits too. ` +
            `Move the data operations into a migration of their own.`
          : `${data.name} changes data in the same migration as schema operations (${names}); they only touch tables created here, ` +
            `so nothing live is locked, but keeping data and schema migrations apart keeps both easy to roll back.`;
      ctx.report({ range: rangeOf(data.callee), severity, message, related });
      return; // one finding per migration: the fix (a split) is per file
    }
  },
};

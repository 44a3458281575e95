/**
 * mixed-data-and-schema: data operations (RunPython doing work, RunSQL with DML) and schema
 * operations in one migration, hence in one transaction. A warning when a schema change touches a
 * table that existed before; information when it only touches tables this migration creates.
 */
import { operationKinds } from '../operation-kinds';
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
  if (op.runSql?.sql) {
    const ddl = op.runSql.sql.statements.find((st) => st.cls === 'ddl-existing' || st.cls === 'ddl-new');
    if (ddl) {
      const head = ddl.code.replace(/\s+/g, ' ').split(' ').slice(0, 4).join(' ');
      return `${op.name} "${head}${ddl.code.length > head.length ? ' …' : ''}"`;
    }
  }
  return op.targetModel ? `${op.name} on '${op.targetModel}'` : op.name;
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
    const kinds = operationKinds(ctx.index);
    const isData = kinds.isData;
    const isSchema = kinds.isSchema;
    const touchesOld = (o: Operation) => kinds.touchesExistingTable(o) && !(o.targetModel && created.has(o.targetModel));
    for (const data of ops.filter(isData)) {
      const schema = ops.filter((s) => isSchema(s) && compatible(data.branches, s.branches));
      if (schema.length === 0) continue;
      const old = schema.filter(touchesOld);
      const severity = old.length > 0 ? 'warning' : 'information';
      const shown = (old.length > 0 ? old : schema).filter((s) => s !== data);
      const related: RelatedLocation[] = shown.slice(0, 5).map((s) => ({
        range: rangeOf(s.callee),
        message: `schema operation: ${label(s)}`,
      }));
      const names = [...new Set(shown.map(label))].slice(0, 3).join(', ') || label(data);
      const message =
        severity === 'warning'
          ? `${data.name} changes data in the same migration — the same transaction — as schema changes to existing tables (${names}). ` +
            `The ALTER waits for the data work to finish while queued for an ACCESS EXCLUSIVE lock, so every query on the table waits too. ` +
            `Move the data operations into a migration of their own.`
          : `${data.name} changes data in the same migration as schema operations (${names}) that only create new tables or touch ` +
            `no existing table, so the DDL takes no lock on a live table; keeping data and schema migrations apart still keeps both easy to roll back.`;
      ctx.report({ range: rangeOf(data.callee), severity, message, related });
      return; // one finding per migration: the fix (a split) is per file
    }
  },
};

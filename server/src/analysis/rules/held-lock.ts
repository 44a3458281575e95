/**
 * Whether an earlier operation of the same (atomic) migration already holds an ACCESS EXCLUSIVE lock on
 * the table a schema step touches: the lock lasts until the migration commits, so a later statement on
 * the table queues behind nothing new (an index drop adds no wait), and a later build holds every reader
 * off for its whole length (add-index-not-concurrent words that). Read from the lock preview of the
 * earlier operations on the same model, and, where the preview cannot write their SQL, from what they
 * are: an AddField or RemoveField of a column alters the table whatever its details.
 */
import { fixContext } from '../fixes/fix-context';
import type { ProjectRuleContext } from './rule';
import { hasColumn, tableLabel, type SchemaStep } from './schema-walk';

export type HeldLock =
  /** An earlier operation takes the lock: `name` is its operation's name. */
  | { kind: 'held'; name: string; column: boolean }
  /** An earlier operation on the table whose SQL is not known may take it. */
  | { kind: 'maybe'; name: string }
  | null;

export function heldBefore(ctx: ProjectRuleContext, step: SchemaStep): HeldLock {
  const table = tableLabel(step);
  if (ctx.summary.atomic === false || !table.startsWith('"')) return null;
  // The preview only where an earlier operation of this migration is on the same model (most files have none).
  const same = ctx.summary.operations.slice(0, step.index).flatMap((o, i) => (o.args && 'model' in o.args && o.args.model?.toLowerCase() === step.model ? [i] : []));
  if (same.length === 0) return null;
  // Which locks they take, not what the statements name: the preview under today's names where the real ones cannot be known.
  const previews = fixContext(ctx).lockPreview()?.operations ?? [];
  // An ALTER TABLE of it, or a DROP INDEX of one of its indexes (a RemoveIndex: review 47, allauth `account/0007`).
  const earlier = same.map((i) => previews[i]).find((o) => o?.statements.some((x) => x.lock.lock === 'ACCESS EXCLUSIVE' && (x.sql.startsWith(`ALTER TABLE ${table} `) || x.sql.startsWith('DROP INDEX '))));
  if (earlier) return { kind: 'held', name: earlier.name, column: false };
  // Earlier operations on the table whose SQL the preview does not know: an AddField or RemoveField of a column
  // alters the table whatever its details; an index build takes SHARE; anything else (one arm of a condition:
  // allauth `account/0003`'s AlterUniqueTogether, review 47) may hold ACCESS EXCLUSIVE.
  const unread = same.filter((i) => {
    const o = previews[i];
    return !o || (o.cannotPreview !== null && o.statements.length === 0);
  });
  const ops = ctx.summary.operations;
  const column = unread.find((i) => {
    const o = ops[i];
    const a = o?.args;
    return !!o && o.certain && o.branches.length === 0 && o.databaseEffect === 'normal' && (a?.kind === 'AddField' || a?.kind === 'RemoveField') && (a.kind === 'RemoveField' || (!!a.field && hasColumn(a.field)));
  });
  if (column !== undefined) return { kind: 'held', name: ops[column]?.name ?? 'operation', column: true };
  const maybe = unread.find((i) => !['AddIndex', 'AddIndexConcurrently'].includes(ops[i]?.specName ?? '') && ops[i]?.databaseEffect !== 'none');
  return maybe !== undefined ? { kind: 'maybe', name: ops[maybe]?.name ?? 'operation' } : null;
}

/**
 * missing-atomic-false: the migration runs in a transaction (atomic is not False) but contains
 * work PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY, AddIndexConcurrently, ...), an
 * error; or RunPython code that batches its writes, whose batches the transaction would hold
 * until the very end, a warning.
 */
import type { CodeIndex, LoopFacts, UnitFacts } from '../code-facts';
import { iteratesInBatches } from '../iterables';
import type { Operation } from '../operations';
import { rangeOf, spanRange } from '../syntax';
import { runPythonUnits } from './runpython-units';
import { lineOf, type Rule } from './rule';

const BULK_WRITES = new Set(['update', 'queryset-delete', 'bulk', 'sql']);

/** Why a loop counts as batching its writes, or null. */
export function batchingEvidence(loop: LoopFacts, facts: UnitFacts, index: CodeIndex): string | null {
  const helperWrites = facts.helperCalls.some((h) => isInside(h.loop, loop) && index.reachable(h.target).some(hasAnyWrite));
  if (loop.allWrites.length === 0 && !helperWrites) return null;
  const bulk = loop.allWrites.some((w) => BULK_WRITES.has(w.kind)) || helperWrites;
  if (loop.hasCommit) return 'commits every batch';
  const how = iteratesInBatches(loop.iterable);
  if (how === 'window') return 'walks id/offset windows with range(start, stop, step)';
  if (how === 'chunks') return 'iterates in chunks';
  if (how === 'iterator' && bulk) return 'writes in bulk while streaming with iterator()';
  if (loop.hasSlice && (bulk || loop.kind === 'while')) return 'processes slices of a queryset';
  if (loop.hasLimitSql) return 'repeats a LIMIT query';
  return null;
}

function isInside(inner: LoopFacts | null, outer: LoopFacts): boolean {
  for (let l = inner; l; l = l.parent) if (l === outer) return true;
  return false;
}

function hasAnyWrite(f: UnitFacts): boolean {
  return f.directWrites.length > 0 || f.loops.some((l) => l.allWrites.length > 0);
}

function outermostBatching(facts: UnitFacts, index: CodeIndex): { loop: LoopFacts; why: string } | null {
  for (const loop of facts.loops) {
    const why = batchingEvidence(loop, facts, index);
    if (why) return { loop, why };
  }
  return null;
}

export const missingAtomicFalse: Rule = {
  meta: {
    id: 'missing-atomic-false',
    summary: 'The migration runs in a transaction but needs atomic = False (CONCURRENTLY, or batched data work).',
    defaultSeverity: 'error',
  },
  check(ctx) {
    const { model } = ctx;
    const atomic = model.atomic.value;
    if (atomic === 'unknown') return;
    const migrationAtomic = atomic !== false;
    const atomicNote = model.atomic.statement ? [{ range: rangeOf(model.atomic.statement), message: 'atomic is set here' }] : [];
    if (migrationAtomic) {
      for (const op of model.operations) {
        if (!op.certain) continue;
        if (op.nonTransactional) {
          ctx.report({
            range: rangeOf(op.callee),
            severity: 'error',
            message:
              `${op.nonTransactional} cannot run inside a transaction block, and Django wraps this migration in one: ` +
              `PostgreSQL will refuse it. Set atomic = False on the Migration class.`,
            related: atomicNote,
          });
        } else if (op.reverseNonTransactional) {
          ctx.report({
            range: rangeOf(op.callee),
            severity: 'error',
            message:
              `The reverse SQL runs ${op.reverseNonTransactional}, which cannot run inside a transaction block, and Django wraps this ` +
              `migration in one: rolling it back will fail on PostgreSQL. Set atomic = False on the Migration class.`,
            related: atomicNote,
          });
        }
      }
    }
    const reported = new Set<Operation>();
    for (const { op, unit } of runPythonUnits(model)) {
      if (reported.has(op)) continue;
      const inTransaction = migrationAtomic || op.runPython?.atomicArg === true;
      if (!inTransaction) continue;
      for (const facts of ctx.index.reachable(unit)) {
        const hit = outermostBatching(facts, ctx.index);
        if (!hit) continue;
        reported.add(op);
        const header = hit.loop.iterable && hit.loop.kind === 'for' ? spanRange(hit.loop.node, hit.loop.iterable) : rangeOf(hit.loop.header);
        const wrapper = migrationAtomic ? 'the migration runs in one transaction' : `${op.name}(atomic=True) wraps it in one transaction`;
        ctx.report({
          range: rangeOf(op.callee),
          severity: 'warning',
          message:
            `The code this ${op.name} runs batches its writes (the loop at line ${lineOf(hit.loop.node)} ${hit.why}), but ${wrapper}, ` +
            `so no batch commits and every lock is held until the end. ` +
            (migrationAtomic ? 'Set atomic = False so each batch commits on its own.' : 'Drop atomic=True so each batch commits on its own.'),
          related: [{ range: header, message: `batching loop: ${hit.why}` }, ...atomicNote],
        });
        break;
      }
    }
  },
};

/**
 * missing-atomic-false: the migration runs in a transaction (atomic is not False) but contains
 * work PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY, AddIndexConcurrently, ...), an
 * error; or RunPython code that batches its writes, whose batches the transaction would hold
 * until the very end, a warning.
 */
import { loopWithin, type CodeIndex, type LoopFacts, type UnitFacts, type WriteCall } from '../code-facts';
import type { CodeUnit } from '../code-flow';
import { atomicDecorator, committingChunk, enclosingAtomic } from '../committed-chunks';
import { atomicFalseFix } from '../fixes/atomic-fix';
import { changedAgain, lockingRead, swallowsErrors } from '../fixes/rerun-safety';
import { insertingWrite } from '../fixes/row-inserts';
import { otherWritingOperation, writeOutside } from '../other-writes';
import { replaceNode } from '../fixes/edits';
import { iteratesInBatches } from '../iterables';
import { intoNewTable } from '../new-table-writes';
import type { Operation } from '../operations';
import type { MigrationModel } from '../migration-model';
import { callArguments, rangeOf, spanRange, within, type Node } from '../syntax';
import type { Range } from '../types';
import { runPythonUnits } from './runpython-units';
import { schemaRunsSql } from './schema-sql';
import { lineOf, type Rule } from './rule';

const BULK_WRITES = new Set(['update', 'queryset-delete', 'bulk', 'sql']);

/** Writes that act on many rows at once. */
function bulkWrites(f: UnitFacts): boolean {
  return f.directWrites.some((w) => BULK_WRITES.has(w.kind));
}

/** A helper that processes one batch per call: it slices (or LIMITs) and writes in bulk. */
function helperBatch(f: UnitFacts, index: CodeIndex): boolean {
  return index.reachable(f.unit).some((g) => (g.hasSlice || g.hasLimitSql) && bulkWrites(g));
}

/**
 * The `with transaction.atomic():` block some call on the way from `entry` to the function `target`
 * stands in (`update(…)` calls the batching helper inside one; ocw-studio `websites/0061` calls the
 * function that does so), or null.
 */
function atomicOnTheWay(entry: CodeUnit, target: Node, index: CodeIndex): Node | null {
  const seen = new Set<number>();
  const queue: Array<[CodeUnit, Node | null]> = [[entry, null]];
  while (queue.length > 0) {
    const [unit, block] = queue.shift() as [CodeUnit, Node | null];
    if (seen.has(unit.node.id)) continue;
    seen.add(unit.node.id);
    for (const h of index.facts(unit).helperCalls) {
      const held = block ?? enclosingAtomic(h.call);
      if (h.target.node.id === target.id && held) return held;
      queue.push([h.target, held]);
    }
  }
  return null;
}

/** Why a loop counts as batching its writes, or null. */
export function batchingEvidence(loop: LoopFacts, facts: UnitFacts, index: CodeIndex): string | null {
  const helpers = facts.helperCalls.filter((h) => loopWithin(h.loop, loop));
  const bulkHelper = helpers.some((h) => index.reachable(h.target).some((g) => bulkWrites(g) || g.loops.some((l) => l.allWrites.some((w) => BULK_WRITES.has(w.kind)))));
  if (loop.allWrites.length === 0 && !bulkHelper) return null;
  const bulk = loop.allWrites.some((w) => BULK_WRITES.has(w.kind)) || bulkHelper;
  if (loop.hasCommit) return 'commits every batch';
  // `with transaction.atomic():` per chunk, around a loop that writes row by row.
  if (facts.loops.some((l) => l !== loop && l.allWrites.length > 0 && committingChunk(l)?.id === loop.node.id)) return 'commits each chunk in a transaction.atomic() block of its own';
  const how = iteratesInBatches(loop.iterable);
  if (how === 'window' && bulk) {
    // `range(0, len(rows), size)`: slices of a list the code built (review 75: EveryElection `elections/0090`), not windows of ids.
    const stop = loop.iterable?.type === 'call' ? callArguments(loop.iterable).positional[1] : undefined;
    const sized = stop?.type === 'call' && stop.childForFieldName('function')?.text === 'len' ? callArguments(stop).positional[0] : undefined;
    return sized ? `writes ${sized.text} in slices, with range(…, len(${sized.text}), step)` : 'walks id/offset windows with range(start, stop, step)';
  }
  if (how === 'chunks' && bulk) return 'iterates in chunks';
  if (how === 'iterator' && loop.hasSizedFlush) return 'flushes a batch with each bulk write while streaming with iterator()';
  if (loop.hasSlice && bulk) return 'processes slices of a queryset';
  if (loop.hasLimitSql) return 'repeats a LIMIT query';
  if (loop.hasSizedFlush) return 'flushes a bulk write every batch';
  const batchHelper = helpers.find((h) => helperBatch(index.facts(h.target), index));
  if (batchHelper) return `calls ${batchHelper.call.childForFieldName('function')?.text ?? 'a helper'}(), which processes one batch per call`;
  return null;
}

interface BatchingSite {
  range: Range;
  line: number;
  why: string;
  /** The batching loop; null for batching by recursion (the whole function). */
  node: Node | null;
}

function findBatching(facts: UnitFacts, index: CodeIndex): BatchingSite | null {
  for (const loop of facts.loops) {
    const why = batchingEvidence(loop, facts, index);
    if (why) {
      const range = loop.iterable && loop.kind === 'for' ? spanRange(loop.node, loop.iterable) : rangeOf(loop.header);
      return { range, line: lineOf(loop.node), why, node: loop.node };
    }
  }
  // Batching by recursion: slice, write in bulk, call yourself for the rest.
  if (facts.selfRecursive && facts.hasSlice && index.reachable(facts.unit).some(bulkWrites)) {
    const name = facts.unit.node.childForFieldName('name') ?? facts.unit.node;
    return { range: rangeOf(name), line: lineOf(facts.unit.node), why: 'slices, writes in bulk and calls itself for the next batch', node: null };
  }
  return null;
}

/** Writes of one row each (a save, a create, a row's delete, a relation's links, a helper that writes). */
const PER_ROW = new Set(['save', 'create', 'delete', 'link', 'helper']);

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
        const fix = op.nonTransactional || op.reverseNonTransactional
          ? atomicFalseFix(model, ctx.source, `${op.nonTransactional ?? op.reverseNonTransactional} cannot run inside a transaction.`, true)
          : null;
        const fixes = fix ? [fix] : [];
        if (op.nonTransactional) {
          ctx.report({
            fixes,
            range: rangeOf(op.callee),
            severity: 'error',
            message:
              `${op.nonTransactional} cannot run inside a transaction block, and Django wraps this migration in one: ` +
              `PostgreSQL will refuse it. Set atomic = False on the Migration class.`,
            related: atomicNote,
          });
        } else if (op.reverseNonTransactional) {
          ctx.report({
            fixes,
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
    // Asked only of a migration with batching in an atomic transaction (without the view, it asks for one).
    const changesSchema = (): boolean => schemaRunsSql(model, ctx);
    for (const { op, unit, direction } of runPythonUnits(model)) {
      if (reported.has(op)) continue;
      const argAtomic = op.runPython?.atomicArg === true;
      // `@transaction.atomic` on the function RunPython calls: one transaction whatever the migration says (bookwyrm 0179).
      const decorated = atomicDecorator(unit.node);
      if (!migrationAtomic && !argAtomic && !decorated) continue;
      for (const facts of ctx.index.reachable(unit)) {
        const hit = findBatching(facts, ctx.index);
        if (!hit) continue;
        // Every write of the forward code goes to tables this migration creates: their rows and locks are no one
        // else's until it commits (review 79: kpi `markdownx_uploader/0001` copies files into its new table). Not
        // so for the reverse: on a rollback those tables have been in use since.
        if (migrationAtomic && direction === 'forward' && writesOnlyNewTables(model, ctx.index, unit)) break;
        reported.add(op);
        const fn = unit.node.childForFieldName('name')?.text ?? 'the function';
        const wrapper = migrationAtomic ? 'the migration runs in one transaction' : argAtomic ? `${op.name}(atomic=True) wraps it in one transaction` : `${fn}() is decorated ${decorated}, which wraps it in one transaction`;
        // A `with transaction.atomic():` around the batching loop (or around the call of the helper that holds it): the same
        // (review 31: ocw-studio `websites/0056`, `0064`, seed `0102`; atomic = False alone would commit nothing apart).
        const heldIn = hit.node ? (enclosingAtomic(hit.node) ?? (facts.unit.node.id !== unit.node.id ? atomicOnTheWay(unit, facts.unit.node, ctx.index) : null)) : null;
        const undecorate = decorated
          ? ` Remove ${fn}()'s ${decorated} too: it keeps the batches in one transaction even then.`
          : heldIn
            ? ` Take the batching out of the \`with transaction.atomic():\` block at line ${lineOf(heldIn)} too: it keeps the batches in one transaction even then.`
            : '';
        let advice = 'Remove the decorator so each batch commits on its own.';
        if (migrationAtomic && changesSchema()) advice = `Move the data operations into a migration of their own (this one also changes the schema) and set atomic = False there, so each batch commits on its own.${undecorate}`;
        else if (migrationAtomic) advice = `Set atomic = False so each batch commits on its own.${undecorate}`;
        else if (argAtomic) advice = `Drop atomic=True so each batch commits on its own.${undecorate}`;
        const where = hit.why.startsWith('slices, writes') ? `the function at line ${hit.line}` : `the loop at line ${hit.line}`;
        const fixes = [];
        // atomic = False would take the migration's other writes out of its transaction too: no fix then.
        const other = migrationAtomic && !changesSchema() ? otherWritingOperation(model, op, ctx.index) : null;
        // The flush of what the loop collected (`if batch: Model.objects.bulk_update(batch, …)` after it) is its own batching.
        const batching = hit.node ? facts.loops.find((l) => l.node.id === hit.node?.id) : undefined;
        // The batch a bulk write flushes, also one kept one copy per key (`list({row.pk: row for row in batch}.values())`, the templates' dedupe).
        // Also a queryset write of the collected keys (`Model.objects.filter(id__in=batch).delete()` after the loop:
        // review 79, kitsune `users/0034` deletes its last partial batch so).
        const batchOf = (w: WriteCall): string | null => {
          if (w.kind !== 'bulk' && w.kind !== 'queryset-delete' && w.kind !== 'update') return null;
          const first = callArguments(w.call).positional[0];
          const names = w.kind !== 'bulk' ? w.call.descendantsOfType('identifier') : first?.type === 'identifier' ? [first] : (first?.descendantsOfType('identifier') ?? []);
          return names.find((n) => !!n && !!batching?.appendsTo.has(n.text))?.text ?? null;
        };
        const flush = (w: WriteCall) => batchOf(w) !== null;
        // The function's other batching loops (review 75: EveryElection `elections/0090` writes two lists in
        // slices, one loop each): their writes are batched work too, not writes outside it.
        const others = facts.loops.filter((l) => l.node.id !== hit.node?.id && batchingEvidence(l, facts, ctx.index) !== null);
        const inOther = (w: WriteCall) => others.some((l) => within(w.call, l.node));
        const outside = migrationAtomic && !changesSchema() && hit.node ? writeOutside(facts, ctx.index, hit.node, (w) => flush(w) || inOther(w)) : null;
        // A batch committed on its own must be safe to run again after a failure: not where the loop
        // grows a field from its own value (review 21: kiwi testcases/0014 would prefix rows twice).
        // The batching loop and the loops around it: the rows may be an outer loop's (review 23, arches
        // 6020: a flush inside the loop over a tile's keys, the tile's entries rebuilt from themselves).
        let grows: ReturnType<typeof changedAgain> = null;
        const grown = (loop: Node): ReturnType<typeof changedAgain> => {
          const body = loop.type === 'for_statement' ? loop.childForFieldName('body') : null;
          const left = loop.childForFieldName('left');
          return body && left ? changedAgain(loop, body, left) : null;
        };
        for (const start of [batching, ...others]) for (let l: LoopFacts | null | undefined = start; l && !grows; l = l.parent) grows = grown(l.node);
        // And the loops inside it: a page's rows walked by a loop of their own (review 73: care `facility/0381`
        // and `0429` page with a Paginator, and change each page's rows in an inner loop).
        for (const inner of batching ? batching.node.descendantsOfType('for_statement') : []) if (!grows && inner.id !== batching?.node.id) grows = grown(inner);
        // Nor where it inserts rows: run again after a failure, it inserts the committed ones again (review 23: pretalx event/0023).
        const inserted = grows ? null : insertingWrite(facts);
        // Nor where the code catches database errors around writes: with atomic = False a failure halfway is
        // swallowed, the rows before it stay committed and Django records the migration (review 24: galaxy_ng 0060).
        const swallowed = grows || inserted ? null : swallowsErrors(unit.node, ctx.index.facts(unit), ctx.index);
        // Nor where it locks rows with select_for_update(), which Django refuses outside a transaction (review 25: data-hub-api).
        const locking = grows || inserted || swallowed ? null : lockingRead(ctx.index, unit);
        // Nor where the batching loop also writes per row what the batch does not hold (`row.tags.set([])`
        // beside a batched `bulk_update`): those would commit one by one, apart from the batch, and a failure
        // between leaves rows half-changed (review 26: normandy recipes/0007 would lose its filters).
        const perRow = grows || inserted || swallowed || locking ? undefined : batching?.allWrites.find((w) => PER_ROW.has(w.kind) && !w.terminal && !w.memoized);
        // Nor where the loop fills two batches or more, each written when it is full: with atomic = False each
        // commits at its own time, and a failure between leaves one batch's rows written and the other's not,
        // which a second run may not mend (review 56: money-to-prisoners-api `transaction/0039` moves a time on
        // transactions, then on their credits; a rerun skips the transactions already moved).
        // Batches filled in exclusive arms of one `if` take no two rows of one iteration (saleor `order/0111`).
        const flushes = (batching?.allWrites ?? []).flatMap((w) => {
          const b = batchOf(w);
          return b ? [{ batch: b, call: w.call }] : [];
        });
        const together = flushes.flatMap((x, i) => flushes.slice(i + 1).filter((y) => y.batch !== x.batch && !exclusiveArms(x.call, y.call)).map((y) => [x.batch, y.batch]));
        const apart = grows || inserted || swallowed || locking || perRow || together.length === 0 ? null : [...new Set(together.flat())].sort();
        // atomic = False also takes the operation's code for the other direction out of the transaction: it
        // must be safe to run again too (review 44: Argus `0004`'s reverse moves a column back into a JSON key).
        const otherWay = grows || inserted || swallowed || locking || perRow || apart ? null : otherDirectionProblem(model, op, unit, ctx.index);
        if (grows && !other && outside === null) {
          advice += ` First make it safe to run again: it sets ${grows.text} from ${grows.from} (line ${grows.line}), and after a failure a second run would change the committed rows twice.`;
        } else if (inserted && !other && outside === null) {
          advice += ` First make it safe to run again: it inserts rows (line ${lineOf(inserted.call)}), and after a failure a second run would insert the committed ones again unless it skips the rows already done.`;
        } else if (swallowed && !other && outside === null) {
          advice += ` First stop catching database errors around the writes (line ${lineOf(swallowed)}): with atomic = False a failure halfway would be swallowed, the batches before it left committed and the migration recorded as applied.`;
        } else if (perRow && !other && outside === null) {
          advice += ` First batch the loop's other writes too (line ${lineOf(perRow.call)}): with atomic = False they would commit row by row, apart from the batched ones, and a failure between them would leave rows half-changed.`;
        } else if (apart && !other && outside === null) {
          advice += ` First write the loop's batches together (${apart.join(', ')}), each flush in one transaction.atomic() block: with atomic = False each would commit at its own time, and a failure between them would leave the rows of one written and the other's not.`;
        } else if (otherWay && !other && outside === null) {
          advice += ` First make its ${otherWay.direction} code safe to run again too (with atomic = False it commits piece by piece as well): it ${otherWay.what} (line ${otherWay.line}), and after a failure a second run would ${otherWay.grows ? 'change the committed rows twice' : 'insert the committed ones again'}.`;
        } else if (locking && !other && outside === null) {
          advice += ` First lock the rows per batch: it reads them with select_for_update() (line ${lineOf(locking)}), which Django refuses outside a transaction, so with atomic = False it would fail at its first query — open a transaction.atomic() block for each batch and read its rows with select_for_update() inside it.`;
        } else if (other || outside !== null) {
          const what = other ? `${other.name} at line ${other.call.startPosition.row + 1}` : `the writes at line ${outside} outside the batching loop`;
          advice = `Move the batched work into a migration of its own and set atomic = False there: here it would also take ${what} out of the transaction, to commit piece by piece.${undecorate}`;
        } else if (decorated || heldIn) {
          // atomic = False alone would change nothing: no fix, the advice says what else to change.
        } else if (migrationAtomic && !changesSchema()) {
          const fix = atomicFalseFix(model, ctx.source, 'Commit each batch on its own instead of holding every lock until the end.', false);
          if (fix) fixes.push(fix);
        } else if (!migrationAtomic && argAtomic) {
          const flag = callArguments(op.call).keywords.get('atomic');
          if (flag) fixes.push({ title: `Set ${op.name}(atomic=False)`, edits: [replaceNode(flag, 'False')], isPreferred: true, safe: false });
        }
        ctx.report({
          range: rangeOf(op.callee),
          severity: 'warning',
          message:
            `The code this ${op.name} runs${direction === 'reverse' ? ' when the migration is reversed' : ''} batches its writes (${where} ${hit.why}), but ${wrapper}, ` +
            `so no batch commits and every lock is held until the end. ${advice}`,
          related: [{ range: hit.range, message: `batching: ${hit.why}` }, ...atomicNote],
          fixes,
        });
        break;
      }
    }
  },
};

/**
 * Whether every write the code reachable from `unit` makes goes to a model this migration creates
 * (new-table-writes.ts): nothing that existed before is written, so holding the batches to the end
 * keeps no one else waiting.
 */
function writesOnlyNewTables(model: MigrationModel, index: CodeIndex, unit: CodeUnit): boolean {
  const created = new Set(model.operations.flatMap((o) => (o.certain && o.createsModel ? [o.createsModel] : [])));
  if (created.size === 0) return false;
  // A helper's writes are its own unit's, reachable too.
  const writes = index.reachable(unit).flatMap((f) => [...f.directWrites, ...f.loops.flatMap((l) => l.writes)].filter((w) => w.kind !== 'helper').map((w) => ({ w, f })));
  return writes.length > 0 && writes.every(({ w, f }) => intoNewTable(w.call, created, f.locals));
}

/**
 * Whether the code the same operation runs in the other direction (its reverse, when the batching is
 * forward) could not run again after a failure once atomic = False commits it piece by piece: a loop
 * that sets a field from its own value or from one it changes, or code that inserts rows.
 */
function otherDirectionProblem(model: MigrationModel, op: Operation, unit: CodeUnit, index: CodeIndex): { direction: string; what: string; line: number; grows: boolean } | null {
  for (const u of runPythonUnits(model)) {
    if (u.op !== op || u.unit.node.id === unit.node.id) continue;
    for (const facts of index.reachable(u.unit)) {
      for (const l of facts.loops) {
        const body = l.node.type === 'for_statement' ? l.node.childForFieldName('body') : null;
        const left = l.node.childForFieldName('left');
        const grows = body && left ? changedAgain(l.node, body, left) : null;
        if (grows) return { direction: u.direction, what: `sets ${grows.text} from ${grows.from}`, line: grows.line, grows: true };
      }
      const inserted = insertingWrite(facts);
      if (inserted) return { direction: u.direction, what: 'inserts rows', line: lineOf(inserted.call), grows: false };
    }
  }
  return null;
}

/** Whether two nodes sit in different arms of one `if` statement (its body, an `elif`, the `else`): no run takes both. */
function exclusiveArms(a: Node, b: Node): boolean {
  const arms = (n: Node): Map<number, number> => {
    const out = new Map<number, number>();
    for (let child: Node = n, p = n.parent; p; child = p, p = p.parent) if (p.type === 'if_statement') out.set(p.id, child.id);
    return out;
  };
  const inA = arms(a);
  for (const [stmt, arm] of arms(b)) {
    const other = inA.get(stmt);
    if (other !== undefined && other !== arm) return true;
  }
  return false;
}

/**
 * Which loop each per-row write of a RunPython unit is charged to (unbatched-save-loop): the innermost
 * loop over rows that are not a fixed collection, the loop whose row the write hangs off, a helper's
 * write charged where the helper is called, and a queryset update of the loop's own row.
 */
import type { LoopFacts, UnitFacts, WriteCall } from '../code-facts';
import { boundByLoop, PER_ROW_WRITES } from '../code-facts';
import { keyedByOwnRow } from '../fixes/rerun-safety';
import { isBoundedIterable, type UniqueKey } from '../iterables';
import { afterExit, type Node } from '../syntax';
import { exitAfter } from '../write-position';
import type { RuleContext } from './rule';
import { fieldsCheck } from './save-loop-view';

/** Bounded: a fixed collection, or one derived from an enclosing loop over a fixed collection. */
function isBoundedLoop(loop: LoopFacts, facts: UnitFacts, uniqueKey?: UniqueKey): boolean {
  const names = new Set<string>();
  for (let l = loop.parent; l; l = l.parent) {
    if (l.kind !== 'while' && isBoundedLoop(l, facts, uniqueKey)) for (const t of l.targets) names.add(t);
  }
  return isBoundedIterable(loop.iterable, facts.locals, names, 0, uniqueKey);
}

/**
 * The loop a per-row write is charged to: its innermost `for` loop or comprehension, unless that
 * loop walks a bounded collection (then the next one out), e.g. `for row in qs: for f in FIELDS:
 * row.save()` is the outer loop's finding. Null when no unbounded loop encloses it.
 */
function owningLoop(loop: LoopFacts | null | undefined, facts: UnitFacts, root?: string | null, uniqueKey?: UniqueKey): LoopFacts | null {
  // A write on the row of an enclosing loop (`for user in users: for k in user.meta: user.save()`)
  // belongs to that loop, whatever loops it sits in.
  if (root) {
    for (let l = loop ?? null; l; l = l.parent) {
      if (l.kind !== 'while' && l.targets.includes(root) && !isBoundedLoop(l, facts, uniqueKey)) return l;
    }
  }
  for (let l = loop ?? null; l; l = l.parent) {
    if (l.kind === 'while') continue;
    if (!isBoundedLoop(l, facts, uniqueKey)) return l;
  }
  return null;
}

/**
 * The loop variable whose one row a queryset `update()` writes — `Course.objects.filter(id=course.id)`,
 * `filter(pk=row.pk)`, `filter(pk=pk)` over a list of keys — or null (an update of many rows is
 * already a batch). Review 23: richie `courses/0031`, tendenci `files/0003`, `resumes/0004`.
 */
function updatedRow(call: Node, loop: LoopFacts, uniqueKey?: UniqueKey): string | null {
  const chain = call.childForFieldName('function')?.childForFieldName('object') ?? null;
  return loop.targets.find((t) => keyedByOwnRow(chain, t, uniqueKey)) ?? null;
}

/** Per-row writes (direct or through helpers), grouped by the loop they are charged to. */
export function rowWritesByLoop(facts: UnitFacts, ctx: RuleContext): Map<LoopFacts, WriteCall[]> {
  const out = new Map<LoopFacts, WriteCall[]>();
  const add = (loop: LoopFacts | null, w: WriteCall) => {
    if (!loop) return;
    const list = out.get(loop) ?? [];
    list.push(w);
    out.set(loop, list);
  };
  const body = facts.unit.node.childForFieldName('body') ?? facts.unit.node;
  const rowUpdates: Array<[LoopFacts, WriteCall, string]> = [];
  // A query by a unique column of the model over a fixed list is bounded: the view says which columns are unique.
  const fields = fieldsCheck(ctx, facts.locals);
  const uniqueKey: UniqueKey = (model, key) => {
    if (!ctx.project) {
      ctx.needsView?.('unique columns');
      return false;
    }
    const f = fields(model);
    return !!f && !!f.fields.get(key) && f.uniqueWithin?.([key]) === true;
  };
  for (const loop of facts.loops) {
    // A loop after the function's `return` never runs.
    if (afterExit(loop.node, body)) continue;
    for (const w of loop.writes) {
      // A queryset update of the loop's own row only (`Course.objects.filter(id=course.id).update(…)`)
      // is one UPDATE per row too: charged below, to a loop that writes nothing else.
      const ownRow = w.kind === 'update' && !w.terminal && !w.memoized ? updatedRow(w.call, loop, uniqueKey) : null;
      if (ownRow) rowUpdates.push([loop, w, ownRow]);
      // A write followed by return/break happens once, not per row (a search loop); one kept in a
      // dict on a cache miss happens once per key. A `break` leaves only its own loop: the loop around
      // it writes once per row (review 48: cadasta organization/0002 saves each org once a free name is found).
      if (PER_ROW_WRITES.has(w.kind) && w.terminal && !w.memoized && w.kind !== 'link' && loop.parent?.kind === 'for' && exitAfter(w.call, loop.node) === 'break') {
        add(owningLoop(loop.parent, facts, w.receiverRoot, uniqueKey), w);
        continue;
      }
      if (!PER_ROW_WRITES.has(w.kind) || w.terminal || w.memoized) continue;
      // `row.tags.add(tag)` writes links when it hangs off a row a loop walks (not `state.seen.add(x)`).
      // So does a row the loop fetches for each of its rows (review 80: inyoka `portal/0013` gets each link's
      // user, then `user.groups.add(group)`).
      if (w.kind === 'link' && !(w.receiverRoot && (boundByLoop(w.receiverRoot, loop) || fetchedInLoop(w.receiverRoot, loop.node)))) continue;
      add(owningLoop(loop, facts, w.receiverRoot, uniqueKey), w);
    }
  }
  for (const h of facts.helperCalls) {
    if (!h.loop || afterExit(h.loop.node, body)) continue;
    const inner = ctx.index.helperRowWrite(h.target);
    if (inner) add(owningLoop(h.loop, facts, undefined, uniqueKey), { call: h.call, kind: 'helper', inner, helper: h.target, loop: h.loop });
  }
  // A loop whose other writes are charged keeps its fixes for those: the row updates ride along as they
  // were; so do they in the rest of a loop a fix's look reads (a create split off, the update after it kept).
  const charged = new Set(out.keys());
  for (const [loop, w, row] of ctx.wantedAt ? [] : rowUpdates) {
    const owner = owningLoop(loop, facts, row, uniqueKey);
    if (owner && !charged.has(owner)) add(owner, w);
  }
  for (const list of out.values()) list.sort((a, b) => a.call.startIndex - b.call.startIndex);
  return out;
}

/** A row assigned in the loop's body from one lookup of a manager (`user = User.objects.get(id=…)`, `.first()`, `.last()`). */
function fetchedInLoop(name: string, loopNode: Node): boolean {
  return loopNode.descendantsOfType('assignment').some((a) => {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
    if (left?.type !== 'identifier' || left.text !== name || fn?.type !== 'attribute') return false;
    return /^(?:get|first|last|earliest|latest)$/.test(fn.childForFieldName('attribute')?.text ?? '') && /\.objects\b|\._default_manager\b/.test(fn.text);
  });
}

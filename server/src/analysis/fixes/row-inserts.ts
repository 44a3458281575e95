/**
 * Writes that insert rows, which a second run of the code (after a failure, or migrating forward
 * again after a rollback that did nothing) inserts again: what "Commit this loop in batches",
 * missing-atomic-false and runpython-no-reverse refuse on.
 */
import type { UnitFacts, WriteCall } from '../code-facts';
import { callArguments, functionAround, walk, within, type Node } from '../syntax';

/**
 * A write that inserts rows a second run would insert again: `create()`, `Model(…).save()`, and
 * `bulk_create()` without `ignore_conflicts` / `update_conflicts` (get_or_create() and
 * update_or_create() look the row up first: run again, they find it).
 */
export function inserts(w: WriteCall): boolean {
  const method = w.call.childForFieldName('function')?.childForFieldName('attribute')?.text;
  if (w.kind === 'create') return method === 'create';
  if (w.kind === 'save') {
    const receiver = w.call.childForFieldName('function')?.childForFieldName('object');
    return receiver?.type === 'call' || (receiver?.type === 'identifier' && (builtBeforeSave(receiver.text, w.call) || clonedBeforeSave(receiver.text, w.call)));
  }
  if (w.kind === 'bulk' && method === 'bulk_create') {
    const flags = callArguments(w.call).keywords;
    return !['ignore_conflicts', 'update_conflicts'].some((k) => flags.get(k)?.text === 'True');
  }
  // A helper inserts when any write of its own does, not only the one that made it a helper (review 39:
  // pulp_rpm `0017`'s `do_clone` unlinks first, then saves a copy and bulk-creates its packages).
  return w.kind === 'helper' && ((!!w.inner && inserts(w.inner)) || (!!w.helper && helperInserts(w.helper.node)));
}

/** `row.pk = None` (or `.id`) then `row.save()`: Django's way to copy a row, an INSERT. */
function clonedBeforeSave(name: string, save: Node): boolean {
  const fn = functionAround(save);
  return !!fn?.descendantsOfType('assignment').some((a) => a.startIndex < save.startIndex && /^(?:pk|id)$/.test(a.childForFieldName('left')?.childForFieldName('attribute')?.text ?? '') && a.childForFieldName('left')?.childForFieldName('object')?.text === name && a.childForFieldName('right')?.type === 'none');
}

/** Whether a helper function's own code inserts rows: a manager's create(), a bulk_create(), a new or copied row saved. */
function helperInserts(fn: Node): boolean {
  return fn.descendantsOfType('call').some((c) => {
    const callee = c.childForFieldName('function');
    const method = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
    const receiver = callee?.childForFieldName('object');
    if (method === 'create') return /\.(?:objects|_default_manager|_base_manager)$/.test(receiver?.text ?? '');
    if (method === 'bulk_create') return !['ignore_conflicts', 'update_conflicts'].some((k) => callArguments(c).keywords.get(k)?.text === 'True');
    if (method === 'save' && callArguments(c).positional.length === 0 && receiver?.type === 'identifier') return builtBeforeSave(receiver.text, c) || clonedBeforeSave(receiver.text, c);
    return false;
  });
}

/**
 * Whether the name a save() is called on is a new object the function builds (`note = Note(…)` then
 * `note.save()`, review 28: tock `hours/0031`): every binding of it in the function is a call of a
 * class (a capitalised name, or one bound to apps.get_model in the function).
 */
export function builtBeforeSave(name: string, save: Node): boolean {
  const fn = functionAround(save);
  const body = fn?.childForFieldName('body');
  if (!body) return false;
  const params = fn?.childForFieldName('parameters')?.namedChildren ?? [];
  if (params.some((p) => (p.type === 'identifier' ? p : p.namedChildren[0])?.text === name)) return false;
  let built = false;
  let other = false;
  walk(body, (n) => {
    if (other || n.type === 'function_definition' || n.type === 'lambda') return false;
    const bound = n.type === 'for_statement' || n.type === 'assignment' ? n.childForFieldName('left') : null;
    // The names it binds (`note.title = …` binds none).
    const names = !bound ? [] : bound.type === 'identifier' ? [bound] : bound.type === 'pattern_list' || bound.type === 'tuple_pattern' ? bound.namedChildren : [];
    if (names.some((i) => i.type === 'identifier' && i.text === name)) {
      const right = n.type === 'assignment' && bound?.type === 'identifier' ? n.childForFieldName('right') : null;
      const fnNode = right?.type === 'call' ? right.childForFieldName('function') : null;
      if (fnNode?.type === 'identifier' && (/^[A-Z]/.test(fnNode.text) || gotModelIn(body, fnNode.text))) built = true;
      else other = true;
    }
    return true;
  });
  return built && !other;
}

/** Whether `name` is bound to `apps.get_model(…)` in the function body (`note_model = apps.get_model(…)`). */
function gotModelIn(body: Node, name: string): boolean {
  return body.descendantsOfType('assignment').some((a) => a.childForFieldName('left')?.text === name && /\.get_model\(/.test(a.childForFieldName('right')?.text ?? ''));
}

/** Whether the loop creates rows a run after a failure would create again (it does not only update or delete). */
export function createsRows(loopNode: Node, writes: readonly WriteCall[]): boolean {
  return writes.some((w) => within(w.call, loopNode) && inserts(w));
}

/** The first write of a function that inserts rows a second run would insert again, or null. */
export function insertingWrite(facts: UnitFacts): WriteCall | null {
  return [...facts.directWrites, ...facts.loops.flatMap((l) => l.writes)].find(inserts) ?? null;
}

/**
 * Writes that insert rows, which a second run of the code (after a failure, or migrating forward
 * again after a rollback that did nothing) inserts again: what "Commit this loop in batches",
 * missing-atomic-false and runpython-no-reverse refuse on.
 */
import type { UnitFacts, WriteCall } from '../code-facts';
import { callArguments, chainRoot, functionAround, walk, within, type Node } from '../syntax';

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

/** Whether the loop creates rows a run after a failure would create again (it does not only update or delete, nor skip the rows already there). */
export function createsRows(loopNode: Node, writes: readonly WriteCall[]): boolean {
  return writes.some((w) => within(w.call, loopNode) && inserts(w) && !skipsDone(w));
}

/** The first write of a function that inserts rows a second run would insert again, or null. */
export function insertingWrite(facts: UnitFacts): WriteCall | null {
  return [...facts.directWrites, ...facts.loops.flatMap((l) => l.writes)].find((w) => inserts(w) && !skipsDone(w)) ?? null;
}

/** The model a write inserts into, by the name the code gives it (`Namespace` of `Namespace.objects.bulk_create(…)` or `Namespace(…).save()`). */
function insertedModel(w: WriteCall): string | null {
  const receiver = w.call.childForFieldName('function')?.childForFieldName('object') ?? null;
  if (w.kind === 'save' && receiver?.type === 'call') return receiver.childForFieldName('function')?.text ?? null;
  const root = receiver && receiver.type !== 'call' ? chainRoot(receiver) : null;
  return root?.type === 'identifier' && /\.(?:objects|_default_manager|_base_manager)\b/.test(receiver?.text ?? '') ? root.text : null;
}

/** The statements of a block, comments left out. */
const statementsOf = (block: Node | null): Node[] => block?.namedChildren.filter((n) => n.type !== 'comment') ?? [];

/**
 * Whether the function skips the rows an earlier run inserted, so that a run after a failure inserts
 * only the rest (review 73: Thunderstore `repository/0064` reads the teams that have a namespace,
 * `existing = set(Namespace.objects.values_list("team_id", flat=True))`, and creates namespaces for
 * the others only, `t["id"] not in existing`): a name bound to a read of the model's rows tested
 * with `not in` (or `in` before a `continue`), or the model asked per row (`if not
 * Namespace.objects.filter(…).exists():` around the write, `if ….exists(): continue`).
 */
export function skipsDone(w: WriteCall): boolean {
  const model = insertedModel(w);
  const fn = functionAround(w.call);
  if (!model || !fn || !/^[A-Za-z_]\w*$/.test(model)) return false;
  // `Namespace.objects.<methods>.values_list(` — a read of the model's rows, through any manager.
  const read = String.raw`(?<![\w.])${model}\.(?:objects|_default_manager|_base_manager)\.(?:\w+\([^]*?\)\.)*?(?:values_list|values|in_bulk|filter|all)`;
  const query = new RegExp(`${read}\\(`);
  const held = new Set<string>();
  for (const a of fn.descendantsOfType('assignment')) {
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'identifier' && right && query.test(right.text) && !/\.(?:create|bulk_create|update|delete)\(/.test(right.text)) held.add(left.text);
  }
  const continues = (test: Node): boolean => {
    const block = test.parent?.type === 'if_statement' ? test.parent.childForFieldName('consequence') : null;
    const body = statementsOf(block);
    return body.length === 1 && body[0]?.type === 'continue_statement';
  };
  for (const c of fn.descendantsOfType('comparison_operator')) {
    const m = /\s(not\s+in|in)\s+([A-Za-z_]\w*)\s*$/.exec(c.text);
    if (!m || !held.has(m[2] as string)) continue;
    if (/^not/.test(m[1] as string) || continues(c)) return true;
  }
  const exists = new RegExp(`${read}[^]*\\.exists\\(\\)$`);
  for (let n: Node | null = w.call.parent; n && n.id !== fn.id; n = n.parent) {
    const test = n.type === 'if_statement' ? n.childForFieldName('condition') : null;
    if (test?.type === 'not_operator' && exists.test(test.childForFieldName('argument')?.text ?? '') && within(w.call, n.childForFieldName('consequence') ?? n)) return true;
  }
  return fn.descendantsOfType('if_statement').some((i) => {
    const test = i.childForFieldName('condition');
    return !!test && i.startIndex < w.call.startIndex && exists.test(test.text) && continues(test);
  });
}

/**
 * Two writes of a loop that the batch template takes as one (batch-loop.ts): a save and its
 * `except TypeError` fallback; a row created and then saved again. Each says what it found, or null
 * when the shape is not exactly that one.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { Scope } from '../scope';
import { callArguments, codeChildren, unparen, type Node } from '../syntax';
import { containsAny, usesLoopNames } from './loop-reading';
import { chainOf, modelNames, oneLine } from './loop-chain';

/**
 * `try: row.save(broadcast=False)` / `except TypeError: row.save()` (bookwyrm): code written for
 * today's model, whose save() takes more arguments, that falls back to a plain save(). A historical
 * model's save() refuses the argument before doing anything, so the pair is one plain save() of the
 * row. The try statement and the fallback call, or null.
 */
export function typeErrorFallback(call: Node): { stmt: Node; fallback: Node } | null {
  const exprStmt = call.parent;
  const body = exprStmt?.parent;
  const tryStmt = body?.parent;
  if (exprStmt?.type !== 'expression_statement' || body?.type !== 'block' || tryStmt?.type !== 'try_statement') return null;
  if (tryStmt.childForFieldName('body')?.id !== body.id || codeChildren(body).length !== 1) return null;
  const clauses = codeChildren(tryStmt).filter((c) => c.id !== body.id);
  const handler = clauses[0];
  if (clauses.length !== 1 || handler?.type !== 'except_clause') return null;
  const [caught, block] = codeChildren(handler);
  if (caught?.type !== 'identifier' || caught.text !== 'TypeError' || block?.type !== 'block' || codeChildren(block).length !== 1) return null;
  const only = codeChildren(block)[0];
  const fallback = only?.type === 'expression_statement' ? unparen(only.namedChildren[0] as Node) : null;
  const fn = fallback?.type === 'call' ? fallback.childForFieldName('function') : null;
  const saved = call.childForFieldName('function');
  if (!fallback || fn?.type !== 'attribute' || saved?.type !== 'attribute') return null;
  if (fn.childForFieldName('attribute')?.text !== 'save' || saved.childForFieldName('attribute')?.text !== 'save') return null;
  if (fn.childForFieldName('object')?.text !== saved.childForFieldName('object')?.text) return null;
  if ((fallback.childForFieldName('arguments')?.namedChildCount ?? 1) !== 0) return null;
  return { stmt: tryStmt, fallback };
}

/**
 * `obj = Model.objects.create(...)` whose object the loop then only changes (`obj.x = …`, under an
 * `if` too) and saves once (`obj.save()`, in the create's own block), with nothing between that
 * leaves the iteration: the object is built unsaved in its place
 * (`obj = Model(...)`), and the save becomes where it joins a bulk_create batch, which inserts it with
 * every change made before the save (babybuddy's `user_settings = Settings.objects.create(user=user)`
 * then `user_settings.save()`; arches binds the name to a row it found in a `try` and creates it in the
 * `except`). Refused when the name is read in any other way (its primary key, passed on, used after the
 * loop or before the create), changed after the save or saved twice.
 */
export function createdThenSaved(call: Node, writes: readonly WriteCall[], scope: Node, locals: Scope, loop: LoopFacts, body: Node): { name: string; save: Node; saveStmt: Node; model: string; manager: string } | null {
  const fn = call.childForFieldName('function');
  const receiver = fn?.childForFieldName('object');
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'create' || !receiver) return null;
  const args = callArguments(call);
  if (args.positional.length > 0) return null;
  const chain = chainOf(receiver, modelNames(locals));
  if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, body)) return null;
  const assign = call.parent;
  const left = assign?.type === 'assignment' && assign.childForFieldName('right')?.id === call.id ? assign.childForFieldName('left') : null;
  const stmt = assign?.parent;
  const block = stmt?.parent;
  if (left?.type !== 'identifier' || stmt?.type !== 'expression_statement' || block?.type !== 'block' || loop.targets.includes(left.text)) return null;
  const name = left.text;
  let save: Node | null = null;
  let saveStmt: Node | null = null;
  const changes: Node[] = [];
  for (const use of scope.descendantsOfType('identifier')) {
    if (use.text !== name || use.id === left.id) continue;
    const attr = use.parent;
    const member = attr?.type === 'attribute' && attr.childForFieldName('object')?.id === use.id ? attr.childForFieldName('attribute')?.text : undefined;
    const user = attr?.parent;
    if (member === 'save' && user?.type === 'call' && !save) {
      const own = user.parent;
      if (!writes.some((w) => w.kind === 'save' && w.call.id === user.id) || own?.type !== 'expression_statement' || own.parent?.id !== block.id) return null;
      if ((user.childForFieldName('arguments')?.namedChildCount ?? 1) !== 0) return null;
      save = user;
      saveStmt = own;
      continue;
    }
    // Bound elsewhere (`try: obj = Model.objects.get(…)` / `except …: obj = …create(…)`): that object is
    // not this one, and any read of the name outside the create's block refuses the template anyway.
    if (attr?.type === 'assignment' && attr.childForFieldName('left')?.id === use.id && attr.parent?.type === 'expression_statement') continue;
    // `obj.x = …` (under an `if` too): an attribute set on the unsaved object.
    const set = user?.type === 'assignment' && user.childForFieldName('left')?.id === attr?.id ? user.parent : null;
    if (member !== undefined && member !== 'pk' && member !== 'id' && set?.type === 'expression_statement') {
      changes.push(set);
      continue;
    }
    return null;
  }
  if (!save || !saveStmt || saveStmt.startIndex < stmt.endIndex) return null;
  // Every change between the create and the save, none inside a function or class defined there;
  // nothing between them may leave the iteration (the create had inserted the row by then, the batch would not).
  const between = codeChildren(block).filter((s) => s.startIndex >= stmt.endIndex && s.endIndex <= saveStmt.startIndex);
  if (containsAny(between, ['continue_statement', 'break_statement', 'return_statement', 'raise_statement', 'yield'])) return null;
  for (const c of changes) {
    if (c.startIndex < stmt.endIndex || c.endIndex > saveStmt.startIndex) return null;
    for (let n: Node | null = c.parent; n && n.id !== block.id; n = n.parent) if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return null;
  }
  return { name, save, saveStmt, model: chain.model, manager: chain.manager };
}

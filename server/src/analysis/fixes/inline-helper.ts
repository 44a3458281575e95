/**
 * Inlining for "Batch this loop": a loop whose row is written inside a same-file helper
 * (`for a in Attribute.objects.iterator(): flatten_model_metadata(a)`, the helper ending in
 * `a.save(...)`) cannot be batched where it stands. The helper's body is put in place of the call,
 * its parameters renamed to the loop's names (or bound to the arguments on lines of their own),
 * and the template then batches the write it now sees. The helper itself is left as it is (other
 * code may call it).
 *
 * Only what keeps its meaning is inlined: an undecorated function of the module, or one defined
 * directly in the calling function's body (a name it does not bind itself means the same there as
 * at the call: the calling function's, else the module's), called as a statement of its own, with plain parameters matched one to one by the call; a `return` only at its
 * end, or where the call is the last statement of the loop's body (it becomes `continue`; not from a
 * loop of the helper's own), and only of a constant or a name (dropped unevaluated); no yield,
 * global, nonlocal, del, nested function, class or lambda; indented with the same character as
 * the call; no string spanning lines (re-indenting would change it); no name the helper binds that the calling function also uses, and no name it reads
 * from the module that the calling function binds.
 */
import type { WriteCall } from '../code-facts';
import { callArguments, within, type Node } from '../syntax';
import { eolOf, indentOf } from './edits';
import { ownLine } from './loop-reading';

export interface Inlined {
  /** The whole file with each helper call of the loop replaced by the helper's body. */
  text: string;
  /** The helpers inlined, by name. */
  helpers: string[];
}

const FORBIDDEN = ['yield', 'global_statement', 'nonlocal_statement', 'delete_statement', 'function_definition', 'class_definition', 'lambda', 'decorated_definition', 'await'];

/** Identifiers that name something (not `x.attr`'s attribute, not a keyword argument's name). */
export function references(node: Node): Node[] {
  return node.descendantsOfType('identifier').filter((id) => {
    const p = id.parent;
    if (p?.type === 'attribute' && p.childForFieldName('attribute')?.id === id.id) return false;
    if (p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === id.id) return false;
    return true;
  });
}

/** Names bound by a target (`a`, `a, b`, `[a, (b, c)]`); attributes and subscripts bind none. */
function targetNames(target: Node | null, out: Set<string>): void {
  if (!target) return;
  if (target.type === 'identifier') out.add(target.text);
  else if (['pattern_list', 'tuple_pattern', 'list_pattern', 'parenthesized_expression', 'list_splat_pattern', 'tuple', 'list'].includes(target.type)) {
    for (const c of target.namedChildren) targetNames(c, out);
  }
}

/**
 * Every name a block binds, anywhere inside it (a superset is safe: it only refuses more); not
 * inside `skip` (a nested helper's own names are not the block's).
 */
export function boundNames(block: Node, skip: Node | null = null): Set<string> {
  const out = new Set<string>();
  const kinds = ['assignment', 'augmented_assignment', 'for_statement', 'for_in_clause', 'as_pattern', 'named_expression', 'import_statement', 'import_from_statement', 'parameters', 'lambda_parameters'];
  for (const n of block.descendantsOfType(kinds)) {
    if (skip && within(n, skip)) continue;
    if (n.type === 'assignment' || n.type === 'augmented_assignment' || n.type === 'for_statement' || n.type === 'for_in_clause') targetNames(n.childForFieldName('left'), out);
    else if (n.type === 'named_expression') targetNames(n.childForFieldName('name'), out);
    else if (n.type === 'as_pattern') targetNames(n.childForFieldName('alias')?.firstNamedChild ?? n.childForFieldName('alias'), out);
    else if (n.type === 'parameters' || n.type === 'lambda_parameters') {
      for (const p of n.namedChildren) {
        const name = p.type === 'identifier' ? p : (p.childForFieldName('name') ?? p.namedChildren.find((c) => c.type === 'identifier') ?? null);
        if (name?.type === 'identifier') out.add(name.text);
      }
    } else {
      for (const a of n.descendantsOfType(['aliased_import', 'dotted_name'])) {
        if (a.type === 'aliased_import') out.add(a.childForFieldName('alias')?.text ?? '');
        else if (a.parent?.type !== 'aliased_import' && a.id !== n.childForFieldName('module_name')?.id) out.add(a.text.split('.')[0] as string);
      }
    }
  }
  return out;
}

function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  const end = nl === -1 ? source.length : nl;
  return source[end - 1] === '\r' ? end - 1 : end;
}

interface Replacement {
  start: number;
  end: number;
  text: string;
}

/** The helper's body in place of one call statement, or why not. */
function inlineOne(w: WriteCall, caller: Node, loop: Node, source: string, eol: string): Replacement | string {
  const helper = w.helper?.node;
  const name = helper?.childForFieldName('name')?.text ?? 'the helper';
  const why = (reason: string): string => `the row is written inside ${name}(), which cannot be inlined here: ${reason}`;
  if (!helper || helper.type !== 'function_definition') return why('it is not a plain function of the module');
  // Defined in the calling function's own body: it reads the caller's names, as its inlined body will.
  const nested = helper.parent?.type === 'block' && helper.parent.id === caller.childForFieldName('body')?.id;
  if (helper.parent?.type !== 'module' && !nested) return why('it is defined inside another block than the calling function\'s body');
  if (helper.text.startsWith('async')) return why('it is async');
  const stmt = w.call.parent;
  if (stmt?.type !== 'expression_statement' || stmt.namedChildCount !== 1) return why('its result is used');
  if (!ownLine(stmt, source) || !/^[ \t]*(#.*)?$/.test(source.slice(stmt.endIndex, lineEnd(source, stmt.endIndex)))) {
    return why('the call shares its line with other code');
  }
  const body = helper.childForFieldName('body');
  const params = helper.childForFieldName('parameters')?.namedChildren ?? [];
  if (!body || params.some((p) => p.type !== 'identifier')) return why('it has default, starred or typed parameters');
  if (body.descendantsOfType(FORBIDDEN).length > 0) return why('it yields, deletes names, or defines functions or classes');
  if (body.descendantsOfType('string').some((s) => s.startPosition.row !== s.endPosition.row)) return why('it holds a string spanning lines');

  const args = callArguments(w.call);
  if (args.hasSplat || args.positional.length > params.length) return why('the call passes starred or extra arguments');
  const bound = new Map<string, Node>();
  params.forEach((p, i) => {
    const arg = args.positional[i] ?? args.keywords.get(p.text);
    if (arg) bound.set(p.text, arg);
  });
  if (bound.size !== params.length || [...args.keywords.keys()].some((k) => !bound.has(k))) return why('the call does not pass each parameter once');

  // The body's statements, a leading docstring left out; a `return` that ends it, too (the body ends there anyway).
  const statements = body.namedChildren.filter((s, i) => !(i === 0 && s.type === 'expression_statement' && s.firstNamedChild?.type === 'string'));
  const returns = body.descendantsOfType('return_statement');
  const ending = statements[statements.length - 1];
  if (ending?.type === 'return_statement') statements.pop();
  const first = statements[0];
  const last = statements[statements.length - 1];
  if (!first || !last) return why('its body is empty');
  // Any other `return` leaves the rest of the helper: where the call is the last statement of the
  // loop's body, that is `continue`. Only when what it returns can be dropped unevaluated.
  const early = returns.filter((r) => r.id !== ending?.id);
  const loopBody = loop.childForFieldName('body');
  if (returns.length > 0) {
    const calledLast = stmt.parent?.id === loopBody?.id && loopBody?.lastNamedChild?.id === stmt.id && loop.type !== 'for_in_clause';
    if (!calledLast && early.length > 0) return why('it returns early, and the call is not the last statement of the loop');
    if (returns.some((r) => !droppable(r.namedChildren[0] ?? null))) return why('it returns a value computed where it returns');
    if (early.some((r) => insideLoop(r, body))) return why('it returns from inside a loop of its own');
  }

  const helperBinds = boundNames(body);
  // A nested helper's own text is not the caller's: its names would all seem taken.
  const own = nested ? helper : null;
  const callerNames = new Set(references(caller).filter((r) => !own || !within(r, own)).map((r) => r.text));
  const callerBinds = boundNames(caller, own);
  const bodyRefs = references(body);
  const renames = new Map<string, string>();
  const bindLines: string[] = [];
  for (const [param, arg] of bound) {
    if (arg.type === 'identifier') {
      if (helperBinds.has(param)) return why(`it assigns its parameter ${param}`);
      if (arg.text !== param && bodyRefs.some((r) => r.text === arg.text)) return why(`it uses the name ${arg.text} itself`);
      renames.set(param, arg.text);
    } else {
      if (arg.startPosition.row !== arg.endPosition.row) return why('an argument spans lines');
      if (callerNames.has(param)) return why(`the calling function already uses the name ${param}`);
      bindLines.push(`${param} = ${arg.text}`);
    }
  }
  for (const local of helperBinds) if (callerNames.has(local)) return why(`the calling function already uses the name ${local}`);
  for (const ref of bodyRefs) {
    if (!nested && !bound.has(ref.text) && !helperBinds.has(ref.text) && callerBinds.has(ref.text)) return why(`the calling function binds ${ref.text}, which the helper reads from the module`);
  }

  // The body's text with the parameters renamed, then re-indented to the call's indentation.
  const from = lineStart(source, first.startIndex);
  const to = last.endIndex;
  let text = source.slice(from, to);
  const edits = [
    ...bodyRefs.filter((r) => renames.has(r.text) && r.startIndex >= from && r.endIndex <= to).map((r) => ({ node: r, text: renames.get(r.text) as string })),
    ...early.map((r) => ({ node: r, text: 'continue' })),
  ];
  for (const e of edits.sort((a, b) => b.node.startIndex - a.node.startIndex)) {
    text = text.slice(0, e.node.startIndex - from) + e.text + text.slice(e.node.endIndex - from);
  }
  const base = indentOf(first, source);
  const indent = indentOf(stmt, source);
  // Tabs on one side and spaces on the other would make Python's indentation inconsistent.
  if (new Set(base + indent).size > 1) return why('its body and the call are indented with different characters');
  const lines: string[] = bindLines.map((l) => indent + l);
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') lines.push('');
    else if (!line.startsWith(base)) return why('a line of its body is indented less than the body');
    else lines.push(indent + line.slice(base.length));
  }
  const start = lineStart(source, stmt.startIndex);
  return { start, end: lineEnd(source, stmt.endIndex), text: [`${indent}# inlined from ${name}()`, ...lines].join(eol) };
}

/** What a `return` hands back that can go unevaluated: nothing, a constant, a name. */
function droppable(value: Node | null): boolean {
  return !value || ['true', 'false', 'none', 'integer', 'float', 'identifier'].includes(value.type) || (value.type === 'string' && value.namedChildren.every((c) => c.type !== 'interpolation'));
}

/** Whether a loop of the helper's own body holds the node (a `continue` there would go to that loop). */
function insideLoop(node: Node, body: Node): boolean {
  for (let n = node.parent; n && n.id !== body.id; n = n.parent) if (n.type === 'for_statement' || n.type === 'while_statement') return true;
  return false;
}

/**
 * The file with every helper call among `writes` inlined, or why it cannot be (null when no write
 * goes through a helper).
 */
export function inlineHelpers(writes: readonly WriteCall[], loop: Node, source: string): Inlined | string | null {
  const calls = writes.filter((w) => w.kind === 'helper');
  if (calls.length === 0) return null;
  let caller: Node | null = loop.parent;
  while (caller && caller.type !== 'function_definition') caller = caller.parent;
  if (!caller) return 'the loop is not in a function';
  const eol = eolOf(source);
  const replacements: Replacement[] = [];
  const seen = new Set<number>();
  for (const w of calls) {
    if (seen.has(w.call.id)) continue;
    seen.add(w.call.id);
    const r = inlineOne(w, caller, loop, source, eol);
    if (typeof r === 'string') return r;
    replacements.push(r);
  }
  let text = source;
  for (const r of replacements.sort((a, b) => b.start - a.start)) text = text.slice(0, r.start) + r.text + text.slice(r.end);
  const helpers = [...new Set(calls.map((w) => w.helper?.node.childForFieldName('name')?.text ?? 'helper'))];
  return { text, helpers };
}

/**
 * Small, allocation-conscious helpers over tree-sitter Python nodes: ranges, dotted names, call
 * arguments and literal strings. Every helper returns null for shapes it cannot read statically.
 */
import type { Node } from 'web-tree-sitter';
import type { Range } from './types';

export type { Node };

export function rangeOf(node: Node): Range {
  const s = node.startPosition;
  const e = node.endPosition;
  return { start: { line: s.row, character: s.column }, end: { line: e.row, character: e.column } };
}

export function spanRange(first: Node, last: Node): Range {
  return { start: rangeOf(first).start, end: rangeOf(last).end };
}

/** Whether `node` lies inside `outer` (or is it). */
export function within(node: Node, outer: Node): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

/** Where a chain of attributes and calls starts (`Tag` of `Tag.objects.using(db).create`), or null. */
export function chainRoot(node: Node | null): Node | null {
  let n = node;
  while (n && (n.type === 'attribute' || n.type === 'call')) n = n.type === 'attribute' ? n.childForFieldName('object') : n.childForFieldName('function');
  return n;
}

/** The name a chain of attributes, calls and subscripts starts from (`grouped` in `grouped[k].append`), or null. */
export function rootName(node: Node | null): string | null {
  let n: Node | null = node ? unparen(node) : null;
  while (n && (n.type === 'attribute' || n.type === 'subscript' || n.type === 'call')) n = n.type === 'call' ? n.childForFieldName('function') : n.childForFieldName(n.type === 'attribute' ? 'object' : 'value');
  return n?.type === 'identifier' ? n.text : null;
}

/** The nearest function definition around `node` (not `node` itself), or null at module level. */
export function functionAround(node: Node): Node | null {
  let fn: Node | null = node.parent;
  while (fn && fn.type !== 'function_definition') fn = fn.parent;
  return fn;
}

/** Strips redundant parentheses: `((x))` -> `x`. */
export function unparen(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression') {
    const inner = n.firstNamedChild;
    if (!inner) break;
    n = inner;
  }
  return n;
}

/** `a.b.c` for identifiers and attribute chains; null for anything else. */
export function dottedName(node: Node): string | null {
  const n = unparen(node);
  if (n.type === 'identifier') return n.text;
  if (n.type === 'attribute') {
    const obj = n.childForFieldName('object');
    const attr = n.childForFieldName('attribute');
    if (!obj || !attr) return null;
    const left = dottedName(obj);
    return left === null ? null : `${left}.${attr.text}`;
  }
  return null;
}

/** The last component of a call's callee: `migrations.RunPython(...)` -> `RunPython`. */
export function calleeSimpleName(call: Node): string | null {
  const fn = call.childForFieldName('function');
  if (!fn) return null;
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? null;
  return null;
}

export interface CallArguments {
  positional: Node[];
  keywords: Map<string, Node>;
  /** `*args` or `**kwargs` present: the argument list cannot be read completely. */
  hasSplat: boolean;
  node: Node | null;
}

export function callArguments(call: Node): CallArguments {
  const args = call.childForFieldName('arguments');
  const result: CallArguments = { positional: [], keywords: new Map(), hasSplat: false, node: args };
  if (!args || args.type !== 'argument_list') {
    // A call with a generator argument (`f(x for x in y)`) or none at all.
    if (args) result.positional.push(args);
    return result;
  }
  for (const arg of args.namedChildren) {
    switch (arg.type) {
      case 'keyword_argument': {
        const name = arg.childForFieldName('name');
        const value = arg.childForFieldName('value');
        if (name && value) result.keywords.set(name.text, value);
        break;
      }
      case 'list_splat':
      case 'dictionary_splat':
        result.hasSplat = true;
        break;
      case 'comment':
        break;
      default:
        result.positional.push(arg);
    }
  }
  return result;
}

/** The argument bound to a parameter given by keyword or by position. */
export function argument(args: CallArguments, keyword: string, position: number): Node | null {
  return args.keywords.get(keyword) ?? args.positional[position] ?? null;
}

export function isNoneLiteral(node: Node): boolean {
  return unparen(node).type === 'none';
}

export const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** The value of one string literal node (escapes decoded where they matter for SQL keywords). */
export interface StaticString {
  text: string;
  /** False when part of the value is computed (f-string holes, `%` or `.format` arguments). */
  complete: boolean;
}

export const STRING_START = /^([A-Za-z]*)('\'\'|"""|'|")/;
/** An f-string hole: `{expr}` but not a doubled `{{`. */
const HOLE = /\{\{|\}\}|\{[^{}]*\}/g;

/**
 * The value of one string literal node, read from its source text (cheaper than visiting its
 * children): prefix and quotes stripped, escapes decoded unless raw, f-string holes replaced.
 */
function literalString(node: Node, resolve?: NameResolver, depth = 0): StaticString | null {
  const text = node.text;
  const m = STRING_START.exec(text);
  if (!m) return null;
  const prefix = (m[1] as string).toLowerCase();
  const quote = m[2] as string;
  if (!text.endsWith(quote) || text.length < m[0].length + quote.length) return null;
  let body = text.slice(m[0].length, text.length - quote.length);
  let complete = true;
  if (prefix.includes('f')) {
    body = body.replace(HOLE, (h) => {
      if (h === '{{') return '{';
      if (h === '}}') return '}';
      // `{NAME}` of a name the file binds to a string (treeherder perf/0050: a constraint's name).
      const name = /^\{\s*([A-Za-z_]\w*)\s*\}$/.exec(h)?.[1];
      const bound = name && resolve ? resolve(name, node) : null;
      const value = bound && depth < 8 ? staticString(bound, resolve, depth + 1) : null;
      // A value with a backslash would be decoded twice below.
      if (value?.complete && !value.text.includes('\\')) return value.text;
      complete = false;
      return ' ? ';
    });
  }
  if (!prefix.includes('r') && body.includes('\\')) {
    body = body.replace(/\\(.)/gs, (e, c: string) => SIMPLE_ESCAPES[c] ?? (c === '\n' ? '' : e));
  }
  return { text: body, complete };
}

export type NameResolver = (identifier: string, at: Node) => Node | null;

/**
 * Folds a string-valued expression: literals, implicit and `+` concatenation, parentheses,
 * `textwrap.dedent(...)`, and names a resolver can bind to such an expression. `%` and
 * `.format()` keep their template with `complete: false`.
 */
export function staticString(node: Node, resolve?: NameResolver, depth = 0): StaticString | null {
  if (depth > 8) return null;
  const n = unparen(node);
  switch (n.type) {
    case 'string':
      return literalString(n, resolve, depth);
    case 'concatenated_string': {
      let text = '';
      let complete = true;
      for (const part of n.namedChildren) {
        const s = literalString(part, resolve, depth);
        if (!s) return null;
        text += s.text;
        complete &&= s.complete;
      }
      return { text, complete };
    }
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.text;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return null;
      if (op === '+') {
        const a = staticString(left, resolve, depth + 1);
        const b = staticString(right, resolve, depth + 1);
        if (!a || !b) return null;
        return { text: a.text + b.text, complete: a.complete && b.complete };
      }
      if (op === '%') {
        const a = staticString(left, resolve, depth + 1);
        return a ? { text: a.text, complete: false } : null;
      }
      return null;
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      if (!fn) return null;
      const name = dottedName(fn);
      const args = callArguments(n);
      if (name === 'dedent' || name === 'textwrap.dedent' || name === 'cleandoc' || name === 'inspect.cleandoc') {
        const first = args.positional[0];
        return first ? staticString(first, resolve, depth + 1) : null;
      }
      if (fn.type === 'attribute') {
        const method = fn.childForFieldName('attribute')?.text;
        const obj = fn.childForFieldName('object');
        if (obj && (method === 'format' || method === 'strip' || method === 'format_map')) {
          const s = staticString(obj, resolve, depth + 1);
          return s ? { text: s.text, complete: s.complete && method === 'strip' } : null;
        }
      }
      return null;
    }
    case 'identifier': {
      if (!resolve) return null;
      const bound = resolve(n.text, n);
      return bound ? staticString(bound, resolve, depth + 1) : null;
    }
    default:
      return null;
  }
}

/** Named children that are code: comments are named nodes too. */
export function codeChildren(node: Node): Node[] {
  return node.namedChildren.filter((c) => c.type !== 'comment');
}

/** Children of a list or tuple literal, or null if `node` is neither. */
export function sequenceElements(node: Node): Node[] | null {
  const n = unparen(node);
  if (n.type === 'list' || n.type === 'tuple' || n.type === 'set') return codeChildren(n);
  if (n.type === 'parenthesized_expression') return null;
  return null;
}

/**
 * Walks `node` and its named descendants depth-first (pre-order), pruning where `visit` returns
 * false. Anonymous nodes (punctuation, keywords) are not visited: no caller asks for them, and
 * about half of a tree's nodes are such tokens. Each visited node's named children come in one
 * crossing into WebAssembly (a cursor needs several per node, and an object for each token); an
 * explicit stack, not recursion, so deeply nested code cannot overflow it.
 */
/**
 * Whether `node` comes after a `return` or `raise` of its own block, or of an enclosing one up to
 * `stop` (a function's body): code that never runs (bluebottle's `create_payouts`, a `return` put
 * first to disable a migration's function, blind review 22).
 */
export function afterExit(node: Node, stop: Node): boolean {
  for (let n: Node = node; n.parent && n.id !== stop.id; n = n.parent) {
    if (n.parent.type !== 'block' && n.parent.type !== 'module') continue;
    for (let prev = n.previousNamedSibling; prev; prev = prev.previousNamedSibling) {
      if (prev.type === 'return_statement' || prev.type === 'raise_statement') return true;
    }
  }
  return false;
}

export function walk(node: Node, visit: (n: Node) => boolean | void): void {
  if (visit(node) === false) return;
  const stack: Node[][] = [node.namedChildren];
  const at: number[] = [0];
  while (stack.length > 0) {
    const top = stack.length - 1;
    const siblings = stack[top] as Node[];
    const i = at[top] as number;
    if (i >= siblings.length) {
      stack.pop();
      at.pop();
      continue;
    }
    at[top] = i + 1;
    const child = siblings[i] as Node;
    if (visit(child) === false) continue;
    const grandchildren = child.namedChildren;
    if (grandchildren.length > 0) {
      stack.push(grandchildren);
      at.push(0);
    }
  }
}

/** The assignments of `name` at the top level of the module `node` is in, in order. */
export function moduleAssignments(node: Node, name: string): Node[] {
  let root: Node = node;
  while (root.parent) root = root.parent;
  return root.namedChildren.flatMap((st) => (st.type === 'expression_statement' && st.firstNamedChild?.type === 'assignment' && st.firstNamedChild.childForFieldName('left')?.text === name ? [st.firstNamedChild] : []));
}

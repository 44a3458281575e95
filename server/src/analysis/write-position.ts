/**
 * Where a write (or a slice) sits in its loop, which decides whether it runs once per row: followed
 * by `return` / `break`, kept in a dict on a cache miss, or flushing a batch under a size check.
 */
import { functionAround, walk, type Node } from './syntax';

/** The statement containing `node` is followed by `return` or `break` in its block. */
export function followedByExit(node: Node, stopAt: Node | null): boolean {
  return exitAfter(node, stopAt) !== null;
}

/** Which of `return` / `break` follows the statement containing `node` in its block, or null. */
export function exitAfter(node: Node, stopAt: Node | null): 'return' | 'break' | null {
  let stmt: Node | null = node;
  while (stmt && stmt.parent && stmt.parent.type !== 'block') {
    if (stopAt && stmt.id === stopAt.id) return null;
    stmt = stmt.parent;
  }
  for (let next = stmt?.nextNamedSibling ?? null; next; next = next.nextNamedSibling) {
    if (next.type === 'return_statement') return 'return';
    if (next.type === 'break_statement') return 'break';
    if (next.type !== 'comment' && next.type !== 'expression_statement') return null;
  }
  return null;
}

/**
 * `obj, _ = Model.objects.get_or_create(...)` (or `obj = ….create(...)[0]`, `cache[k] = ….create(...)`)
 * inside an `if` whose block also stores the result in a dict (`cache[key] = obj`): the write runs on a
 * cache miss, once per key.
 */
export function memoizedWrite(call: Node, loop: Node): boolean {
  let value: Node = call;
  while (value.parent?.type === 'subscript' && value.parent.childForFieldName('value')?.id === value.id) value = value.parent;
  const assign = value.parent?.type === 'assignment' && value.parent.childForFieldName('right')?.id === value.id ? value.parent : null;
  const left = assign?.childForFieldName('left');
  if (!assign || !left) return false;
  if (left.type === 'subscript') return within(assign, loop, 'if_statement');
  const first = left.type === 'identifier' ? left : ['pattern_list', 'tuple_pattern'].includes(left.type) ? left.firstNamedChild : null;
  if (first?.type !== 'identifier') return false;
  let block: Node | null = assign.parent;
  while (block && block.id !== loop.id && !(block.type === 'block' && block.parent?.type === 'if_statement')) block = block.parent;
  if (!block || block.id === loop.id) return false;
  let stored = false;
  walk(block, (n) => {
    if (n.type === 'assignment' && n.childForFieldName('left')?.type === 'subscript' && n.childForFieldName('right')?.text === first.text) stored = true;
    return !stored;
  });
  return stored;
}

/** `node` sits inside a `type` node that is itself inside `loop`. */
function within(node: Node, loop: Node, type: string): boolean {
  for (let p = node.parent; p && p.id !== loop.id; p = p.parent) if (p.type === type) return true;
  return false;
}

/**
 * A test for emptiness or for more than one: `len(x) > 0`, `count >= 1`, `n != 0`, `seen[k] > 1` (a
 * duplicate: peeringdb 0091). No batch is one or two rows long (not `> 0.5`, not `>= 10`).
 */
const EMPTINESS_TEST = /(?:\blen\([^()]*\))?\s*(?:>\s*[01]|>=\s*[12]|!=\s*0)\b(?!\.)/g;

/** A bulk write under `if len(x) >= n` (or `%`, `>`): flushing a batch that accumulates. */
export function underSizeCheck(node: Node, loop: Node): boolean {
  for (let p = node.parent; p && p.id !== loop.id; p = p.parent) {
    if (p.type === 'if_statement') {
      // `if count > 0:` asks whether there is anything at all, not whether a batch is full.
      const cond = (p.childForFieldName('condition')?.text ?? '').replace(EMPTINESS_TEST, '');
      if (/\blen\(|%|>=|>/.test(cond) && !/^\s*(?:not\s+)?len\([^()]*\)\s*$/.test(cond)) return true;
    }
  }
  return false;
}

/** Methods whose arguments are text for people: a slice there shortens what is shown. */
const OUTPUT_CALLS = /^(?:print|debug|info|warning|warn|error|exception|critical|log|write)$/;

/**
 * The slice shapes text that is printed or logged: it sits in an f-string's `{…}` or in the
 * arguments of `print()`, a logger's method or a stream's `write()` (`print(f"{cmd[:50]}")`).
 */
function inOutput(slice: Node): boolean {
  for (let p = slice.parent; p && p.type !== 'block' && p.type !== 'module'; p = p.parent) {
    if (p.type === 'interpolation') return true;
    if (p.type === 'argument_list') {
      const fn = p.parent?.childForFieldName('function');
      const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.type === 'identifier' ? fn.text : null;
      if (name && OUTPUT_CALLS.test(name)) return true;
    }
  }
  return false;
}

/** Calls whose result is a string, never rows (`list(qs)` is rows: its windows are batches). */
const PLAIN_CALLS = /^(?:str|repr|bytes|format|slugify|force_str|smart_str|quote|get_valid_filename)$/;
const PLAIN_METHODS = /^(?:split|rsplit|splitlines|strip|lstrip|rstrip|lower|upper|replace|join|format|encode|decode|keys|items|partition|rpartition)$/;

/**
 * Whether an expression is plainly a string or a literal list — `"…"`, `[…]`, `str(…)`, `x.split("/")` —
 * or a name every assignment in its function binds to one: its slice is no batch of rows (review 29:
 * pootle `pootle_app/0017` slices `path.split("/")[:3]`, `pootle_fs/0002` a `str()`).
 */
function plainValue(value: Node, at: Node, depth = 0): boolean {
  if (['string', 'concatenated_string', 'list', 'tuple'].includes(value.type)) return true;
  if (value.type === 'call') {
    const fn = value.childForFieldName('function');
    if (fn?.type === 'identifier') return PLAIN_CALLS.test(fn.text);
    return fn?.type === 'attribute' && PLAIN_METHODS.test(fn.childForFieldName('attribute')?.text ?? '');
  }
  if (value.type !== 'identifier' || depth > 0) return false;
  const fn = functionAround(at);
  const body = fn?.childForFieldName('body');
  if (!body) return false;
  const bindings = body.descendantsOfType('assignment').filter((a) => a.childForFieldName('left')?.text === value.text);
  return bindings.length > 0 && bindings.every((a) => {
    const right = a.childForFieldName('right');
    return !!right && plainValue(right, a, depth + 1);
  });
}

/**
 * A subscript whose slice can stand for a batch: not `[:1]` / `[0:1]` (a LIMIT 1 lookup), nor one
 * that shortens what is printed or logged, nor one of what a loop around it binds for each item
 * (`values[:4]`: a row cut in pieces, not a queryset taken in batches; akvo-rsr rsr/0109).
 * @param boundPerItem whether a name is one a loop around the subscript binds for each item
 */
export function isBatchSlice(subscript: Node, boundPerItem: (name: string) => boolean): boolean {
  const slice = subscript.childForFieldName('subscript');
  if (slice?.type !== 'slice' || inOutput(slice)) return false;
  const value = subscript.childForFieldName('value');
  if (value?.type === 'identifier' && boundPerItem(value.text)) return false;
  // A part of what the loop binds for each item (`row["name"][:100]`, `row.title[:50]`): text cut, not rows (review 31: ocw-studio `websites/0031`).
  let root: Node | null = value ?? null;
  while (root && (root.type === 'subscript' || root.type === 'attribute')) root = root.type === 'subscript' ? root.childForFieldName('value') : root.childForFieldName('object');
  if (root !== value && root?.type === 'identifier' && boundPerItem(root.text)) return false;
  if (value && plainValue(value, subscript)) return false;
  const bounds = slice.namedChildren;
  const literal = bounds.every((b) => b.type === 'integer');
  if (!literal) return bounds.length > 0;
  const values = bounds.map((b) => Number(b.text));
  return Math.max(0, ...values) > 1;
}

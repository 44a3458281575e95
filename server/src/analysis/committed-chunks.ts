/**
 * Per-row writes that commit in chunks: the loop stands in a `with transaction.atomic():` block that
 * an enclosing loop enters once per chunk of rows (a slice, `islice(rows, N)`, a chunking helper).
 * In a migration that is not atomic, each chunk then commits on its own: the long transaction of a
 * save loop — every row it writes locked until the migration ends — is gone, which is what the
 * seeds call processing in chunks. The same block inside the migration's transaction is a savepoint
 * and commits nothing. Read by unbatched-save-loop (which leaves such a loop alone when nothing
 * wraps it in one transaction) and missing-atomic-false (which counts it as batching).
 */
import type { LoopFacts } from './code-facts';
import { iteratesInBatches } from './iterables';
import { unparen, type Node } from './syntax';

/** `with transaction.atomic(…):`, `with atomic():`, `with django.db.transaction.atomic(using=…) as x:`. */
export function isAtomicWith(stmt: Node): boolean {
  if (stmt.type !== 'with_statement') return false;
  const clause = stmt.namedChildren.find((c) => c.type === 'with_clause');
  return (clause?.namedChildren ?? []).some((item) => {
    let value = item.type === 'with_item' ? item.childForFieldName('value') : null;
    if (value?.type === 'as_pattern') value = value.namedChildren[0] ?? null;
    const call = value ? unparen(value) : null;
    if (call?.type !== 'call') return false;
    return /^(?:[\w.]*\.)?atomic$/.test(call.childForFieldName('function')?.text ?? '');
  });
}

/** The decorator that runs a function in one transaction (`@transaction.atomic`, `@atomic(using=…)`), as written, or null. */
export function atomicDecorator(fn: Node): string | null {
  const wrapped = fn.parent?.type === 'decorated_definition' ? fn.parent : null;
  const found = wrapped?.namedChildren.find((d) => d.type === 'decorator' && /^@\s*(?:[\w.]*\.)?atomic\b/.test(d.text));
  return found ? found.text.replace(/\(.*$/s, '').trim() : null;
}

const SCOPES = new Set(['function_definition', 'lambda', 'class_definition', 'module']);
const LOOPS = new Set(['for_statement', 'while_statement']);

/** A `with transaction.atomic():` around `node` in its function, or null. */
export function enclosingAtomic(node: Node): Node | null {
  for (let p = node.parent; p && !SCOPES.has(p.type); p = p.parent) if (isAtomicWith(p)) return p;
  return null;
}

/** `list(islice(rows, N))`, `islice(rows, N)`, `rows[a:b]`, `chunked(rows, N)`: one bounded chunk of rows. */
function boundedChunk(expr: Node): boolean {
  const n = unparen(expr);
  if (n.type === 'subscript') return n.childForFieldName('subscript')?.type === 'slice';
  if (n.type !== 'call') return false;
  const fn = n.childForFieldName('function')?.text ?? '';
  const first = n.childForFieldName('arguments')?.namedChildren[0];
  if ((fn === 'list' || fn === 'tuple') && first) return boundedChunk(first);
  return /(?:^|\.)islice$/.test(fn) || iteratesInBatches(n) === 'chunks';
}

/**
 * The enclosing loop that commits `loop`'s rows one chunk at a time, or null: `loop` is (or stands
 * inside) a `for` that stands directly in a `with …atomic(…):` block inside that enclosing loop and
 * walks one bounded chunk (a slice, or a name the enclosing loop binds to one, or the chunk a
 * chunking iterable yields), and no other atomic block wraps the whole.
 */
export function committingChunk(loop: LoopFacts): Node | null {
  let chunkLoop: Node | null = null;
  let withStmt: Node | null = null;
  for (let cur: Node = loop.node; cur.parent && !SCOPES.has(cur.parent.type); cur = cur.parent) {
    const block = cur.parent;
    if (block.type === 'block' && block.parent && isAtomicWith(block.parent)) {
      chunkLoop = cur;
      withStmt = block.parent;
      break;
    }
  }
  if (!chunkLoop || !withStmt || chunkLoop.type !== 'for_statement') return null;
  const chunkIterable = chunkLoop.childForFieldName('right');
  if (!chunkIterable) return null;
  let outer: Node | null = null;
  for (let p = withStmt.parent; p && !SCOPES.has(p.type); p = p.parent) {
    if (LOOPS.has(p.type)) {
      outer = p;
      break;
    }
  }
  if (!outer || enclosingAtomic(outer)) return null;
  const iterable = unparen(chunkIterable);
  if (boundedChunk(iterable)) return outer;
  if (iterable.type !== 'identifier') return null;
  const name = iterable.text;
  // `for chunk in chunked(rows, 1000):` — the chunk is the outer loop's own target.
  if (outer.type === 'for_statement' && outer.childForFieldName('left')?.text === name && iteratesInBatches(outer.childForFieldName('right')) === 'chunks') return outer;
  // `chunk = list(islice(rows, 1000))` in the outer loop's body, every binding of the name there bounded.
  const bindings = (outer.childForFieldName('body')?.descendantsOfType('assignment') ?? []).filter((a) => a.childForFieldName('left')?.text === name);
  const right = bindings.map((a) => a.childForFieldName('right'));
  return right.length > 0 && right.every((r) => r && boundedChunk(r)) ? outer : null;
}

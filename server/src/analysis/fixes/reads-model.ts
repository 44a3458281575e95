/**
 * Whether a loop body queries a table the batched loop writes. A batched loop writes its rows at
 * each flush, not as it goes, so a query in the body no longer sees the rows written earlier in the
 * same batch: `if not Tag.objects.filter(name=n).exists(): Tag.objects.create(name=n)` creates
 * duplicates, `row.position = Row.objects.filter(position__isnull=False).count() + 1` repeats.
 */
import { walk, type Node } from '../syntax';
import { MANAGERS } from '../historical-models';
import { oneLine } from './loop-chain';
import type { Scope } from '../scope';

/** Manager methods that insert rows without reading any. */
const INSERTS_ONLY = new Set(['create', 'bulk_create']);

/**
 * The `Model.objects` / `Model._default_manager` / `Model._base_manager` nodes in `body`, except
 * inside the nodes of `skip` (the receivers of the writes being batched, which are not reads).
 * Stops at the first when `first` is set.
 */
export function modelReads(body: Node, model: string, skip: readonly Node[] = [], { first = false, insertsRead = true }: { first?: boolean; insertsRead?: boolean } = {}): Node[] {
  const found: Node[] = [];
  walk(body, (n) => {
    if ((first && found.length > 0) || skip.some((s) => n.startIndex >= s.startIndex && n.endIndex <= s.endIndex)) return false;
    if (n.type === 'attribute' && n.childForFieldName('object')?.text === model && MANAGERS.has(n.childForFieldName('attribute')?.text ?? '')) {
      // `DailyCount.objects.create(…)` reads no row (review 25, casepro `statistics/0002`): not counted
      // where the caller asks only for reads that rows held back in a batch would change.
      const method = n.parent?.type === 'attribute' && n.parent.childForFieldName('object')?.id === n.id ? n.parent.childForFieldName('attribute')?.text : undefined;
      if (insertsRead || !(method && INSERTS_ONLY.has(method) && n.parent?.parent?.type === 'call')) found.push(n);
      return false;
    }
    return true;
  });
  return found;
}

/**
 * The first function of the file that `body` calls by name (`random_id()`) — or that such a function
 * calls, a few levels down — whose own body reads `model`: its name, or null. A query there runs
 * once per row as much as one in the loop (review 22, open-humans `private_sharing/0003`: an id drawn
 * until no row of the table has it, then the row created; batched, two rows of one batch could draw
 * the same id).
 */
export function helperReadingModel(body: Node, model: string, locals: Scope, depth = 3, seen = new Set<number>()): string | null {
  if (depth === 0) return null;
  for (const call of body.descendantsOfType('call')) {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'identifier') continue;
    const bound = locals.lookup(fn.text);
    const def = bound?.kind === 'function' && bound.node.type === 'function_definition' ? bound.node : null;
    const inner = def?.childForFieldName('body');
    if (!def || !inner || seen.has(def.id)) continue;
    seen.add(def.id);
    if (readsModel(inner, model) || helperReadingModel(inner, model, locals, depth - 1, seen) !== null) return fn.text;
  }
  return null;
}

/** Built-ins that take a class without querying its table. */
const CLASS_ONLY = new Set(['isinstance', 'issubclass', 'type', 'id', 'repr', 'str', 'print', 'getattr', 'hasattr']);

/**
 * A call in `body` that is handed the model class itself (`create_or_check_slug(instance=row,
 * model=Category)`): what it does with it cannot be seen here, and a query of its table is what such
 * helpers are for (review 23, tendenci `forums/0003`: slugs made unique by asking the table came out
 * the same for two rows of a batch). The callee as written, or null.
 */
export function modelHandedTo(body: Node, model: string): string | null {
  for (const call of body.descendantsOfType('call')) {
    const fn = call?.childForFieldName('function');
    const args = call?.childForFieldName('arguments');
    if (!fn || !args || args.type !== 'argument_list' || CLASS_ONLY.has(fn.text)) continue;
    for (const a of args.namedChildren) {
      const value = a.type === 'keyword_argument' ? a.childForFieldName('value') : a;
      if (value?.type === 'identifier' && value.text === model) return oneLine(fn.text);
    }
  }
  return null;
}

/**
 * A written field read through a relation of rows the body queries itself — `edge.rangenode.name`,
 * `edge` a loop or comprehension target in the body — which may be rows the batched loop writes
 * (review 23, arches `6700`: sibling nodes' names read through their edges; batched, the second of
 * two same-named siblings still saw the first's old name and was renamed too). The read as written, or null.
 */
export function relationReadOf(body: Node, rows: readonly string[], written: readonly string[]): string | null {
  const bound = new Set<string>();
  for (const n of body.descendantsOfType(['for_statement', 'for_in_clause'])) {
    const left = n?.childForFieldName('left');
    if (left) for (const id of left.type === 'identifier' ? [left] : left.descendantsOfType('identifier')) if (id && !rows.includes(id.text)) bound.add(id.text);
  }
  if (bound.size === 0) return null;
  for (const a of body.descendantsOfType('attribute')) {
    const field = a?.childForFieldName('attribute')?.text ?? '';
    const via = a?.childForFieldName('object');
    if (!a || !written.includes(field) || via?.type !== 'attribute') continue;
    const root = via.childForFieldName('object');
    if (root?.type === 'identifier' && bound.has(root.text)) return oneLine(a.text);
  }
  return null;
}

/** Whether `body` reads `model` through one of its managers (see modelReads). */
export function readsModel(body: Node, model: string, skip: readonly Node[] = []): boolean {
  return modelReads(body, model, skip, { first: true }).length > 0;
}

/**
 * `row.field` read (not set) where `field` relates the row's model to itself (`profile.current_team`):
 * the first such read, as written; null when none.
 */
export function selfRelationRead(body: Node, row: string, selfRelated: (field: string) => boolean): string | null {
  for (const a of body.descendantsOfType('attribute')) {
    const obj = a.childForFieldName('object');
    const field = a.childForFieldName('attribute')?.text ?? '';
    if (obj?.type !== 'identifier' || obj.text !== row || !selfRelated(field)) continue;
    const p = a.parent;
    if (p?.type === 'assignment' && p.childForFieldName('left')?.id === a.id) continue;
    return oneLine(p?.type === 'attribute' ? p.text : a.text);
  }
  return null;
}

/**
 * A read of a model (modelReads' manager node) that asks only for rows of the loop's own row: a
 * `filter()` / `get()` / `exclude()` call in its chain has a keyword equal to it (`user=user`,
 * `user_id=user.pk`, `user_id=user.id`). Over rows that are each met once, such a query cannot
 * see what other iterations wrote (or held back in a batch): `if not Settings.objects.filter(
 * user=user).exists(): Settings.objects.create(user=user)`.
 */
export function keyedByRow(read: Node, rows: readonly string[]): boolean {
  const own = new Set(rows.flatMap((r) => [r, `${r}.pk`, `${r}.id`]));
  for (let n: Node | null = read.parent; n && (n.type === 'attribute' || n.type === 'call'); n = n.parent) {
    if (n.type !== 'call') continue;
    const method = n.childForFieldName('function')?.childForFieldName('attribute')?.text ?? '';
    if (method !== 'filter' && method !== 'get' && method !== 'exists' && method !== 'first') continue;
    for (const kw of n.childForFieldName('arguments')?.namedChildren ?? []) {
      if (kw.type !== 'keyword_argument') continue;
      const name = kw.childForFieldName('name')?.text ?? '';
      const value = kw.childForFieldName('value')?.text.replace(/\s+/g, '') ?? '';
      if (!/__/.test(name.replace(/__(exact|pk|id)$/, '')) && own.has(value)) return true;
    }
  }
  return false;
}

/** The whole query a model read (modelReads' manager node) starts: the chain of attributes and calls above it. */
export function queryText(read: Node): string {
  let top = read;
  while (top.parent && (top.parent.type === 'attribute' || (top.parent.type === 'call' && top.parent.childForFieldName('function')?.id === top.id))) top = top.parent;
  return top.text;
}

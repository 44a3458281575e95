/**
 * The queryset a save loop walks, as "Batch this loop" and the other save-loop fixes read it: the
 * model its rows belong to and the manager bulk writes go through (`Order.objects.using(alias)`),
 * written in the loop's header or bound once to a local name.
 */
import { isGetModelCall, isHistoricalModel, MANAGERS } from '../historical-models';
import type { Scope } from '../scope';
import { functionAround, rootName, unparen, walk, type Node } from '../syntax';

export interface Chain {
  /** The model class name the chain starts from. */
  model: string;
  /** `Order.objects` or `Order.objects.using(alias)`: what bulk writes go through. */
  manager: string;
  /** Already streams, or prefetches (which iterator() would drop on older Django). */
  streams: boolean;
  /** The chain as written. */
  expr: Node;
}

/** Queryset methods that return a queryset of the same model's rows. */
export const QUERYSET_CHAIN: ReadonlySet<string> = new Set(
  'all filter exclude order_by distinct select_related prefetch_related only defer using annotate alias reverse extra none union intersection difference select_for_update iterator complex_filter values values_list'.split(' '),
);

/** A model class by its name's case: `Order`. */
const CAPITALISED = (name: string): boolean => /^[A-Z]/.test(name);

/** Model classes in `locals`: capitalised names, and lower-case ones bound to `apps.get_model(...)` (`line_model`). */
export function modelNames(locals: Scope): (name: string) => boolean {
  return (name) => CAPITALISED(name) || isHistoricalModel(name, locals);
}

/**
 * `Order.objects.using(a).filter(...)` -> Order, `Order.objects.using(a)`. Null for anything else.
 * `isModel` says which plain names are model classes (by default the capitalised ones).
 */
export function chainOf(expr: Node, isModel: (name: string) => boolean = CAPITALISED): Chain | null {
  const links: Node[] = [];
  let cur: Node | null = unparen(expr);
  while (cur && (cur.type === 'call' || cur.type === 'attribute' || cur.type === 'subscript') && !isGetModelCall(cur)) {
    links.push(cur);
    cur = cur.type === 'call' ? cur.childForFieldName('function') : cur.type === 'attribute' ? cur.childForFieldName('object') : cur.childForFieldName('value');
  }
  // `Order.objects…`, or `apps.get_model("shop", "Order").objects…` written inline.
  const inline = !!cur && isGetModelCall(cur);
  if (!cur || (!inline && (cur.type !== 'identifier' || !isModel(cur.text)))) return null;
  let model = oneLine(cur.text);
  let manager: string | null = null;
  let streams = false;
  // Attributes between the model and its manager: only a many-to-many field's `through` model
  // (`CoursePage.topics.through.objects`: the rows are the join table's, review 28: mitxpro `cms/0056`).
  const before: string[] = [];
  for (let i = links.length - 1; i >= 0; i--) {
    const link = links[i] as Node;
    if (link.type !== 'attribute') {
      if (manager === null) return null;
      continue;
    }
    const attr = link.childForFieldName('attribute')?.text ?? '';
    // A manager of the model's own (`Election.private_objects.all()`: historical models keep the
    // managers marked use_in_migrations; review 75, EveryElection `elections/0068`): a name right after
    // a model class (capitalised, or `apps.get_model(…)` inline) that a queryset method is called on. Not
    // on a row (`placeholder.cmsplugin_set.filter(…)` is a related manager: other rows, another model).
    if (manager === null && !MANAGERS.has(attr) && before.length === 0 && (inline || CAPITALISED(cur.text)) && attr !== 'through' && !attr.startsWith('_') && !attr.endsWith('_set') && calledMethod(links, i - 1)) {
      manager = oneLine(link.text);
      continue;
    }
    if (manager === null && !MANAGERS.has(attr)) {
      before.push(attr);
      if (before.length > 2 || (before.length === 2 && attr !== 'through')) return null;
      if (attr === 'through') model = oneLine(link.text);
      continue;
    }
    if (manager === null && before.length === 1) return null;
    if (MANAGERS.has(attr) && manager === null) manager = oneLine(link.text);
    // Past the manager, only methods that return a queryset of the same model: `.get(…).projects`
    // walks to another model's rows.
    else if (manager !== null && !QUERYSET_CHAIN.has(attr)) return null;
    if (attr === 'using' && manager !== null && links[i - 1]?.type === 'call') manager = oneLine((links[i - 1] as Node).text);
    if (attr === 'iterator' || attr === 'prefetch_related') streams = true;
  }
  return manager ? { model, manager, streams, expr: unparen(expr) } : null;
}

/** Whether links[i] is `.method` of a queryset that links[i - 1] calls. */
function calledMethod(links: readonly Node[], i: number): boolean {
  const link = links[i];
  return link?.type === 'attribute' && QUERYSET_CHAIN.has(link.childForFieldName('attribute')?.text ?? '') && links[i - 1]?.type === 'call';
}

/** An expression written over several lines, on one: `using(\n  alias=a\n)` -> `using(alias=a)`. */
export function oneLine(text: string): string {
  return text.replace(/([([{])\s*\n\s*/g, '$1').replace(/\s*\n\s*([)\]}])/g, '$1').replace(/\s*\n\s*/g, ' ');
}

/**
 * Methods a loop's header may call on a queryset bound to a local name and still walk its rows, as
 * they are (`groups.iterator()`): no filter (it could repeat rows across a relation), no `using`
 * (another database), no values() (not rows).
 */
const HEADER_KEEPS_ROWS: ReadonlySet<string> = new Set(['all', 'iterator', 'order_by', 'select_related', 'prefetch_related', 'only', 'defer']);

/**
 * The chain a loop walks: written in the header, or bound once to a local name (saleor's `groups =
 * Group.objects.filter(…)`), which the header may walk through methods that keep its rows.
 */
export function iterableChain(iterable: Node | null, locals: Scope): { chain: Chain; inHeader: boolean } | null {
  if (!iterable) return null;
  const n = unparen(iterable);
  const isModel = modelNames(locals);
  const direct = chainOf(n, isModel);
  if (direct) return { chain: direct, inHeader: true };
  let root: Node = n;
  let streams = false;
  while (root.type === 'call') {
    const fn = root.childForFieldName('function');
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
    const object = fn?.childForFieldName('object');
    if (!method || !object || !HEADER_KEEPS_ROWS.has(method)) return null;
    // `iterator(chunk_size=…)` keeps the rows; positional arguments only for the methods that take fields.
    if (method === 'all' && root.childForFieldName('arguments')?.namedChildren.some((a) => a.type !== 'comment')) return null;
    if (method === 'iterator' || method === 'prefetch_related') streams = true;
    root = unparen(object);
  }
  if (root.type === 'identifier') {
    const b = locals.lookup(root.text);
    const c = b?.kind === 'value' ? chainOf(b.node, isModel) : null;
    if (c) return { chain: streams ? { ...c, streams } : c, inHeader: false };
  }
  return null;
}

/**
 * Whether a loop's iterable may yield rows of several models: `itertools.chain(…)`, a `+` of
 * sequences, a literal of several items (or a name bound to one of these), a list or a dict's lists
 * the function gathers rows into from more than one source (walked as such, or as a target of a
 * loop around `loop` over the dict's items). A queryset or a related manager yields rows of one model.
 */
export function mayMixModels(iterable: Node | null, locals: Scope, depth = 0): boolean {
  if (!iterable || depth > 3) return false;
  const n = unparen(iterable);
  if (n.type === 'identifier') {
    // A target of a loop around this one over a dict's lists (`for color, obstacles in grouped.items()`).
    const around = loopBinding(n);
    if (around) {
      const dict = dictWalked(around);
      return !!dict && gatheredFromSeveral(n, dict);
    }
    const bound = locals.lookup(n.text);
    if (bound?.kind !== 'value') return false;
    // `rows = []`, then rows appended from two queries.
    if (bound.node.type === 'list' && bound.node.namedChildCount === 0) return gatheredFromSeveral(n, n.text);
    return mayMixModels(bound.node, locals, depth + 1);
  }
  // `grouped[color]`: one of a dict's lists.
  if (n.type === 'subscript') {
    const dict = n.childForFieldName('value');
    return dict?.type === 'identifier' && gatheredFromSeveral(n, dict.text);
  }
  if (n.type === 'binary_operator') return n.childForFieldName('operator')?.text === '+';
  if (n.type === 'list' || n.type === 'tuple' || n.type === 'set') return n.namedChildCount > 1;
  if (n.type === 'call') {
    const fn = n.childForFieldName('function')?.text ?? '';
    if (/(?:^|\.)chain(?:\.from_iterable)?$/.test(fn)) return true;
    if (/^(?:list|tuple|sorted|reversed|iter)$/.test(fn)) return mayMixModels(n.childForFieldName('arguments')?.namedChildren[0] ?? null, locals, depth + 1);
  }
  return false;
}

/** The iterable of the nearest `for` around `name` whose target binds it (`for color, obstacles in …`), in the same function. */
function loopBinding(name: Node): Node | null {
  for (let p = name.parent; p && p.type !== 'function_definition'; p = p.parent) {
    if (p.type !== 'for_statement') continue;
    const left = p.childForFieldName('left');
    const binds = left?.type === 'identifier' ? left.text === name.text : !!left?.descendantsOfType('identifier').some((i) => i.text === name.text);
    if (binds && !(left && name.startIndex >= left.startIndex && name.endIndex <= left.endIndex)) return p.childForFieldName('right');
  }
  return null;
}

/** `grouped.items()`, `grouped.values()`, or either in sorted()/list(): the dict `grouped`; else null. */
function dictWalked(iterable: Node | null): string | null {
  let n = iterable ? unparen(iterable) : null;
  if (n?.type === 'call' && /^(?:sorted|list|reversed|tuple)$/.test(n.childForFieldName('function')?.text ?? '')) n = n.childForFieldName('arguments')?.namedChildren[0] ?? null;
  const fn = n?.type === 'call' ? n.childForFieldName('function') : null;
  const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
  const owner = fn?.childForFieldName('object');
  return (method === 'items' || method === 'values') && owner?.type === 'identifier' ? owner.text : null;
}

/**
 * Whether the function around `at` gathers rows into `container` (a list, or a dict's lists) from
 * more than one source: `grouped.setdefault(k, []).append(obstacle)` and `….append(lineobstacle)`
 * from loops over two models (c3nav `0100`: review 59), or `rows.extend(…)` twice.
 */
function gatheredFromSeveral(at: Node, container: string): boolean {
  const fn = functionAround(at);
  if (!fn) return false;
  const sources = new Set<string>();
  walk(fn, (c) => {
    if (c.type !== 'call') return true;
    const f = c.childForFieldName('function');
    const method = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : undefined;
    if (method !== 'append' && method !== 'extend' && method !== 'insert') return true;
    const args = c.childForFieldName('arguments')?.namedChildren ?? [];
    if (rootName(f?.childForFieldName('object') ?? null) === container) sources.add(args[args.length - 1]?.text ?? '');
    return true;
  });
  return sources.size > 1;
}

/**
 * Which fields the rows a loop walks are loaded with, when its queryset defers some (`.only("a")`,
 * `.defer("b")`, in the header or in the chain bound to the local it walks): a plain save() of such
 * a row writes only its loaded fields and the ones the loop sets, so an auto_now field left out is
 * not stamped (review 45: lookit-api `studies/0080`). Null: nothing deferred that can be seen;
 * 'unknown': a deferral whose fields cannot be read (not string literals, or several such calls).
 */
export function loadedFields(iterable: Node | null, locals: Scope): { only: string[] } | { defer: string[] } | 'unknown' | null {
  const calls: Array<{ method: 'only' | 'defer'; args: Node | null }> = [];
  const collect = (expr: Node | null, depth: number): void => {
    let cur: Node | null = expr ? unparen(expr) : null;
    while (cur && (cur.type === 'call' || cur.type === 'attribute' || cur.type === 'subscript')) {
      if (cur.type === 'call') {
        const fn = cur.childForFieldName('function');
        const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
        if (method === 'only' || method === 'defer') calls.push({ method, args: cur.childForFieldName('arguments') });
        cur = fn;
      } else cur = cur.type === 'attribute' ? cur.childForFieldName('object') : cur.childForFieldName('value');
    }
    if (cur?.type === 'identifier' && depth === 0) {
      const b = locals.lookup(cur.text);
      if (b?.kind === 'value') collect(b.node, depth + 1);
    }
  };
  collect(iterable, 0);
  if (calls.length === 0) return null;
  const call = calls[0] as { method: 'only' | 'defer'; args: Node | null };
  if (calls.length > 1 || !call.args) return 'unknown';
  const names: string[] = [];
  for (const a of call.args.namedChildren) {
    if (a.type === 'comment') continue;
    const s = a.type === 'string' ? /^(?:[rRuU]?)(["'])([\w.]*)\1$/.exec(a.text) : null;
    if (!s) return 'unknown';
    names.push(s[2] as string);
  }
  return call.method === 'only' ? { only: names } : { defer: names };
}

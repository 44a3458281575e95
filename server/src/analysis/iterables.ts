/**
 * What a loop iterates over, as far as the rules care: a bounded collection written in the code
 * (literals, constants, settings, the app registry's models) versus rows from the database, and
 * whether the iteration itself is batched (chunked iterators, range windows, paginators).
 */
import { mentions } from './fixes/loop-reading';
import { keyedByFixedList, narrowKeyRange, type UniqueKey } from './fixed-filters';
import { fewPasses } from './range-bounds';
import type { Scope } from './scope';
import { callArguments, dottedName, functionAround, sequenceElements, staticString, unparen, within, type Node } from './syntax';

const WRAPPERS = new Set(['enumerate', 'zip', 'sorted', 'reversed', 'list', 'tuple', 'set', 'frozenset', 'iter', 'dict']);
const VIEW_METHODS = new Set(['items', 'keys', 'values']);
const CONSTANT = /^_?[A-Z][A-Z0-9_]*$/;
const NONE: ReadonlySet<string> = new Set();
/** How deep a question follows names, parameters and loops (cycles are cut by the sets of questions being judged). */
const MAX_DEPTH = 40;
/** Parameters whose boundedness is being judged, deeper in the same question. */
const boundedJudging = new Set<string>();
/** A CamelCase class name (not a CONSTANT). */
const ENUM_CLASS = /^_?[A-Z][a-z0-9]\w*$/;
const ENUM_LISTS = new Set(['values', 'labels', 'names', '__members__']);
const SCHEMA_SIZED = /(^|\.)(get_models|get_app_configs|get_fields|get_field_names)$|(^|\.)_meta\.(fields|local_fields|many_to_many|related_objects|concrete_fields)$/;
/** Methods whose result is sized by the schema, whatever the receiver: `apps.get_app_config(x).get_models()`. */
const SCHEMA_SIZED_METHODS = new Set(['get_models', 'get_app_configs', 'get_fields']);

export type { UniqueKey } from './fixed-filters';

/** True when `node` evaluates to a collection whose size the code itself fixes. */
export function isBoundedIterable(node: Node | null, scope: Scope, boundedNames: ReadonlySet<string> = NONE, depth = 0, uniqueKey?: UniqueKey): boolean {
  if (!node || depth > MAX_DEPTH) return false;
  const n = unparen(node);
  const again = (x: Node | null) => isBoundedIterable(x, scope, boundedNames, depth + 1, uniqueKey);
  if (sequenceElements(n) || n.type === 'dictionary' || n.type === 'string' || n.type === 'concatenated_string') return true;
  switch (n.type) {
    // `ROLES_A if legacy else ROLES_B`: fixed whichever way it goes (galaxy_ng 0029, review 24).
    case 'conditional_expression': {
      const [a, , b] = n.namedChildren;
      return !!a && !!b && again(a) && again(b);
    }
    // `ADMIN_ROLES + MOD_ROLES`: two fixed collections joined (review 53: askbot `0014`).
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.text;
      return (op === '+' || op === '|') && again(n.childForFieldName('left')) && again(n.childForFieldName('right'));
    }
    case 'identifier': {
      if (CONSTANT.test(n.text) || boundedNames.has(n.text)) return true;
      // A loop's target over a fixed collection whose every element is fixed too (`for param in params:`
      // over a list of dict literals; `for key, value in data.items()` over a dict literal's values).
      const looped = loopBinding(n);
      if (looped) return elementsBounded(looped.collection, looped.part, scope, depth + 1);
      const passed = parameterArguments(n);
      if (passed) {
        // A parameter every call in the file passes a fixed collection to (galaxy_ng 0029's translator, review 24).
        // A helper's call of itself, asked again while judged: what its other calls pass decides.
        const key = `${n.text}\0${functionAround(n)?.id ?? ''}`;
        if (boundedJudging.has(key)) return true;
        boundedJudging.add(key);
        try {
          let root = scope;
          while (root.parent) root = root.parent;
          return passed.length > 0 && passed.every((a) => isBoundedIterable(a, root, NONE, depth + 1, uniqueKey));
        } finally {
          boundedJudging.delete(key);
        }
      }
      const b = scope.lookup(n.text);
      // A name bound once, inside a loop (each pass its own value): bounded when that value is, from the
      // names of the loops around it (review 39: pulp_container `0027` builds `perms` from each entry of a
      // constant, then `other_uop` from `perms[1:]`, and deletes those few rows).
      if (!b) {
        const sole = soleAssignment(n);
        return !!sole && !grown(n.text, sole, scope, depth) && again(sole);
      }
      // A class imported from another module, iterated itself: only an Enum's class is (TextChoices
      // too), whose members the code fixes (meinberlin's `for topic in TopicEnum:`, review 25).
      if (b.kind === 'import' && ENUM_CLASS.test(n.text)) return true;
      if (b?.kind !== 'value' || grown(n.text, b.node, scope, depth) || reboundGlobally(n.text, b.node)) return false;
      return again(b.node);
    }
    case 'subscript':
      // A piece of a fixed collection is fixed too: CONSTANT[key], entry["items"].
      return again(n.childForFieldName('value'));
    // `(apps.get_model("app", name) for name in ["A", "B"])`: no more items than what it walks
    // (review 33: opencraft `instance/0066` walks two model classes so).
    case 'generator_expression':
    case 'list_comprehension':
    case 'set_comprehension': {
      const clauses = n.namedChildren.filter((c) => c.type === 'for_in_clause');
      return clauses.length > 0 && clauses.every((c) => again(c.childForFieldName('right')));
    }
    case 'attribute': {
      const name = dottedName(n) ?? '';
      const last = name.split('.').pop() ?? '';
      if (CONSTANT.test(last) || name.startsWith('settings.') || last === 'choices' || SCHEMA_SIZED.test(name)) return true;
      // An imported Enum's (or Choices class's) members, values, labels or names.
      const obj = n.childForFieldName('object');
      if (ENUM_LISTS.has(last) && obj?.type === 'identifier' && ENUM_CLASS.test(obj.text) && scope.lookup(obj.text)?.kind === 'import') return true;
      return false;
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      if (!fn) return false;
      const name = dottedName(fn) ?? '';
      const args = callArguments(n);
      if (name === 'range') {
        const bounds = args.positional.map((a) => unparen(a));
        const fixed = fewPasses(bounds);
        if (fixed !== null) return fixed;
        const end = bounds.length === 1 ? (bounds[0] as Node) : null;
        // `range(len(LEVELS))` over a collection the code fixes (review 27: palvelutarjotin occurrences/0023).
        const counted = end?.type === 'call' && end.childForFieldName('function')?.text === 'len' ? callArguments(end).positional[0] : undefined;
        return !!counted && args.positional.length === 1 && again(counted);
      }
      if (WRAPPERS.has(name)) return args.positional.length > 0 && args.positional.every((a) => again(a));
      // `getattr(settings, "LANGUAGES", {})` is `settings.LANGUAGES` with a fallback the code fixes (review 52: oioioi `programs/0009`).
      if (name === 'getattr' && args.positional.length >= 2 && args.positional[0]?.text === 'settings' && args.positional[1]?.type === 'string') {
        return args.positional.length === 2 || again(args.positional[2] as Node);
      }
      if (SCHEMA_SIZED.test(name)) return true;
      if (fn.type === 'attribute') {
        const method = fn.childForFieldName('attribute')?.text ?? '';
        const obj = fn.childForFieldName('object');
        if (VIEW_METHODS.has(method) && obj) return again(obj);
        if (SCHEMA_SIZED_METHODS.has(method)) return true;
        if (method === 'filter' && obj && keyedByFixedList(args, obj, again, uniqueKey)) return true;
        if (method === 'filter' && narrowKeyRange(args)) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

const COMPREHENSIONS = new Set(['list_comprehension', 'generator_expression', 'set_comprehension', 'dictionary_comprehension']);

/** Values that are no collection: iterating one is an error, not a walk over rows. */
const SCALARS = new Set(['integer', 'float', 'true', 'false', 'none']);

/**
 * The `for` loop, in the function around `use`, whose target is `use`'s name, with the collection it
 * walks and which part of each item the name takes: the item, or a key or value of `.items()`. Null
 * where the function binds the name any other way too.
 */
function loopBinding(use: Node): { collection: Node; part: 'element' | 'key' | 'value' } | null {
  const fn = functionAround(use);
  const body = fn?.childForFieldName('body');
  if (!fn || !body) return null;
  let found: { collection: Node; part: 'element' | 'key' | 'value' } | null = null;
  let binder: Node | null = null;
  for (let p = use.parent; p && p.id !== fn.id; p = p.parent) {
    // `[f(val) for val in value]`: a comprehension's target, over what its clause walks.
    if (COMPREHENSIONS.has(p.type)) {
      const clause = p.namedChildren.find((c) => c.type === 'for_in_clause' && c.childForFieldName('left')?.type === 'identifier' && c.childForFieldName('left')?.text === use.text);
      const walked = clause?.childForFieldName('right');
      if (clause && walked && !within(use, clause)) {
        found = { collection: walked, part: 'element' };
        binder = p;
        break;
      }
      continue;
    }
    if (p.type !== 'for_statement' || !within(use, p.childForFieldName('body') ?? p)) continue;
    const left = p.childForFieldName('left');
    const right = p.childForFieldName('right');
    if (!left || !right || mentions(use.text, left.text) === 0) continue;
    if (left.type === 'identifier') found = { collection: right, part: 'element' };
    else if ((left.type === 'pattern_list' || left.type === 'tuple_pattern') && left.namedChildren.length === 2) {
      const call = unparen(right);
      const fnNode = call.type === 'call' ? call.childForFieldName('function') : null;
      const dict = fnNode?.type === 'attribute' && fnNode.childForFieldName('attribute')?.text === 'items' ? fnNode.childForFieldName('object') : null;
      const [k, v] = left.namedChildren;
      if (dict && k?.type === 'identifier' && k.text === use.text) found = { collection: dict, part: 'key' };
      else if (dict && v?.type === 'identifier' && v.text === use.text) found = { collection: dict, part: 'value' };
    }
    binder = p;
    break;
  }
  if (!found || !binder) return null;
  // Rebound inside the loop before this use (not by the statement that holds it, `value = f(value)`): another value.
  const scopeBody = binder.type === 'for_statement' ? binder.childForFieldName('body') : binder;
  const rebound = (scopeBody ?? binder).descendantsOfType(['assignment', 'augmented_assignment', 'for_statement', 'for_in_clause', 'as_pattern', 'named_expression']).some((b) => {
    if (b.id === binder?.id || b.startIndex >= use.startIndex || within(use, b)) return false;
    const target = b.type === 'as_pattern' ? b.childForFieldName('alias') : (b.childForFieldName('left') ?? b.childForFieldName('name'));
    return !!target && mentions(use.text, target.text) > 0;
  });
  return rebound ? null : found;
}

/** Collections whose items are being listed, deeper in the same question (a recursive helper's own argument). */
const listing = new Set<string>();

/**
 * The expressions a loop over `collection` can take as its target (every element, or every key or value
 * of `.items()`), following names to the literals they are bound to, parameters to what each call
 * passes, and loop targets to the items of theirs; null where any of it cannot be read. Scalars and
 * strings hold no items.
 */
function itemsOf(collection: Node, part: 'element' | 'key' | 'value', scope: Scope, depth: number): Node[] | null {
  if (depth > MAX_DEPTH) return null;
  const n = unparen(collection);
  if (SCALARS.has(n.type) || n.type === 'string' || n.type === 'concatenated_string') return [];
  const seq = sequenceElements(n);
  if (seq) return part === 'element' ? seq : [];
  if (n.type === 'dictionary') {
    const pairs = n.namedChildren.filter((c) => c.type !== 'comment');
    if (pairs.some((c) => c.type !== 'pair')) return null;
    const out = pairs.map((c) => (part === 'value' ? c.childForFieldName('value') : c.childForFieldName('key')));
    return out.every((x): x is Node => !!x) ? out : null;
  }
  if (n.type === 'call') {
    const fnName = n.childForFieldName('function')?.text ?? '';
    const first = callArguments(n).positional[0];
    return (fnName === 'list' || fnName === 'tuple' || fnName === 'sorted') && first ? itemsOf(first, part, scope, depth + 1) : null;
  }
  if (n.type === 'subscript') return entryItems(n, part, scope, depth);
  if (n.type !== 'identifier') return null;
  const key = `${n.id}\0${part}`;
  if (listing.has(key)) return [];
  listing.add(key);
  try {
    const passed = parameterArguments(n);
    let root = scope;
    while (root.parent) root = root.parent;
    const gather = (sources: readonly Node[], which: 'element' | 'key' | 'value', within: Scope): Node[] | null => {
      const out: Node[] = [];
      for (const src of sources) {
        const items = itemsOf(src, which, within, depth + 1);
        if (!items) return null;
        out.push(...items);
      }
      return out;
    };
    if (passed) return passed.length > 0 ? gather(passed, part, root) : null;
    const looped = loopBinding(n);
    if (looped) {
      const outer = itemsOf(looped.collection, looped.part, scope, depth + 1);
      return outer ? gather(outer, part, scope) : null;
    }
    const b = scope.lookup(n.text);
    if (b?.kind === 'value' && !grown(n.text, b.node, scope, depth) && !reboundGlobally(n.text, b.node)) return itemsOf(b.node, part, scope, depth + 1);
    const sole = b ? null : soleAssignment(n);
    return sole && !grown(n.text, sole, scope, depth) ? itemsOf(sole, part, scope, depth + 1) : null;
  } finally {
    listing.delete(key);
  }
}

/**
 * The items of `entry["subtopics"]`, where `entry` is a loop's target over dict literals: of each
 * one's value under that key (review 79: kitsune `products/0023` walks a constant tree of topics
 * through a helper that calls itself with each entry's `subtopics`). Null where an entry is no dict
 * literal, or lacks the key.
 */
function entryItems(n: Node, part: 'element' | 'key' | 'value', scope: Scope, depth: number): Node[] | null {
  const obj = n.childForFieldName('value');
  const index = n.childForFieldName('subscript');
  const wanted = index ? staticString(index) : null;
  if (obj?.type !== 'identifier' || !wanted?.complete) return null;
  const looped = loopBinding(obj);
  const entries = looped ? itemsOf(looped.collection, looped.part, scope, depth + 1) : null;
  if (!entries) return null;
  const out: Node[] = [];
  for (const e of entries) {
    const dict = unparen(e);
    if (dict.type !== 'dictionary') return null;
    const pair = dict.namedChildren.find((c) => c.type === 'pair' && staticString(c.childForFieldName('key') ?? c)?.text === wanted.text && staticString(c.childForFieldName('key') ?? c)?.complete);
    const value = pair?.childForFieldName('value');
    const items = value ? itemsOf(value, part, scope, depth + 1) : null;
    if (!items) return null;
    out.push(...items);
  }
  return out;
}

/**
 * Whether every element `collection` yields (or every key or value, for `.items()`) is itself a
 * collection the code fixes, or no collection at all (a number, None): what a loop's target over it
 * holds (review 72: IntelOwl's plugin migrations walk each field of a plugin's dict literal and the
 * values of its nested dicts, through helpers handed them).
 */
function elementsBounded(collection: Node, part: 'element' | 'key' | 'value', scope: Scope, depth: number): boolean {
  let root = scope;
  while (root.parent) root = root.parent;
  const items = itemsOf(collection, part, scope, depth);
  // Items may come from other functions (what calls pass): judged as the module sees them.
  return !!items && items.every((e) => SCALARS.has(unparen(e).type) || isBoundedIterable(e, root, NONE, depth + 1));
}

/**
 * The value of the one plain assignment (`name = value`) that binds `name` in the function around
 * `use`, written before it; null when the function binds it any other way too (a loop target, an
 * augmented assignment, a `with … as`, an import, a parameter) or more than once.
 */
function soleAssignment(use: Node): Node | null {
  const name = use.text;
  let fn: Node | null = use.parent;
  while (fn && fn.type !== 'function_definition' && fn.type !== 'lambda') fn = fn.parent;
  const body = fn?.childForFieldName('body');
  if (!fn || !body) return null;
  if (mentions(name, fn.childForFieldName('parameters')?.text ?? '') > 0) return null;
  let found: Node | null = null;
  let other = false;
  for (const n of body.descendantsOfType(['assignment', 'augmented_assignment', 'for_statement', 'for_in_clause', 'as_pattern', 'named_expression', 'global_statement', 'nonlocal_statement', 'import_from_statement', 'import_statement'])) {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      if (left?.type === 'identifier' && left.text === name) {
        if (found) other = true;
        found = n.childForFieldName('right');
      } else if (left && left.type !== 'attribute' && mentions(name, left.text) > 0) other = true; // a pattern, or `name[key] = …` filling it
      continue;
    }
    const target = n.type === 'for_statement' || n.type === 'for_in_clause' ? n.childForFieldName('left') : n.type === 'augmented_assignment' || n.type === 'named_expression' ? (n.childForFieldName('left') ?? n.childForFieldName('name')) : n;
    if (target && mentions(name, target.text) > 0) other = true;
  }
  return !other && found && found.startIndex < use.startIndex ? found : null;
}

/**
 * A module-level name that a function of the module rebinds (`global tasks` then `tasks = …`):
 * its first literal says nothing of what it holds when a loop walks it (WebODM `app/0013`'s
 * `tasks = []`, filled from a pickle by another RunPython; review 25).
 */
function reboundGlobally(name: string, value: Node): boolean {
  let statement: Node | null = value;
  while (statement && statement.parent && statement.parent.type !== 'module' && statement.parent.type !== 'block') statement = statement.parent;
  if (statement?.parent?.type !== 'module') return false;
  return statement.parent.descendantsOfType('global_statement').some((g) => g.namedChildren.some((c) => c.text === name));
}

/**
 * When `name` is a parameter of the module-level function it is used in (and not rebound there): what
 * each call of that function in the file passes for it, positionally or by keyword; null otherwise, or
 * when a call passes it in a way that cannot be read (`*args`, `**kwargs`, a default in use).
 */
function parameterArguments(name: Node): Node[] | null {
  const fn = functionAround(name);
  // A module's function, or one nested in another function's body (called there: IntelOwl's `_get_obj`, review 72).
  const container = fn?.parent?.type === 'module' ? fn.parent : fn?.parent?.type === 'block' && fn.parent.parent?.type === 'function_definition' ? fn.parent : null;
  if (!fn || !container) return null;
  const params = fn.childForFieldName('parameters')?.namedChildren ?? [];
  const index = params.findIndex((p) => p.type === 'identifier' && p.text === name.text);
  if (index < 0 || params.slice(0, index).some((p) => p.type !== 'identifier')) return null;
  const body = fn.childForFieldName('body');
  // Rebound before this use, or after it inside a loop around it (the next pass sees the new value): not only what calls pass.
  const loops = [] as Node[];
  for (let p = name.parent; p && p.id !== fn.id; p = p.parent) if (p.type === 'for_statement' || p.type === 'while_statement') loops.push(p);
  const rebound = body
    ?.descendantsOfType(['assignment', 'augmented_assignment', 'for_statement'])
    .some((a) => a?.childForFieldName('left')?.text === name.text && functionAround(a)?.id === fn.id && ((a.startIndex < name.startIndex && !within(name, a) && !exclusiveBranches(a, name)) || loops.some((l) => within(a, l))));
  if (rebound) return null;
  const fnName = fn.childForFieldName('name')?.text;
  const out: Node[] = [];
  for (const call of container.descendantsOfType('call')) {
    if (!call || call.childForFieldName('function')?.text !== fnName) continue;
    const args = call.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'comment') ?? [];
    if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return null;
    const kw = args.find((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name.text);
    const arg = kw ? kw.childForFieldName('value') : args[index]?.type === 'keyword_argument' ? null : args[index];
    if (!arg) return null;
    out.push(arg);
  }
  return out;
}

/** Whether `a` and `b` lie in different branches of one `if` (its body, an `elif`, its `else`): never both run. */
function exclusiveBranches(a: Node, b: Node): boolean {
  const above = new Set<number>();
  for (let p: Node | null = a; p; p = p.parent) above.add(p.id);
  let child: Node | null = b;
  for (let p = b.parent; p; child = p, p = p.parent) {
    if (!above.has(p.id)) continue;
    if (p.type !== 'if_statement') return false;
    const branch = (x: Node): Node | null => {
      let c: Node | null = x;
      while (c && c.parent?.id !== p.id) c = c.parent;
      return c;
    };
    const ofA = branch(a);
    return !!ofA && !!child && ofA.id !== child.id && ofA.type !== 'comparison_operator' && (ofA.type === 'block' || ofA.type === 'elif_clause' || ofA.type === 'else_clause') && (child.type === 'block' || child.type === 'elif_clause' || child.type === 'else_clause');
  }
  return false;
}

/**
 * A collection literal the code then fills inside a loop over data (`to_delete = []` …
 * `to_delete.append(netfac)` in a loop over a queryset: peeringdb 0138) is as long as the data, not
 * as the literal. Filled outside any loop, or in loops over fixed collections, it stays bounded.
 */
function grown(name: string, value: Node, scope: Scope, depth: number): boolean {
  const v = unparen(value);
  if (!sequenceElements(v) && v.type !== 'dictionary' && v.type !== 'set') return false;
  let body: Node | null = v.parent;
  while (body && body.type !== 'function_definition' && body.type !== 'module') body = body.parent;
  if (!body) return false;
  const fills = body.descendantsOfType(['call', 'augmented_assignment', 'assignment']).filter((n) => {
    if (n.type === 'augmented_assignment') return n.childForFieldName('left')?.text === name;
    // `mapper[str(row.id)] = row.secret` (review 49: jumpserver `authentication/0008` fills a module-level dict
    // from every row in one function, then walks the rows it keys in another).
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      return left?.type === 'subscript' && left.childForFieldName('value')?.text === name;
    }
    const fn = n.childForFieldName('function');
    return fn?.type === 'attribute' && fn.childForFieldName('object')?.text === name && GROWING.has(fn.childForFieldName('attribute')?.text ?? '');
  });
  return fills.some((site) => {
    for (let p = site.parent; p && p.id !== body?.id; p = p.parent) {
      if (p.type === 'while_statement') return true;
      if (p.type === 'for_statement' && !isBoundedIterable(p.childForFieldName('right'), scope, NONE, depth + 1)) return true;
    }
    return false;
  });
}

const GROWING = new Set(['append', 'extend', 'add', 'update', 'insert', 'setdefault']);

const CHUNKING_NAME = /chunk|batch|paginat|islice|grouper|page_range/i;

/** Evidence in the iterable itself that the loop walks the data in batches. */
export function iteratesInBatches(iterable: Node | null): 'iterator' | 'window' | 'chunks' | null {
  if (!iterable) return null;
  const n = unparen(iterable);
  if (n.type === 'attribute') return CHUNKING_NAME.test(n.text) ? 'chunks' : null;
  if (n.type !== 'call') return null;
  const fn = n.childForFieldName('function');
  const name = fn ? (dottedName(fn) ?? '') : '';
  const args = callArguments(n);
  if (name === 'range' && args.positional.length === 3) return 'window';
  if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'iterator') return 'iterator';
  if (CHUNKING_NAME.test(name)) return 'chunks';
  return null;
}

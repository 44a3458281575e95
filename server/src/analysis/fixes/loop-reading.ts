/**
 * What "Batch this loop" (batch-loop.ts) reads of a loop's body and its writes: whether a write
 * stands alone on its line and whether its result is read, the fields the loop assigns,
 * get_or_create's look-up and defaults, the object a save() writes. The queryset a loop walks is
 * loop-chain.ts's.
 */
import type { LoopFacts } from '../code-facts';
import { isHistoricalModel, MANAGERS } from '../historical-models';
import { parameterNames, positionalParameterNames } from '../runpython-code';
import type { Scope } from '../scope';
import { bindingsOf, boundIn } from './name-binding';
import { callArguments, sequenceElements, staticString, unparen, walk, type Node } from '../syntax';

export const MARK = '# TODO(migration-guard):';

/**
 * The statement a write stands in: the call on its own, or (for creates) `obj = call` /
 * `obj, created = call` whose names nothing else in the function reads, so the result can go.
 */
export function statementOf(call: Node, scope: Node, resultMayGo: boolean): Node | null {
  const p = call.parent;
  if (p?.type === 'expression_statement' && p.firstNamedChild?.id === call.id) return p;
  const left = p?.type === 'assignment' && p.childForFieldName('right')?.id === call.id ? p.childForFieldName('left') : null;
  if (!resultMayGo || !left || p?.parent?.type !== 'expression_statement' || p.parent.firstNamedChild?.id !== p.id) return null;
  const names = left.type === 'identifier' ? [left] : ['pattern_list', 'tuple_pattern'].includes(left.type) ? left.namedChildren : [];
  if (names.length === 0 || names.some((n) => n.type !== 'identifier')) return null;
  const wanted = new Set(names.map((n) => n.text));
  // Cheap on text first: a name written once in the function is read nowhere else.
  const text = scope.text;
  if ([...wanted].every((w) => text.indexOf(w) === text.lastIndexOf(w))) return p.parent;
  const reads = scope.descendantsOfType('identifier').filter((n) => wanted.has(n.text)).length;
  return reads === names.length ? p.parent : null;
}

/** The statement starts its own line (not `if x: row.save()`). */
export function ownLine(stmt: Node, source: string): boolean {
  const lineStart = source.lastIndexOf('\n', stmt.startIndex - 1) + 1;
  return /^[ \t]*$/.test(source.slice(lineStart, stmt.startIndex));
}

export function containsReturn(body: Node): boolean {
  return containsAny([body], ['return_statement', 'yield']);
}

const NESTED_SCOPES = ['function_definition', 'lambda', 'class_definition'];

/**
 * A node of one of `kinds` in the statements, not counting functions, lambdas and classes defined
 * in them. The search runs inside the parser (one call per statement, not one per node); only a
 * node found is followed up to the statement, to see whether a nested scope holds it.
 */
export function containsAny(stmts: readonly Node[], kinds: readonly string[]): boolean {
  for (const s of stmts) {
    if (NESTED_SCOPES.includes(s.type)) continue;
    if (kinds.includes(s.type)) return true;
    for (const hit of s.descendantsOfType([...kinds])) {
      let inScope = false;
      for (let n: Node | null = hit; n && n.id !== s.id; n = n.parent) {
        if (NESTED_SCOPES.includes(n.type)) {
          inScope = true;
          break;
        }
      }
      if (!inScope) return true;
    }
  }
  return false;
}

export function uniqueName(base: string, taken: string): string {
  let name = base;
  for (let i = 2; new RegExp(`\\b${name}\\b`).test(taken); i++) name = `${base}_${i}`;
  return name;
}

/** What the loop does to `row` besides saving it: the fields it sets, and whether that is all. */
/**
 * Built-in functions that only read what they are given. A field handed to any other plain function
 * (`update_node(document.content)`, a helper of the file or one imported) may be changed in place;
 * method calls (`qs.filter(owner=row.owner)`, `", ".join(row.tags)`) are taken as reads.
 */
const SAFE_READERS = /^(?:int|float|bool|str|bytes|repr|len|abs|round|min|max|sum|any|all|sorted|reversed|enumerate|zip|map|filter|list|tuple|set|frozenset|dict|hash|format|type|id|isinstance|issubclass|getattr|hasattr|print|iter|next|range|divmod|ord|chr|hex|oct|bin|ascii|callable|vars|dir)$/;

const MUTATORS = /^(?:append|extend|update|insert|pop|popitem|setdefault|discard|remove|clear|sort|reverse|add)$/;

/**
 * Whether the function `call` calls may change `arg` in place: unless it is a function of this file
 * whose parameter for `arg` its body never changes (no item or attribute of it assigned or deleted,
 * no mutating method called on it, not handed to another plain function).
 */
function mayChangeArgument(call: Node, arg: Node): boolean {
  const name = call.childForFieldName('function')?.text ?? '';
  let module: Node | null = call;
  while (module && module.type !== 'module') module = module.parent;
  const def = module?.namedChildren.map((c) => (c.type === 'decorated_definition' ? c.childForFieldName('definition') : c)).find((c) => c?.type === 'function_definition' && c.childForFieldName('name')?.text === name);
  const fnBody = def?.childForFieldName('body');
  if (!def || !fnBody) return true;
  const args = callArguments(call);
  const index = args.positional.findIndex((x) => x.id === arg.id);
  const keyword = [...args.keywords].find(([, v]) => v.id === arg.id)?.[0];
  // By position, one of those a call fills so; by keyword, a parameter of that name (not one `**kw` takes).
  const param = index >= 0 ? positionalParameterNames(def)[index] : parameterNames(def).find((p) => p === keyword);
  if (!param) return true;
  const rooted = (n: Node | null): boolean => {
    let r = n;
    while (r && (r.type === 'subscript' || r.type === 'attribute')) r = r.type === 'subscript' ? r.childForFieldName('value') : r.childForFieldName('object');
    return r?.type === 'identifier' && r.text === param && r !== n;
  };
  let changes = false;
  walk(fnBody, (n) => {
    if (changes) return false;
    if (n.type === 'assignment' || n.type === 'augmented_assignment') {
      const left = n.childForFieldName('left');
      const targets = left?.type === 'pattern_list' || left?.type === 'tuple_pattern' ? left.namedChildren : left ? [left] : [];
      if (targets.some(rooted)) changes = true;
      // Rebound to a new object, the name changes nothing of the argument from then on; taken as a change all the same.
      if (targets.some((t) => t.type === 'identifier' && t.text === param)) changes = true;
    } else if (n.type === 'delete_statement') {
      if (n.namedChildren.some((t) => rooted(t) || t.namedChildren.some(rooted))) changes = true;
    } else if (n.type === 'call') {
      const f = n.childForFieldName('function');
      if (f?.type === 'attribute' && MUTATORS.test(f.childForFieldName('attribute')?.text ?? '')) {
        const obj = f.childForFieldName('object');
        if (obj && ((obj.type === 'identifier' && obj.text === param) || rooted(obj))) changes = true;
      }
      // Handed on to another plain function (itself included): it may change it there.
      if (f?.type === 'identifier' && !SAFE_READERS.test(f.text)) {
        const handed = callArguments(n);
        if ([...handed.positional, ...handed.keywords.values()].some((x) => { const u = unparen(x); return (u.type === 'identifier' && u.text === param) || rooted(u); })) changes = true;
      }
    }
    return !changes;
  });
  return changes;
}

/**
 * A call standing as a statement of its own, or whose result is bound to a name whose methods are
 * called next in the same block (an object that keeps what it was given): not a value the loop reads.
 */
function keptOrAlone(call: Node, row: string): boolean {
  const p = call.parent;
  if (p?.type === 'expression_statement') return true;
  // The row given back, changed (`page, changed = convert(page)`; micromasters cms/0035).
  const bound = p?.type === 'assignment' && p.childForFieldName('right')?.id === call.id ? p.childForFieldName('left') : null;
  const targets = bound?.type === 'identifier' ? [bound] : bound?.type === 'pattern_list' || bound?.type === 'tuple_pattern' ? bound.namedChildren : [];
  if (targets.some((t) => t.type === 'identifier' && t.text === row)) return true;
  const left = p?.type === 'assignment' && p.childForFieldName('right')?.id === call.id ? p.childForFieldName('left') : null;
  const block = p?.parent?.parent;
  if (left?.type !== 'identifier' || !block) return false;
  return block.descendantsOfType('call').some((c) => {
    const fn = c.childForFieldName('function');
    return c.startIndex > call.endIndex && fn?.type === 'attribute' && fn.childForFieldName('object')?.text === left.text;
  });
}

/** In `assignedFields`' list: the field whose name the variable after it holds (`setattr(row, field, …)`). */
export const FIELD_NAMED_BY = '\u0001';
/** In `assignedFields`' list: the fields named by the list the variable after it holds (`for f in fields: setattr(row, f, …)`). */
export const FIELDS_LISTED_IN = '\u0002';

/** String methods whose result depends on their receiver and arguments alone. */
const PURE_STRING_METHODS = /^(format|lower|upper|strip|lstrip|rstrip|replace|join|capitalize|title)$/;

/**
 * Whether `name`, which `setattr(row, name, …)` at `at` takes, holds the same field name for every row:
 * one plain assignment of it, a statement of the loop's body itself before `at` (so every row that
 * reaches the setattr ran it), of strings, names and attributes the loop never binds, joined by `+`,
 * `%`, f-strings or string methods (janeway `core/0049`: `"value_{}".format(settings.LANGUAGE_CODE)`).
 * A call of anything else may answer differently per row.
 */
function invariantFieldName(body: Node, name: string, at: Node, row: string): boolean {
  const [only, ...more] = bindingsOf(body, name);
  if (!only || more.length > 0 || only.type !== 'assignment' || only.childForFieldName('left')?.type !== 'identifier') return false;
  const stmt = only.parent;
  if (stmt?.type !== 'expression_statement' || stmt.parent?.id !== body.id || stmt.endIndex > at.startIndex) return false;
  const header = body.parent?.type === 'for_statement' ? body.parent.childForFieldName('left') : null;
  const loopNames = new Set((header ? [header, ...header.descendantsOfType('identifier')] : []).map((i) => i.text));
  const invariant = (n: Node): boolean => {
    switch (n.type) {
      case 'string':
        return n.descendantsOfType('interpolation').every((i) => i.namedChildren.every((c) => c.type === 'format_specifier' || c.type === 'type_conversion' || invariant(c)));
      case 'concatenated_string':
        return n.namedChildren.every(invariant);
      case 'integer':
        return true;
      case 'identifier':
        return n.text !== row && !loopNames.has(n.text) && !boundIn(body, n.text);
      case 'attribute':
        return invariant(n.childForFieldName('object') as Node);
      case 'parenthesized_expression':
        return n.namedChildren.every(invariant);
      case 'binary_operator':
        return /^[+%]$/.test(n.childForFieldName('operator')?.text ?? '') && invariant(n.childForFieldName('left') as Node) && invariant(n.childForFieldName('right') as Node);
      case 'call': {
        const fn = n.childForFieldName('function');
        const args = n.childForFieldName('arguments');
        if (fn?.type !== 'attribute' || !PURE_STRING_METHODS.test(fn.childForFieldName('attribute')?.text ?? '') || args?.type !== 'argument_list') return false;
        return invariant(fn.childForFieldName('object') as Node) && args.namedChildren.every((a) => a.type !== 'comment' && (a.type === 'keyword_argument' ? invariant(a.childForFieldName('value') as Node) : a.type !== 'list_splat' && a.type !== 'dictionary_splat' && invariant(a)));
      }
      default:
        return false;
    }
  };
  return invariant(only.childForFieldName('right') as Node);
}

/**
 * Whether `name`, where `at` stands, is a model class bound to `apps.get_model(…)` in an enclosing
 * function: building one (`LogLine(run=run)`) changes nothing of what it is given.
 */
function historicalModelName(at: Node, name: string): boolean {
  for (let p = at.parent; p; p = p.parent) {
    if (p.type !== 'function_definition') continue;
    const body = p.childForFieldName('body');
    for (const a of body ? body.descendantsOfType('assignment') : []) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
      if (left?.type === 'identifier' && left.text === name && fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'get_model') return true;
    }
  }
  return false;
}

/** `row.content` or `row.content["nodes"]` handed to a call: the field `content`, or null. */
function handedField(arg: Node, row: string): string | null {
  let n = arg;
  while (n.type === 'subscript') n = n.childForFieldName('value') ?? n;
  return n.type === 'attribute' && n.childForFieldName('object')?.text === row ? (n.childForFieldName('attribute')?.text ?? null) : null;
}

/** The names a row's primary key is read by. */
const KEY_NAMES: ReadonlySet<string> = new Set(['pk', 'id']);

export function assignedFields(body: Node, row: string): { fields: string[]; complete: boolean; setsKey: boolean; handedTo: string | null; handedOnly: string[]; completeBesidesHanded: boolean } {
  const fields: string[] = [];
  let complete = true;
  let handedTo: string | null = null;
  // Fields listed only because a field of the row was handed to a call (which may change a mutable value in place).
  const handed = new Set<string>();
  const changed = new Set<string>();
  let handedIncomplete = false;
  const add = (f: string, byHanding = false) => {
    if (byHanding) handed.add(f);
    else changed.add(f);
    if (!fields.includes(f)) fields.push(f);
  };
  // Names an inner `for` binds: to each name of a literal list (`for attr in ["a", "b"]`, for
  // setattr), or to the elements of a field of the row (`for status in row.statuses`), which
  // changing in place changes that field.
  const names = new Map<string, string[]>();
  // `for field in fields:` over a name the loop never binds: the field names are that list's.
  const overName = new Map<string, string>();
  const elements = new Map<string, string>();
  const bindFor = (loop: Node) => {
    const left = loop.childForFieldName('left');
    const right = loop.childForFieldName('right');
    if (!left || !right) return;
    const targets = left.type === 'identifier' ? [left] : left.descendantsOfType('identifier');
    const literal = sequenceElements(right)?.map((e) => staticString(e));
    if (left.type === 'identifier' && literal?.every((x) => x?.complete)) names.set(left.text, literal.map((x) => (x as { text: string }).text));
    else if (left.type === 'identifier' && right.type === 'identifier') overName.set(left.text, right.text);
    else {
      // `for name in FIELDS.keys()`, `for name, key in FIELDS.items()`: the dict's keys, which `[*FIELDS]`
      // lists (review 55: berth-reservations `applications/0003` sets 28 fields named by three dicts).
      const fn = right.type === 'call' ? right.childForFieldName('function') : null;
      const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
      const dict = fn?.type === 'attribute' ? unparen(fn.childForFieldName('object') as Node) : null;
      const first = left.type === 'identifier' ? left : (left.type === 'pattern_list' || left.type === 'tuple_pattern') && left.namedChildCount === 2 ? left.namedChildren[0] : null;
      const keyName = method === 'keys' && left.type === 'identifier' ? first : method === 'items' ? first : null;
      if (keyName?.type === 'identifier' && dict?.type === 'identifier' && callArguments(right).positional.length === 0) overName.set(keyName.text, dict.text);
    }
    const field = partOfField(right);
    if (field) for (const t of targets) elements.set(t.text, field);
  };
  /**
   * The field of the row a value is part of, the same object and not a copy: `row.metadata`,
   * `row.metadata["leftnav"]`, `row.metadata.get("courses")`, `.items()` / `.values()` of one, a name
   * already bound to such a part, through enumerate / sorted / reversed / list / iter (review 31:
   * ocw-studio `websites/0040` bumps each `menuitem["weight"]` of `navmenu.metadata["leftnav"]`).
   */
  const partOfField = (value: Node): string | null => {
    let source = unparen(value);
    for (let hops = 0; hops < 8; hops++) {
      const fn = source.type === 'call' ? source.childForFieldName('function') : null;
      if (source.type === 'subscript') source = unparen(source.childForFieldName('value') ?? source);
      else if (fn?.type === 'attribute' && /^(items|values|get)$/.test(fn.childForFieldName('attribute')?.text ?? '')) source = unparen(fn.childForFieldName('object') ?? source);
      else if (fn?.type === 'identifier' && /^(enumerate|sorted|reversed|list|iter)$/.test(fn.text) && callArguments(source).positional[0]) source = unparen(callArguments(source).positional[0] as Node);
      else break;
    }
    if (source.type === 'identifier') return elements.get(source.text) ?? null;
    return source.type === 'attribute' && source.childForFieldName('object')?.text === row ? (source.childForFieldName('attribute')?.text ?? null) : null;
  };
  /** The field whose element the chain `status["slug"]` / `status.slug` starts from, if any. */
  const elementField = (n: Node): string | null => {
    let root = n;
    while (root.type === 'subscript' || root.type === 'attribute') root = (root.type === 'subscript' ? root.childForFieldName('value') : root.childForFieldName('object')) ?? root;
    return root !== n && root.type === 'identifier' ? (elements.get(root.text) ?? null) : null;
  };
  const fieldOf = (target: Node): string | null => {
    const element = elementField(target);
    if (element) return element;
    let n = target;
    while (n.type === 'subscript') n = n.childForFieldName('value') ?? n;
    if (n.type !== 'attribute') return null;
    const obj = n.childForFieldName('object');
    if (obj && obj.text === row) return n.childForFieldName('attribute')?.text ?? null;
    // Down the chain to `row.field`: `row.customer.name = …` changes a related object, which
    // bulk_update of row does not write; `row.form_fields[i].value["help_text"] = …` changes a value
    // inside the field (JSON, a StreamField's blocks) in place, which writing the field saves (hypha's
    // seven loops over StreamField forms had `fields = []` to fill in).
    let above: Node = n;
    let p: Node | null = obj;
    while (p && (p.type === 'attribute' || p.type === 'subscript') && !(p.type === 'attribute' && p.childForFieldName('object')?.text === row)) {
      above = p;
      p = p.type === 'subscript' ? p.childForFieldName('value') : p.childForFieldName('object');
    }
    if (p?.type === 'attribute' && p.childForFieldName('object')?.text === row) {
      if (above.type === 'subscript' && above.childForFieldName('value')?.id === p.id) return p.childForFieldName('attribute')?.text ?? null;
      complete = false;
    }
    return null;
  };
  walk(body, (n) => {
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return false;
    if (n.type === 'for_statement') bindFor(n);
    if (n.type === 'assignment' || n.type === 'augmented_assignment') {
      const left = n.childForFieldName('left');
      // `resources = row.metadata.get("resources")`: a part of the field, changed in place through the name.
      const right = n.type === 'assignment' ? n.childForFieldName('right') : null;
      const part = left?.type === 'identifier' && right ? partOfField(right) : null;
      if (part && left) elements.set(left.text, part);
      const targets = left?.type === 'pattern_list' || left?.type === 'tuple_pattern' ? left.namedChildren : left ? [left] : [];
      for (const t of targets) {
        const f = fieldOf(t);
        if (f) add(f);
      }
    } else if (n.type === 'delete_statement') {
      // `del row.extra_properties["IP"]`: an entry removed from the field in place (review 32: signals `0018`
      // dropped stored IP addresses; the batch wrote only updated_at). `del row.attr` itself is no field change.
      for (const t of n.namedChildren.flatMap((c) => (c.type === 'expression_list' ? c.namedChildren : [c]))) {
        const f = t.type === 'subscript' ? fieldOf(t) : null;
        if (f) add(f);
      }
    } else if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const args = callArguments(n);
      if (fn?.type === 'identifier' && fn.text === 'setattr' && args.positional[0]?.text === row) {
        const name = args.positional[1] ? staticString(args.positional[1]) : null;
        const listed = args.positional[1]?.type === 'identifier' ? names.get(args.positional[1].text) : undefined;
        const named = args.positional[1]?.type === 'identifier' ? args.positional[1].text : null;
        const over = named ? overName.get(named) : undefined;
        if (name?.complete) add(name.text);
        else if (listed) listed.forEach((f) => add(f));
        // A name given from outside the loop (a parameter: `setattr(page, field, …)`), or one an inner
        // loop takes from such a list: the list the template writes names it (row-fields.ts renders it).
        else if (named && !over && (!boundIn(body, named) || invariantFieldName(body, named, n, row))) add(`${FIELD_NAMED_BY}${named}`);
        else if (over && !boundIn(body, over)) add(`${FIELDS_LISTED_IN}${over}`);
        else complete = false;
      } else if (fn?.type === 'attribute') {
        // row.tags.append(x), row.data.update(...): a field mutated in place.
        const obj = fn.childForFieldName('object');
        const method = fn.childForFieldName('attribute')?.text ?? '';
        const element = obj && (obj.type === 'identifier' ? elements.get(obj.text) : elementField(obj));
        if (element && /^(append|extend|update|insert|pop|setdefault|discard|remove|clear)$/.test(method)) add(element);
        else if (obj?.type === 'attribute' && obj.childForFieldName('object')?.text === row) {
          const f = obj.childForFieldName('attribute')?.text;
          // add() is a many-to-many manager's (no field type has it): it writes at once, not a field to save.
          // remove() and clear() are a list's or a manager's: the list is the author's to check.
          // `row.unit_set.update(…)`: a reverse relation's manager (Django names them `<model>_set`) updates
          // other rows at once; no field of the row (review 29: pootle `pootle_translationproject/0002`).
          const managerUpdate = !!f && f.endsWith('_set') && method === 'update';
          if (f && !managerUpdate && /^(append|extend|update|insert|pop|setdefault|discard)$/.test(method)) add(f);
          else if (method === 'remove' || method === 'clear') complete = false;
        }
      }
      // The row handed to other code, which may set fields we cannot see; a field of it (or a part of
      // one) handed over may be changed in place (`update_node(document.content)` edits the JSON).
      const fnName = fn?.text ?? '';
      if (!/^(print|len|str|repr|isinstance|getattr|hasattr|setattr|logger\.\w+|logging\.\w+|log\.\w+)$/.test(fnName)) {
        for (const a of [...args.positional, ...args.keywords.values()]) {
          const arg = unparen(a);
          if (arg.text === row) {
            // A historical model built with the row (`LogLine(run=run)`) only reads it.
            if (fn?.type === 'identifier' && historicalModelName(n, fnName)) continue;
            complete = false;
            // Handed to a plain function or class for what it does, not for a value the loop uses: a call
            // standing alone (`notify(order)`), or an object kept in a local (kpi's `backend =
            // OpenRosaDeploymentBackend(asset)`, whose store_data() sets a field later). It may change any field.
            if (fn?.type === 'identifier' && !SAFE_READERS.test(fnName) && keptOrAlone(n, row) && mayChangeArgument(n, a)) handedTo ??= fnName;
          } else if (fn?.type === 'identifier' && !SAFE_READERS.test(fnName)) {
            const f = arg.type === 'attribute' || arg.type === 'subscript' ? fieldOf(arg) ?? handedField(arg, row) : null;
            // The key handed over is a number or a UUID, which no callee changes in place: `encrypt_str(…,
            // pk=row.pk)`, `int_to_base36(row.id)` read it (review 69: zentral `jamf/0004`, vulnerablecode `0013`
            // were taken for loops that insert copies).
            if (f && !KEY_NAMES.has(f) && mayChangeArgument(n, a)) {
              add(f, true);
              handedIncomplete = true;
            }
          }
        }
      }
    }
    return true;
  });
  // The primary key is no field bulk_update writes; set, it makes the next save() insert a copy.
  let setsKey = false;
  for (const f of KEY_NAMES) {
    const i = fields.indexOf(f);
    if (i >= 0) {
      fields.splice(i, 1);
      complete = false;
      setsKey = true;
    }
  }
  const handedOnly = [...handed].filter((f) => !changed.has(f) && fields.includes(f));
  return { fields, complete: complete && !handedIncomplete, setsKey, handedTo, handedOnly, completeBesidesHanded: complete };
}

export function explicitUpdateFields(save: Node): string[] | null {
  const list = callArguments(save).keywords.get('update_fields');
  const items = list ? sequenceElements(list) : null;
  if (!items) return null;
  const names = items.map((e) => staticString(e));
  return names.every((s) => s?.complete) ? names.map((s) => (s as { text: string }).text) : null;
}

/** The keyword arguments of a call as `name=value` texts, or null with splats or positionals. */
export function keywordTexts(call: Node, skip: string[] = []): Array<[string, string]> | null {
  const args = callArguments(call);
  if (args.hasSplat || args.positional.length > 0) return null;
  const out: Array<[string, string]> = [];
  for (const [k, v] of args.keywords) if (!skip.includes(k)) out.push([k, v.text]);
  return out;
}

/** String keys of `defaults={...}` / `defaults=dict(...)`, or null when they cannot be read. */
export function defaultKeys(node: Node): string[] | null {
  const n = unparen(node);
  if (n.type === 'dictionary') {
    const keys: string[] = [];
    for (const pair of n.namedChildren) {
      if (pair.type !== 'pair') return null;
      const k = pair.childForFieldName('key');
      const s = k ? staticString(k) : null;
      if (!s?.complete) return null;
      keys.push(s.text);
    }
    return keys;
  }
  if (n.type === 'call' && n.childForFieldName('function')?.text === 'dict') {
    const kw = keywordTexts(n);
    return kw ? kw.map(([k]) => k) : null;
  }
  return null;
}

/** `defaults={"a": 1}` / `defaults=dict(a=1)` as `a=1` keywords; `**defaults` when it cannot be spelled so. */
export function defaultsAsKeywords(node: Node): string[] {
  const n = unparen(node);
  if (n.type === 'dictionary') {
    const out: string[] = [];
    for (const pair of n.namedChildren) {
      const k = pair.type === 'pair' ? pair.childForFieldName('key') : null;
      const v = pair.childForFieldName('value');
      const key = k ? staticString(k) : null;
      if (!key?.complete || !/^[A-Za-z_]\w*$/.test(key.text) || !v) return [`**${n.text}`];
      out.push(`${key.text}=${v.text}`);
    }
    return out;
  }
  if (n.type === 'call' && n.childForFieldName('function')?.text === 'dict') {
    const kw = keywordTexts(n);
    if (kw) return kw.map(([k, v]) => `${k}=${v}`);
  }
  return [`**${n.text}`];
}

/** An object whose save() can become a bulk_update: a name or an attribute chain of names (no calls). */
export function isSavedObject(recv: Node): boolean {
  let n: Node | null = recv;
  while (n?.type === 'attribute') n = n.childForFieldName('object');
  return n?.type === 'identifier' && n.text !== 'self' && n.text !== 'cls';
}

/** The manager expression names something the loop binds (it cannot be evaluated after the loop). */
export function usesLoopNames(expr: Node, loop: LoopFacts, body: Node): boolean {
  const bound = new Set(loop.targets);
  walk(body, (n) => {
    if (n.type === 'assignment' && n.childForFieldName('left')?.type === 'identifier') bound.add(n.childForFieldName('left')?.text as string);
    return true;
  });
  let hit = false;
  walk(expr, (n) => {
    if (n.type === 'identifier' && bound.has(n.text)) hit = true;
    return !hit;
  });
  return hit;
}

/**
 * `order.lines` in `order.lines.create(…)`: a manager reached from an object (a lower-case plain
 * name that is not a model class from `apps.get_model`) by a lower-case attribute that is not a
 * class's own manager. Django's reverse foreign-key manager creates `lines.model(**kwargs, <its
 * field>=order)` and saves it on the database it writes to.
 */
export function relatedManager(recv: Node, locals: Scope): boolean {
  if (recv.type !== 'attribute') return false;
  const owner = recv.childForFieldName('object');
  const attr = recv.childForFieldName('attribute')?.text ?? '';
  if (owner?.type !== 'identifier' || !/^[a-z_]/.test(owner.text) || !/^[a-z_]/.test(attr) || MANAGERS.has(attr)) return false;
  return !isHistoricalModel(owner.text, locals);
}

/** How often `name` stands as a word in `text` (not after a dot): a cheap count that errs on the side of more. */
export function mentions(name: string, text: string): number {
  return (text.match(new RegExp(`(?<![\\w.])${name}\\b`, 'g')) ?? []).length;
}

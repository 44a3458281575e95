/**
 * Whether code committed a batch at a time (`atomic = False`, "Commit this loop in batches") is safe
 * to run again after a failure: a loop that sets a field from its own value (or moves one from a
 * field it then changes, or rebuilds an entry of it in place) changes the committed rows twice; one
 * that inserts rows inserts them again (row-inserts.ts); one that catches database errors swallows the failure.
 * And whether it can run outside one transaction at all: rows locked with select_for_update() cannot.
 * Shared by missing-atomic-false, commit-batches.ts and the batching templates.
 */
import type { CodeIndex, UnitFacts } from '../code-facts';
import { enclosingAtomic, isAtomicWith } from '../committed-chunks';
import type { CodeUnit } from '../code-flow';
import { callArguments, functionAround, rootName, unparen, walk, within, type Node } from '../syntax';

/**
 * A field of the loop's row whose new value a second run would compute from what the first one
 * committed, with nothing that tells a row done from one not (no test of the field in the loop's
 * query, nor in an `if` of the loop beyond whether it is set):
 * - set from its own value (`record.kind = "prefix." + record.kind`, `row.n += 1`,
 *   `json.dumps({"html": row.text})`, `":".join(parts)` where `parts = row.kind.split(":")`) — review
 *   21, kiwi `testcases/0014`, and review 22 (bluebottle's JSON wrapping, adhocracy4's phase types
 *   and iframes): run twice, such a transform wraps, prefixes or breaks the committed rows again.
 *   Only a few transforms are known to give the same value again (`strip()`, `lower()`,
 *   `slugify()`, `x or default`, …); any other is taken to change it;
 * - set from another field that the loop then changes (`page.long = page.short; page.short = ""`,
 *   review 22, mitxonline `cms/0030`): run again, it reads the changed value.
 * Null when there is none, or the loop variable is not a name.
 */
export function changedAgain(loop: Node, body: Node, left: Node): { text: string; line: number; from: string } | null {
  if (left.type !== 'identifier') return null;
  const row = left.text;
  const iterable = loop.childForFieldName('right')?.text ?? '';
  const conditions = body.descendantsOfType(['if_statement', 'elif_clause', 'conditional_expression']).map((n) => ({ node: n, text: (n.type === 'conditional_expression' ? n.namedChildren[1] : n.childForFieldName('condition'))?.text ?? '' }));
  const fieldRef = new RegExp(`(?<![\\w.])${row}\\.(\\w+)(?!\\w)`, 'g');
  const fieldsIn = (text: string): string[] => [...text.matchAll(fieldRef)].map((m) => m[1] as string);
  const namesIn = (node: Node): string[] => (node.type === 'identifier' ? [node.text] : node.descendantsOfType('identifier').map((n) => n.text));
  // Each assignment read once (its nodes live in WebAssembly): the fixed point below runs on these.
  const assignments = body.descendantsOfType(['assignment', 'augmented_assignment']).flatMap((a) => {
    const target = a.childForFieldName('left');
    const value = a.childForFieldName('right');
    return target && value ? [{ a, target, value, fields: [...fieldsIn(value.text), ...helperReads(value, row)], names: namesIn(value), targets: namesIn(target) }] : [];
  });
  // What else makes a local hold values of the row's fields (review 23, arches 6019 and 4273): a loop
  // over them (`for v in row.data.values()`), a container filled from them (`out.append(…)`,
  // `out[k] = …`); each read as an assignment to that local.
  const flows: Array<{ text: string; fields: string[]; names: string[]; targets: string[] }> = [];
  for (const f of body.descendantsOfType('for_statement')) {
    const l = f.childForFieldName('left');
    const r = f.childForFieldName('right');
    // A field's keys are no value of it (`for key in row.data.keys()`): a test of a key tells no done row apart.
    if (l && r && !/\.keys\(\)\)?$/.test(r.text)) flows.push({ text: r.text, fields: fieldsIn(r.text), names: namesIn(r), targets: namesIn(l) });
  }
  // Containers filled by a method (`batch.append(…)`): their size says nothing of the values.
  const collected = new Set<string>();
  for (const c of body.descendantsOfType('call')) {
    const fn = c.childForFieldName('function');
    const args = c.childForFieldName('arguments');
    if (fn?.type !== 'attribute' || !args || !FILLS.has(fn.childForFieldName('attribute')?.text ?? '')) continue;
    const root = rootName(fn.childForFieldName('object'));
    if (root && root !== row) {
      flows.push({ text: args.text, fields: fieldsIn(args.text), names: namesIn(args), targets: [root] });
      collected.add(root);
    }
  }
  for (const x of assignments) {
    const root = x.target.type === 'subscript' ? rootName(x.target) : null;
    if (root && root !== row) flows.push({ text: x.value.text, fields: x.fields, names: x.names, targets: [root] });
  }
  // Local names computed from fields of the row (`parts = row.kind.split(":")`, `soup = BeautifulSoup(row.html)`), to a fixed point.
  const derived = new Map<string, Set<string>>();
  const sourcesOf = (v: { fields: string[]; names: string[] }): Set<string> => {
    const out = new Set(v.fields);
    for (const name of v.names) for (const f of derived.get(name) ?? []) out.add(f);
    return out;
  };
  const plain = assignments.filter((x) => x.target.type !== 'attribute' && x.target.type !== 'subscript');
  for (let round = 0, grew = true; grew && round < 8; round++) {
    grew = false;
    for (const x of [...plain, ...flows]) {
      const from = sourcesOf(x);
      if (from.size === 0) continue;
      for (const name of x.targets) {
        const known = derived.get(name) ?? new Set<string>();
        const before = known.size;
        for (const f of from) known.add(f);
        derived.set(name, known);
        if (known.size > before) grew = true;
      }
    }
  }
  const fieldOf = (target: Node): string | null => (target.type === 'attribute' && target.childForFieldName('object')?.text === row ? (target.childForFieldName('attribute')?.text ?? '') : null);
  // `Model.objects.filter(pk=row.pk).update(field=value)`: each keyword sets the row's field as an assignment would.
  const updates = ownRowUpdates(body, row).map(({ call, field, value }) => ({ a: call, field, value, fields: fieldsIn(value.text), names: namesIn(value) }));
  // A field changed in place (`row.metadata["description"] = ""`, review 31: ocw-studio `websites/0052`) is changed too.
  const inPlaceOf = (target: Node): string[] => {
    if (target.type !== 'subscript') return [];
    // On the row itself only: a local computed from fields (`nodes_by_page[root.pk] = node`) is no part of one (djangocms `cms/0018`).
    return rootName(target) === row ? fieldsIn(target.text).slice(0, 1) : [];
  };
  // A field changed by a method of its value (`row.settings.pop("synced")`, review 44: Argus `0004` moves a
  // JSON key into a column, then pops it), or an entry of it deleted (`del row.data["k"]`).
  const mutated = body.descendantsOfType(['call', 'delete_statement']).flatMap((c) => {
    if (c.type === 'delete_statement') return c.namedChildren.flatMap((t) => inPlaceOf(t));
    const fn = c.childForFieldName('function');
    if (fn?.type !== 'attribute' || !MUTATORS.has(fn.childForFieldName('attribute')?.text ?? '')) return [];
    const obj = fn.childForFieldName('object');
    return obj ? (fieldOf(obj) !== null ? [fieldOf(obj) as string] : inPlaceOf(obj)) : [];
  });
  const changed = new Set([...assignments.flatMap((x) => fieldOf(x.target) ?? inPlaceOf(x.target)), ...updates.map((u) => u.field), ...mutated]);
  // A test of the field's value (or of a name computed from it), not only of whether it is set, may tell done rows apart.
  // `inside`: a value whose own conditional expressions only choose what it is, for every row alike
  // (`status = DONE if row.archived else OPEN`): they tell no done row apart (review 25, data-hub-api `task/0011`).
  const tests = (field: string, bareCounts: boolean, inside?: Node): boolean => {
    // `field__isnull=False` asks only whether it is set, `field__leftnav__isnull=False` / `field__has_key=`
    // whether a key of it is (review 31: ocw-studio `websites/0040`): a changed row still matches it.
    const presence = /(?:^|__)(?:isnull|has_key|has_keys|has_any_keys)$/;
    for (const m of iterable.matchAll(new RegExp(`\\b${field}((?:__\\w+)?)\\s*=`, 'g'))) if (bareCounts || !presence.test(m[1] ?? '')) return true;
    const names = [...derived].filter(([, fs]) => fs.has(field)).map(([n]) => n);
    // `len(batch) >= 100` counts what was collected into a container, whatever its values (a batching template's flush test).
    const counted = (n: string, c: string) => (collected.has(n) ? c.replace(new RegExp(`\\blen\\(\\s*${n}\\s*\\)`, 'g'), '') : c);
    const mentions = (c: string) => fieldsIn(c).includes(field) || names.some((n) => new RegExp(`(?<![\\w.])${n}(?!\\w)`).test(counted(n, c)));
    // Bare: whether it (or an entry of it) is set at all, which a changed value still is; each part of an `and` / `or` apart.
    const ref = `(?:${row}\\.${field}${names.map((n) => `|${n}`).join('')})(?:\\[[^\\]]*\\])*`;
    // …or of which type it is (`isinstance(row.data[k], list)`): a rebuilt value is often of the same type.
    const bare = new RegExp(`^(?:not\\s+)?(?:${ref}(?:\\s+is(?:\\s+not)?\\s+None)?|isinstance\\(\\s*${ref}\\s*,[^()]*\\))$`);
    const parts = (c: string) => c.split(/\s+(?:and|or)\s+/).map((p) => p.trim().replace(/^\((.*)\)$/, '$1'));
    return conditions.some((c) => !(inside && within(c.node, inside)) && parts(c.text).some((p) => mentions(p) && (bareCounts || !bare.test(p))));
  };
  /** The finding for a field set to `value` (an assignment, or an update's keyword), or null. */
  const setAgain = (x: { a: Node; field: string; value: Node; fields: string[]; names: string[] }, augmented: boolean): { text: string; line: number; from: string } | null => {
    const { field } = x;
    const at = { text: `${row}.${field}`, line: x.a.startPosition.row + 1 };
    const from = augmented ? new Set([field]) : sourcesOf(x);
    // A test inside the value only chooses its form (`x if row.f == "" else f"{row.f}…"`): it skips no done row.
    if (from.has(field) && (augmented || !sameAgain(x.value, `${row}.${field}`)) && !tests(field, false, x.value)) return { ...at, from: 'its own value' };
    // Another field of the row, which the loop changes too: cleared or moved, a run after a failure reads what the first one committed.
    const moved = [...from].find((f) => f !== field && changed.has(f) && !tests(f, true, x.value) && !tests(field, true, x.value));
    return moved ? { ...at, from: `${row}.${moved}, which the loop changes too` } : null;
  };
  // A field the loop sets to a literal that the query it walks then no longer matches (`.exclude(plural="")` and
  // `row.plural = ""`; `.filter(state="new")` and `row.state = "done"`): a second run skips the rows done
  // (review 79: pontoon `base/0082`'s `plural_entities`).
  if (doneRowsLeaveQuery(loop, assignments.flatMap((x) => (fieldOf(x.target) !== null && x.a.type === 'assignment' ? [{ field: fieldOf(x.target) as string, value: x.value }] : [])))) return null;
  for (const x of assignments) {
    // A value inside a field changed in place from what it held (`row.data[k] = f(row.data[k])`, or
    // through a local that holds it: `for v in row.edits.values(): v["at"] = f(v["at"])`).
    if (x.target.type === 'subscript') {
      const root = rootName(x.target);
      const holds = root === row ? fieldsIn(x.target.text) : root ? [...(derived.get(root) ?? [])] : [];
      // The same entry read on the way (`v["at"]` in the value, or in a local the value uses), not another one (`s["slug"] = slugify(s["name"])`).
      const own = x.target.text.replace(/\s+/g, '');
      const readsOwn = (text: string) => text.replace(/\s+/g, '').includes(own);
      const via = new Set<string>();
      for (let round = 0, grew = true; grew && round < 4; round++) {
        grew = false;
        for (const y of [...plain.map((p) => ({ ...p, text: p.value.text })), ...flows]) {
          if (!readsOwn(y.text) && !y.names.some((n) => via.has(n))) continue;
          for (const t of y.targets) if (!via.has(t)) grew = via.add(t).size > 0;
        }
      }
      // `menuitem["weight"] += step` reads the entry it sets.
      const selfRead = x.a.type === 'augmented_assignment' || readsOwn(x.value.text) || x.names.some((n) => via.has(n));
      const inPlace = selfRead ? holds.find((f) => !tests(f, false)) : undefined;
      if (inPlace && !sameAgain(x.value, x.target.text)) return { text: `${row}.${inPlace}`, line: x.a.startPosition.row + 1, from: 'its own value, in place' };
      // An entry set from another field the loop then changes (`row.metadata["description"] = row.markdown`, then `row.markdown = ""`).
      const held = root === row ? holds[0] : undefined;
      const moved = held ? [...sourcesOf(x)].find((f) => f !== held && changed.has(f) && !tests(f, true, x.value) && !tests(held, true, x.value)) : undefined;
      if (held && moved) return { text: `${row}.${held}`, line: x.a.startPosition.row + 1, from: `${row}.${moved}, which the loop changes too` };
      continue;
    }
    const field = fieldOf(x.target);
    if (field === null) continue;
    const found = setAgain({ ...x, field }, x.a.type === 'augmented_assignment');
    if (found) return found;
  }
  for (const u of updates) {
    const found = setAgain(u, false);
    if (found) return found;
  }
  return null;
}

/** A literal a query keyword can compare with: a string, a number, True, False, None. */
const LITERAL = /^(?:[rbuRBU]?(?:"[^"\\]*"|'[^'\\]*')|-?\d+(?:\.\d+)?|True|False|None)$/;

/** A literal's value as text: a string's content whatever its quotes (`''` is `""`). */
function literalValue(text: string): string {
  const m = /^[rbuRBU]?(["'])(.*)\1$/s.exec(text);
  return m ? `s:${m[2]}` : text;
}

/**
 * Whether some field the loop sets to a literal (`sets`, plain assignments to the row's fields) takes each
 * row it sets out of the queryset the loop walks: an `exclude(field=<the same literal>)`, or a
 * `filter(field=<another literal>)`, in the loop's iterable or the one assignment of the name it walks.
 */
function doneRowsLeaveQuery(loop: Node, sets: ReadonlyArray<{ field: string; value: Node }>): boolean {
  if (sets.length === 0) return false;
  let query = loop.childForFieldName('right');
  // `entities = Entity.objects.filter(…).exclude(…)` then `for e in entities:`: the name's one assignment before the loop.
  if (query?.type === 'identifier') {
    const name = query.text;
    const fn = functionAround(loop);
    const bound = (fn?.childForFieldName('body')?.descendantsOfType('assignment') ?? []).filter((a) => a.childForFieldName('left')?.text === name);
    query = bound.length === 1 && (bound[0] as Node).startIndex < loop.startIndex ? ((bound[0] as Node).childForFieldName('right') ?? null) : null;
  }
  if (!query) return false;
  for (const call of [query, ...query.descendantsOfType('call')]) {
    const fn = call.type === 'call' ? call.childForFieldName('function') : null;
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
    if (method !== 'filter' && method !== 'exclude') continue;
    for (const kw of call.childForFieldName('arguments')?.namedChildren ?? []) {
      if (kw.type !== 'keyword_argument') continue;
      const field = kw.childForFieldName('name')?.text ?? '';
      const compared = kw.childForFieldName('value')?.text.trim() ?? '';
      if (!LITERAL.test(compared)) continue;
      for (const set of sets) {
        const value = set.value.text.trim();
        if (set.field !== field || !LITERAL.test(value)) continue;
        const same = literalValue(value) === literalValue(compared);
        if (method === 'exclude' ? same : !same) return true;
      }
    }
  }
  return false;
}

/** Methods that put values into a container (a list, a dict, a set). */
const FILLS = new Set(['append', 'extend', 'insert', 'update', 'add', 'setdefault']);

/** Methods that change a container in place: those that fill it, and those that take from it or reorder it. */
const MUTATORS = new Set([...FILLS, 'pop', 'popitem', 'clear', 'remove', 'discard', 'sort', 'reverse']);

/**
 * The keywords of each queryset `update()` in `body` that writes only the row `row` names
 * (`Ping.objects.filter(id=ping.id).update(body_raw=…, body=None)`): field, value and the call.
 */
export function ownRowUpdates(body: Node, row: string): Array<{ call: Node; field: string; value: Node }> {
  const out: Array<{ call: Node; field: string; value: Node }> = [];
  const ownKey = new RegExp(`^${row}(?:\\.(?:pk|id)|\\[(["'])(?:pk|id)\\1\\])?$`);
  for (const call of body.descendantsOfType('call')) {
    const fn = call?.childForFieldName('function');
    if (!call || !fn) continue;
    const update = fn.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'update' && keyedByOwnRow(fn.childForFieldName('object'), row);
    // `Model(pk=row.pk, field=value)` collected for bulk_update() (the row-update template's object): the same write, batched.
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    const key = args.find((a) => a.type === 'keyword_argument' && /^(?:pk|id)$/.test(a.childForFieldName('name')?.text ?? ''));
    const carrier = !update && !!key && ownKey.test((key.childForFieldName('value')?.text ?? '').replace(/\s+/g, ''));
    if (!update && !carrier) continue;
    for (const a of args) {
      const field = a.type === 'keyword_argument' ? a.childForFieldName('name')?.text : undefined;
      const value = a.childForFieldName('value');
      if (field && value && a !== key && !(carrier && a.id === key?.id)) out.push({ call, field, value });
    }
  }
  return out;
}

/** A query chain with a `filter()` of exactly the row's key (`pk=row.pk`, `id=row.id`, `pk=row` over keys). */
export function keyedByOwnRow(chain: Node | null, row: string, uniqueColumn?: (model: string, column: string) => boolean): boolean {
  for (let n: Node | null = chain; n && (n.type === 'call' || n.type === 'attribute'); n = n.type === 'call' ? n.childForFieldName('function') : n.childForFieldName('object')) {
    if (n.type !== 'call' || n.childForFieldName('function')?.childForFieldName('attribute')?.text !== 'filter') continue;
    const kws = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type === 'keyword_argument');
    if (kws.length !== 1) continue;
    const key = kws[0]?.childForFieldName('name')?.text ?? '';
    const value = (kws[0]?.childForFieldName('value')?.text ?? '').replace(/\s+/g, '');
    // `row.pk`, or a row that `values()` gave: `row["id"]` (review 28: mitxpro `courses/0012`).
    if (/^(?:pk|id)(?:__exact)?$/.test(key) && new RegExp(`^${row}(?:\\.(?:pk|id)|\\[(["'])(?:pk|id)\\1\\])?$`).test(value)) return true;
    // Another unique column, read off the row by the same name (`filter(uuid=site["uuid"])` where the view
    // makes uuid the primary key: review 31, ocw-studio `websites/0031`).
    const column = key.replace(/__exact$/, '');
    let root: Node | null = n;
    while (root && (root.type === 'call' || root.type === 'attribute')) root = root.type === 'call' ? root.childForFieldName('function') : root.childForFieldName('object');
    const sameColumn = new RegExp(`^${row}(?:\\.${column}|\\[(["'])${column}\\1\\])$`).test(value);
    if (uniqueColumn && /^\w+$/.test(column) && sameColumn && root?.type === 'identifier' && uniqueColumn(root.text, column)) return true;
  }
  return false;
}

/**
 * The fields of `row` that a function of the same file reads when a call in `value` hands it the row
 * (`rules = parse_rules(vf)`, whose body reads `vf.filter_rules`: review 29, pootle `virtualfolder/0013`
 * rebuilds its rules from themselves that way).
 */
function helperReads(value: Node, row: string): string[] {
  const out: string[] = [];
  const root = (() => {
    let n: Node = value;
    while (n.parent) n = n.parent;
    return n;
  })();
  for (const call of value.type === 'call' ? [value, ...value.descendantsOfType('call')] : value.descendantsOfType('call')) {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'identifier') continue;
    const at = callArguments(call).positional.findIndex((a) => a.type === 'identifier' && a.text === row);
    if (at < 0) continue;
    const def = root.namedChildren.find((d) => d.type === 'function_definition' && d.childForFieldName('name')?.text === fn.text);
    const param = def?.childForFieldName('parameters')?.namedChildren.filter((p) => p.type === 'identifier')[at];
    const body = def?.childForFieldName('body');
    if (!param || !body) continue;
    for (const m of body.text.matchAll(new RegExp(`(?<![\\w.])${param.text}\\.(\\w+)(?!\\w)`, 'g'))) out.push(m[1] as string);
  }
  return out;
}

/** Methods and functions that give the same value when applied again to what they gave. */
const SAME_AGAIN_METHODS = new Set(['strip', 'lstrip', 'rstrip', 'lower', 'upper', 'casefold', 'title', 'capitalize']);
const SAME_AGAIN_FUNCTIONS = /^(?:[\w.]*\.)?(?:slugify|int|str|float|bool|Decimal|round|abs)$/;

/** The value is the old one itself, or the old one through transforms that come out the same again (`x.strip().lower()`, `slugify(x)`, `x or "untitled"`). */
function sameAgain(value: Node, own: string): boolean {
  const v = unparen(value);
  if (v.text === own) return true;
  if (v.type === 'boolean_operator' && v.childForFieldName('operator')?.text === 'or') {
    const l = v.childForFieldName('left');
    const r = v.childForFieldName('right');
    return !!l && !!r && sameAgain(l, own) && !r.text.includes(own);
  }
  // A prefix cut to a fixed length (`slug[:50]`): cut again, it stays the same (readthedocs `projects/0030`).
  if (v.type === 'subscript') {
    const slice = v.childForFieldName('subscript');
    const bounds = slice?.type === 'slice' ? slice.namedChildren : [];
    const startless = slice?.type === 'slice' && /^\s*:/.test(slice.text) && bounds.length === 1 && !bounds[0]?.text.includes(own);
    return startless && sameAgain(v.childForFieldName('value') as Node, own);
  }
  if (v.type !== 'call') return false;
  const fn = v.childForFieldName('function');
  const args = v.childForFieldName('arguments')?.namedChildren ?? [];
  if (fn?.type === 'attribute' && SAME_AGAIN_METHODS.has(fn.childForFieldName('attribute')?.text ?? '')) {
    const object = fn.childForFieldName('object');
    return !!object && sameAgain(object, own) && !args.some((x) => x.text.includes(own));
  }
  if (fn && SAME_AGAIN_FUNCTIONS.test(fn.text) && args.length >= 1 && args[0]) return sameAgain(args[0], own) && !args.slice(1).some((x) => x.text.includes(own));
  return false;
}

const BROAD = /^(?:Exception|BaseException|(?:[\w.]*\.)?(?:DatabaseError|IntegrityError|OperationalError|ProgrammingError|DataError|InternalError|Error))$/;

/**
 * A `try` in the loop (or a helper it calls) that catches database errors around writes not in an
 * atomic block of their own: inside one batch's transaction, a caught error marks the batch for
 * rollback, and the block then throws the whole batch away without raising.
 */
/**
 * An `except` block that raises what it caught again, whatever it does first (`except Exception as e:
 * log(e); raise e`): it lets the error through (review 35: ureport `polls/0029` was said to catch them).
 */
function raisesAgain(clause: Node, caught: Node | undefined): boolean {
  const block = clause.namedChildren.find((x) => x.type === 'block');
  const statements = block?.namedChildren.filter((x) => x.type !== 'comment') ?? [];
  const last = statements[statements.length - 1];
  if (last?.type !== 'raise_statement') return false;
  const raised = last.namedChildren.filter((x) => x.type !== 'comment');
  const alias = caught?.type === 'as_pattern' ? caught.childForFieldName('alias')?.text ?? caught.namedChildren[1]?.text : undefined;
  const again = raised.length === 0 || (raised.length === 1 && alias !== undefined && raised[0]?.text === alias);
  // Nothing before it may leave the block another way.
  return again && statements.slice(0, -1).every((st) => st.descendantsOfType(['return_statement', 'continue_statement', 'break_statement']).length === 0 && !['return_statement', 'continue_statement', 'break_statement'].includes(st.type));
}

/** A `try` whose `except` catches database errors (a bare one, `Exception`, `IntegrityError`, …) and does not raise them again. */
function catchesDatabaseErrors(n: Node): boolean {
  return n.namedChildren.some((c) => {
    if (c.type !== 'except_clause') return false;
    const caught = c.namedChildren.find((x) => x.type !== 'block' && x.type !== 'comment');
    if (raisesAgain(c, caught)) return false;
    if (!caught) return true; // a bare except
    const value = caught.type === 'as_pattern' ? caught.namedChildren[0] : caught;
    const names = value?.type === 'tuple' ? value.namedChildren.map((x) => x.text) : [value?.text ?? ''];
    return names.some((t) => BROAD.test(t));
  });
}

/** The `try` between `node` and `outer` whose body holds `node` and whose `except` catches database errors, or null. */
export function catchingTry(node: Node, outer: Node): Node | null {
  for (let p = node.parent; p && p.id !== outer.id; p = p.parent) {
    if (p.type === 'block' && p.parent?.type === 'try_statement' && p.parent.childForFieldName('body')?.id === p.id && catchesDatabaseErrors(p.parent)) return p.parent;
  }
  return null;
}

/** Whether `block` holds a write of `facts`' unit, or a call of a helper that writes (a helper's kind of write). */
function writesWithin(block: Node, facts: UnitFacts, index: CodeIndex): boolean {
  if ([...facts.directWrites, ...facts.loops.flatMap((l) => l.writes)].some((w) => within(w.call, block))) return true;
  return facts.helperCalls.some((h) => within(h.call, block) && index.reachable(h.target).some((g) => g.directWrites.length > 0 || g.loops.some((l) => l.writes.length > 0)));
}

export function swallowsErrors(node: Node, facts: UnitFacts, index: CodeIndex, seen = new Set<number>()): Node | null {
  let hit: Node | null = null;
  walk(node, (n) => {
    if (hit) return false;
    if (n.type === 'try_statement') {
      const broad = catchesDatabaseErrors(n);
      const block = n.childForFieldName('body');
      const guarded = block?.namedChildren.every((st) => st.type === 'comment' || isAtomicWith(st)) ?? false;
      // Only a `try` around a write swallows a failed write: one around parsing, whose handler reads a
      // row to log it, lets every write's error through (review 79: pontoon `base/0111`).
      if (broad && !guarded && block && writesWithin(block, facts, index)) hit = n;
    }
    return !hit;
  });
  if (hit) return hit;
  for (const h of facts.helperCalls) {
    if (!within(h.call, node) || seen.has(h.target.node.id)) continue;
    seen.add(h.target.node.id);
    const inner = index.facts(h.target);
    const found = swallowsErrors(h.target.node, inner, index, seen);
    if (found) return found;
  }
  return null;
}

/**
 * A `select_for_update()` in the code (the function, or a helper of the file it calls) outside a
 * `transaction.atomic()` block of its own: Django refuses to evaluate one outside a transaction
 * (TransactionManagementError), so with atomic = False, or batches that read their rows before
 * their own transaction opens, the migration fails at its first query (review 25, data-hub-api
 * `investment/0021`, `company_list/0019`).
 */
export function lockingRead(index: CodeIndex, unit: CodeUnit): Node | null {
  for (const facts of index.reachable(unit)) {
    for (const call of facts.unit.node.descendantsOfType('call')) {
      const fn = call.childForFieldName('function');
      if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'select_for_update' && !enclosingAtomic(call)) return call;
    }
  }
  return null;
}

/**
 * "Batch this loop": the template offered for a save loop the proven rewrites (batch-template.ts)
 * refuse. It keeps the loop as written — its conditions, assignments, `continue`s, nested loops —
 * and changes only how rows reach the database: each per-row write becomes "collect the row", and a
 * flush every N rows and once after the loop writes the collection with one bulk query:
 *  - `row.save()` -> `bulk_update(batch, [fields the loop assigns])` (a marked line to fill in or
 *    check when the fields cannot all be seen);
 *  - `row.delete()` -> one queryset delete of the batch's primary keys;
 *  - `Model.objects.create(...)` and `Model(...).save()` -> `bulk_create(batch)`;
 *  - `get_or_create` / `update_or_create` -> `bulk_create(ignore_conflicts / update_conflicts)`,
 *    with a marked line: it relies on a unique constraint over the looked-up fields.
 * A queryset the loop walks is streamed with `.iterator(chunk_size=N)`. It refuses what it cannot
 * rewrite in place: writes through helpers, a `return` inside the loop, a write whose result is
 * used, a write that does not stand on a line of its own.
 */
import { isHistoricalModel, type LoopFacts, type WriteCall } from '../code-facts';
import type { Scope } from '../scope';
import { callArguments, rangeOf, sequenceElements, staticString, unparen, walk, type Node } from '../syntax';
import type { Fix, TextEdit } from '../types';
import { eolOf, indentOf, insertAfter, insertAt, pythonString, replaceNode } from './edits';
import { readsModel } from './reads-model';

export interface BatchLoopInput {
  loop: LoopFacts;
  /** The per-row writes the finding charges to this loop. */
  writes: readonly WriteCall[];
  source: string;
  batchSize: number;
  /** Names bound in the function, to find the model of `for row in qs:` when qs is a local. */
  locals: Scope;
}

const MANAGERS = new Set(['objects', '_default_manager', '_base_manager']);
const MARK = '# TODO(migration-guard):';

interface Chain {
  /** The model class name the chain starts from. */
  model: string;
  /** `Order.objects` or `Order.objects.using(alias)`: what bulk writes go through. */
  manager: string;
  /** Already streams, or prefetches (which iterator() would drop on older Django). */
  streams: boolean;
}

/** `Order.objects.using(a).filter(...)` -> Order, `Order.objects.using(a)`. Null for anything else. */
function chainOf(expr: Node): Chain | null {
  const links: Node[] = [];
  let cur: Node | null = unparen(expr);
  const isGetModel = (n: Node) => n.type === 'call' && /(^|\.)get_model$/.test(n.childForFieldName('function')?.text ?? '');
  while (cur && (cur.type === 'call' || cur.type === 'attribute' || cur.type === 'subscript') && !isGetModel(cur)) {
    links.push(cur);
    cur = cur.type === 'call' ? cur.childForFieldName('function') : cur.type === 'attribute' ? cur.childForFieldName('object') : cur.childForFieldName('value');
  }
  // `Order.objects…`, or `apps.get_model("shop", "Order").objects…` written inline.
  const inline = !!cur && isGetModel(cur);
  if (!cur || (!inline && (cur.type !== 'identifier' || !/^[A-Z]/.test(cur.text)))) return null;
  const model = oneLine(cur.text);
  let manager: string | null = null;
  let streams = false;
  for (let i = links.length - 1; i >= 0; i--) {
    const link = links[i] as Node;
    if (link.type !== 'attribute') continue;
    const attr = link.childForFieldName('attribute')?.text ?? '';
    if (MANAGERS.has(attr) && manager === null) manager = oneLine(link.text);
    if (attr === 'using' && manager !== null && links[i - 1]?.type === 'call') manager = oneLine((links[i - 1] as Node).text);
    if (attr === 'iterator' || attr === 'prefetch_related') streams = true;
  }
  return manager ? { model, manager, streams } : null;
}

/** An expression written over several lines, on one: `using(\n  alias=a\n)` -> `using(alias=a)`. */
function oneLine(text: string): string {
  return text.replace(/([([{])\s*\n\s*/g, '$1').replace(/\s*\n\s*([)\]}])/g, '$1').replace(/\s*\n\s*/g, ' ');
}

/** The chain a loop walks: written in the header, or bound once to a local name. */
function iterableChain(iterable: Node | null, locals: Scope): { chain: Chain; inHeader: boolean } | null {
  if (!iterable) return null;
  const n = unparen(iterable);
  const direct = chainOf(n);
  if (direct) return { chain: direct, inHeader: true };
  if (n.type === 'identifier') {
    const b = locals.lookup(n.text);
    const c = b?.kind === 'value' ? chainOf(b.node) : null;
    if (c) return { chain: c, inHeader: false };
  }
  return null;
}

/**
 * The statement a write stands in: the call on its own, or (for creates) `obj = call` /
 * `obj, created = call` whose names nothing else in the function reads, so the result can go.
 */
function statementOf(call: Node, scope: Node, resultMayGo: boolean): Node | null {
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
function ownLine(stmt: Node, source: string): boolean {
  const lineStart = source.lastIndexOf('\n', stmt.startIndex - 1) + 1;
  return /^[ \t]*$/.test(source.slice(lineStart, stmt.startIndex));
}

function containsReturn(body: Node): boolean {
  let found = false;
  walk(body, (n) => {
    if (found || n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return false;
    if (n.type === 'return_statement' || n.type === 'yield') found = true;
    return !found;
  });
  return found;
}

function uniqueName(base: string, taken: string): string {
  let name = base;
  for (let i = 2; new RegExp(`\\b${name}\\b`).test(taken); i++) name = `${base}_${i}`;
  return name;
}

/** What the loop does to `row` besides saving it: the fields it sets, and whether that is all. */
function assignedFields(body: Node, row: string): { fields: string[]; complete: boolean } {
  const fields: string[] = [];
  let complete = true;
  const add = (f: string) => {
    if (!fields.includes(f)) fields.push(f);
  };
  const fieldOf = (target: Node): string | null => {
    let n = target;
    while (n.type === 'subscript') n = n.childForFieldName('value') ?? n;
    if (n.type !== 'attribute') return null;
    const obj = n.childForFieldName('object');
    if (obj && obj.text === row) return n.childForFieldName('attribute')?.text ?? null;
    if (obj) {
      // row.customer.name = ...: a related object changes, which bulk_update of row does not write.
      let root: Node | null = obj;
      while (root?.type === 'attribute' && root.text !== row) root = root.childForFieldName('object');
      if (root?.text === row) complete = false;
    }
    return null;
  };
  walk(body, (n) => {
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return false;
    if (n.type === 'assignment' || n.type === 'augmented_assignment') {
      const left = n.childForFieldName('left');
      const targets = left?.type === 'pattern_list' || left?.type === 'tuple_pattern' ? left.namedChildren : left ? [left] : [];
      for (const t of targets) {
        const f = fieldOf(t);
        if (f) add(f);
      }
    } else if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      const args = callArguments(n);
      if (fn?.type === 'identifier' && fn.text === 'setattr' && args.positional[0]?.text === row) {
        const name = args.positional[1] ? staticString(args.positional[1]) : null;
        if (name?.complete) add(name.text);
        else complete = false;
      } else if (fn?.type === 'attribute') {
        // row.tags.append(x), row.data.update(...): a field mutated in place.
        const obj = fn.childForFieldName('object');
        const method = fn.childForFieldName('attribute')?.text ?? '';
        if (obj?.type === 'attribute' && obj.childForFieldName('object')?.text === row && /^(append|extend|update|insert|pop|remove|clear|add|setdefault|discard)$/.test(method)) {
          const f = obj.childForFieldName('attribute')?.text;
          if (f) add(f);
        }
      }
      // The row handed to other code, which may set fields we cannot see.
      const fnName = fn?.text ?? '';
      if (!/^(print|len|str|repr|isinstance|getattr|hasattr|setattr|logger\.\w+|logging\.\w+|log\.\w+)$/.test(fnName)) {
        for (const a of [...args.positional, ...args.keywords.values()]) if (unparen(a).text === row) complete = false;
      }
    }
    return true;
  });
  for (const f of ['pk', 'id']) {
    const i = fields.indexOf(f);
    if (i >= 0) {
      fields.splice(i, 1);
      complete = false;
    }
  }
  return { fields, complete };
}

function explicitUpdateFields(save: Node): string[] | null {
  const list = callArguments(save).keywords.get('update_fields');
  const items = list ? sequenceElements(list) : null;
  if (!items) return null;
  const names = items.map((e) => staticString(e));
  return names.every((s) => s?.complete) ? names.map((s) => (s as { text: string }).text) : null;
}

interface Sink {
  key: string;
  batch: string;
  /** The statement(s) that write one batch, given the batch's name. */
  flush: string;
  /** Marked lines to put above the loop. */
  notes: string[];
  /** A `fields = [...]` line to put above the loop, when the list is the author's to check. */
  fieldsLine?: string;
}

interface Rewrite {
  stmt: Node;
  /** The expression appended to the sink's batch. */
  item: string;
  sink: Sink;
}

/** The keyword arguments of a call as `name=value` texts, or null with splats or positionals. */
function keywordTexts(call: Node, skip: string[] = []): Array<[string, string]> | null {
  const args = callArguments(call);
  if (args.hasSplat || args.positional.length > 0) return null;
  const out: Array<[string, string]> = [];
  for (const [k, v] of args.keywords) if (!skip.includes(k)) out.push([k, v.text]);
  return out;
}

/** String keys of `defaults={...}` / `defaults=dict(...)`, or null when they cannot be read. */
function defaultKeys(node: Node): string[] | null {
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
function defaultsAsKeywords(node: Node): string[] {
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

/** Why "Batch this loop" is not offered, as a phrase ("the loop returns from inside"). */
export type Refusal = string;

/** The template, or why there is none. */
export function batchLoopFix(input: BatchLoopInput): Fix | Refusal {
  const { loop, writes, source, batchSize: n, locals } = input;
  if (loop.kind === 'comprehension') return comprehensionFix(loop, writes, n) ?? 'only a list comprehension of create() calls is rewritten';
  if (loop.kind !== 'for') return 'only `for` loops are rewritten';
  const body = loop.node.childForFieldName('body');
  if (!body || writes.length === 0) return 'the loop has no write the template can see';
  if (containsReturn(body)) return 'the loop returns from inside';
  if (loop.node.startPosition.row === body.startPosition.row) return 'the loop is written on one line';
  const eol = eolOf(source);
  const indent = indentOf(loop.node, source);
  const fnNode = (() => {
    for (let p = loop.node.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda') return p;
    return null;
  })();
  let taken = fnNode?.text ?? source;
  const fresh = (base: string) => {
    const name = uniqueName(base, taken);
    taken += ` ${name}`;
    return name;
  };
  const walked = iterableChain(loop.iterable, locals);
  const sinks = new Map<string, Sink>();
  const sink = (key: string, make: (batch: string) => Omit<Sink, 'key' | 'batch'>, base = 'batch'): Sink => {
    let s = sinks.get(key);
    if (!s) {
      const batch = fresh(base);
      s = { key, batch, ...make(batch) };
      sinks.set(key, s);
    }
    return s;
  };
  const rewrites: Rewrite[] = [];
  const seen = new Set<number>();
  for (const w of writes) {
    if (w.kind === 'helper') return `the row is written inside ${w.helper?.node.childForFieldName('name')?.text ?? 'a helper'}(): batch the write there`;
    if (seen.has(w.call.id)) return 'the same write is reached twice';
    seen.add(w.call.id);
    const stmt = statementOf(w.call, fnNode ?? body, w.kind === 'create' && fnNode !== null);
    if (!stmt) return 'the loop uses what the write returns';
    if (!ownLine(stmt, source)) return 'the write shares its line with other code';
    const fn = w.call.childForFieldName('function');
    const receiver = fn?.childForFieldName('object') ?? null;
    const method = fn?.childForFieldName('attribute')?.text ?? '';
    if (!receiver) return 'the write has no receiver the template can name';
    const recv = unparen(receiver);
    const isRow = recv.type === 'identifier' && loop.targets.includes(recv.text);
    if (w.kind === 'save' && recv.type === 'identifier' && loop.constructed.has(recv.text) && !isRow) {
      // obj = Model(...); ...; obj.save(): a new row.
      const built = constructedModel(body, recv.text, locals);
      if (!built || callArguments(w.call).positional.length > 0) return 'the new object is not built once from a model class in the loop';
      const { model, call } = built;
      rewrites.push({ stmt, item: recv.text, sink: sink(`create:${model}`, () => ({ flush: `${model}.objects.bulk_create(%B%)`, notes: keyNote(call) }), 'new_rows') });
    } else if (w.kind === 'save' && recv.type === 'call' && /^[A-Z]/.test(recv.childForFieldName('function')?.text ?? '')) {
      // Model(...).save()
      const model = recv.childForFieldName('function')?.text as string;
      if (!/^[A-Za-z_][\w]*$/.test(model)) return 'the model is not a plain name';
      rewrites.push({ stmt, item: recv.text, sink: sink(`create:${model}`, () => ({ flush: `${model}.objects.bulk_create(%B%)`, notes: keyNote(recv) }), 'new_rows') });
    } else if (w.kind === 'save' && isSavedObject(recv)) {
      // The loop's row, or an object reached from it or loaded per row (`row.address`, `obj = ...get()`).
      const args = callArguments(w.call);
      if (args.positional.length > 0 || args.hasSplat || [...args.keywords.keys()].some((k) => k !== 'update_fields')) return 'save() takes arguments bulk_update cannot keep';
      const row = recv.text;
      // `update_fields=names` built at run time: the fields the loop assigns, marked for checking.
      const explicit = args.keywords.has('update_fields') ? explicitUpdateFields(w.call) : null;
      const manager = isRow && walked ? walked.chain.manager : `type(%B%[0])._default_manager`;
      const repeat = isRow ? [] : [`${MARK} if several rows reach the same ${row}, the batch keeps one copy of it, not each change in turn`];
      // Several rows may reach the same object: bulk_update's CASE takes the first copy of a pk, the loop's last save wins.
      const rows = isRow ? '%B%' : 'list({row.pk: row for row in %B%}.values())';
      rewrites.push({
        stmt,
        item: row,
        sink: sink(`update:${row}`, () => {
          if (explicit) return { flush: `${manager}.bulk_update(${rows}, [${explicit.map(pythonString).join(', ')}])`, notes: repeat };
          const seen = assignedFields(body, row);
          const fields = seen.fields;
          const complete = seen.complete && !args.keywords.has('update_fields');
          const list = `[${fields.map(pythonString).join(', ')}]`;
          if (complete && fields.length > 0) return { flush: `${manager}.bulk_update(${rows}, ${list})`, notes: repeat };
          const name = fresh('fields');
          const why = fields.length === 0 ? 'fill in the fields this loop changes' : 'check this list: the loop changes the row in ways not all visible here';
          return { flush: `${manager}.bulk_update(${rows}, ${name})`, notes: repeat, fieldsLine: `${name} = ${list}  ${MARK} ${why} (bulk_update writes only these)` };
        }),
      });
    } else if (w.kind === 'delete' && isRow) {
      if (callArguments(w.call).node?.namedChildCount) return 'delete() takes arguments a queryset delete cannot keep';
      const manager = walked ? walked.chain.manager : `type(%B%[0])._default_manager`;
      rewrites.push({ stmt, item: recv.text, sink: sink(`delete:${manager}`, () => ({ flush: `${manager}.filter(pk__in=[row.pk for row in %B%]).delete()`, notes: [] }), 'doomed') });
    } else if (w.kind === 'create') {
      const chain = chainOf(receiver);
      if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, body)) return 'it creates through a related manager or a model the loop picks per row';
      const m = chain.model;
      if (method === 'create') {
        const argsText = w.call.childForFieldName('arguments')?.text ?? '()';
        rewrites.push({ stmt, item: `${m}${argsText}`, sink: sink(`create:${chain.manager}`, () => ({ flush: `${chain.manager}.bulk_create(%B%)`, notes: [] }), 'new_rows') });
      } else {
        const kw = keywordTexts(w.call);
        if (!kw) return `${method}() takes arguments that cannot be read as fields`;
        const defaults = callArguments(w.call).keywords.get('defaults');
        const lookup = kw.filter(([k]) => k !== 'defaults');
        if (lookup.length === 0) return `${method}() has no look-up fields`;
        // `name__iexact=…` is a look-up, not a field: the model cannot be built from it.
        if (lookup.some(([k]) => k.includes('__'))) return `${method}() looks up more than fields (${lookup.find(([k]) => k.includes('__'))?.[0]}=)`;
        const parts = lookup.map(([k, v]) => `${k}=${v}`);
        if (defaults) parts.push(...defaultsAsKeywords(defaults));
        const item = `${m}(${parts.join(', ')})`;
        if (method === 'get_or_create') {
          rewrites.push({
            stmt,
            item,
            sink: sink(`goc:${chain.manager}`, () => ({
              flush: `${chain.manager}.bulk_create(%B%, ignore_conflicts=True)`,
              notes: [`${MARK} ignore_conflicts skips existing rows only if a unique constraint covers ${lookup.map(([k]) => k).join(', ')}`],
            }), 'new_rows'),
          });
        } else {
          const keys = defaults ? defaultKeys(defaults) : [];
          if (!keys || keys.length === 0) return "update_or_create()'s defaults cannot be read";
          rewrites.push({
            stmt,
            item,
            sink: sink(`uoc:${chain.manager}`, () => ({
              flush: `${chain.manager}.bulk_create(%B%, update_conflicts=True, unique_fields=[${lookup.map(([k]) => pythonString(k)).join(', ')}], update_fields=[${keys.map(pythonString).join(', ')}])`,
              notes: [`${MARK} needs Django 4.1+ and a unique constraint on ${lookup.map(([k]) => k).join(', ')}`],
            }), 'new_rows'),
          });
        }
      }
    } else return w.kind === 'delete' ? 'it deletes an object other than the loop\'s row' : 'the write is not one the template batches';
  }
  if (rewrites.length === 0) return 'the loop has no write the template can see';
  // A query of a table the loop writes does not see the rows batched so far (not the writes themselves).
  const receivers = writes.flatMap((w) => w.call.childForFieldName('function')?.childForFieldName('object') ?? []);
  const reread = new Set<string>();
  for (const s of sinks.values()) {
    const model = /^([A-Z]\w*)\.(?:objects|_default_manager|_base_manager)\b/.exec(s.flush)?.[1];
    if (!model || reread.has(model) || !readsModel(body, model, receivers)) continue;
    // Deleting rows the loop counts (`if qs.filter(same).count() > 1: row.delete()`): batched, every copy goes.
    if (s.key.startsWith('delete:')) return `the loop deletes rows of ${model} and queries ${model}: batched, its queries would not see the rows deleted so far`;
    reread.add(model);
    s.notes.push(`${MARK} the loop queries ${model}, which it writes: until a flush those queries do not see the rows batched so far`);
  }

  const edits: TextEdit[] = [];
  const before: string[] = [];
  for (const s of sinks.values()) {
    before.push(...s.notes);
    if (s.fieldsLine) before.push(s.fieldsLine);
    before.push(`${s.batch} = []`);
  }
  edits.push(insertAt({ line: loop.node.startPosition.row, character: loop.node.startPosition.column }, before.map((l) => `${l}${eol}${indent}`).join('')));
  if (walked?.inHeader && !walked.chain.streams && loop.iterable) edits.push(insertAfter(loop.iterable, `.iterator(chunk_size=${n})`));
  const step = indentOf(body.firstNamedChild ?? body, source).slice(indent.length) || '    ';
  for (const r of rewrites) {
    const at = indentOf(r.stmt, source);
    const flush = r.sink.flush.replace(/%B%/g, r.sink.batch);
    edits.push(
      replaceNode(
        r.stmt,
        `${r.sink.batch}.append(${r.item})${eol}${at}if len(${r.sink.batch}) >= ${n}:${eol}${at}${step}${flush}${eol}${at}${step}${r.sink.batch}.clear()`,
      ),
    );
  }
  const after = [...sinks.values()].map((s) => `${eol}${indent}if ${s.batch}:${eol}${indent}${step}${s.flush.replace(/%B%/g, s.batch)}`).join('');
  edits.push(insertAfter(loop.node, after));
  const kinds = [...new Set([...sinks.values()].map((s) => (s.flush.includes('bulk_update') ? 'bulk_update' : s.flush.includes('bulk_create') ? 'bulk_create' : 'queryset delete')))];
  return { title: `Batch this loop: collect the rows, ${kinds.join(' + ')} every ${n}`, edits, isPreferred: true, safe: false };
}

/**
 * `[Model.objects.create(...) for x in xs]` -> `Model.objects.bulk_create([Model(...) for x in xs],
 * batch_size=N)`: the same list of objects (with primary keys where the database returns them).
 */
function comprehensionFix(loop: LoopFacts, writes: readonly WriteCall[], n: number): Fix | null {
  const node = loop.node;
  const element = node.childForFieldName('body');
  const w = writes[0];
  if (node.type !== 'list_comprehension' || writes.length !== 1 || !w || w.kind !== 'create' || !element || unparen(element).id !== w.call.id) return null;
  const fn = w.call.childForFieldName('function');
  const receiver = fn?.childForFieldName('object');
  if (fn?.childForFieldName('attribute')?.text !== 'create' || !receiver) return null;
  const chain = chainOf(receiver);
  if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, node)) return null;
  const argsText = w.call.childForFieldName('arguments')?.text ?? '()';
  return {
    title: `Batch this loop: build the objects, bulk_create every ${n}`,
    edits: [insertAt(rangeOf(node).start, `${chain.manager}.bulk_create(`), replaceNode(w.call, `${chain.model}${argsText}`), insertAfter(node, `, batch_size=${n})`)],
    isPreferred: true,
    safe: false,
  };
}

/** An object whose save() can become a bulk_update: a name or an attribute chain of names (no calls). */
function isSavedObject(recv: Node): boolean {
  let n: Node | null = recv;
  while (n?.type === 'attribute') n = n.childForFieldName('object');
  return n?.type === 'identifier' && n.text !== 'self' && n.text !== 'cls';
}

/**
 * The class a name is built from in the loop body: `obj = Comment(...)` -> Comment, or a name
 * bound to `apps.get_model(...)` (`bug = bug_model(**data)`); one assignment only.
 */
function constructedModel(body: Node, name: string, locals: Scope): { model: string; call: Node } | null {
  let built: { model: string; call: Node } | null = null;
  let count = 0;
  walk(body, (n) => {
    if (n.type === 'assignment' && n.childForFieldName('left')?.text === name) {
      count++;
      const right = n.childForFieldName('right');
      const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
      if (right && fn?.type === 'identifier' && (/^[A-Z]/.test(fn.text) || isHistoricalModel(fn.text, locals))) built = { model: fn.text, call: right };
    }
    return true;
  });
  return count === 1 ? built : null;
}

/**
 * save() of an object built with its primary key updates the row when it exists; bulk_create only
 * inserts. Said in a marked line when the constructor may pass one (`**data`, `pk=`, `id=`).
 */
function keyNote(construct: Node): string[] {
  const args = callArguments(construct);
  if (!args.hasSplat && !args.keywords.has('pk') && !args.keywords.has('id')) return [];
  return [`${MARK} save() of an object with its primary key set updates the row if it exists; bulk_create only inserts (check these rows are new, or add ignore_conflicts=True)`];
}

/** The manager expression names something the loop binds (it cannot be evaluated after the loop). */
function usesLoopNames(expr: Node, loop: LoopFacts, body: Node): boolean {
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


/**
 * "Batch this loop" for a loop that uses what its create() returns:
 *
 *     for row in Old.objects.all():
 *         new = New.objects.create(name=row.name)
 *         Link.objects.filter(old=row).update(new_id=new.pk)
 *
 * The row cannot simply be collected: the rest of the loop needs it saved (its primary key, a
 * relation to it). The loop is split in two where the last such create stands. The first part
 * still runs per row and builds the objects unsaved; every N rows (and once after the loop) one
 * bulk_create per model saves them, and bulk_create gives them their primary keys on PostgreSQL (on
 * MariaDB 10.5+ too, and SQLite 3.35+ from Django 4.0). Then the rest of the loop runs for each row of that batch,
 * in a local function that receives the rows with the names the first part bound and the rest
 * reads:
 *
 *     def flush_rows(pending):
 *         New.objects.bulk_create([item[1] for item in pending])
 *         for row, new in pending:
 *             Link.objects.filter(old=row).update(new_id=new.pk)
 *     pending = []
 *     for row in Old.objects.all().iterator(chunk_size=1000):
 *         new = New(name=row.name)
 *         pending.append((row, new))
 *         if len(pending) >= 1000:
 *             flush_rows(pending)
 *             pending.clear()
 *     if pending:
 *         flush_rows(pending)
 *
 * The rule then lints that text, and "Batch this loop" of the new inner loop batches the writes
 * the rest of the loop makes (the rule wires that: unbatched-save-loop.ts). A `get_or_create()`
 * keyed by the loop's own row is split the same way (lookup-by-row.ts builds its part).
 *
 * What it changes, said in a marked line: code before the create no longer sees what the rest of
 * the loop did for the earlier rows of the same batch. Writes before the creates stay in the loop,
 * where the rule's template for the loop batches them. Refused where the split would change more:
 * a create inside a condition or a nested block, code between the creates
 * that uses one, a `return`, `yield` or `break` of this loop after it, a name the rest of the loop
 * binds and the function reads elsewhere (it becomes local to the new function), `global` /
 * `nonlocal`, a string spanning lines before the create (lines after it move one level in, and
 * only the lines inside a string stay as they are).
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import { multiTableRefusal, type MultiTable } from './multi-table';
import type { Scope } from '../scope';
import { callArguments, walk, type Node } from '../syntax';
import { eolOf, indentOf } from './edits';
import { lookupByRow } from './lookup-by-row';
import { helperReadingModel, modelHandedTo, readsModel } from './reads-model';
import { boundNames } from './inline-helper';
import { breaksThisLoop, readBeforeSet, referencedNames } from './name-flow';
import { containsAny, MARK, relatedManager, uniqueName, usesLoopNames } from './loop-reading';
import { chainOf, iterableChain, modelNames, oneLine } from './loop-chain';
import { builtSave, preparesBuilt } from './deferred-built';

export interface Deferred {
  /** The whole file with the loop restructured. */
  text: string;
  /** Offsets in `text` of the loop's header and of the new inner loop's header. */
  outerHeader: number;
  innerHeader: number;
}

/** A write whose object the rest of the loop uses: built per row, saved per batch. */
export interface Producer {
  stmt: Node;
  /** What the rest of the loop calls the object: a name, or `row.attr` the create was assigned to. */
  target: Node;
  /** The name the pending tuple carries it under. */
  name: string;
  /** The statement that builds it unsaved, in place of the create. */
  build: string;
  /** The lines that save a batch of them, given the pending list's name, the tuple index and one indent step. */
  flush: (pending: string, index: number, step: string) => string[];
  /** Lines that start the rest's loop body (the saved object in place of the one built), if any. */
  unpack?: string[];
  notes: string[];
  /** The model class it creates, when named (`Line`, `line_model`). */
  model: string | null;
  /** The manager the create went through (not a query); for a built object's save(), its constructor call. */
  recv: Node;
  /** A built object's `obj.save()`: the object is already built, so its line goes (`build` is empty). */
  drop?: boolean;
}

/** Rows (0-based) that start inside a string literal spanning lines: re-indenting them would change the string. */
function rowsInsideStrings(node: Node, into: Set<number>): void {
  walk(node, (n) => {
    if (n.type === 'string' || n.type === 'concatenated_string') {
      for (let r = n.startPosition.row + 1; r <= n.endPosition.row; r++) into.add(r);
      return false;
    }
    return true;
  });
}

/**
 * The loop restructured as the header says, or why not; null when no create's result is used on
 * the loop body's own level (another template's case).
 */
export function deferCreates(
  loop: LoopFacts,
  writes: readonly WriteCall[],
  source: string,
  locals: Scope,
  n: number,
  multiTable?: MultiTable,
  /** `_2`, `_3`… for the second, third… loop of the function that may be split: each its own function and list. */
  suffix = '',
  /** The auto_now fields of the loop's row's model (per the project view): its plain save() in the rest stamps them there. */
  stamps: readonly string[] = [],
): Deferred | string | null {
  if (loop.kind !== 'for' || loop.node.childForFieldName('alternative')) return null;
  const body = loop.node.childForFieldName('body');
  const left = loop.node.childForFieldName('left');
  if (!body || !left || loop.node.startPosition.row === body.startPosition.row) return null;
  const stmts = body.namedChildren;
  const topLevel = new Map(stmts.map((s, i) => [s.id, i]));
  const producers: Producer[] = [];
  const producerIndex: number[] = [];
  let fnNode: Node | null = null;
  for (let p = loop.node.parent; p; p = p.parent) {
    if (p.type === 'function_definition') {
      fnNode = p;
      break;
    }
  }
  if (!fnNode) return null;
  let taken = fnNode.text;
  const fresh = (base: string): string => {
    const name = uniqueName(base, taken);
    taken += ` ${name}`;
    return name;
  };
  for (const w of writes) {
    const built = w.kind === 'save' ? builtSave(w, loop, body, locals, multiTable) : null;
    if (typeof built === 'string') return built;
    if (built) {
      const index = topLevel.get(built.stmt.id);
      if (index === undefined) return 'the save() of the object the loop builds is not on the loop body\'s own level';
      producers.push(built);
      producerIndex.push(index);
      continue;
    }
    if (w.kind !== 'create') continue;
    const fn = w.call.childForFieldName('function');
    if (fn?.childForFieldName('attribute')?.text === 'get_or_create') {
      const got = lookupByRow(w.call, loop, body, fnNode, locals, fresh, multiTable);
      if (typeof got === 'string') return got;
      if (got) {
        const index = topLevel.get(got.stmt.id);
        if (index === undefined) return 'the get_or_create is not on the loop body\'s own level';
        producers.push(got);
        producerIndex.push(index);
      }
      continue;
    }
    if (fn?.childForFieldName('attribute')?.text !== 'create') continue;
    const assign = w.call.parent;
    const stmt = assign?.parent;
    if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== w.call.id || stmt?.type !== 'expression_statement' || stmt.namedChildCount !== 1) continue;
    const index = topLevel.get(stmt.id);
    if (index === undefined) continue;
    const target = assign.childForFieldName('left');
    if (!target || !(target.type === 'identifier' || (target.type === 'attribute' && target.childForFieldName('object')?.type === 'identifier'))) continue;
    const recv = fn.childForFieldName('object');
    if (!recv) continue;
    const args = callArguments(w.call);
    if (args.positional.length > 0) return 'create() takes positional arguments';
    const argsText = w.call.childForFieldName('arguments')?.text ?? '()';
    const name = target.type === 'identifier' ? target.text : fresh(`new_${target.childForFieldName('attribute')?.text ?? 'row'}`);
    const chain = chainOf(recv, modelNames(locals));
    if (chain && chain.manager === oneLine(recv.text) && !usesLoopNames(recv, loop, body)) {
      const mti = multiTable?.(chain.model);
      if (mti) return multiTableRefusal(chain.model, mti);
      producers.push({ stmt, target, name, build: `${name} = ${chain.model}${argsText}`, flush: (p, i) => [`${chain.manager}.bulk_create([item[${i}] for item in ${p}])`], notes: [], model: chain.model, recv });
    } else if (relatedManager(recv, locals)) {
      const rel = oneLine(recv.text);
      const owner = oneLine(recv.childForFieldName('object')?.text ?? '');
      const link = `**{${rel}.field.name: ${owner}}`;
      const rest = argsText.slice(1);
      const build = `${name} = ${rel}.model(${args.keywords.size > 0 || args.hasSplat ? `${link},${/^[ \t]*\r?\n/.test(rest) ? '' : ' '}${rest}` : `${link})`}`;
      producers.push({
        stmt,
        target,
        name,
        build,
        flush: (p, i) => [`type(${p}[0][${i}])._default_manager.bulk_create([item[${i}] for item in ${p}])`],
        notes: [`${MARK} ${rel} must be a reverse foreign key's manager: a many-to-many or generic relation's has no .field and raises here`],
        model: null,
        recv,
      });
    } else continue;
    producerIndex.push(index);
  }
  if (producers.length === 0) return null;
  const split = Math.max(...producerIndex);
  const before = stmts.slice(0, split + 1);
  const rest = stmts.slice(split + 1);
  const lastProducer = stmts[split] as Node;
  let firstPartEnd = lastProducer.endIndex;
  // A comment after the last create on its line stays with it; other code on that line cannot be moved.
  while (rest[0] && rest[0].startPosition.row === lastProducer.endPosition.row) {
    if (rest[0].type !== 'comment') return 'the create shares its line with other code';
    firstPartEnd = rest[0].endIndex;
    rest.shift();
  }
  // Other writes of the loop before the creates stay in the loop: the rule batches them there in
  // turn (unbatched-save-loop.ts), or says why it cannot.
  const producerIds = new Set(producers.map((p) => p.stmt.id));
  const leaving = ['return_statement', 'yield', 'global_statement', 'nonlocal_statement'];
  if (containsAny(stmts, leaving)) return 'the loop returns or yields from inside';
  if (breaksThisLoop(rest)) return 'the loop breaks after the create whose result it uses';
  // Code between the creates must not use what they return: those objects are not saved yet.
  const producerNames = new Set(producers.filter((p) => p.target.type === 'identifier').map((p) => p.name));
  const producerAttrs = producers.filter((p) => p.target.type === 'attribute').map((p) => oneLine(p.target.text));
  // A built object may be set and validated before its save(), not handed on.
  const savedAt = new Map(producers.filter((p) => p.drop).map((p) => [p.name, p.stmt.startIndex]));
  for (const s of before) {
    if (producerIds.has(s.id)) continue;
    if ([...savedAt].some(([name, at]) => s.startIndex < at && preparesBuilt(s, name))) continue;
    const refs = referencedNames(s);
    if ([...producerNames].some((x) => refs.has(x)) || producerAttrs.some((a) => oneLine(s.text).includes(a))) return 'code between the creates uses what one of them returns';
  }
  for (const p of producers) {
    const args = p.stmt.firstNamedChild?.childForFieldName('right')?.childForFieldName('arguments');
    const refs = args ? referencedNames(args) : new Set<string>();
    if (producerAttrs.some((a) => oneLine(args?.text ?? '').includes(a)) || (p.target.type === 'identifier' && refs.has(p.name))) return 'a create reads the object another create returns';
  }
  // What the rest of the loop binds becomes local to the new function: nothing else may read it.
  const restBound = new Set<string>();
  for (const s of rest) for (const b of boundNames(s)) restBound.add(b);
  if (rest.some((s) => s.type === 'function_definition' || s.type === 'class_definition' || s.type === 'decorated_definition')) return 'the rest of the loop defines a function or class';
  // In the new function a name the rest binds is its own: it must be set there before it is read.
  // `count += 1`, or a value kept from one row to the next (`print(previous); previous = row`), is not.
  const carriedOver = readBeforeSet(rest, restBound);
  if (carriedOver) return `the rest of the loop reads ${carriedOver} before it sets it (a value kept from row to row)`;
  if (restBound.size > 0 && fnNode.descendantsOfType(['global_statement', 'nonlocal_statement']).length > 0) return 'the function declares global or nonlocal names';
  if (restBound.size > 0) {
    const restStart = rest[0]?.startIndex ?? 0;
    const restEnd = rest[rest.length - 1]?.endIndex ?? 0;
    // In an enclosing loop, code before this one runs again after it: it could read what the rest bound.
    let enclosed = false;
    for (let p = loop.node.parent; p && p.id !== fnNode.id; p = p.parent) if (p.type === 'for_statement' || p.type === 'while_statement') enclosed = true;
    // After the loop, a name is harmless where a later `for` binds it afresh (`for user in …:` in the next loop).
    const rebound = (x: Node): boolean => {
      for (let p = x.parent; p && p.id !== fnNode.id; p = p.parent) {
        if (p.type === 'for_statement' && p.startIndex >= loop.node.endIndex && referencedNames(p.childForFieldName('left') ?? p).has(x.text)) return true;
      }
      return false;
    };
    // After the loop, a name is harmless from a statement of the function's own body that assigns
    // it afresh (`query = "DELETE …"`): everything later reads that value, not the loop's.
    const fnBody = fnNode.childForFieldName('body');
    const freshAssignment = (x: Node): boolean => {
      const a = x.parent;
      if (a?.type !== 'assignment' || a.childForFieldName('left')?.id !== x.id) return false;
      const stmt = a.parent;
      const right = a.childForFieldName('right');
      return stmt?.type === 'expression_statement' && stmt.parent?.id === fnBody?.id && !!right && !referencedNames(right).has(x.text);
    };
    // After the loop, a name is harmless where it is being bound (not read), or where a statement
    // before it in its own block, or in a block around it, assigns it (`try: data = …; use(data)`).
    const setFirst = (x: Node): boolean => {
      const a = x.parent;
      if (a?.type === 'assignment' && a.childForFieldName('left')?.id === x.id) {
        const right = a.childForFieldName('right');
        return !!right && !referencedNames(right).has(x.text);
      }
      for (let st: Node | null = x; st && st.id !== fnNode.id; st = st.parent) {
        if (st.parent?.type !== 'block' || st.startIndex < loop.node.endIndex) continue;
        for (let prev = st.previousNamedSibling; prev && prev.startIndex >= loop.node.endIndex; prev = prev.previousNamedSibling) {
          const assigned = prev.type === 'expression_statement' ? prev.firstNamedChild : null;
          if (assigned?.type === 'assignment' && assigned.childForFieldName('left')?.type === 'identifier' && assigned.childForFieldName('left')?.text === x.text) return true;
        }
      }
      return false;
    };
    // Most names the rest binds appear nowhere else in the function: no walk for those.
    const fnText = fnNode.text;
    const outside = `${fnText.slice(0, restStart - fnNode.startIndex)}\n${fnText.slice(restEnd - fnNode.startIndex)}`;
    const suspects = new Set([...restBound].filter((name) => new RegExp(`(?<![\\w.])${name}\\b`).test(outside)));
    const settled = new Set<string>();
    let clash: string | null = null;
    if (suspects.size > 0) {
      walk(fnNode, (x) => {
        if (clash) return false;
        if (x.startIndex >= restStart && x.endIndex <= restEnd) return false;
        if (x.type === 'identifier' && suspects.has(x.text) && !settled.has(x.text)) {
          const p = x.parent;
          const isAttr = p?.type === 'attribute' && p.childForFieldName('attribute')?.id === x.id;
          const isKw = p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === x.id;
          const after = x.startIndex >= loop.node.endIndex;
          if (after && freshAssignment(x)) settled.add(x.text);
          else if (!(isAttr || isKw || (x.endIndex <= loop.node.startIndex && !enclosed) || (after && (rebound(x) || setFirst(x))))) clash = x.text;
        }
        return true;
      });
    }
    if (clash) return `the rest of the loop binds ${clash}, which the function also uses outside it`;
  }
  // Carried: the loop's target, then each create's object, then what the first part binds and the rest reads.
  const restReads = new Set<string>();
  for (const s of rest) referencedNames(s, restReads);
  // `row.attr = new` moves into the rest: the object it is set on travels with the row.
  for (const p of producers) if (p.target.type === 'attribute') referencedNames(p.target, restReads);
  const targetNames = new Set<string>();
  referencedNames(left, targetNames);
  const names = producers.map((p) => p.name);
  if (names.some((x, i) => targetNames.has(x) || names.indexOf(x) !== i)) return 'a create rebinds the loop variable or another create\'s name';
  const firstBound = new Set<string>();
  for (const s of before) if (!producerIds.has(s.id)) for (const b of boundNames(s)) firstBound.add(b);
  const carried = [...firstBound].filter((x) => restReads.has(x) && !targetNames.has(x) && !producerNames.has(x)).sort();
  const skipRows = new Set<number>();
  for (const s of rest) rowsInsideStrings(s, skipRows);

  const eol = eolOf(source);
  const indent = indentOf(loop.node, source);
  const step = indentOf(stmts[0] as Node, source).slice(indent.length) || '    ';
  if (!/^[ \t]+$/.test(step)) return null;
  // The function goes on the enclosing function's own level, before the statement that holds the
  // loop: defined inside a loop, `if` or `with` it would be bound only in a branch, and the rule
  // could not follow the call into it. It reads the enclosing names when called, as the loop did.
  let top: Node = loop.node;
  while (top.parent && top.parent.parent?.id !== fnNode.id) top = top.parent;
  const defIndent = indentOf(top, source);
  const ws = `${indent}${step}`;
  if (!indent.startsWith(defIndent) || (ws.includes('\t') && ws.includes(' '))) return 'the loop is indented with tabs and spaces mixed';
  const pending = fresh(`pending${suffix}`);
  const flushFn = fresh(`flush_rows${suffix}`);
  // Its own name inside the function: a loop over the outer `pending = []` would read as a loop over a literal.
  const rowsParam = fresh('rows');
  const leftText = oneLine(left.text);
  const targetTuple = left.type === 'identifier' ? leftText : `(${leftText})`;
  const tupleNames = [targetTuple, ...producers.map((p) => p.name), ...carried];
  // The rest of the loop, moved to the new function's loop (lines inside strings spanning lines kept as they are).
  const restStart = source.lastIndexOf('\n', (rest[0] ?? lastProducer).startIndex - 1) + 1;
  const restEnd = rest.length > 0 ? (rest[rest.length - 1] as Node).endIndex : restStart;
  const firstRestRow = rest[0]?.startPosition.row ?? 0;
  const restLines = rest.length > 0 ? source.slice(restStart, restEnd).split(/\r?\n/) : [];
  const from = `${indent}${step}`.length;
  const to = `${defIndent}${step}${step}`.length;
  const unit = step[0] as string;
  const moved = restLines.map((line, i) => {
    if (skipRows.has(firstRestRow + i) || line.trim() === '') return line;
    if (to >= from) return unit.repeat(to - from) + line;
    const lead = /^[ \t]*/.exec(line)?.[0].length ?? 0;
    return line.slice(Math.min(lead, from - to));
  });
  // The rest's loop walks tuples, so its template cannot tell the row's model: the row's plain
  // save() gets the auto_now stamps here, as assignments that template then lists.
  if (stamps.length > 0 && left.type === 'identifier') {
    const row = left.text;
    const saves = rest.flatMap((st) => st.descendantsOfType('call')).filter((c) => {
      const fn = c.childForFieldName('function');
      return fn?.type === 'attribute' && fn.childForFieldName('object')?.text === row && fn.childForFieldName('attribute')?.text === 'save' && (c.childForFieldName('arguments')?.namedChildCount ?? 0) === 0 && c.parent?.type === 'expression_statement';
    });
    for (const c of saves.sort((a, b) => b.startIndex - a.startIndex)) {
      const i = c.startPosition.row - firstRestRow;
      const lead = /^[ \t]*/.exec(moved[i] ?? '')?.[0] ?? '';
      moved.splice(i, 0, ...stamps.map((f) => `${lead}${row}.${f} = ${row}._meta.get_field(${JSON.stringify(f)}).pre_save(${row}, False)  # auto_now: the time save() would have set`));
    }
  }
  const attrAssigns = [
    ...producers.flatMap((p) => (p.unpack ?? []).map((l) => `${defIndent}${step}${step}${l}`)),
    ...producers.filter((p) => p.target.type === 'attribute').map((p) => `${defIndent}${step}${step}${oneLine(p.target.text)} = ${p.name}`),
  ];
  if (attrAssigns.length === 0 && moved.length === 0) return null;
  const notes = [...new Set(producers.flatMap((p) => p.notes))];
  // A query before the create (or in its arguments) of the table it creates into would not see the rows
  // created since the last flush: a slug made unique by asking the table comes out the same for two
  // rows of a batch (review 54: muckrock `organization/0011`, through a helper handed the model). The
  // loop is committed in batches as written instead, where that is safe, as batch-loop.ts does.
  for (const model of new Set(producers.flatMap((p) => p.model ?? []))) {
    const why = `until a flush it would not find the rows created since the last one`;
    if (before.some((s) => readsModel(s, model, producers.map((p) => p.recv)))) return `the loop queries ${model} before it creates one: ${why}`;
    for (const s of before) {
      const helper = helperReadingModel(s, model, locals) ?? modelHandedTo(s, model);
      if (helper) return `the loop calls ${helper}(), which may query ${model}, before it creates one: ${why}`;
    }
  }
  const head = [
    // (No word the templates name their lists with: `batch` here would make the loop's own template pick `batch_2`.)
    `${MARK} the rows are created ${n} at a time, then the rest of the loop runs for each: until then, code before the create does not see the earlier ones of those ${n} (neither their new objects nor what the rest did for them)`,
    ...notes,
    `def ${flushFn}(${rowsParam}):`,
    ...producers.flatMap((p, i) => p.flush(rowsParam, i + 1, step).map((l) => `${step}${l}`)),
    `${step}for ${tupleNames.join(', ')} in ${rowsParam}:`,
  ].map((l) => `${defIndent}${l}`);
  const defText = [...head, ...attrAssigns, ...moved].join(eol) + eol;
  const insertAt = source.lastIndexOf('\n', top.startIndex - 1) + 1;
  const innerHeader = insertAt + head.slice(0, -1).reduce((a, l) => a + l.length + eol.length, 0) + defIndent.length + step.length;

  const bodyIndent = `${indent}${step}`;
  const loopStart = loop.node.startIndex;
  const walked = iterableChain(loop.iterable, locals);
  let segment = source.slice(loopStart, firstPartEnd);
  // Replace the creates (offsets relative to the loop) from the last one back.
  for (const p of [...producers].sort((a, b) => b.stmt.startIndex - a.stmt.startIndex)) {
    // A dropped line goes with the line break before it.
    const from = p.drop ? source.lastIndexOf('\n', p.stmt.startIndex - 1) - (source[source.lastIndexOf('\n', p.stmt.startIndex - 1) - 1] === '\r' ? 1 : 0) : p.stmt.startIndex;
    segment = segment.slice(0, from - loopStart) + p.build + segment.slice(p.stmt.endIndex - loopStart);
  }
  if (walked?.inHeader && !walked.chain.streams && loop.iterable) {
    const at = loop.iterable.endIndex - loopStart;
    segment = `${segment.slice(0, at)}.iterator(chunk_size=${n})${segment.slice(at)}`;
  }
  const beforeLoop = source.slice(0, insertAt) + defText + source.slice(insertAt, loopStart) + `${pending} = []${eol}${indent}`;
  const tail = [
    '',
    `${bodyIndent}${pending}.append((${tupleNames.join(', ')}))`,
    `${bodyIndent}if len(${pending}) >= ${n}:`,
    `${bodyIndent}${step}${flushFn}(${pending})`,
    `${bodyIndent}${step}${pending}.clear()`,
    `${indent}if ${pending}:`,
    `${indent}${step}${flushFn}(${pending})`,
  ].join(eol);
  const text = beforeLoop + segment + tail + source.slice(rest.length > 0 ? restEnd : firstPartEnd);
  return { text, outerHeader: beforeLoop.length, innerHeader };
}

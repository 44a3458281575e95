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
 * used (except a get_or_create look-up, which memo-lookup.ts runs once per key), a write that does
 * not stand on a line of its own.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { ModelFields } from '../project/view';
import type { Scope } from '../scope';
import { callArguments, rangeOf, unparen, walk, type Node } from '../syntax';
import type { Fix, TextEdit } from '../types';
import { eolOf, indentOf, insertAfter, insertAt, pythonString, replaceNode } from './edits';
import { memoizeHelper, memoizeLookup, type MemoRewrite } from './memo-lookup';
import { createdThenSaved, typeErrorFallback } from './paired-writes';
import { helperReadingModel, keyedByRow, modelHandedTo, modelReads, queryText, relationReadOf, selfRelationRead } from './reads-model';
import { assignedFields, FIELD_NAMED_BY, FIELDS_LISTED_IN, containsReturn, defaultKeys, defaultsAsKeywords, explicitUpdateFields, isSavedObject, keywordTexts, MARK, ownLine, relatedManager, statementOf, uniqueName, usesLoopNames } from './loop-reading';
import { chainOf, iterableChain, loadedFields, mayMixModels, modelNames, oneLine } from './loop-chain';
import { boundModel, builtObjectUsed, constructedModel, factoryModel, insertDatabase, keyRefusal, loadedByOwnKey, pickedModel, plainInsertSave, reachedThrough, rebuiltFirst, reverseRowModel, ROW_READERS, rowModelOf } from './loop-objects';
import { mayRepeatRows } from './repeated-rows';
import { cascadeFree, deleteCalls } from './cascades';
import { hideDoomed, relatedQueries } from './doomed-rows';
import { catchingTry } from './rerun-safety';
import { batchedFields, readsWhatItWrites, fieldListText, filledOnSave, savedValues } from './row-fields';
import { contribModelRef, linkRewrite } from './link-rows';
import { rowUpdateRewrite } from './row-updates';
import { multiTableRefusal, type MultiTable } from './multi-table';
import { historicalModelRef, isModelCall } from '../historical-models';

/**
 * A related manager's query in the loop that reaches the model whose rows it inserts — one of the
 * model's relations read backwards, by its `related_name`, Django's `<model>_set`, or a plural that
 * ends the model's name
 * (`section.comments.count()` where SectionComment's `section` has `related_name="comments"`:
 * review 26, kerrokantasi `democracy/0016`, whose counts came out stale once the creates waited
 * in a batch). Its text, or null.
 */
function reverseRead(body: Node, model: string, locals: Scope, skip: readonly Node[], fields: BatchLoopInput['fields']): string | null {
  const related = relatedQueries(body, locals, skip);
  if (related.length === 0) return null;
  const bound = /^[A-Za-z_]\w*$/.test(model) ? locals.lookup(model) : null;
  const ref = bound?.kind === 'value' ? historicalModelRef(bound.node, locals) : null;
  const accessors = new Set<string>([`${(ref?.model ?? model).toLowerCase()}_set`]);
  for (const spec of fields?.(model)?.fields.values() ?? []) {
    const name = spec?.relation?.relatedName;
    if (name && name !== '+' && !name.endsWith('+')) accessors.add(name);
  }
  // Without the model's fields: a plural that ends its name (`comments` for SectionComment, `items` for OrderItem).
  const named = (ref?.model ?? model).toLowerCase();
  const plural = (attr: string) => {
    const word = attr.replace(/_/g, '');
    return [/s$/, /es$/].some((end) => end.test(word) && word.length >= 4 && named.endsWith(word.replace(end, '')));
  };
  return related.find((r) => accessors.has(r.split('.').pop() ?? '') || plural(r.split('.').pop() ?? '')) ?? null;
}

/** What `stamped` gives for a model the loop picks by name from models whose save() stamps different fields. */
export const STAMPS_DIFFER = '\0the models it may be stamp different fields';

export interface BatchLoopInput {
  loop: LoopFacts;
  /** The per-row writes the finding charges to this loop. */
  writes: readonly WriteCall[];
  source: string;
  batchSize: number;
  /** Names bound in the function, to find the model of `for row in qs:` when qs is a local. */
  locals: Scope;
  /**
   * Set when an enclosing loop is batched too: the template's names end with it (`batch_line`), so
   * the two templates, applied together, do not share a list.
   */
  suffix?: string;
  /** Whether a model (as the code names it) is a child of multi-table inheritance, per the project view. */
  multiTable?: MultiTable;
  /** The fields of a model (as the code names it) that its save() stamps with the time (auto_now), per the project view; [STAMPS_DIFFER] for models picked by name that stamp different ones. */
  stamped?: (model: string) => string[];
  /** Every field of a model (as the code names it), per the project view; null when not known. */
  fields?: (model: string) => ModelFields | null;
  /** The fields of each model a name picked per name from a fixed list may stand for; null when not so or not all known. */
  pickedFields?: (model: string) => ModelFields[] | null;
  /** The rule runs with the project view: a model it cannot answer about is one whose migrations cannot all be read. */
  inView?: boolean;
  /** The Django version the migration runs on, as far as is known (settings, and the version that wrote the file). */
  django?: readonly [number, number];
}

interface Sink {
  key: string;
  batch: string;
  /** The statement(s) that write one batch, given the batch's name (`%B%`); `%NL%` starts another line, `%IN%` indents it one step more. */
  flush: string;
  /** The model whose rows the flush writes, when the flush does not start with its manager. */
  model?: string;
  /** Marked lines (and a local import) to put above the loop. */
  notes: string[];
  /** A `fields = [...]` line to put above the loop, when the list is the author's to check. */
  fieldsLine?: string;
  /** An update's fields, as named (null: not all known); absent for creates and deletes. */
  written?: string[] | null;
}

interface Rewrite {
  stmt: Node;
  /** The expression appended to the sink's batch. */
  item: string;
  sink: Sink;
  /** Lines that come before the append, at its indent. */
  pre?: string[];
  /** What collects the item instead of an append (`%B%.extend(...)`). */
  collect?: string;
}

/** The start of the refusal for a save() whose loop changes no field that can be read (drop-save.ts may lift it). */
export const NO_FIELDS = 'no field it changes on ';
/** How the refusal of a loop that deletes while it saves starts: what only the project view can lift (cascades.ts). */
export const MAY_CASCADE = 'it deletes rows in the loop';

/** How the refusal of a write made inside a helper starts: what inlining the helper may lift. */
/**
 * The refusal for a write that is the element of a comprehension kept for its side effects only
 * (`[row.delete() for row in others]` as a statement: review 40, pulp_container `0027`), which the
 * template cannot rewrite in place; null for any other place.
 */
function sideEffectComprehension(call: Node): string | null {
  const comp = call.parent;
  if (!comp || !['list_comprehension', 'set_comprehension', 'generator_expression'].includes(comp.type) || comp.namedChildren[0]?.id !== call.id) return null;
  return comp.parent?.type === 'expression_statement' ? `the write is the element of a comprehension run for its side effects (line ${comp.startPosition.row + 1}), which the template cannot rewrite in place: write it as a for loop` : null;
}

export const HELPER_WRITE = 'the row is written inside ';

/** Why "Batch this loop" is not offered, as a phrase ("the loop returns from inside"). */
export type Refusal = string;

/** The template, or why there is none. */
export function batchLoopFix(input: BatchLoopInput): Fix | Refusal {
  const { loop, writes, source, batchSize: n, locals, suffix } = input;
  if (loop.kind === 'comprehension') return comprehensionFix(loop, writes, n, input.multiTable) ?? 'only a list comprehension of create() calls is rewritten';
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
    const name = uniqueName(suffix ? `${base}_${suffix}` : base, taken);
    taken += ` ${name}`;
    return name;
  };
  const walked = iterableChain(loop.iterable, locals);
  // The loop's own rows, of no model the code names, may be of several (`itertools.chain(Page…, Post…)`,
  // a dict's lists gathered from two queries).
  let mixed: boolean | undefined;
  // An object reached through a one-to-one field of the loop's row, in rows the query yields once each:
  // no two iterations reach the same one (review 70: bornhack `teams/0058`'s `team.group_member`).
  const reachedOncePerRow = (body: Node, name: string): boolean => {
    const through = reachedThrough(body, name, loop, locals);
    const rowModel = rowModelOf(loop, locals);
    const fields = rowModel && through ? (input.fields?.(rowModel) ?? null) : null;
    const field = fields && through ? fields.fields.get(through.slice(through.indexOf('.') + 1)) : null;
    if (field?.relation?.kind === 'one-to-one') return !!walked && !mayRepeatRows(walked.chain.expr, fields);
    // Or loaded by a query that asks for the row's own key (`Audit.objects.filter(target_object_id=case.id).first()`,
    // review 70: lite-api `audit_trail/0001`): rows of different keys get different objects.
    return loadedByOwnKey(body, name, loop.targets) && !!walked && !mayRepeatRows(walked.chain.expr, rowModel ? (input.fields?.(rowModel) ?? null) : null);
  };
  const rowsMayMix = (): boolean => (mixed ??= !walked && !rowModelOf(loop, locals) && mayMixModels(loop.iterable, locals));
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
  const memos: MemoRewrite[] = [];
  const seen = new Set<number>();
  // A save() with arguments and its `except TypeError:` plain save(): one plain save, the try statement its line.
  const fallbacks = new Map<number, Node>();
  const absorbed = new Set<number>();
  // Why links the template leaves as written were left (link-rows.ts).
  const keptLinks: string[] = [];
  const throughs = new Map<string, string>();
  for (const w of writes) {
    const pair = w.kind === 'save' ? typeErrorFallback(w.call) : null;
    if (pair && writes.some((o) => o.call.id === pair.fallback.id)) {
      fallbacks.set(w.call.id, pair.stmt);
      absorbed.add(pair.fallback.id);
    }
  }
  // `obj = Model.objects.create(...)`, then only `obj.x = …` and one `obj.save()`: the object is built unsaved and collected where it was saved.
  const built: TextEdit[] = [];
  for (const w of writes) {
    const c = w.kind === 'create' ? createdThenSaved(w.call, writes, fnNode ?? body, locals, loop, body) : null;
    if (!c || absorbed.has(c.save.id)) continue;
    absorbed.add(w.call.id);
    absorbed.add(c.save.id);
    if (!ownLine(c.saveStmt, source)) return 'the write shares its line with other code';
    built.push(replaceNode(w.call, `${c.model}${w.call.childForFieldName('arguments')?.text ?? '()'}`));
    rewrites.push({ stmt: c.saveStmt, item: c.name, sink: sink(`create:${c.manager}`, () => ({ flush: `${c.manager}.bulk_create(%B%)`, model: c.model, notes: [] }), 'new_rows') });
  }
  // `Event.objects.create(…).save()`: the save() stands for both (the Model(…).save() branch below).
  for (const w of writes) {
    const on = w.call.parent;
    if (w.kind === 'create' && on?.type === 'attribute' && on.childForFieldName('attribute')?.text === 'save' && on.parent?.type === 'call' && writes.some((o) => o.call.id === on.parent?.id)) absorbed.add(w.call.id);
  }
  for (const w of writes) {
    if (absorbed.has(w.call.id)) continue;
    if (w.kind === 'helper') {
      // A helper that gets or creates the row the loop uses runs once per distinct arguments.
      const memo = memoizeHelper(w, source, fresh);
      if (!memo) return `${HELPER_WRITE}${w.helper?.node.childForFieldName('name')?.text ?? 'a helper'}(): batch the write there`;
      if (seen.has(w.call.id)) return 'the same write is reached twice';
      seen.add(w.call.id);
      memos.push(memo);
      continue;
    }
    if (seen.has(w.call.id)) return 'the same write is reached twice';
    seen.add(w.call.id);
    const stmt = fallbacks.get(w.call.id) ?? statementOf(w.call, fnNode ?? body, w.kind === 'create' && fnNode !== null);
    if (!stmt) {
      // A look-up whose result the loop uses runs once per distinct key instead of once per row.
      const memo = w.kind === 'create' ? memoizeLookup(w.call, loop, body, fnNode ?? body, locals, source, fresh) : (sideEffectComprehension(w.call) ?? 'the loop uses what the write returns');
      if (typeof memo === 'string') return memo;
      memos.push(memo);
      continue;
    }
    if (!ownLine(stmt, source)) return 'the write shares its line with other code';
    const fn = w.call.childForFieldName('function');
    const receiver = fn?.childForFieldName('object') ?? null;
    const method = fn?.childForFieldName('attribute')?.text ?? '';
    if (!receiver) return 'the write has no receiver the template can name';
    const recv = unparen(receiver);
    const rebuilt = recv.type === 'identifier' && loop.targets.includes(recv.text) ? rebuiltFirst(loop, recv.text, w.call) : null;
    const isRow = recv.type === 'identifier' && loop.targets.includes(recv.text) && !rebuilt;
    if (w.kind === 'save' && recv.type === 'identifier' && loop.constructed.has(recv.text) && !isRow) {
      // obj = Model(...); ...; obj.save(): a new row.
      const built = constructedModel(body, recv.text, locals);
      if (!built) return 'the new object is not built from one model class in the loop';
      const db = insertDatabase(w.call);
      if (db === null) return 'save() takes arguments bulk_create cannot keep';
      if (builtObjectUsed(body, recv.text, w.call, rebuilt?.endIndex)) return 'the loop uses what the write returns';
      const { model, calls } = built;
      const keyed = calls.map((c) => keyRefusal(c, w.call)).find((r) => r !== null);
      if (keyed) return keyed;
      rewrites.push({ stmt, item: recv.text, sink: sink(`create:${model}${db}`, () => ({ flush: `${model}.objects${db}.bulk_create(%B%)`, model, notes: [] }), 'new_rows') });
    } else if (w.kind === 'save' && recv.type === 'call' && (/^[A-Z]/.test(recv.childForFieldName('function')?.text ?? '') || isModelCall(recv, locals))) {
      // Model(...).save(), the model under any name `apps.get_model()` gave (review 73: frepple's `columnmodel`)
      let model = recv.childForFieldName('function')?.text as string;
      // `Event.objects.create(…).save()`: a row create() inserted, saved again with the same values (review 56:
      // seed `0189`); historical models have no save() of their own, so it is the insert alone.
      const created = /^([A-Za-z_]\w*)\.objects\.create$/.exec(model);
      if (created) model = created[1] as string;
      if (!/^[A-Za-z_][\w]*$/.test(model)) return 'the model is not a plain name';
      // `Event.objects.create(…).save(using=…)` inserted on the default database first: only a plain save() is read there.
      const db = created ? (plainInsertSave(w.call) ? '' : null) : insertDatabase(w.call);
      if (db === null) return 'save() takes arguments bulk_create cannot keep';
      const keyed = keyRefusal(recv, w.call);
      if (keyed) return keyed;
      const item = created ? `${model}${recv.childForFieldName('arguments')?.text ?? '()'}` : recv.text;
      rewrites.push({ stmt, item, sink: sink(`create:${model}${db}`, () => ({ flush: `${model}.objects${db}.bulk_create(%B%)`, model, notes: [] }), 'new_rows') });
    } else if (w.kind === 'save' && isRow && factoryModel(loop, locals)) {
      return `its rows are new ${factoryModel(loop, locals)} objects a defaultdict made: save() inserts them, which bulk_update cannot`;
    } else if (w.kind === 'save' && isSavedObject(recv)) {
      // The loop's row, or an object reached from it or loaded per row (`row.address`, `obj = ...get()`).
      // `row.pk = None` then `row.save()` inserts a copy (tabbycat clones a venue per tournament).
      if (recv.type === 'identifier' && assignedFields(body, recv.text).setsKey) return `the loop sets ${recv.text}'s primary key, so its save() inserts a copy, which bulk_update cannot`;
      const args = fallbacks.has(w.call.id) ? { positional: [], hasSplat: false, keywords: new Map<string, Node>() } : callArguments(w.call);
      // `save(using=alias)` of rows walked through `….using(alias)`: bulk_update() through that manager writes the
      // same database (review 73: frepple `common/0037`).
      const using = args.keywords.get('using');
      const sameDatabase = !!using && isRow && !!walked && walked.chain.manager.endsWith(`.using(${oneLine(using.text)})`);
      if (args.positional.length > 0 || args.hasSplat || [...args.keywords.keys()].some((k) => k !== 'update_fields' && !(k === 'using' && sameDatabase))) return 'save() takes arguments bulk_update cannot keep';
      const row = recv.text;
      // `update_fields=names` built at run time: the fields the loop assigns, marked for checking.
      const explicit = args.keywords.has('update_fields') ? explicitUpdateFields(w.call) : null;
      // The auto_now fields save() stamped (all of them, or those update_fields names): stamped the same way before the append.
      // Besides the code's own names, `Model.field` / `Model.other_set` for a model reached by a relation (only asked of the view).
      const rowModel = isRow ? (rowModelOf(loop, locals) ?? reverseRowModel(loop, locals)) : recv.type === 'identifier' ? (boundModel(body, recv.text, locals) ?? reachedThrough(body, recv.text, loop, locals)) : null;
      // `model.objects.all()` where `model = apps.get_model("core", name)` in a loop over names: only asked what save() stamps.
      const picked = isRow && !rowModel ? pickedModel(loop) : null;
      // Rows loaded with only() / defer(): a plain save() writes the loaded fields only, an auto_now one left out is not stamped.
      const autoNow = rowModel || picked ? (input.stamped?.((rowModel ?? picked) as string) ?? []) : [];
      if (autoNow.includes(STAMPS_DIFFER)) {
        // A save() that changes no field is there for what it sets off (a post_save receiver: review 76, awx
        // `_rbac.py` saves every row to have its roles made): that is what no bulk_update() can do.
        const changed = explicit ? null : assignedFields(body, row);
        if (changed && changed.complete && changed.fields.length === 0) return `${NO_FIELDS}${row} can be read here, and bulk_update() writes only the fields it is given`;
        return `the models the loop picks by name (${picked ?? rowModel}) stamp different fields on save() (auto_now), which one bulk_update() list cannot write`;
      }
      const loaded = isRow && autoNow.length > 0 && !args.keywords.has('update_fields') ? loadedFields(loop.iterable, locals) : null;
      if (loaded === 'unknown') return `${row}'s rows are loaded with only() or defer() of fields that cannot be read here, and save() stamps ${autoNow.join(', ')} only where loaded`;
      const stampable = !loaded ? autoNow : autoNow.filter((f) => ('only' in loaded ? loaded.only.includes(f) : !loaded.defer.includes(f)));
      const stamps = explicit ? stampable.filter((f) => explicit.includes(f)) : args.keywords.has('update_fields') ? [] : stampable;
      const known = rowModel ? (input.fields?.(rowModel) ?? null) : null;
      const pre = savedValues(body, row, explicit, stamps, known);
      // A row from elsewhere: written as save() writes it, through the model's base manager (a default
      // manager may leave rows out) on the database the row came from (`.using(alias)`).
      const manager = isRow && walked ? walked.chain.manager : ROW_MANAGER;
      const once = !isRow && reachedOncePerRow(body, row);
      const repeat = isRow || once ? [] : [`${MARK} if several rows reach the same ${row}, the batch keeps one copy of it, not each change in turn`];
      const rereads = isRow || once ? null : readsWhatItWrites(body, row);
      if (rereads) return `several rows may reach the same ${row}, and the loop reads ${row}.${rereads}, which it also changes: each iteration loads ${row} after the saves before it, a batch before any is written`;
      // `profile.current_team.current_project`: a relation to the model itself loads another row of the table the batch writes.
      const selfRead = known?.selfRelated ? selfRelationRead(body, row, known.selfRelated) : null;
      if (selfRead) repeat.push(`${MARK} the loop reads ${selfRead}, another row of the table it writes: until a flush it does not see the changes batched so far`);
      // Several rows may reach the same object, or the loop's query yield its row twice (a filter
      // across a many-to-many): bulk_update's CASE takes the first copy of a pk, the loop's last save
      // wins — so the batch keeps the last copy of each.
      // Rows whose model the code does not name may be of several (`itertools.chain(Page…, Post…)`, a
      // polymorphic queryset): bulk_update() through the first row's model would write the others' values
      // into its own table's rows of the same keys. Such a batch is written model by model.
      const mixedRows = isRow && rowsMayMix();
      const rows = isRow && !(walked && mayRepeatRows(walked.chain.expr, known)) ? '%B%' : mixedRows ? 'list({(type(row), row.pk): row for row in %B%}.values())' : 'list({row.pk: row for row in %B%}.values())';
      const write = (list: string): string => {
        if (!mixedRows) return `${manager}.bulk_update(${rows}, ${list})`;
        const m = fresh('model');
        return `for ${m} in {type(row): None for row in %B%}:%NL%%IN%${m}._base_manager.db_manager(%B%[0]._state.db).bulk_update([row for row in ${rows} if type(row) is ${m}], ${list})`;
      };
      if (!explicit) {
        // The row handed to code that may set any of its fields: no list can be known (kpi `0011` lost its deployment data).
        const handed = assignedFields(body, row).handedTo;
        if (handed) return `it hands ${row} to ${handed}(), which may change fields of it that bulk_update() would not write`;
      }
      const batched = explicit ? null : batchedFields(body, row, known, stamps, args.keywords.has('update_fields'));
      // No field the loop changes can be read: a bulk_update() with an empty list raises, and one to
      // fill in is no fix (review 20: hypha, micromasters, zds — a save() that writes nothing, or one
      // after changes made elsewhere). The loop is then committed in batches as written, where safe.
      // The models a name picked from a fixed list stands for: each one's field classes are asked what they do on save().
      const pickedName = rowModel ?? picked;
      const pickedKnown = !known && pickedName ? (input.pickedFields?.(pickedName) ?? null) : null;
      const filled = [known, ...(pickedKnown ?? [])].map((k) => filledOnSave(k, explicit ?? batched?.fields ?? [])).find((f) => f !== null);
      if (filled) return filled;
      if (batched && batched.fields.length === 0) return `${NO_FIELDS}${row} can be read here${batched.why?.includes('(') ? ` ${batched.why.slice(batched.why.indexOf('('))}` : ''}, and bulk_update() writes only the fields it is given`;
      rewrites.push({
        stmt,
        item: row,
        pre,
        // Saves of one row with different update_fields are batched apart, each written with its own list
        // (review 55: open-city-profile `profiles/0009` saved `representee`, then `representative`, and the
        // one batch wrote only the first).
        sink: sink(explicit ? `update:${row}:${explicit.join(',')}` : `update:${row}`, () => {
          if (explicit) return { flush: write(`[${explicit.map(pythonString).join(', ')}]`), notes: repeat, written: explicit };
          const { fields, why } = batched ?? { fields: [], why: null };
          const list = fieldListText(fields);
          // With the project view at hand but no answer about the model (its migrations cannot all be
          // read), the fields save() stamps cannot be told: say so (etools last_mile/0008 stamps one).
          const notes = input.inView && !known && !pickedKnown ? [...repeat, `${MARK} the fields of ${rowModel ?? picked ?? `the model of ${row}`} are not known here: if its save() stamps any (auto_now, AutoLastModifiedField), stamp and list them too; if a field's class acts on save() (a post_save receiver it connects), keep save() for that model`] : repeat;
          const written = fields.some((f) => f.startsWith(FIELD_NAMED_BY) || f.startsWith(FIELDS_LISTED_IN)) ? null : fields;
          if (!why) return { flush: write(list), notes, written };
          const name = fresh('fields');
          return { flush: write(name), notes, written, fieldsLine: `${name} = ${list}  ${MARK} ${why} (bulk_update writes only these)` };
        }),
      });
    } else if (w.kind === 'delete' && isRow) {
      const args = callArguments(w.call);
      const manager = walked ? walked.chain.manager : ROW_MANAGER;
      // Through the first row's model, a queryset delete of rows of several models would delete its own rows of the others' keys.
      if (rowsMayMix()) return 'its rows may be of several models, which one queryset delete cannot delete';
      if (args.node?.namedChildCount && args.positional.length === 0 && !args.hasSplat && args.keywords.size === 1 && args.keywords.get('keep_parents')?.text === 'True') {
        // delete(keep_parents=True) deletes a child of multi-table inheritance and keeps its parent
        // rows: Django's Collector does that for a list of rows as Model.delete() does for one.
        const collector = fresh('collector');
        const cls = fresh('Collector');
        rewrites.push({
          stmt,
          item: recv.text,
          sink: sink(`delete-keep-parents:${manager}`, () => ({
            flush: `${collector} = ${cls}(using=%B%[0]._state.db)%NL%${collector}.collect(%B%, keep_parents=True)%NL%${collector}.delete()`,
            model: walked?.chain.model,
            notes: [`from django.db.models.deletion import Collector${cls === 'Collector' ? '' : ` as ${cls}`}`],
          }), 'doomed'),
        });
        continue;
      }
      // delete(using=alias): the queryset delete runs on that database (an alias the loop does not rebind).
      const using = args.keywords.size === 1 && args.positional.length === 0 && !args.hasSplat ? args.keywords.get('using') : undefined;
      if (args.node?.namedChildCount && (!using || usesLoopNames(using, loop, body))) return 'delete() takes arguments a queryset delete cannot keep';
      const alias = using ? oneLine(using.text) : '';
      const on = using && !manager.endsWith(`.using(${alias})`) ? `${manager}.using(${alias})` : manager;
      rewrites.push({ stmt, item: recv.text, sink: sink(`delete:${on}`, () => ({ flush: `${on}.filter(pk__in=[row.pk for row in %B%]).delete()`, notes: [] }), 'doomed') });
    } else if (w.kind === 'delete' && recv.type === 'identifier' && !callArguments(w.call).node?.namedChildCount && loneBinding(body, recv.text)) {
      // `project = Project.objects.get(…)`, then `project.delete()`: another model's row, loaded per
      // row; deleted as its own delete() would, through the base manager on the database it came from.
      // Only loaded by reads: a get_or_create's object is looked up once per key (memo-lookup.ts), and
      // after a delete a later row's look-up would have created it again.
      const model = boundModel(body, recv.text, locals, ROW_READERS);
      if (!model) return 'it deletes an object other than the loop\'s row, not read from one model in the loop';
      rewrites.push({ stmt, item: recv.text, sink: sink(`delete-other:${model}`, () => ({ flush: `${ROW_MANAGER}.filter(pk__in=[row.pk for row in %B%]).delete()`, model, notes: [] }), 'doomed') });
    } else if (w.kind === 'create' && method === 'create' && relatedManager(recv, locals)) {
      // `order.lines.create(amount=…)`: the manager's model built with the link the manager would set.
      const rel = oneLine(recv.text);
      const owner = oneLine(recv.childForFieldName('object')?.text ?? '');
      const args = callArguments(w.call);
      if (args.positional.length > 0 || args.hasSplat) return 'create() takes arguments that cannot be read as fields';
      // Owners of several models have managers of several models: one bulk_create through the first would insert the others into its table.
      if (loop.targets.includes(owner) && rowsMayMix()) return 'its rows may be of several models, whose related managers create rows of several models';
      // `org.preset_set` is a foreign key's reverse manager or a many-to-many field's: only the first has `.field`, and the second's rows need their links.
      const ownerModel = loop.targets.includes(owner) ? rowModelOf(loop, locals) : null;
      const reverse = ownerModel ? input.fields?.(ownerModel)?.reverse?.(recv.childForFieldName('attribute')?.text ?? '') : undefined;
      if (reverse === 'many-to-many') return `it creates through ${rel}, a many-to-many relation's manager: the rows need their links too, which bulk_create() would not add`;
      const argsText = w.call.childForFieldName('arguments')?.text ?? '()';
      const link = `**{${rel}.field.name: ${owner}}`;
      const rest = argsText.slice(1);
      // The arguments keep their own lines: after a `(` that ends its line, no space before the line break.
      const item = `${rel}.model(${args.keywords.size > 0 ? `${link},${/^[ \t]*\r?\n/.test(rest) ? '' : ' '}${rest}` : `${link})`}`;
      rewrites.push({
        stmt,
        item,
        sink: sink(`create-related:${rel}`, () => ({
          flush: 'type(%B%[0])._default_manager.bulk_create(%B%)',
          notes: reverse === 'foreign-key' || reverse === 'one-to-one' ? [] : [`${MARK} ${rel} must be a reverse foreign key's manager: a many-to-many or generic relation's has no .field and raises here`],
        }), 'new_rows'),
      });
    } else if (w.kind === 'create') {
      const chain = chainOf(receiver, modelNames(locals));
      if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, body)) return 'it creates through a related manager or a model the loop picks per row';
      const m = chain.model;
      if (method === 'create') {
        const argsText = w.call.childForFieldName('arguments')?.text ?? '()';
        rewrites.push({ stmt, item: `${m}${argsText}`, sink: sink(`create:${chain.manager}`, () => ({ flush: `${chain.manager}.bulk_create(%B%)`, model: m, notes: [] }), 'new_rows') });
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
          // ignore_conflicts skips a row only where a unique constraint makes it conflict: with none among
          // the looked-up fields, it inserts duplicates (review 20: micromasters financialaid/0016).
          // Unknown is refused too (review 21: akvo-rsr 0071's RecipientCountry had none; a marked line was no fix).
          const unique = input.fields?.(m)?.uniqueWithin?.(lookup.map(([k]) => k)) ?? null;
          const by = lookup.map(([k]) => k).join(', ');
          if (unique === false) return `get_or_create() looks ${m} up by ${by}, which no unique constraint covers: bulk_create(ignore_conflicts=True) would insert duplicates`;
          if (unique === null) return `get_or_create() looks ${m} up by ${by}, and no unique constraint over them can be read here: without one, bulk_create(ignore_conflicts=True) would insert duplicates`;
          rewrites.push({
            stmt,
            item,
            sink: sink(`goc:${chain.manager}`, () => ({
              model: m,
              flush: `${chain.manager}.bulk_create(%B%, ignore_conflicts=True)`,
              notes: [],
            }), 'new_rows'),
          });
        } else {
          const keys = defaults ? defaultKeys(defaults) : [];
          if (!keys || keys.length === 0) return "update_or_create()'s defaults cannot be read";
          // bulk_create(update_conflicts=…) is Django 4.1's (shuup, on Django 2.2, would get a TypeError).
          const [major, minor] = input.django ?? [4, 2];
          if (major < 4 || (major === 4 && minor < 1)) return `update_or_create() would become bulk_create(update_conflicts=…), which Django ${major}.${minor} does not have (4.1+)`;
          rewrites.push({
            stmt,
            item,
            sink: sink(`uoc:${chain.manager}`, () => ({
              model: m,
              flush: `${chain.manager}.bulk_create(%B%, update_conflicts=True, unique_fields=[${lookup.map(([k]) => pythonString(k)).join(', ')}], update_fields=[${keys.map(pythonString).join(', ')}])`,
              notes: [`${MARK} needs Django 4.1+ and a unique constraint on ${lookup.map(([k]) => k).join(', ')}`],
            }), 'new_rows'),
          });
        }
      }
    } else if (w.kind === 'link') {
      const rowModel = rowModelOf(loop, locals);
      const bound = rowModel ? locals.lookup(rowModel) : null;
      const ref = bound?.kind === 'value' ? historicalModelRef(bound.node, locals) : bound?.kind === 'import' ? contribModelRef(bound) : null;
      const known = rowModel ? (input.fields?.(rowModel) ?? null) : null;
      const repeats = walked ? mayRepeatRows(walked.chain.expr, known) : undefined;
      const r = linkRewrite({ w, loop, body, rowModel, ref, known, manager: walked?.chain.manager ?? null, django: input.django, fresh, throughs, ...(repeats !== undefined ? { repeats } : {}) });
      // A link left as written still writes at once, as it did: the rest of the loop may be batched around it.
      if (typeof r === 'string') {
        keptLinks.push(r);
        continue;
      }
      rewrites.push({ stmt, item: '', collect: r.collect, sink: sink(r.key, () => ({ flush: r.flush, notes: [r.note] }), 'links') });
    } else if (w.kind === 'update') {
      // `Model.objects.filter(pk=row.pk).update(f=v)`: the key and the values collected, one bulk_update() per batch (row-updates.ts).
      const u = rowUpdateRewrite(w, stmt, loop, body, locals, input.fields, input.django);
      if (typeof u === 'string') return u;
      const key = `update-row:${u.queryset}:${u.fields.join(',')}`;
      // Two updates of one model's rows that share a field, batched apart, would write it in another order than the loop did.
      const clash = [...sinks.values()].find((s) => s.key.startsWith('update-row:') && s.key !== key && s.model === u.model && s.written?.some((f) => u.fields.includes(f)));
      if (clash) return `two updates of ${u.model} set the same field with different fields beside it, which one batch cannot keep in order`;
      rewrites.push({
        stmt,
        item: u.item,
        pre: u.pre,
        sink: sink(key, () => ({ flush: `${u.queryset}.bulk_update(${u.rows}, [${u.fields.map(pythonString).join(', ')}])`, model: u.model, notes: u.notes, written: u.fields }), 'updated_rows'),
      });
    } else return w.kind === 'delete' ? 'it deletes an object other than the loop\'s row' : 'the write is not one the template batches';
  }
  if (rewrites.length + memos.length === 0) return keptLinks[0] ?? 'the loop has no write the template can see';
  // A write the code catches errors of (`try: row.save() except IntegrityError: pass`): batched, its
  // error would come from a flush, caught with other rows' or not at all (review 23: pretalx submission/0017).
  for (const r of rewrites) {
    const guard = catchingTry(r.stmt, loop.node);
    if (guard) return `the write is inside the try at line ${guard.startPosition.row + 1}, which catches its errors: batched, they would come from a flush, caught with other rows' or not at all`;
  }
  const cascade = cascadeRefusal(loop, body, locals, rewrites, [...sinks.values()], input.fields);
  if (cascade) return cascade;
  for (const s of sinks.values()) {
    const mti = s.model && s.flush.includes('bulk_create(') ? input.multiTable?.(s.model) : false;
    if (s.model && mti) return multiTableRefusal(s.model, mti);
  }
  // A query of a table the loop writes does not see the rows batched so far (not the writes themselves).
  const receivers = writes.flatMap((w) => w.call.childForFieldName('function')?.childForFieldName('object') ?? []);
  const reread = new Set<string>();
  const hiddenIn = new Set<string>();
  const edits: TextEdit[] = [...built];
  // Queries keyed by the loop's own row see nothing the other iterations wrote, where each row is met once.
  const distinct = !!walked && !mayRepeatRows(walked.chain.expr, input.fields?.(walked.chain.model ?? '') ?? null);
  for (const s of sinks.values()) {
    const model = sinkModel(s);
    if (!model) continue;
    if (s.key.startsWith('delete')) {
      if (hiddenIn.has(model)) return `the loop deletes rows of ${model} through two managers`;
      hiddenIn.add(model);
      // Deleting rows the loop counts (`if qs.filter(same).count() > 1: row.delete()`): the loop's
      // queries leave out the rows waiting to be deleted, as the database would have by then.
      // A related manager's query (`row.parent.children.count()`) may reach the same table: it is not
      // filtered, which the author must check.
      const related = relatedQueries(body, locals, receivers);
      if (related.length > 0) {
        s.notes.push(`${MARK} the loop also queries through ${related.join(', ')}: if that reaches ${model}, it still sees the rows waiting in ${s.batch}`);
      }
      const reads = modelReads(body, model, receivers);
      if (reads.length === 0) continue;
      const hidden = hideDoomed(reads, s.batch, rewrites.map((r) => r.stmt).concat(memos.map((m) => m.stmt)));
      if (typeof hidden === 'string') return hidden;
      edits.push(...hidden);
      s.notes.push(`${MARK} the loop's queries of ${model} leave out the rows waiting in ${s.batch}, which the loop had deleted by then`);
      continue;
    }
    if (reread.has(model)) continue;
    // An update changes only its fields: a query that names none of them (`filter(path=…)` while the
    // loop writes `hits`) reads what the batch holds back no differently. A create changes every query.
    const written = s.written ?? null;
    const names = (r: Node) => !written || written.some((f) => new RegExp(`(?<!\\w)${f.replace(/\W/g, '\\$&')}(?:__|(?!\\w))`).test(queryText(r)));
    const reads = modelReads(body, model, receivers, { insertsRead: false }).filter((r) => !(distinct && keyedByRow(r, loop.targets)) && names(r));
    const helper = reads.length === 0 ? helperReadingModel(body, model, locals) : null;
    if (helper) return `the loop calls ${helper}(), which queries ${model}, which the loop writes: until a flush those queries would not see the rows batched so far`;
    const handed = reads.length === 0 ? modelHandedTo(body, model) : null;
    if (handed) return `the loop hands ${model}, which it writes, to ${handed}(), which may query it: until a flush such queries would not see the rows batched so far`;
    // Every sink that inserts: create(), a built object's save(), and get_or_create / update_or_create turned into
    // bulk_create (review 49: karrot `activities/0023` read `group.activity_types.get(…)` right after them).
    const counted = reads.length === 0 && /^(?:create|goc:|uoc:)/.test(s.key) ? reverseRead(body, model, locals, receivers, input.fields) : null;
    if (counted) return `the loop queries ${model}, which it inserts, through ${counted}: until a flush those queries would not see the rows batched so far`;
    const through = reads.length === 0 && written ? relationReadOf(body, loop.targets, written) : null;
    if (through) return `the loop reads ${through} through rows it queries, which may be rows of ${model} it writes: until a flush such reads would not see the values batched so far`;
    if (reads.length === 0) continue;
    reread.add(model);
    // Review 20 (micromasters cms/0026): a slug made unique by asking the table, whose rows the batch
    // holds back, came out the same for two rows; the unique AlterField next failed. Such a loop is
    // committed in batches as written instead, where that is safe.
    return `the loop queries ${model}, which it writes: until a flush those queries would not see the rows batched so far`;
  }

  const before: string[] = [];
  for (const s of sinks.values()) {
    before.push(...s.notes);
    if (s.fieldsLine) before.push(s.fieldsLine);
    before.push(`${s.batch} = []`);
  }
  for (const m of memos) {
    if (m.note) before.push(m.note);
    before.push(`${m.dict} = {}`);
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
        `${(r.pre ?? []).map((l) => `${l}${eol}${at}`).join('')}${r.collect ? r.collect.replace(/%B%/g, r.sink.batch) : `${r.sink.batch}.append(${r.item})`}${eol}${at}if len(${r.sink.batch}) >= ${n}:${eol}${at}${step}${flush.replace(/%NL%/g, `${eol}${at}${step}`).replace(/%IN%/g, step)}${eol}${at}${step}${r.sink.batch}.clear()`,
      ),
    );
  }
  for (const m of memos) {
    const at = indentOf(m.stmt, source);
    edits.push(replaceNode(m.stmt, m.lines.map((l) => l.replace(/%STEP%/g, step)).join(`${eol}${at}`)));
  }
  const after = [...sinks.values()].map((s) => `${eol}${indent}if ${s.batch}:${eol}${indent}${step}${s.flush.replace(/%B%/g, s.batch).replace(/%NL%/g, `${eol}${indent}${step}`).replace(/%IN%/g, step)}`).join('');
  edits.push(insertAfter(loop.node, after));
  const kinds = [...new Set([...sinks.values()].map((s) => (s.key.startsWith('link:') ? 'bulk_create of the links' : s.flush.includes('bulk_update') ? 'bulk_update' : s.flush.includes('bulk_create') ? 'bulk_create' : s.flush.includes('keep_parents') ? 'delete keeping parents' : 'queryset delete')))];
  const what = [...[...new Set(memos.map((m) => m.what ?? 'get_or_create'))].map((m) => `${m} once per look-up`), ...(kinds.length > 0 ? [`collect the rows, ${kinds.join(' + ')} every ${n}`] : [])];
  return { title: `Batch this loop: ${what.join('; ')}`, edits, isPreferred: true, safe: false };
}

/**
 * Why rows saved through bulk_update() may be lost, or null: the loop deletes rows, and the
 * project view cannot show that no delete reaches the model it saves (cascades.ts).
 */
function cascadeRefusal(loop: LoopFacts, body: Node, locals: Scope, rewrites: readonly Rewrite[], sinks: readonly Sink[], fields: BatchLoopInput['fields']): Refusal | null {
  const deletes = deleteCalls(body);
  if (deletes.length === 0) return null;
  // The model each delete deletes rows of, as the code names it (null: not known).
  const deleted = deletes.map((d) => {
    const own = rewrites.find((r) => r.sink.key.startsWith('delete') && r.stmt.startIndex <= d.startIndex && d.endIndex <= r.stmt.endIndex);
    const receiver = d.childForFieldName('function')?.childForFieldName('object');
    return own ? sinkModel(own.sink) : receiver ? (chainOf(receiver)?.model ?? null) : null;
  });
  for (const s of sinks) {
    if (!s.flush.includes('bulk_update(')) continue;
    // `type(batch[0])…bulk_update`: the model of the rows appended, when each names the same one.
    const models = new Set(rewrites.filter((r) => r.sink === s).map((r) => (loop.targets.includes(r.item) ? rowModelOf(loop, locals) : boundModel(body, r.item, locals))));
    const model = sinkModel(s) ?? (models.size === 1 ? [...models][0] ?? null : null);
    if (model && cascadeFree(fields?.(model) ?? null, deleted.every((m) => m === model))) continue;
    const text = oneLine((deletes[0] as Node).text);
    return `${MAY_CASCADE} (\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\`), which may cascade to a row it saves: save() writes such a row back, bulk_update() would not`;
  }
  return null;
}

/** The model a sink's flush writes, as the code names it. */
function sinkModel(s: Sink): string | null {
  return s.model ?? /^([A-Z]\w*)\.(?:objects|_default_manager|_base_manager)\b/.exec(s.flush)?.[1] ?? null;
}


/**
 * `[Model.objects.create(...) for x in xs]` -> `Model.objects.bulk_create([Model(...) for x in xs],
 * batch_size=N)`: the same list of objects (with primary keys where the database returns them).
 */
function comprehensionFix(loop: LoopFacts, writes: readonly WriteCall[], n: number, multiTable?: MultiTable): Fix | null {
  const node = loop.node;
  const element = node.childForFieldName('body');
  const w = writes[0];
  if (node.type !== 'list_comprehension' || writes.length !== 1 || !w || w.kind !== 'create' || !element || unparen(element).id !== w.call.id) return null;
  const fn = w.call.childForFieldName('function');
  const receiver = fn?.childForFieldName('object');
  if (fn?.childForFieldName('attribute')?.text !== 'create' || !receiver) return null;
  const chain = chainOf(receiver);
  if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, node) || multiTable?.(chain.model)) return null;
  const argsText = w.call.childForFieldName('arguments')?.text ?? '()';
  return {
    title: `Batch this loop: build the objects, bulk_create every ${n}`,
    edits: [insertAt(rangeOf(node).start, `${chain.manager}.bulk_create(`), replaceNode(w.call, `${chain.model}${argsText}`), insertAfter(node, `, batch_size=${n})`)],
    isPreferred: true,
    safe: false,
  };
}

/**
 * `name` is bound in the loop's body by plain assignments only: no nested `for`, `+=`, `with … as`, `except … as`
 * or `:=` binds it (what boundModel reads would not be the whole story).
 */
function loneBinding(body: Node, name: string): boolean {
  let other = false;
  walk(body, (n) => {
    if (other) return false;
    const target = n.type === 'for_statement' || n.type === 'for_in_clause' || n.type === 'augmented_assignment' ? n.childForFieldName('left') : n.type === 'as_pattern' ? n.childForFieldName('alias') : n.type === 'named_expression' ? n.childForFieldName('name') : null;
    if (target && (target.type === 'identifier' ? target.text === name : target.descendantsOfType('identifier').some((i) => i.text === name))) other = true;
    return !other;
  });
  return !other;
}

/** Where rows whose query the template cannot name are written: as save() and delete() write them. */
const ROW_MANAGER = 'type(%B%[0])._base_manager.db_manager(%B%[0]._state.db)';

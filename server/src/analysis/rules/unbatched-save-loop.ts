/**
 * unbatched-save-loop: a loop in RunPython code that writes one row per iteration (instance
 * save()/delete(), manager create()/get_or_create()/update_or_create(), or a same-file helper that
 * does), unless it iterates a bounded collection or collects the rows for bulk_update/bulk_create.
 */
import { reportImportedCodeFindings } from './imported-code-findings';
import { inArmNotRunOn } from '../vendor-branch';
import type { LoopFacts, UnitFacts, WriteCall } from '../code-facts';
import type { Operation } from '../operations';
import type { Scope } from '../scope';
import { loopWithin } from '../code-facts';
import { rowWritesByLoop } from './save-loop-writes';
import { LINK_KEPT } from '../fixes/link-rows';
import { atomicDecorator, committingChunk, enclosingAtomic } from '../committed-chunks';
import { commitBatchesFix, SPLIT_FIRST } from '../fixes/commit-batches';
import { schemaRunsSql } from './schema-sql';
import { batchLoopFix, HELPER_WRITE, MAY_CASCADE, NO_FIELDS } from '../fixes/batch-loop';
import { dropSaveFix } from '../fixes/drop-save';
import { batchTemplateFix } from '../fixes/batch-template';
import { applyFixEdits } from '../fixes/apply';
import { replaceDifference } from '../fixes/edits';
import { deferCreates } from '../fixes/deferred-create';
import { BY_OWN_ROW } from '../fixes/memo-lookup';
import { inlineHelpers } from '../fixes/inline-helper';
import { boundModel, rowModelOf } from '../fixes/loop-objects';
import { mayMixModels } from '../fixes/loop-chain';
import { stampedOnSave } from '../fields';
import { missingOnDjango } from '../fixes/django-features';
import { lineStarts, positionAt } from '../line-index';
import { rangeOf, spanRange, within, type Node } from '../syntax';
import { underSizeCheck } from '../write-position';
import type { Fix, Position, RelatedLocation } from '../types';
import { runPythonUnits, unitsReaching } from './runpython-units';
import { fieldsCheck, idleLoop, pickedFieldsCheck, isNewInstance, multiTableCheck, runsOn, stampsCheck } from './save-loop-view';
import { baseKind, mixinModel } from './save-loop-bases';
import { asksForNull, neverMatchingFilter } from './unmatched-filter';
import { lineOf, snippet, type Rule, type RuleContext } from './rule';
import { historicalTemplate, liveModel } from './save-loop-historical';
import { bulkCreateKeysMissing, djangoAtLeast } from '../target-database';

const QUERY: Record<string, string> = {
  save: 'UPDATE',
  update: 'UPDATE',
  delete: 'DELETE',
  create: 'INSERT',
  link: 'SELECT and INSERT',
  'link-set': 'SELECT, DELETE and INSERT',
  'reverse-link': 'UPDATE',
  'reverse-link-set': 'SELECT and UPDATE',
};

/**
 * The statements one iteration's write runs, as the message says them: a get_or_create() looks up first and
 * inserts only where nothing matches (review 63: dissemin `deposit/0009`'s per-user look-up is no INSERT per row).
 */
function queryOf(kind: string, method: string | undefined): string {
  if (kind === 'create' && method === 'get_or_create') return 'SELECT, and an INSERT where none matches,';
  if (kind === 'create' && method === 'update_or_create') return 'SELECT, and an UPDATE or an INSERT,';
  return QUERY[kind] ?? 'query';
}

const ADVICE: Record<string, string> = {
  save: 'collect the rows and write them with bulk_update(), or use one queryset update()',
  update: 'set the values on the rows and write them with bulk_update(), or use one queryset update() over all of them',
  delete: 'delete them with a queryset delete() per batch',
  create: 'build the objects and insert them with bulk_create(batch_size=…)',
  link: "build the relation's through rows and insert them with bulk_create(ignore_conflicts=True) per batch",
  'link-set': "compute the links to drop and to add for a batch of rows, and write them through the relation's through model",
  'reverse-link': "set the foreign key on the related rows and write them with one queryset update() per value, or bulk_update()",
  'reverse-link-set': "set the foreign key on the related rows (and clear it on the others) and write them with bulk_update(), or one queryset update() per value",
};

/**
 * `altitude.markers.set(…)` / `.add(…)` through a foreign key's reverse manager (the project view
 * says so): it updates the related rows' key, no join table (review 59: c3nav `0089`). Null otherwise.
 */
function reverseKeyLink(w: WriteCall, loop: LoopFacts, ctx: RuleContext, locals: Scope): 'reverse-link' | 'reverse-link-set' | null {
  const fn = (w.inner ?? w).call.childForFieldName('function');
  const method = fn?.childForFieldName('attribute')?.text;
  const manager = fn?.childForFieldName('object');
  const owner = manager?.type === 'attribute' ? manager.childForFieldName('object') : null;
  const accessor = manager?.type === 'attribute' ? manager.childForFieldName('attribute')?.text : undefined;
  if (!owner || owner.type !== 'identifier' || !accessor || (method !== 'set' && method !== 'add')) return null;
  const body = loop.node.type === 'for_statement' ? loop.node.childForFieldName('body') : null;
  // The object a name of the loop's body is bound to (`altitude = GroundAltitude.objects.create(…)`), else the loop's row.
  const bound = body ? boundModel(body, owner.text, locals) : null;
  const model = bound ?? (loop.targets.includes(owner.text) ? rowModelOf(loop, locals) : null);
  if (model && !ctx.project) ctx.needsView?.('reverse managers');
  const kind = model ? fieldsCheck(ctx, locals)(model)?.reverse?.(accessor) : null;
  return kind === 'foreign-key' ? (method === 'set' ? 'reverse-link-set' : 'reverse-link') : null;
}

/**
 * The loop collects rows into a list that bulk_update / bulk_create writes across its rows: after
 * it, or inside it once the list is big enough. A list written in bulk on every pass is each row's
 * own (pretalx submission/0050 bulk-creates each event's scores): it batches nothing of the loop's.
 */
function collectsForBulk(loop: LoopFacts, facts: UnitFacts): boolean {
  const node = loop.node;
  for (const name of loop.appendsTo) {
    for (const call of facts.bulkArguments.get(name) ?? []) {
      if (!within(call, node) || underSizeCheck(call, node)) return true;
    }
  }
  return false;
}

function headerRange(loop: LoopFacts) {
  if (loop.kind === 'for' && loop.iterable) return spanRange(loop.node, loop.iterable);
  return rangeOf(loop.header);
}

function describe(loop: LoopFacts): string {
  const left = loop.targets.length > 0 ? loop.targets.join(', ') : '…';
  return `for ${left} in ${loop.iterable ? snippet(loop.iterable, 40) : '…'}`;
}


/**
 * "Batch this loop" for a loop whose row is written inside a same-file helper: the helper inlined
 * (inline-helper.ts), the loop then batched as the template batches it there, as one edit of this
 * file. A string says why not; null when no write goes through a helper.
 */
function inlinedTemplate(loop: LoopFacts, writes: readonly WriteCall[], ctx: RuleContext): Fix | string | null {
  const inlined = inlineHelpers(writes, loop.node, ctx.source);
  if (inlined === null || typeof inlined === 'string') return inlined;
  if (!ctx.findingsOn) return null;
  const header = headerRange(loop).start;
  const inner = ctx.findingsOn(inlined.text, [header]).find((f) => f.range.start.line === header.line && f.range.start.character === header.character);
  const fix = inner?.fixes?.[0];
  if (!fix) {
    const why = /No rewrite is offered: (.*)\.$/.exec(inner?.message ?? '')?.[1];
    return `with ${inlined.helpers.join('(), ')}() inlined, ${why ?? 'the loop is still not one the template can batch'}`;
  }
  const text = applyFixEdits(inlined.text, [fix.edits]).text;
  return { ...fix, title: `${fix.title} (inlining ${inlined.helpers.join('(), ')}())`, edits: [replaceDifference(ctx.source, text)], safe: false };
}

/**
 * "Drop row.save()" in a loop that also adds links: the save dropped, then the loop's links batched
 * as the rule batches a loop of links (link-rows.ts), as one edit. The drop alone where they cannot be.
 */
function withLinksBatched(dropped: Fix, loop: LoopFacts, ctx: RuleContext): Fix {
  if (!ctx.findingsOn) return dropped;
  const text = applyFixEdits(ctx.source, [dropped.edits]).text;
  const header = headerRange(loop).start;
  const inner = ctx.findingsOn(text, [header]).find((f) => f.range.start.line === header.line && f.range.start.character === header.character);
  const next = inner?.fixes?.[0];
  if (!next) return dropped;
  const both = applyFixEdits(text, [next.edits]).text;
  return { ...dropped, title: `${dropped.title}; then ${next.title.replace(/^Batch this loop: /, '')}`, edits: [replaceDifference(ctx.source, both)] };
}

/**
 * In the new function of a split loop, the rest's loop walks tuples of rows: its template cannot
 * tell the row's model, so it would not write the fields save() fills in. Before splitting: when
 * the loop saves its own row and the row's model (per the project view) has such fields, what to
 * say of them (`config, whose model's save() also fills in modified (AutoLastModifiedField)`); null
 * otherwise: an auto_now field, or a field class of a package, whose pre_save may compute the value
 * (model_utils' AutoLastModifiedField takes no auto_now).
 */
function savedRowComputes(loop: LoopFacts, writes: readonly WriteCall[], ctx: RuleContext, locals: Scope): string | null {
  const saves = writes.filter((w) => baseKind(w) === 'save' && w.receiverRoot && loop.targets.includes(w.receiverRoot) && w.call.childForFieldName('function')?.childForFieldName('object')?.type === 'identifier');
  const row = saves[0];
  const model = row ? rowModelOf(loop, locals) : null;
  const known = model ? fieldsCheck(ctx, locals)(model) : null;
  if (row && model && !ctx.project) ctx.needsView?.(`fields of ${model}`);
  if (!row || !model || !known) return null;
  // auto_now fields the split stamps before a plain save(); not before one with arguments.
  const plain = saves.every((w) => (w.call.childForFieldName('arguments')?.namedChildCount ?? 0) === 0);
  const filled = [...known.fields].flatMap(([name, spec]) => (spec && ((!plain && stampedOnSave(spec)) || (!spec.builtin && !spec.relation && !stampedOnSave(spec))) ? [`${name} (${spec.cls})`] : []));
  return filled.length > 0 ? `${row.receiverRoot}, whose model's save() also fills in ${filled.join(', ')}` : null;
}


/** The template's refusal when the loop uses what its create() returns. */
const USES_RESULT = 'the loop uses what the write returns';

/**
 * "Batch this loop" for a loop that uses what its create() returns (deferred-create.ts): the
 * creates batched where they stand, the rest of the loop run per batch in a local function, whose
 * loop this rule then batches as it batches any other. A string says why not.
 */
function deferredTemplate(loop: LoopFacts, writes: readonly WriteCall[], ctx: RuleContext, locals: Scope, suffix: string, opIndex: number): Fix | string | null {
  const model = rowModelOf(loop, locals);
  const stamps = model ? stampsCheck(ctx, locals, opIndex)(model) : [];
  // The rest's own loops walk, in the new function, rows handed to it: rows of several models there
  // (a dict's lists gathered from two queries) could no longer be told apart (c3nav `0100`: review 59).
  const mixing = loop.node.descendantsOfType('for_statement').find((f) => f.id !== loop.node.id && mayMixModels(f.childForFieldName('right'), locals));
  if (mixing) return `the loop at line ${mixing.startPosition.row + 1} walks rows that may be of several models, which the rest of a split loop could not write model by model`;
  const split = deferCreates(loop, writes, ctx.source, locals, ctx.batchSize, multiTableCheck(ctx, locals), suffix, stamps);
  if (split === null || typeof split === 'string') return split;
  const computed = savedRowComputes(loop, writes, ctx, locals);
  if (computed) return `split where the create stands, the rest of the loop saves ${computed}, which its batch in the new function could not see`;
  if (!ctx.findingsOn) return null;
  const starts = lineStarts(split.text);
  const at = (offset: number) => {
    const p = positionAt(starts, offset);
    return (f: { range: { start: { line: number; character: number } } }) => f.range.start.line === p.line && f.range.start.character === p.character;
  };
  const found = ctx.findingsOn(split.text, [positionAt(starts, split.outerHeader), positionAt(starts, split.innerHeader)]);
  const why = (f: { message: string }) => /No rewrite is offered: (.*)\.$/.exec(f.message)?.[1] ?? 'no template fits it';
  // Writes before the creates stay in the loop (its own template batches them); the rest's, in the new function's loop.
  const outer = found.find(at(split.outerHeader));
  const inner = found.find(at(split.innerHeader));
  const outerFix = outer?.fixes?.[0];
  const innerFix = inner?.fixes?.[0];
  // Links left as written (link-rows.ts) still write at once, as they did: the split stands without their batching.
  if (outer && !outerFix && !why(outer).startsWith(LINK_KEPT)) return `split where the create stands, the writes before it cannot be batched: ${why(outer)}`;
  if (inner && !innerFix && !why(inner).startsWith(LINK_KEPT)) return `split where the create stands, the rest of the loop cannot be batched: ${why(inner)}`;
  const groups = [outerFix?.edits, innerFix?.edits].flatMap((e) => (e ? [e] : []));
  const applied = applyFixEdits(split.text, groups);
  if (applied.applied !== groups.length) return 'split where the create stands, the batching of its writes overlaps';
  const text = applied.text;
  const more = [outerFix, innerFix].flatMap((f) => (f ? [`; then ${f.title.replace(/^Batch this loop: /, '')}`] : [])).join('');
  return {
    title: `Batch this loop: create the rows ${ctx.batchSize} at a time, then run the rest of the loop for each${more}`,
    edits: [replaceDifference(ctx.source, text)],
    isPreferred: true,
    safe: false,
  };
}

/** Where the loop's writes wait to commit, as the message says it (`, all inside the migration's transaction. `). */
function inWhichTransaction(ctx: RuleContext, op: Operation, runPythonFn: Node, fn: Node, loop: Node): string {
  if (ctx.model.atomic.value !== false) return ", all inside the migration's transaction. ";
  if (op.runPython?.atomicArg === true) return `, all inside the one transaction ${op.name}(atomic=True) runs it in. `;
  const decorated = atomicDecorator(fn) ?? atomicDecorator(runPythonFn);
  if (decorated) return `, all inside the one transaction its function's ${decorated} runs it in. `;
  if (enclosingAtomic(loop)) return ', all inside the transaction.atomic() block around the loop. ';
  return ', each a round trip of its own. ';
}


export const unbatchedSaveLoop: Rule = {
  meta: {
    id: 'unbatched-save-loop',
    summary: 'A loop in RunPython code writes one row per iteration (save, delete, create) instead of batching.',
    defaultSeverity: 'warning',
  },
  checkProject: (ctx) => reportImportedCodeFindings('unbatched-save-loop', ctx),
  check(ctx) {
    const seen = new Set<number>();
    // A fix's look at its own text: once every wanted loop is reported, the rest of the file can add
    // nothing it keeps (a file of twelve RunPython functions looked at once per loop read all twelve each time).
    const key = (p: Position): string => `${p.line}:${p.character}`;
    const wanted = ctx.wantedAt ? new Set(ctx.wantedAt.map(key)) : null;
    let wantedFound = 0;
    const allFound = (): boolean => wanted !== null && wantedFound >= wanted.size;
    const units = runPythonUnits(ctx.model);
    for (const { op, unit, direction } of ctx.wantedAt ? unitsReaching(units, ctx.wantedAt, ctx.source) : units) {
      if (allFound()) return;
      // Nothing wraps the code in one transaction: an atomic block per chunk commits each chunk.
      const commits = ctx.model.atomic.value === false && op.runPython?.atomicArg !== true && !atomicDecorator(unit.node);
      for (const facts of ctx.index.reachable(unit)) {
        if (allFound()) return;
        const charged = rowWritesByLoop(facts, ctx);
        for (const [loop, writes] of charged) {
          if (seen.has(loop.node.id)) continue;
          seen.add(loop.node.id);
          // Rows written one by one but committed a chunk at a time (seed: process in chunks, each in its own transaction).
          if (commits && !atomicDecorator(facts.unit.node) && committingChunk(loop)) continue;
          // A fix's look at its own text wants only some loops: the others cost their templates for nothing.
          if (wanted && !wanted.has(key(headerRange(loop).start))) continue;
          // A loop over a table still empty, or inside one (kitsune's squashed products/0001: review 47), runs no iteration.
          if (direction === 'forward' && idleLoop(loop, facts.locals, ctx.model.operations.indexOf(op), ctx)) continue;
          // A loop over rows its filter cannot match (a NOT NULL field asked to be NULL) runs no iteration either.
          if (direction === 'forward' && asksForNull(loop)) {
            if (!ctx.project) ctx.needsView?.('filters on NULL');
            else if (neverMatchingFilter(loop, facts.locals, fieldsCheck(ctx, facts.locals), ctx.model.operations.slice(0, Math.max(0, ctx.model.operations.indexOf(op))))) continue;
          }
          // A loop in an arm for other database backends does not run on the target's.
          if (inArmNotRunOn(loop.node, facts.locals, ctx.target.vendor)) continue;
          // Name the write on the loop's own row when there is one: it is what the fix rewrites.
          const first = writes.find((w) => w.receiverRoot && loop.targets.includes(w.receiverRoot)) ?? writes[0];
          if (!first) continue;
          // Collecting rows for a bulk write excuses other writes, never a save of the loop's own row.
          const ownRow = writes.some((w) => w.receiverRoot && loop.targets.includes(w.receiverRoot));
          if (!ownRow && collectsForBulk(loop, facts)) continue;
          const base = baseKind(first);
          const method = (first.inner ?? first).call.childForFieldName('function')?.childForFieldName('attribute')?.text;
          const kind = base === 'save' && isNewInstance(first, loop, facts.locals) ? 'create' : base === 'link' ? (reverseKeyLink(first, loop, ctx, facts.locals) ?? (method === 'set' ? 'link-set' : base)) : base;
          const related: RelatedLocation[] = writes.slice(0, 3).map((w) => ({
            range: rangeOf(w.call),
            message: w.kind === 'helper' ? `calls ${snippet(w.call.childForFieldName('function') as Node)}(), which writes a row` : `writes one row per iteration`,
          }));
          if (first.kind === 'helper' && first.inner) {
            related.push({ range: rangeOf(first.inner.call), message: `the write inside the helper (line ${lineOf(first.inner.call)})` });
          }
          const via = first.kind === 'helper' ? ` through ${snippet(first.call, 40)} (which calls ${snippet(first.inner?.call ?? first.call, 40)})` : ` (${snippet(first.call, 50)})`;
          // Inside a loop that is batched too, the template's names end with the loop's own (`batch_line`).
          const multiTable = multiTableCheck(ctx, facts.locals);
          // The code sees the model as its RunPython does: fields the migration adds later are none of the rows'.
          const at = ctx.model.operations.indexOf(op);
          const stamped = stampsCheck(ctx, facts.locals, at >= 0 ? at : undefined, loop.node);
          const fields = fieldsCheck(ctx, facts.locals);
          const pickedFields = pickedFieldsCheck(ctx, loop.node);
          const suffix = [...charged.keys()].some((outer) => outer !== loop && loopWithin(loop, outer)) ? (loop.targets[0] ?? 'inner') : undefined;
          // The proven rewrite first; else the template that keeps the loop and batches its writes.
          // A loop of queryset updates of each row has no proven rewrite: the template collects them (row-updates.ts).
          const template = (!writes.some((w) => w.kind === 'update') && first.kind !== 'helper' && !facts.helperCalls.some((h) => h.loop && loopWithin(h.loop, loop))
              ? batchTemplateFix({ loop, write: first, loopWrites: loop.allWrites, source: ctx.source, batchSize: ctx.batchSize, suffix, multiTable, stamped, fields, inView: !!ctx.project?.view })
              : null) ?? batchLoopFix({ loop, writes, source: ctx.source, batchSize: ctx.batchSize, locals: facts.locals, suffix, multiTable, stamped, fields, pickedFields, inView: !!ctx.project?.view, django: runsOn(ctx).djangoVersion });
          // `org.preset_set.create(…)`: a foreign key's reverse manager or a many-to-many field's, which only the view tells (batch-loop.ts).
          if (!ctx.project && writes.some((w) => w.kind === 'create' && /_set$/.test(w.call.childForFieldName('function')?.childForFieldName('object')?.childForFieldName('attribute')?.text ?? ''))) ctx.needsView?.('reverse managers');
          // A link is batched only where the view names its join table's keys (link-rows.ts).
          if (!ctx.project && writes.some((w) => w.kind === 'link')) ctx.needsView?.('many-to-many links');
          // get_or_create() becomes an insert that skips conflicts only where the view shows a unique constraint.
          if (!ctx.project && writes.some((w) => w.kind === 'create' && w.call.childForFieldName('function')?.childForFieldName('attribute')?.text === 'get_or_create')) ctx.needsView?.('unique constraints');
          // Whether a delete in the loop can reach the rows it saves: only the view's fields tell.
          if (typeof template === 'string' && template.startsWith(MAY_CASCADE) && !ctx.project) ctx.needsView?.('cascades');
          // A write inside a same-file helper: the helper's body inlined into the loop, then batched.
          // Only a refusal about the helper is inlining's to lift (a `return` of the loop's own stays one).
          let fix = typeof template === 'string' && template.startsWith(HELPER_WRITE) ? (inlinedTemplate(loop, writes, ctx) ?? template) : template;
          // A save() of a row the loop changes no field of: with the view, it may write back only what it read.
          if (typeof fix === 'string' && fix.startsWith(NO_FIELDS)) {
            if (!ctx.project) ctx.needsView?.('unchanged-row');
            const model = rowModelOf(loop, facts.locals);
            const dropped = model ? dropSaveFix({ loop, writes, source: ctx.source, fields: fields(model), stamps: stamped(model) }) : null;
            fix = (dropped && writes.some((w) => w.kind === 'link') ? withLinksBatched(dropped, loop, ctx) : dropped) || fix;
          }
          if (fix === USES_RESULT || (typeof fix === 'string' && fix.startsWith(BY_OWN_ROW))) {
            // Several loops of one function split: each fix, made on its own, names its function apart (`flush_rows_2`).
            const order = [...charged.keys()].filter((l) => l.kind === 'for').sort((a, b) => a.node.startIndex - b.node.startIndex).indexOf(loop);
            // The split saves the creates with bulk_create(), and the rest of the loop needs their primary keys.
            const noKeys = bulkCreateKeysMissing(runsOn(ctx));
            fix = noKeys ? `${fix}, and ${noKeys}` : (deferredTemplate(loop, writes, ctx, facts.locals, order > 0 ? `_${order + 1}` : '', at) ?? fix);
          }
          // Whatever the shape, batching today's model changes what the loop does: take the historical one first.
          const live = liveModel(loop, facts.locals, writes);
          fix = live ? historicalTemplate(loop, headerRange(loop).start, facts.unit.node, facts.locals, ctx, live) : (mixinModel(loop, writes, facts.locals, ctx) ?? fix);
          // Code the project's Django cannot run (bulk_update() before 2.2): refused, with the version said.
          if (typeof fix !== 'string') fix = missingOnDjango(fix.edits, ctx.target.djangoVersion, (fix.creates ?? []).map((c) => c.text)) ?? fix;
          let why = typeof fix === 'string' ? ` No rewrite is offered: ${fix}.` : '';
          let splitFirst = false;
          // No bulk rewrite fits: the loop as written, committed a chunk at a time (not inside a fix's look at its own text).
          if (typeof fix === 'string' && !wanted && ctx.commitInBatches !== false) {
            // atomic = False before Django 1.10 is ignored: the batches would all commit at the end (review 31:
            // cla_backend), whatever else stands in the way, so that is the reason given (review 33).
            const tooOld = djangoAtLeast(ctx.target, 1, 10) ? null : `atomic = False, which it needs, came in Django 1.10 (the project runs ${ctx.target.djangoVersion.join('.')}): before, every migration runs in one transaction`;
            const built = tooOld ?? commitBatchesFix({ loop, source: ctx.source, batchSize: ctx.batchSize, model: ctx.model, op, runPython: unit, fn: facts.unit.node, facts, index: ctx.index, schemaRunsSql: () => schemaRunsSql(ctx.model, ctx) });
            const commit = typeof built === 'string' ? built : (missingOnDjango(built.edits, ctx.target.djangoVersion) ?? built);
            if (typeof commit === 'string') {
              why = ` No rewrite is offered: ${fix}; nor is committing it in batches: ${commit}.`;
              splitFirst = commit === SPLIT_FIRST;
            }
            else {
              why = ` No bulk rewrite is offered: ${fix}; the quick fix commits it in batches of ${ctx.batchSize} instead.`;
              fix = commit;
            }
          }
          ctx.report({
            fixes: typeof fix === 'string' ? [] : [fix],
            range: headerRange(loop),
            message:
              `\`${describe(loop)}\` writes one row per iteration${via}: one ${queryOf(kind, method)} per row` +
              inWhichTransaction(ctx, op, unit.node, facts.unit.node, loop.node) +
              `To batch it, ${ADVICE[kind] ?? 'write the rows in bulk'}.${why}`,
            related,
            ...(splitFirst ? { splitFirst } : {}),
          });
          if (wanted) wantedFound++;
        }
      }
    }
  },
};

/**
 * unbatched-save-loop and a loop over a model imported from the project (`from shop.models import
 * Order`): today's class, whose save() and signals bulk writes skip. The loop is batched only on the
 * historical model — runpython-model-import's fix first, then the template — and only when today's
 * class, read from the project's source, has no save(), delete() or queried manager of its own.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import { applyFixEdits, shiftedOffset } from '../fixes/apply';
import { replaceDifference } from '../fixes/edits';
import { isModelCall, MANAGERS } from '../historical-models';
import { rowModelOf } from '../fixes/loop-objects';
import { lineStarts, offsetAt, positionAt } from '../line-index';
import type { Scope } from '../scope';
import { rangeOf, type Node } from '../syntax';
import type { Fix, Position } from '../types';
import type { ReportedFinding, RuleContext } from './rule';

/**
 * A model the loop reaches through a manager (`Sleep.objects`) that is imported, not taken from
 * apps.get_model: today's class, with its own save() and signals, which bulk writes skip (babybuddy
 * `core/0028` imports its model so that the overridden save() runs). The reason no fix is offered, or null.
 */
export function liveModel(loop: LoopFacts, locals: Scope, writes: readonly WriteCall[]): string | null {
  const written = writtenModels(loop, locals, writes);
  for (const name of managedNames(loop)) {
    const b = locals.lookup(name);
    // A model the loop only reads (review 73: frepple `common/0022` reads LogEntry, writes Comment): no save() of
    // its own is skipped by batching the writes.
    if (b?.kind === 'import' && (written === null || written.has(name))) {
      return `the loop uses ${name}, imported from ${b.importedFrom ?? 'a module'}: today's model, whose own save() and signals bulk writes would skip (take it from apps.get_model first: runpython-model-import)`;
    }
  }
  return null;
}

/**
 * The model names the loop's writes go to: `Model(…).save()`, `Model.objects.create(…)`, the loop's row
 * (the model its query walks); null when a write's model cannot be told (a helper, another object).
 */
function writtenModels(loop: LoopFacts, locals: Scope, writes: readonly WriteCall[]): Set<string> | null {
  const out = new Set<string>();
  for (const w of writes) {
    if (w.kind === 'helper') return null;
    const receiver = w.call.childForFieldName('function')?.childForFieldName('object');
    if (receiver?.type === 'call' && isModelCall(receiver, locals)) {
      out.add(receiver.childForFieldName('function')?.text.split('.').pop() ?? '');
      continue;
    }
    const root = w.receiverRoot ?? null;
    if (!root) return null;
    if (loop.targets.includes(root)) {
      const row = rowModelOf(loop, locals);
      if (!row) return null;
      out.add(row);
    } else if (managedNames(loop, w.call).has(root)) out.add(root);
    else return null;
  }
  return out;
}

/** The names code reaches a manager through (`Sleep` of `Sleep.objects`), in order. */
export function managedNames(loop: LoopFacts, within: Node = loop.node): Set<string> {
  const names = new Set<string>();
  for (const a of within.descendantsOfType('attribute')) {
    const obj = a.childForFieldName('object');
    if (obj?.type === 'identifier' && MANAGERS.has(a.childForFieldName('attribute')?.text ?? '')) names.add(obj.text);
  }
  return names;
}

/**
 * Django's own models that define no save() or delete() and whose managers are used in migrations
 * (`use_in_migrations = True`), so the historical model has them too (read in Django 3.2 to 5.x).
 * Not User: AbstractBaseUser.save() does more than write the row.
 */
const PLAIN_DJANGO_MODELS = new Set(['django.contrib.contenttypes.models.ContentType', 'django.contrib.auth.models.Permission', 'django.contrib.auth.models.Group']);

/**
 * Why today's class of an imported model may not give way to the historical one, read from the
 * project's source: a save() or delete() of its own (or of a class it inherits from; babybuddy
 * `core/0028` imports its model so that its save() runs), or a manager of its own that the loop
 * queries through (`objects = ActiveManager()`: the historical model's manager sees other rows).
 * '' when it cannot be read (no project view, a relative import, code out of sight); null when it
 * was read and neither is there. Signals connected to today's class are not seen (docs).
 */
function todayInTheWay(name: string, loop: LoopFacts, locals: Scope, ctx: RuleContext): string | null {
  const b = locals.lookup(name);
  if (b?.kind === 'import' && PLAIN_DJANGO_MODELS.has(`${b.importedFrom}.${b.importedName}`)) return null;
  if (b?.kind !== 'import' || !b.importedFrom || !b.importedName || b.importedFrom.startsWith('.')) return '';
  const view = ctx.project?.view;
  if (!view || !ctx.project) {
    ctx.needsView?.(`${b.importedFrom}.${b.importedName}`);
    return '';
  }
  const read = view.classWrites(`${b.importedFrom}.${b.importedName}`, ctx.project.file);
  const today = `imported from ${b.importedFrom}: today's model`;
  if (read.kind === 'unknown') return `${today}, whose class cannot be read (${read.why.replace(/^it /, `${b.importedName} `)}): a save() or signals of its own would run for each row, and bulk writes would skip them`;
  const hit = read.save ?? read.delete;
  if (hit) return `${today}, which defines ${hit}: it runs for each row, and bulk writes would skip it`;
  for (const a of loop.node.descendantsOfType('attribute')) {
    const attribute = a.childForFieldName('attribute')?.text ?? '';
    if (a.childForFieldName('object')?.text === name && MANAGERS.has(attribute) && read.members.has(attribute)) {
      return `${today}, whose own \`${attribute}\` the loop queries: the historical model's manager may see other rows`;
    }
  }
  return null;
}

/**
 * "Batch this loop" for a loop that reaches a model imported from the project (liveModel): the
 * historical model taken first, as runpython-model-import's fix takes it for each such name in the
 * loop's function (`Sleep = apps.get_model("core", "Sleep")`, the import dropped when nothing else
 * uses it), then this rule's template on that text, as one edit. Only when today's class is read
 * from the project's source and has no save(), delete() or queried manager of its own
 * (todayInTheWay): then the historical model's writes are the ones the loop made. `refusal` when a
 * step offers nothing.
 */
export function historicalTemplate(loop: LoopFacts, headerStart: Position, unit: Node, locals: Scope, ctx: RuleContext, refusal: string): Fix | string {
  if (!ctx.findingsOn) return refusal;
  const names = [...managedNames(loop)].filter((n) => locals.lookup(n)?.kind === 'import');
  for (const name of names) {
    const why = todayInTheWay(name, loop, locals, ctx);
    if (why !== null) return why === '' ? refusal : `the loop uses ${name}, ${why}`;
  }
  const offsetIn = (text: string) => {
    const starts = lineStarts(text);
    return (p: Position) => offsetAt(starts, text.length, p);
  };
  const original = offsetIn(ctx.source);
  let header = original(headerStart);
  let unitStart = original(rangeOf(unit).start);
  let unitEnd = original(rangeOf(unit).end);
  let text = ctx.source;
  const taken: string[] = [];
  for (const name of names) {
    const off = offsetIn(text);
    const fixOf = (f: ReportedFinding) => f.fixes?.find((x) => x.title.startsWith(`Use ${name} = `));
    const use = ctx.findingsOn(text, undefined, 'runpython-model-import').find((f) => off(f.range.start) >= unitStart && off(f.range.end) <= unitEnd && fixOf(f));
    const swap = use ? fixOf(use) : undefined;
    if (!swap) return refusal;
    const next = applyFixEdits(text, [swap.edits]);
    if (next.applied !== 1) return refusal;
    [header, unitStart, unitEnd] = [header, unitStart, unitEnd].map((o) => shiftedOffset(text, swap.edits, o)) as [number, number, number];
    text = next.text;
    taken.push(swap.title.replace(/^Use /, ''));
  }
  const at = positionAt(lineStarts(text), header);
  const found = ctx.findingsOn(text, [at]).find((f) => f.range.start.line === at.line && f.range.start.character === at.character);
  const batch = found?.fixes?.[0];
  if (!batch) {
    const why = /No rewrite is offered: (.*)\.$/.exec(found?.message ?? '')?.[1];
    return why ? `even with ${names.join(', ')} taken from apps.get_model, ${why}` : refusal;
  }
  const done = applyFixEdits(text, [batch.edits]);
  if (done.applied !== 1) return refusal;
  return {
    title: `Use ${taken.join('; ')}, then ${batch.title.charAt(0).toLowerCase()}${batch.title.slice(1)}`,
    edits: [replaceDifference(ctx.source, done.text)],
    isPreferred: true,
    safe: false,
  };
}

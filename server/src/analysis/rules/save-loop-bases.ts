/**
 * Which models a save loop's writes write, and whether one of them has a base class of its own (a mixin
 * defining save() or delete()) or a field whose class takes part in those writes: the historical model runs
 * that code for each row, bulk writes would skip it, so no bulk rewrite is offered. Kept apart from the
 * rule's walk over loops (unbatched-save-loop.ts).
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import { djangoMadeJoinTable } from '../fields';
import { rowModelOf } from '../fixes/loop-objects';
import { modelCandidates } from '../fixes/model-candidates';
import type { ModelFields } from '../project/view';
import type { Scope } from '../scope';
import type { Node } from '../syntax';
import type { RuleContext } from './rule';
import { managedNames } from './save-loop-historical';
import { fieldsCheck, modelInView } from './save-loop-view';

/** A write through a same-file helper is the write inside it. */
export function baseKind(w: WriteCall): string {
  return w.kind === 'helper' && w.inner ? baseKind(w.inner) : w.kind;
}

/** Every model name the loop uses: through a manager, or called as a class (`Tag(...)`). */
function usedModels(loop: LoopFacts): Set<string> {
  const names = managedNames(loop);
  for (const c of loop.node.descendantsOfType('call')) {
    const fn = c.childForFieldName('function');
    if (fn?.type === 'identifier' && /^[A-Z]/.test(fn.text)) names.add(fn.text);
  }
  return names;
}

/** The many-to-many field of `Root.<field>.through` at the start of a write's receiver chain, or null. */
function throughField(receiver: Node | null, root: string): string | null {
  for (let n = receiver; n && (n.type === 'attribute' || n.type === 'call'); n = n.type === 'call' ? n.childForFieldName('function') : n.childForFieldName('object')) {
    if (n.type !== 'attribute' || n.childForFieldName('attribute')?.text !== 'through') continue;
    const field = n.childForFieldName('object');
    if (field?.type === 'attribute' && field.childForFieldName('object')?.text === root) return field.childForFieldName('attribute')?.text ?? null;
  }
  return null;
}

/**
 * The models whose rows the loop's writes write, when each can be told: the loop's own row is one
 * of the models its iterable queries; `Tag.objects.create(…)` writes Tag; `tag.save()` of a `tag =
 * Tag(…)` (or `Tag.objects.get(…)`) in the loop writes Tag. Null when one cannot (a write through a
 * helper, a row from elsewhere): then every model the loop uses counts.
 */
function writtenModels(loop: LoopFacts, writes: readonly WriteCall[], fields: (model: string) => ModelFields | null): Set<string> | null {
  const out = new Set<string>();
  const body = loop.node.childForFieldName('body');
  for (const w of writes) {
    const root = w.receiverRoot;
    if (w.kind === 'helper' || !root) return null;
    const receiver = w.call.childForFieldName('function')?.childForFieldName('object');
    // `CoursePage.topics.through.objects.create(…)`: rows of the join table Django made for the field,
    // a model with no base class of its own (review 28: mitxpro `cms/0056`); another through model is not told here.
    const through = throughField(receiver ?? null, root);
    if (through) {
      const relation = fields(root)?.fields.get(through)?.relation;
      if (relation?.kind !== 'many-to-many') return null;
      if (djangoMadeJoinTable(relation) === true) continue;
      // A through model of the project's (`through="shop.GuideTopic"`): its own bases count.
      const named = relation.through ? /^(\w+)\.(\w+)$/.exec(relation.through) : null;
      if (!named) return null;
      out.add(`get_model("${named[1]}", "${named[2]}")`);
      continue;
    }
    if (loop.targets.includes(root)) {
      // A row reached through the loop's own (`event.template.save()`): its model is not told here.
      if (receiver?.type !== 'identifier') return null;
      const queried = loop.iterable ? managedNames(loop, loop.iterable) : new Set<string>();
      if (queried.size === 0) return null;
      queried.forEach((n) => out.add(n));
    } else if (/^[A-Z]/.test(root)) {
      out.add(root);
    } else {
      // The name bound in the body to a row of one model: `tag = Tag(…)`, `tag = Tag.objects.get(…)`.
      const models = new Set<string>();
      let other = false;
      for (const a of body?.descendantsOfType('assignment') ?? []) {
        if (a.childForFieldName('left')?.text !== root) continue;
        const right = a.childForFieldName('right');
        const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
        if (fn?.type === 'identifier' && /^[A-Z]/.test(fn.text)) models.add(fn.text);
        else if (right) {
          const managed = managedNames(loop, right);
          if (managed.size === 1) managed.forEach((n) => models.add(n));
          else other = true;
        }
      }
      if (other || models.size === 0) return null;
      models.forEach((n) => out.add(n));
    }
  }
  return out;
}

/** The refusal for a model whose migrations give it a base class (or a field a class) that takes part in its writes, or cannot be read. */
function inTheWay(model: string, hit: { base: string; field?: string; reason: string }): string {
  if (hit.field !== undefined) return `${model}'s field ${hit.field} is a ${hit.base.split('.').pop()} (${hit.base}), which ${hit.reason}: the historical model does that on each save() and delete(), bulk writes would not`;
  return hit.reason.startsWith('it defines ')
    ? `${model}'s migrations give it the base class ${hit.base}, and ${hit.reason}, which the historical model runs and bulk writes would skip`
    : `${model}'s migrations give it the base class ${hit.base}, which cannot be read (${hit.reason}): a save() or delete() of its own would run for each row, and bulk writes would skip it`;
}

/**
 * A historical model the loop uses whose migrations give it a base class of its own that takes
 * part in the loop's writes (a mixin defining save() for a loop that saves, delete() for one that
 * deletes), or one that cannot be read: the historical model runs it, bulk writes would not. The
 * reason no fix is offered, or null. Known only with the project view and a literal get_model.
 */
export function mixinModel(loop: LoopFacts, writes: readonly WriteCall[], locals: Scope, ctx: RuleContext): string | null {
  if (!ctx.project?.view && !ctx.askedOfView) return null;
  const names = writtenModels(loop, writes, fieldsCheck(ctx, locals)) ?? usedModels(loop);
  const kinds = { save: writes.some((w) => baseKind(w) !== 'delete'), delete: writes.some((w) => baseKind(w) === 'delete') };
  // An object reached from the row by a relation (`instance.active_appserver.save()`, review 32: opencraft
  // `instance/0071`): its model is the relation's target, per the row model's fields.
  const rowModel = rowModelOf(loop, locals);
  const rowIn = rowModel ? modelInView(ctx, locals, rowModel) : null;
  for (const w of writes) {
    const recv = w.call.childForFieldName('function')?.childForFieldName('object');
    const owner = recv?.type === 'attribute' ? recv.childForFieldName('object') : null;
    if (!owner || owner.type !== 'identifier' || !loop.targets.includes(owner.text)) continue;
    if (!ctx.project?.view) ctx.needsView?.("a related object's model");
    if (!rowIn) continue;
    const to = rowIn.view.modelFields(rowIn.file, rowIn.app, rowIn.model)?.fields.get(recv?.childForFieldName('attribute')?.text ?? '')?.relation?.to;
    const ref = to?.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(to.value) : null;
    if (!ref || ref[2] === 'self') continue;
    const hit = rowIn.view.baseInTheWay(rowIn.file, ref[1] ?? rowIn.app, ref[2] as string, kinds);
    if (hit) return inTheWay(ref[2] as string, hit);
  }
  for (const named of names) {
    const m = modelInView(ctx, locals, named);
    let hit = m ? m.view.baseInTheWay(m.file, m.app, m.model, kinds) : null;
    // A model picked per name from a fixed list (`for name in {"A", "B"}: model = apps.get_model("app", name)`):
    // any of them in the way is (review 32: opencraft `instance/0066`, `0141`).
    const view = ctx.project?.view;
    // Without the view: ask about each, so a caller with one lints again.
    if (!m && !view) for (const c of modelCandidates(loop.node, named)) ctx.askedOfView?.(c.app, c.model);
    if (!m && view && ctx.project) {
      for (const c of modelCandidates(loop.node, named)) {
        hit = view.baseInTheWay(ctx.project.file, c.app, c.model, kinds);
        if (hit) return inTheWay(c.model, hit);
      }
    }
    if (!hit) continue;
    const name = m?.model ?? named;
    return inTheWay(name, hit);
  }
  return null;
}

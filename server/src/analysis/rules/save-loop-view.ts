/**
 * What unbatched-save-loop asks of the project view and the settings about the models a loop writes:
 * the app and model a name stands for, whether a loop walks a table still empty, a child of
 * multi-table inheritance, the fields save() stamps, the fields themselves, and the Django version the
 * migration runs on. Kept apart from the rule's walk over loops.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { ModelFields, ProjectView } from '../project/view';
import type { Scope } from '../scope';
import { chainRoot, functionAround, type Node } from '../syntax';
import type { MultiTable } from '../fixes/multi-table';
import { assignedFields } from '../fixes/loop-reading';
import { soleAssignedValue } from '../fixes/name-binding';
import { factoryModel, rebuiltFirst, rowModelOf } from '../fixes/loop-objects';
import { historicalModelRef, isModelCall } from '../historical-models';
import { modelCandidates } from '../fixes/model-candidates';
import { STAMPS_DIFFER } from '../fixes/batch-loop';
import type { TargetDatabase } from '../target-database';
import { walksEmptyTable, type EmptyTableQuestions } from './empty-tables';
import type { RuleContext } from './rule';

/** `obj = Model(...); obj.save()`, `Model(...).save()`, or a save after `obj.pk = None`: the save inserts a new row. */
export function isNewInstance(w: WriteCall, loop: LoopFacts, locals: Scope): boolean {
  const receiver = w.call.childForFieldName('function')?.childForFieldName('object');
  // `Model(…).save()`, and `Model.objects.create(…).save()` (an insert saved again); a model under a name of
  // any case (review 73: frepple's `columnmodel = apps.get_model(…)`, then `columnmodel(…).save()`).
  if (receiver?.type === 'call') return isModelCall(receiver, locals) || /\.objects\.create$/.test(receiver.childForFieldName('function')?.text ?? '');
  if (receiver?.type === 'identifier' && assignedFields(loop.node, receiver.text).setsKey) return true;
  if (w.receiverRoot && loop.targets.includes(w.receiverRoot) && factoryModel(loop, locals) !== null) return true;
  if (!w.receiverRoot || !loop.constructed.has(w.receiverRoot)) return false;
  return !loop.targets.includes(w.receiverRoot) || rebuiltFirst(loop, w.receiverRoot, w.call) !== null;
}

/**
 * The app and model a name of the code stands for (`FragileParcel` bound to
 * `apps.get_model("shop", "FragileParcel")`, or that call written inline), with the project view
 * to ask; null without a view or a literal get_model.
 */
export function modelInView(ctx: RuleContext, locals: Scope, model: string): { view: ProjectView; file: string; app: string; model: string } | null {
  const project = ctx.project;
  const view = project?.view;
  if (!project || !view) {
    // No view here: say which model's answers were wanted, so a caller with one may lint again.
    if (ctx.askedOfView && /^[A-Za-z_]\w*$/.test(model)) {
      const b = locals.lookup(model);
      const ref = b?.kind === 'value' ? historicalModelRef(b.node, locals) : null;
      if (ref) ctx.askedOfView(ref.app, ref.model);
    }
    return null;
  }
  // `Transaction.credit`: the model a foreign key or one-to-one field of a model the code names points at
  // (money-to-prisoners-api `transaction/0039` saves each transaction's credit: review 56).
  const via = /^([A-Za-z_]\w*)\.(\w+)$/.exec(model);
  if (via) {
    const owner = modelInView(ctx, locals, via[1] as string);
    const field = owner ? owner.view.modelFields(owner.file, owner.app, owner.model)?.fields.get(via[2] as string) : undefined;
    const rel = field?.relation;
    const to = rel && rel.kind !== 'many-to-many' && (rel.toField === null || rel.toField === undefined) && rel.to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(rel.to.value) : null;
    // `Organization.columnmappingprofile_set`: the model whose relation that default reverse accessor walks back.
    const back = owner && !field && /_set$/.test(via[2] as string) ? owner.view.reverseModel(owner.file, owner.app, owner.model, via[2] as string) : null;
    if (back) return { view, file: project.file, ...back };
    if (!owner || !to || to[2] === 'self') return null;
    return { view, file: project.file, app: to[1] ?? owner.app, model: to[2] as string };
  }
  const inline = /get_model\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)$/.exec(model) ?? /get_model\(\s*["'](\w+)\.(\w+)["']\s*\)$/.exec(model);
  const bound = /^[A-Za-z_]\w*$/.test(model) ? locals.lookup(model) : null;
  const ref = inline ? { app: inline[1] as string, model: inline[2] as string } : bound?.kind === 'value' ? historicalModelRef(bound.node, locals) : null;
  return ref ? { view, file: project.file, ...ref } : null;
}

/** Whether the loop, or a loop around it, walks a table the migration created and nothing has filled yet. */
export function idleLoop(loop: LoopFacts, locals: Scope, at: number, ctx: RuleContext): boolean {
  const q = emptyTableQuestions(ctx);
  for (let l: LoopFacts | null = loop; l; l = l.parent) if (l.kind === 'for' && walksEmptyTable(l, locals, at, ctx, q)) return true;
  return false;
}

/** What walksEmptyTable asks of this rule: the loop's model in the project view, and whether a save inserts. */
export function emptyTableQuestions(ctx: RuleContext): EmptyTableQuestions {
  return {
    ownModel: (loop, locals) => {
      const name = rowModelOf(loop, locals);
      if (name && !ctx.project?.view) {
        // Without the view the app label cannot be told: a model the file creates is worth a lint with it
        // (else the CLI's plain run, which lints again only for such questions, says what the editor does not).
        const bound = /^[A-Za-z_]\w*$/.test(name) ? locals.lookup(name) : null;
        const ref = bound?.kind === 'value' ? historicalModelRef(bound.node, locals) : null;
        if (ref && ctx.model.operations.some((o) => o.createsModel === ref.model.toLowerCase())) ctx.needsView?.('tables the migration creates');
        return null;
      }
      const m = name ? modelInView(ctx, locals, name) : null;
      return m && m.view.keyOf(m.file)?.app === m.app ? m.model.toLowerCase() : null;
    },
    newInstance: isNewInstance,
    insertedModel: (w, locals) => {
      const name = insertedName(w);
      const m = name ? modelInView(ctx, locals, name) : null;
      return m && m.view.keyOf(m.file)?.app === m.app ? m.model.toLowerCase() : null;
    },
  };
}

/**
 * The name of the model class a write inserts through, as the code writes it: `Language.objects.create(…)`,
 * `Language(…).save()`, or `lang.save()` where the function binds `lang` once, to `Language(…)`; else null.
 */
function insertedName(w: WriteCall): string | null {
  const fn = w.call.childForFieldName('function');
  const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
  if (!receiver) return null;
  if (w.kind === 'save') {
    const built = receiver.type === 'call' ? receiver : receiver.type === 'identifier' ? onlyBinding(w.call, receiver.text) : null;
    const cls = built?.childForFieldName('function');
    return cls?.type === 'identifier' ? cls.text : null;
  }
  const root = chainRoot(receiver);
  return root?.type === 'identifier' ? root.text : null;
}

/** The call `name` is bound to in the function around `at`, when that is its one binding there. */
function onlyBinding(at: Node, name: string): Node | null {
  const fn = functionAround(at);
  const right = fn ? soleAssignedValue(fn, name) : null;
  return right?.type === 'call' ? right : null;
}

/** Whether a model the code names is a child of multi-table inheritance in the project view: Django cannot bulk_create it. */
export function multiTableCheck(ctx: RuleContext, locals: Scope): MultiTable {
  return (model) => {
    const m = modelInView(ctx, locals, model);
    if (!m) return false;
    if (m.view.multiTableChild(m.file, m.app, m.model)) return 'child';
    return m.view.outOfViewModel(m.file, m.app, m.model) || m.view.unknownInSquash(m.file, m.app, m.model) ? 'maybe' : false;
  };
}

/** The fields of a model the code names that its save() stamps with the time (auto_now), per the project view; with `at`, as the operation at that index sees the model. */
export function stampsCheck(ctx: RuleContext, locals: Scope, at?: number, within?: Node): (model: string) => string[] {
  return (model) => {
    const m = modelInView(ctx, locals, model);
    if (m) return m.view.stampedFields(m.file, m.app, m.model, at);
    // A model picked per name from a fixed list (`for name in ["Trail", "Path"]: model = apps.get_model("core", name)`):
    // what every one of them stamps (review 59: Geotrek `infrastructure/0042`), or STAMPS_DIFFER.
    const view = ctx.project?.view;
    if (!view || !ctx.project || !within || !/^[A-Za-z_]\w*$/.test(model)) return [];
    const file = ctx.project.file;
    const lists = modelCandidates(within, model).map((c) => view.stampedFields(file, c.app, c.model, at).join(','));
    if (lists.length === 0) return [];
    if (!lists.every((l) => l === lists[0])) return [STAMPS_DIFFER];
    return lists[0] ? (lists[0] as string).split(',') : [];
  };
}

/**
 * The fields of each model a name picked per name from a fixed list may stand for (modelCandidates:
 * `for name in MODELS: model = apps.get_model("app", name)`, `for model in (A, B)`), per the project
 * view; null when the name is not so or any of them is not known.
 */
export function pickedFieldsCheck(ctx: RuleContext, within: Node): (model: string) => ModelFields[] | null {
  return (model) => {
    const view = ctx.project?.view;
    if (!view || !ctx.project) return null;
    const file = ctx.project.file;
    const found = modelCandidates(within, model).map((c) => view.modelFields(file, c.app, c.model));
    return found.length > 0 && found.every((f) => f !== null) ? (found as ModelFields[]) : null;
  };
}

/** Every field of a model the code names, per the project view (null: not known). */
export function fieldsCheck(ctx: RuleContext, locals: Scope): (model: string) => ModelFields | null {
  return (model) => {
    const m = modelInView(ctx, locals, model);
    return m ? m.view.modelFields(m.file, m.app, m.model) : null;
  };
}

/**
 * The Django version the migration runs on, as far as is known: the one the settings set or the
 * project pins; without either, the default (4.2) or the older one that wrote the file
 * (`# Generated by Django 2.2.4 on …`), since a project that says nothing may still run the Django it
 * had then, and an old file gets no fix that needs a newer one.
 */
export function runsOn(ctx: RuleContext): TargetDatabase {
  // A version the project set or pins is the one its migrations run on, whatever wrote them (review 54:
  // signals `0014`, written by Django 2.1, runs on the 4.2 its requirements pin).
  if (ctx.target.djangoKnown) return ctx.target;
  const m = /^# Generated by Django (\d+)\.(\d+)/m.exec(ctx.source.slice(0, 400));
  if (!m) return ctx.target;
  const written: [number, number] = [Number(m[1]), Number(m[2])];
  const [a, b] = ctx.target.djangoVersion;
  return written[0] < a || (written[0] === a && written[1] < b) ? { ...ctx.target, djangoVersion: written } : ctx.target;
}

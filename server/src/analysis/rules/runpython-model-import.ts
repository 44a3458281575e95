/**
 * runpython-model-import: RunPython code (or a same-file helper it calls) uses a model class that
 * was imported — today's model — instead of the historical one from `apps.get_model(...)`. Only
 * names used as models count: a manager access (`X.objects`, `X._default_manager`), an instance
 * built from a class imported from a `models` module, `get_user_model()`, or swapper's
 * `load_model(app, model)` (a swappable model, looked up in today's registry). Imports of functions,
 * constants or choices, and imports Python would not bind for certain (`if TYPE_CHECKING:`,
 * `try/except ImportError`), are not findings.
 */
import type { CodeUnit } from '../code-flow';
import { eolOf, indentOf, insertAt, replaceNode } from '../fixes/edits';
import { runPythonCode, UnitNames, walkUnit } from '../runpython-code';
import { dottedName, rangeOf, walk, within, type Node } from '../syntax';
import type { Fix, TextEdit } from '../types';
import { appLabelOf, handsRowsTo, notAModel, swapRefusal, type ImportedModel } from './historical-swap';
import { lineOf, type Rule, type RuleContext } from './rule';
import { MANAGERS } from '../historical-models';


interface ModelUse {
  /** The identifier or dotted reference that names the model. */
  node: Node;
  /** Shown in the message: `Order`, `shop.models.Order`, `get_user_model()`. */
  shown: string;
  /** Where it comes from: `shop.models.Order`. */
  qualified: string;
  /** For a bare name bound by `from m import X [as Y]`: Y and its binding (what the fix rewrites). */
  bare: ImportedModel | null;
  userModel: boolean;
  /** `swapper.load_model("app", "Model")`: the app and model written (null when not plain strings). */
  swappable?: { app: string; model: string } | null;
}

const SWAPPER_LOAD_MODEL = 'swapper.load_model';

/** Class names a models module also exports that are not models. */
const NOT_A_MODEL = /(Field|Property|Descriptor|Manager|QuerySet|Mixin|Error|Exception|Choices|Enum)$/;

/**
 * Classes of django.contrib's models modules that are no models (no table, so no historical model
 * either: `apps.get_model("auth", "AnonymousUser")` raises LookupError), and abstract bases.
 */
const CONTRIB_NOT_MODELS = /^django\.contrib\.(?:auth\.models\.AnonymousUser|sites\.requests\.RequestSite|sites\.models\.RequestSite|\w+\.(?:base_)?models\.Abstract\w+)$/;

/**
 * `shop.models.Order` is a model path: a class imported straight from a `models` module (not from a
 * submodule such as `shop.models.base`, where descriptors and mixins live; not Django's field
 * module), CamelCase, not named like a field, manager, mixin, exception or choices class.
 */
function isModelPath(qualified: string): boolean {
  const parts = qualified.split('.');
  const last = parts[parts.length - 1] ?? '';
  // An all-caps name with an underscore is a constant (`STATUS_CHOICES`); one without may be an
  // acronym model (data-hub-api's `HVC`, review 25), which counts only where used as a model.
  if (!/^[A-Z]/.test(last) || /^[A-Z0-9]*_[A-Z0-9_]*$/.test(last) || last.length < 2 || NOT_A_MODEL.test(last)) return false;
  if (qualified.startsWith('django.') && (!/^django\.contrib\.\w+\.models\./.test(qualified) || CONTRIB_NOT_MODELS.test(qualified))) return false;
  return parts.length >= 2 && parts[parts.length - 2] === 'models';
}

const IMPORT_STATEMENT = /^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b|import[ \t]+([^\n#;]+))/gm;

/**
 * Whether the file's text can import a model, by text alone (most migrations import only
 * `django.db`): every use this rule reports resolves to an import whose path is not Django's own
 * (`django.*` other than `django.contrib.*` never counts), or to `get_user_model`. True when in doubt.
 */
export function mayImportModels(source: string): boolean {
  if (/contrib|get_user_model|__import__/.test(source) || /(?:^[ \t]*|;[ \t]*)(?:from|import)[ \t]*\\/m.test(source) || /;[ \t]*(?:from|import)\b/.test(source)) return true;
  for (const m of source.matchAll(IMPORT_STATEMENT)) {
    if (m[1] !== undefined) {
      if (m[1] === '__future__' || m[1].startsWith('django.')) continue;
      return true;
    }
    for (const item of (m[2] ?? '').split(',')) {
      const module = item.trim().split(/\s+/)[0] ?? '';
      if (!module.startsWith('django.')) return true;
    }
  }
  return false;
}

/**
 * The names the file's imports bind (anywhere in it) that a reported use could start from: not
 * those of `__future__` or of Django's own modules (`django.db`, `django.conf`, ...: the rule never
 * counts them), but `django.contrib.*` and a plain `import django`. Null when an import binds names
 * that cannot be listed (`from m import *`).
 */
function importedNames(root: Node): string[] | null {
  // (`import django.db` binds `django`, which reaches contrib's models: a plain import always counts.)
  const out = new Set<string>();
  for (const stmt of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (stmt.type === 'import_from_statement') {
      const module = stmt.childForFieldName('module_name')?.text.replace(/\s+/g, '') ?? '';
      if (module === '__future__' || (module.startsWith('django.') && !module.startsWith('django.contrib'))) continue;
      if (stmt.namedChildren.some((c) => c.type === 'wildcard_import')) return null;
      for (const name of stmt.childrenForFieldName('name')) {
        const bound = name.type === 'aliased_import' ? name.childForFieldName('alias') : name;
        if (bound) out.add(bound.text.split('.')[0] as string);
      }
    } else {
      for (const name of stmt.childrenForFieldName('name')) {
        const dotted = (name.type === 'aliased_import' ? name.childForFieldName('name') : name)?.text.replace(/\s+/g, '') ?? '';
        // `import django.db.models.deletion` binds `django`, from which contrib's models are reached too.
        if (name.type !== 'aliased_import') out.add(dotted.split('.')[0] as string);
        else if (!dotted.startsWith('django.') || dotted.startsWith('django.contrib')) out.add(name.childForFieldName('alias')?.text ?? '');
      }
    }
  }
  return [...out];
}

/** Past spaces, line breaks, comments and backslash continuations from `i`. */
function skipBlank(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) i++;
    else if (c === 35) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === 92 && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) i++;
    else return i;
  }
}

const WORD = /[\w]/;

/**
 * From just after an imported name in `text`: whether the chain it starts reaches a manager
 * (`.objects`), or is called while its last part is capitalised (`models.Order(`) or is the name
 * itself (`Order(`).
 */
function chainReachesModel(text: string, i: number, first: string): boolean {
  let last = first;
  for (;;) {
    i = skipBlank(text, i);
    const c = text[i];
    // A bare name called may be a model under any alias (`from shop.models import Order as order`).
    if (c === '(') return last === first || /^[A-Z]/.test(last);
    if (c !== '.') return false;
    i = skipBlank(text, i + 1);
    let end = i;
    while (end < text.length && WORD.test(text[end] as string)) end++;
    if (end === i) return false;
    last = text.slice(i, end);
    if (MANAGERS.has(last)) return true;
    i = end;
  }
}

/** The character before `i` (inclusive) past spaces and line breaks, or ''. */
function skipBack(text: string, i: number): string {
  while (i >= 0 && /\s/.test(text[i] as string)) i--;
  return i >= 0 ? (text[i] as string) : '';
}

/**
 * A test of a code unit's text that passes every unit in which the rule can find a use (and some
 * others): a manager reached from a name some import binds (`Order.objects`,
 * `shop.models.Order.objects`), a call of a capitalised name reached from one (`models.Order(...)`)
 * or of the name itself, or `get_user_model`. Most RunPython code reaches its models through
 * `apps.get_model` only: its attributes and calls are then not walked one by one. The names are
 * found by one regular expression; each chain is then read by hand (over lines, comments and
 * backslash continuations), which no input can make slow.
 */
function useFilter(names: readonly string[]): (text: string) => boolean {
  const alt = names.map((n) => n.replace(/[^\w]/g, '')).filter((n) => n !== '').join('|');
  const found = alt === '' ? null : new RegExp(`\\b(?:${alt})\\b`, 'g');
  return (text) => {
    if (text.includes('get_user_model') || text.includes('load_model')) return true;
    if (!found) return false;
    found.lastIndex = 0;
    for (let m = found.exec(text); m; m = found.exec(text)) {
      // Not an attribute of something else (`x.Order`): a name must start the chain.
      if (m.index > 0 && skipBack(text, m.index - 1) === '.') continue;
      if (chainReachesModel(text, m.index + m[0].length, m[0])) return true;
    }
    return false;
  };
}

/** Only `._meta` is read from it: the caller wants a label or a name, not the model's rows. */
function onlyMeta(ref: Node): boolean {
  const p = ref.parent;
  return p?.type === 'attribute' && p.childForFieldName('object')?.id === ref.id && p.childForFieldName('attribute')?.text === '_meta';
}

/**
 * `get_user_model()` (or swapper's `load_model(...)`) used as a model: its result's rows or class
 * are used, directly or through the name it is assigned to. `get_user_model()._meta.label` (to
 * pass to apps.get_model) is not.
 */
function userModelUsed(call: Node, unit: CodeUnit, used: (ref: Node) => boolean = (ref) => !onlyMeta(ref)): boolean {
  const assignment = call.parent;
  const target = assignment?.type === 'assignment' && assignment.childForFieldName('right')?.id === call.id ? assignment.childForFieldName('left') : null;
  if (target?.type !== 'identifier') return used(call);
  let found = false;
  walkUnit(unit, ['identifier'], (n) => {
    if (!found && n.type === 'identifier' && n.text === target.text && n.id !== target.id && used(n)) found = true;
  });
  return found;
}

/**
 * Rows of the model are reached from `ref`: a manager on it (`Device.objects`) or an instance built
 * (`Device(...)`). A class attribute read (wagtail `0048` reads the live Page's `steplen`, a
 * constant, and queries the historical model) is not a use of today's rows.
 */
function rowsReached(ref: Node): boolean {
  const p = ref.parent;
  if (p?.type === 'attribute' && p.childForFieldName('object')?.id === ref.id) return MANAGERS.has(p.childForFieldName('attribute')?.text ?? '');
  return p?.type === 'call' && p.childForFieldName('function')?.id === ref.id;
}

function useOf(ref: Node, names: UnitNames, evidence: 'manager' | 'call'): ModelUse | null {
  const dotted = dottedName(ref);
  if (!dotted) return null;
  const qualified = names.qualified(dotted);
  if (!qualified) return null;
  if (evidence === 'call' && !isModelPath(qualified)) return null;
  if (evidence === 'manager') {
    // A manager on something imported is a model, unless it is Django's own field module.
    if (qualified.startsWith('django.') && !/^django\.contrib\.\w+\.models\./.test(qualified)) return null;
    if (!/^[A-Z]/.test(qualified.slice(qualified.lastIndexOf('.') + 1))) return null;
  }
  let bare: ModelUse['bare'] = null;
  if (ref.type === 'identifier') {
    const b = names.importOf(ref.text);
    if (b?.importedName && b.importedFrom !== undefined && !b.importedName.includes('.')) {
      bare = { name: ref.text, binding: b, model: b.importedName, module: b.importedFrom };
    }
  }
  return { node: ref, shown: dotted, qualified, bare, userModel: false };
}

/** The model uses in one unit, first use of each name only. */
function modelUses(unit: CodeUnit, names: UnitNames): ModelUse[] {
  const out = new Map<string, ModelUse>();
  const add = (u: ModelUse | null) => {
    if (u && !out.has(u.qualified)) out.set(u.qualified, u);
  };
  walkUnit(unit, ['attribute', 'call'], (n) => {
    if (n.type === 'attribute' && MANAGERS.has(n.childForFieldName('attribute')?.text ?? '')) {
      const obj = n.childForFieldName('object');
      if (obj && (obj.type === 'identifier' || obj.type === 'attribute')) add(useOf(obj, names, 'manager'));
    } else if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute')) return;
      const dotted = dottedName(fn);
      if (dotted && names.qualified(dotted) === 'django.contrib.auth.get_user_model') {
        if (!out.has('get_user_model') && userModelUsed(n, unit)) out.set('get_user_model', { node: n, shown: `${dotted}()`, qualified: 'get_user_model', bare: null, userModel: true });
        return;
      }
      if (dotted && names.qualified(dotted) === SWAPPER_LOAD_MODEL) {
        const swappable = plainStrings(n);
        const key = `${SWAPPER_LOAD_MODEL}:${swappable ? `${swappable.app}.${swappable.model}` : n.text}`;
        if (!out.has(key) && userModelUsed(n, unit, rowsReached)) out.set(key, { node: n, shown: n.text.length <= 80 ? n.text : `${dotted}(...)`, qualified: key, bare: null, userModel: false, swappable });
        return;
      }
      add(useOf(fn, names, 'call'));
    }
  });
  return [...out.values()];
}

/** The two plain string arguments of `load_model("app", "Model")`, or null. */
function plainStrings(call: Node): { app: string; model: string } | null {
  const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type !== 'comment');
  if (args.length !== 2) return null;
  const [app, model] = args.map((a) => (a.type === 'string' && /^(['"])[\w.]+\1$/.test(a.text) ? a.text.slice(1, -1) : null));
  return app && model ? { app, model } : null;
}

/**
 * The fix for swapper's `load_model("app", "Model")`: `apps.get_model(swapper.get_model_name("app",
 * "Model"))` — the label the swappable setting names, looked up among the historical models. Only
 * when swapper's `get_model_name` is already reachable by a name the file binds.
 */
function swapperFix(use: ModelUse, apps: string, names: UnitNames): Fix | null {
  const s = use.swappable;
  if (!s) return null;
  const getName = names.qualified('swapper') === 'swapper' ? 'swapper.get_model_name' : names.qualified('get_model_name') === 'swapper.get_model_name' ? 'get_model_name' : null;
  if (!getName) return null;
  const text = `${apps}.get_model(${getName}("${s.app}", "${s.model}"))`;
  return { title: `Use ${text}`, edits: [replaceNode(use.node, text)], isPreferred: true, safe: false };
}

/** The first statement of a function body that is not its docstring, and the body's indentation. */
function firstStatement(def: Node): Node | null {
  const body = def.childForFieldName('body');
  if (!body || body.startPosition.row === def.startPosition.row) return null;
  for (const s of body.namedChildren) {
    if (s.type === 'comment') continue;
    if (s.type === 'expression_statement' && s.firstNamedChild?.type === 'string' && s.id === body.namedChildren.find((c) => c.type !== 'comment')?.id) continue;
    return s;
  }
  return null;
}


/** The whole lines a statement takes, newline included. */
function deleteLines(stmt: Node, source: string): TextEdit {
  const start = { line: stmt.startPosition.row, character: 0 };
  const nl = source.indexOf('\n', stmt.endIndex);
  const end = nl === -1 ? rangeOf(stmt).end : { line: stmt.endPosition.row + 1, character: 0 };
  return { range: { start, end }, newText: '' };
}

/** Removes one imported name from `from m import a, b` (the whole statement when it is the only one). */
function dropImportedName(stmt: Node, bound: string, source: string): TextEdit | null {
  if (stmt.type !== 'import_from_statement') return null;
  const items = stmt.childrenForFieldName('name');
  const i = items.findIndex((c) => (c.type === 'aliased_import' ? c.childForFieldName('alias')?.text : c.text) === bound);
  if (i < 0) return null;
  if (items.length === 1) return deleteLines(stmt, source);
  const item = items[i] as Node;
  const next = items[i + 1];
  const prev = items[i - 1];
  if (next) return { range: { start: rangeOf(item).start, end: rangeOf(next).start }, newText: '' };
  if (prev) return { range: { start: rangeOf(prev).end, end: rangeOf(item).end }, newText: '' };
  return null;
}

/** Whether `name` is used anywhere in the file outside the `skipped` nodes (the unit, the import). */
function usedElsewhere(name: string, root: Node, skipped: readonly Node[]): boolean {
  let found = false;
  walk(root, (n) => {
    if (found) return false;
    if (skipped.some((k) => k.id === n.id)) return false;
    if (n.type === 'identifier' && n.text === name) {
      // `x.name` is an attribute, not a use of the name.
      const p = n.parent;
      if (!(p?.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) && !(p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id)) found = true;
    }
    return true;
  });
  return found;
}

/** The registry parameter of the unit: the first parameter of the RunPython callable, or `apps` in a helper. */
function appsParameter(unit: CodeUnit, isEntry: boolean): string | null {
  if (unit.node.type !== 'function_definition') return null;
  // A plain positional parameter (`apps`, `apps=None`): never `*args` or `**kwargs`, a tuple or dict.
  const params = (unit.node.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type !== 'comment');
  const names = params.map((p): string | null => {
    if (p.type === 'identifier') return p.text;
    if (p.type !== 'default_parameter' && p.type !== 'typed_parameter' && p.type !== 'typed_default_parameter') return null;
    const name = p.childForFieldName('name') ?? p.namedChildren[0];
    return name?.type === 'identifier' ? name.text : null;
  });
  const first = names[0] === 'self' || names[0] === 'cls' ? names[1] : names[0];
  if (!first) return null;
  return isEntry || first === 'apps' ? first : null;
}

function buildFix(use: ModelUse, unit: CodeUnit, apps: string, ctx: RuleContext, names: UnitNames): Fix | null {
  const eol = eolOf(ctx.source);
  if (use.swappable !== undefined) return swapperFix(use, apps, names);
  if (use.userModel) {
    // apps.get_model accepts "app_label.ModelName", which is what AUTH_USER_MODEL holds.
    if (names.qualified('settings') !== 'django.conf.settings') return null;
    const args = use.node.childForFieldName('arguments');
    if (args && args.namedChildCount > 0) return null;
    const edits: TextEdit[] = [replaceNode(use.node, `${apps}.get_model(settings.AUTH_USER_MODEL)`)];
    // Drop `from django.contrib.auth import get_user_model` when this was its only use.
    const fn = use.node.childForFieldName('function');
    const b = fn?.type === 'identifier' ? names.importOf(fn.text) : null;
    if (fn && b && !usedElsewhere(fn.text, unit.node.tree.rootNode, [use.node, b.node])) {
      const drop = dropImportedName(b.node, fn.text, ctx.source);
      if (drop) edits.push(drop);
    }
    return { title: `Use ${apps}.get_model(settings.AUTH_USER_MODEL)`, edits, isPreferred: true, safe: false };
  }
  const bare = use.bare;
  if (!bare) return null;
  const label = appLabelOf(bare.module, ctx.project);
  if (!label) return null;
  const line = `${bare.name} = ${apps}.get_model("${label}", "${bare.model}")`;
  const title = `Use ${line}`;
  const stmt = bare.binding.node;
  if (within(stmt, unit.node)) {
    // An import inside the function: the assignment takes its place.
    const items = stmt.childrenForFieldName('name');
    if (stmt.type !== 'import_from_statement' || stmt.parent?.parent?.id !== unit.node.id) return null;
    if (items.length === 1) return { title, edits: [replaceNode(stmt, line)], isPreferred: true, safe: false };
    const drop = dropImportedName(stmt, bare.name, ctx.source);
    if (!drop) return null;
    return { title, edits: [drop, insertAt(rangeOf(stmt).end, `${eol}${indentOf(stmt, ctx.source)}${line}`)], isPreferred: true, safe: false };
  }
  const first = firstStatement(unit.node);
  if (!first) return null;
  const edits: TextEdit[] = [insertAt(rangeOf(first).start, `${line}${eol}${indentOf(first, ctx.source)}`)];
  const root = unit.node.tree.rootNode;
  if (!usedElsewhere(bare.name, root, [unit.node, stmt])) {
    const drop = dropImportedName(stmt, bare.name, ctx.source);
    if (drop) edits.push(drop);
  }
  return { title, edits, isPreferred: true, safe: false };
}

export const runpythonModelImport: Rule = {
  meta: {
    id: 'runpython-model-import',
    summary: 'RunPython code uses an imported model (today\'s model) instead of the historical one from apps.get_model().',
    defaultSeverity: 'error',
  },
  check(ctx) {
    if (!mayImportModels(ctx.source)) return;
    let filter: ((text: string) => boolean) | null | undefined;
    for (const { facts, isEntry, names, where, related: operation } of runPythonCode(ctx.model, ctx.index)) {
      if (filter === undefined) {
        const imported = importedNames(facts.unit.node.tree.rootNode);
        filter = imported ? useFilter(imported) : null;
      }
      if (filter && !filter(facts.unit.node.text)) continue;
      // A class of a models module that the app's migrations never made a model is no model (casepro `msgs/0030`).
      const uses = modelUses(facts.unit, names).filter((use) => !use.bare || use.swappable !== undefined || use.userModel || !notAModel(use.bare, facts.unit, ctx));
      // Code the historical model lacks: the swap would raise, so no fix.
      const refusals = uses.map((use) => (use.bare ? swapRefusal(use.bare, facts.unit, ctx) : null));
      // A model left as today's beside one made historical: an instance of one assigned to the
      // other's relation raises ValueError (review 23, tendenci directories/0005), so none is swapped.
      // So is one no fix can swap (another package's model, whose app label is not known: DRF's Token
      // beside auth's User, review 25, casepro profiles/0009).
      const apps = appsParameter(facts.unit, isEntry);
      // A name the module re-exports from another app (seed's `from seed.models import User`, which is
      // landing's SEEDUser: review 31): the app its path names never made it, and get_model() would raise.
      const foreign = uses.map((use) => {
        if (!use.bare) return null;
        if (!ctx.project) {
          ctx.needsView?.(`whether ${use.bare.model} is a model of its module's app`);
          return null;
        }
        const label = appLabelOf(use.bare.module, ctx.project);
        return label && ctx.project.view?.neverAModel(ctx.project.file, label, use.bare.model) ? label : null;
      });
      const own = uses.map((use, i) => (apps && refusals[i] === null && foreign[i] === null ? buildFix(use, facts.unit, apps, ctx, names) : null));
      const refused = uses.find((u, i) => u.bare && refusals[i] !== null);
      const unswapped = uses.filter((u, i) => u.bare && apps && refusals[i] === null && own[i] === null);
      // Without the view a deeper path names no app (`baserow.contrib.database.models`): the view may.
      if (unswapped.length > 0 && !ctx.project) ctx.needsView?.('app labels of models modules');
      uses.forEach((use, i) => {
        const name = use.bare?.name;
        const kept = refused ?? (name ? unswapped.find((k) => k.bare && k.bare.name !== name && handsRowsTo(facts.unit, name, k.bare.name)) : undefined);
        const why = kept === refused ? 'its swap is refused' : 'no fix can swap it';
        const noSwap = refusals[i] ?? (kept && kept.bare && use.bare && kept.bare.name !== use.bare.name ? `keeps \`${kept.bare.name}\` as today's model (${why}), and an instance of a historical model assigned to a relation of today's raises ValueError` : null);
        const fix = noSwap === null ? own[i] ?? null : null;
        const related = [operation];
        if (use.bare) related.push({ range: rangeOf(use.bare.binding.node), message: `the import (line ${lineOf(use.bare.binding.node)})` });
        const message = use.swappable !== undefined
          ? `\`${use.shown}\` in ${where} returns today's swappable model from the live app registry, not the one this migration was written against: ` +
            'when the model gains or loses a field later, this migration breaks on a fresh database. ' +
            `Use \`${apps ?? 'apps'}.get_model(swapper.get_model_name(...))\` for the historical model.`
          : use.userModel
          ? `\`${use.shown}\` in ${where} returns today's user model, not the one this migration was written against: ` +
            'when the model gains or loses a field later, this migration breaks on a fresh database. Use `apps.get_model(settings.AUTH_USER_MODEL)`.'
          : `\`${use.shown}\` is imported from \`${use.qualified.slice(0, use.qualified.lastIndexOf('.'))}\`: ${where} gets today's model, ` +
            "not the model as it was at this migration, so it queries columns that may not exist yet (or any more) and breaks when the model changes. " +
            `Use \`${apps ?? 'apps'}.get_model(...)\` for the historical model.` +
            (noSwap ? ` No fix is offered: the code ${noSwap} (move what it needs into the migration).` : foreign[i] ? ` No fix is offered: app ${foreign[i]}'s migrations make no model ${use.bare?.model ?? ''}, so the name comes from another app's models; name that app and model in apps.get_model().` : '');
        ctx.report({ range: rangeOf(use.node), message, related, fixes: fix ? [fix] : [] });
      });
    }
  },
};

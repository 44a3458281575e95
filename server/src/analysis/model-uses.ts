/**
 * Where code uses a model class that was imported — today's model — rather than the historical one
 * `apps.get_model(...)` returns: the reading `runpython-model-import` makes of RunPython code in the
 * migration, and the project view makes of the functions a migration imports from other modules.
 * Only names used as models count: a manager access (`X.objects`, `X._default_manager`), an
 * instance built from a class imported from a `models` module, `get_user_model()`, or swapper's
 * `load_model(app, model)`.
 */
import type { CodeUnit } from './code-flow';
import { MANAGERS } from './historical-models';
import type { UnitNames } from './runpython-code';
import { walkUnit } from './runpython-code';
import type { ImportedModel } from './rules/historical-swap';
import { dottedName, type Node } from './syntax';

export interface ModelUse {
  /** The identifier or dotted reference that names the model. */
  node: Node;
  /** Shown in the message: `Order`, `shop.models.Order`, `get_user_model()`. */
  shown: string;
  /** Where it comes from: `shop.models.Order`. */
  qualified: string;
  /** For a bare name bound by `from m import X [as Y]`: Y and its binding (what the fix rewrites). */
  bare: ImportedModel | null;
  userModel: boolean;
  /** A user model reached through a name the module binds to `get_user_model()` (`User = get_user_model()`): that name. */
  userModelName?: string;
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
export function importedNames(root: Node): string[] | null {
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
  // `User = get_user_model()` at module level: the name stands for today's user model too.
  for (const stmt of root.namedChildren) {
    const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
    if (left?.type === 'identifier' && /get_user_model\s*\(\s*\)$/.test(a?.childForFieldName('right')?.text ?? '')) out.add(left.text);
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
 * Methods only a queryset (or a manager) has: called on a lower-case attribute of a class imported
 * from a models module (`AlertReceiveChannel.objects_with_deleted.values_list(…)`, review 54: oncall
 * `alerts/0007`), the attribute is a manager of today's model, a custom one. Not `get`, `update`,
 * `count` or `delete`, which dicts, lists and sets have too.
 */
const QUERYSET_ONLY = new Set([
  'all', 'filter', 'exclude', 'values', 'values_list', 'iterator', 'order_by', 'select_related', 'prefetch_related',
  'annotate', 'aggregate', 'exists', 'get_or_create', 'update_or_create', 'bulk_create', 'bulk_update', 'in_bulk',
  'only', 'defer', 'distinct', 'using', 'first', 'last', 'none',
]);
const LOWER_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * From just after an imported name in `text`: whether the chain it starts reaches a manager
 * (`.objects`), or is called while its last part is capitalised (`models.Order(`) or is the name
 * itself (`Order(`).
 */
function chainReachesModel(text: string, i: number, first: string): boolean {
  let last = first;
  // The segment before `last` once the chain has two after `first` (`objects_with_deleted`), else null.
  let previous: string | null = null;
  let segments = 0;
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
    previous = segments > 0 ? last : null;
    segments++;
    last = text.slice(i, end);
    if (MANAGERS.has(last)) return true;
    // `X.objects_with_deleted.filter`: a custom manager (QUERYSET_ONLY).
    if (previous !== null && LOWER_NAME.test(previous) && QUERYSET_ONLY.has(last)) return true;
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
export function useFilter(names: readonly string[]): (text: string) => boolean {
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

/**
 * `User` where the module (not the unit) binds `User = get_user_model()` (review 46: linkding's toast
 * migrations): today's user model all the same, through a name the unit only reads.
 */
function moduleUserModel(ref: Node, names: UnitNames): ModelUse | null {
  const bound = ref.type === 'identifier' ? names.outerCall(ref.text) : null;
  if (bound?.callee !== 'django.contrib.auth.get_user_model' || (bound.call.childForFieldName('arguments')?.namedChildCount ?? 0) > 0) return null;
  return { node: ref, shown: `${ref.text} (${bound.call.childForFieldName('function')?.text ?? 'get_user_model'}())`, qualified: 'get_user_model', bare: null, userModel: true, userModelName: ref.text };
}

/** `X.objects_with_deleted` in `X.objects_with_deleted.values_list(…)`: a lower-case attribute a queryset-only method is called on. */
function customManager(n: Node): boolean {
  const attribute = n.childForFieldName('attribute')?.text ?? '';
  const p = n.parent;
  if (!LOWER_NAME.test(attribute) || p?.type !== 'attribute' || p.childForFieldName('object')?.id !== n.id) return false;
  return QUERYSET_ONLY.has(p.childForFieldName('attribute')?.text ?? '') && p.parent?.type === 'call' && p.parent.childForFieldName('function')?.id === p.id;
}

/** The model uses in one unit, first use of each name only. */
export function modelUses(unit: CodeUnit, names: UnitNames): ModelUse[] {
  const out = new Map<string, ModelUse>();
  const add = (u: ModelUse | null) => {
    if (u && !out.has(u.qualified)) out.set(u.qualified, u);
  };
  walkUnit(unit, ['attribute', 'call'], (n) => {
    if (n.type === 'attribute' && (MANAGERS.has(n.childForFieldName('attribute')?.text ?? '') || customManager(n))) {
      const obj = n.childForFieldName('object');
      if (obj && (obj.type === 'identifier' || obj.type === 'attribute')) add(moduleUserModel(obj, names) ?? useOf(obj, names, 'manager'));
    } else if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute')) return;
      const viaName = moduleUserModel(fn, names);
      if (viaName) {
        add(viaName);
        return;
      }
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

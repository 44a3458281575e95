/**
 * Whether runpython-model-import's fix — today's model swapped for the historical one from
 * `apps.get_model(...)` — may be offered: the app label it names, and the code the historical
 * model lacks (a class attribute, a method or property of today's class, arguments Django's own
 * save() and delete() do not take), where the swap would raise. Today's class is read from the
 * project's source through the project view, never imported.
 */
import type { CodeUnit } from '../code-flow';
import { MANAGERS } from '../historical-models';
import type { ModelFields, ProjectView } from '../project/view';
import { walkUnit } from '../runpython-code';
import { blockScope, type Binding } from '../scope';
import { dottedName, within, type Node } from '../syntax';
import type { RuleContext } from './rule';

/** A model class bound by `from m import X [as Y]`: Y, its binding, X and m. */
export interface ImportedModel {
  name: string;
  binding: Binding;
  model: string;
  module: string;
}

/** Why the swap would break the unit's code, as a clause (`reads \`Order.LIMIT\`, which …`); null when it would not. */
export function swapRefusal(bare: ImportedModel, unit: CodeUnit, ctx: RuleContext): string | null {
  const attribute = classAttributeUsed(bare.name, unit);
  if (attribute) return `reads \`${attribute}\`, which the historical model does not have`;
  return managerMethodUsed(bare.name, unit, MIGRATION_MANAGERS.get(`${bare.module}.${bare.model}`)) ?? rowMethodUsed(bare.name, unit) ?? handedToLiveCode(bare.name, unit) ?? todayMemberRead(bare, unit, ctx) ?? packageBase(bare, ctx);
}

/**
 * Base classes of packages whose models do not work as historical models: the class is there, the
 * set-up its metaclass or app does for today's class is not (django-parler's translations:
 * `AttributeError: 'NoneType' object has no attribute 'get_all_fields'`, review 27's palvelutarjotin
 * `occurrences/0023`, `0030`; django-polymorphic's, django-mptt's and treebeard's tree and type
 * bookkeeping likewise).
 */
const SET_UP_BY_PACKAGE = /^(?:parler|polymorphic|mptt|treebeard)\./;

function packageBase(bare: ImportedModel, ctx: RuleContext): string | null {
  const project = ctx.project;
  const label = project?.view ? appLabelOf(bare.module, project) : null;
  const base = label && project?.view ? project.view.customBases(project.file, label, bare.model).find((b) => SET_UP_BY_PACKAGE.test(b)) : undefined;
  return base ? `uses a model whose historical class keeps \`${base}\` without the set-up today's class gets from its package, so the swap would fail` : null;
}

/** A module of models (`shop.models`, `auditlog.models.log`): what it binds are today's classes. */
const MODELS_MODULE = /(?:^|\.)models(?:\.\w+)*$/;

/**
 * The unit hands the model, or a row of it, to code that works with today's classes: a callable it
 * imports (`IndividualAccountingController(prog, user)`, ESP-Website `users/0026`), or a function of
 * the file that uses a model imported from a models module (`set_values(ContentType.objects.get(…))`
 * querying auditlog's `LogEntry` by it, DefectDojo `0127`). A historical instance where today's class is
 * expected raises `ValueError` (review 24). The clause, or null.
 */
function handedToLiveCode(name: string, unit: CodeUnit): string | null {
  const rows = rowsOf(name, unit);
  // Names the function imports itself count too (review 39: pulp_container `0020` imports guardian's
  // `assign_perm` inside the RunPython function and hands it the groups).
  const body = unit.node.childForFieldName('body');
  const scope = body && unit.node.type === 'function_definition' ? blockScope(body, unit.scope) : unit.scope;
  const carries = (a: Node): boolean => {
    const v = a.type === 'keyword_argument' ? a.childForFieldName('value') : a;
    if (!v) return false;
    if (v.type === 'identifier') return v.text === name || rows.has(v.text);
    return chainRoot(v)?.text === name;
  };
  const livesOn = (callee: Node): string | null => {
    const head = callee.type === 'identifier' ? callee.text : callee.type === 'attribute' ? chainRoot(callee)?.text : undefined;
    if (!head || head === name) return null;
    const b = scope.lookup(head);
    // A model class imported beside it is swapped with it (or neither is: runpython-model-import swaps all or none).
    if (b?.kind === 'import') {
      if (!b.importedFrom || /^django(?:\.|$)/.test(b.importedFrom)) return null;
      if (!MODELS_MODULE.test(b.importedFrom)) return `${head}(), which it imports`;
      // A models module imported whole (`import base.models as mdl`): a function reached through it
      // (`mdl.person.find_by_user(user)`, review 80: osis `base/0058`) is today's code; a class is a model.
      const path = b.importedName === undefined && callee.type === 'attribute' ? dottedName(callee) : null;
      return path && path.split('.').slice(1).every((part) => /^[a-z_]/.test(part)) ? `${path}(), which it imports` : null;
    }
    if (b?.kind !== 'function' || b.node.type !== 'function_definition') return null;
    // A function of the file that names a model imported from a models module (today's class), other than this one.
    for (const id of b.node.descendantsOfType('identifier')) {
      const ib = id && id.text !== name ? unit.scope.lookup(id.text) : null;
      if (ib?.kind === 'import' && ib.importedFrom && MODELS_MODULE.test(ib.importedFrom)) return `${head}(), which uses today's ${id?.text}`;
    }
    return null;
  };
  let found: string | null = null;
  walkUnit(unit, ['call'], (c) => {
    if (found !== null) return;
    const fn = c.childForFieldName('function');
    const args = c.childForFieldName('arguments');
    if (!fn || !args || args.type !== 'argument_list' || !args.namedChildren.some(carries)) return;
    const live = livesOn(fn);
    if (live) found = `hands ${name} or a row of it to ${live}, where a historical instance is not today's class`;
  });
  return found;
}

/**
 * The app label for `apps.get_model`: from the project view when there is one (the app must have
 * migrations in it), else from a two-part path `shop.models` or `django.contrib.<app>.models`.
 * Null when it cannot be known: a deeper path (`apps.shop.models`: the label may be `shop`, or set
 * by the AppConfig) without a view that confirms it, a relative import without a view.
 */
export function appLabelOf(module: string, project: RuleContext['project']): string | null {
  const contrib = /^django\.contrib\.(\w+)\.models(\.\w+)*$/.exec(module);
  if (contrib) return contrib[1] ?? null;
  const view = project?.view ?? null;
  const apps = view ? appsOf(view) : null;
  if (module.startsWith('.')) {
    // From a migrations package: `..models` is its own app's models module.
    if (!/^\.\.models(\.\w+)*$/.test(module) || !view || !project) return null;
    return view.keyOf(project.file)?.app ?? null;
  }
  const parts = module.split('.');
  const i = parts.indexOf('models');
  if (i < 1) return null;
  const candidate = parts[i - 1] as string;
  if (apps) return apps.has(candidate) ? candidate : null;
  return i === 1 ? candidate : null;
}

const APPS = new WeakMap<ProjectView, Set<string>>();
function appsOf(view: ProjectView): Set<string> {
  let s = APPS.get(view);
  if (!s) {
    s = new Set([...view.graph.nodes.values()].map((n) => n.key.app));
    APPS.set(view, s);
  }
  return s;
}

/** What a historical model has as a class: its managers, `_meta` and the exceptions. */
const HISTORICAL_ATTRIBUTES = new Set([...MANAGERS, '_meta', 'DoesNotExist', 'MultipleObjectsReturned']);

/**
 * The unit reads another attribute of the model class (`Sleep.settings.nap_start_min`, a class
 * constant, a classmethod): the historical model from apps.get_model has none of those, so the
 * swap would raise AttributeError (babybuddy `core/0028`). No fix is offered then.
 */
function classAttributeUsed(name: string, unit: CodeUnit): string | null {
  let used: string | null = null;
  walkUnit(unit, ['attribute'], (n) => {
    if (used !== null) return;
    const obj = n.childForFieldName('object');
    const attribute = n.childForFieldName('attribute')?.text ?? '';
    // `Group.permissions.through`: a many-to-many field's descriptor, which the historical class has too (the link template's through model).
    const through = n.parent?.type === 'attribute' && n.parent.childForFieldName('object')?.id === n.id && n.parent.childForFieldName('attribute')?.text === 'through';
    if (obj?.type === 'identifier' && obj.text === name && !HISTORICAL_ATTRIBUTES.has(attribute) && !through) used = `${name}.${attribute}`;
  });
  return used;
}

/** The methods of Django's Manager and QuerySet: what a historical model's manager has. */
const QUERYSET_METHODS = new Set([
  'all', 'filter', 'exclude', 'get', 'create', 'get_or_create', 'update_or_create', 'bulk_create', 'bulk_update', 'count',
  'exists', 'first', 'last', 'earliest', 'latest', 'order_by', 'reverse', 'distinct', 'values', 'values_list', 'dates',
  'datetimes', 'none', 'union', 'intersection', 'difference', 'select_related', 'prefetch_related', 'annotate', 'alias',
  'aggregate', 'only', 'defer', 'using', 'select_for_update', 'raw', 'extra', 'iterator', 'in_bulk', 'update', 'delete',
  'contains', 'explain', 'get_queryset', 'db_manager', 'complex_filter', 'get_prefetch_queryset',
]);

/**
 * Django's own managers that set `use_in_migrations = True`, by the model's qualified name: their
 * methods are on the historical model's manager too (`ContentType.objects.get_for_model`).
 */
const MIGRATION_MANAGERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['django.contrib.contenttypes.models.ContentType', new Set(['get_for_model', 'get_for_models', 'get_for_id', 'get_by_natural_key', 'clear_cache'])],
  ['django.contrib.auth.models.User', new Set(['create_user', 'create_superuser', 'normalize_email', 'make_random_password', 'with_perm', 'get_by_natural_key'])],
  ['django.contrib.auth.models.Group', new Set(['get_by_natural_key'])],
  ['django.contrib.auth.models.Permission', new Set(['get_by_natural_key'])],
  ['django.contrib.sites.models.Site', new Set(['get_current', 'clear_cache', 'get_by_natural_key'])],
]);

/**
 * The unit calls a method on the model's manager, or on a queryset from it, that Django's own do
 * not have (`NewTopicSubscription.objects.get_subscriptions(forum)`, zds `notification/0017`): a
 * custom manager's. The historical model's manager is a plain one (a custom manager joins it only
 * with `use_in_migrations = True`, which is not read here), so the swap would raise AttributeError.
 */
function managerMethodUsed(name: string, unit: CodeUnit, ownManager: ReadonlySet<string> | undefined): string | null {
  let used: string | null = null;
  walkUnit(unit, ['call'], (c) => {
    if (used !== null) return;
    const fn = c.childForFieldName('function');
    if (fn?.type !== 'attribute') return;
    const method = fn.childForFieldName('attribute')?.text ?? '';
    if (QUERYSET_METHODS.has(method) || ownManager?.has(method) || (method.startsWith('a') && QUERYSET_METHODS.has(method.slice(1)))) return;
    // Down the chain to `Name.<manager>`: `Name.objects.custom()`, `Name.objects.filter(x).custom()`.
    let n: Node | null = fn.childForFieldName('object');
    while (n?.type === 'call') n = n.childForFieldName('function')?.childForFieldName('object') ?? null;
    if (n?.type !== 'attribute' || !MANAGERS.has(n.childForFieldName('attribute')?.text ?? '')) return;
    if (n.childForFieldName('object')?.text === name) used = `calls \`${name}.${n.childForFieldName('attribute')?.text}…${method}()\`, which the historical model's manager does not have`;
  });
  if (used !== null) return used;
  // A constant of the manager's class read without a call (`User.objects.META_USERS`, review 29: pootle
  // `pootle_score/0002`): the historical model's plain Manager has none.
  walkUnit(unit, ['attribute'], (a) => {
    if (used !== null || (a.parent?.type === 'call' && a.parent.childForFieldName('function')?.id === a.id)) return;
    const manager = a.childForFieldName('object');
    const member = a.childForFieldName('attribute')?.text ?? '';
    if (manager?.type !== 'attribute' || manager.childForFieldName('object')?.text !== name || !MANAGERS.has(manager.childForFieldName('attribute')?.text ?? '')) return;
    if (QUERYSET_METHODS.has(member) || ownManager?.has(member) || MANAGER_ATTRIBUTES.has(member) || (member.startsWith('a') && QUERYSET_METHODS.has(member.slice(1)))) return;
    used = `reads \`${a.text}\`, which the historical model's manager does not have`;
  });
  return used;
}

/** What every manager has besides the queryset's methods (`Order.objects.model`, `.db`). */
const MANAGER_ATTRIBUTES: ReadonlySet<string> = new Set(['model', 'db', 'name', 'auto_created', 'use_in_migrations', '_db', '_hints', 'creation_counter']);

/** What every model instance has, with the keyword arguments Django's own save() and delete() take. */
const INSTANCE_METHODS = new Map<string, ReadonlySet<string> | null>([
  ['save', new Set(['force_insert', 'force_update', 'using', 'update_fields'])],
  ['delete', new Set(['using', 'keep_parents'])],
  ['refresh_from_db', null],
  ['full_clean', null],
  ['clean', null],
  ['clean_fields', null],
  ['validate_unique', null],
  ['validate_constraints', null],
  ['serializable_value', null],
  ['get_deferred_fields', null],
]);

/** The identifier a chain of attributes and calls starts from (`Order` in `Order.objects.filter(x).first()`). */
function chainRoot(node: Node): Node | null {
  let n: Node | null = node;
  while (n && (n.type === 'call' || n.type === 'attribute' || n.type === 'subscript')) {
    n = n.type === 'call' ? n.childForFieldName('function') : n.childForFieldName(n.type === 'attribute' ? 'object' : 'value');
  }
  return n?.type === 'identifier' ? n : null;
}

/**
 * The unit calls a method on a row of the model that the historical model lacks (`inst.get_full_dict()`,
 * onadata `logger/0062`), or Django's save() / delete() with an argument they do not take
 * (`directory.save(log=False)`, tendenci `directories/0005`): rows are the loop variables of a loop
 * over the model's queries and the names bound to one row of them (`get()`, `first()`, `create()`).
 * The swap would raise, so no fix is offered. Properties read as attributes are not seen.
 */
function rowMethodUsed(name: string, unit: CodeUnit): string | null {
  const rows = rowsOf(name, unit);
  if (rows.size === 0) return null;
  let used: string | null = null;
  walkUnit(unit, ['call'], (c) => {
    if (used !== null) return;
    const fn = c.childForFieldName('function');
    const obj = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    if (!fn || obj?.type !== 'identifier' || !rows.has(obj.text)) return;
    const method = fn.childForFieldName('attribute')?.text ?? '';
    if (/^get_\w+_display$|^get_(next|previous)_by_\w+$/.test(method)) return;
    if (!INSTANCE_METHODS.has(method)) {
      used = `calls \`${obj.text}.${method}()\`, which the historical model does not have`;
      return;
    }
    const allowed = INSTANCE_METHODS.get(method);
    const args = c.childForFieldName('arguments')?.namedChildren ?? [];
    const odd = allowed ? args.find((a) => a.type !== 'comment' && !(a.type === 'keyword_argument' && allowed.has(a.childForFieldName('name')?.text ?? ''))) : undefined;
    if (odd) used = `calls \`${obj.text}.${method}(${odd.text})\`, which the historical model's ${method}() does not take`;
  });
  return used;
}

/**
 * With the project view: the unit reads an attribute of a row that today's class defines (a
 * property, a constant) and the historical model does not have as a field (`order.full_name`), also
 * through the row's relations (`cert.course_run.course.page`, review 28: mitxpro `courses/0028`,
 * where `page` is a property of today's Course): today's classes read from the project's source
 * (never imported), the fields from the migrations before this one. Null when neither can be read.
 */
function todayMemberRead(bare: ImportedModel, unit: CodeUnit, ctx: RuleContext): string | null {
  const project = ctx.project;
  const view = project?.view;
  if (bare.module.startsWith('.')) return null;
  if (!project || !view) {
    // Linted alone (check's first reading): the answer needs the view, and may withdraw the fix.
    if (!project) ctx.needsView?.("today's class and the historical model's fields");
    return null;
  }
  const label = appLabelOf(bare.module, project);
  const known = label ? view.modelFields(project.file, label, bare.model) : null;
  if (!label || !known) return null;
  const rows = rowsOf(bare.name, unit);
  // Today's class of a model the chain reaches: the same app's in the module it was imported from, another app's in its models module.
  // A relation names its model in lower case (`to="shop.course"`): the class is named as the state names it.
  const classOf = (app: string, model: string): string => {
    const entry = view.modelSeenBy(project.file, app, model);
    return typeof entry === 'object' ? entry.name : model;
  };
  const todayOf = (app: string, model: string) => {
    const read = view.classWrites(`${app.toLowerCase() === label.toLowerCase() ? bare.module : `${app}.models`}.${model}`, project.file);
    return read.kind === 'read' ? read.members : null;
  };
  let read: string | null = null;
  walkUnit(unit, ['attribute'], (a) => {
    if (read !== null) return;
    const obj = a.childForFieldName('object');
    if (obj?.type !== 'identifier' || !rows.has(obj.text)) return;
    let fields: ModelFields | null = known;
    let model = bare.model;
    let members = todayOf(label, bare.model);
    for (let n: Node | null = a; n?.type === 'attribute' && fields; n = n.parent?.type === 'attribute' && n.parent.childForFieldName('object')?.id === n.id ? n.parent : null) {
      const attribute = n.childForFieldName('attribute')?.text ?? '';
      if (INSTANCE_METHODS.has(attribute) || MANAGERS.has(attribute) || attribute === 'pk') return;
      if (!fields.fields.has(attribute)) {
        if (members?.has(attribute)) read = `reads \`${n.text}\`, which today's ${model} defines and the historical model does not have`;
        return;
      }
      // A field: go on through a foreign key or one-to-one to the model it points at; any other value ends the chain.
      const relation = fields.fields.get(attribute)?.relation;
      const to = relation && relation.kind !== 'many-to-many' && relation.to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(relation.to.value) : null;
      if (!to) return;
      model = classOf(to[1] ?? label, to[2] as string);
      members = todayOf(to[1] ?? label, model);
      fields = fields.related(attribute);
    }
  });
  return read;
}

/** Calls that hand on the rows of the iterable they are given (as the batches a commit-in-batches rewrite takes). */
const PASS_ROWS = new Set(['iter', 'list', 'tuple', 'sorted', 'reversed', 'islice', 'itertools.islice']);

/**
 * The rows of a model a unit holds: loop variables over its queries, names bound to one row of
 * them — also through names that hold such rows on the way (`rows = iter(Model.objects.raw(…))`,
 * `chunk = list(islice(rows, 1000))`, `for row in chunk:`: what "Commit this loop in batches"
 * writes, so a later fix pass still sees the loop's rows as the model's).
 */
function rowsOf(name: string, unit: CodeUnit): Set<string> {
  const rows = new Set<string>();
  const held = new Set<string>();
  const holds = (n: Node | null): boolean => {
    if (!n) return false;
    if (chainRoot(n)?.text === name) return true;
    if (n.type === 'identifier') return held.has(n.text);
    if (n.type !== 'call' || !PASS_ROWS.has(n.childForFieldName('function')?.text ?? '')) return false;
    const first = n.childForFieldName('arguments')?.namedChildren[0] ?? null;
    return holds(first);
  };
  // Twice: a name may be bound below the loop that reads it only in source order, not in run order.
  for (let pass = 0; pass < 2; pass++) {
    walkUnit(unit, ['for_statement', 'assignment'], (n) => {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (left?.type !== 'identifier') return;
      if (n.type === 'for_statement') {
        if (holds(right)) rows.add(left.text);
        return;
      }
      const last = right?.type === 'call' ? right.childForFieldName('function') : null;
      const one = last?.type === 'attribute' && /^(get|first|last|earliest|latest|create)$/.test(last.childForFieldName('attribute')?.text ?? '');
      if (one && chainRoot(right as Node)?.text === name) rows.add(left.text);
      else if (holds(right)) held.add(left.text);
    });
  }
  return rows;
}

/**
 * Whether the unit hands what it reads through `from` (the class, or rows of it: a loop's variable
 * over an expression naming it, a name assigned one) to a call on `to` (`Token.objects.get_or_create(user=user)`,
 * `Token(user=user)`): a historical row given to today's model raises ValueError.
 */
export function handsRowsTo(unit: CodeUnit, from: string | Node, to: string): boolean {
  const names = (n: Node | null): string[] => (!n ? [] : n.type === 'identifier' ? [n.text] : n.descendantsOfType('identifier').map((i) => i.text));
  const tainted = new Set(typeof from === 'string' ? [from] : []);
  // `from` as a node: the expression itself, written inline (`for user in get_user_model().objects.all()`).
  const reads = (n: Node | null) => (typeof from !== 'string' && !!n && within(from, n)) || names(n).some((x) => tainted.has(x));
  for (let round = 0, grew = true; grew && round < 4; round++) {
    grew = false;
    for (const n of unit.node.descendantsOfType(['for_statement', 'for_in_clause', 'assignment'])) {
      const source = n.childForFieldName('right');
      if (!reads(source)) continue;
      for (const x of names(n.childForFieldName('left'))) if (!tainted.has(x)) grew = tainted.add(x).size > 0;
    }
  }
  return unit.node.descendantsOfType('call').some((call) => {
    const fn = call.childForFieldName('function');
    let root = fn;
    while (root && (root.type === 'attribute' || root.type === 'call')) root = root.type === 'attribute' ? root.childForFieldName('object') : root.childForFieldName('function');
    return root?.type === 'identifier' && root.text === to && reads(call.childForFieldName('arguments'));
  });
}

/** Whether the project view says the imported class was never a model of its app; without the view, it is asked for. */
export function notAModel(bare: ImportedModel, unit: CodeUnit, ctx: RuleContext): boolean {
  // Queried through a manager: a model (asking the view would only cost a second lint of the file).
  if (new RegExp(`(?<![\\w.])${bare.name}\\.(?:objects|_default_manager|_base_manager)\\b`).test(unit.node.text)) return false;
  // Never queried, and named as a package's options or meta class (django-parler's `ParlerOptions`,
  // built around models from apps.get_model: review 29, MetaDeploy `0063`).
  if (/(?:Options|Meta)$/.test(bare.model)) return true;
  if (!ctx.project) {
    ctx.needsView?.(`whether ${bare.model} is a model`);
    return false;
  }
  const label = appLabelOf(bare.module, ctx.project);
  return !!label && !!ctx.project.view?.neverAModel(ctx.project.file, label, bare.model);
}

/**
 * What a loop's names stand for, as the templates need it: the model of the rows a name holds (a
 * row got per iteration, a query bound in an outer loop), and an object the loop builds — from
 * which model, with its key or not, and whether the loop hands it on before a flush could save it.
 */
import { isHistoricalModel, onlyModelsAssigned } from '../historical-models';
import { modelCandidates } from './model-candidates';
import type { Scope } from '../scope';
import type { LoopFacts } from '../code-facts';
import { boundIn, soleAssignedValue } from './name-binding';
import { callArguments, chainRoot, functionAround, unparen, walk, type Node } from '../syntax';
import { chainOf, iterableChain, modelNames, oneLine } from './loop-chain';

/**
 * The database a save() that inserts writes to, as a manager's suffix: '' for the default (plainInsertSave),
 * `.using(alias)` for `save(using=alias)` (review 74: frepple `common/0022` saves each new Comment so; a
 * bulk_create through `.using(alias)` writes the same database); null for other arguments.
 */
export function insertDatabase(call: Node): string | null {
  const args = callArguments(call);
  if (args.positional.length > 0 || args.hasSplat) return null;
  const using = args.keywords.get('using');
  for (const [name, value] of args.keywords) if (name !== 'using' && (name !== 'force_insert' || value.text !== 'True')) return null;
  return using ? `.using(${oneLine(using.text)})` : '';
}

/**
 * A save() of a new object that bulk_create does just as well on the default database: no arguments, or only
 * `force_insert=True` (an INSERT either way; rdmo questions/0074). Another keyword (a mixin's own) is not
 * kept by bulk_create; `using=` is, through that database's manager (insertDatabase).
 */
export function plainInsertSave(call: Node): boolean {
  return insertDatabase(call) === '';
}

/**
 * The class a name is built from in the loop body: `obj = Comment(...)` -> Comment, or a name
 * bound to `apps.get_model(...)` (`bug = bug_model(**data)`); every assignment of the name builds that one model.
 */
export function constructedModel(body: Node, name: string, locals: Scope): { model: string; calls: Node[] } | null {
  let model: string | null = null;
  const calls: Node[] = [];
  let other = false;
  walk(body, (n) => {
    if (other) return false;
    if (n.type === 'assignment' && n.childForFieldName('left')?.text === name) {
      const right = n.childForFieldName('right');
      const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
      // Built in each branch of an `if` is fine, as long as every build is of one model.
      if (right && fn?.type === 'identifier' && (/^[A-Z]/.test(fn.text) || isHistoricalModel(fn.text, locals)) && (model === null || model === fn.text)) {
        model = fn.text;
        calls.push(right);
      } else other = true;
    }
    return true;
  });
  return model && !other ? { model, calls } : null;
}

/**
 * Whether the loop body uses the object it builds and saves (`obj = Model(...)`, `obj.save()`) other
 * than by building it, setting its attributes, saving it and testing it (`if not obj:`): handed on
 * (`child.parent = obj`, `Child(parent=obj)`, `obj.tags.add(...)`), it needs the primary key that a
 * batched save sets only at the flush, and bulk_create refuses a row whose related object is unsaved
 * (tendenci `jobs/0003` builds a category and makes it the parent of the next one).
 */
export function builtObjectUsed(body: Node, name: string, save: Node, from = 0): boolean {
  let used = false;
  walk(body, (n) => {
    if (used) return false;
    // Before `from`, the name still holds the loop's row (`hvc = HVC(code=hvc["code"])`).
    if (n.type !== 'identifier' || n.text !== name || n.startIndex < from) return true;
    const p = n.parent;
    if (!p) return true;
    // Not the name at all: `x.obj`, `Model(obj=...)`.
    if (p.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) return true;
    if (p.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id) return true;
    // obj = Model(...)
    if (p.type === 'assignment' && p.childForFieldName('left')?.id === n.id) return true;
    if (p.type === 'attribute' && p.childForFieldName('object')?.id === n.id) {
      const up = p.parent;
      // obj.field = value; obj.save()
      if (up?.type === 'assignment' && up.childForFieldName('left')?.id === p.id) return true;
      if (up?.type === 'call' && up.id === save.id) return true;
      // obj.field read: a value the loop set itself; not the key, nor a related manager (`obj.tags.add()`).
      const attribute = p.childForFieldName('attribute')?.text;
      if (attribute !== 'pk' && attribute !== 'id' && up?.type !== 'call' && up?.type !== 'attribute') return true;
    }
    // if obj: / if not obj: / obj is None
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'not_operator' || p.type === 'boolean_operator') return true;
    if (p.type === 'comparison_operator' && p.namedChildren.some((c) => c.type === 'none')) return true;
    used = true;
    return false;
  });
  return used;
}

/**
 * save() of an object built with its primary key updates the row when it exists; bulk_create only
 * inserts. Why no bulk_create is written when the constructor may pass one (`**data`, `pk=`, `id=`),
 * unless the save is `save(force_insert=True)` (`save`: that call); null otherwise.
 */
export function keyRefusal(construct: Node, save?: Node): string | null {
  // save(force_insert=True) inserts only, as bulk_create does: nothing changes.
  if (save && callArguments(save).keywords.get('force_insert')?.text === 'True') return null;
  const args = callArguments(construct);
  if (!args.hasSplat && !args.keywords.has('pk') && !args.keywords.has('id')) return null;
  // Review 21 (kiwi testcases/0011): the reverse rebuilt rows that still existed from a backup's
  // `**data`; its save() updated them, bulk_create() failed on their keys. A marked line was no fix.
  const given = args.keywords.has('pk') ? 'pk=' : args.keywords.has('id') ? 'id=' : '**';
  return `the object is built with ${given === '**' ? 'keywords that may hold' : given} its primary key: its save() updates the row where it exists, bulk_create() would insert it again`;
}

/**
 * The model of the queryset a loop walks through a name bound in a loop around it (`tests =
 * Test.objects.filter(…)` in the outer loop's body, `for test in tests:`; DefectDojo
 * `db_migrations/0131`), when every binding of the name in `scope` is a chain of that one model;
 * else null. Such a name is bound once per outer row, so the scope does not hold it.
 */
export function queryModel(scope: Node, name: string, locals: Scope): string | null {
  const isModel = modelNames(locals);
  let model: string | null = null;
  let ok = true;
  walk(scope, (n) => {
    if (!ok) return false;
    if (n.type === 'assignment' || n.type === 'augmented_assignment' || n.type === 'for_statement' || n.type === 'named_expression') {
      const left = n.childForFieldName(n.type === 'named_expression' ? 'name' : 'left');
      if (left?.type === 'identifier' && left.text === name && n.type === 'assignment') {
        const right = n.childForFieldName('right');
        // `rows = list(Model.objects.filter(…))`: the rows as they are (review 54: experimenter `0288`).
        const chain = right ? chainOf(passedThrough(unparen(right)), isModel) : null;
        if (!chain || (model !== null && model !== chain.model)) ok = false;
        else model = chain.model;
      } else if (left && left.type !== 'identifier' && left.descendantsOfType('identifier').some((i) => i.text === name)) ok = false;
      else if (left?.text === name && n.type !== 'assignment') ok = false;
    }
    return true;
  });
  return ok ? model : null;
}

/** Queryset methods that read one row of its model and write nothing. */
export const ROW_READERS: ReadonlySet<string> = new Set(['get', 'first', 'last', 'earliest', 'latest']);
/** Queryset methods that return one row of its model (or a row and a flag). */
const ROW_GETTERS: ReadonlySet<string> = new Set([...ROW_READERS, 'create', 'get_or_create', 'update_or_create']);

/**
 * The model of the rows a name is bound to in the loop's body (`role, created =
 * Role.objects.get_or_create(…)`, `tag = Tag.objects.get(…)`), when every binding says the same
 * one; else null. `getters`: the methods a binding may call (all that return a row, by default).
 */
export function boundModel(body: Node, name: string, locals: Scope, getters: ReadonlySet<string> = ROW_GETTERS): string | null {
  const isModel = modelNames(locals);
  let model: string | null = null;
  for (const a of body.descendantsOfType('assignment')) {
    const left = a.childForFieldName('left');
    // The names it binds (`row.x = …` and `row[k] = …` bind none).
    const bound = left?.type === 'identifier' ? [left] : left?.type === 'pattern_list' || left?.type === 'tuple_pattern' ? left.namedChildren : [];
    if (bound[0]?.type !== 'identifier' || bound[0].text !== name) {
      if (bound.some((n) => n.type === 'identifier' && n.text === name)) return null;
      continue;
    }
    // `Role.objects.filter(…).get(…)`: a row of the queryset's model.
    const right = a.childForFieldName('right');
    const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
    const qs = method && getters.has(method) ? fn?.childForFieldName('object') : null;
    // `audits = Audit.objects.filter(…)`, then `first = audits.first()`: the queryset bound once, in the body.
    const named = qs?.type === 'identifier' && !isModel(qs.text) ? soleAssignedValue(body, qs.text) : null;
    const chain = qs ? (chainOf(qs, isModel) ?? (named ? chainOf(named, isModel) : null)) : null;
    if (!chain || (model !== null && model !== chain.model)) return null;
    model = chain.model;
  }
  return model;
}

/** The model of the rows a loop walks: its header's chain, or a name bound to one (queryModel). */
export function rowModelOf(loop: LoopFacts, locals: Scope): string | null {
  const walked = iterableChain(loop.iterable, locals)?.chain.model;
  if (walked) return walked;
  // `for i, org in enumerate(Organization.objects.all())`: the rows are the second name's (review 56: seed
  // `orgs/0030`); the header is left as it is written (no iterator() is added inside enumerate()).
  const counted = enumerated(loop);
  const inner = counted ? iterableChain(counted, locals)?.chain.model : null;
  if (inner) return inner;
  let fn: Node | null = loop.node.parent;
  while (fn && fn.type !== 'function_definition' && fn.type !== 'lambda') fn = fn.parent;
  const iterable = counted ? passedThrough(counted) : loop.iterable ? passedThrough(unparen(loop.iterable)) : null;
  const named = iterable?.type === 'identifier' ? iterable.text : null;
  return fn && named ? (queryModel(fn, named, locals) ?? reachingQueryModel(loop, named, locals)) : null;
}

/**
 * The rows of a loop over a reverse accessor of an outer loop's row, as `Organization.columnmappingprofile_set`
 * (reverseRows): a name for the project view to answer, never code to write.
 */
export function reverseRowModel(loop: LoopFacts, locals: Scope): string | null {
  const iterable = loop.iterable ? passedThrough(unparen(loop.iterable)) : null;
  return iterable ? reverseRows(loop, iterable, locals) : null;
}

/** Queryset methods that keep the rows of the model they are called on. */
const KEEPS_MODEL = /^(?:all|filter|exclude|order_by|select_related|prefetch_related|iterator|distinct|only|defer|using)$/;

/**
 * `for prof in org.columnmappingprofile_set.filter(…)` inside a loop over Organization rows (or over a
 * name the loop's block binds so just before): the rows of the model that reverse accessor walks back,
 * named `Organization.columnmappingprofile_set` for the project view to answer (review 56: seed `0169`).
 */
function reverseRows(loop: LoopFacts, iterable: Node, locals: Scope): string | null {
  let expr: Node | null = iterable.type === 'identifier' ? valueReachingLoop(loop, iterable.text) : iterable;
  while (expr && expr.type === 'call') {
    const fn = expr.childForFieldName('function');
    if (fn?.type !== 'attribute' || !KEEPS_MODEL.test(fn.childForFieldName('attribute')?.text ?? '')) return null;
    expr = unparen(fn.childForFieldName('object') as Node);
  }
  const accessor = expr?.type === 'attribute' ? expr.childForFieldName('attribute')?.text : undefined;
  const owner = expr?.type === 'attribute' ? expr.childForFieldName('object') : null;
  if (!accessor || !/^\w+_set$/.test(accessor) || owner?.type !== 'identifier') return null;
  for (let outer = loop.parent; outer; outer = outer.parent) {
    if (!outer.targets.includes(owner.text)) continue;
    const model = outer.kind === 'for' ? rowModelOf(outer, locals) : null;
    return model && /^[A-Za-z_]\w*$/.test(model) ? `${model}.${accessor}` : null;
  }
  return null;
}

/**
 * The model of the query a name holds where the loop starts, when the name is bound more than once
 * in the function (`objs = PropertyState.objects.filter(…)`, a loop, then `objs = TaxLotState…` and
 * another loop: review 56, seed `0115`): the nearest statement before the loop, in its own block,
 * that binds the name, when it binds it to a query and nothing between them or in the loop binds it.
 */
function reachingQueryModel(loop: LoopFacts, name: string, locals: Scope): string | null {
  const right = valueReachingLoop(loop, name);
  return right ? (chainOf(passedThrough(unparen(right)), modelNames(locals))?.model ?? null) : null;
}

/**
 * The value of `name = …`, the nearest statement before the loop in its own block that binds the name,
 * when it is such an assignment and nothing between them or in the loop binds the name; else null.
 */
function valueReachingLoop(loop: LoopFacts, name: string): Node | null {
  const body = loop.node.childForFieldName('body');
  if (body && boundIn(body, name)) return null;
  for (let prev = loop.node.previousNamedSibling; prev; prev = prev.previousNamedSibling) {
    const a = prev.type === 'expression_statement' ? prev.firstNamedChild : null;
    const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
    if (left?.type === 'identifier' && left.text === name) return a?.childForFieldName('right') ?? null;
    if (boundIn(prev, name)) return null;
  }
  return null;
}

/** The argument of `enumerate(x)` a `for i, row in …` loop walks (one argument, or a start), else null. */
function enumerated(loop: LoopFacts): Node | null {
  const it = loop.iterable ? unparen(loop.iterable) : null;
  const left = loop.node.type === 'for_statement' ? loop.node.childForFieldName('left') : null;
  if (it?.type !== 'call' || it.childForFieldName('function')?.text !== 'enumerate') return null;
  if (!left || (left.type !== 'pattern_list' && left.type !== 'tuple_pattern') || left.namedChildren.length !== 2 || left.namedChildren.some((c) => c.type !== 'identifier')) return null;
  const first = it.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'comment')[0];
  return first && first.type !== 'keyword_argument' && first.type !== 'list_splat' ? unparen(first) : null;
}

/** Calls that hand back the rows of their first argument as they are: a progress bar, a list of them. */
const ROWS_AS_THEY_ARE = /^(?:tqdm(?:\.tqdm)?|list|iter|sorted|reversed)$/;

/** `tqdm(notes, unit=" notes")`, `list(notes)` → `notes`; anything else as it is (review 52: seqr `0003`). */
function passedThrough(n: Node): Node {
  if (n.type !== 'call' || !ROWS_AS_THEY_ARE.test(n.childForFieldName('function')?.text ?? '')) return n;
  const first = n.childForFieldName('arguments')?.namedChildren[0];
  return first && first.type !== 'keyword_argument' && first.type !== 'list_splat' ? unparen(first) : n;
}

/**
 * The loop's variable made a new instance by a statement of the loop body itself, before `write`
 * (`for hvc in rows: hvc = HVC(code=hvc["code"]); hvc.save()`, data-hub-api `export_win/0036`,
 * review 25): every such write saves a new row, an INSERT.
 */
export function rebuiltFirst(loop: LoopFacts, name: string, write: Node): Node | null {
  const body = loop.node.type === 'for_statement' ? loop.node.childForFieldName('body') : null;
  return (
    body?.namedChildren.find((stmt) => {
      const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
      const right = a?.type === 'assignment' && a.childForFieldName('left')?.text === name ? a.childForFieldName('right') : null;
      return !!right && right.type === 'call' && /^[A-Z]/.test(right.childForFieldName('function')?.text.split('.').pop() ?? '') && stmt.endIndex <= write.startIndex;
    }) ?? null
  );
}

/**
 * The model whose new, unsaved instances the loop walks: `for key, row in rows.items()` (or
 * `.values()`) over `rows = defaultdict(Model)` (review 27, adhocracy-plus `projects/0006`: each
 * `insight.save()` is an INSERT). Null otherwise.
 */
export function factoryModel(loop: LoopFacts, locals: Scope): string | null {
  let n = loop.iterable ? unparen(loop.iterable) : null;
  const fn = n?.type === 'call' ? n.childForFieldName('function') : null;
  if (fn?.type === 'attribute' && /^(?:items|values)$/.test(fn.childForFieldName('attribute')?.text ?? '')) n = fn.childForFieldName('object');
  const bound = n?.type === 'identifier' ? locals.lookup(n.text) : null;
  const value = bound?.kind === 'value' ? unparen(bound.node) : null;
  if (value?.type !== 'call' || !/^(?:collections\.)?defaultdict$/.test(value.childForFieldName('function')?.text ?? '')) return null;
  const factory = callArguments(value).positional[0];
  return factory?.type === 'identifier' && isHistoricalModel(factory.text, locals) ? factory.text : null;
}

/**
 * The name of the model class the loop's rows come from (`model.objects.all()`) when the function binds
 * it only to `apps.get_model(…)` calls, as a loop over model names does; null otherwise.
 */
export function pickedModel(loop: LoopFacts): string | null {
  const fn = functionAround(loop.node);
  let root = loop.iterable ? chainRoot(unparen(loop.iterable)) : null;
  if (!fn || root?.type !== 'identifier') return null;
  // `qs = model_class.objects.filter(…)`, then `for row in qs:` (review 75: ynr `sopn_parsing/0008`).
  if (!onlyModelsAssigned(root.text, fn)) {
    const value = soleAssignedValue(fn, root.text);
    const inner = value ? chainRoot(unparen(value)) : null;
    if (inner?.type === 'identifier' && inner.text !== root.text) root = inner;
  }
  // Bound only to get_model() calls, or a loop's name over model classes (`for model_class in (A, B):`).
  return onlyModelsAssigned(root.text, fn) || modelCandidates(loop.node, root.text).length > 0 ? root.text : null;
}

/**
 * `credit = transaction.credit`, the loop's row's foreign key followed, bound once in the loop: the
 * relation as `Transaction.credit`, which the project view answers with the model it points at (its
 * fields, what its save() stamps); null otherwise.
 */
export function reachedThrough(body: Node, name: string, loop: LoopFacts, locals: Scope): string | null {
  const model = rowModelOf(loop, locals);
  if (!model || !/^[A-Za-z_]\w*$/.test(model)) return null;
  const right = soleAssignedValue(body, name);
  const owner = right?.type === 'attribute' ? right.childForFieldName('object') : null;
  const field = right?.type === 'attribute' ? right.childForFieldName('attribute')?.text : undefined;
  return owner?.type === 'identifier' && loop.targets.includes(owner.text) && field ? `${model}.${field}` : null;
}

/**
 * Whether `name` holds an object the loop's row loads by its own key (`Audit.objects.filter(
 * target_object_id=case.id).first()`, also through a queryset bound once in the body: review 70,
 * lite-api `audit_trail/0001`): rows of different keys get different objects.
 */
export function loadedByOwnKey(body: Node, name: string, targets: readonly string[], depth = 0): boolean {
  const ownKey = new Set(targets.flatMap((t) => [`${t}.pk`, `${t}.id`, t]));
  let cur: Node | null = depth > 2 ? null : soleAssignedValue(body, name);
  let keyed = false;
  while (cur && (cur.type === 'call' || cur.type === 'attribute')) {
    if (cur.type === 'call') {
      const method = cur.childForFieldName('function')?.childForFieldName('attribute')?.text ?? '';
      if (method === 'filter' || method === 'get') {
        for (const kw of cur.childForFieldName('arguments')?.namedChildren ?? []) {
          const key = kw.type === 'keyword_argument' ? (kw.childForFieldName('name')?.text ?? '') : '';
          const value = kw.childForFieldName('value');
          const field = key.endsWith('__exact') ? key.slice(0, -7) : key;
          if (/^[A-Za-z_]\w*$/.test(field) && !field.includes('__') && value && ownKey.has(value.text)) keyed = true;
        }
      } else if (!/^(?:first|last|latest|earliest|order_by|select_related|only|defer|using|all)$/.test(method)) return false;
      cur = cur.childForFieldName('function');
    } else cur = cur.childForFieldName('object');
  }
  if (keyed) return true;
  // `audits = Audit.objects.filter(…)`, then `first = audits.first()`.
  return cur?.type === 'identifier' && !/^[A-Z]/.test(cur.text) && loadedByOwnKey(body, cur.text, targets, depth + 1);
}


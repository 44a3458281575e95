/**
 * "Batch this loop" for a loop that updates each row through a queryset of its own
 * (`BuildConfig.objects.filter(pk=config.id).update(data_hash=h)`: one UPDATE per row, review
 * of the bench trees: readthedocs `builds/0068`, kitsune `groups/0006`, baserow `automation/0017`).
 *
 * The update becomes "collect an object that carries the row's key and the new values", and the
 * flush one bulk_update() of those fields through the same queryset: bulk_update() filters the
 * queryset by the batch's keys and writes one CASE per field, so a queryset that leaves rows out
 * leaves them out still, and a field it is not given keeps its value, as with update().
 *
 * The object is the loop's own row where that is the same thing: the row is an instance of the
 * model the update writes, read from a queryset (each row its own object), never rebound, and the
 * loop reads none of the updated fields of it afterwards (update() left the row's attributes as they
 * were; assigning them would not). Otherwise a new `Model(pk=key, field=value)` carries them.
 *
 * A foreign key takes an object on a model instance, where update() also takes a key: a relation
 * field is rewritten only when its value is None or reads as a key (`x.pk`, `x.id`, `x_id`, then
 * written as `field_id`), else refused; without the model's fields a marked line says so.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { ModelFields } from '../project/view';
import type { Scope } from '../scope';
import { callArguments, functionAround, unparen, within, type Node } from '../syntax';
import { boundNames, references } from './inline-helper';
import { chainOf, iterableChain, modelNames, oneLine } from './loop-chain';
import { rowModelOf } from './loop-objects';
import { MARK, usesLoopNames } from './loop-reading';
import { mayRepeatRows } from './repeated-rows';

export interface RowUpdate {
  /** What the batch collects. */
  item: string;
  /** Lines before the append (the values set on the row). */
  pre: string[];
  /** The queryset the flush calls bulk_update() on (the update's, without its key filter). */
  queryset: string;
  /** The model the update writes, as the code names it. */
  model: string;
  /** The fields the update sets, as bulk_update() names them. */
  fields: string[];
  /** The batch as bulk_update() gets it (`%B%` stands for the batch's name): the last copy of each key. */
  rows: string;
  notes: string[];
}

const PLAIN_NAME = /^[A-Za-z_]\w*$/;

/** `F("field")` / `models.F("field")` itself, not combined into an expression. */
function plainF(v: Node): boolean {
  return v.type === 'call' && /^(?:models\.)?F$/.test(v.childForFieldName('function')?.text ?? '');
}
/** Callable defaults that only make a value: building an object runs them harmlessly. */
const PURE_DEFAULTS = new Set(['dict', 'list', 'set', 'tuple', 'str', 'int', 'now', 'today', 'uuid1', 'uuid4']);
const KEY_FILTER = /^(?:pk|id)(?:__exact)?$/;

/** A value that reads as a primary key (`user.pk`, `user.id`, `user_id`, `row["id"]`). */
function readsAsKey(text: string): boolean {
  const t = text.replace(/\s+/g, '');
  return /(?:\.(?:pk|id)|_id|\[(["'])(?:pk|id)\1\])$/.test(t);
}

/** Whether `row` is read after `stmt` in the loop body other than through an attribute that is not in `fields` and not called. */
function readAfter(body: Node, row: string, stmt: Node, fields: ReadonlySet<string>): boolean {
  for (const id of references(body)) {
    if (id.text !== row || id.startIndex < stmt.endIndex) continue;
    const attr = id.parent?.type === 'attribute' && id.parent.childForFieldName('object')?.id === id.id ? id.parent : null;
    if (!attr) return true;
    const name = attr.childForFieldName('attribute')?.text ?? '';
    if (fields.has(name) || fields.has(name.replace(/_id$/, '')) || fields.has(`${name}_id`)) return true;
    if (attr.parent?.type === 'call' && attr.parent.childForFieldName('function')?.id === attr.id) return true;
    // `row.refresh_from_db`, `row.save` and the like passed on, or a relation read further.
    if (attr.parent?.type === 'attribute' && ['save', 'refresh_from_db', 'delete'].includes(name)) return true;
  }
  return false;
}

/** Calls that only compute a value: a loop that makes no other may be batched through a queryset of a model it cannot name. */
const PURE_CALLS = new Set(['str', 'int', 'float', 'bool', 'len', 'min', 'max', 'abs', 'round', 'sorted', 'list', 'tuple', 'dict', 'set', 'enumerate', 'range', 'zip', 'isinstance', 'print', 'format', 'repr']);

/**
 * The update's queryset when it is a name the function binds once to a queryset
 * (`draft_pages = Page.objects.using(alias).filter(...)`, djangocms `cms/0019`): the model the
 * binding names, if any. Null when the queryset is not a plain name; a string says why a named one
 * cannot be batched: the loop rebinds it, or uses it besides the updates (a batch would change what
 * such a use reads); for a model it cannot name, the loop calls anything but plain functions of
 * values (a helper handed the model may read what waits in the batch, djangocms `cms/0024`).
 */
function boundQueryset(base: Node, w: WriteCall, body: Node, locals: Scope): { model: string | null } | string | null {
  const expr = unparen(base);
  if (expr.type !== 'identifier') return null;
  const name = expr.text;
  if (boundNames(body).has(name)) return `the loop rebinds ${name}, the queryset it updates through`;
  const binding = locals.lookup(name);
  // Bound once in the function, maybe in an enclosing loop (`plugins = …` per language): the same queryset all through this loop.
  const value = binding?.kind === 'value' ? binding.node : onlyAssignment(body, name);
  if (!value || value.parent?.type !== 'assignment' || !['call', 'attribute'].includes(value.type)) return null;
  const updates = (id: Node) => {
    for (let n: Node | null = id.parent; n && n.id !== body.id; n = n.parent) if (n.type === 'call' && n.childForFieldName('function')?.childForFieldName('attribute')?.text === 'update' && n.text.startsWith(`${name}.filter(`)) return true;
    return false;
  };
  if (references(body).some((id) => id.text === name && !updates(id))) return `the loop also queries ${name}, the queryset it updates through: until a flush it would not see the rows batched so far`;
  const model = chainOf(value, () => true)?.model ?? null;
  const known = model && PLAIN_NAME.test(model) ? model : null;
  if (!known) {
    const other = body.descendantsOfType('call').find((c) => c.id !== w.call.id && !within(c, w.call) && !(c.childForFieldName('function')?.type === 'identifier' && PURE_CALLS.has(c.childForFieldName('function')?.text ?? '')) && !updates(c));
    if (other) return `it updates through ${name}, whose model the template cannot name, and the loop calls ${oneLine(other.childForFieldName('function')?.text ?? 'a function')}(), which may read what waits in a batch`;
  }
  return { model: known };
}

/** The value of the one assignment to `name` in the function around `body` when nothing else there binds it; null otherwise. */
function onlyAssignment(body: Node, name: string): Node | null {
  const fn = functionAround(body);
  const block = fn?.childForFieldName('body');
  if (!block) return null;
  const assignments = block.descendantsOfType('assignment').filter((a) => a.childForFieldName('left')?.type === 'identifier' && a.childForFieldName('left')?.text === name);
  const [only] = assignments;
  if (assignments.length !== 1 || !only || within(only, body) || boundNames(block, only).has(name)) return null;
  return only.childForFieldName('right');
}

/** The rewrite of one own-row update, or why there is none. */
export function rowUpdateRewrite(w: WriteCall, stmt: Node, loop: LoopFacts, body: Node, locals: Scope, known: ((model: string) => ModelFields | null) | undefined, django: readonly [number, number] = [4, 2]): RowUpdate | string {
  const fn = w.call.childForFieldName('function');
  const filter = fn?.childForFieldName('object') ? unparen(fn.childForFieldName('object') as Node) : null;
  const shape = 'it updates each row through a queryset the template cannot read (only `Model.objects.filter(pk=row.pk).update(field=value)` is batched)';
  if (filter?.type !== 'call' || filter.childForFieldName('function')?.childForFieldName('attribute')?.text !== 'filter') return shape;
  const fa = callArguments(filter);
  const [keyed] = [...fa.keywords];
  if (fa.positional.length > 0 || fa.hasSplat || fa.keywords.size !== 1 || !keyed || !KEY_FILTER.test(keyed[0])) return shape;
  const keyNode = keyed[1];
  const base = filter.childForFieldName('function')?.childForFieldName('object') ?? null;
  if (!base) return shape;
  const named = boundQueryset(base, w, body, locals);
  if (typeof named === 'string') return named;
  const chain = named ? null : chainOf(base, modelNames(locals));
  if (!named && !chain) return shape;
  // A slice of the queryset cannot be filtered again; a queryset picked per row has no one flush.
  for (let n: Node | null = unparen(base); n && (n.type === 'call' || n.type === 'attribute' || n.type === 'subscript'); n = n.type === 'call' ? n.childForFieldName('function') : n.type === 'attribute' ? n.childForFieldName('object') : null) {
    if (n.type === 'subscript') return 'it updates each row through a slice of a queryset, which bulk_update() cannot filter';
  }
  if (usesLoopNames(base, loop, body)) return 'it updates each row through a queryset the loop picks per row';
  // A queryset bound to a name of a model the code does not name (`plugins = placeholder.cmsplugin_set.filter(…)`): its `.model`.
  const model = named ? (named.model ?? `${base.text}.model`) : (chain?.model ?? '');
  if (!PLAIN_NAME.test(model) && !(named && !named.model)) return shape;
  const args = callArguments(w.call);
  if (args.positional.length > 0 || args.hasSplat || args.keywords.size === 0) return 'update() takes arguments that cannot be read as fields';
  const fieldsOf = known?.(model) ?? null;
  const values: Array<[string, string]> = [];
  const notes: string[] = [];
  for (const [name, value] of args.keywords) {
    if (name.includes('__')) return `update() sets ${name}, which is not a field`;
    const spec = fieldsOf?.fields.get(name);
    if (name === 'pk' || name === 'id' || spec?.primaryKey) return `update() sets ${name}, the primary key, which bulk_update() cannot`;
    const kind = spec?.relation?.kind;
    if (kind === 'many-to-many') return `update() sets ${name}, a many-to-many field`;
    // bulk_update() before Django 4.1 wraps a plain F() in Value() and writes it as text (Django ticket #33463).
    const [major, minor] = django;
    if (plainF(value) && (major < 4 || (major === 4 && minor < 1))) {
      return `update() sets ${name} to ${oneLine(value.text)}, a plain F(), which bulk_update() writes correctly only from Django 4.1 (the project runs ${major}.${minor})`;
    }
    if (kind && value.type !== 'none') {
      // On an instance a foreign key takes an object; update() takes its key too.
      if (!readsAsKey(value.text)) return `update() sets ${name}, a foreign key, to ${oneLine(value.text)}, which may be an object or its key: on a model instance only an object fits ${name} (a key fits ${name}_id)`;
      values.push([`${name}_id`, value.text]);
      continue;
    }
    values.push([name, value.text]);
  }
  // Without the model's fields, a value that may be a key (a name, an attribute, a call's result) may be one for a foreign key.
  const mayBeKey = (v: Node) => ['identifier', 'attribute', 'subscript', 'call'].includes(v.type) && !plainF(v);
  if (!fieldsOf && [...args.keywords.values()].some(mayBeKey)) notes.push(`${MARK} a foreign key set here to a key rather than an object must be named <field>_id on the object`);
  const fields = values.map(([k]) => k);
  const written = new Set(fields);
  const keyText = keyNode.text.replace(/\s+/g, '');
  const row = loop.targets.find((t) => keyText === `${t}.pk` || keyText === `${t}.id`);
  const walked = iterableChain(loop.iterable, locals);
  // A value computed from what the row holds (`F("hits") + 1`): each update of a row met twice adds
  // its change, a batch (one copy of each key) adds it once.
  const distinct = !!walked && !mayRepeatRows(walked.chain.expr, fieldsOf) && (loop.targets.includes(keyText) || !!row);
  const relative = values.find(([, v]) => /(?<![\w.])(?:models\.)?F\s*\(/.test(v));
  if (relative && !distinct) return `update() sets ${relative[0]} from the row's stored value (F()), and the loop may meet a row twice: each update adds its change, a batch would add it once`;
  const onRow =
    !!row &&
    !(named && !named.model) &&
    !!walked &&
    rowModelOf(loop, locals) === model &&
    !boundNames(body).has(row) &&
    !readAfter(body, row, stmt, written) &&
    !values.some(([, v]) => fields.some((f) => new RegExp(`(?<!\\w)${row}\\s*\\.\\s*${f.replace(/_id$/, '')}(?:_id)?(?!\\w)`).test(v)));
  if (onRow && row) {
    // Each row of a queryset that yields none twice is its own object: the batch is the rows as met.
    const rows = distinct ? '%B%' : 'list({row.pk: row for row in %B%}.values())';
    return { item: row, pre: values.map(([k, v]) => `${row}.${k} = ${v}`), queryset: oneLine(base.text), model, fields, rows, notes };
  }
  // A new object per update: building it runs the model's callable defaults for the fields it is not given.
  const callables = fieldsOf ? [...fieldsOf.fields].filter(([name, spec]) => !written.has(name) && spec?.default && typeof spec.default === 'object' && spec.default.kind === 'ref' && !PURE_DEFAULTS.has(spec.default.text.split('.').pop() ?? '')).map(([name]) => name) : [];
  if (callables.length > 0) notes.push(`${MARK} building ${model}(...) runs the default of ${callables.join(', ')} once per row; bulk_update() writes only ${fields.join(', ')}`);
  const item = `${model}(pk=${keyNode.text}, ${values.map(([k, v]) => `${k}=${v}`).join(', ')})`;
  return { item, pre: [], queryset: oneLine(base.text), model, fields, rows: 'list({row.pk: row for row in %B%}.values())', notes };
}

/**
 * A `get_or_create()` keyed by the loop's own row, for the split of deferred-create.ts:
 *
 *     for user in User.objects.all():
 *         prefs, created = Preferences.objects.get_or_create(user=user, defaults={"theme": "light"})
 *
 * A cache of look-ups would save nothing (every key is new). Instead each row builds the object
 * get_or_create would create, and per batch one query finds the objects that exist, one bulk_create
 * inserts the others (the first row of a key winning, as its get_or_create would), and the rest of
 * the loop gets the object of its row's key; a `created` flag it reads becomes whether that key was
 * in the table before the flush. Other look-up fields must be the same for every row (they go into
 * the query as written). Through a reverse foreign key's manager of the row
 * (`row.integrations.get_or_create(kind=…)`) the key is the link that manager sets.
 */
import type { LoopFacts } from '../code-facts';
import { multiTableRefusal, type MultiTable } from './multi-table';
import type { Scope } from '../scope';
import { callArguments, type Node } from '../syntax';
import type { Producer } from './deferred-create';
import { pythonString } from './edits';
import { defaultsAsKeywords, keywordTexts, MARK, mentions, relatedManager, usesLoopNames } from './loop-reading';
import { chainOf, modelNames, oneLine } from './loop-chain';

const PER_FLUSH = `${MARK} get_or_create() per row became one look-up and one bulk_create for each flush: a key not in the table yet gets the object built from its first row's defaults, as get_or_create would`;

/** Where the objects come from: how one is built, which attribute keys it, and through which manager the batch goes. */
interface Source {
  /** The expression that builds one object, given its keyword arguments. */
  build(keywords: string[]): string;
  /** The key's attribute name, given the pending list's name and the tuple index. */
  key(pending: string, index: number): string;
  manager(pending: string, index: number): string;
  /** Look-up fields the query takes as they are (the same for every row). */
  fixed: Array<[string, string]>;
  notes: string[];
  model: string | null;
}

/** The producer for such a call, or why there is none; null when the call is not of that shape. */
export function lookupByRow(call: Node, loop: LoopFacts, body: Node, fnNode: Node, locals: Scope, fresh: (base: string) => string, multiTable?: MultiTable): Producer | string | null {
  // `obj, created = …get_or_create(…)` or `obj = …get_or_create(…)[0]`.
  const indexed = call.parent?.type === 'subscript' && call.parent.childForFieldName('value')?.id === call.id && call.parent.childForFieldName('subscript')?.text === '0' ? call.parent : null;
  const value = indexed ?? call;
  const assign = value.parent;
  const stmt = assign?.parent;
  const left = assign?.childForFieldName('left');
  if (assign?.type !== 'assignment' || assign.childForFieldName('right')?.id !== value.id || stmt?.type !== 'expression_statement' || stmt.namedChildCount !== 1 || !left) return null;
  let object: Node | null | undefined = left;
  let flag: Node | null | undefined = null;
  if (!indexed) {
    if (!['pattern_list', 'tuple_pattern'].includes(left.type) || left.namedChildCount !== 2) return null;
    [object, flag] = left.namedChildren;
    if (flag?.type !== 'identifier') return null;
  }
  if (object?.type !== 'identifier') return null;
  const flagName = flag?.text ?? '_';
  // The created flag, when read, is set per row: whether its key was in the table before the flush
  // (the key is the row, so no two rows of a batch share it). Only inside the loop, where it is set.
  const flagRead = flagName !== '_' && mentions(flagName, fnNode.text) > 1;
  if (flagRead && mentions(flagName, fnNode.text) !== mentions(flagName, body.text)) return "the function reads get_or_create()'s created flag outside the loop";
  const kw = keywordTexts(call);
  const lookup = kw?.filter(([k]) => k !== 'defaults') ?? [];
  const recv = call.childForFieldName('function')?.childForFieldName('object');
  if (!kw || !recv || lookup.some(([k]) => k.includes('__'))) return null;
  const args = callArguments(call);
  const defaults = args.keywords.get('defaults');
  const perRow = (fields: Array<[string, string]>) => fields.some(([k]) => usesLoopNames(args.keywords.get(k) as Node, loop, body));

  const source = relatedSource(recv, loop, locals, lookup) ?? modelSource(recv, loop, body, locals, lookup, perRow);
  if (source === null || typeof source === 'string') return source;
  if (perRow(source.fixed)) return null;
  const mti = source.model ? multiTable?.(source.model) : false;
  if (source.model && mti) return multiTableRefusal(source.model, mti);

  const name = object.text;
  const slug = name.replace(/^_+/, '') || 'row';
  const key = fresh(`${slug}_key`);
  const found = fresh(`found_${slug}`);
  const missing = fresh(`missing_${slug}`);
  const existing = flagRead ? fresh(`existing_${slug}`) : '';
  const filter = source.fixed.map(([k, v]) => `${k}=${oneLine(v)}, `).join('');
  return {
    stmt,
    target: object,
    name,
    build: `${name} = ${source.build([...lookup.map(([k, v]) => `${k}=${oneLine(v)}`), ...(defaults ? defaultsAsKeywords(defaults).map(oneLine) : [])])}`,
    flush: (p, i, step) => [
      `${key} = ${source.key(p, i)}`,
      `${missing} = {}`,
      `for item in ${p}:`,
      `${step}${missing}.setdefault(getattr(item[${i}], ${key}), item[${i}])`,
      `${found} = {getattr(obj, ${key}): obj for obj in ${source.manager(p, i)}.filter(${filter}**{${key} + "__in": list(${missing})})}`,
      `${source.manager(p, i)}.bulk_create([obj for k, obj in ${missing}.items() if k not in ${found}])`,
      ...(flagRead ? [`${existing} = set(${found})`] : []),
      `${found} = {**${missing}, **${found}}`,
    ],
    unpack: [...(flagRead ? [`${flagName} = getattr(${name}, ${key}) not in ${existing}`] : []), `${name} = ${found}[getattr(${name}, ${key})]`],
    notes: [PER_FLUSH, ...source.notes],
    model: source.model,
    recv,
  };
}

/** `row.integrations`, a reverse foreign key's manager of the loop's row: keyed by the link it sets. Null otherwise. */
function relatedSource(recv: Node, loop: LoopFacts, locals: Scope, lookup: Array<[string, string]>): Source | null {
  const owner = recv.type === 'attribute' ? recv.childForFieldName('object') : null;
  if (owner?.type !== 'identifier' || !loop.targets.includes(owner.text) || !relatedManager(recv, locals)) return null;
  // The key is read from the first row's manager, at index 0 of each pending tuple.
  if (loop.node.childForFieldName('left')?.type !== 'identifier') return null;
  const rel = oneLine(recv.text);
  const attr = recv.childForFieldName('attribute')?.text ?? '';
  return {
    build: (keywords) => `${rel}.model(**{${rel}.field.name: ${owner.text}}${keywords.map((k) => `, ${k}`).join('')})`,
    key: (p) => `${p}[0][0].${attr}.field.attname`,
    manager: (p, i) => `type(${p}[0][${i}])._default_manager`,
    fixed: lookup,
    notes: [`${MARK} ${rel} must be a reverse foreign key's manager: a many-to-many or generic relation's has no .field and raises here`],
    model: null,
  };
}

/** `Model.objects.get_or_create(field=row, …)`: keyed by the one look-up field that is the row. */
function modelSource(recv: Node, loop: LoopFacts, body: Node, locals: Scope, lookup: Array<[string, string]>, perRow: (fields: Array<[string, string]>) => boolean): Source | string | null {
  const byRow = lookup.filter(([, v]) => loop.targets.some((t) => new RegExp(`^${t}(?:\\.(?:pk|id))?$`).test(oneLine(v))));
  const only = byRow[0];
  if (byRow.length !== 1 || !only) return null;
  const [field] = only;
  const fixed = lookup.filter(([k]) => k !== field);
  if (perRow(fixed)) return null;
  const chain = chainOf(recv, modelNames(locals));
  if (!chain || chain.manager !== oneLine(recv.text) || usesLoopNames(recv, loop, body)) return 'it creates through a related manager or a model the loop picks per row';
  return {
    build: (keywords) => `${chain.model}(${keywords.join(', ')})`,
    // get_field() knows no `pk` alias (review 53: askbot `0006`, FieldDoesNotExist): the primary key is `_meta.pk`.
    key: () => (field === 'pk' ? `${chain.model}._meta.pk.attname` : `${chain.model}._meta.get_field(${pythonString(field)}).attname`),
    manager: () => chain.manager,
    fixed,
    notes: [],
    model: chain.model,
  };
}

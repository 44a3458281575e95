/**
 * `row.groups.add(group)` in a save loop, batched: each call becomes the through rows it would
 * insert (`ContactGroups(contact_id=row.pk, contactgroup_id=…)`), collected and inserted N at a time
 * with `bulk_create(ignore_conflicts=True)`, which skips a link that exists as add() does. Only
 * where the project view names the join table's keys (m2m-link.ts) and a unique constraint covers
 * them; add() with through_defaults, set() (it also removes links), a relation of an object other
 * than the loop's row, and a loop that reads the relation it adds to are left as written.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { ManyToManyLink } from '../project/m2m-link';
import type { ModelFields } from '../project/view';
import type { Binding } from '../scope';
import { unparen, walk, type Node } from '../syntax';
import { oneLine } from './loop-chain';

export interface LinkRewrite {
  /** What the statement becomes before the flush check: an append or an extend of the batch (`%B%`). */
  collect: string;
  /** The sink's key: one batch per relation. */
  key: string;
  /** The statement that inserts a batch (`%B%`). */
  flush: string;
  /** The line that names the through model, above the loop. */
  note: string;
}

export interface LinkInput {
  w: WriteCall;
  loop: LoopFacts;
  body: Node;
  /** The model of the loop's row, as the code names it, and its fields per the view. */
  rowModel: string | null;
  known: ModelFields | null;
  /** The app and model `apps.get_model()` gives the row's model name, when it is one such call. */
  ref?: { app: string; model: string } | null;
  /** The manager the loop's rows come through (`Contact.objects.using(alias)`), when readable. */
  manager: string | null;
  /** Whether the loop may meet a row twice (a join in its query), or unknown (undefined). */
  repeats?: boolean;
  django?: readonly [number, number];
  fresh: (base: string) => string;
  /** The through model's name each relation got in this loop (several add() calls share one batch and one name). */
  throughs?: Map<string, string>;
}

/** The refusal's start: a link the template leaves as written (the rest of the loop may still be batched). */
export const LINK_KEPT = 'it adds links through ';

/**
 * The join tables of django.contrib.auth, whose migrations are not the project's (not in its view):
 * a historical `auth.Group` / `auth.User` from apps.get_model() has them as Django made them.
 */
const CONTRIB_LINKS: ReadonlyMap<string, ManyToManyLink> = new Map([
  ['auth.group.permissions', { source: 'group_id', target: 'permission_id', auto: true, to: { app: 'auth', model: 'permission' } }],
  ['auth.user.groups', { source: 'user_id', target: 'group_id', auto: true, to: { app: 'auth', model: 'group' } }],
  ['auth.user.user_permissions', { source: 'user_id', target: 'permission_id', auto: true, to: { app: 'auth', model: 'permission' } }],
]);

/**
 * `from django.contrib.auth.models import User` (today's model, which runpython-model-import flags):
 * its join tables are Django's all the same (paperless-ngx `documents/0007` adds permissions to each
 * user that way). Only the models whose links CONTRIB_LINKS knows, imported under their own names.
 */
export function contribModelRef(binding: Binding): { app: string; model: string } | null {
  const name = binding.importedName ?? '';
  return binding.importedFrom === 'django.contrib.auth.models' && (name === 'User' || name === 'Group') ? { app: 'auth', model: name.toLowerCase() } : null;
}

function pascal(name: string): string {
  return name.replace(/(^|_)(\w)/g, (_m, _u, c: string) => c.toUpperCase());
}

/** `.using(alias)` / `.db_manager(alias)` at the end of a manager chain: the database the rows came from. */
function databaseOf(manager: string): string {
  const m = /\.(?:using|db_manager)\(([^()]*)\)$/.exec(manager);
  return m ? `.using(${m[1]})` : '';
}

export function linkRewrite(input: LinkInput): LinkRewrite | string {
  const { w, loop, body, rowModel, known } = input;
  const fn = w.call.childForFieldName('function');
  const method = fn?.childForFieldName('attribute')?.text;
  const receiver = fn?.childForFieldName('object');
  const recv = receiver ? unparen(receiver) : null;
  const owner = recv?.type === 'attribute' ? unparen(recv.childForFieldName('object') as Node) : null;
  const field = recv?.childForFieldName('attribute')?.text;
  const shown = `${oneLine(recv?.text ?? 'a relation')}.${method ?? 'add'}()`;
  if (method !== 'add' && method !== 'set') return `${LINK_KEPT}${shown}, which also removes links`;
  // set() replaces the row's links: batched, the batch's old links are deleted and the new ones inserted. A row
  // met twice would get both lists, not the last one (review 55's count of fix-less loops: set() had none).
  if (method === 'set' && input.repeats !== false) return `${LINK_KEPT}${shown}, for rows the loop may meet twice (set() keeps the last list, a batch would keep both)`;
  if (!owner || owner.type !== 'identifier' || !field || !loop.targets.includes(owner.text)) return `${LINK_KEPT}${shown}, of an object other than the loop's row`;
  const contrib = input.ref ? CONTRIB_LINKS.get(`${input.ref.app}.${input.ref.model}.${field}`.toLowerCase()) : undefined;
  if (!rowModel || (!known && !contrib)) return `${LINK_KEPT}${shown}, whose join table the project view cannot name`;
  const link = contrib ?? known?.link?.(field) ?? null;
  if (!link) return `${LINK_KEPT}${shown}: not a many-to-many field of ${rowModel} whose join table and unique pair of keys the project view can read`;
  if (!input.manager) return `${LINK_KEPT}${shown}, for rows whose query cannot be read (their database is the links')`;
  const [major, minor] = input.django ?? [4, 2];
  if (major < 2 || (major === 2 && minor < 2)) return `${LINK_KEPT}${shown}: bulk_create(ignore_conflicts=True) needs Django 2.2`;
  const args = w.call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return `${LINK_KEPT}${shown}, with arguments that cannot be read`;
  // Another use of the relation in the loop would not see the links batched so far. Another add() to it is
  // batched with this one, in the same batch (review 56: janeway `typesetting/0018` adds three lists of files).
  const alsoAdds = (n: Node) => method === 'add' && n.parent?.type === 'attribute' && n.parent.childForFieldName('attribute')?.text === 'add' && n.parent.parent?.type === 'call';
  let reread = false;
  walk(body, (n) => {
    if (reread) return false;
    if (n.type === 'attribute' && n.id !== recv?.id && n.childForFieldName('attribute')?.text === field && unparen(n.childForFieldName('object') as Node).text === owner.text && !alsoAdds(n)) reread = true;
    return !reread;
  });
  if (reread) return `${LINK_KEPT}${shown}, and the loop reads ${owner.text}.${field} too, which would not see the links batched so far`;

  const throughKey = `${rowModel}.${field}`;
  const through = input.throughs?.get(throughKey) ?? input.fresh(`${rowModel}${pascal(field)}`);
  input.throughs?.set(throughKey, through);
  const row = owner.text;
  const keyOf = (value: string) => {
    // `row.group` of a foreign key to the linked model: its key is on the row already (no query).
    const attr = /^(\w+)\.(\w+)$/.exec(value);
    const fk = attr && attr[1] === row ? known?.fields.get(attr[2] as string) : undefined;
    const fkTo = fk?.relation?.kind === 'foreign-key' && fk.relation.toField === null ? fk.relation.to : null;
    const pointsAtTarget = fkTo?.kind === 'str' && /^(?:(\w+)\.)?(\w+)$/.exec(fkTo.value)?.[2]?.toLowerCase() === link.to.model;
    if (pointsAtTarget) return `${value}_id`;
    // add() takes objects or their keys: a name that may hold either is read as add() reads it.
    if (/^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$/.test(value)) return `getattr(${value}, "pk", ${value})`;
    // A look-up of one object (`Group.objects.get(name="admin")`), run once as add()'s argument was.
    if (/^[A-Za-z_][\w.]*\.objects\.(?:get|create)\(.*\)$/s.test(value)) return `${value}.pk`;
    return null;
  };
  const build = (value: string) => {
    const key = keyOf(value);
    return key === null ? null : `${through}(${link.source}=${row}.pk, ${link.target}=${key})`;
  };
  if (method === 'set') return setRewrite(input, args, shown, { through, row, field, link }, keyOf);
  const items: string[] = [];
  let splat: string | null = null;
  for (const a of args.namedChildren) {
    if (a.type === 'comment') continue;
    if (a.type === 'keyword_argument') return `${LINK_KEPT}${shown}, with ${a.childForFieldName('name')?.text ?? 'keyword'}= (through rows built here would not carry it)`;
    if (a.type === 'dictionary_splat') return `${LINK_KEPT}${shown}, with keywords that cannot be read`;
    if (a.type === 'list_splat') {
      if (splat !== null || items.length > 0) return `${LINK_KEPT}${shown}, with arguments that cannot be read`;
      splat = oneLine((a.namedChildren[0] as Node).text);
      continue;
    }
    if (splat !== null) return `${LINK_KEPT}${shown}, with arguments that cannot be read`;
    const item = build(oneLine(a.text));
    if (item === null) return `${LINK_KEPT}${shown}, with an argument whose key cannot be taken once (${oneLine(a.text).slice(0, 40)})`;
    items.push(item);
  }
  let collect: string;
  if (splat !== null) {
    const each = input.fresh('linked');
    collect = `%B%.extend(${build(each) as string} for ${each} in ${splat})`;
  } else if (items.length === 1) collect = `%B%.append(${items[0]})`;
  else collect = `%B%.extend([${items.join(', ')}])`;
  const manager = `${through}.${link.auto ? 'objects' : '_default_manager'}${databaseOf(input.manager)}`;
  return {
    collect,
    key: `link:${rowModel}.${field}`,
    flush: `${manager}.bulk_create(%B%, ignore_conflicts=True)`,
    note: `${through} = ${rowModel}.${field}.through`,
  };
}

/**
 * `row.groups.set(groups)`: the row's key and the keys of the list it is given are collected; per
 * batch, the through rows of the batch's rows are deleted and the given ones inserted
 * (`ignore_conflicts=True`: a key listed twice is one link, as set() makes it). What set() left in place
 * is inserted again, under a new through row id (a join table Django made has nothing else).
 */
function setRewrite(
  input: LinkInput,
  args: Node,
  shown: string,
  names: { through: string; row: string; field: string; link: ManyToManyLink },
  keyOf: (value: string) => string | null,
): LinkRewrite | string {
  const { through, row, field, link } = names;
  const given = args.namedChildren.filter((a) => a.type !== 'comment');
  const only = given.length === 1 ? (given[0] as Node) : null;
  if (!only || only.type === 'keyword_argument' || only.type === 'list_splat' || only.type === 'dictionary_splat') return `${LINK_KEPT}${shown}, with arguments other than one list (clear=, through_defaults=)`;
  if (!link.auto) return `${LINK_KEPT}${shown}, whose through model may hold more than the two keys`;
  const each = input.fresh('linked');
  const key = keyOf(each);
  if (key === null) return `${LINK_KEPT}${shown}, with values whose keys cannot be read`;
  const pk = input.fresh('row_pk');
  const keys = input.fresh('keys');
  const manager = `${through}.objects${databaseOf(input.manager ?? '')}`;
  return {
    collect: `%B%.append((${row}.pk, [${key} for ${each} in ${oneLine(only.text)}]))`,
    key: `link-set:${input.rowModel}.${field}`,
    flush:
      `${manager}.filter(${link.source}__in=[${pk} for ${pk}, _ in %B%]).delete()%NL%` +
      `${manager}.bulk_create([${through}(${link.source}=${pk}, ${link.target}=${each}) for ${pk}, ${keys} in %B% for ${each} in ${keys}], ignore_conflicts=True)`,
    note: `${through} = ${input.rowModel}.${field}.through`,
  };
}


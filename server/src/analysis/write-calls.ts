/**
 * Which calls write to the database, and how (a row's save or delete, a create, a queryset update or
 * delete, a bulk write, DML through a cursor, a relation manager's links): read from the call alone.
 * code-facts.ts records them per loop.
 */
import { analyseSql } from './sql';
import { callArguments, staticString, unparen, type Node } from './syntax';

export type WriteKind =
  | 'save' // instance.save()
  | 'delete' // instance.delete()
  | 'create' // manager.create / get_or_create / update_or_create
  | 'update' // queryset.update(...)
  | 'queryset-delete' // queryset.delete()
  | 'bulk' // bulk_update / bulk_create
  | 'sql' // cursor.execute("UPDATE ...")
  | 'link' // row.tags.add(tag) / row.tags.set(tags): a relation manager's links, written at once
  | 'helper'; // a same-file function that writes one row per call

function receiverHasCall(node: Node): boolean {
  let n: Node | null = unparen(node);
  while (n) {
    if (n.type === 'call') return true;
    if (n.type === 'attribute') n = n.childForFieldName('object');
    else if (n.type === 'subscript') n = n.childForFieldName('value');
    else return false;
  }
  return false;
}

/** The SQL changes rows (as the SQL reader classifies statements, WITH and DO included). */
export function isDml(text: string): boolean {
  return analyseSql(text).some((st) => st.cls === 'dml');
}

/** Classifies a call as a database write, or null. Helper calls are classified by the caller. */
export function classifyWrite(call: Node): WriteKind | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return null;
  const method = fn.childForFieldName('attribute')?.text;
  const receiver = fn.childForFieldName('object');
  if (!method || !receiver) return null;
  const rt = unparen(receiver).type;
  if (rt === 'string' || rt === 'integer' || rt === 'list' || rt === 'dictionary' || rt === 'tuple') return null;
  const args = callArguments(call);
  switch (method) {
    case 'save':
      // Storage.save(name, content) and FieldFile.save(name, content) write files, not rows.
      return args.positional.length >= 2 ? null : 'save';
    case 'delete':
      // cache.delete(key), storage.delete(name) / delete(name=...): Model.delete takes only using and keep_parents.
      if (args.positional.length > 0 || [...args.keywords.keys()].some((k) => k !== 'using' && k !== 'keep_parents')) return null;
      return receiverHasCall(receiver) ? 'queryset-delete' : 'delete';
    case 'create':
    case 'get_or_create':
    case 'update_or_create':
      return 'create';
    case 'update':
      // QuerySet.update takes keywords only; dict.update / set.update take a positional argument.
      if (args.positional.length > 0) return null;
      if (args.keywords.size > 0) return 'update';
      // Keywords only as `**kwargs` (review 81: mozillians `users/0013`): a queryset's update where the
      // receiver is a queryset or a manager (`Model.objects.filter(pk=…)`), a dict's anywhere else.
      return args.hasSplat && !args.node?.namedChildren.some((a) => a.type === 'list_splat') && (receiverHasCall(receiver) || /(?:\.objects|_default_manager|_base_manager)$/.test(unparen(receiver).text)) ? 'update' : null;
    case 'bulk_update':
    case 'bulk_create':
      return 'bulk';
    case 'add':
    case 'set':
      return relationManagerCall(receiver, args) ? 'link' : null;
    case 'execute':
    case 'executemany': {
      const first = args.positional[0];
      const sql = first ? staticString(first) : null;
      return sql && isDml(sql.text) ? 'sql' : null;
    }
    default:
      return null;
  }
}

/**
 * `row.tags.add(tag)`, `row.tags.set(tags)`: the receiver an attribute of a plain name (not self or
 * cls), called with the objects or keys to link (a set's add() is `seen.add(x)`, on a name; no list
 * or dict has add() or set(); remove() is left out: a list field's value has one). Only writes the
 * links where the receiver is a relation manager, which the rules check against the loop's row.
 */
function relationManagerCall(receiver: Node, args: ReturnType<typeof callArguments>): boolean {
  const r = unparen(receiver);
  const owner = r.type === 'attribute' ? unparen(r.childForFieldName('object') as Node) : null;
  if (owner?.type !== 'identifier' || owner.text === 'self' || owner.text === 'cls') return false;
  if (args.positional.length === 0 && !args.hasSplat) return false;
  return [...args.keywords.keys()].every((k) => k === 'through_defaults' || k === 'bulk' || k === 'clear');
}

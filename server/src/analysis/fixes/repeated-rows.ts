/**
 * Whether a loop's query may hand it one row more than once — a join across a many-to-many or
 * reverse relation repeats the row per match — which decides whether a batched loop must keep the
 * last copy of each row (as the loop's last save() of it wins) before bulk_update.
 */
import type { ModelFields } from '../project/view';
import { staticString, unparen, type Node } from '../syntax';

/** Django's lookups and transforms that may end a filter's keyword (`score__gt`, `created__date__year`). */
const LOOKUPS = new Set(
  'exact iexact contains icontains in gt gte lt lte startswith istartswith endswith iendswith range date year month day week week_day iso_week_day quarter time hour minute second iso_year isnull regex iregex search has_key has_keys has_any_keys contained_by overlap len unaccent trigram_similar keys values lower upper'.split(' '),
);

/** `Q(a=1) | ~Q(b__c=2)`: Q objects of keyword arguments only, combined. */
function isQExpression(node: Node): boolean {
  const n = unparen(node);
  if (n.type === 'binary_operator' || n.type === 'boolean_operator') return n.namedChildren.every(isQExpression);
  if (n.type === 'unary_operator') return !!n.lastNamedChild && isQExpression(n.lastNamedChild);
  if (n.type !== 'call' || n.childForFieldName('function')?.text !== 'Q') return false;
  return (n.childForFieldName('arguments')?.namedChildren ?? []).every((a) => a.type === 'keyword_argument');
}

/**
 * Whether a queryset chain may yield one row more than once: it filters, excludes or orders
 * across a relation that may match several rows (`to_users__isnull=False` joins a many-to-many: a
 * mail with two users comes back twice; a reverse foreign key likewise), unless it asks for
 * distinct(). `model`: the model's fields per the project view, which tell a field of its own and a
 * foreign key (one row) from a many-to-many or reverse relation. Without it, a single name is taken
 * for a field of the model's own, and a path through anything for a join that may repeat.
 */
export function mayRepeatRows(chain: Node, model: ModelFields | null): boolean {
  const paths: string[] = [];
  let distinct = false;
  let cur: Node | null = chain;
  while (cur && (cur.type === 'call' || cur.type === 'attribute' || cur.type === 'subscript')) {
    if (cur.type === 'call') {
      const method = cur.childForFieldName('function')?.childForFieldName('attribute')?.text ?? '';
      if (method === 'distinct') distinct = true;
      if (/^(filter|exclude|order_by)$/.test(method)) {
        const args = cur.childForFieldName('arguments');
        for (const kw of args?.descendantsOfType('keyword_argument') ?? []) paths.push(kw.childForFieldName('name')?.text ?? '');
        // `F("orders__total")` in a value joins as a keyword would.
        for (const f of args?.descendantsOfType('call') ?? []) {
          if (f.childForFieldName('function')?.text !== 'F') continue;
          const first = f.childForFieldName('arguments')?.namedChildren[0];
          const path = first ? staticString(first) : null;
          if (!path?.complete) return !distinct;
          paths.push(path.text);
        }
        if (method === 'order_by') for (const a of args?.namedChildren ?? []) paths.push((staticString(a)?.text ?? '').replace(/^-/, ''));
        // An expression other than Q objects of keywords (read above): what it joins cannot be read here.
        if (method !== 'order_by' && args?.namedChildren.some((a) => a.type !== 'keyword_argument' && a.type !== 'comment' && !isQExpression(a))) return !distinct;
      }
    }
    cur = cur.type === 'call' ? cur.childForFieldName('function') : cur.type === 'attribute' ? cur.childForFieldName('object') : cur.childForFieldName('value');
  }
  if (distinct) return false;
  const repeats = (fields: ModelFields | null, segments: readonly string[]): boolean => {
    const [name = '', ...rest] = segments;
    if (name === '' || name === 'pk' || name === '?') return false;
    if (!fields) return rest.length > 0;
    const own = fields.fields.get(name);
    const spec = own !== undefined ? own : name.endsWith('_id') ? fields.fields.get(name.slice(0, -3)) : undefined;
    // Not a field: a reverse relation. A field we cannot read may be a many-to-many one.
    if (spec === undefined || spec === null || spec.relation?.kind === 'many-to-many') return true;
    // A foreign key or one-to-one: one row; what follows is the other model's. Other fields: a key
    // of a JSON value, a transform — no join.
    return spec.relation && rest.length > 0 ? repeats(fields.related(name), rest) : false;
  };
  return paths.some((path) => {
    const segments = path.split('__');
    while (segments.length > 1 && LOOKUPS.has(segments[segments.length - 1] as string)) segments.pop();
    return repeats(model, segments);
  });
}

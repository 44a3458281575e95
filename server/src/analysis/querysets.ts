/**
 * What the code says about querysets without running it: the methods a manager shares with its
 * QuerySet, those that return a QuerySet, and whether a local name only ever holds one.
 */
import { MANAGERS } from './historical-models';
import { unparen, type Node } from './syntax';

/**
 * Methods a manager shares with its QuerySet (Django's BaseManager copies them) that only read or
 * change rows that exist: `Model.objects.X` can become `Model.objects.exclude(…).X` for these and
 * keep its meaning. Not the creating ones: `exclude(…).get_or_create(…)` would insert a row that a
 * unique constraint still refuses while the row it replaces waits to be deleted.
 */
export const QUERYSET_METHODS: ReadonlySet<string> = new Set([
  'aggregate', 'all', 'alias', 'annotate', 'complex_filter', 'contains', 'count', 'dates', 'datetimes', 'defer',
  'difference', 'distinct', 'earliest', 'exclude', 'exists', 'explain', 'extra', 'filter', 'first', 'get', 'in_bulk',
  'intersection', 'iterator', 'last', 'latest', 'none', 'only', 'order_by', 'prefetch_related', 'reverse',
  'select_for_update', 'select_related', 'union', 'update', 'using', 'values', 'values_list',
]);

/** QuerySet methods that return a QuerySet (a `.delete()` on their result is one statement). */
const QUERYSET_REFINERS: ReadonlySet<string> = new Set([
  'all', 'alias', 'annotate', 'complex_filter', 'defer', 'distinct', 'exclude', 'extra', 'filter', 'none', 'only',
  'order_by', 'prefetch_related', 'reverse', 'select_for_update', 'select_related', 'using',
]);

/** `Collector(using=…)` (django.db.models.deletion): its delete() removes every row it collected, in one go. */
function isCollector(expr: Node): boolean {
  if (expr.type !== 'call') return false;
  const fn = expr.childForFieldName('function');
  return !!fn && /^(?:[\w.]*\.)?Collector(?:_\d+)?$/.test(fn.text);
}

/**
 * `qs` in `qs.delete()` holds a queryset (or a deletion Collector): every binding of the name in
 * the function is an assignment of `Model.objects…filter(…)…`, of `qs.exclude(…)` (refining
 * itself) or of `Collector(…)`. Any other binding (a loop target, a parameter, a `with … as qs`,
 * an assignment of something else) and it may be a row.
 */
export function holdsQueryset(name: string, fn: Node): boolean {
  let assigned = 0;
  let other = false;
  const isQueryset = (expr: Node): boolean => {
    let n: Node | null = unparen(expr);
    if (isCollector(n)) return true;
    let refined = false;
    while (n?.type === 'call') {
      const f: Node | null = n.childForFieldName('function');
      if (f?.type !== 'attribute' || !QUERYSET_REFINERS.has(f.childForFieldName('attribute')?.text ?? '')) return false;
      refined = true;
      n = f.childForFieldName('object');
    }
    if (!refined || !n) return false;
    if (n.type === 'identifier') return n.text === name;
    return n.type === 'attribute' && MANAGERS.has(n.childForFieldName('attribute')?.text ?? '');
  };
  const visit = (node: Node): void => {
    if (other) return;
    for (const child of node.namedChildren) {
      if (child.type === 'identifier') {
        if (child.text !== name) continue;
        const p = child.parent;
        const field = (f: string) => p?.childForFieldName(f)?.id === child.id;
        if (p?.type === 'assignment' && field('left')) {
          const right = p.childForFieldName('right');
          if (right && isQueryset(right)) assigned++;
          else other = true;
        } else if (
          (p?.type === 'augmented_assignment' && field('left')) ||
          (p?.type === 'for_statement' && field('left')) ||
          (p?.type === 'named_expression' && field('name')) ||
          ['parameters', 'pattern_list', 'tuple_pattern', 'list_pattern', 'as_pattern_target', 'global_statement', 'nonlocal_statement', 'delete_statement', 'aliased_import', 'dotted_name', 'lambda_parameters', 'default_parameter', 'typed_parameter', 'for_in_clause'].includes(p?.type ?? '')
        ) {
          other = true;
        }
        continue;
      }
      visit(child);
    }
  };
  visit(fn);
  return assigned > 0 && !other;
}

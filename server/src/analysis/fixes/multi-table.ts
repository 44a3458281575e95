/** What the batching fixes need to know of multi-table inheritance, which Django's bulk_create refuses. */

/**
 * Whether a model is a child of multi-table inheritance (Django cannot bulk_create one): `child` as the
 * project view shows it, `maybe` for a model of an app none of whose migrations is in view, false otherwise.
 */
export type MultiTable = (model: string) => false | 'child' | 'maybe';

/** The refusal for a bulk_create of such a model. */
export function multiTableRefusal(model: string, kind: 'child' | 'maybe'): string {
  return kind === 'child'
    ? `${model} is a child of multi-table inheritance, which bulk_create cannot insert`
    : `${model} may be a child of multi-table inheritance (its app's migrations are not in view), which bulk_create cannot insert`;
}

/** What the batching fixes need to know of multi-table inheritance, which Django's bulk_create refuses. */

/**
 * Whether a model is a child of multi-table inheritance (Django cannot bulk_create one): `child` as the
 * project view shows it, `maybe` for a model of an app none of whose migrations is in view (or one a squash
 * replaced this migration without), false otherwise.
 */
export type MultiTable = (model: string) => false | 'child' | 'maybe';

/** The refusal for a bulk_create of such a model. */
export function multiTableRefusal(model: string, kind: 'child' | 'maybe'): string {
  return kind === 'child'
    ? `${model} is a child of multi-table inheritance, which bulk_create cannot insert`
    : `${model} may be a child of multi-table inheritance (what its migrations make of it is not known here: its app's migrations are not in view, or a squash replaced this one without it), which bulk_create cannot insert`;
}

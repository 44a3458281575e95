/**
 * Deletes inside a loop whose rows a rewrite would save later, in a bulk_update() after the loop's
 * iterations: a delete that cascades to such a row removes it before the flush. The loop's own
 * save() then writes the row back (Django's save() inserts when its UPDATE finds no row), where
 * bulk_update() updates nothing and the row is lost (wger `exercises/0011`: each exercise's old
 * base is deleted, which cascades to the exercise, and the exercise is saved pointing at another).
 *
 * A loop that deletes while it saves keeps its rewrite only where the project view shows that no
 * delete can reach the saved model: none of the model's relations (its parent link included)
 * cascades, or, where the loop deletes only rows of the model itself, none points at the model.
 */
import type { ModelFields } from '../project/view';
import { walk, type Node } from '../syntax';

/** `.delete()` calls in the loop's body, outside functions and classes defined there. */
export function deleteCalls(body: Node): Node[] {
  const out: Node[] = [];
  walk(body, (n) => {
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return false;
    if (n.type === 'call' && n.childForFieldName('function')?.childForFieldName('attribute')?.text === 'delete') out.push(n);
    return true;
  });
  return out;
}

/** The last name of an `on_delete` reference that leaves the referring row in place (or refuses the delete). */
const KEEPS_ROW = new Set(['PROTECT', 'RESTRICT', 'DO_NOTHING']);

/**
 * Whether deleting rows cannot delete or change a row of the model these are the fields of:
 * every field is known, and every relation (many-to-many aside: only the link rows go) keeps the
 * row. With `onlySelf`, the loop deletes rows of this model alone: only relations to itself count.
 */
export function cascadeFree(fields: ModelFields | null, onlySelf: boolean): boolean {
  if (!fields) return false;
  for (const [name, spec] of fields.fields) {
    if (!spec || spec.relation === undefined) return false;
    const rel = spec.relation;
    if (rel === null || rel.kind === 'many-to-many') continue;
    if (onlySelf && fields.selfRelated && !fields.selfRelated(name)) continue;
    const last = rel.onDelete?.slice(rel.onDelete.lastIndexOf('.') + 1);
    if (!last || !KEEPS_ROW.has(last)) return false;
  }
  return true;
}

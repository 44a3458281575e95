/**
 * "Drop this save()": a loop whose save() of its own row writes back only what it read. The loop
 * changes no field of the row (it adds to a many-to-many relation, or reads the row to write other
 * rows), the model is a historical one whose save() runs no code of the project, and the project
 * view says that no field of it is given a value by save() itself (no auto_now stamp, no field
 * class of another package whose pre_save may compute one). Such a save() is an UPDATE per row
 * that changes nothing, only holding locks and overwriting what others wrote meanwhile: dropping
 * it changes no data. Review 20 found the bulk template writing `bulk_update(rows, [])` for it
 * (zds `tutorialv2/0009`: the real per-row work was the many-to-many `add()`).
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { ModelFields } from '../project/view';
import { callArguments, rangeOf, type Node } from '../syntax';
import type { Fix } from '../types';
import { assignedFields } from './loop-reading';

export interface DropSaveInput {
  loop: LoopFacts;
  writes: readonly WriteCall[];
  source: string;
  /** The fields of the loop's row model, per the project view (null: not known, no fix). */
  fields: ModelFields | null;
  /** The fields save() stamps on that model (auto_now). */
  stamps: readonly string[];
}

/** Every use of `row` in the loop's body is an attribute of it (`row.tags.add(...)`, `row.save()`): no alias, no hand-over. */
function onlyAttributesOf(body: Node, row: string, target: Node): boolean {
  for (const id of body.descendantsOfType('identifier')) {
    if (id.text !== row || id.id === target.id) continue;
    const p = id.parent;
    if (p?.type !== 'attribute' || p.childForFieldName('object')?.id !== id.id) return false;
  }
  return true;
}

export function dropSaveFix(input: DropSaveInput): Fix | null {
  const { loop, writes, fields, stamps } = input;
  // Links the loop adds (`row.tags.add(t)`) write at once whatever becomes of the save().
  const own = writes.filter((x) => x.kind !== 'link');
  if (own.length !== 1 || !fields || fields.mixins || stamps.length > 0) return null;
  const w = own[0] as WriteCall;
  if (w.kind !== 'save' || loop.kind !== 'for' || loop.targets.length !== 1) return null;
  const row = loop.targets[0] as string;
  const fn = w.call.childForFieldName('function');
  if (fn?.childForFieldName('object')?.text !== row || callArguments(w.call).node?.namedChildCount) return null;
  // A field of another package may compute its value in pre_save (a slug, a stamp): save() would write it.
  for (const spec of fields.fields.values()) if (!spec || (!spec.builtin && !spec.relation)) return null;
  const seen = assignedFields(loop.node, row);
  if (seen.fields.length > 0 || !seen.complete || seen.handedTo || seen.setsKey) return null;
  const target = loop.node.childForFieldName('left');
  const body = loop.node.childForFieldName('body');
  if (target?.type !== 'identifier' || !body || !onlyAttributesOf(body, row, target)) return null;
  const stmt = w.call.parent;
  if (stmt?.type !== 'expression_statement' || stmt.parent?.type !== 'block') return null;
  const block = stmt.parent;
  // The save() starts its line: deleting the line deletes nothing else.
  const lineStart = input.source.lastIndexOf('\n', stmt.startIndex - 1) + 1;
  if (input.source.slice(lineStart, stmt.startIndex).trim() !== '') return null;
  const alone = block.namedChildren.filter((c) => c.type !== 'comment').length === 1;
  const range = rangeOf(stmt);
  // Alone in its block, the statement becomes `pass` (a block cannot be empty); else its line goes.
  const edit = alone
    ? { range, newText: 'pass' }
    : { range: { start: { line: range.start.line, character: 0 }, end: { line: range.end.line + 1, character: 0 } }, newText: '' };
  if (!alone && input.source.slice(stmt.endIndex).match(/^[ \t]*(?:#[^\n]*)?\r?\n/) === null) return null;
  return { title: `Drop ${row}.save(): it writes back only what it read`, edits: [edit], isPreferred: true, safe: false };
}

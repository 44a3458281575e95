/**
 * The `atomic = False` fix: flips an explicit `atomic = True`, or inserts `atomic = False` with a
 * one-line comment saying why at the top of the Migration class body (after its docstring).
 */
import type { MigrationModel } from '../migration-model';
import { rangeOf, type Node } from '../syntax';
import type { Fix } from '../types';
import { eolOf, indentOf, insertAfter, insertAt, replaceNode } from './edits';

function isDocstring(stmt: Node): boolean {
  const e = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
  return !!e && (e.type === 'string' || e.type === 'concatenated_string');
}

export function atomicFalseFix(model: MigrationModel, source: string, why: string, safe: boolean): Fix | null {
  const title = 'Set atomic = False on the migration';
  const { atomic } = model;
  if (atomic.statement) {
    // Only a literal True is flipped; a computed value is the author's to change.
    return atomic.value === true && atomic.valueNode ? { title, edits: [replaceNode(atomic.valueNode, 'False')], isPreferred: true, safe } : null;
  }
  const statements = model.body.namedChildren;
  const first = statements[0];
  if (!first || first.startPosition.row === model.classNode.startPosition.row) return null; // one-line class body
  const eol = eolOf(source);
  const indent = indentOf(first, source);
  const lines = `${indent}# ${why}${eol}${indent}atomic = False`;
  if (isDocstring(first)) {
    const next = statements[1];
    if (!next) return { title, edits: [insertAfter(first, `${eol}${eol}${lines}`)], isPreferred: true, safe };
    return { title, edits: [insertAt({ line: rangeOf(next).start.line, character: 0 }, `${lines}${eol}${eol}`)], isPreferred: true, safe };
  }
  return { title, edits: [insertAt({ line: rangeOf(first).start.line, character: 0 }, `${lines}${eol}${eol}`)], isPreferred: true, safe };
}

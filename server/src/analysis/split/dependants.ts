/**
 * Rewrites another migration's `dependencies` entry that names the split migration so it names
 * the last part instead: whatever depended on the whole migration now runs after all of it.
 */
import { classAttributes, findMigrationClass } from '../migration-model';
import { moduleScope } from '../scope';
import { sequenceElements, staticString, type Node } from '../syntax';
import type { TextEdit } from '../types';
import { replaceNode } from '../fixes/edits';

/** Edits that point `(app, from)` entries of this file's dependencies at `(app, to)`. */
export function dependantEdits(root: Node, app: string, from: string, to: string): TextEdit[] {
  const cls = findMigrationClass(root, moduleScope(root));
  const body = cls?.childForFieldName('body');
  const list = body ? (classAttributes(body).get('dependencies')?.value ?? null) : null;
  const edits: TextEdit[] = [];
  for (const entry of (list && sequenceElements(list)) ?? []) {
    const pair = sequenceElements(entry);
    if (pair?.length !== 2) continue;
    const [appNode, nameNode] = pair as [Node, Node];
    if (staticString(appNode)?.text !== app || staticString(nameNode)?.text !== from || nameNode.type !== 'string') continue;
    const quote = /^[a-zA-Z]*(['"])/.exec(nameNode.text)?.[1] ?? '"';
    edits.push(replaceNode(nameNode, `${quote}${to}${quote}`));
  }
  return edits;
}

/**
 * The identity of a finding that survives unrelated edits, for baselines: the code it points at,
 * as tokens. Lines inserted above, re-indentation, line breaks, comments, trailing commas and the
 * quote style of strings do not change it; changing the code itself does. Pure: tree in, text out
 * (the caller hashes it).
 */
import type { Node } from './syntax';
import type { Range } from './types';

const CLOSERS = new Set([')', ']', '}']);

function before(a: { row: number; column: number }, b: { row: number; column: number }): boolean {
  return a.row < b.row || (a.row === b.row && a.column < b.column);
}

/**
 * A token's text. A string literal is one token, its delimiters in one quote style (black and
 * people switch between ' and "), its line endings the file's convention, not the code.
 */
function normalised(node: Node): string {
  const text = node.text.replace(/\r\n?/g, '\n');
  if (node.type !== 'string') return text;
  const start = node.firstChild?.type === 'string_start' ? node.firstChild.text : '';
  const end = node.lastChild?.type === 'string_end' ? node.lastChild.text : '';
  const quote = (d: string) => d.replace(/'/g, '"').toLowerCase();
  return `${quote(start)}${text.slice(start.length, text.length - end.length)}${quote(end)}`;
}

/**
 * What a finding at `range` is about: the operation call when the range is its callee
 * (`migrations.RunPython` in `migrations.RunPython(forwards)`), else the code inside the range
 * (a loop's header, a comment).
 */
function subject(root: Node, range: Range): { node: Node; whole: boolean } {
  const start = { row: range.start.line, column: range.start.character };
  const end = { row: range.end.line, column: range.end.character };
  const node = root.descendantForPosition(start, end) ?? root;
  const parent = node.parent;
  if (parent?.type === 'call' && parent.childForFieldName('function')?.id === node.id) return { node: parent, whole: true };
  return { node, whole: false };
}

/** The tokens of the code a finding points at, joined by single spaces. */
export function findingFingerprint(root: Node, range: Range): string {
  const { node, whole } = subject(root, range);
  const from = { row: range.start.line, column: range.start.character };
  const to = { row: range.end.line, column: range.end.character };
  const tokens: string[] = [];
  // An explicit cursor walk: operation calls can be deeply nested, recursion is not safe here.
  const cursor = node.walk();
  try {
    for (;;) {
      if (cursor.nodeType !== 'string' && cursor.gotoFirstChild()) continue;
      const leaf = cursor.currentNode;
      const inside = whole || (!before(leaf.startPosition, from) && !before(to, leaf.endPosition));
      if (leaf.type !== 'comment' && inside && leaf.text !== '') tokens.push(normalised(leaf));
      // Next: the sibling, else the sibling of the nearest ancestor that has one (the cursor cannot leave `node`).
      let moved = cursor.gotoNextSibling();
      while (!moved && cursor.gotoParent()) moved = cursor.gotoNextSibling();
      if (!moved) break;
    }
  } finally {
    cursor.delete();
  }
  // Leaf nodes visited after their parent's first child: a node with no children is its own leaf.
  if (tokens.length === 0 && node.childCount === 0) tokens.push(normalised(node));
  // A trailing comma is formatting (black's "magic trailing comma"), not code.
  return tokens.filter((t, i) => !(t === ',' && CLOSERS.has(tokens[i + 1] ?? ''))).join(' ');
}

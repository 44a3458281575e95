/**
 * Where the editor figures type in a real migration: places where a one-character insert (and
 * its delete) changes no operation, so every keystroke costs the server the same work as any
 * other and the findings stay put. Found from the syntax tree, in order of preference: the end of
 * a comment; just before the closing quote of text meant for people (help_text, verbose_name,
 * verbose_name_plural, a docstring); the end of a line inside a multi-line string; only when
 * there is none of those, just before the closing quote of any string. At most `max` points, spread over the
 * file. Positions are LSP positions (line, UTF-16 character), as web-tree-sitter indexes strings.
 */
import type { Node } from 'web-tree-sitter';
import { lineStarts, positionAt } from '../server/src/analysis/line-index';
import type { PythonParser } from '../server/src/analysis/parser';
import type { EditPoint } from './corpus';

const HUMAN_TEXT = new Set(['help_text', 'verbose_name', 'verbose_name_plural']);


function isHumanText(s: Node): boolean {
  const parent = s.parent;
  if (!parent) return false;
  if (parent.type === 'keyword_argument') return HUMAN_TEXT.has(parent.childForFieldName('name')?.text ?? '');
  return parent.type === 'expression_statement' && parent.namedChildCount === 1;
}

export function editPoints(parser: PythonParser, text: string, max = 8): EditPoint[] {
  const tree = parser.parse(text);
  try {
    const starts = lineStarts(text);
    const at = (offset: number, what: EditPoint['what']): EditPoint => ({ ...positionAt(starts, offset), what });
    const preferred: [number, EditPoint['what']][] = [];
    const anyString: [number, EditPoint['what']][] = [];
    for (const n of tree.rootNode.descendantsOfType(['comment', 'string'])) {
      if (n.type === 'comment') {
        preferred.push([n.endIndex, 'comment']);
        continue;
      }
      const end = n.children.find((c) => c.type === 'string_end');
      if (!end || n.children.some((c) => c.type === 'interpolation')) continue;
      if (isHumanText(n)) preferred.push([end.startIndex, 'string']);
      else anyString.push([end.startIndex, 'string']);
      for (const c of n.children) {
        if (c.type !== 'string_content') continue;
        for (let i = text.indexOf('\n', c.startIndex); i >= 0 && i < c.endIndex; i = text.indexOf('\n', i + 1)) {
          if (i > c.startIndex && text[i - 1] !== '\\' && text[i - 1] !== '\r') preferred.push([i, 'string']);
        }
      }
    }
    const pool = preferred.length > 0 ? preferred : anyString;
    pool.sort((a, b) => a[0] - b[0]);
    const picked: EditPoint[] = [];
    const step = Math.max(1, pool.length / max);
    for (let k = 0; k < pool.length && picked.length < max; k += step) {
      const [offset, what] = pool[Math.floor(k)] as [number, EditPoint['what']];
      picked.push(at(offset, what));
    }
    return picked;
  } finally {
    tree.delete();
  }
}

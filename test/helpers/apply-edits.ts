/** Applies text edits (0-based line/character ranges, non-overlapping) to a string. */
import type { TextEdit } from '../../server/src/analysis/types';

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }) => (lineStarts[p.line] ?? text.length) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    const start = offset(e.range.start);
    const end = offset(e.range.end);
    if (end > limit) throw new Error(`overlapping edits at ${e.range.start.line}:${e.range.start.character}`);
    out = out.slice(0, start) + e.newText + out.slice(end);
    limit = start;
  }
  return out;
}

/**
 * Offsets and positions in source text: where each line starts, and the line and UTF-16 column
 * of an offset (as tree-sitter reports positions for a JavaScript string, and as LSP counts them).
 */
import type { Position } from './types';

/** The offset at which each line starts (lines end at `\n`). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The line and column of `offset`, given the text's line starts. */
export function positionAt(starts: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - (starts[lo] as number) };
}

/** The offset of a position in a text of `length` characters, given its line starts (clamped to the end). */
export function offsetAt(starts: readonly number[], length: number, p: Position): number {
  return Math.min(length, (starts[p.line] ?? length) + p.character);
}

/** Where a text ends: its last line and that line's length (a whole-text edit's end). */
export function endOf(text: string): Position {
  const last = text.lastIndexOf('\n');
  return { line: last === -1 ? 0 : text.split('\n').length - 1, character: text.length - last - 1 };
}

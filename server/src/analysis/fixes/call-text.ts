/**
 * Reading a call's arguments from source text, for the fixes of the project rules (which get the
 * file's text and the summary's ranges, never the tree): where each argument starts and ends,
 * its keyword, skipping strings, comments and nested brackets. Only what fixes need to copy an
 * argument as written, or to add or change one keyword; anything it cannot read is null.
 */
import { lineStarts, positionAt } from '../line-index';
import type { Range } from '../types';

export interface ArgumentText {
  /** The keyword, or null for a positional argument. */
  keyword: string | null;
  /** The value's span (after `keyword=`), trimmed. */
  start: number;
  end: number;
  /** The whole argument's span (keyword included). */
  argStart: number;
}

export interface CallText {
  /** Offset of `(`. */
  open: number;
  /** Offset of the matching `)`. */
  close: number;
  args: ArgumentText[];
}

/**
 * The text with comments blanked and string contents replaced by `_` (same length), so brackets,
 * commas and `=` can be read without being fooled by them; null on an unterminated string.
 */
function codeMask(text: string, from: number): string | null {
  const out = text.split('');
  for (let i = from; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '#') {
      for (; i < text.length && text[i] !== '\n'; i++) out[i] = ' ';
      continue;
    }
    if (c !== '"' && c !== "'") continue;
    const delim = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
    let j = i + delim.length;
    for (; j < text.length; j++) {
      if (text[j] === '\\') {
        out[j] = '_';
        out[j + 1] = '_';
        j++;
      } else if (delim.length === 1 && text[j] === '\n') return null;
      else if (text.startsWith(delim, j)) break;
      else out[j] = '_';
    }
    if (j >= text.length) return null;
    i = j + delim.length - 1;
  }
  return out.join('');
}

/** The arguments of the call whose `(` is at `open`; null when the text is not a readable call. */
export function callText(text: string, open: number): CallText | null {
  if (text[open] !== '(') return null;
  const mask = codeMask(text, open);
  if (mask === null) return null;
  const args: ArgumentText[] = [];
  let depth = 0;
  let from = open + 1;
  const flush = (end: number): void => {
    const raw = mask.slice(from, end);
    const body = raw.trim();
    if (!body) return;
    const argStart = from + (raw.length - raw.trimStart().length);
    const kw = /^([A-Za-z_]\w*)\s*=(?!=)\s*/.exec(body);
    args.push({ keyword: kw ? (kw[1] as string) : null, start: argStart + (kw ? kw[0].length : 0), end: argStart + body.length, argStart });
  };
  for (let i = open; i < mask.length; i++) {
    const c = mask[i] as string;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        flush(i);
        return { open, close: i, args };
      }
    } else if (c === ',' && depth === 1) {
      flush(i);
      from = i + 1;
    }
  }
  return null;
}

/** The argument bound to `keyword`, or the positional one at `position`. */
export function argumentOf(call: CallText, keyword: string, position: number): ArgumentText | null {
  const byName = call.args.find((a) => a.keyword === keyword);
  if (byName) return byName;
  const positional = call.args.filter((a) => a.keyword === null);
  return position >= 0 && call.args.indexOf(positional[position] as ArgumentText) === position ? (positional[position] ?? null) : null;
}

/** Offsets of a range in `text`. */
export function offsetsOf(text: string, range: Range): { start: number; end: number } {
  const starts = lineStarts(text);
  const at = (line: number, character: number): number => Math.min(text.length, (starts[line] ?? text.length) + character);
  return { start: at(range.start.line, range.start.character), end: at(range.end.line, range.end.character) };
}

/** A range of `text` from offsets. */
export function rangeAt(text: string, start: number, end: number): Range {
  const starts = lineStarts(text);
  return { start: positionAt(starts, start), end: positionAt(starts, end) };
}

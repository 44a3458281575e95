/**
 * Building blocks for fixes: text edits anchored on tree nodes, indentation of a line, and Python
 * string literals. Fixes are plain data (ranges + text), computed with the finding.
 */
import { lineStarts, positionAt } from '../line-index';
import { rangeOf, type Node } from '../syntax';
import type { Position, TextEdit } from '../types';

export function replaceNode(node: Node, newText: string): TextEdit {
  return { range: rangeOf(node), newText };
}

export function insertAt(position: Position, newText: string): TextEdit {
  return { range: { start: position, end: position }, newText };
}

export function insertAfter(node: Node, newText: string): TextEdit {
  return insertAt(rangeOf(node).end, newText);
}

/** The whitespace that starts the line `node` starts on. */
export function indentOf(node: Node, source: string): string {
  const lineStart = source.lastIndexOf('\n', node.startIndex - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart, node.startIndex))?.[0] ?? '';
}

/** The end-of-line sequence the file uses. */
export function eolOf(source: string): string {
  return source.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * A Python string literal for `text`: double-quoted, single-quoted when that avoids escapes
 * (SQL with quoted identifiers), triple-quoted when it spans lines.
 */
export function pythonString(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\');
  if (text.includes('\n')) return `"""${escaped.replace(/"""/g, '\\"\\"\\"')}"""`;
  if (text.includes('"') && !text.includes("'")) return `'${escaped}'`;
  return `"${escaped.replace(/"/g, '\\"')}"`;
}

/**
 * Adds `keyword=value` after the argument `after`, in the call's own layout: on a line of its own
 * when the arguments are one per line (keeping a trailing comma), inline otherwise.
 */
export function addKeywordAfter(after: Node, keyword: string, value: string, source: string): TextEdit {
  const rest = source.slice(after.endIndex);
  const layout = /^([ \t]*)(,?)([ \t]*(?:#[^\n]*)?)(\r?\n)/.exec(rest);
  if (!layout) return insertAfter(after, `, ${keyword}=${value}`);
  const indent = indentOf(after, source);
  const comma = layout[2];
  const eol = layout[4] as string;
  if (comma) {
    // `arg,  # note\n` -> keep the line, add ours below it.
    const at = after.endIndex + layout[0].length;
    const pos = positionOf(source, at);
    return insertAt(pos, `${indent}${keyword}=${value},${eol}`);
  }
  // `arg\n)`: the last argument without a trailing comma.
  return insertAfter(after, `,${eol}${indent}${keyword}=${value}`);
}

function positionOf(source: string, offset: number): Position {
  const before = source.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/**
 * One edit that turns `before` into `after` (a fix computed on an intermediate text): the lines from
 * the first that differs to the end of what differs.
 */
export function replaceDifference(before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  // Whole lines: the edit starts where the first changed line starts.
  start = before.lastIndexOf('\n', start - 1) + 1;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  const starts = lineStarts(before);
  return { range: { start: positionAt(starts, start), end: positionAt(starts, before.length - end) }, newText: after.slice(start, after.length - end) };
}

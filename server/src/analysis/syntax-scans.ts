/**
 * One open document's last scans for the errors tree-sitter lets through (indentation.ts,
 * argument-errors.ts): each reads the whole text, and on a 4,000-line squashed migration the two
 * took half of a keystroke's lint (2.7 of 5.2 ms in a profile of the editor bench). A keystroke
 * changes one stretch of the text, so the scans start again shortly before it and rejoin the last
 * scan where their state is the same again after it. The outcome is what a whole scan gives (the
 * tests compare the two over thousands of edits).
 */
import { argumentScan, argumentScanAfterEdit, rememberArgumentScan, scannedText, type ArgumentScan } from './argument-errors';
import { indentationScan, indentationScanAfterEdit, rememberIndentationScan, type IndentationScan } from './indentation';
import type { Node } from './syntax';

/** How the text differs from the one before: one stretch, from `from` to `oldEnd` there and to `newEnd` here. */
export interface Difference {
  from: number;
  oldEnd: number;
  newEnd: number;
}

const CHUNK = 1024;

/** The one changed stretch that turns `before` into `after` (the longest common start and end), or null when they are the same. */
export function differenceOf(before: string, after: string): Difference | null {
  if (before === after) return null;
  const n = Math.min(before.length, after.length);
  let p = 0;
  // A chunk at a time (a comparison of two slices runs at memory speed), then a character at a time.
  while (p + CHUNK <= n && before.slice(p, p + CHUNK) === after.slice(p, p + CHUNK)) p += CHUNK;
  while (p < n && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  const room = n - p;
  let s = 0;
  while (s + CHUNK <= room && before.slice(before.length - s - CHUNK, before.length - s) === after.slice(after.length - s - CHUNK, after.length - s)) s += CHUNK;
  while (s < room && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  return { from: p, oldEnd: before.length - s, newEnd: after.length - s };
}

export class SyntaxScans {
  private last: { text: string; args: ArgumentScan; indentation: IndentationScan } | null = null;

  /**
   * Scans the text of `root`'s tree, from the last scan where it can, and records the outcome as the
   * tree's (argumentError and indentationError then answer from it). A tree with a syntax error of
   * tree-sitter's own is not scanned: the scans are only asked about trees without one.
   */
  prime(root: Node): void {
    if (root.hasError) return;
    const text = scannedText(root);
    const before = this.last;
    const d = before ? differenceOf(before.text, text) : null;
    let args: ArgumentScan;
    let indentation: IndentationScan;
    if (before && d === null) ({ args, indentation } = before);
    else if (before && d) {
      args = argumentScanAfterEdit(text, before.args, d.from, d.oldEnd, d.newEnd);
      indentation = indentationScanAfterEdit(text, before.indentation, d.from, d.oldEnd, d.newEnd);
    } else {
      args = argumentScan(text);
      indentation = indentationScan(text);
    }
    this.last = { text, args, indentation };
    rememberIndentationScan(root, indentation);
    rememberArgumentScan(root, text, args);
  }
}

/**
 * The indentation errors Python's tokenizer raises and tree-sitter's Python grammar lets through:
 * a block that is not indented (`def f():` then `return` at the same column), a line indented for
 * no block ("unexpected indent"), a dedent to a column no enclosing block has ("unindent does not
 * match any outer indentation level"), and tabs and spaces that give different nesting at tab sizes
 * 8 and 1 (TabError). Each makes the module fail to import as surely as a syntax error does.
 *
 * A scan of the text as the tokenizer sees it: logical lines (brackets and backslashes join
 * physical lines; blank and comment-only lines do not count), strings skipped (triple-quoted ones
 * across lines). Where the scan cannot follow the text — a string left open at the end of a line —
 * it says nothing: tree-sitter reports that one itself.
 */
import { argumentError } from './argument-errors';
import type { Node } from './syntax';

export interface IndentationProblem {
  /** Zero-based line and column of the offending line's first character (or of the end of the file). */
  line: number;
  character: number;
  message: string;
}

// Character codes the scan compares (a code, not a one-character string, per character read).
const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const FF = 12;
const HASH = 35;
const BACKSLASH = 92;
const DQUOTE = 34;
const SQUOTE = 39;
const COLON = 58;

/** The first indentation error Python would raise in `text`, or null. */
export function indentationProblem(text: string): IndentationProblem | null {
  const n = text.length;
  const at = (k: number): number => (k < n ? text.charCodeAt(k) : 0);
  // The indentation stack at tab size 8 and at tab size 1 (Python compares both to find TabError).
  const cols = [0];
  const alts = [0];
  let depth = 0;
  /** The quote of the open triple-quoted string, or 0 outside one. */
  let triple = 0;
  let continued = false;
  let pendingBlock = -1; // the line of a header ending in ':' whose block has not started yet
  let last = 0; // the last significant character of the logical line so far (0: none)
  let line = 0;
  let i = 0;
  while (i < n) {
    // At the start of a physical line.
    if (depth === 0 && triple === 0 && !continued) {
      let col = 0;
      let alt = 0;
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === SPACE) {
          col++;
          alt++;
        } else if (c === TAB) {
          col = (Math.floor(col / 8) + 1) * 8;
          alt++;
        } else if (c === FF) {
          col = 0;
          alt = 0;
        } else break;
      }
      const first = j < n ? text.charCodeAt(j) : NL;
      const blank = first === NL || first === CR || first === HASH || (first === BACKSLASH && (at(j + 1) === NL || at(j + 1) === CR));
      if (!blank) {
        const where = { line, character: j - i };
        const top = cols.length - 1;
        const topCol = cols[top] as number;
        const topAlt = alts[top] as number;
        if (pendingBlock >= 0) {
          if (col <= topCol) return { ...where, message: `IndentationError: expected an indented block after the line ${pendingBlock + 1} ends with ':'` };
          if (alt <= topAlt) return { ...where, message: 'TabError: inconsistent use of tabs and spaces in indentation' };
          cols.push(col);
          alts.push(alt);
          pendingBlock = -1;
        } else if (col > topCol) {
          return { ...where, message: 'IndentationError: unexpected indent' };
        } else if (col === topCol) {
          if (alt !== topAlt) return { ...where, message: 'TabError: inconsistent use of tabs and spaces in indentation' };
        } else {
          while (cols.length > 1 && col < (cols[cols.length - 1] as number)) {
            cols.pop();
            alts.pop();
          }
          if (col !== cols[cols.length - 1]) return { ...where, message: 'IndentationError: unindent does not match any outer indentation level' };
          if (alt !== alts[alts.length - 1]) return { ...where, message: 'TabError: inconsistent use of tabs and spaces in indentation' };
        }
        last = 0;
      }
      i = j;
    }
    continued = false;
    // The rest of the physical line.
    while (i < n) {
      const c = text.charCodeAt(i);
      if (triple !== 0) {
        if (c === BACKSLASH) {
          i += at(i + 1) === CR && at(i + 2) === NL ? 3 : 2;
          continue;
        }
        if (c === NL) break;
        if (c === triple && at(i + 1) === triple && at(i + 2) === triple) {
          i += 3;
          triple = 0;
          last = c;
          continue;
        }
        i++;
        continue;
      }
      if (c === NL) break;
      if (c === HASH) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? n : end;
        break;
      }
      if (c === BACKSLASH && (at(i + 1) === NL || (at(i + 1) === CR && at(i + 2) === NL))) {
        continued = true;
        i += at(i + 1) === NL ? 1 : 2;
        break;
      }
      if (c === DQUOTE || c === SQUOTE) {
        if (at(i + 1) === c && at(i + 2) === c) {
          triple = c;
          i += 3;
          continue;
        }
        // A one-line string: to its closing quote on this line, or the scan gives up.
        let k = i + 1;
        for (; k < n; k++) {
          const d = text.charCodeAt(k);
          if (d === BACKSLASH) {
            if (at(k + 1) === CR && at(k + 2) === NL) k += 2;
            else k++;
            continue;
          }
          if (d === c) break;
          if (d === NL) return null;
        }
        if (k >= n) return null;
        i = k + 1;
        last = c;
        continue;
      }
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) depth = depth > 0 ? depth - 1 : 0;
      if (c !== SPACE && c !== TAB && c !== CR && c !== FF) last = c;
      i++;
    }
    // The end of a physical line.
    if (i < n && text.charCodeAt(i) === NL) i++;
    line++;
    if (depth === 0 && triple === 0 && !continued && last !== 0) {
      if (last === COLON) pendingBlock = line - 1;
      last = 0;
    }
  }
  if (triple !== 0) return null;
  if (pendingBlock >= 0) return { line, character: 0, message: `IndentationError: expected an indented block after the line ${pendingBlock + 1} ends with ':'` };
  return null;
}

/** Indentation errors by tree (a Tree's root Node is a new object on each access; the Tree is not). */
const byTree = new WeakMap<object, IndentationProblem | null>();

/** The first indentation error of the text a tree was parsed from (scanned once per tree). */
export function indentationError(root: Node): IndentationProblem | null {
  const key = root.tree as object;
  let found = byTree.get(key);
  if (found === undefined) {
    // The module's node starts at its first token: the blank lines and the indentation before it
    // are put back (an indented first line is an error of its own).
    const { row, column } = root.startPosition;
    const lead = row === 0 && column === 0 ? '' : '\n'.repeat(row) + ' '.repeat(column);
    byTree.set(key, (found = indentationProblem(lead + root.text)));
  }
  return found;
}

/**
 * True when Python can compile the file the tree was read from: no place tree-sitter had to
 * recover, no indentation error, no error in a call's arguments (argument-errors.ts). No fix may edit a file that it cannot (the syntax-error rule says where).
 */
export function parsesAsPython(root: Node): boolean {
  return !root.hasError && indentationError(root) === null && argumentError(root) === null;
}

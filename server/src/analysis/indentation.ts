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

export interface IndentationProblem {
  /** Zero-based line and column of the offending line's first character (or of the end of the file). */
  line: number;
  character: number;
  message: string;
}

const OPENERS = '([{';
const CLOSERS = ')]}';

/** The first indentation error Python would raise in `text`, or null. */
export function indentationProblem(text: string): IndentationProblem | null {
  const n = text.length;
  // The indentation stack at tab size 8 and at tab size 1 (Python compares both to find TabError).
  const cols = [0];
  const alts = [0];
  let depth = 0;
  /** The open triple-quoted string's quote (`'''` or `"""`), or '' outside one. */
  let triple = '';
  let continued = false;
  let pendingBlock = -1; // the line of a header ending in ':' whose block has not started yet
  let lastSignificant = '';
  let line = 0;
  let i = 0;
  while (i < n) {
    // At the start of a physical line.
    if (depth === 0 && triple === '' && !continued) {
      let col = 0;
      let alt = 0;
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === 32) {
          col++;
          alt++;
        } else if (c === 9) {
          col = (Math.floor(col / 8) + 1) * 8;
          alt++;
        } else if (c === 12) {
          col = 0;
          alt = 0;
        } else break;
      }
      const first = j < n ? text[j] : '\n';
      const blank = first === '\n' || first === '\r' || first === '#' || (first === '\\' && (text[j + 1] === '\n' || text[j + 1] === '\r'));
      if (!blank) {
        const at = { line, character: j - i };
        const top = cols.length - 1;
        const topCol = cols[top] as number;
        const topAlt = alts[top] as number;
        if (pendingBlock >= 0) {
          if (col <= topCol) return { ...at, message: `IndentationError: expected an indented block after the line ${pendingBlock + 1} ends with ':'` };
          if (alt <= topAlt) return { ...at, message: 'TabError: inconsistent use of tabs and spaces in indentation' };
          cols.push(col);
          alts.push(alt);
          pendingBlock = -1;
        } else if (col > topCol) {
          return { ...at, message: 'IndentationError: unexpected indent' };
        } else if (col === topCol) {
          if (alt !== topAlt) return { ...at, message: 'TabError: inconsistent use of tabs and spaces in indentation' };
        } else {
          while (cols.length > 1 && col < (cols[cols.length - 1] as number)) {
            cols.pop();
            alts.pop();
          }
          if (col !== cols[cols.length - 1]) return { ...at, message: 'IndentationError: unindent does not match any outer indentation level' };
          if (alt !== alts[alts.length - 1]) return { ...at, message: 'TabError: inconsistent use of tabs and spaces in indentation' };
        }
        lastSignificant = '';
      }
      i = j;
    }
    continued = false;
    // The rest of the physical line.
    while (i < n) {
      const c = text[i] as string;
      if (triple !== '') {
        if (c === '\\') {
          i += text[i + 1] === '\r' && text[i + 2] === '\n' ? 3 : 2;
          continue;
        }
        if (c === '\n') break;
        if (text.startsWith(triple, i)) {
          i += 3;
          triple = '';
          lastSignificant = c;
          continue;
        }
        i++;
        continue;
      }
      if (c === '\n') break;
      if (c === '#') {
        while (i < n && text[i] !== '\n') i++;
        break;
      }
      if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
        continued = true;
        i += text[i + 1] === '\n' ? 1 : 2;
        break;
      }
      if (c === '"' || c === "'") {
        if (text[i + 1] === c && text[i + 2] === c) {
          triple = c + c + c;
          i += 3;
          continue;
        }
        // A one-line string: to its closing quote on this line, or the scan gives up.
        let k = i + 1;
        for (; k < n; k++) {
          const d = text[k];
          if (d === '\\') {
            if (text[k + 1] === '\r' && text[k + 2] === '\n') k += 2;
            else k++;
            continue;
          }
          if (d === c) break;
          if (d === '\n') return null;
        }
        if (k >= n) return null;
        i = k + 1;
        lastSignificant = c;
        continue;
      }
      if (OPENERS.includes(c)) depth++;
      else if (CLOSERS.includes(c)) depth = Math.max(0, depth - 1);
      if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\f') lastSignificant = c;
      i++;
    }
    // The end of a physical line.
    if (i < n && text[i] === '\n') i++;
    line++;
    if (depth === 0 && triple === '' && !continued && lastSignificant !== '') {
      if (lastSignificant === ':') pendingBlock = line - 1;
      lastSignificant = '';
    }
  }
  if (triple !== '') return null;
  if (pendingBlock >= 0) return { line, character: 0, message: `IndentationError: expected an indented block after the line ${pendingBlock + 1} ends with ':'` };
  return null;
}

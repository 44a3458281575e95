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
import { argumentError, isNamePart, scannedText } from './argument-errors';
import { Rejoining, resumePoints, type Snapshot } from './resumable-scan';
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

/** Where the scan may go on from: the start of a physical line and the scan's state there. */
export interface IndentationSnapshot extends Snapshot {
  line: number;
  /** The indentation stack at tab size 8 and at tab size 1 (Python compares both to find TabError). */
  cols: readonly number[];
  alts: readonly number[];
  depth: number;
  /** The quote of the open triple-quoted string, or 0 outside one. */
  triple: number;
  continued: boolean;
  /** The line of a header ending in ':' whose block has not started yet, or -1. */
  pendingBlock: number;
  /** The last significant character of the logical line so far (0: none). */
  last: number;
}

type Kind = 'block' | 'unexpected' | 'unindent' | 'tab' | 'dangling' | 'unterminated';

/** A problem as the scan finds it (the message is written at the end: it names a line, which an edit above it moves). */
interface Found {
  line: number;
  character: number;
  kind: Kind;
  /** For 'block': the header's line. */
  header: number;
}

/** A whole scan of a text: its first problem ('gave up' where it cannot follow the text), and snapshots when asked. */
export interface IndentationScan {
  found: Found | null;
  snapshots: IndentationSnapshot[];
}

const SNAPSHOT_EVERY = 1024;

/**
 * The last characters of operators that need a right operand (`=`, `+=`, `==`, `+`, `-`, `/`, `%`, `&`,
 * `|`, `^`, `<`, `>`, `->`, `~`, `@`): a logical line that ends with one is cut off (`x =` and its value on
 * the next line without a backslash), which the grammar reads across the line break and Python refuses.
 * (`*` ends `from m import *`; `.` ends the float `1.`.)
 */
const DANGLING_CHARS = new Set([61, 43, 45, 47, 37, 38, 124, 94, 60, 62, 126, 64]);

/** Keywords that cannot end a statement (`x = a and`, `import`, `if`): what follows them was cut off. */
const DANGLING_WORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'elif', 'else', 'while', 'for', 'with', 'lambda', 'import', 'from', 'as', 'assert', 'del', 'global']);

/** Whether the code of the line from `lineStart` to `end` ends with one of DANGLING_WORDS (read back, never before the line). */
function endsWithKeyword(text: string, lineStart: number, end: number): boolean {
  let k = end - 1;
  while (k >= lineStart && (text.charCodeAt(k) === SPACE || text.charCodeAt(k) === TAB || text.charCodeAt(k) === CR || text.charCodeAt(k) === FF)) k--;
  const wordEnd = k + 1;
  while (k >= lineStart && isNamePart(text.charCodeAt(k))) k--;
  if (wordEnd - (k + 1) < 2 || wordEnd - (k + 1) > 6) return false;
  // An attribute (`x.is`) is no keyword (and Python refuses it anyway).
  if (k >= lineStart && text.charCodeAt(k) === 46) return false;
  return DANGLING_WORDS.has(text.slice(k + 1, wordEnd));
}

const START: IndentationSnapshot = { at: 0, line: 0, cols: [0], alts: [0], depth: 0, triple: 0, continued: false, pendingBlock: -1, last: 0 };

function sameState(a: IndentationSnapshot, b: IndentationSnapshot, lines: number): boolean {
  return (
    a.depth === b.depth &&
    a.triple === b.triple &&
    a.continued === b.continued &&
    a.last === b.last &&
    (a.pendingBlock === -1 ? b.pendingBlock === -1 : a.pendingBlock + lines === b.pendingBlock) &&
    a.cols.length === b.cols.length &&
    a.cols.every((c, k) => c === b.cols[k] && a.alts[k] === b.alts[k])
  );
}

function scanFrom(text: string, start: IndentationSnapshot, record: boolean, rejoin?: { earlier: Rejoining<IndentationSnapshot>; found: Found | null }): IndentationScan {
  const n = text.length;
  const at = (k: number): number => (k < n ? text.charCodeAt(k) : 0);
  const cols = [...start.cols];
  const alts = [...start.alts];
  let { depth, triple, continued, pendingBlock, last, line } = start;
  const snapshots: IndentationSnapshot[] = [];
  let nextSnapshot = start.at + SNAPSHOT_EVERY;
  const found = (where: { line: number; character: number }, kind: Kind, header = -1): IndentationScan => ({ found: { ...where, kind, header }, snapshots });
  const gaveUp = (): IndentationScan => ({ found: null, snapshots });
  let i = start.at;
  while (i < n) {
    const lineStart = i;
    // The head of the loop: the scan's whole state is here.
    const then = rejoin?.earlier.at(i);
    if (rejoin && then && sameState(then, { at: i, line, cols, alts, depth, triple, continued, pendingBlock, last }, line - then.line)) {
      const { delta } = rejoin.earlier;
      const lines = line - then.line;
      const rest = rejoin.found;
      const moved = (x: IndentationSnapshot): IndentationSnapshot => ({ ...x, at: x.at + delta, line: x.line + lines, pendingBlock: x.pendingBlock === -1 ? -1 : x.pendingBlock + lines });
      return { found: rest ? { ...rest, line: rest.line + lines, header: rest.header === -1 ? -1 : rest.header + lines } : null, snapshots: [...snapshots, ...rejoin.earlier.rest(moved)] };
    }
    if (record && i >= nextSnapshot) {
      snapshots.push({ at: i, line, cols: [...cols], alts: [...alts], depth, triple, continued, pendingBlock, last });
      nextSnapshot = i + SNAPSHOT_EVERY;
    }
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
          if (col <= topCol) return found(where, 'block', pendingBlock);
          if (alt <= topAlt) return found(where, 'tab');
          cols.push(col);
          alts.push(alt);
          pendingBlock = -1;
        } else if (col > topCol) {
          return found(where, 'unexpected');
        } else if (col === topCol) {
          if (alt !== topAlt) return found(where, 'tab');
        } else {
          while (cols.length > 1 && col < (cols[cols.length - 1] as number)) {
            cols.pop();
            alts.pop();
          }
          if (col !== cols[cols.length - 1]) return found(where, 'unindent');
          if (alt !== alts[alts.length - 1]) return found(where, 'tab');
        }
        last = 0;
      }
      i = j;
    }
    continued = false;
    // The rest of the physical line; where its code ends (before a comment).
    let codeEnd = -1;
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
        codeEnd = i;
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
        // A one-line string: to its closing quote on this line. One that meets the end of its line is
        // an error Python reports (the grammar reads on into the next line) — but an f-string's
        // replacement fields may hold quotes and line breaks from Python 3.12 on: there the scan gives up.
        let k = i + 1;
        for (; k < n; k++) {
          const d = text.charCodeAt(k);
          if (d === BACKSLASH) {
            if (at(k + 1) === CR && at(k + 2) === NL) k += 2;
            else k++;
            continue;
          }
          if (d === c) break;
          if (d === NL || (d === CR && at(k + 1) === NL)) {
            let p = i - 1;
            while (p >= lineStart && isNamePart(text.charCodeAt(p))) p--;
            const prefix = text.slice(p + 1, i);
            return /^[rRbBuU]{0,2}$/.test(prefix) ? found({ line, character: i - lineStart }, 'unterminated') : gaveUp();
          }
        }
        if (k >= n) return gaveUp();
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
    if (codeEnd < 0) codeEnd = i;
    if (i < n && text.charCodeAt(i) === NL) i++;
    line++;
    if (depth === 0 && triple === 0 && !continued && last !== 0) {
      if (last === COLON) pendingBlock = line - 1;
      else if (DANGLING_CHARS.has(last) || endsWithKeyword(text, lineStart, codeEnd)) return found({ line: line - 1, character: codeEnd - lineStart }, 'dangling');
      last = 0;
    }
  }
  if (triple !== 0) return gaveUp();
  if (pendingBlock >= 0) return found({ line, character: 0 }, 'block', pendingBlock);
  return { found: null, snapshots };
}

const MESSAGES: Record<Exclude<Kind, 'block'>, string> = {
  dangling: 'SyntaxError: invalid syntax (the line ends where an operand must follow, and no bracket or backslash continues it)',
  unterminated: 'SyntaxError: unterminated string literal',
  unexpected: 'IndentationError: unexpected indent',
  unindent: 'IndentationError: unindent does not match any outer indentation level',
  tab: 'TabError: inconsistent use of tabs and spaces in indentation',
};

/** The problem a scan found, with its message. */
export function indentationProblemOf(scan: IndentationScan): IndentationProblem | null {
  const f = scan.found;
  if (!f) return null;
  const message = f.kind === 'block' ? `IndentationError: expected an indented block after the line ${f.header + 1} ends with ':'` : MESSAGES[f.kind];
  return { line: f.line, character: f.character, message };
}

/** The first indentation error Python would raise in `text`, or null. */
export function indentationProblem(text: string): IndentationProblem | null {
  return indentationProblemOf(scanFrom(text, START, false));
}

/** The whole scan of `text`, with its snapshots, for a later text to be scanned from (indentationScanAfterEdit). */
export function indentationScan(text: string): IndentationScan {
  return scanFrom(text, START, true);
}

/**
 * The scan of `text`, which is the text `scan` read with the characters from `from` to `oldEnd`
 * replaced by those from `from` to `newEnd`: started again at the last line start before the
 * change, it rejoins the earlier scan at a line start after it where the state is the same.
 */
export function indentationScanAfterEdit(text: string, scan: IndentationScan, from: number, oldEnd: number, newEnd: number): IndentationScan {
  // Lookahead reads two characters past a position (a CRLF after a backslash): the restart is clear of the change by more.
  const { restart, rejoinFrom } = resumePoints(scan.snapshots, from, oldEnd, 3);
  const earlier = new Rejoining(scan.snapshots, rejoinFrom, newEnd - oldEnd, newEnd);
  const rest = scanFrom(text, scan.snapshots[restart] ?? START, true, { earlier, found: scan.found });
  return { found: rest.found, snapshots: [...scan.snapshots.slice(0, restart + 1), ...rest.snapshots] };
}

/** Indentation errors by tree (a Tree's root Node is a new object on each access; the Tree is not). */
const byTree = new WeakMap<object, IndentationProblem | null>();

/** The first indentation error of the text a tree was parsed from (scanned once per tree). */
export function indentationError(root: Node): IndentationProblem | null {
  const key = root.tree as object;
  let found = byTree.get(key);
  if (found === undefined) byTree.set(key, (found = indentationProblem(scannedText(root))));
  return found;
}

/** Records what a scan of the tree's text (scannedText) found, so indentationError does not scan it again. */
export function rememberIndentationScan(root: Node, scan: IndentationScan): void {
  byTree.set(root.tree as object, indentationProblemOf(scan));
}

/**
 * True when Python can compile the file the tree was read from: no place tree-sitter had to
 * recover, no indentation error, no error in a call's arguments (argument-errors.ts). No fix may edit a file that it cannot (the syntax-error rule says where).
 */
export function parsesAsPython(root: Node): boolean {
  return !root.hasError && indentationError(root) === null && argumentError(root) === null;
}

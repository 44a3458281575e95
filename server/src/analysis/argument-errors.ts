/**
 * The errors Python's compiler raises over a call's arguments that tree-sitter's grammar lets
 * through, each as fatal to importing the module as a syntax error: a keyword argument given twice
 * (`AddField(model_name="a", model_name="b")`, what a duplicated line in an operation makes), a
 * positional argument after a keyword argument or after `**`, and `*` after `**` (in calls,
 * decorators and class bases alike).
 *
 * A scan of the text, once per tree: walking the tree's argument lists cost a tenth of the parse
 * (a node per argument read out of WebAssembly); the scan skips strings and comments and follows
 * brackets, and reads each call's arguments at its own depth. A function's parameters are not read.
 * `argumentError` also answers for the errors of whole statements (statement-errors.ts), read after the scan.
 */
import { Rejoining, resumePoints, type Snapshot } from './resumable-scan';
import { statementProblem } from './statement-errors';
import type { Node } from './syntax';

export interface ArgumentProblem {
  /** Zero-based line and column of the offending argument. */
  line: number;
  character: number;
  message: string;
}

/** Words before `(` that open no call (`if (a)`, `return (x)`, `def f(`: parameters, not read here). */
const NOT_CALLS = new Set(['if', 'elif', 'while', 'for', 'in', 'not', 'and', 'or', 'is', 'return', 'yield', 'lambda', 'assert', 'del', 'with', 'except', 'import', 'from', 'await', 'else', 'raise', 'print', 'exec', 'def', 'class', 'as', 'async', 'match', 'case']);

export interface Frame {
  call: boolean;
  keywords: Set<string>;
  keyword: boolean;
  keywordSplat: boolean;
  /** At the start of an argument (after `(` or a `,` of this frame). */
  itemStart: boolean;
  /** Inside a lambda's parameters, at this frame's depth: their commas separate no arguments. */
  lambda: boolean;
}

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
/** A character code that may continue a Python name (letters, digits, `_`, anything past ASCII). */
export const isNamePart = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);

/** Where the scan may go on from: a loop head (never inside a string or comment) and the brackets open there. */
export interface ArgumentSnapshot extends Snapshot {
  stack: readonly Frame[];
}

/** A problem found by the scan, by its offset in the text (its line and column are worked out at the end). */
interface Found {
  index: number;
  message: string;
}

/** What a scan of a whole text yields: its first problem, and snapshots about every SNAPSHOT_EVERY characters (when asked). */
export interface ArgumentScan {
  found: Found | null;
  snapshots: ArgumentSnapshot[];
}

/** How far apart (in characters) a recording scan keeps snapshots. */
const SNAPSHOT_EVERY = 1024;

const copyFrame = (f: Frame): Frame => ({ ...f, keywords: new Set(f.keywords) });

function sameFrames(a: readonly Frame[], b: readonly Frame[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] as Frame;
    const y = b[k] as Frame;
    if (x.call !== y.call || x.keyword !== y.keyword || x.keywordSplat !== y.keywordSplat || x.itemStart !== y.itemStart || x.lambda !== y.lambda || x.keywords.size !== y.keywords.size) return false;
    for (const w of x.keywords) if (!y.keywords.has(w)) return false;
  }
  return true;
}

/**
 * The scan of `text` from `start`. With `record`, snapshots are kept on the way; with `rejoin`,
 * the scan stops where its state is again what the earlier scan's was at the same text, and the
 * rest is that scan's (its problem and snapshots moved by the difference in length).
 */
function scanFrom(text: string, start: ArgumentSnapshot, record: boolean, rejoin?: { earlier: Rejoining<ArgumentSnapshot>; found: Found | null }): ArgumentScan {
  const n = text.length;
  const at = (k: number): number => (k < n ? text.charCodeAt(k) : 0);
  const stack: Frame[] = start.stack.map(copyFrame);
  const snapshots: ArgumentSnapshot[] = [];
  let nextSnapshot = start.at + SNAPSHOT_EVERY;
  const found = (index: number, message: string): ArgumentScan => ({ found: { index, message: `SyntaxError: ${message}` }, snapshots });
  /** Whether the `(` at `k` opens a call: a name (not a keyword), `)` or `]` right before it. */
  const opensCall = (k: number): boolean => {
    let j = k - 1;
    while (j >= 0 && (at(j) === 32 || at(j) === 9)) j--;
    const c = at(j);
    if (c === 41 || c === 93) return true;
    if (!isNamePart(c) || j < 0) return false;
    let s = j;
    while (s > 0 && isNamePart(at(s - 1))) s--;
    const word = text.slice(s, j + 1);
    if (NOT_CALLS.has(word) || !isNameStart(at(s))) return false;
    // `def name(`: parameters.
    let p = s - 1;
    while (p >= 0 && (at(p) === 32 || at(p) === 9)) p--;
    return !(p >= 2 && text.slice(p - 2, p + 1) === 'def' && !isNamePart(at(p - 3)));
  };
  /** Whether a lambda starts at `k` (its parameters' commas then separate no arguments). */
  const lambdaAt = (k: number): boolean => text.startsWith('lambda', k) && !isNamePart(at(k + 6));
  /** An argument starts at `k` (a keyword, a splat, or a positional one): the error it makes, or null. */
  const argument = (top: Frame, k: number): ArgumentScan | null => {
    const c = at(k);
    if (c === 42 && at(k + 1) === 42) top.keywordSplat = true;
    else if (c === 42) return top.keywordSplat ? found(k, 'iterable argument unpacking follows keyword argument unpacking') : null;
    else {
      let keyword: string | null = null;
      let value = k;
      if (isNameStart(c)) {
        let e = k + 1;
        while (isNamePart(at(e))) e++;
        let j = e;
        while (at(j) === 32 || at(j) === 9 || at(j) === 10 || at(j) === 13) j++;
        if (at(j) === 61 && at(j + 1) !== 61) {
          keyword = text.slice(k, e);
          value = j + 1;
          while (at(value) === 32 || at(value) === 9 || at(value) === 10 || at(value) === 13) value++;
        }
      }
      if (lambdaAt(value)) top.lambda = true;
      if (keyword !== null) {
        if (top.keywords.has(keyword)) return found(k, `keyword argument repeated: ${keyword}`);
        top.keywords.add(keyword);
        top.keyword = true;
      } else if (top.keywordSplat) return found(k, 'positional argument follows keyword argument unpacking');
      else if (top.keyword) return found(k, 'positional argument follows keyword argument');
    }
    return null;
  };
  const special = /[#"'()[\]{},:]/g;
  let i = start.at;
  while (i < n) {
    // A loop head: what follows depends only on `i`, the stack and the text from `i - 1` on (a name
    // before a `(` is read backwards, but never past the special character or string that ended the last step).
    const then = rejoin?.earlier.at(i);
    if (rejoin && then && sameFrames(then.stack, stack)) {
      const { delta } = rejoin.earlier;
      const rest = rejoin.found;
      return { found: rest ? { index: rest.index + delta, message: rest.message } : null, snapshots: [...snapshots, ...rejoin.earlier.rest((x) => ({ at: x.at + delta, stack: x.stack }))] };
    }
    if (record && i >= nextSnapshot) {
      snapshots.push({ at: i, stack: stack.map(copyFrame) });
      nextSnapshot = i + SNAPSHOT_EVERY;
    }
    const top = stack[stack.length - 1];
    if (top?.call && top.itemStart) {
      // Skip to the argument: blanks, line breaks, comments.
      let c = at(i);
      while (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 92 || c === 35) {
        if (c === 35) {
          const nl = text.indexOf('\n', i);
          i = nl === -1 ? n : nl;
        } else i++;
        c = at(i);
      }
      top.itemStart = false;
      if (i < n && c !== 41) {
        const problem = argument(top, i);
        if (problem) return problem;
      }
    }
    special.lastIndex = i;
    const m = special.exec(text);
    if (!m) break;
    i = m.index;
    const c = at(i);
    if (c === 35) {
      // A comment: to the end of the line.
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? n : nl;
      continue;
    }
    if (c === 34 || c === 39) {
      // A string (its prefix letters were passed over as a name): to its closing quote.
      const triple = at(i + 1) === c && at(i + 2) === c;
      const q = triple ? 3 : 1;
      let j = i + q;
      for (;;) {
        if (j >= n) return { found: null, snapshots }; // left open: tree-sitter reports that one
        const d = at(j);
        if (d === 92) {
          j += 2;
          continue;
        }
        if (d === c && (!triple || (at(j + 1) === c && at(j + 2) === c))) break;
        if (!triple && d === 10) break;
        j++;
      }
      i = j + q;
      continue;
    }
    const frame = stack[stack.length - 1];
    if (c === 40 || c === 91 || c === 123) {
      stack.push({ call: c === 40 && opensCall(i), keywords: new Set(), keyword: false, keywordSplat: false, itemStart: true, lambda: false });
    } else if (c === 41 || c === 93 || c === 125) {
      stack.pop();
    } else if (c === 44 && frame && !frame.lambda) {
      frame.itemStart = true;
    } else if (c === 58 && frame?.lambda) {
      frame.lambda = false;
    }
    i++;
  }
  return { found: null, snapshots };
}

/** Line and column of offset `k` in `text`. */
function positionOf(text: string, k: number): { line: number; character: number } {
  let line = 0;
  let start = 0;
  for (let j = text.indexOf('\n'); j !== -1 && j < k; j = text.indexOf('\n', j + 1)) {
    line++;
    start = j + 1;
  }
  return { line, character: k - start };
}

const asProblem = (text: string, f: Found | null): ArgumentProblem | null => (f ? { ...positionOf(text, f.index), message: f.message } : null);

/** The first such error in `text`, or null. */
export function argumentProblem(text: string): ArgumentProblem | null {
  return asProblem(text, scanFrom(text, { at: 0, stack: [] }, false).found);
}

/** The whole scan of `text`, with its snapshots, for a later text to be scanned from (argumentScanAfterEdit). */
export function argumentScan(text: string): ArgumentScan {
  return scanFrom(text, { at: 0, stack: [] }, true);
}

/**
 * The scan of `text`, which is `before`'s text (scanned as `scan`) with the characters from `from`
 * to `oldEnd` replaced by those from `from` to `newEnd`: started again at the last snapshot before
 * the change, it rejoins the earlier scan after it (where the state is the same again), so a
 * keystroke in a large file scans a few thousand characters, not all of them.
 */
export function argumentScanAfterEdit(text: string, scan: ArgumentScan, from: number, oldEnd: number, newEnd: number): ArgumentScan {
  const { restart, rejoinFrom } = resumePoints(scan.snapshots, from, oldEnd, 1);
  const start = scan.snapshots[restart] ?? { at: 0, stack: [] };
  // A loop head's character is read at most one place back (`)(` opens a call, `}(` does not), never
  // further: the state at a loop head past the change's first character after it decides the rest.
  const earlier = new Rejoining(scan.snapshots, rejoinFrom, newEnd - oldEnd, newEnd + 1);
  const rest = scanFrom(text, start, true, { earlier, found: scan.found });
  // The snapshots before the change hold as they were (scanFrom records only after its start).
  return { found: rest.found, snapshots: [...scan.snapshots.slice(0, restart + 1), ...rest.snapshots] };
}

/** The problem a scan found, with its line and column in `text`. */
export function problemOf(text: string, scan: ArgumentScan): ArgumentProblem | null {
  return asProblem(text, scan.found);
}

const byTree = new WeakMap<object, ArgumentProblem | null>();

/**
 * The text the scans read for a tree: the module's node starts at its first token, so the lines
 * before it are put back, for positions (an indented first line is an error of its own).
 */
export function scannedText(root: Node): string {
  const { row, column } = root.startPosition;
  const lead = row === 0 && column === 0 ? '' : '\n'.repeat(row) + ' '.repeat(column);
  return lead + root.text;
}

/** The first such error of the text a tree was parsed from (scanned once per tree). */
export function argumentError(root: Node): ArgumentProblem | null {
  const key = root.tree as object;
  let found = byTree.get(key);
  if (found === undefined) {
    const text = scannedText(root);
    byTree.set(key, (found = withStatements(root, text, argumentProblem(text))));
  }
  return found;
}

/** Records what a scan of the tree's text (scannedText) found, so argumentError does not scan it again. */
export function rememberArgumentScan(root: Node, text: string, scan: ArgumentScan): void {
  byTree.set(root.tree as object, withStatements(root, text, problemOf(text, scan)));
}

/** The scan's problem, else one of a whole statement (statement-errors.ts). */
function withStatements(root: Node, text: string, problem: ArgumentProblem | null): ArgumentProblem | null {
  return problem ?? statementProblem(root, text);
}

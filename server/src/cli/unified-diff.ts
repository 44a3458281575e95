/**
 * A unified diff of two texts (what `--diff` prints): Myers' shortest edit script over lines,
 * grouped into hunks with three lines of context, headed like `diff -u` / `git diff`.
 */
import { isAbsolute, relative } from 'node:path';

type Op = { kind: ' ' | '-' | '+'; line: string };

/**
 * Myers' O((N+M)D) diff over lines, after taking off the common head and tail (fixes touch a few
 * places, and a new file is all insertion): a split's new part of 30,000 lines is D = 30,000, and
 * the search's trace alone would be quadratic. The trace keeps one compact array per step.
 */
function diffLines(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const same = (from: number, to: number): Op[] => a.slice(from, to).map((line) => ({ kind: ' ', line }));
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  let middle: Op[];
  if (midA.length === 0) middle = midB.map((line) => ({ kind: '+', line }));
  else if (midB.length === 0) middle = midA.map((line) => ({ kind: '-', line }));
  else middle = myers(midA, midB);
  return [...same(0, head), ...middle, ...same(a.length - tail, a.length)];
}

function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  v[offset + 1] = 0;
  // trace[d] holds v[k] for k = -d..d only.
  const trace: Int32Array[] = [];
  outer: for (let d = 0; d <= max; d++) {
    const snapshot = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k++) snapshot[k + d] = v[offset + k] as number;
    trace.push(snapshot);
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break outer;
    }
  }
  // Walk the trace back to recover the edit script.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  const at = (vd: Int32Array, d: number, k: number): number => (k < -d || k > d ? -1 : (vd[k + d] as number));
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(vd, d, k - 1) < at(vd, d, k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : Math.max(0, at(vd, d, prevK));
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', line: a[x] as string });
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y] as string });
      else ops.push({ kind: '-', line: a[--x] as string });
    }
  }
  return ops.reverse();
}

/**
 * How a diff names a file: relative to the current directory when it lies inside it (`a/shop/…`,
 * what `git apply` and `patch -p1` take), else its absolute path without the a/ b/ prefixes (a name
 * like `a//work/…` or `b/../../work/…` fits no -p level). Changed and new files alike.
 */
export function diffPath(cwd: string, file: string): string {
  const r = relative(cwd, file);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r) ? r : file;
}

/** Marks a last line without a line break (a NUL: Python refuses source that holds one, so no fix edits such a file). */
const NO_EOL = '\u0000';

export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  // An empty text has no lines (a new file is all insertion), not one empty line. A last line with no
  // line break is another line than the same text with one: it carries a mark, printed as diff and
  // git print it ("\ No newline at end of file"), without which patch rejects the hunk.
  const split = (t: string) => (t === '' ? [] : t.endsWith('\n') ? t.slice(0, -1).split('\n') : `${t}${NO_EOL}`.split('\n'));
  const ops = diffLines(split(before), split(after));
  // A file that does not exist yet is diffed from /dev/null, as git does for a new file.
  const [a, b] = isAbsolute(path) ? ['', ''] : ['a/', 'b/'];
  const out: string[] = [before === '' ? '--- /dev/null' : `--- ${a}${path}`, `+++ ${b}${path}`];
  let i = 0;
  let aLine = 1;
  let bLine = 1;
  while (i < ops.length) {
    // Skip unchanged lines up to the next change, keeping `context` of them.
    let j = i;
    while (j < ops.length && (ops[j] as Op).kind === ' ') j++;
    if (j === ops.length) break;
    const start = Math.max(i, j - context);
    aLine += start - i;
    bLine += start - i;
    // Extend the hunk while changes are closer than 2 * context.
    let end = j;
    for (;;) {
      while (end < ops.length && (ops[end] as Op).kind !== ' ') end++;
      let k = end;
      while (k < ops.length && (ops[k] as Op).kind === ' ') k++;
      if (k < ops.length && k - end <= 2 * context) end = k;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const o of hunk) {
      if (o.line.endsWith(NO_EOL)) out.push(`${o.kind}${o.line.slice(0, -NO_EOL.length)}`, '\\ No newline at end of file');
      else out.push(`${o.kind}${o.line}`);
    }
    aLine += aCount;
    bLine += bCount;
    i = end;
  }
  return `${out.join('\n')}\n`;
}

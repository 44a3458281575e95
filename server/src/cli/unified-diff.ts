/**
 * A unified diff of two texts (what `--diff` prints): Myers' shortest edit script over lines,
 * grouped into hunks with three lines of context, headed like `diff -u` / `git diff`.
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Myers' O((N+M)D) diff over lines. */
function diffLines(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const v = new Map<number, number>([[1, 0]]);
  const trace: Map<number, number>[] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(new Map(v));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v.get(k - 1) ?? -1) < (v.get(k + 1) ?? -1)) ? (v.get(k + 1) ?? 0) : (v.get(k - 1) ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v.set(k, x);
      if (x >= n && y >= m) break outer;
    }
  }
  // Walk the trace back to recover the edit script.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Map<number, number>;
    const k = x - y;
    const prevK = k === -d || (k !== d && (vd.get(k - 1) ?? -1) < (vd.get(k + 1) ?? -1)) ? k + 1 : k - 1;
    const prevX = vd.get(prevK) ?? 0;
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

export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const split = (t: string) => (t === '' ? [] : (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n'));
  const ops = diffLines(split(before), split(after));
  // A file that does not exist yet is diffed from /dev/null, as git does for a new file.
  const out: string[] = [before === '' ? '--- /dev/null' : `--- a/${path}`, `+++ b/${path}`];
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
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    aLine += aCount;
    bLine += bCount;
    i = end;
  }
  return `${out.join('\n')}\n`;
}

/**
 * Small statistics and formatting helpers for the benchmark: wall-clock timing with
 * process.hrtime.bigint(), median / percentiles (nearest rank), and fixed-width number output.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Milliseconds elapsed since `start` (a process.hrtime.bigint() reading). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile (p in 0..100); NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function min(xs: readonly number[]): number {
  return xs.length ? Math.min(...xs) : NaN;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** `1234.5` → `1,234.5 ms` style, with a fixed number of decimals. */
export function ms(x: number, decimals = 1): string {
  return `${x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })} ms`;
}

export function ratio(x: number): string {
  return `${x.toFixed(2)}x`;
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function int(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

/** Prints rows of cells left-aligned (first column) / right-aligned (others), indented. */
export function table(rows: string[][], indent = '  '): void {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  for (const r of rows) console.log(indent + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
}

let gcFn: (() => void) | null | undefined;

/**
 * Full garbage collection between passes (so one pass's garbage is not billed to the next), then
 * a turn of the event loop so native finalizers (tree-sitter's native trees) actually run.
 */
export async function collectGarbage(): Promise<void> {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
  await new Promise((resolve) => setImmediate(resolve));
  gcFn?.();
}

export function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

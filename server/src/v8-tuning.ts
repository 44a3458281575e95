/**
 * V8 tuning for a long burst of work (a `check` over thousands of files, the language server's
 * workspace scan): let a function run about nine times as long as V8's default before it
 * considers optimizing it. With the default, V8 spent about a quarter of such a run's CPU
 * compiling optimized code on background threads, much of it for functions the run leaves soon
 * after. 150,000 bytes first (on the 22-project corpus, 6 interleaved runs: `check --jobs 1`
 * 9.95 -> 9.06 s CPU, the pool 12.8 -> 12.0 s); then 600,000, on the 21 whole trees, 9 interleaved
 * runs each, medians: `check --jobs 1` 6.37 -> 5.52 s CPU, the pool 8.45 -> 7.47 s, the migration
 * folders alone 5.47 -> 4.92 s, wall times within 2% either way; the server's scan (3 pairs) 7.1–7.3
 * -> 6.2–6.4 s, its background threads 2.2–2.4 -> 1.1–1.3 s. 1,200,000 gained nothing more.
 *
 * When to set it matters. A flag set at run time changes V8's flag hash, and V8 refuses every
 * code cache made under another one — Node's own, for its built-in modules, included: a worker
 * thread started after the change compiled Node's bootstrap from source (40 -> 80 ms of CPU). So
 * the budget is raised only for a run big enough to gain from it, after start-up (with a pool, once
 * every worker has started and answered), and put back before our own code cache is written
 * (code-cache.ts), which must be made under the flags the next start will have: V8's defaults
 * (the hash is of the flags' values, so putting the default back gives the default hash again).
 * The state is kept on globalThis, shared by every bundle loaded in one isolate; the flag itself
 * is process-wide.
 */
import { setFlagsFromString } from 'node:v8';

/** The bytes of bytecode a function runs between tiering checks while a long run is on. */
export const INTERRUPT_BUDGET = 600_000;
/** Node 20's V8 default. */
const DEFAULT_BUDGET = 67_584;

const HOLDS = Symbol.for('django-migration-guard.v8-budget-holds');
type Tuning = { [HOLDS]?: number };

/** A user's own --interrupt-budget (Node's command line) wins: never touched then. */
const userSet = (): boolean => process.execArgv.some((a) => a.startsWith('--interrupt-budget'));

function setBudget(bytes: number): void {
  if (!userSet()) setFlagsFromString(`--interrupt-budget=${bytes}`);
}

/** A long run starts: the budget is raised while any is on (runs may overlap: a newer scan starts before an older one ends). */
export function tuneForLongRun(): void {
  const g = globalThis as Tuning;
  g[HOLDS] = (g[HOLDS] ?? 0) + 1;
  if (g[HOLDS] === 1) setBudget(INTERRUPT_BUDGET);
}

/** A long run ends: V8's default is back once none is on. */
export function endLongRun(): void {
  const g = globalThis as Tuning;
  if (!g[HOLDS]) return;
  g[HOLDS] -= 1;
  if (g[HOLDS] === 0) setBudget(DEFAULT_BUDGET);
}

/** V8's default back whatever runs are on (before a code cache is written; the process is ending). */
export function restoreV8Defaults(): void {
  const g = globalThis as Tuning;
  if (!g[HOLDS]) return;
  g[HOLDS] = 0;
  setBudget(DEFAULT_BUDGET);
}

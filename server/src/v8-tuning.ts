/**
 * V8 tuning for a long burst of work (a `check` over thousands of files, the language server's
 * workspace scan): let a function run a little over twice as long as V8's default before it
 * considers optimizing it. With the default, V8 spent about a quarter of such a run's CPU
 * compiling optimized code on background threads, much of it for functions the run leaves soon
 * after. On the 22-project corpus (6 interleaved runs each): `check --jobs 1` 9.95 -> 9.06 s CPU,
 * the default pool 12.8 -> 12.0 s CPU; on the 21 whole trees, the server's workspace scan (8
 * interleaved runs): background threads 2.4–2.9 -> 1.7–2.1 s of CPU.
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
export const INTERRUPT_BUDGET = 150_000;
/** Node 20's V8 default. */
const DEFAULT_BUDGET = 67_584;

const RAISED = Symbol.for('django-migration-guard.v8-budget-raised');
type Tuning = { [RAISED]?: boolean };

/** A user's own --interrupt-budget (Node's command line) wins: never touched then. */
const userSet = (): boolean => process.execArgv.some((a) => a.startsWith('--interrupt-budget'));

/** Raises the budget (no-op when it is raised already or the user set it). */
export function tuneForLongRun(): void {
  const g = globalThis as Tuning;
  if (g[RAISED] || userSet()) return;
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  g[RAISED] = true;
}

/** Puts V8's default back if tuneForLongRun raised it. */
export function endLongRun(): void {
  const g = globalThis as Tuning;
  if (!g[RAISED]) return;
  setFlagsFromString(`--interrupt-budget=${DEFAULT_BUDGET}`);
  g[RAISED] = false;
}

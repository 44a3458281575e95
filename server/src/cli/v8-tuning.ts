/**
 * V8 tuning for a long check: let a function run a little over twice as long as V8's default
 * before it considers optimizing it. A `check` is one short burst over thousands of files; with
 * the default, V8 spent about a quarter of the run's CPU compiling optimized code on background
 * threads, much of it for functions the run leaves soon after. On the 22-project corpus (6
 * interleaved runs each, this machine): `check --jobs 1` 9.95 -> 9.06 s CPU, the default pool
 * 12.8 -> 12.0 s CPU; wall time within noise.
 *
 * When to set it matters. A flag set at run time changes V8's flag hash, and V8 then refuses every
 * code cache made under the old one — Node's own, for its built-in modules, included: a worker
 * thread started after the change compiled Node's bootstrap from source (40 -> 80 ms of CPU), and
 * our bundle's cache would be refused on every run that read it under other flags than it was
 * written with. So the flag is set only for a run big enough to gain from it, and, with a pool,
 * only once every worker has started and answered (and written its code cache, when it had none).
 * The flag is process-wide. The language server keeps V8's default: with this budget set at its
 * start, its workspace scan used no less CPU and its start-up lost Node's code cache.
 */
import { setFlagsFromString } from 'node:v8';

/** The bytes of bytecode a function runs between tiering checks (Node 20's V8 default: 67,584). */
export const INTERRUPT_BUDGET = 150_000;

let tuned = false;

/** Sets the budget, once per process; a user's own --interrupt-budget (Node's command line) wins. */
export function tuneForLongRun(): void {
  if (tuned) return;
  tuned = true;
  if (process.execArgv.some((a) => a.startsWith('--interrupt-budget'))) return;
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}

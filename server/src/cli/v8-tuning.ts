/**
 * Imported first by the CLI's entry (main.ts), before any other module runs: tells V8 to let a
 * function run a little over twice as long as its default before it considers optimizing it. A
 * `check` is one short burst over thousands of files; with the default, V8 spent about a quarter
 * of the run's CPU compiling optimized code on background threads, much of it for functions the
 * run leaves soon after. On the 22-project corpus (5 interleaved runs each, this machine):
 * `check --jobs 1` 9.8 -> 8.5 s CPU, the default pool 11.3 -> 9.9 s CPU and 6.1 -> 5.6 s wall; wall
 * time of one process within noise. The flag is process-wide, so the pool's worker threads share
 * it. The language server keeps V8's default: with this budget its keystroke → diagnostics times
 * after a few dozen edits were 30–60% longer (its functions were optimized later).
 */
import { setFlagsFromString } from 'node:v8';

/** The bytes of bytecode a function runs between tiering checks (Node 20's V8 default: 67,584). */
export const INTERRUPT_BUDGET = 150_000;

// A user's own NODE_OPTIONS / command-line choice wins.
if (!process.execArgv.some((a) => a.startsWith('--interrupt-budget')) && !(process.env['NODE_OPTIONS'] ?? '').includes('--interrupt-budget')) {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}

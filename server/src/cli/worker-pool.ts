/**
 * Lints many files on several cores: this thread and `jobs - 1` worker threads take batches of
 * tasks until none are left. The grammar is compiled once here and handed to the workers, so no
 * thread compiles it again; each worker keeps a second batch queued so it never waits for this
 * thread to finish its own batch before it gets more work. Results land at their task's index, so
 * the output does not depend on which thread finished first. A thread that dies fails only the
 * batches it held; the others carry on.
 */
import { Worker } from 'node:worker_threads';
import type { CompiledGrammar, GrammarPaths } from '../analysis/parser';
import { reasonOf, type FileResult, type LintConfig, type LintTask } from './types';
import type { FirstResult, WorkerInit, WorkerRequest, WorkerResponse } from './worker-protocol';

export interface PoolOptions {
  tasks: readonly LintTask[];
  configs: LintConfig[];
  jobs: number;
  workerFile: string;
  grammar: GrammarPaths;
  compiled: CompiledGrammar;
  /** Lints one task in this thread. */
  lintHere(task: LintTask): FileResult;
  /** Called once every worker has answered its first batch (or stopped), or at once without workers. */
  onWorkersStarted?(): void;
  /** Told what each worker's first result cost it, and the wall time from `new Worker` to it (for the bench). */
  onFirstResult?(first: FirstResult & { wallMs: number }): void;
}

/** Batches a worker holds at once: the one it reads and the next. */
const IN_FLIGHT = 2;

/** A worker's first batch (see lintInPool). */
const FIRST_BATCH = 4;

/** Small enough to balance the load at the end, large enough that messaging costs little. */
function batchSize(tasks: number, jobs: number): number {
  return Math.max(4, Math.min(32, Math.ceil(tasks / (jobs * 16))));
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function lintInPool(options: PoolOptions): Promise<FileResult[]> {
  const { tasks } = options;
  const size = batchSize(tasks.length, options.jobs);
  const wanted = Math.max(0, Math.min(options.jobs - 1, Math.ceil(tasks.length / size) - 1));
  const batches: number[][] = [];
  for (let i = 0; i < tasks.length; ) {
    // Worker k takes batches 2k and 2k + 1 as it starts: the first is small, so its first result
    // comes while the grammar and the code it runs are still warming up, not a full batch later.
    const n = batches.length < 2 * wanted && batches.length % 2 === 0 ? Math.min(size, FIRST_BATCH) : size;
    batches.push(Array.from({ length: Math.min(n, tasks.length - i) }, (_, k) => i + k));
    i += n;
  }
  const results: (FileResult | undefined)[] = new Array<FileResult | undefined>(tasks.length).fill(undefined);
  const init: WorkerInit = { grammar: options.grammar, compiled: options.compiled, configs: options.configs };
  let nextBatch = 0;
  let starting = 0;
  const started = (): void => {
    if (--starting === 0) options.onWorkersStarted?.();
  };

  const workerDone = (): Promise<void> =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      const worker = new Worker(options.workerFile, { workerData: init });
      const held = new Set<number>();
      let answered = false;
      const fail = (error: string): void => {
        for (const b of held) for (const i of batches[b]) results[i] ??= { status: 'failed', error };
        held.clear();
      };
      const feed = (): void => {
        while (held.size < IN_FLIGHT && nextBatch < batches.length) {
          const batch = nextBatch++;
          held.add(batch);
          const request: WorkerRequest = { batch, tasks: batches[batch].map((i) => tasks[i]) };
          worker.postMessage(request);
        }
        if (held.size === 0) void worker.terminate();
      };
      // Its first answer, or its end without one: this worker no longer starts.
      const settled = (): void => {
        if (answered) return;
        answered = true;
        started();
      };
      worker.on('message', (response: WorkerResponse) => {
        if (response.firstResult) options.onFirstResult?.({ ...response.firstResult, wallMs: performance.now() - startedAt });
        settled();
        held.delete(response.batch);
        batches[response.batch].forEach((taskIndex, k) => (results[taskIndex] = response.results[k]));
        feed();
      });
      worker.on('error', (e) => fail(`worker thread failed (${reasonOf(e)})`));
      worker.on('exit', (code) => {
        fail(`worker thread exited with code ${code}`);
        settled();
        resolve();
      });
      feed();
    });

  const workers = Math.max(0, Math.min(options.jobs - 1, batches.length - 1));
  starting = workers;
  if (workers === 0) options.onWorkersStarted?.();
  const running = Array.from({ length: workers }, workerDone);
  // This thread reads batches too, letting the workers' messages in between its own.
  while (nextBatch < batches.length) {
    const batch = nextBatch++;
    for (const i of batches[batch]) results[i] = options.lintHere(tasks[i]);
    await yieldToEvents();
  }
  await Promise.all(running);
  // Batches nobody could take (every worker died) are reported, not silently dropped.
  return results.map((r) => r ?? ({ status: 'failed', error: 'not checked: every worker thread stopped' } as FileResult));
}

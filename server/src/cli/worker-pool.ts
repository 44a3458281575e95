/**
 * Lints many files on several cores: a pool of worker threads pulls batches of tasks until none
 * are left. Results land at their task's index, so the output does not depend on which thread
 * finished first. A thread that dies fails only the batch it held; the others carry on.
 */
import { Worker } from 'node:worker_threads';
import type { GrammarPaths } from '../analysis/parser';
import { reasonOf, type FileResult, type LintConfig, type LintTask } from './types';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './worker-protocol';

export interface PoolOptions {
  tasks: readonly LintTask[];
  configs: LintConfig[];
  jobs: number;
  workerFile: string;
  grammar: GrammarPaths;
}

/** Small enough to balance the load, large enough that messaging costs little. */
function batchSize(tasks: number, jobs: number): number {
  return Math.max(4, Math.min(64, Math.ceil(tasks / (jobs * 8))));
}

export function lintInPool(options: PoolOptions): Promise<FileResult[]> {
  const { tasks, jobs } = options;
  const size = batchSize(tasks.length, jobs);
  const batches: number[][] = [];
  for (let i = 0; i < tasks.length; i += size) batches.push(Array.from({ length: Math.min(size, tasks.length - i) }, (_, k) => i + k));
  const results: (FileResult | undefined)[] = new Array<FileResult | undefined>(tasks.length).fill(undefined);
  const init: WorkerInit = { grammar: options.grammar, configs: options.configs };
  let nextBatch = 0;
  let running = 0;

  return new Promise((resolve) => {
    const failBatch = (batch: number, error: string): void => {
      for (const i of batches[batch]) results[i] ??= { status: 'failed', error };
    };
    const finish = (): void => {
      // Batches nobody could take (every worker died) are reported, not silently dropped.
      const out = results.map((r) => r ?? ({ status: 'failed', error: 'not checked: every worker thread stopped' } as FileResult));
      resolve(out);
    };
    const start = (): void => {
      const worker = new Worker(options.workerFile, { workerData: init });
      running++;
      let current: number | null = null;
      const feed = (): void => {
        if (nextBatch >= batches.length) {
          current = null;
          void worker.terminate();
          return;
        }
        current = nextBatch++;
        const request: WorkerRequest = { batch: current, tasks: batches[current].map((i) => tasks[i]) };
        worker.postMessage(request);
      };
      worker.on('message', (response: WorkerResponse) => {
        batches[response.batch].forEach((taskIndex, k) => (results[taskIndex] = response.results[k]));
        feed();
      });
      worker.on('error', (e) => {
        if (current !== null) failBatch(current, `worker thread failed (${reasonOf(e)})`);
        current = null;
      });
      worker.on('exit', (code) => {
        if (current !== null) failBatch(current, `worker thread exited with code ${code}`);
        current = null;
        if (--running === 0) finish();
      });
      feed();
    };
    const workers = Math.max(1, Math.min(jobs, batches.length));
    for (let i = 0; i < workers; i++) start();
  });
}

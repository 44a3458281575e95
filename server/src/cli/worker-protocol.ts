/** The messages between the CLI's worker pool and its worker threads. */
import type { CompiledGrammar, GrammarPaths } from '../analysis/parser';
import type { LoadedBundle } from '../code-cache';
import type { FileResult, LintConfig, LintTask } from './types';

/** Given to each worker when it starts (`workerData`). */
export interface WorkerInit {
  grammar: GrammarPaths;
  /** The grammar compiled by the main thread; the worker instantiates it without compiling. */
  compiled: CompiledGrammar;
  /** The worker's bundle (WORKER_CORE beside the worker file), read and hashed by the thread that started it. */
  bundle?: LoadedBundle;
}

/** The bundle a worker file (dist/cli-worker.js) runs, beside it. */
export const WORKER_CORE = 'cli-worker-core.js';

/** A batch of tasks to lint; `batch` comes back with the results. */
export interface WorkerRequest {
  batch: number;
  tasks: LintTask[];
  /**
   * The run's settings, with a worker's first batch (a worker may start before discovery has
   * found every configuration); tasks name theirs by index.
   */
  configs?: LintConfig[];
}

/** What a worker's first result cost it, from the thread's start (sent with its first response). */
export interface FirstResult {
  /** CPU time of the worker thread alone (Linux /proc/thread-self/schedstat), null where unknown. */
  cpuMs: number | null;
  /** CPU time when the bundle was loaded, and when the parser was ready (before any file was read). */
  loadedCpuMs: number | null;
  readyCpuMs: number | null;
  /** Files in the first batch. */
  files: number;
}

/** The results of a batch, in the order of its tasks. */
export interface WorkerResponse {
  batch: number;
  results: FileResult[];
  firstResult?: FirstResult;
}

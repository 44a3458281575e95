/** The messages between the CLI's worker pool and its worker threads. */
import type { GrammarPaths } from '../analysis/parser';
import type { FileResult, LintConfig, LintTask } from './types';

/** Given to each worker when it starts (`workerData`). */
export interface WorkerInit {
  grammar: GrammarPaths;
  configs: LintConfig[];
}

/** A batch of tasks to lint; `batch` comes back with the results. */
export interface WorkerRequest {
  batch: number;
  tasks: LintTask[];
}

/** The results of a batch, in the order of its tasks. */
export interface WorkerResponse {
  batch: number;
  results: FileResult[];
}

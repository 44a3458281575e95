/** The messages between the CLI's worker pool and its worker threads. */
import type { CompiledGrammar, GrammarPaths } from '../analysis/parser';
import type { FileResult, LintConfig, LintTask } from './types';

/** Given to each worker when it starts (`workerData`). */
export interface WorkerInit {
  grammar: GrammarPaths;
  /** The grammar compiled by the main thread; the worker instantiates it without compiling. */
  compiled: CompiledGrammar;
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

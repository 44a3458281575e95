/**
 * Reads a run's files: in this thread for small runs, on a pool of worker threads for large ones
 * (starting threads costs more than it saves below a few hundred files).
 */
import { ValueInterner } from '../analysis/interner';
import { PythonParser } from '../analysis/parser';
import { bundledGrammarPaths, bundledWorkerFile } from './grammar';
import { lintFile } from './lint-file';
import type { FileResult, LintConfig, LintTask } from './types';
import { lintInPool } from './worker-pool';

/** Below this many files, starting worker threads costs more than it saves. */
export const POOL_THRESHOLD = 200;

export async function lintAllTasks(tasks: LintTask[], configs: LintConfig[], jobs: number): Promise<FileResult[]> {
  if (tasks.length === 0) return [];
  const grammar = bundledGrammarPaths();
  const workerFile = bundledWorkerFile();
  if (workerFile && jobs > 1 && tasks.length > POOL_THRESHOLD) return lintInPool({ tasks, configs, jobs, workerFile, grammar });
  const parser = await PythonParser.create(grammar);
  const interner = new ValueInterner();
  try {
    return tasks.map((t) => lintFile(parser, t, configs[t.config] as LintConfig, interner));
  } finally {
    parser.dispose();
  }
}

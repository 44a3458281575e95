/**
 * Reads a run's files: what the cache holds for unchanged files is taken as it is, the rest is
 * read in this thread for small runs, on a pool of worker threads for large ones (starting
 * threads costs more than it saves below a few hundred files).
 */
import { appendFileSync } from 'node:fs';
import { ValueInterner } from '../analysis/interner';
import { compileGrammarSync, PythonParser } from '../analysis/parser';
import { bundledGrammarPaths, bundledWorkerFile } from './grammar';
import { lintFile, lintFileWithoutParser } from './lint-file';
import { resultKey, type RunCache } from './run-cache';
import type { FileResult, LintConfig, LintTask } from './types';
import { tuneForLongRun } from '../v8-tuning';
import { EarlyWorkers, lintInPool } from './worker-pool';
import type { FirstResult } from './worker-protocol';

/** Below this many files, starting worker threads costs more than it saves. */
export const POOL_THRESHOLD = 200;

export interface LintedAll {
  results: FileResult[];
  /** The hash of each file's bytes as read (null when unknown: no cache, or not read). */
  hashes: Array<string | null>;
}

async function lintFresh(tasks: LintTask[], configs: LintConfig[], jobs: number, early: EarlyWorkers | null): Promise<FileResult[]> {
  const workerFile = bundledWorkerFile();
  const pool = workerFile !== null && jobs > 1 && tasks.length > POOL_THRESHOLD;
  if (!pool) early?.release();
  if (tasks.length === 0) return [];
  const grammar = bundledGrammarPaths();
  if (tasks.length <= POOL_THRESHOLD) {
    // A small run: the grammar is loaded only if some file needs a parse (most do not).
    const interner = new ValueInterner();
    const early = tasks.map((t) => lintFileWithoutParser(t, configs[t.config] as LintConfig, interner));
    if (early.every((r) => r !== null)) return early as FileResult[];
    const parser = await PythonParser.create(grammar);
    try {
      return tasks.map((t, i) => early[i] ?? lintFile(parser, t, configs[t.config] as LintConfig, interner));
    } finally {
      parser.dispose();
    }
  }
  const compiled = pool ? (early?.compiled ?? compileGrammarSync(grammar, true)) : undefined;
  const parser = await PythonParser.create(grammar, compiled);
  const interner = new ValueInterner();
  const lintHere = (t: LintTask): FileResult => lintFile(parser, t, configs[t.config] as LintConfig, interner);
  try {
    // MIGRATION_GUARD_POOL_STATS=FILE: one JSON line per worker, what its first result cost (npm run bench reads it).
    const statsFile = process.env['MIGRATION_GUARD_POOL_STATS'];
    const onFirstResult = statsFile ? (first: FirstResult & { wallMs: number }): void => appendFileSync(statsFile, `${JSON.stringify(first)}\n`) : undefined;
    // A long run: V8 tuned for it, once the workers no longer start (see v8-tuning.ts).
    if (pool && compiled && workerFile) {
      const lintWithoutParser = (t: LintTask): FileResult | null => lintFileWithoutParser(t, configs[t.config] as LintConfig, interner);
      return await lintInPool({ tasks, configs, jobs, workerFile, grammar, compiled, lintHere, lintWithoutParser, onWorkersStarted: tuneForLongRun, ...(early ? { early } : {}), ...(onFirstResult ? { onFirstResult } : {}) });
    }
    tuneForLongRun();
    return tasks.map(lintHere);
  } finally {
    parser.dispose();
  }
}

/**
 * Starts the pool's worker threads before the run has all its files (see EarlyWorkers): `check`
 * calls it while discovery walks, once it has found more files than the pool threshold on a run
 * with no cache to answer from. Null without a worker bundle or with one job. The grammar is
 * compiled here, synchronously and whole (compileGrammarSync's `eager`), for the workers to share.
 */
export function startWorkersEarly(jobs: number): EarlyWorkers | null {
  const workerFile = bundledWorkerFile();
  if (workerFile === null || jobs < 2) return null;
  const grammar = bundledGrammarPaths();
  return new EarlyWorkers(workerFile, compileGrammarSync(grammar, true), grammar, jobs - 1);
}

/**
 * @param known each file's hash, when the cache computed them all first
 * @param early workers started for this run: taken by the pool, or ended
 */
export async function lintAllTasks(tasks: LintTask[], configs: LintConfig[], jobs: number, cache: RunCache | null = null, known?: ReadonlyArray<string | null>, early: EarlyWorkers | null = null): Promise<LintedAll> {
  const results: Array<FileResult | undefined> = new Array(tasks.length);
  const hashes: Array<string | null> = new Array(tasks.length).fill(null);
  const keys = cache ? tasks.map((t) => resultKey(t, configs[t.config] as LintConfig)) : [];
  const todo: number[] = [];
  tasks.forEach((task, i) => {
    if (cache) {
      const hit = cache.lookup(task, keys[i] as string, (configs[task.config] as LintConfig).maxFileSize, known?.[i]);
      if (hit.result) {
        results[i] = hit.result;
        hashes[i] = hit.hash;
        return;
      }
    }
    todo.push(i);
  });
  const fresh = await lintFresh(todo.map((i) => (cache ? { ...tasks[i], hash: true } : tasks[i]) as LintTask), configs, jobs, early);
  todo.forEach((i, k) => {
    const result = fresh[k] as FileResult;
    const hash = 'hash' in result ? result.hash : undefined;
    const deps = 'deps' in result ? result.deps : undefined;
    // Not part of the result: a cached result and a fresh one must be the same.
    if ('hash' in result) delete result.hash;
    if ('deps' in result) delete result.deps;
    if (hash !== undefined) hashes[i] = hash;
    results[i] = result;
    cache?.store(tasks[i] as LintTask, keys[i] as string, hash, deps, result);
  });
  return { results: results as FileResult[], hashes };
}

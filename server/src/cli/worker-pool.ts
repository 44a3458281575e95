/**
 * Lints many files on several cores. This thread reads the files and keeps what needs no parser
 * (a plain migration read from its text, a file skipped); each file that needs the parser and the
 * rules goes to a queue that `jobs - 1` worker threads take batches from while this thread reads
 * on. A worker short of queued work takes unread files from the far end of the reading order
 * instead (and reads them whole); once everything is read, this thread takes batches from the
 * queue too. So the text reading runs (and is compiled by V8) mostly in this thread and the rules
 * mostly in the workers, and most summaries of plain files never cross between threads. The
 * grammar is compiled once here and handed to the workers; each worker keeps a second batch
 * queued so it rarely waits for this thread. Results land at their task's index, so the output
 * does not depend on which thread finished first. A thread that dies fails only the batches it
 * held; the others carry on.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CompiledGrammar, GrammarPaths } from '../analysis/parser';
import { loadBundle, type LoadedBundle } from '../code-cache';
import { reasonOf, type FileResult, type LintConfig, type LintTask } from './types';
import { WORKER_CORE, type FirstResult, type WorkerInit, type WorkerRequest, type WorkerResponse } from './worker-protocol';

/**
 * Worker threads started before the run knows its files (while discovery walks the tree): by the
 * time the first files are read, they have loaded their code and instantiated the grammar. Taken
 * by lintInPool, or ended with `release()` when the run turns out not to need them.
 */
export class EarlyWorkers {
  private readonly started: StartedWorker[];
  private taken = false;

  constructor(
    workerFile: string,
    readonly compiled: CompiledGrammar,
    grammar: GrammarPaths,
    count: number,
  ) {
    const init = workerInit(workerFile, grammar, compiled);
    this.started = Array.from({ length: count }, () => spawnWorker(workerFile, init));
  }

  /** The workers, once: the pool runs them from now on. */
  take(): StartedWorker[] {
    if (this.taken) return [];
    this.taken = true;
    return this.started;
  }

  /** Ends the workers no pool took. */
  release(): void {
    for (const { worker } of this.take()) void worker.terminate();
  }
}

let workersStarted = 0;
/** How many worker threads this process has started (a run that started one is not remembered: cli/run-memo.ts). */
export const startedWorkers = (): number => workersStarted;

/** A worker thread, when it was started, and how it failed or ended before the pool listened. */
interface StartedWorker {
  worker: Worker;
  startedAt: number;
  error?: unknown;
  exitCode?: number;
}

/**
 * What each worker is given: the grammar, and the bundle it runs, read here once (each worker read
 * and hashed it itself: about 12 ms of its first result's CPU). Without that bundle beside the
 * worker file (a worker written for a test), the worker reads what it needs itself.
 */
export function workerInit(workerFile: string, grammar: GrammarPaths, compiled: CompiledGrammar): WorkerInit {
  const core = join(dirname(workerFile), WORKER_CORE);
  let bundle: LoadedBundle | undefined;
  try {
    bundle = existsSync(core) ? loadBundle(core) : undefined;
  } catch {
    bundle = undefined;
  }
  return bundle ? { grammar, compiled, bundle } : { grammar, compiled };
}

/** Starts a worker, recording its failure or end until the pool listens (an 'error' nobody listens to would end the process). */
function spawnWorker(workerFile: string, init: WorkerInit): StartedWorker {
  workersStarted++;
  const started: StartedWorker = { startedAt: performance.now(), worker: new Worker(workerFile, { workerData: init }) };
  started.worker.on('error', (e) => (started.error ??= e));
  started.worker.once('exit', (code) => (started.exitCode = code));
  return started;
}

export interface PoolOptions {
  tasks: readonly LintTask[];
  configs: LintConfig[];
  jobs: number;
  workerFile: string;
  grammar: GrammarPaths;
  compiled: CompiledGrammar;
  /** Workers already started for this run (their grammar is `compiled`). */
  early?: EarlyWorkers;
  /** Lints one task in this thread. */
  lintHere(task: LintTask): FileResult;
  /** The task's result when it needs no parser (read in this thread, never sent to a worker), else null. */
  lintWithoutParser(task: LintTask): FileResult | null;
  /** Called once every worker has answered its first batch (or stopped), or at once without workers. */
  onWorkersStarted?(): void;
  /** Told what each worker's first result cost it, and the wall time from `new Worker` to it (for the bench). */
  onFirstResult?(first: FirstResult & { wallMs: number }): void;
}

/** Batches a worker holds at once: the one it reads and the next. */
const IN_FLIGHT = 2;

/** A worker's first batch: small, so its first result comes while its code is still warming up. */
const FIRST_BATCH = 4;

/** The longest this thread reads before it lets the workers' messages in and feeds them. */
const MAX_UNYIELDED_MS = 5;

/** Small enough to balance the load at the end, large enough that messaging costs little. */
function batchSize(tasks: number, jobs: number): number {
  return Math.max(4, Math.min(32, Math.ceil(tasks / (jobs * 16))));
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function lintInPool(options: PoolOptions): Promise<FileResult[]> {
  const { tasks } = options;
  // Sized on every task: the parsed ones are found as the reading goes, their count unknown until it ends.
  const size = batchSize(tasks.length, options.jobs);
  const results: (FileResult | undefined)[] = new Array<FileResult | undefined>(tasks.length).fill(undefined);
  // Read once, by the first worker this pool starts itself (none when all were started early).
  let init: WorkerInit | null = null;
  const ready = options.early?.take() ?? [];
  /** Tasks that need the parser, in the order the reading found them; `taken` of them are handed out. */
  const queue: number[] = [];
  let taken = 0;
  let readingDone = false;
  const batches: number[][] = [];
  // The reading order: the files of migration folders first, where the work for the workers is;
  // the other Python files of the tree (read to see whether they define a migration, nearly all
  // skipped unparsed) after. This thread reads from `next` on; workers short of queued work take
  // unread files from `end` back.
  const order = [...tasks.keys()].filter((i) => tasks[i]?.mode !== 'detect');
  for (let i = 0; i < tasks.length; i++) if (tasks[i]?.mode === 'detect') order.push(i);
  let next = 0;
  let end = order.length;
  const steal = (n: number): number | null => {
    const count = Math.min(n, end - next);
    if (count <= 0) return null;
    end -= count;
    batches.push(order.slice(end, end + count));
    return batches.length - 1;
  };
  /** The next batch from the queue, at most `n` tasks; null when the queue is empty. */
  const take = (n: number): number | null => {
    const count = Math.min(n, queue.length - taken);
    if (count <= 0) return null;
    batches.push(queue.slice(taken, taken + count));
    taken += count;
    return batches.length - 1;
  };

  let starting = 0;
  const started = (): void => {
    if (--starting === 0) options.onWorkersStarted?.();
  };

  interface PoolWorker {
    /** Hands out batches up to IN_FLIGHT; ends the worker once nothing is left to hand out. */
    feed(): void;
    done: Promise<void>;
  }

  const startWorker = (k: number): PoolWorker => {
    const spawned = ready[k] ?? spawnWorker(options.workerFile, (init ??= workerInit(options.workerFile, options.grammar, options.compiled)));
    const { worker, startedAt } = spawned;
    const held = new Set<number>();
    let answered = false;
    let alive = true;
    let sent = 0;
    const fail = (error: string): void => {
      for (const b of held) for (const i of batches[b] as number[]) results[i] ??= { status: 'failed', error };
      held.clear();
    };
    const feed = (): void => {
      if (!alive) return;
      while (held.size < IN_FLIGHT) {
        // A full batch of the queue; else, while this thread still reads, files it has not read yet
        // (from the far end: the worker reads them whole, parse and all); else what the queue has.
        const available = queue.length - taken;
        const want = sent === 0 ? FIRST_BATCH : size;
        let batch: number | null = null;
        if (available >= want) batch = take(want);
        else if (!readingDone && end - next > 2 * want) batch = steal(want);
        else if (available > 0 && (readingDone || held.size === 0)) batch = take(want);
        if (batch === null) break;
        held.add(batch);
        const first = sent++ === 0;
        const request: WorkerRequest = { batch, tasks: (batches[batch] as number[]).map((i) => tasks[i] as LintTask), ...(first ? { configs: options.configs } : {}) };
        worker.postMessage(request);
      }
      if (held.size === 0 && readingDone && taken === queue.length) {
        alive = false;
        void worker.terminate();
      }
    };
    // Its first answer, or its end without one: this worker no longer starts.
    const settled = (): void => {
      if (answered) return;
      answered = true;
      started();
    };
    const done = new Promise<void>((resolve) => {
      worker.on('message', (response: WorkerResponse) => {
        if (response.firstResult) options.onFirstResult?.({ ...response.firstResult, wallMs: performance.now() - startedAt });
        settled();
        held.delete(response.batch);
        (batches[response.batch] as number[]).forEach((taskIndex, k) => (results[taskIndex] = response.results[k]));
        feed();
      });
      const onError = (e: unknown): void => {
        // No more batches for it: what it has not taken stays for the other threads.
        alive = false;
        fail(`worker thread failed (${reasonOf(e)})`);
      };
      const onExit = (code: number): void => {
        alive = false;
        fail(`worker thread exited with code ${code}`);
        settled();
        resolve();
      };
      // It may have failed or ended already (one started early, before the walk ended).
      if (spawned.error !== undefined) onError(spawned.error);
      if (spawned.exitCode !== undefined) onExit(spawned.exitCode);
      else {
        worker.on('error', onError);
        worker.on('exit', onExit);
      }
    });
    return { feed, done };
  };

  const count = Math.max(0, options.jobs - 1);
  starting = count;
  if (count === 0) options.onWorkersStarted?.();
  const workers = Array.from({ length: count }, (_, k) => startWorker(k));
  // Started early, but more than this run wants: not needed.
  for (const extra of ready.slice(count)) void extra.worker.terminate();
  const feedAll = (): void => workers.forEach((w) => w.feed());

  // The reading: what needs no parser is done here; the rest is queued for the workers.
  let since = performance.now();
  while (next < end) {
    const i = order[next++] as number;
    const early = options.lintWithoutParser(tasks[i] as LintTask);
    if (early) results[i] = early;
    else queue.push(i);
    if (performance.now() - since > MAX_UNYIELDED_MS) {
      feedAll();
      await yieldToEvents();
      since = performance.now();
    }
  }
  readingDone = true;
  feedAll();
  // Then this thread takes batches from the queue too, letting the workers' messages in between.
  for (let batch = take(size); batch !== null; batch = take(size)) {
    for (const i of batches[batch] as number[]) results[i] = options.lintHere(tasks[i] as LintTask);
    feedAll();
    await yieldToEvents();
  }
  feedAll();
  await Promise.all(workers.map((w) => w.done));
  // Batches nobody could take (every worker died) are reported, not silently dropped.
  return results.map((r) => r ?? ({ status: 'failed', error: 'not checked: every worker thread stopped' } as FileResult));
}

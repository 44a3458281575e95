/**
 * Worker-thread body (bundled as dist/cli-worker-core.js, which dist/cli-worker.js runs through
 * V8's code cache): creates its own Python parser from the
 * .wasm files beside the bundle, then lints the batches of tasks the pool sends, one at a time.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ValueInterner } from '../analysis/interner';
import { codeCacheReady } from '../code-cache';
import { PythonParser } from '../analysis/parser';
import { lintFile } from './lint-file';
import { reasonOf, type FileResult, type LintConfig } from './types';
import type { FirstResult, WorkerInit, WorkerRequest, WorkerResponse } from './worker-protocol';

/** This thread's CPU time so far (its start included), from Linux's per-thread schedstat; null elsewhere. */
function threadCpuMs(): number | null {
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

const loadedCpuMs = threadCpuMs();
const init = workerData as WorkerInit;
const port = parentPort;
let readyCpuMs: number | null = null;
const parserReady: Promise<PythonParser> = PythonParser.create(init.grammar, init.compiled).then((p) => {
  readyCpuMs = threadCpuMs();
  return p;
});
// Shares equal calls across the batches this thread reads (each batch crosses back as one message).
const interner = new ValueInterner();
// The run's settings: sent with the first batch.
let configs: LintConfig[] = [];
// Reported per batch below; this only keeps an early failure from being "unhandled".
parserReady.catch(() => undefined);

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  if (request.configs) configs = request.configs;
  let parser: PythonParser;
  try {
    parser = await parserReady;
  } catch (e) {
    const failed: FileResult = { status: 'failed', error: `cannot load the Python grammar (${reasonOf(e)})` };
    return { batch: request.batch, results: request.tasks.map(() => failed) };
  }
  return { batch: request.batch, results: request.tasks.map((t) => lintFile(parser, t, configs[t.config] as LintConfig, interner)) };
}

let answered = false;

if (port) {
  port.on('message', (request: WorkerRequest) => {
    void handle(request).then((response) => {
      const first = !answered;
      answered = true;
      if (first) response.firstResult = { cpuMs: threadCpuMs(), loadedCpuMs, readyCpuMs, files: request.tasks.length } satisfies FirstResult;
      // Everything a batch needs is compiled now: what the next workers load from the cache. Written
      // before the answer, which lets the main thread change V8's flags (and so the cache's key).
      if (first) codeCacheReady();
      port.postMessage(response);
    });
  });
}

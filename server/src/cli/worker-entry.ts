/**
 * dist/cli-worker.js: starts a CLI worker thread (dist/cli-worker-core.js, from worker.ts) through
 * V8's code cache (code-cache.ts); a worker with no usable cache writes it after its first answer.
 * The pool reads the bundle and its cache once for all its workers and hands them over.
 */
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { runWithCodeCache } from '../code-cache';
import { WORKER_CORE, type WorkerInit } from './worker-protocol';

const core = join(__dirname, WORKER_CORE);
const given = (workerData as WorkerInit | null)?.bundle;
runWithCodeCache(core, given?.file === core ? given : undefined);

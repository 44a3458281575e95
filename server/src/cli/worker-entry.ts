/**
 * dist/cli-worker.js: starts a CLI worker thread (dist/cli-worker-core.js, from worker.ts) through
 * V8's code cache (code-cache.ts); a worker with no usable cache writes it after its first answer.
 */
import { join } from 'node:path';
import { runWithCodeCache } from '../code-cache';

runWithCodeCache(join(__dirname, 'cli-worker-core.js'));

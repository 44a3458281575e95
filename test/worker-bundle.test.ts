/**
 * The pool reads the worker bundle (dist/cli-worker-core.js) and its code cache once and hands them
 * to each worker it starts (workerInit), which runs what it was given instead of reading the file
 * again. Needs the build (dist/), as the CLI tests do.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { codeCacheSandbox } from './helpers/code-cache-dir';
import { compileGrammarSync } from '../server/src/analysis/parser';
import { workerInit } from '../server/src/cli/worker-pool';
import { WORKER_CORE, type WorkerResponse } from '../server/src/cli/worker-protocol';

const dist = join(__dirname, '..', '..', 'dist');

describe('the worker bundle, read once by the pool', () => {
  const dir = codeCacheSandbox('mg-worker-bundle-');
  for (const f of ['cli-worker.js', WORKER_CORE, 'tree-sitter-python.wasm', 'web-tree-sitter.wasm']) copyFileSync(join(dist, f), join(dir, f));
  const grammar = { runtimeWasm: join(dir, 'web-tree-sitter.wasm'), pythonWasm: join(dir, 'tree-sitter-python.wasm') };

  it('gives each worker the bundle beside the worker file, as its bytes read', () => {
    const init = workerInit(join(dir, 'cli-worker.js'), grammar, compileGrammarSync(grammar));
    assert.equal(init.bundle?.file, join(dir, WORKER_CORE));
    assert.equal(init.bundle?.source, readFileSync(join(dist, WORKER_CORE), 'latin1'));
  });

  it('gives nothing for a worker file with no bundle beside it (the worker reads what it needs)', () => {
    const alone = mkdtempSync(join(dir, 'alone-'));
    writeFileSync(join(alone, 'worker.js'), '');
    const init = workerInit(join(alone, 'worker.js'), grammar, compileGrammarSync(grammar));
    assert.equal(init.bundle, undefined);
  });

  it('a worker runs the bundle it was given, not the file on disk', async () => {
    const init = workerInit(join(dir, 'cli-worker.js'), grammar, compileGrammarSync(grammar));
    // Read by the worker itself, the file would now fail its start.
    writeFileSync(join(dir, WORKER_CORE), 'throw new Error("the worker read its bundle again");\n');
    const worker = new Worker(join(dir, 'cli-worker.js'), { workerData: init });
    try {
      const answer = await new Promise<WorkerResponse>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the worker ended (${code}) before answering`)));
        worker.postMessage({ batch: 7, tasks: [], configs: [] });
      });
      assert.equal(answer.batch, 7);
      assert.deepEqual(answer.results, []);
    } finally {
      await worker.terminate();
    }
  });
});

/**
 * Where the CLI finds tree-sitter's runtime and the Python grammar: beside its own bundle
 * (esbuild copies both .wasm files into dist/), located from `__dirname`, never from the cwd.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GrammarPaths } from '../analysis/parser';

export function bundledGrammarPaths(dir: string = __dirname): GrammarPaths {
  const paths = { runtimeWasm: join(dir, 'web-tree-sitter.wasm'), pythonWasm: join(dir, 'tree-sitter-python.wasm') };
  for (const p of Object.values(paths)) {
    if (!existsSync(p)) throw new Error(`cannot find ${p} (the .wasm files must sit beside the CLI bundle; run \`npm run build\`)`);
  }
  return paths;
}

/** The worker-thread bundle, or null when running unbundled (then everything runs in-process). */
export function bundledWorkerFile(dir: string = __dirname): string | null {
  const file = join(dir, 'cli-worker.js');
  return existsSync(file) ? file : null;
}

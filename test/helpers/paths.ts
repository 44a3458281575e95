/** Locations tests need, computed from the compiled file's place (out/test/helpers). */
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const DIST = join(REPO_ROOT, 'dist');
export const GRAMMAR_PATHS = {
  runtimeWasm: join(REPO_ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
  pythonWasm: join(REPO_ROOT, 'grammars', 'tree-sitter-python.wasm'),
};

// Copies the tree-sitter Python grammar from the pinned npm package into grammars/ and records
// where it came from (package, version, sha256), so a test can prove the committed .wasm is the
// one the lockfile names. Run after bumping tree-sitter-python: `npm run grammars`.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkgJsonPath = require.resolve('tree-sitter-python/package.json');
const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8'));
const source = join(dirname(pkgJsonPath), 'tree-sitter-python.wasm');
const target = join(root, 'grammars', 'tree-sitter-python.wasm');
copyFileSync(source, target);
const sha256 = createHash('sha256').update(readFileSync(target)).digest('hex');
const provenance = {
  file: 'tree-sitter-python.wasm',
  package: pkg.name,
  version: pkg.version,
  upstream: 'https://github.com/tree-sitter/tree-sitter-python',
  license: pkg.license,
  sha256,
  copiedFrom: 'node_modules/tree-sitter-python/tree-sitter-python.wasm',
};
writeFileSync(join(root, 'grammars', 'PROVENANCE.json'), JSON.stringify(provenance, null, 2) + '\n');
console.log(`grammars/tree-sitter-python.wasm <- ${pkg.name}@${pkg.version} (${sha256.slice(0, 12)})`);

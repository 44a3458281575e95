// Bundles the three entry points (VS Code client, language server, CLI) and puts the two .wasm
// files the server loads beside the bundles. `node esbuild.mjs --watch` rebuilds on change.
import { context, build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asciiComments } from './scripts/ascii-comments.mjs';
import { patchWebTreeSitter } from './scripts/tree-sitter-glue.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(root, 'package.json'));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// web-tree-sitter's ESM build reads import.meta.url, which a CommonJS bundle does not have; the
// package also ships a CommonJS build, so resolve to that one. Its glue gets two changes that
// make reading nodes cheaper (scripts/tree-sitter-glue.mjs says which and why).
const webTreeSitterCjs = {
  name: 'web-tree-sitter-cjs',
  setup(b) {
    const cjs = join(dirname(require.resolve('web-tree-sitter/web-tree-sitter.wasm')), 'web-tree-sitter.cjs');
    b.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: cjs }));
    b.onLoad({ filter: /web-tree-sitter\.cjs$/ }, (args) => (args.path === cjs ? { contents: patchWebTreeSitter(readFileSync(cjs, 'utf8')), loader: 'js' } : undefined));
  },
};

// Writes what esbuild built (write: false), each bundle through asciiComments: Node reads a
// bundle faster, and V8 hashes and compiles it faster, when all of it is ASCII.
const writeAscii = {
  name: 'write-ascii',
  setup(b) {
    b.onEnd((result) => {
      for (const f of result.outputFiles ?? []) {
        mkdirSync(dirname(f.path), { recursive: true });
        writeFileSync(f.path, f.path.endsWith('.js') ? asciiComments(f.text, f.path) : f.contents);
      }
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  write: false,
  plugins: [webTreeSitterCjs, writeAscii],
};

const entries = [
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] },
  // dist/server.js, dist/cli.js and dist/cli-worker.js only load their -core bundle through V8's code cache (code-cache.ts).
  { entryPoints: ['server/src/server-entry.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['server/src/server-main.ts'], outfile: 'dist/server-core.js' },
  { entryPoints: ['server/src/cli/cli-entry.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli-core.js' },
  { entryPoints: ['server/src/cli/worker-entry.ts'], outfile: 'dist/cli-worker.js' },
  { entryPoints: ['server/src/cli/worker.ts'], outfile: 'dist/cli-worker-core.js' },
];

function copyWasm() {
  mkdirSync(join(root, 'dist'), { recursive: true });
  copyFileSync(join(root, 'grammars', 'tree-sitter-python.wasm'), join(root, 'dist', 'tree-sitter-python.wasm'));
  copyFileSync(require.resolve('web-tree-sitter/web-tree-sitter.wasm'), join(root, 'dist', 'web-tree-sitter.wasm'));
}

copyWasm();
if (watch) {
  for (const e of entries) await (await context({ ...common, ...e })).watch();
  console.log('esbuild: watching');
} else {
  await Promise.all(entries.map((e) => build({ ...common, ...e })));
  // npm marks a bin executable only when it links it; a rebuild writes a fresh file, so
  // `npx migration-guard` would fail with "Permission denied" after any later `npm run build`.
  chmodSync(join(root, 'dist', 'cli.js'), 0o755);
}

/**
 * What the .vsix ships and what the marketplace shows: `vsce ls` (the packager's own file list,
 * without building a package) must list exactly the allowlist — the manifest, README, CHANGELOG,
 * LICENSE, the icon, the two bundles, the two .wasm files, the rule pages and the grammar's
 * provenance — and the manifest carries the marketplace fields, narrow activation and a real icon.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/paths';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));

const EXPECTED_FILES = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'images/icon.png',
  'dist/client.js',
  'dist/server.js',
  'dist/server-core.js',
  'dist/web-tree-sitter.wasm',
  'dist/tree-sitter-python.wasm',
  'grammars/PROVENANCE.json',
  ...readdirSync(join(REPO_ROOT, 'docs', 'rules'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/rules/${f}`),
].sort();

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('the .vsix contents', () => {
  it('vsce lists exactly the allowlisted files', () => {
    for (const bundle of ['dist/client.js', 'dist/server.js']) assert.ok(existsSync(join(REPO_ROOT, bundle)), `${bundle} is missing: run \`npm run build\` first`);
    const vsce = join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    const r = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `vsce ls failed:\n${r.stdout}${r.stderr}`);
    const listed = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).sort();
    assert.deepEqual(listed, EXPECTED_FILES);
  });

  it('the package script builds a production bundle and packages without node_modules', () => {
    assert.equal(pkg.scripts['vscode:prepublish'], 'node esbuild.mjs --production');
    assert.match(pkg.scripts.package, /^vsce package --no-dependencies\b/);
  });
});

describe('the marketplace manifest', () => {
  it('has the marketplace fields', () => {
    for (const key of ['name', 'publisher', 'displayName', 'description', 'version', 'license', 'icon']) assert.ok(pkg[key], `package.json has no ${key}`);
    assert.ok(pkg.categories.includes('Linters'));
    assert.ok(pkg.keywords.includes('django'));
    assert.match(pkg.repository.url, /^https:\/\/github\.com\//);
    assert.ok(pkg.description.length <= 300, 'the description is a sentence, not a page');
  });

  it('has a 128x128 PNG icon', () => {
    assert.deepEqual(pngSize(join(REPO_ROOT, pkg.icon)), { width: 128, height: 128 });
  });

  it('activates only for Python and Django migration workspaces', () => {
    assert.deepEqual(pkg.activationEvents, ['onLanguage:python', 'workspaceContains:**/migrations/*.py']);
    assert.equal(pkg.main, './dist/client.js');
  });

  it('the README pictures exist (vsce turns their relative links into repository links)', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1] as string);
    assert.ok(images.length >= 3, 'the README shows the extension at work');
    for (const image of images) {
      assert.ok(!image.startsWith('http'), `${image}: keep README pictures in the repository`);
      assert.ok(pngSize(join(REPO_ROOT, image)).width >= 800, `${image} is too small to read`);
    }
  });
});

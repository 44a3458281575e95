/**
 * What a newcomer meets first: `npm ci` must not need a C/C++ toolchain (no dependency whose
 * install compiles native code unless it ships a prebuilt binary this Node can load), and the
 * README's Development section names every test prerequisite and every environment override the
 * tests and scripts read, and .ci/run installs those prerequisites.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/paths';

interface LockEntry {
  hasInstallScript?: boolean;
  optional?: boolean;
}

/** The prebuilt binaries of a package for this platform that load in this Node. */
function loadablePrebuilds(dir: string): string[] {
  const folder = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith('.node'))
    .filter((f) => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(join(folder, f));
        return true;
      } catch {
        return false;
      }
    });
}

function filesUnder(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : filesUnder(p, keep);
    return keep(e.name) ? [p] : [];
  });
}

/** The development section of the README: from its heading to the next second-level heading. */
function developmentSection(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Development');
  assert.ok(start >= 0, 'README has a "## Development" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('installing for development', () => {
  it('npm ci compiles nothing: every native dependency is optional or ships a binary this Node loads', () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const needsCompiler: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path || !entry.hasInstallScript || entry.optional) continue;
      const dir = join(REPO_ROOT, path);
      assert.ok(existsSync(join(dir, 'package.json')), `${path} is in the lockfile but not installed: run npm ci`);
      if (!existsSync(join(dir, 'binding.gyp'))) continue; // an install script that builds nothing
      if (loadablePrebuilds(dir).length === 0) needsCompiler.push(path.replace(/^node_modules\//, ''));
    }
    assert.deepEqual(needsCompiler, [], `these would be compiled by node-gyp (python3, make and g++ needed): ${needsCompiler.join(', ')}`);
  });
});

describe('the README for a newcomer', () => {
  it('lists the test prerequisites, and .ci/run installs them', () => {
    const section = developmentSection();
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    for (const pkg of ['python3-django', 'python3-psycopg2', 'postgresql', 'chromium', 'pre-commit']) {
      assert.ok(section.includes(pkg), `README Development section does not mention ${pkg}`);
      assert.match(ci, new RegExp(`apt-get install[^\\n]*\\s${pkg}(\\s|$)`, 'm'), `.ci/run does not install ${pkg}`);
    }
    assert.match(section, /python3\b/);
  });

  it('names every test suite, and .ci/run runs each of them', () => {
    const section = developmentSection();
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    for (const command of ['npm test', 'npm run test:install', 'npm run e2e']) {
      assert.ok(section.includes(command), `README Development section does not mention ${command}`);
      assert.match(ci, new RegExp(`^${command.replace(/[.:]/g, '\\$&')}$`, 'm'), `.ci/run does not run ${command}`);
    }
  });

  it('lists every environment variable the tests, the scripts and the benchmark read', () => {
    const sources = [
      ...filesUnder(join(REPO_ROOT, 'test'), (f) => f.endsWith('.ts')),
      ...filesUnder(join(REPO_ROOT, 'scripts'), (f) => f.endsWith('.mjs')),
      ...filesUnder(join(REPO_ROOT, 'bench'), (f) => f.endsWith('.ts')),
    ].map((f) => readFileSync(f, 'utf8'));
    const read = new Set<string>();
    const setByUs = new Set<string>();
    for (const text of sources) {
      for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) read.add((m[1] ?? m[2]) as string);
      // Variables our own runners hand to the processes they start are plumbing, not overrides.
      for (const m of text.matchAll(/\b([A-Z][A-Z0-9_]*): /g)) setByUs.add(m[1] as string);
    }
    const overrides = [...read].filter((n) => !setByUs.has(n)).sort();
    assert.ok(overrides.includes('DJANGO_PYTHON') && overrides.includes('PG_BINDIR'), `found: ${overrides.join(', ')}`);
    const section = developmentSection();
    const missing = overrides.filter((n) => !section.includes(`\`${n}\``));
    assert.deepEqual(missing, [], 'README Development section should describe these');
  });
});

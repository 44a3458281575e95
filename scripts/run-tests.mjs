// Runs every compiled test file under out/test with Node's test runner. Node 20's `--test` does
// not expand globs, so the files are listed here; the runner prints its own summary.
// `--install` runs the *.install-test files instead: the pre-commit hook and the GitHub Action,
// installed the way users install them (npm and the registry needed, a minute or two each).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const suffix = process.argv.includes('--install') ? '.install-test.js' : '.test.js';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : find(p);
    return name.endsWith(suffix) ? [p] : [];
  });
}

const args = process.argv.slice(2);
const filter = args.find((a) => !a.startsWith('--'));
const files = find('out/test').filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found under out/test (run `npm run compile-tests` first)');
  process.exit(2);
}
const reporter = process.env.CI ? ['--test-reporter=spec'] : [];
// Every `check` the tests run shares one cache folder, as concurrent runs of a real project may:
// results are keyed by content, so sharing must never change an answer. Never the fixtures' folders.
// The language server's code cache goes in it too, not in the user's cache folder.
const cacheDir = mkdtempSync(join(tmpdir(), 'migration-guard-test-cache-'));
// The fixture projects live in this repository, whose history says nothing of them: which of their
// migrations shipped together is not git's to tell here (test/release-history*.test.ts make real
// repositories, and ask with the variable unset).
const r = spawnSync(process.execPath, ['--test', ...reporter, ...files], {
  stdio: 'inherit',
  env: { ...process.env, MIGRATION_GUARD_CACHE_DIR: cacheDir, MIGRATION_GUARD_CODE_CACHE_DIR: join(cacheDir, 'server-code'), MIGRATION_GUARD_GIT_HISTORY: '0' },
});
rmSync(cacheDir, { recursive: true, force: true });
process.exit(r.status ?? 1);

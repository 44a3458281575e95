// Runs every compiled test file under out/test with Node's test runner. Node 20's `--test` does
// not expand globs, so the files are listed here; the runner prints its own summary.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : find(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}

const filter = process.argv[2];
const files = find('out/test').filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found under out/test (run `npm run compile-tests` first)');
  process.exit(2);
}
const reporter = process.env.CI ? ['--test-reporter=spec'] : [];
const r = spawnSync(process.execPath, ['--test', ...reporter, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);

/**
 * Split Migration takes the app label and the dependants from the project view: the label Django
 * uses (apps.py, not the first dependency whose name the folder also has), and every migration
 * that depended on the split one — in any app — then depends on its last part. Judged by real
 * Django's loader on a copy: no error, no conflict, the same leaves (the split one's place taken by
 * its last part), each dependant's parent the last part; then `migrate` forwards and back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DJANGO_PYTHON, DJANGO_SCRIPTS, djangoProject, manage, type DjangoProject } from './helpers/django';
import { DIST, FIXTURES } from './helpers/paths';

const FIXTURE = join(FIXTURES, 'projects', 'split-labels');
const temps: string[] = [];
const projects: DjangoProject[] = [];
after(() => {
  for (const p of projects) p.dispose();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

interface Truth {
  error: unknown;
  leaves: string[][];
  conflicts: Record<string, string[]>;
  parents: Record<string, string[][]>;
}

function truth(dir: string): Truth {
  const r = spawnSync(DJANGO_PYTHON, [join(DJANGO_SCRIPTS, 'project_truth.py'), dir], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Truth;
}

const CASES = [
  { target: 'orders/migrations/0002_backfill.py', app: 'orders', original: '0002_backfill', dependants: ['orders.0003_later'] },
  { target: 'billing_core/migrations/0002_mixed.py', app: 'billing', original: '0002_mixed', dependants: ['orders.0004_invoice_link'] },
];

describe('split with the project view', () => {
  it('refuses a migration a squashed migration replaces: its parts would be a second leaf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-split-project-'));
    temps.push(dir);
    cpSync(join(FIXTURES, 'projects', 'squashed-with-replaced'), dir, { recursive: true });
    const target = 'inventory/migrations/0002_item_sku.py';
    const before = readFileSync(join(dir, target), 'utf8');
    const run = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'split', target], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /replaced by the squashed migration 0001_squashed_0003_item_stock/);
    assert.equal(readFileSync(join(dir, target), 'utf8'), before);
    assert.deepEqual(truth(dir).conflicts, {});
  });

  for (const c of CASES) {
    it(`${c.target}: the app's own label, and every dependant follows the last part`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'mg-split-project-'));
      temps.push(dir);
      cpSync(FIXTURE, dir, { recursive: true });
      const before = truth(dir);
      assert.equal(before.error, null);
      const run = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'split', c.target], { cwd: dir, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const created = [...run.stdout.matchAll(/created \S+\/(\d{4}_\w+)\.py/g)].map((m) => m[1] as string);
      assert.equal(created.length, 1, run.stdout);
      const last = created[created.length - 1] as string;
      const afterSplit = truth(dir);
      assert.equal(afterSplit.error, null, JSON.stringify(afterSplit.error));
      assert.deepEqual(afterSplit.conflicts, {});
      const expectedLeaves = before.leaves.map(([a, n]) => (a === c.app && n === c.original ? [a, last] : [a as string, n as string]));
      assert.deepEqual(afterSplit.leaves, expectedLeaves);
      assert.deepEqual(afterSplit.parents[`${c.app}.${last}`], [[c.app, c.original]], 'the last part follows the first, in the same app');
      for (const d of c.dependants) assert.ok(afterSplit.parents[d]?.some(([a, n]) => a === c.app && n === last), `${d} depends on ${c.app}.${last}: ${JSON.stringify(afterSplit.parents[d])}`);
      const project = djangoProject(dir, { apps: ['channel', 'orders', 'billing_core'] });
      projects.push(project);
      manage(project, ['migrate', '--no-input', '-v', '0']);
      manage(project, ['migrate', 'orders', '0001_initial', '--no-input', '-v', '0']);
    });
  }
});

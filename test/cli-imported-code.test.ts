/**
 * RunPython handed a function of another module of the project (awx's `_rbac.py`, openwisp's
 * migrations package): `check` reads that module and reports, on the name the migration hands
 * RunPython, the models the function uses as imported — today's models. The same with one process
 * and with the pool; none once the module uses the historical models; the project step's cache
 * depends on the module read.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs } from './helpers/cli';
import { HISTORICAL_ORDERS, LIVE_ORDERS, writeImportedCodeProject } from './helpers/imported-code-project';

const temps = new TempDirs();
after(() => temps.removeAll());

const project = (orders: string): string => writeImportedCodeProject(temps.make('mg-imported-code-'), orders);
const imported = (run: ReturnType<typeof runCli>) =>
  jsonFindings(run)
    .filter((f) => f.rule === 'runpython-model-import')
    .map((f) => ({ at: `${f.path.replace(/\\/g, '/')}:${f.line}:${f.column}`, message: f.message }));

describe('check: RunPython code imported from another module', () => {
  it('reports today\'s model used by the imported function, through a helper of its module, forwards only', () => {
    const root = project(LIVE_ORDERS);
    for (const jobs of ['1', '2']) {
      const run = runCli(['check', '.', '--no-cache', '--format', 'json', '--jobs', jobs], root);
      const found = imported(run);
      assert.deepEqual(found.map((f) => f.at), ['shop/migrations/0002_close_stale.py:10:30', 'shop/migrations/0004_stamp.py:8:5'], `--jobs ${jobs}\n${run.stdout}\n${run.stderr}`);
      const [handed, called] = found.map((f) => f.message);
      assert.match(handed ?? '', /^close_stale\(\) in _orders\.py, which RunPython runs, uses today's model `Order` \(from `shop\.models`, line 8 in _stale\(\)\) instead of taking it from the `apps` registry/);
      assert.match(handed ?? '', /Use `apps\.get_model\(\.\.\.\)` in that function/);
      // Called with the registry from the migration's own code, forwards (through a helper) and backwards: one finding.
      assert.match(called ?? '', /^stamp\(\) in _orders\.py, which this migration's RunPython code calls with its `apps` registry, uses today's model `get_user_model\(\)` \(today's user model, line 27\)/);
      // The module is no migration: never reported as one Django's loader skips, nor linted on its own.
      assert.doesNotMatch(run.stderr, /_orders/);
    }
  });

  it('reports the save loop of the imported function, as the migration runs it (in its transaction)', () => {
    const run = runCli(['check', '.', '--no-cache', '--format', 'json'], project(HISTORICAL_ORDERS));
    const loops = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop');
    assert.deepEqual(loops.map((f) => `${f.path.replace(/\\/g, '/')}:${f.line}:${f.column}`), ['shop/migrations/0002_close_stale.py:10:50'], run.stderr);
    assert.match(loops[0]?.message ?? '', /^reopen\(\) in _orders\.py, which RunPython runs when this migration is reversed — at line 14 there: `for order in Order\.objects\.filter\(closed=True\)` writes one row per iteration \(order\.save\(\)\): one UPDATE per row, all inside the migration's transaction\./);
    assert.match(loops[0]?.message ?? '', /\(No fix is offered here: the code is in _orders\.py\.\)$/);
  });

  it('says nothing when every function uses the historical models', () => {
    const run = runCli(['check', '.', '--no-cache', '--format', 'json'], project(HISTORICAL_ORDERS));
    assert.deepEqual(imported(run), [], run.stderr);
  });

  it('reads the module again when it changes, though no migration did (the cache)', () => {
    const root = project(HISTORICAL_ORDERS);
    const cache = join(root, '.cache');
    const first = runCli(['check', '.', '--cache-dir', cache, '--format', 'json'], root);
    assert.deepEqual(imported(first), [], first.stderr);
    writeFileSync(join(root, 'shop', 'migrations', '_orders.py'), LIVE_ORDERS);
    const second = runCli(['check', '.', '--cache-dir', cache, '--format', 'json'], root);
    const both = ['shop/migrations/0002_close_stale.py:10:30', 'shop/migrations/0004_stamp.py:8:5'];
    assert.deepEqual(imported(second).map((f) => f.at), both, second.stderr);
    const third = runCli(['check', '.', '--cache-dir', cache, '--format', 'json'], root);
    assert.deepEqual(imported(third).map((f) => f.at), both, 'a warm run says the same');
  });

  it('points at each use in the other module (SARIF related locations)', () => {
    const run = runCli(['check', '.', '--no-cache', '--format', 'sarif'], project(LIVE_ORDERS));
    const sarif = JSON.parse(run.stdout) as { runs: Array<{ results: Array<{ ruleId: string; relatedLocations?: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }> }> };
    const result = sarif.runs[0]?.results.find((r) => r.ruleId === 'runpython-model-import');
    const related = (result?.relatedLocations ?? []).map((l) => `${l.physicalLocation.artifactLocation.uri.replace(/^.*\/shop\//, 'shop/')}:${l.physicalLocation.region.startLine}`);
    assert.ok(related.includes('shop/migrations/_orders.py:8'), JSON.stringify(related));
  });
});

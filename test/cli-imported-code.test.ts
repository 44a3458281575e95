/**
 * RunPython handed a function of another module of the project (awx's `_rbac.py`, openwisp's
 * migrations package): `check` reads that module and reports, on the name the migration hands
 * RunPython, the models the function uses as imported — today's models. The same with one process
 * and with the pool; none once the module uses the historical models; the project step's cache
 * depends on the module read.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';
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
      assert.match(handed ?? '', /^close_stale\(\) in _orders\.py, which RunPython runs, uses today's model `Order` \(from `shop\.models`, line 10 in _stale\(\)\) instead of taking it from the `apps` registry/);
      assert.match(handed ?? '', /Use `apps\.get_model\(\.\.\.\)` in that function/);
      // Called with the registry from the migration's own code, forwards (through a helper) and backwards: one finding.
      assert.match(called ?? '', /^stamp\(\) in _orders\.py, which this migration's RunPython code calls with its `apps` registry, uses today's model `get_user_model\(\)` \(today's user model, line 36\)/);
      // The module is no migration: never reported as one Django's loader skips, nor linted on its own.
      assert.doesNotMatch(run.stderr, /_orders/);
    }
  });

  it('reports the save loops of the imported functions, as the migration runs them (in its transaction)', () => {
    const run = runCli(['check', '.', '--no-cache', '--format', 'json'], project(HISTORICAL_ORDERS));
    const loops = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop');
    assert.deepEqual(loops.map((f) => `${f.path.replace(/\\/g, '/')}:${f.line}:${f.column}`), ['shop/migrations/0002_close_stale.py:10:50', 'shop/migrations/0005_touch.py:9:40'], run.stderr);
    assert.match(loops[0]?.message ?? '', /^reopen\(\) in _orders\.py, which RunPython runs when this migration is reversed — at line 16 there: `for order in Order\.objects\.filter\(closed=True\)` writes one row per iteration \(order\.save\(\)\): one UPDATE per row, all inside the migration's transaction\./);
    // Its rewrite needs the project view (a bare save() stamps what the model's fields say): the module is read again with the view of the migration that runs it.
    assert.match(loops[0]?.message ?? '', /\(The fix edits _orders\.py, which other migrations may run too, and any other code that calls the function with today's models, whose save\(\) and signals the rewrite would skip there\.\)$/);
    assert.match(loops[1]?.message ?? '', /\(The fix edits _orders\.py, which other migrations may run too, and any other code that calls the function with today's models, whose save\(\) and signals the rewrite would skip there\.\)$/);
  });

  it('reads the package where a package and a module share the name, as Python imports it', () => {
    const root = temps.make('mg-imported-package-');
    const write = (rel: string, text: string) => writeFileIn(join(root, rel), text);
    write('shop/__init__.py', '');
    write('shop/migrations/__init__.py', '');
    write('shop/migrations/0001_initial.py', 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [migrations.CreateModel(name="Item", fields=[("id", models.AutoField(primary_key=True)), ("flag", models.BooleanField(default=False))])]\n');
    const loop = 'def touch(apps, schema_editor):\n    Item = apps.get_model("shop", "Item")\n    for item in Item.objects.all():\n        item.flag = True\n        item.save()\n';
    const plain = 'def touch(apps, schema_editor):\n    apps.get_model("shop", "Item").objects.update(flag=True)\n';
    for (const [name, from] of [['helpers', 'shop.helpers'], ['_steps', '._steps']] as const) {
      const dir = name === 'helpers' ? 'shop' : 'shop/migrations';
      write(`${dir}/${name}.py`, plain);
      write(`${dir}/${name}/__init__.py`, loop);
      write(`shop/migrations/0002_${name.replace('_', '')}.py`, `from django.db import migrations\nfrom ${from} import touch\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunPython(touch, migrations.RunPython.noop)]\n`);
      const run = runCli(['check', '.', '--no-cache', '--format', 'json', '--select', 'unbatched-save-loop'], root);
      const loops = jsonFindings(run).filter((f) => f.path.replace(/\\/g, '/').endsWith(`0002_${name.replace('_', '')}.py`));
      assert.equal(loops.length, 1, `${from}\n${run.stdout}\n${run.stderr}`);
      assert.match(loops[0]?.message ?? '', /^touch\(\) in __init__\.py, which RunPython runs/);
    }
  });

  it("judges the module's rewrite by the model as the migration that runs it sees it (its auto_now field)", () => {
    for (const [stamped, written] of [
      [false, /^\+ {8}Order\.objects\.filter\(pk__in=pks\[start : start \+ 1000\]\)\.update\(closed=False\)$/m],
      [true, /^\+ {12}Order\.objects\.bulk_update\(batch, \["closed", "updated"\]\)$/m],
    ] as const) {
      const root = writeImportedCodeProject(temps.make('mg-imported-code-'), HISTORICAL_ORDERS, { stamped });
      for (const jobs of ['1', '2']) {
        const diff = runCli(['check', '.', '--no-cache', '--unsafe-fixes', '--diff', '--jobs', jobs, '--select', 'unbatched-save-loop'], root);
        const reopen = diff.stdout.slice(diff.stdout.indexOf('def reopen'), diff.stdout.indexOf('def archive'));
        assert.match(reopen, written, `stamped: ${stamped}, --jobs ${jobs}\n${diff.stdout}\n${diff.stderr}`);
        assert.equal(/pre_save\(order, False\)/.test(reopen), stamped, reopen);
      }
    }
  });

  it('writes the fix into the module with --unsafe-fixes (never with --fix), once, and the finding goes', () => {
    const root = project(HISTORICAL_ORDERS);
    const module = join(root, 'shop', 'migrations', '_orders.py');
    const before = readFileSync(module, 'utf8');
    const safe = runCli(['check', '.', '--no-cache', '--fix'], root);
    assert.equal(readFileSync(module, 'utf8'), before, safe.stderr);
    const diff = runCli(['check', '.', '--no-cache', '--unsafe-fixes', '--diff'], root);
    assert.match(diff.stdout, /^\+\+\+ b\/shop\/migrations\/_orders\.py$/m, diff.stdout);
    assert.match(diff.stdout, /^\+ {8}Order\.objects\.bulk_update\(batch, \["paid"\]\)$/m);
    assert.equal(readFileSync(module, 'utf8'), before, '--diff writes nothing');
    const fixed = runCli(['check', '.', '--no-cache', '--fix', '--unsafe-fixes'], root);
    assert.match(fixed.stderr, /fixed \d+ problems? in \d+ files?/);
    const after = readFileSync(module, 'utf8');
    assert.notEqual(after, before);
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read())', module]);
    const again = runCli(['check', '.', '--no-cache', '--format', 'json'], root);
    // Both loops of the module rewritten (reopen()'s with the view of 0002, which runs it): no save loop is left.
    assert.deepEqual(jsonFindings(again).filter((f) => f.rule === 'unbatched-save-loop').map((f) => f.path.replace(/\\/g, '/')), [], again.stdout);
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
    assert.ok(related.includes('shop/migrations/_orders.py:10'), JSON.stringify(related));
  });
});

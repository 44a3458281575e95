/**
 * A migration that calls an operation class of the project (review 35: ureport's `InstallSQL`, a
 * RunSQL reading its SQL from a file, in fifteen migrations): `check` reads the class from the
 * project's source and, when it leaves the model state alone, keeps following the app's state —
 * so the migrations after it are judged as the others are. A class that changes the state, or one
 * it cannot read, leaves the state unknown and the note says so, as before. The project step's
 * cache entry depends on the module read.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs } from './helpers/cli';
import { INSTALL_SQL, STATEFUL_SQL, writeOperationClassProject } from './helpers/operation-class-project';

const temps = new TempDirs();
after(() => temps.removeAll());

function project(sqlModule: string): string {
  return writeOperationClassProject(temps.make('mg-opclass-'), sqlModule);
}

const LOST = /the model state of app 'shop' cannot be followed from .*0002_install_triggers\.py/;
const briefOf = (run: ReturnType<typeof runCli>): string[] => jsonFindings(run).map((f) => `${f.path.replace(/\\/g, '/')}:${f.line} ${f.rule}`);

describe('check: operation classes the project defines', () => {
  it('follows the state past a RunSQL subclass that hands Django no state (one process, the pool, a fix run)', () => {
    const root = project(INSTALL_SQL);
    for (const jobs of ['1', '2']) {
      const run = runCli(['check', '.', '--no-cache', '--format', 'json', '--jobs', jobs], root);
      assert.doesNotMatch(run.stderr, LOST, `--jobs ${jobs}`);
      assert.deepEqual(briefOf(run).filter((b) => b.includes('0003')), ['shop/migrations/0003_order_total.py:8 add-field-not-null'], `--jobs ${jobs}\n${run.stderr}`);
    }
    // A fix run reads every file first, then builds the view: add-field-not-null's fix is written for 0003.
    const fixing = runCli(['check', '.', '--no-cache', '--unsafe-fixes', '--diff'], root);
    assert.doesNotMatch(fixing.stderr, LOST);
    assert.match(fixing.stdout, /^\+\+\+ .*0003_order_total\.py/m, fixing.stdout);
  });

  it('leaves the state unknown, and says so, when the class tells Django more than can be read', () => {
    const run = runCli(['check', '.', '--no-cache', '--format', 'json'], project(STATEFUL_SQL));
    assert.match(run.stderr, LOST);
    // …naming the operation and why its class could not be read.
    assert.match(run.stderr, /an operation there cannot be read statically \(`InstallSQL` \(shop\.sql\.InstallSQL\): shop\.sql\.InstallSQL defines state_forwards\(\)\)/);
    assert.deepEqual(briefOf(run).filter((b) => b.includes('0003')), []);
  });

  it('reads the module again when it changes, though no migration did (the cache)', () => {
    const root = project(INSTALL_SQL);
    const cache = join(root, '.cache');
    const first = runCli(['check', '.', '--cache-dir', cache, '--format', 'json'], root);
    assert.equal(briefOf(first).filter((b) => b.includes('0003')).length, 1, first.stderr);
    writeFileSync(join(root, 'shop', 'sql', '__init__.py'), STATEFUL_SQL);
    const second = runCli(['check', '.', '--cache-dir', cache, '--format', 'json'], root);
    assert.deepEqual(briefOf(second).filter((b) => b.includes('0003')), [], second.stderr);
    assert.match(second.stderr, LOST);
  });
});

/** 0002 through a same-file wrapper (review 80: acceslibre's `run_python`, which hands back a do-nothing operation in tests). */
const WRAPPED = (second: string): string => `from django.conf import settings
from django.db import migrations

from shop.db import OperationIgnoredInTest


def run_python(*args, **kwargs):
    """RunPython, skipped in tests."""
    if settings.TEST:
        return ${second}
    return migrations.RunPython(*args, **kwargs)


def fill(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    Order.objects.filter(name="").update(name="?")


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        run_python(code=fill),
    ]
`;

const IGNORED_IN_TEST = `from django.db.migrations.operations.base import Operation


class OperationIgnoredInTest(Operation):
    reduces_to_sql = False
    reversible = False

    def __init__(self, *args, **kwargs):
        pass

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass
`;

describe('check: operations handed back by a same-file wrapper', () => {
  function wrapped(second: string): string {
    const root = project(INSTALL_SQL);
    mkdirSync(join(root, 'shop'), { recursive: true });
    writeFileSync(join(root, 'shop', 'db.py'), IGNORED_IN_TEST);
    writeFileSync(join(root, 'shop', 'migrations', '0002_install_triggers.py'), WRAPPED(second));
    return root;
  }

  it('reads the RunPython the wrapper returns at the call, and follows the state past it', () => {
    const root = wrapped('OperationIgnoredInTest()');
    const run = runCli(['check', '.', '--no-cache', '--format', 'json'], root);
    assert.doesNotMatch(run.stderr, LOST, run.stderr);
    assert.deepEqual(briefOf(run).filter((b) => !b.includes('0001')), ['shop/migrations/0002_install_triggers.py:23 runpython-no-reverse', 'shop/migrations/0003_order_total.py:8 add-field-not-null']);
    // The reverse goes to the wrapper's call, which passes it on to RunPython.
    const fixing = runCli(['check', '.', '--no-cache', '--unsafe-fixes', '--diff', '--select', 'runpython-no-reverse'], root);
    assert.match(fixing.stdout, /^\+ {8}run_python\(code=fill, reverse_code=migrations\.RunPython\.noop\),$/m, fixing.stdout);
  });

  it('leaves the state unknown when a path of the wrapper makes a known operation of its own arguments', () => {
    const run = runCli(['check', '.', '--no-cache', '--format', 'json'], wrapped('migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)'));
    assert.match(run.stderr, LOST);
    assert.deepEqual(briefOf(run).filter((b) => b.includes('0003')), []);
  });
});

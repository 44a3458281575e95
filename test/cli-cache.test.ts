/**
 * The `check` cache, as users meet it: a second run over unchanged files gives the same output
 * without parsing anything; a changed file, setting, imported app config or build is seen; runs
 * sharing one cache folder at the same time all answer right; a damaged cache is ignored; and
 * --no-cache, --cache-dir, MIGRATION_GUARD_CACHE_DIR and the default folder do what they say.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, otherNotes, runCli, SAVE_LOOP_MIGRATION, TempDirs, writeFileIn, type CliRun } from './helpers/cli';
import { DIST, FIXTURES } from './helpers/paths';

const temps = new TempDirs();
after(() => temps.removeAll());

/** The environment without the test runner's shared cache folder, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('MIGRATION_GUARD_CACHE_DIR' in extra)) delete e['MIGRATION_GUARD_CACHE_DIR'];
  return e;
}

const MIXED = `from django.db import migrations, models


def fill(apps, schema_editor):
    apps.get_model("shop", "Order").objects.update(flag=True)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddField(model_name="order", name="note", field=models.TextField(default="")),
    ]
`;

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("flag", models.BooleanField(default=False))]),
    ]
`;

/** A small project: two apps, a save loop, a mixed migration, a non-migration module. */
function project(): string {
  const root = temps.make();
  writeFileIn(join(root, 'pyproject.toml'), '[tool.migration-guard]\n');
  writeFileIn(join(root, 'shop', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), INITIAL);
  writeFileIn(join(root, 'shop', 'migrations', '0002_loop.py'), SAVE_LOOP_MIGRATION);
  writeFileIn(join(root, 'shop', 'migrations', '0003_mixed.py'), MIXED.replace('"0001_initial"', '"0002_loop"'));
  writeFileIn(join(root, 'billing', 'migrations', '__init__.py'), '');
  writeFileIn(join(root, 'billing', 'migrations', '0001_initial.py'), INITIAL.replace('dependencies = []', 'dependencies = [("shop", "0003_mixed")]'));
  writeFileIn(join(root, 'tools', 'helpers.py'), 'def f():\n    return 1\n');
  return root;
}

/** A copy of dist/ whose Python grammar is junk: any run that parses a file fails. */
function distThatCannotParse(changeBuild = false): string {
  const dist = join(temps.make(), 'dist');
  cpSync(DIST, dist, { recursive: true, filter: (src) => !src.endsWith('.map') });
  writeFileSync(join(dist, 'tree-sitter-python.wasm'), 'not a grammar');
  // The build is known by the bundle that holds the analysis (dist/cli.js is its launcher).
  if (changeBuild) writeFileSync(join(dist, 'cli-core.js'), `${readFileSync(join(dist, 'cli-core.js'), 'utf8')}\n// another build\n`);
  return join(dist, 'cli.js');
}

function spawnCli(cli: string, args: string[], cwd: string, extraEnv: Record<string, string>): CliRun {
  // runCli spawns dist/cli.js; another build is spawned the same way by path.
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: env(extraEnv) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every folder under `dir` an hour old: their listings may be kept (a folder changed within two seconds of a run never is). */
function ageFolders(dir: string): void {
  const old = new Date(Date.now() - 3_600_000);
  utimesSync(dir, old, old);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) ageFolders(join(dir, e.name));
}

describe('check cache', () => {
  it('answers a second run over unchanged files from the cache, in every format, parsing nothing', () => {
    const root = project();
    const cache = join(temps.make(), 'cache');
    for (const format of ['text', 'json', 'sarif', 'github']) {
      const fresh = runCli(['check', '--no-cache', '--format', format, '.'], root, { env: env() });
      const first = runCli(['check', '--cache-dir', cache, '--format', format, '.'], root, { env: env() });
      // The grammar is broken in this copy of the tool: only a run that parses nothing can succeed.
      const second = spawnCli(distThatCannotParse(), ['check', '--cache-dir', cache, '--format', format, '.'], root, {});
      assert.equal(fresh.code, 1, fresh.stderr);
      assert.deepEqual([first.code, first.stdout, first.stderr], [fresh.code, fresh.stdout, fresh.stderr], `${format}: first cached run`);
      assert.deepEqual([second.code, second.stdout, second.stderr], [fresh.code, fresh.stdout, fresh.stderr], `${format}: run from the cache`);
    }
  });

  it('loads no grammar for a small run whose migrations are all read from their text', () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), INITIAL);
    writeFileIn(join(root, 'shop', 'migrations', '0002_note.py'), `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n\n    operations = [\n        migrations.AddField(model_name="order", name="note", field=models.TextField(null=True)),\n    ]\n`);
    const args = ['check', '--no-cache', '--format', 'json', join('shop', 'migrations', '0002_note.py')];
    const normal = runCli(args, root, { env: env() });
    // The grammar is broken in this copy: the run succeeds only because nothing was parsed.
    const unparsed = spawnCli(distThatCannotParse(), args, root, {});
    assert.equal(normal.code, 0, normal.stderr);
    assert.deepEqual([unparsed.code, unparsed.stdout, unparsed.stderr], [normal.code, normal.stdout, normal.stderr]);
    // A data migration in the folder must be parsed (for the project view): the broken copy says so.
    writeFileIn(join(root, 'shop', 'migrations', '0003_loop.py'), SAVE_LOOP_MIGRATION.replace(/dependencies = \[[^\]]*\]/, 'dependencies = [("shop", "0002_note")]'));
    const parsed = spawnCli(distThatCannotParse(), args, root, {});
    assert.equal(parsed.code, 2, `${parsed.stdout}${parsed.stderr}`);
  });

  it('sees a changed file, a changed setting and a new file; other files still come from the cache', () => {
    const root = project();
    const cache = join(temps.make(), 'cache');
    const args = ['check', '--cache-dir', cache, '--format', 'json', '.'];
    runCli(args, root, { env: env() });
    // A reverse function added: runpython-no-reverse goes away from that file only.
    const loop = join(root, 'shop', 'migrations', '0002_loop.py');
    writeFileSync(loop, readFileSync(loop, 'utf8').replace('migrations.RunPython(forwards)', 'migrations.RunPython(forwards, migrations.RunPython.noop)'));
    const edited = runCli(args, root, { env: env() });
    assert.deepEqual(edited.stdout, runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: env() }).stdout);
    assert.ok(!edited.stdout.includes('runpython-no-reverse'), edited.stdout);
    // A rule turned off in pyproject.toml.
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nrules = { mixed-data-and-schema = "off" }\n');
    const ruleOff = runCli(args, root, { env: env() });
    assert.ok(!ruleOff.stdout.includes('mixed-data-and-schema'), ruleOff.stdout);
    assert.ok(ruleOff.stdout.includes('unbatched-save-loop'));
    // A new migration that conflicts with 0003 (a second leaf): a project finding appears.
    writeFileIn(join(root, 'shop', 'migrations', '0003_other.py'), INITIAL.replace('initial = True\n    dependencies = []', 'dependencies = [("shop", "0002_loop")]').replace('"Order"', '"Other"'));
    const added = runCli(args, root, { env: env() });
    assert.ok(added.stdout.includes('conflicting-migrations'), added.stdout);
    assert.deepEqual(added.stdout, runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: env() }).stdout);
  });

  it('keeps the folder listings beside the cache and still sees a migration added to a folder it listed before', () => {
    const root = project();
    ageFolders(root);
    const cache = join(temps.make(), 'cache');
    const args = ['check', '--cache-dir', cache, '--format', 'json', '.'];
    const first = runCli(args, root, { env: env() });
    assert.ok(existsSync(join(cache, 'listings.bin')));
    const fromCache = spawnCli(distThatCannotParse(), args, root, {});
    assert.deepEqual([fromCache.code, fromCache.stdout], [first.code, first.stdout]);
    // A second leaf in shop/migrations, whose listing was kept: the new file is found.
    writeFileIn(join(root, 'shop', 'migrations', '0003_other.py'), INITIAL.replace('initial = True\n    dependencies = []', 'dependencies = [("shop", "0002_loop")]').replace('"Order"', '"Other"'));
    const added = runCli(args, root, { env: env() });
    assert.ok(added.stdout.includes('conflicting-migrations'), added.stdout);
    assert.deepEqual(added.stdout, runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: env() }).stdout);
  });

  it('writes the listings only into the cache folder the run used, never into one guessed before the walk', () => {
    // The settings live in a sub-folder: the cache goes beside them, not into the current directory.
    const root = temps.make();
    const app = join(root, 'backend');
    writeFileIn(join(app, 'pyproject.toml'), '[tool.migration-guard]\n');
    writeFileIn(join(app, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(join(app, 'shop', 'migrations', '0001_initial.py'), INITIAL);
    // A cache folder where the run looks first (left by a run before the settings were moved).
    mkdirSync(join(root, '.migration-guard-cache'));
    ageFolders(root);
    const run = runCli(['check', '.'], root, { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(app, '.migration-guard-cache', 'stats.bin')), 'the cache is beside the settings');
    assert.deepEqual(readdirSync(join(root, '.migration-guard-cache')), [], 'nothing written where the cache was only guessed');
  });

  it('keys results by the target database: changing database or postgresql-version never serves stale findings', () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop', '__init__.py'), '');
    writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), INITIAL);
    writeFileIn(
      join(root, 'shop', 'migrations', '0002_flag_index.py'),
      `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n\n    operations = [\n        migrations.AddIndex(model_name="order", index=models.Index(fields=["flag"], name="order_flag_idx")),\n        migrations.AddField(model_name="order", name="rank", field=models.IntegerField(default=0)),\n    ]\n`,
    );
    const cache = join(temps.make(), 'cache');
    const args = ['check', '--cache-dir', cache, '--format', 'json', '.'];
    const run = (pyproject: string) => {
      writeFileSync(join(root, 'pyproject.toml'), `[tool.migration-guard]\n${pyproject}`);
      const cached = runCli(args, root, { env: env() });
      assert.deepEqual(cached.stdout, runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: env() }).stdout, pyproject);
      return cached.stdout;
    };
    const postgres = run('database = "postgresql"\n');
    assert.ok(postgres.includes('add-index-not-concurrent') && !postgres.includes('rewrites'), postgres);
    const sqlite = run('database = "sqlite"\n');
    assert.ok(!sqlite.includes('add-index-not-concurrent') && sqlite.includes('add-field-not-null'), sqlite);
    const old = run('database = "postgresql"\npostgresql-version = 10\n');
    assert.ok(old.includes('add-index-not-concurrent') && old.includes('rewrites the whole table'), old);
    assert.equal(run('database = "postgresql"\n'), postgres);
  });

  it('re-reads an apps.py whose label comes from a config class imported from another module when that module changes', () => {
    const root = temps.make();
    cpSync(join(FIXTURES, 'projects', 'app-label'), root, { recursive: true });
    // The label now comes from a base class in another module of the project.
    writeFileIn(join(root, 'common', '__init__.py'), '');
    writeFileIn(join(root, 'common', 'apps.py'), "from django.apps import AppConfig\n\n\nclass BaseConfig(AppConfig):\n    label = 'custom_label'\n");
    writeFileSync(join(root, 'billing_core', 'apps.py'), "from common.apps import BaseConfig\n\n\nclass BillingCoreConfig(BaseConfig):\n    name = 'billing_core'\n");
    const cache = join(temps.make(), 'cache');
    const args = ['check', '--cache-dir', cache, '--format', 'json', '--select', 'conflicting-migrations', '.'];
    const before = runCli(args, root, { env: env() });
    assert.equal(before.code, 0, `0002 depends on custom_label's 0001: one leaf: ${before.stdout}${before.stderr}`);
    writeFileSync(join(root, 'common', 'apps.py'), "from django.apps import AppConfig\n\n\nclass BaseConfig(AppConfig):\n    label = 'renamed'\n");
    const after = runCli(args, root, { env: env() });
    // Renamed, the app's 0002 depends on an app outside the project: two leaves.
    assert.equal(after.code, 1, 'the base class renamed the app');
    assert.ok(after.stdout.includes('conflicting-migrations'), after.stdout);
  });

  it('runs the project step again when the module of a mixin a migration gives a model changes, though no file of the run did', () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop', '__init__.py'), '');
    writeFileIn(join(root, 'shop', 'mixins.py'), 'class Urls:\n    def url(self):\n        return "/"\n');
    writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(
      join(root, 'shop', 'migrations', '0001_initial.py'),
      INITIAL.replace('from django.db', 'import shop.mixins\nfrom django.db').replace('models.BooleanField(default=False))]', 'models.BooleanField(default=False))], bases=(shop.mixins.Urls, models.Model)'),
    );
    writeFileIn(join(root, 'shop', 'migrations', '0002_loop.py'), SAVE_LOOP_MIGRATION.replace(/Item/g, 'Order'));
    const cache = join(temps.make(), 'cache');
    // Only the migrations are checked: the mixin's module is no file of the run, only one the view read.
    const args = ['check', '--cache-dir', cache, '--format', 'json', '--select', 'unbatched-save-loop', join('shop', 'migrations')];
    const messages = () => (JSON.parse(runCli(args, root, { env: env() }).stdout) as Array<{ message: string }>).map((f) => f.message);
    assert.equal(messages().length, 1);
    assert.doesNotMatch(messages()[0] ?? '', /No (?:bulk )?rewrite/, 'from the cache: Urls takes no part in save()');
    writeFileSync(join(root, 'shop', 'mixins.py'), 'class Urls:\n    def save(self, *args, **kwargs):\n        super().save(*args, **kwargs)\n');
    assert.match(messages()[0] ?? '', /No bulk rewrite is offered: Order's migrations give it the base class shop\.mixins\.Urls, and it defines Urls\.save\(\)/);
  });

  it('never reuses what another build of the tool wrote', () => {
    const root = project();
    const cache = join(temps.make(), 'cache');
    runCli(['check', '--cache-dir', cache, '.'], root, { env: env() });
    const other = spawnCli(distThatCannotParse(true), ['check', '--cache-dir', cache, '.'], root, {});
    assert.equal(other.code, 2, 'another build parses again (and here cannot)');
    assert.match(other.stderr, /cannot start the Python parser|could not be checked/);
  });

  it('gives every one of several runs sharing the cache folder at once the right answer', async () => {
    const root = project();
    const cache = join(temps.make(), 'cache');
    const expected = runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: env() }).stdout;
    const once = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'check', '--cache-dir', cache, '--format', 'json', '.'], { cwd: root, env: env() });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
    for (let round = 0; round < 2; round++) {
      const outs = await Promise.all([once(), once(), once(), once()]);
      for (const out of outs) assert.equal(out, expected, `round ${round}`);
    }
    assert.deepEqual(readdirSync(cache).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
  });

  it('ignores a damaged cache and rewrites it', () => {
    const root = project();
    const cache = join(temps.make(), 'cache');
    const expected = runCli(['check', '--cache-dir', cache, '--format', 'json', '.'], root, { env: env() }).stdout;
    for (const name of readdirSync(cache).filter((f) => f.endsWith('.bin'))) writeFileSync(join(cache, name), 'garbage');
    const damaged = runCli(['check', '--cache-dir', cache, '--format', 'json', '.'], root, { env: env() });
    assert.equal(damaged.stdout, expected);
    assert.equal(otherNotes(damaged.stderr), '');
    const again = spawnCli(distThatCannotParse(), ['check', '--cache-dir', cache, '--format', 'json', '.'], root, {});
    assert.equal(again.stdout, expected, 'the rewritten cache answers the next run');
  });

  it('puts the cache beside pyproject.toml with a .gitignore, or where MIGRATION_GUARD_CACHE_DIR says; --no-cache writes none', () => {
    const root = project();
    const sub = join(root, 'shop');
    runCli(['check', '--no-cache', '.'], sub, { env: env() });
    assert.equal(existsSync(join(root, '.migration-guard-cache')), false, '--no-cache wrote a cache');
    runCli(['check', '.'], sub, { env: env() });
    assert.equal(readFileSync(join(root, '.migration-guard-cache', '.gitignore'), 'utf8').trim().split('\n').pop(), '*');
    const named = join(temps.make(), 'from-env');
    runCli(['check', '.'], sub, { env: env({ MIGRATION_GUARD_CACHE_DIR: named }) });
    assert.ok(readdirSync(named).some((f) => f.endsWith('.bin')), 'MIGRATION_GUARD_CACHE_DIR used');
  });

  it('runs without a cache it cannot write, saying so when the folder was named', () => {
    const root = project();
    const blocked = join(temps.make(), 'blocked');
    writeFileSync(blocked, 'a file, not a folder');
    const run = runCli(['check', '--cache-dir', join(blocked, 'cache'), '--format', 'json', '.'], root, { env: env() });
    assert.equal(run.stdout, runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: env() }).stdout);
    assert.match(run.stderr, /cannot use the cache folder .*checking without a cache/);
    if (process.getuid?.() !== 0) {
      const ro = join(temps.make(), 'ro');
      runCli(['check', '--cache-dir', ro, '.'], root, { env: env() });
      chmodSync(ro, 0o500);
      assert.equal(runCli(['check', '--cache-dir', ro, '--format', 'json', '.'], root, { env: env() }).stdout, run.stdout);
    }
  });

  it('still fixes files with --unsafe-fixes after a cached run, and refuses --no-cache with --cache-dir', () => {
    const root = project();
    const cache = join(temps.make(), 'cache');
    runCli(['check', '--cache-dir', cache, '.'], root, { env: env() });
    const fixed = runCli(['check', '--cache-dir', cache, '--fix', '--unsafe-fixes', '.'], root, { env: env() });
    assert.match(fixed.stderr, /fixed [1-9]\d* problems?/);
    assert.match(readFileSync(join(root, 'shop', 'migrations', '0002_loop.py'), 'utf8'), /RunPython\.noop/);
    const clash = runCli(['check', '--no-cache', '--cache-dir', cache, '.'], root, { env: env() });
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /--no-cache and --cache-dir/);
  });
});

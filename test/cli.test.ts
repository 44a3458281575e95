/**
 * The command-line tool, run as users run it: the bundled dist/cli.js in a subprocess, on the
 * tiny project in test/fixtures/cli/ (and on copies of it in the temp folder where a test needs
 * files git cannot hold: node_modules, a virtualenv, a dangling link, hundreds of migrations).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RULE_IDS } from '../server/src/analysis/rules';
import { escapeData, escapeProperty } from '../server/src/cli/format-github';
import { unifiedDiff } from '../server/src/cli/unified-diff';
import { DIST, FIXTURES, REPO_ROOT } from './helpers/paths';

const CLI = join(DIST, 'cli.js');
const PROJECT = join(FIXTURES, 'cli');
const JSON_KEYS = ['path', 'line', 'column', 'endLine', 'endColumn', 'rule', 'severity', 'message'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string = PROJECT): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonFinding {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  rule: string;
  severity: string;
  message: string;
}

function json(args: string[], cwd?: string): { run: Run; findings: JsonFinding[] } {
  const run = cli(['check', '--format', 'json', ...args], cwd);
  return { run, findings: JSON.parse(run.stdout) as JsonFinding[] };
}

/** `path:line rule` for each finding: compact to compare. */
function brief(findings: JsonFinding[]): string[] {
  return findings.map((f) => `${f.path}:${f.line} ${f.rule}`);
}

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'migration-guard-cli-'));
  temps.push(d);
  return d;
}
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A copy of the fixture project, plus whatever `extra` writes into it. */
function projectCopy(extra: (root: string) => void = () => undefined): string {
  const root = join(tempDir(), 'project');
  cpSync(PROJECT, root, { recursive: true });
  extra(root);
  return root;
}

function write(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

/** The i-th of a chain of plain migrations (read from the text, no parse): a model, then nullable columns. */
const PLAIN_MIGRATION = (app: string, i: number): string => `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [${i === 0 ? '' : `("${app}", "${String(i).padStart(4, '0')}_plain")`}]

    operations = [
        ${i === 0 ? 'migrations.CreateModel(name="Thing", fields=[("id", models.AutoField(primary_key=True)), ("name", models.TextField())])' : `migrations.AddField(model_name="thing", name="f${i}", field=models.IntegerField(null=True))`},
    ]
`;

const SAVE_LOOP_MIGRATION = (label: string): string => `from django.db import migrations


def forwards(apps, schema_editor):
    Item = apps.get_model("shop", "Item")
    for item in Item.objects.filter(tag="${label}"):
        item.flag = True
        item.save()


class Migration(migrations.Migration):
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;

const EXPECTED_DEFAULT = [
  'app/migrations/0002_backfill.py:6 unbatched-save-loop',
  'app/migrations/0002_backfill.py:15 runpython-no-reverse',
  'app/migrations/0002_backfill.py:15 mixed-data-and-schema',
  'app/migrations/0002_backfill.py:17 alter-field-not-null',
  'app/migrations/0003_order_index.py:7 unused-suppression',
  'app/migrations/0003_order_index.py:9 missing-atomic-false',
  'app/migrations/0004_broken.py:9 runpython-no-reverse',
  'app/migrations/0004_broken.py:9 syntax-error',
  'scripts/custom_migration.py:13 runpython-no-reverse',
];

describe('cli: built bundle', () => {
  it('exists (run `npm run build` first)', () => {
    assert.ok(existsSync(CLI), `${CLI} is missing`);
    assert.ok(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node'), 'dist/cli.js has no shebang');
    for (const f of ['cli-worker.js', 'web-tree-sitter.wasm', 'tree-sitter-python.wasm']) assert.ok(existsSync(join(DIST, f)), `dist/${f} is missing`);
  });

  it('is executable after a rebuild, so `npx migration-guard` runs it', () => {
    assert.ok((statSync(CLI).mode & 0o111) !== 0, 'dist/cli.js lost its executable bit');
  });
});

describe('cli: help and version', () => {
  it('prints usage for --help and check --help', () => {
    const main = cli(['--help']);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /migration-guard check \[options\] \[paths\.\.\.\]/);
    const check = cli(['check', '--help']);
    assert.equal(check.code, 0);
    for (const option of ['--format', '--fail-on', '--config', '--select', '--ignore', '--jobs', '--quiet']) assert.ok(check.stdout.includes(option), `check --help does not mention ${option}`);
  });

  it('prints the version from package.json', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = cli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), `migration-guard ${pkg.version}`);
  });
});

describe('cli: text format', () => {
  it('prints ruff-like lines and a summary, and exits 1 on warnings', () => {
    const r = cli(['check']);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, EXPECTED_DEFAULT.length + 1);
    assert.match(lines[0], /^app\/migrations\/0002_backfill\.py:6:5: warning \[unbatched-save-loop\] \S/);
    assert.match(lines[4], /^app\/migrations\/0003_order_index\.py:7:5: information \[unused-suppression\] /);
    assert.equal(lines.at(-1), 'Found 9 problems (2 errors, 6 warnings, 1 information) in 4 files (6 checked).');
  });

  it('says so when nothing is found, and --quiet leaves only findings', () => {
    const clean = cli(['check', 'app/migrations/0001_initial.py']);
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, 'No problems found in 1 file.\n');
    assert.equal(cli(['check', '--quiet', 'app/migrations/0001_initial.py']).stdout, '');
    const quiet = cli(['check', '-q']);
    assert.equal(quiet.stdout.trimEnd().split('\n').length, EXPECTED_DEFAULT.length);
    assert.doesNotMatch(quiet.stderr, /warning/);
  });

  it('reports a syntax error as an error finding (so CI fails as migrate would) and still lints the file', () => {
    const r = cli(['check', 'app/migrations/0004_broken.py']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /0004_broken\.py:9:62: error \[syntax-error\] Syntax error \(`\)` is missing here\)/);
    assert.match(r.stdout, /0004_broken\.py:9:9: warning \[runpython-no-reverse\]/);
    assert.equal(cli(['check', '--fail-on', 'error', 'app/migrations/0004_broken.py']).code, 1);
  });
});

describe('cli: json format', () => {
  it('prints one array with exactly the documented keys, sorted by path, line, column', () => {
    const { run, findings } = json([]);
    assert.equal(run.code, 1);
    assert.deepEqual(brief(findings), EXPECTED_DEFAULT);
    for (const f of findings) {
      assert.deepEqual(Object.keys(f), JSON_KEYS);
      assert.ok(['error', 'warning', 'information', 'hint'].includes(f.severity));
      assert.ok(f.line >= 1 && f.column >= 1 && f.endLine >= f.line);
    }
    const loop = findings[0];
    assert.deepEqual([loop.line, loop.column, loop.endLine], [6, 5, 6]);
  });

  it('keeps the user spelling of paths', () => {
    assert.deepEqual(brief(json(['app/migrations/']).findings).slice(0, 1), ['app/migrations/0002_backfill.py:6 unbatched-save-loop']);
    assert.equal(json(['./app/migrations/0002_backfill.py']).findings[0].path, './app/migrations/0002_backfill.py');
    const absolute = json([join(PROJECT, 'scripts')]).findings;
    assert.deepEqual(brief(absolute), [`${join(PROJECT, 'scripts', 'custom_migration.py')}:13 runpython-no-reverse`]);
    const fromParent = json([join('cli', 'app')], FIXTURES).findings;
    assert.equal(fromParent[0].path, 'cli/app/migrations/0002_backfill.py');
  });

  it('prints [] and exits 0 when there is nothing to report', () => {
    const { run, findings } = json(['app/migrations/0001_initial.py']);
    assert.equal(run.code, 0);
    assert.deepEqual(findings, []);
  });
});

describe('cli: sarif format', () => {
  it('is a structurally valid SARIF 2.1.0 log', () => {
    const r = cli(['check', '--format', 'sarif']);
    assert.equal(r.code, 1);
    const log = JSON.parse(r.stdout) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema, /sarif-2\.1\.0/);
    assert.equal(log.runs.length, 1);
    const driver = log.runs[0].tool.driver;
    assert.equal(driver.name, 'django-migration-guard');
    assert.equal(driver.version, pkg.version);
    assert.match(driver.informationUri, /^https:\/\//);
    assert.deepEqual(driver.rules.map((x: { id: string }) => x.id), RULE_IDS);
    for (const rule of driver.rules) {
      assert.ok(rule.shortDescription.text.length > 0);
      assert.equal(rule.helpUri, `https://github.com/django-migration-guard/django-migration-guard/blob/main/docs/rules/${rule.id}.md`);
      assert.ok(['error', 'warning', 'note'].includes(rule.defaultConfiguration.level));
    }
    const results = log.runs[0].results;
    const expected = json([]).findings;
    assert.equal(results.length, expected.length);
    results.forEach((res: any, i: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const want = expected[i];
      assert.equal(res.ruleId, want.rule);
      assert.equal(driver.rules[res.ruleIndex].id, res.ruleId);
      assert.equal(res.level, { error: 'error', warning: 'warning', information: 'note', hint: 'note' }[want.severity]);
      assert.equal(res.message.text, want.message);
      const loc = res.locations[0].physicalLocation;
      assert.deepEqual(loc.artifactLocation, { uri: want.path, uriBaseId: '%SRCROOT%' });
      assert.deepEqual(loc.region, { startLine: want.line, startColumn: want.column, endLine: want.endLine, endColumn: want.endColumn });
    });
    const loop = results.find((x: { ruleId: string }) => x.ruleId === 'unbatched-save-loop');
    assert.ok(loop.relatedLocations.length > 0, 'the save loop finding has related locations');
    for (const rel of loop.relatedLocations) {
      assert.ok(Number.isInteger(rel.id) && rel.message.text.length > 0);
      assert.equal(rel.physicalLocation.artifactLocation.uri, 'app/migrations/0002_backfill.py');
      assert.ok(rel.physicalLocation.region.startLine >= 1);
    }
  });
});

describe('cli: github format', () => {
  it('escapes data and properties the way the Actions runner reads them', () => {
    assert.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b');
    assert.equal(escapeProperty('a,b:c%\n'), 'a%2Cb%3Ac%25%0A');
  });

  it('prints one workflow command per finding', () => {
    const r = cli(['check', '--format', 'github']);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, EXPECTED_DEFAULT.length);
    assert.match(lines[0], /^::warning file=app\/migrations\/0002_backfill\.py,line=6,col=5,endLine=6,endColumn=\d+,title=unbatched-save-loop::\S/);
    assert.ok(lines.some((l) => l.startsWith('::error file=app/migrations/0003_order_index.py,line=9,')));
    assert.ok(lines.some((l) => l.startsWith('::notice file=app/migrations/0003_order_index.py,line=7,')));
  });

  it('escapes file names and messages end to end', () => {
    const root = tempDir();
    write(join(root, 'odd,name:app', 'migrations', '0001_x.py'), SAVE_LOOP_MIGRATION('100%'));
    const r = cli(['check', '--format', 'github'], root);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^::warning file=odd%2Cname%3Aapp\/migrations\/0001_x\.py,line=6,/);
    assert.ok(r.stdout.includes('100%25'), r.stdout);
    assert.ok(!/100%[^2]/.test(r.stdout));
  });
});

describe('cli: settings and file selection', () => {
  it('applies pyproject.toml: rule off, exclude globs, content detection, __init__.py skipped', () => {
    const found = json([]).findings;
    assert.ok(!found.some((f) => f.rule === 'runsql-no-reverse'), 'runsql-no-reverse is off in pyproject.toml');
    assert.ok(!found.some((f) => f.path.startsWith('legacy/')), 'legacy/** is excluded');
    assert.ok(found.some((f) => f.path === 'scripts/custom_migration.py'), 'a Migration class outside migrations/ is found by content');
  });

  it('says from which migration on an app\'s model state is lost, and how many migrations that leaves unchecked (review 26: tilavarauspalvelu 0014)', () => {
    const root = tempDir();
    const dir = join(root, 'shop', 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'shop', '__init__.py'), '');
    writeFileSync(join(dir, '__init__.py'), '');
    const head = (parent: string | null) => `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${parent ? `("shop", "${parent}")` : ''}]\n`;
    writeFileSync(join(dir, '0001_initial.py'), `${head(null)}    initial = True\n    operations = [migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))])]\n`);
    writeFileSync(join(dir, '0002_helpers.py'), `from shop.ops import more_operations\n${head('0001_initial')}    operations = more_operations()\n`);
    writeFileSync(join(dir, '0003_total.py'), `${head('0002_helpers')}    operations = [migrations.AddField("order", "total", models.IntegerField(default=0))]\n`);
    writeFileSync(join(dir, '0004_note.py'), `${head('0003_total')}    operations = [migrations.AddField("order", "note", models.TextField(default=""))]\n`);
    const run = cli(['check', '--format', 'json', '.'], root);
    assert.match(run.stderr, /the model state of app 'shop' cannot be followed from shop\/migrations\/0002_helpers\.py on: an operation there \(or a list of operations\) cannot be read statically, so the rules that need the state \(NOT NULL columns, index builds, drops, renames, table names\) say nothing about it and the 2 migrations after it\./);
    // Read, the operations give the state back: no note, and the NOT NULL columns are reported.
    writeFileSync(join(dir, '0002_helpers.py'), `${head('0001_initial')}    operations = []\n`);
    const read = cli(['check', '--format', 'json', '.'], root);
    assert.doesNotMatch(read.stderr, /cannot be followed/);
    assert.equal((JSON.parse(read.stdout) as JsonFinding[]).filter((f) => f.rule === 'add-field-not-null').length, 2);
    assert.doesNotMatch(cli(['check', '--quiet', '--format', 'json', '.'], root).stderr, /cannot be followed/, '--quiet says nothing');
  });

  it('says which migrations are checked without the project view: outside any migrations folder, or under an app label two folders claim', () => {
    const { run } = json([]);
    assert.match(run.stderr, /1 migration is in no app's migrations folder \(scripts\/custom_migration\.py\): checked alone, without the migration graph and the model state/);
    assert.match(run.stderr, /\[tool\.migration-guard\.migration-modules\]/);
    const root = tempDir();
    for (const project of ['one', 'two']) {
      mkdirSync(join(root, project, 'shop', 'migrations'), { recursive: true });
      writeFileSync(join(root, project, 'shop', 'migrations', '__init__.py'), '');
      writeFileSync(join(root, project, 'shop', 'migrations', '0001_initial.py'), SAVE_LOOP_MIGRATION('x'));
    }
    // One folder holding both projects: one graph, where two folders claim 'shop'.
    const both = cli(['check', '--format', 'json', '.'], root);
    assert.match(both.stderr, /the app label 'shop' is claimed by more than one migrations folder: their migrations are checked without the migration graph/);
    const alone = cli(['check', '--format', 'json', 'one'], root);
    assert.doesNotMatch(alone.stderr, /claimed by more than one|no app's migrations folder/, alone.stderr);
    assert.doesNotMatch(cli(['check', '--quiet', '--format', 'json', '.'], root).stderr, /claimed/, '--quiet says nothing');
  });

  it('takes a base class other migrations derive from for no migration: it states neither operations nor dependencies (review 80: acceslibre\'s core/db.py)', () => {
    const root = tempDir();
    write(join(root, 'core', '__init__.py'), '');
    write(join(root, 'core', 'db.py'), 'from django.conf import settings\nfrom django.db.migrations import Migration\n\n\nclass MigrationIgnoredInTest(Migration):\n    def apply(self, project_state, schema_editor, collect_sql=False):\n        if settings.TEST:\n            return project_state\n        return super().apply(project_state, schema_editor, collect_sql)\n');
    write(join(root, 'shop', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '0001_initial.py'), SAVE_LOOP_MIGRATION('x'));
    const run = cli(['check', '--format', 'json', '.'], root);
    assert.doesNotMatch(run.stderr, /no app's migrations folder/, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as JsonFinding[]).filter((f) => f.path.startsWith('core/')), []);
    // A class of another name that states its operations is still a migration found by content.
    write(join(root, 'core', 'db.py'), 'from django.db import migrations\n\n\nclass Fill(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunPython(print)]\n');
    assert.match(cli(['check', '--format', 'json', '.'], root).stderr, /1 migration is in no app's migrations folder \(core\/db\.py\)/);
  });

  it('names a folder of migrations beside an app\'s own migrations package as one Django does not load, and how to leave it out (review 73: care\'s migrations_old)', () => {
    const root = tempDir();
    write(join(root, 'shop', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '0001_initial.py'), SAVE_LOOP_MIGRATION('x'));
    write(join(root, 'shop', 'migrations_old', '0001_initial.py'), SAVE_LOOP_MIGRATION('y'));
    const run = cli(['check', '--format', 'json', '.'], root);
    assert.match(run.stderr, /1 migration is in no app's migrations folder \(shop\/migrations_old\/0001_initial\.py\)/);
    assert.match(run.stderr, /shop\/migrations_old sits beside an app's own migrations package, which is what Django loads: if nothing loads it \(migrations retired by a squash or a reset\), leave it out with exclude = \["shop\/migrations_old\/\*\*"\] in \[tool\.migration-guard\]\./);
    // As said, the folder is left out.
    write(join(root, 'pyproject.toml'), '[tool.migration-guard]\nexclude = ["shop/migrations_old/**"]\n');
    const left = cli(['check', '--format', 'json', '.'], root);
    assert.doesNotMatch(left.stderr, /no app's migrations folder/);
    assert.ok((JSON.parse(left.stdout) as JsonFinding[]).every((f) => !f.path.includes('migrations_old')));
    // A folder of migrations with no migrations package beside it gets no such words.
    assert.doesNotMatch(cli(['check', '--format', 'json', '.']).stderr, /sits beside an app's own migrations package/);
  });

  it('gives folders named from different projects a graph each, as the editor does workspace folders; a folder named inside another is part of it', () => {
    const root = tempDir();
    const initial = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(name='Order', fields=[('id', models.AutoField(primary_key=True))]),\n    ]\n";
    const addField = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n    operations = [\n        migrations.AddField(model_name='order', name='code', field=models.IntegerField(default=0)),\n    ]\n";
    for (const project of ['one', 'two']) {
      write(join(root, project, 'shop', 'migrations', '__init__.py'), '');
      write(join(root, project, 'shop', 'migrations', '0001_initial.py'), initial);
      write(join(root, project, 'shop', 'migrations', '0002_order_code.py'), addField);
    }
    const flagged = (args: string[]) => {
      const r = cli(['check', '--format', 'json', ...args], root);
      return { stderr: r.stderr, files: (JSON.parse(r.stdout) as Array<{ path: string; rule: string }>).filter((f) => f.rule === 'add-field-not-null').map((f) => f.path).sort() };
    };
    // The rule needs the model state: the table must have existed before the AddField.
    const separate = flagged(['one', 'two']);
    assert.deepEqual(separate.files, ['one/shop/migrations/0002_order_code.py', 'two/shop/migrations/0002_order_code.py']);
    assert.doesNotMatch(separate.stderr, /claimed/, separate.stderr);
    assert.deepEqual(flagged(['one']).files, ['one/shop/migrations/0002_order_code.py']);
    const together = flagged(['.']);
    assert.deepEqual(together.files, [], 'one graph for both: the label is ambiguous, its state unknown');
    assert.match(together.stderr, /the app label 'shop' is claimed by more than one migrations folder/);
    const nested = flagged(['.', 'one']);
    assert.deepEqual(nested.files, [], 'one named inside . is part of its project');
    assert.match(nested.stderr, /claimed by more than one/);
    const graph = cli(['graph', '--format', 'json', 'one', 'two'], root);
    assert.equal(graph.code, 0, graph.stderr);
    const report = JSON.parse(graph.stdout) as { apps: Array<{ label: string; folders: string[]; leaves: string[] }> };
    assert.deepEqual(report.apps.map((a) => [a.label, a.folders, a.leaves]), [['shop', ['one/shop/migrations'], ['0002_order_code']], ['shop', ['two/shop/migrations'], ['0002_order_code']]]);
  });

  it('keeps apps of one project named one by one in one graph: the project is found by manage.py, pyproject.toml, setup.py, setup.cfg or .git', () => {
    const root = tempDir();
    const migration = (deps: string) => `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps}]\n    operations = []\n`;
    write(join(root, 'manage.py'), '');
    write(join(root, 'shop', 'migrations', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '0001_initial.py'), migration(''));
    write(join(root, 'billing', 'migrations', '__init__.py'), '');
    // A dependency on a shop migration that does not exist is reported only where shop's migrations are in the same graph.
    write(join(root, 'billing', 'migrations', '0001_initial.py'), migration("('shop', '0009_missing')"));
    const unknown = (args: string[]) => (JSON.parse(cli(['check', '--format', 'json', ...args], root).stdout) as Array<{ rule: string }>).filter((f) => f.rule === 'unknown-dependency').length;
    assert.equal(unknown(['.']), 1);
    assert.equal(unknown(['shop', 'billing']), 1, 'shop and billing are apps of the project manage.py marks');
    rmSync(join(root, 'manage.py'));
    assert.equal(unknown(['shop', 'billing']), 0, 'without a marker each named folder is a project: shop is not in billing\'s graph');
    write(join(root, 'pyproject.toml'), '');
    assert.equal(unknown(['shop', 'billing']), 1);
  });

  it('says which apps are checked without the project view because their apps.py label cannot be read, in check and in graph', () => {
    const root = tempDir();
    for (const app of ['shop', 'billing']) {
      mkdirSync(join(root, 'proj', app, 'migrations'), { recursive: true });
      writeFileSync(join(root, 'proj', app, '__init__.py'), '');
      writeFileSync(join(root, 'proj', app, 'migrations', '__init__.py'), '');
      writeFileSync(join(root, 'proj', app, 'migrations', '0001_initial.py'), SAVE_LOOP_MIGRATION('x'));
    }
    const computed = (label: string) => `from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = __name__.rpartition('.')[0]\n    label = ${label}\n`;
    writeFileSync(join(root, 'proj', 'shop', 'apps.py'), computed('make_label()'));
    writeFileSync(join(root, 'proj', 'billing', 'apps.py'), computed("'billing'"));
    const run = cli(['check', '--format', 'json', '.'], root);
    assert.match(run.stderr, /the app label of proj\/shop cannot be read from its apps\.py: its migrations are checked without the migration graph and the model state\. Name its migrations folder in \[tool\.migration-guard\.migration-modules\]/);
    assert.doesNotMatch(run.stderr, /billing/, 'a computed name with a literal label is read');
    const graph = cli(['graph', '.'], root);
    assert.match(graph.stderr, /the app label of proj\/shop cannot be read/);
    assert.match(graph.stdout, /^billing {2}\(proj\/billing\/migrations\)$/m);
    assert.doesNotMatch(cli(['check', '--quiet', '--format', 'json', '.'], root).stderr, /cannot be read/, '--quiet says nothing');
  });

  it('says nothing about a swappable model the settings swap out (Spirit user/0002): Django runs no SQL for it', () => {
    const root = tempDir();
    mkdirSync(join(root, 'accounts', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'accounts', '__init__.py'), '');
    writeFileSync(join(root, 'accounts', 'migrations', '__init__.py'), '');
    writeFileSync(
      join(root, 'accounts', 'migrations', '0001_initial.py'),
      'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(\n            name="User",\n            fields=[("id", models.AutoField(primary_key=True)), ("email", models.CharField(max_length=200))],\n            options={"swappable": "AUTH_USER_MODEL"},\n        ),\n    ]\n',
    );
    writeFileSync(
      join(root, 'accounts', 'migrations', '0002_user_nickname.py'),
      'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("accounts", "0001_initial")]\n    operations = [\n        migrations.AddField(model_name="user", name="nickname", field=models.CharField(max_length=20)),\n    ]\n',
    );
    const rules = (run: { stdout: string }) => (JSON.parse(run.stdout) as Array<{ rule: string }>).map((f) => f.rule);
    assert.deepEqual(rules(cli(['check', '--format', 'json', '.'], root)), [], 'AUTH_USER_MODEL is auth.User: accounts.User is swapped out');
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nauth-user-model = "accounts.User"\n');
    assert.deepEqual(rules(cli(['check', '--format', 'json', '.'], root)), ['add-field-not-null'], 'the user model of the project');
  });

  it("says which files of migrations folders Django's loader never runs (a dot in the module name: peering-manager's 0001_v1.0.0.py)", () => {
    const root = tempDir();
    mkdirSync(join(root, 'shop', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'shop', '__init__.py'), '');
    writeFileSync(join(root, 'shop', 'migrations', '__init__.py'), '');
    writeFileSync(join(root, 'shop', 'migrations', '0001_initial.py'), SAVE_LOOP_MIGRATION('x'));
    writeFileSync(join(root, 'shop', 'migrations', '0001_v1.0.0.py'), SAVE_LOOP_MIGRATION('y'));
    const run = cli(['check', '--format', 'json', '.'], root);
    assert.match(run.stderr, /1 file in migrations folders has a name Django's loader skips \(shop\/migrations\/0001_v1\.0\.0\.py: a dot or a leading _ or ~ in the module name\), so Django never runs it: checked alone/);
    assert.doesNotMatch(run.stderr, /0001_initial/);
  });

  it('finds a Migration class by content in files of other encodings, and skips files that only mention the word elsewhere', () => {
    const root = tempDir();
    // latin-1 with its cookie, and UTF-8 with a BOM: both write the class's ASCII as ASCII bytes.
    const latin = `# -*- coding: latin-1 -*-\n# Migración de datos\n${SAVE_LOOP_MIGRATION('é')}`;
    mkdirSync(join(root, 'tools'));
    writeFileSync(join(root, 'tools', 'latin_move.py'), Buffer.from(latin, 'latin1'));
    writeFileSync(join(root, 'tools', 'bom_move.py'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SAVE_LOOP_MIGRATION('x'))]));
    write(join(root, 'tools', 'notes.py'), '"""Migration notes: nothing here defines one."""\nMigration = None\n');
    write(join(root, 'tools', 'plain.py'), 'def helper():\n    return 1\n');
    const { run, findings } = json(['tools'], root);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(brief(findings).sort(), ['tools/bom_move.py:6 unbatched-save-loop', 'tools/latin_move.py:8 unbatched-save-loop']);
  });

  it('finds migrations when run from inside a migrations folder', () => {
    const inside = join(PROJECT, 'app', 'migrations');
    const fromInside = brief(json(['.'], inside).findings).map((l) => l.replace(/^\.\//, ''));
    const fromRoot = brief(json(['app/migrations']).findings).map((l) => l.replace(/^app\/migrations\//, ''));
    assert.ok(fromInside.length > 0, 'findings from inside the folder');
    assert.deepEqual(fromInside, fromRoot);
  });

  it('uses --config instead of discovery and warns about its invalid settings', () => {
    const { run, findings } = json(['--config', 'ci-pyproject.toml']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /unknown setting 'not-a-setting'/);
    assert.ok(findings.some((f) => f.rule === 'runsql-no-reverse' && f.severity === 'error' && f.line === 16));
    assert.ok(findings.some((f) => f.path === 'legacy/migrations/0001_old.py'), 'the default exclude applies');
    assert.ok(!findings.some((f) => f.path === 'scripts/custom_migration.py'), 'detect-by-content = false');
  });

  it('lints a .py file named on the command line even when excluded; skips other files', () => {
    const { findings } = json(['legacy/migrations/0001_old.py']);
    assert.deepEqual(brief(findings), ['legacy/migrations/0001_old.py:9 runpython-no-reverse']);
    const init = cli(['check', 'app/migrations/__init__.py']);
    assert.equal(init.stdout, 'No problems found in 1 file.\n');
    const toml = cli(['check', 'pyproject.toml']);
    assert.equal(toml.code, 0);
    assert.match(toml.stderr, /pyproject\.toml: not a Python file, skipped/);
  });

  it('--select and --ignore choose rules', () => {
    assert.deepEqual([...new Set(json(['--select', 'runpython-no-reverse']).findings.map((f) => f.rule))], ['runpython-no-reverse']);
    const selectedOff = json(['--select', 'runsql-no-reverse,missing-atomic-false']).findings;
    assert.deepEqual(brief(selectedOff), ['app/migrations/0002_backfill.py:16 runsql-no-reverse', 'app/migrations/0003_order_index.py:9 missing-atomic-false']);
    const ignored = json(['--ignore', 'runpython-no-reverse', '--ignore', 'unused-suppression']).findings;
    assert.ok(!ignored.some((f) => f.rule === 'runpython-no-reverse' || f.rule === 'unused-suppression'));
    assert.ok(ignored.some((f) => f.rule === 'unbatched-save-loop'));
  });

  it('never walks into node_modules, .git or virtualenvs', () => {
    const root = projectCopy((r) => {
      write(join(r, 'node_modules', 'pkg', 'migrations', '0001_x.py'), SAVE_LOOP_MIGRATION('a'));
      write(join(r, '.git', 'migrations', '0001_x.py'), SAVE_LOOP_MIGRATION('a'));
      write(join(r, 'env3', 'pyvenv.cfg'), 'home = /usr/bin\n');
      write(join(r, 'env3', 'lib', 'site-packages', 'other', 'migrations', '0001_x.py'), SAVE_LOOP_MIGRATION('a'));
      write(join(r, 'myenv', 'pyvenv.cfg'), 'home = /usr/bin\n');
      write(join(r, 'myenv', 'otherapp', 'migrations', '0001_x.py'), SAVE_LOOP_MIGRATION('a'));
    });
    assert.deepEqual(brief(json([], root).findings), EXPECTED_DEFAULT);
  });
});

describe('cli: exit codes', () => {
  it('--fail-on decides between 0 and 1', () => {
    assert.equal(cli(['check', '-q', 'app/migrations/0002_backfill.py']).code, 1);
    assert.equal(cli(['check', '-q', '--fail-on', 'error', 'app/migrations/0002_backfill.py']).code, 0);
    assert.equal(cli(['check', '-q', '--fail-on', 'error']).code, 1);
    assert.equal(cli(['check', '-q', '--fail-on', 'never']).code, 0);
    assert.equal(cli(['check', '-q', '--fail-on', 'warning', 'app/migrations/0003_order_index.py', '--ignore', 'missing-atomic-false']).code, 0, 'information does not fail');
  });

  it('exits 2 on usage errors, with a message on stderr', () => {
    const cases: [string[], RegExp][] = [
      [['check', '--bogus'], /unknown option '--bogus'/],
      [['check', '--format', 'xml'], /--format must be one of text, json, sarif, github/],
      [['check', '--fail-on', 'info'], /--fail-on must be one of/],
      [['check', '--jobs', '0'], /--jobs/],
      [['check', '--select', 'no-such-rule'], /unknown rule 'no-such-rule'/],
      [['check', '--config', 'missing.toml'], /missing\.toml: no such file/],
      [['lint'], /unknown command 'lint'/],
      [[], /no command/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  it('exits 2 for a missing path but still checks the others', () => {
    const { run, findings } = json(['no/such/path.py', 'app/migrations/0002_backfill.py']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no\/such\/path\.py: no such file or directory/);
    assert.equal(findings.length, 4);
  });

  it('exits 2 when a file cannot be read, after reporting everything else', () => {
    const root = projectCopy((r) => symlinkSync(join(r, 'nowhere.py'), join(r, 'app', 'migrations', '0005_gone.py')));
    const { run, findings } = json([], root);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /app\/migrations\/0005_gone\.py: cannot read file/);
    assert.match(run.stderr, /1 file could not be checked/);
    assert.deepEqual(brief(findings), EXPECTED_DEFAULT);
  });

  it('reports unparsable pyproject.toml as a warning and goes on with defaults', () => {
    const root = projectCopy((r) => writeFileSync(join(r, 'pyproject.toml'), '[tool.migration-guard\nrules = 3\n'));
    const { run, findings } = json([], root);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not valid TOML/);
    assert.ok(findings.some((f) => f.rule === 'runsql-no-reverse'), 'defaults apply');
  });

  it("says nothing about a pyproject.toml that cannot hold our table, valid TOML or not", () => {
    // In the app's folder, under the project's own: the project's settings still apply.
    const root = projectCopy((r) => writeFileSync(join(r, 'app', 'pyproject.toml'), '[tool.black\nline-length = 100\n'));
    const { run, findings } = json([], root);
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.stderr, /TOML|pyproject/);
    assert.deepEqual(brief(findings), EXPECTED_DEFAULT);
  });
});

describe('cli: parallel runs', () => {
  it('gives the same JSON on worker threads as in-process, for more than 200 files', () => {
    const root = tempDir();
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nbatch-size = 200\n');
    for (let app = 0; app < 6; app++) {
      for (let i = 0; i < 45; i++) {
        const name = `${String(i + 1).padStart(4, '0')}_step.py`;
        const text = i % 3 === 0 ? readFileSync(join(PROJECT, 'app', 'migrations', '0002_backfill.py'), 'utf8') : SAVE_LOOP_MIGRATION(`app${app}-${i}`);
        write(join(root, `app${app}`, 'migrations', name), text);
      }
      write(join(root, `app${app}`, 'migrations', '__init__.py'), '');
      // Files the main thread reads without a parser: plain migrations, and other Python files of the tree.
      for (let i = 0; i < 20; i++) write(join(root, `plain${app}`, 'migrations', `${String(i + 1).padStart(4, '0')}_plain.py`), PLAIN_MIGRATION(`plain${app}`, i));
      write(join(root, `plain${app}`, 'migrations', '__init__.py'), '');
      write(join(root, `plain${app}`, 'models.py'), 'from django.db import models\n\n\nclass Thing(models.Model):\n    name = models.TextField()\n');
      for (let i = 0; i < 10; i++) write(join(root, `app${app}`, `helpers_${i}.py`), `def helper_${i}(x):\n    return x + ${i}\n`);
    }
    const serial = cli(['check', '--format', 'json', '--jobs', '1', '--no-cache'], root);
    const parallel = cli(['check', '--format', 'json', '--jobs', '3', '--no-cache'], root);
    assert.equal(serial.code, 1, serial.stderr);
    assert.equal(parallel.code, 1, parallel.stderr);
    assert.equal(parallel.stdout, serial.stdout);
    const findings = JSON.parse(serial.stdout) as JsonFinding[];
    assert.equal(new Set(findings.filter((f) => f.path.includes('app')).map((f) => f.path)).size, 270);
    assert.deepEqual(findings.filter((f) => f.path.includes('plain')), [], 'the plain migrations have no finding');
    const text = cli(['check', '--jobs', '2', '--no-cache'], root);
    assert.match(text.stdout, /in 270 files \(390 checked\)\.\n$/);

    // The same run with a worker bundle that dies: proves the pool is used, and that a dead
    // thread fails the files it held (exit 2) instead of hanging or losing them silently, while
    // the main thread, which lints batches too, still checks the rest. (A cold run over a folder
    // starts its workers before discovery: this one dies before the pool listens to it.)
    const dist = join(tempDir(), 'dist');
    cpSync(DIST, dist, { recursive: true, filter: (src) => !src.endsWith('.map') });
    writeFileSync(join(dist, 'cli-worker.js'), 'throw new Error("worker test failure");\n');
    const broken = spawnSync(process.execPath, [join(dist, 'cli.js'), 'check', '--format', 'json', '--jobs', '2', '--no-cache'], { cwd: root, encoding: 'utf8' });
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /worker thread failed \(worker test failure\)/);
    const failed = Number(/(\d+) files? could not be checked/.exec(broken.stderr)?.[1]);
    const checked = new Set((JSON.parse(broken.stdout) as JsonFinding[]).map((f) => f.path));
    assert.ok(failed > 0 && failed < 390, `${failed} files failed`);
    // Which files the dead thread held depends on timing: a save-loop file is either reported or named as not checked.
    const failedPaths = [...broken.stderr.matchAll(/error: (\S+): worker thread (?:failed|exited)/g)].map((m) => m[1] as string);
    assert.equal(failedPaths.length, failed);
    const failedLoops = failedPaths.filter((p) => /^app\d\/migrations\//.test(p));
    assert.equal(checked.size + failedLoops.length, 270, 'every save-loop file is either checked or reported as not checked');
    for (const f of JSON.parse(broken.stdout) as JsonFinding[]) assert.ok(findings.some((g) => g.path === f.path && g.rule === f.rule && g.line === f.line), `${f.path}: the same finding as in-process`);
    const small = spawnSync(process.execPath, [join(dist, 'cli.js'), 'check', '--format', 'json', '--jobs', '2', '--no-cache', 'app0'], { cwd: root, encoding: 'utf8' });
    assert.equal(small.status, 1, 'small runs lint in-process');
  });
});

describe('cli: fixes', () => {
  const migration = (root: string, name: string) => readFileSync(join(root, 'app', 'migrations', name), 'utf8');

  it('--diff shows the safe fixes without writing, and exits 1 when there are some', () => {
    const root = projectCopy();
    const before = migration(root, '0003_order_index.py');
    const run = cli(['check', '--diff', 'app'], root);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^--- a\/app\/migrations\/0003_order_index\.py\n\+\+\+ b\/app\/migrations\/0003_order_index\.py\n@@ /);
    assert.match(run.stdout, /\n\+ {4}atomic = False\n/);
    assert.doesNotMatch(run.stdout, /reverse_code/, 'unsafe fixes are not part of --diff alone');
    assert.equal(migration(root, '0003_order_index.py'), before, 'nothing written');
    assert.match(run.stderr, /1 fix would change 1 file/);
  });

  it('--diff marks a last line without a line break, so that git apply and patch take the hunk (review 25: WebODM nodeodm/0010)', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}`).join('\n');
    const cases: Array<[string, string, string]> = [
      ['both without', `${lines(8)}\n    ]`, `${lines(3)}\nchanged\n${lines(8).split('\n').slice(4).join('\n')}\n    ]`],
      ['the end changed, both without', `${lines(8)}\n    ]`, `${lines(8)}\n    ],`],
      ['a line break added', `${lines(8)}\n    ]`, `${lines(8)}\n    ]\n`],
      ['a line break taken off', `${lines(8)}\n    ]\n`, `${lines(8)}\n    ]`],
      ['a line added at the end', `${lines(8)}`, `${lines(8)}\nmore`],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'mg-eol-'));
    try {
      for (const [what, before, after] of cases) {
        writeFileSync(join(dir, 'm.py'), before);
        const diff = unifiedDiff('m.py', before, after);
        if (!before.endsWith('\n') && diff.split('\n').some((l) => l.endsWith(before.split('\n').pop() as string))) assert.match(diff, /\n\\ No newline at end of file\n/, what);
        writeFileSync(join(dir, 'm.diff'), diff);
        const applied = spawnSync('git', ['apply', 'm.diff'], { cwd: dir, encoding: 'utf8' });
        assert.equal(applied.status, 0, `${what}: ${applied.stderr}\n${diff}`);
        assert.equal(readFileSync(join(dir, 'm.py'), 'utf8'), after, what);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--diff names a folder given by its absolute path relative to the current directory, and one outside it by its absolute path', () => {
    const root = projectCopy();
    const inside = cli(['check', '--diff', join(root, 'app')], root);
    assert.match(inside.stdout, /^--- a\/app\/migrations\/0003_order_index\.py\n\+\+\+ b\/app\/migrations\/0003_order_index\.py\n@@ /);
    const elsewhere = mkdtempSync(join(tmpdir(), 'mg-cwd-'));
    try {
      const outside = cli(['check', '--diff', join(root, 'app')], elsewhere);
      const file = join(root, 'app', 'migrations', '0003_order_index.py');
      assert.ok(outside.stdout.startsWith(`--- ${file}\n+++ ${file}\n@@ `), outside.stdout.slice(0, 300));
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('--fix writes the safe fixes and reports what remains', () => {
    const root = projectCopy();
    const run = cli(['check', '--fix', '--format', 'json', 'app'], root);
    const remaining = JSON.parse(run.stdout) as JsonFinding[];
    assert.ok(!remaining.some((f) => f.rule === 'missing-atomic-false'), 'fixed');
    assert.ok(remaining.some((f) => f.rule === 'runpython-no-reverse'), 'unsafe finding left as is');
    assert.match(migration(root, '0003_order_index.py'), /\n {4}atomic = False\n/);
    assert.match(run.stderr, /fixed 1 problem in 1 file/);
    assert.equal(cli(['check', '--fix', '--format', 'json', 'app'], root).stderr.match(/fixed 0 problems/)?.length, 1, 'a second run has nothing left to fix');
  });

  it('says what the editor says about loops whose answer needs the project view: a mixin, a multi-table child (plain run, pool or not)', () => {
    const root = tempDir();
    write(join(root, 'shop', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '__init__.py'), '');
    write(
      join(root, 'shop', 'migrations', '0001_initial.py'),
      `import django_lifecycle.mixins
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Parcel", fields=[("id", models.AutoField(primary_key=True)), ("label", models.CharField(max_length=20))]),
        migrations.CreateModel(
            name="FragileParcel",
            fields=[("parcel_ptr", models.OneToOneField(auto_created=True, on_delete=models.CASCADE, parent_link=True, primary_key=True, serialize=False, to="shop.parcel"))],
            bases=("shop.parcel",),
        ),
        migrations.CreateModel(
            name="Hooked",
            fields=[("id", models.AutoField(primary_key=True)), ("label", models.CharField(max_length=20))],
            bases=(django_lifecycle.mixins.LifecycleModelMixin, models.Model),
        ),
    ]
`,
    );
    write(
      join(root, 'shop', 'migrations', '0002_loops.py'),
      `from django.db import migrations


def forwards(apps, schema_editor):
    Hooked = apps.get_model("shop", "Hooked")
    Parcel = apps.get_model("shop", "Parcel")
    FragileParcel = apps.get_model("shop", "FragileParcel")
    for hooked in Hooked.objects.all():
        hooked.label = hooked.label.strip()
        hooked.save()
    for parcel in Parcel.objects.filter(label=""):
        FragileParcel.objects.create(label=parcel.label)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`,
    );
    for (const jobs of ['1', '2']) {
      const run = cli(['check', '--no-cache', '--jobs', jobs, '--select', 'unbatched-save-loop', '--format', 'json', '.'], root);
      const loops = (JSON.parse(run.stdout) as JsonFinding[]).map((f) => f.message);
      assert.equal(loops.length, 2, run.stdout);
      assert.match(loops[0] ?? '', /No bulk rewrite is offered: Hooked's migrations give it the base class django_lifecycle\.mixins\.LifecycleModelMixin/);
      assert.match(loops[1] ?? '', /No bulk rewrite is offered: FragileParcel is a child of multi-table inheritance, which bulk_create cannot insert; the quick fix commits it in batches of 1000 instead\.$/);
    }
  });

  it('--unsafe-fixes writes atomic = False once for a migration whose loops each ask for it, and none where another RunPython writes row by row', () => {
    const root = tempDir();
    const file = join(root, 'shop', 'migrations', '0002_loops.py');
    const mixed = join(root, 'shop', 'migrations', '0003_clone.py');
    write(join(root, 'shop', '__init__.py'), '');
    write(join(root, 'shop', 'migrations', '__init__.py'), '');
    const tidy = `def tidy(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.all():
        order.note = order.note.strip()
        order.save()
    for line in Order.objects.filter(total=None):
        line.total = line.amount * 2
        line.save()
`;
    const clone = `def clone(apps, schema_editor):
    Venue = apps.get_model("shop", "Venue")
    for venue in Venue.objects.filter(copied=False):
        venue.pk = None
        venue.copied = True
        venue.save()
`;
    write(file, `from django.db import migrations\n\n\n${tidy}\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunPython(tidy, migrations.RunPython.noop)]\n`);
    write(
      mixed,
      `from django.db import migrations\n\n\n${tidy.replace('def tidy', 'def tidy_again')}\n\n${clone}\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_loops")]\n` +
        '    operations = [migrations.RunPython(tidy_again, migrations.RunPython.noop), migrations.RunPython(clone, migrations.RunPython.noop)]\n',
    );
    const run = cli(['check', '--fix', '--unsafe-fixes', '--format', 'json', '.'], root);
    const after = readFileSync(file, 'utf8');
    assert.equal(after.match(/^ {4}atomic = False$/gm)?.length, 1, after);
    // A save after `venue.pk = None` inserts a copy, which no bulk write keeps; committing it in batches, or
    // atomic = False for the other loops' batches, would commit the copies one by one: neither is written.
    const other = readFileSync(mixed, 'utf8');
    assert.ok(other.includes(clone), other);
    assert.doesNotMatch(other, /atomic = False/, other);
    assert.match(other, /bulk_update\(/, 'the other RunPython is batched all the same');
    const left = (JSON.parse(run.stdout) as JsonFinding[]).filter((f) => f.rule === 'unbatched-save-loop' || f.rule === 'missing-atomic-false');
    assert.deepEqual(left.map((f) => `${f.path.split('/').pop()}:${f.rule}`).sort(), ['0003_clone.py:missing-atomic-false', '0003_clone.py:unbatched-save-loop'], run.stdout);
    assert.match(left.find((f) => f.rule === 'unbatched-save-loop')?.message ?? '', /the loop sets venue's primary key.*nor is committing it in batches: the migration does other work/);
    assert.match(left.find((f) => f.rule === 'missing-atomic-false')?.message ?? '', /Move the batched work into a migration of its own and set atomic = False there: here it would also take RunPython at line \d+ out of the transaction/);
  });

  it('--unsafe-fixes alone writes nothing: a usage error says to add --diff or --fix (as in ruff, it widens them)', () => {
    const root = projectCopy();
    const migrations = join(root, 'app', 'migrations');
    const texts = () => readdirSync(migrations).sort().map((n) => `${n}\n${readFileSync(join(migrations, n), 'utf8')}`);
    const before = texts();
    const run = cli(['check', '--unsafe-fixes', 'app'], root);
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /--unsafe-fixes takes every finding's preferred fix for --fix \(write\) or --diff \(show\): add --diff to see the changes, or --fix to write them/);
    assert.deepEqual(texts(), before);
    const shown = cli(['check', '--unsafe-fixes', '--diff', 'app'], root);
    assert.equal(shown.code, 1, shown.stderr);
    assert.match(shown.stdout, /^\+\+\+ /m);
    assert.deepEqual(texts(), before);
  });

  it('--fix --unsafe-fixes applies the preferred fix of every finding, and the result lints clean of them', () => {
    const root = projectCopy();
    const before = json(['app'], root).findings;
    assert.ok(before.length > 0);
    const brokenFile = join(root, 'app', 'migrations', '0004_broken.py');
    const broken = readFileSync(brokenFile, 'utf8');
    const run = cli(['check', '--fix', '--unsafe-fixes', '--format', 'json', 'app'], root);
    const left = JSON.parse(run.stdout) as JsonFinding[];
    // A file that does not parse is never edited: its findings stay, its text too.
    assert.equal(readFileSync(brokenFile, 'utf8'), broken);
    assert.deepEqual(left.filter((f) => f.path !== 'app/migrations/0004_broken.py' && (f.rule === 'runpython-no-reverse' || f.rule === 'runsql-no-reverse')), [], run.stderr);
    // In a file that also changes the schema, batching is fixed by a split, not by atomic = False.
    for (const f of left.filter((x) => x.rule === 'missing-atomic-false')) assert.match(f.message, /Move the data operations into a migration of their own/);
    const python = spawnSync('python3', ['-c', 'import ast, sys\nfor p in sys.argv[1:]: ast.parse(open(p).read(), p)', ...['0002_backfill.py', '0003_order_index.py'].map((n) => join(root, 'app', 'migrations', n))], { encoding: 'utf8' });
    assert.equal(python.status, 0, python.stderr);
  });
});

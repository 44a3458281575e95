/**
 * The project view from the command line, run as users run it (dist/cli.js in a subprocess) on
 * copies of the Django fixture projects: graph findings with related locations in other files,
 * a file named alone still seen with its app's other migrations, and the merge migration that
 * `--unsafe-fixes` writes — the same file Django's own `makemigrations --merge` writes, after
 * which real Django finds no conflict.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { otherNotes } from './helpers/cli';
import { DJANGO_PYTHON, DJANGO_SCRIPTS } from './helpers/django';
import { DIST, FIXTURES } from './helpers/paths';

const CLI = join(DIST, 'cli.js');
const PROJECTS = join(FIXTURES, 'projects');
/** The graph rules these projects are about (their schema operations have findings of their own). */
const GRAPH = ['--select', 'conflicting-migrations,unknown-dependency,dependency-cycle'];

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function copyOf(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-project-cli-'));
  temps.push(dir);
  cpSync(join(PROJECTS, fixture), dir, { recursive: true });
  return dir;
}

function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function python(script: string, dir: string): unknown {
  const r = spawnSync(DJANGO_PYTHON, [join(DJANGO_SCRIPTS, script), dir], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Django's plan for the project in `dir` (project_truth.py) on a database where `applied` are applied. */
function truthWith(dir: string, applied: Array<[string, string]>): { error: unknown; plan: string[][] } {
  const r = spawnSync(DJANGO_PYTHON, [join(DJANGO_SCRIPTS, 'project_truth.py'), dir], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', MIGRATION_GUARD_TRUTH_APPLIED: JSON.stringify(applied) } });
  if (r.status !== 0) throw new Error(`project_truth.py failed: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as { error: unknown; plan: string[][] };
}

interface JsonFinding {
  path: string;
  line: number;
  rule: string;
  severity: string;
}

describe('project view from the command line', () => {
  it('reports each leaf of a conflicting app, pointing at the others in SARIF', () => {
    const dir = copyOf('conflict');
    const run = cli(['check', '.', '--format', 'json', ...GRAPH], dir);
    assert.equal(run.code, 1, run.stderr);
    const findings = JSON.parse(run.stdout) as JsonFinding[];
    assert.deepEqual(findings.map((f) => `${f.path} ${f.rule} ${f.severity}`).sort(), [
      'crm/migrations/0003_contact_company.py conflicting-migrations error',
      'crm/migrations/0003_contact_phone.py conflicting-migrations error',
    ]);
    const sarif = JSON.parse(cli(['check', '.', '--format', 'sarif', ...GRAPH], dir).stdout);
    const results = sarif.runs[0].results as Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }>; relatedLocations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }>;
    for (const r of results) {
      const own = r.locations[0]?.physicalLocation.artifactLocation.uri;
      const other = r.relatedLocations[0]?.physicalLocation.artifactLocation.uri;
      assert.ok(own && other && own !== other, `related location ${other} should be the other leaf, not ${own}`);
    }
  });

  it("reads a label from the config class an app package's __init__.py holds for INSTALLED_APPS to name", () => {
    // Two folders named app: without the labels, both would claim 'app' and be checked without the project view.
    const run = cli(['check', '.', '--format', 'json'], copyOf('init-app-config'));
    assert.equal(otherNotes(run.stderr), '');
    const found = JSON.parse(run.stdout) as Array<JsonFinding & { message: string }>;
    assert.deepEqual(found.map((f) => `${f.path} ${f.rule}`), ['plugin_files/app/migrations/0002_remote_policy.py add-field-not-null']);
    assert.match(found[0]?.message ?? '', /existing table "files_remote"/);
  });

  it('takes migration-modules as MIGRATION_MODULES writes it too: a dotted module is its folder', () => {
    const dir = copyOf('migration-modules');
    const asFolder = cli(['graph', '.', '--format', 'json'], dir);
    const toml = join(dir, 'pyproject.toml');
    writeFileSync(toml, readFileSync(toml, 'utf8').replace('legacy_app = "legacy_app/db_migrations"', 'legacy_app = "legacy_app.db_migrations"'));
    const dotted = cli(['graph', '.', '--format', 'json'], dir);
    assert.equal(dotted.stderr, '');
    assert.deepEqual(JSON.parse(dotted.stdout), JSON.parse(asFolder.stdout));
    assert.ok((JSON.parse(dotted.stdout) as { plan: string[] }).plan.includes('legacy_app.0002_record_created'), dotted.stdout);
  });

  it("says when a migrations folder has no __init__.py: Django never runs its migrations (review 22: mitxonline's main)", () => {
    const dir = copyOf('linear');
    // orders depends on catalog, nothing on orders: without its __init__.py, Django loads the rest and not it.
    const app = 'orders';
    const truth = (root: string) => python('project_truth.py', root) as { error: unknown; plan: Array<[string, string]> };
    const planned = (root: string) => truth(root).plan.filter(([a]) => a === app).length;
    assert.ok(planned(dir) > 0);
    rmSync(join(dir, app, 'migrations', '__init__.py'));
    assert.equal(planned(dir), 0, 'Django loads none of them');
    assert.equal(truth(dir).error, null);
    assert.ok(truth(dir).plan.some(([a]) => a === 'catalog'));
    const run = cli(['check', '.'], dir);
    assert.match(run.stderr, new RegExp(`${app}/migrations has no __init__\\.py: Django takes such a folder for a namespace package and its app for one without migrations, so \`migrate\` never runs its migrations\\. Add an empty __init__\\.py\\.`));
    assert.doesNotMatch(run.stderr, /in no app's migrations folder/);
  });

  it('sees the rest of the app when given one file', () => {
    const dir = copyOf('conflict');
    const run = cli(['check', 'crm/migrations/0003_contact_phone.py', '--format', 'json', ...GRAPH], dir);
    assert.deepEqual((JSON.parse(run.stdout) as JsonFinding[]).map((f) => f.rule), ['conflicting-migrations']);
  });

  it('reports what else Django refuses: a missing dependency, a cycle', () => {
    const missing = JSON.parse(cli(['check', '.', '--format', 'json', ...GRAPH], copyOf('unknown-dependency')).stdout) as JsonFinding[];
    assert.deepEqual(missing.map((f) => `${f.path} ${f.rule}`), ['orders/migrations/0002_order_product.py unknown-dependency']);
    const cycle = JSON.parse(cli(['check', '.', '--format', 'json', ...GRAPH], copyOf('cycle')).stdout) as JsonFinding[];
    assert.deepEqual(cycle.map((f) => `${f.path} ${f.rule}`).sort(), ['left/migrations/0002_author_favorite_book.py dependency-cycle', 'right/migrations/0001_initial.py dependency-cycle']);
    for (const clean of ['linear', 'squashed-only', 'swappable', 'external-dependency', 'app-label', 'default-app-config', 'init-app-config', 'migration-modules']) {
      const run = cli(['check', '.', '--format', 'json', ...GRAPH], copyOf(clean));
      assert.deepEqual(JSON.parse(run.stdout), [], `${clean}: ${run.stdout}`);
    }
  });

  it("checks a migration a squash replaced against the chain Django keeps for it, and says nothing of a chain with files gone", () => {
    // Before: 0002 and 0003 had no state (the squash stands for them in the plan), so their NOT NULL adds went unseen.
    const dir = copyOf('squashed-with-replaced');
    const rows = (d: string): string[] => (JSON.parse(cli(['check', '.', '--format', 'json'], d).stdout) as JsonFinding[]).map((f) => `${f.path} ${f.rule}`).sort();
    assert.deepEqual(rows(dir), [
      'inventory/migrations/0002_item_sku.py add-field-not-null',
      'inventory/migrations/0003_item_stock.py add-field-not-null',
      'inventory/migrations/0004_item_price.py add-field-not-null',
      'sales/migrations/0002_sale_note.py add-field-not-null',
    ]);
    // The chain's graph is Django's (0004 after 0003, one leaf): no graph finding from the chain's view.
    assert.deepEqual(JSON.parse(cli(['check', '.', '--format', 'json', ...GRAPH], dir).stdout), []);
    // With 0002 deleted no database can run the chain as written: its files are checked as before.
    rmSync(join(dir, 'inventory/migrations/0002_item_sku.py'));
    assert.deepEqual(rows(dir), ['inventory/migrations/0004_item_price.py add-field-not-null', 'sales/migrations/0002_sale_note.py add-field-not-null']);
  });

  it("says nothing of the first migration of a squash's chain, which no database runs (review 61: django CMS 0035)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-chain-head-'));
    temps.push(dir);
    const write = (name: string, text: string): void => writeFileSync(join(dir, 'shop', 'migrations', name), text);
    mkdirSync(join(dir, 'shop', 'migrations'), { recursive: true });
    writeFileSync(join(dir, 'shop', '__init__.py'), '');
    writeFileSync(join(dir, 'fixture.json'), JSON.stringify({ installed_apps: ['shop'], auth_user_model: null, migration_modules: {} }));
    write('__init__.py', '');
    const head = 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n';
    write('0001_initial.py', `${head}    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(name="Item", fields=[("id", models.AutoField(primary_key=True, serialize=False)), ("old", models.CharField(max_length=20, null=True))]),\n    ]\n`);
    const drop = '        migrations.RemoveField(model_name="item", name="old"),\n';
    const add = '        migrations.AddField(model_name="item", name="code", field=models.CharField(max_length=8, default="x"), preserve_default=False),\n';
    write('0002_remove_item_old.py', `${head}    dependencies = [("shop", "0001_initial")]\n    operations = [\n${drop}    ]\n`);
    write('0003_item_code.py', `${head}    dependencies = [("shop", "0002_remove_item_old")]\n    operations = [\n${add}    ]\n`);
    write('0002_squashed_0003.py', `${head}    replaces = [("shop", "0002_remove_item_old"), ("shop", "0003_item_code")]\n    dependencies = [("shop", "0001_initial")]\n    operations = [\n${drop}${add}    ]\n`);
    // A database that applied any of the chain applied 0002: only 0003 can still run, on a table with rows.
    const rows = (JSON.parse(cli(['check', '.', '--format', 'json'], dir).stdout) as JsonFinding[]).map((f) => `${f.path} ${f.rule}`);
    assert.deepEqual(rows, ['shop/migrations/0003_item_code.py add-field-not-null']);
    const django = truthWith(dir, [['shop', '0001_initial'], ['shop', '0002_remove_item_old']]);
    assert.equal(django.error, null);
    assert.deepEqual(django.plan, [['shop', '0001_initial'], ['shop', '0002_remove_item_old'], ['shop', '0003_item_code']], 'Django keeps the chain once 0002 is applied');
  });

  it('never edits a migration that does not parse, whichever rule offers the fix', () => {
    // A renamed dependency (0001_init → 0001_initial) has a fix, and the RunPython a reverse stub.
    const migration = (tail: string) => `from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [('orders', '0001_initial'), ('shop', '0001_init')]

    operations = [
        migrations.RunPython(forwards)${tail}
    ]
`;
    const FILE = 'orders/migrations/0002_order_product.py';
    const outcome = (tail: string) => {
      const dir = copyOf('unknown-dependency');
      writeFileSync(join(dir, FILE), migration(tail));
      const run = cli(['check', '.', '--fix', '--unsafe-fixes', '--format', 'json'], dir);
      return { text: readFileSync(join(dir, FILE), 'utf8'), rules: (JSON.parse(run.stdout) as JsonFinding[]).filter((f) => f.path === FILE).map((f) => f.rule).sort() };
    };
    // It parses: both fixes are written (the test can tell a written fix from none).
    const fine = outcome(',');
    assert.match(fine.text, /\('shop', '0001_initial'\)/);
    assert.match(fine.text, /reverse_code=/);
    // A syntax error further down (an unclosed call): the file is left as it was, its findings reported.
    const broken = outcome(',\n        migrations.RunSQL("SELECT 1"');
    assert.equal(broken.text, migration(',\n        migrations.RunSQL("SELECT 1"'));
    assert.deepEqual(broken.rules, ['runpython-no-reverse', 'runsql-no-reverse', 'syntax-error', 'unknown-dependency']);
  });

  it('reads no dependency from an entry error recovery patched up', () => {
    const dir = copyOf('unknown-dependency');
    const file = join(dir, 'orders/migrations/0002_order_product.py');
    // The string of the second entry runs past the end of its line: Python cannot read it at all.
    writeFileSync(file, readFileSync(file, 'utf8').replace("('shop', '0009_does_not_exist')", "('shop', '0001_initial\n    ')"));
    const run = cli(['check', '.', '--format', 'json', '--select', 'unknown-dependency,syntax-error'], dir);
    assert.deepEqual((JSON.parse(run.stdout) as JsonFinding[]).map((f) => `${f.path} ${f.rule}`), ['orders/migrations/0002_order_product.py syntax-error']);
  });

  it("writes with --unsafe-fixes the merge migration Django's makemigrations --merge writes", () => {
    const ours = copyOf('conflict');
    const theirs = copyOf('conflict');
    const before = readdirSync(join(ours, 'crm/migrations')).sort();
    assert.equal(cli(['check', '.', '--fix'], ours).code, 1, '--fix leaves the conflict alone');
    assert.deepEqual(readdirSync(join(ours, 'crm/migrations')).sort(), before);
    const diff = cli(['check', '.', '--unsafe-fixes', '--diff'], ours);
    assert.match(diff.stdout, /^--- \/dev\/null\n\+\+\+ b\/crm\/migrations\/0004_merge_0003_contact_company_0003_contact_phone\.py\n@@ -0,0 \+1,14 @@\n/);
    assert.deepEqual(readdirSync(join(ours, 'crm/migrations')).sort(), before, '--diff writes nothing');

    const fixed = cli(['check', '.', '--fix', '--unsafe-fixes', '--format', 'json', ...GRAPH], ours);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual(JSON.parse(fixed.stdout), []);
    const django = python('merge_truth.py', theirs) as Array<{ file: string; dependencies: string[][] }>;
    assert.equal(django.length, 1);
    const file = django[0]?.file as string;
    assert.ok(existsSync(join(ours, file)), `Django wrote ${file}; we did not`);
    const text = readFileSync(join(ours, file), 'utf8');
    const deps = [...text.matchAll(/\('(\w+)', '(\w+)'\)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(deps, django[0]?.dependencies);
    const truth = python('project_truth.py', ours) as { error: unknown; conflicts: Record<string, string[]>; leaves: string[][] };
    assert.equal(truth.error, null);
    assert.deepEqual(truth.conflicts, {});
    assert.deepEqual(truth.leaves, [['crm', '0004_merge_0003_contact_company_0003_contact_phone']]);
    assert.deepEqual(JSON.parse(cli(['check', '.', '--format', 'json', ...GRAPH], ours).stdout), [], 'nothing left to report');
  });

  it("graph: the order and the leaves Django's loader has, and exit 1 where Django refuses the graph", () => {
    for (const fixture of ['linear', 'branched-merged', 'squashed-with-replaced', 'squashed-only', 'swappable', 'run-before', 'app-label', 'default-app-config', 'init-app-config', 'migration-modules', 'first-latest', 'state-ops', 'conflict', 'cycle', 'unknown-dependency']) {
      const dir = copyOf(fixture);
      const truth = python('project_truth.py', dir) as { error: { type: string } | null; plan: string[][]; leaves: string[][]; conflicts: Record<string, string[]> };
      const run = cli(['graph', '.', '--format', 'json'], dir);
      const ours = JSON.parse(run.stdout) as { plan: string[]; apps: Array<{ label: string; leaves: string[] }> };
      const refused = truth.error !== null || Object.keys(truth.conflicts).length > 0;
      assert.equal(run.code, refused ? 1 : 0, `${fixture}: exit status`);
      if (truth.error) continue;
      assert.deepEqual(ours.plan, truth.plan.map(([a, n]) => `${a}.${n}`), `${fixture}: plan`);
      assert.deepEqual(ours.apps.flatMap((a) => a.leaves.map((l) => `${a.label}.${l}`)).sort(), truth.leaves.map(([a, n]) => `${a}.${n}`).sort(), `${fixture}: leaves`);
    }
  });
});

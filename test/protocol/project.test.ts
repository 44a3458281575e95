/**
 * The project view in the language server, over stdio: graph findings after the workspace scan
 * with related locations in other files, the merge migration as a quick fix that creates a file,
 * and a change to one migration re-linting the others it affects (and only those).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic } from 'vscode-languageserver';
import { DIST, FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function copyOf(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-project-lsp-'));
  temps.push(dir);
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

/** A fresh empty folder to write a project into, file by file. */
function emptyProject(): { root: string; write: (rel: string, text: string) => void } {
  const root = mkdtempSync(join(tmpdir(), 'mg-project-lsp-'));
  temps.push(root);
  return {
    root,
    write: (rel, text) => {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), text);
    },
  };
}

const codes = (ds: Diagnostic[] | undefined) => (ds ?? []).map((d) => String(d.code)).sort();

/** The replacement of the whole text, as one content change. */
function replaceAll(text: string, next: string) {
  const lines = text.split('\n');
  return [{ range: { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: (lines[lines.length - 1] ?? '').length } }, text: next }];
}

describe('language server: the project view', () => {
  it('reports conflicting leaves after the scan, each pointing at the other file, and fixes them with a merge migration', async () => {
    const root = copyOf('projects/conflict');
    // Creating a file needs a client that applies documentChanges (VS Code does).
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
    try {
      const company = pathToFileURL(join(root, 'crm/migrations/0003_contact_company.py')).href;
      const phone = pathToFileURL(join(root, 'crm/migrations/0003_contact_phone.py')).href;
      const ds = await client.waitFor(() => client.diagnostics.get(company)?.diagnostics, 'scan diagnostics');
      assert.deepEqual(codes(ds), ['add-field-not-null', 'conflicting-migrations']);
      assert.equal(ds[0]?.relatedInformation?.[0]?.location.uri, phone);
      await client.waitFor(() => client.diagnostics.get(phone)?.diagnostics.length, 'the other leaf');

      const text = readFileSync(join(root, 'crm/migrations/0003_contact_company.py'), 'utf8');
      const open = await client.open(company, text);
      const actions = (await client.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri: company },
        range: open[0]?.range,
        context: { diagnostics: open },
      })) as CodeAction[];
      const merge = actions.find((a) => a.title.startsWith('Create merge migration'));
      assert.ok(merge?.edit?.documentChanges, 'a quick fix that creates the merge migration');
      const create = merge.edit.documentChanges[0];
      assert.ok(create && 'kind' in create && create.kind === 'create');
      assert.equal(create.uri, pathToFileURL(join(root, 'crm/migrations/0004_merge_0003_contact_company_0003_contact_phone.py')).href);
      assert.equal(create.options?.overwrite, false);
    } finally {
      await client.stop();
    }
  });

  it('re-lints the other leaf when an edit resolves the conflict, and not on edits the project does not see', async () => {
    const root = copyOf('projects/conflict');
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const company = pathToFileURL(join(root, 'crm/migrations/0003_contact_company.py')).href;
      const phone = pathToFileURL(join(root, 'crm/migrations/0003_contact_phone.py')).href;
      await client.waitFor(() => client.diagnostics.get(phone)?.diagnostics.length, 'scan diagnostics');
      const text = readFileSync(join(root, 'crm/migrations/0003_contact_company.py'), 'utf8');
      await client.open(company, text);
      const phoneBefore = client.count(phone);

      // A comment: nothing the project sees changes, so the other leaf is not published again.
      const commented = text.replace('class Migration', '# reviewed\nclass Migration');
      assert.deepEqual(codes(await client.change(company, 2, replaceAll(text, commented))), ['add-field-not-null', 'conflicting-migrations']);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(client.count(phone), phoneBefore, 'an edit the project does not see re-lints nothing else');

      // Depend on the other leaf: one leaf left, on both files.
      const linear = commented.replace("('crm', '0002_contact_email')", "('crm', '0003_contact_phone')");
      assert.notEqual(linear, commented, 'fixture shape changed');
      assert.deepEqual(codes(await client.change(company, 3, replaceAll(commented, linear))), ['add-field-not-null']);
      const after = await client.waitFor(() => (client.count(phone) > phoneBefore ? client.diagnostics.get(phone)?.diagnostics : undefined), 'the other leaf re-linted');
      assert.deepEqual(codes(after), ['add-field-not-null']);
    } finally {
      await client.stop();
    }
  });

  it('re-lints later migrations of the app when an earlier one changes the model state', async () => {
    const root = copyOf('rules/mixed-data-and-schema/good-unmanaged-model-from-another-file');
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const initial = pathToFileURL(join(root, 'inventory/migrations/0001_initial.py')).href;
      const second = pathToFileURL(join(root, 'inventory/migrations/0002_fill_codes_drop_legacy.py')).href;
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      const text = readFileSync(join(root, 'inventory/migrations/0001_initial.py'), 'utf8');
      await client.open(initial, text);
      const before = client.count(second);
      assert.equal(client.diagnostics.get(second)?.diagnostics.length ?? 0, 0, 'unmanaged: deleting it touches no table');
      const managed = text.replace('"managed": False, ', '');
      assert.notEqual(managed, text, 'fixture shape changed');
      await client.change(initial, 2, replaceAll(text, managed));
      const ds = await client.waitFor(() => (client.count(second) > before ? client.diagnostics.get(second)?.diagnostics : undefined), 'the later migration re-linted');
      assert.deepEqual(codes(ds), ['drop-table', 'mixed-data-and-schema']);
    } finally {
      await client.stop();
    }
  });

  it('reads the module of a mixin a migration gives a model: a harmless one gets the batching fix, one that defines save() after an edit on disk does not', async () => {
    const { root, write } = emptyProject();
    write('shop/__init__.py', '');
    write('shop/mixins.py', 'class Urls:\n    def url(self):\n        return "/"\n');
    write('shop/migrations/__init__.py', '');
    write(
      'shop/migrations/0001_initial.py',
      'import shop.mixins\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [\n' +
        '        migrations.CreateModel(name="Item", fields=[("id", models.AutoField(primary_key=True)), ("flag", models.BooleanField(default=False))], bases=(shop.mixins.Urls, models.Model)),\n    ]\n',
    );
    const loop =
      'from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    Item = apps.get_model("shop", "Item")\n    for item in Item.objects.all():\n        item.flag = bool(item.pk % 2)\n        item.save()\n\n\n' +
      'class Migration(migrations.Migration):\n    atomic = False\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n';
    write('shop/migrations/0002_loop.py', loop);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const uri = pathToFileURL(join(root, 'shop/migrations/0002_loop.py')).href;
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      const loopFinding = async (ds: Diagnostic[]) => {
        const found = ds.filter((d) => d.code === 'unbatched-save-loop');
        assert.equal(found.length, 1);
        const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: found[0]?.range, context: { diagnostics: found } })) as CodeAction[];
        return { message: String(found[0]?.message ?? ''), titles: actions.map((a) => a.title) };
      };
      const first = await loopFinding(await client.open(uri, loop));
      assert.doesNotMatch(first.message, /No (?:bulk )?rewrite/);
      assert.ok(first.titles.some((t) => t.startsWith('Batch')), first.titles.join(', '));
      writeFileSync(join(root, 'shop/mixins.py'), 'class Urls:\n    def save(self, *args, **kwargs):\n        super().save(*args, **kwargs)\n');
      utimesSync(join(root, 'shop/mixins.py'), new Date(), new Date(Date.now() + 5000));
      // The next lint of the migration reads the module again.
      const second = await loopFinding(await client.change(uri, 2, replaceAll(loop, loop.replace('item.pk % 2)', 'item.pk % 2)  # odd'))));
      assert.match(second.message, /No bulk rewrite is offered: Item's migrations give it the base class shop\.mixins\.Urls, and it defines Urls\.save\(\)/);
      assert.ok(!second.titles.some((t) => t.startsWith('Batch')), second.titles.join(', '));
      assert.ok(second.titles.some((t) => t.startsWith('Commit this loop in batches')), second.titles.join(', '));
    } finally {
      await client.stop();
    }
  });

  it('says in the workspace scan, for a file not open, why a loop gets no rewrite where the answer needs the project view, as the CLI does', async () => {
    const { root, write } = emptyProject();
    write('shop/__init__.py', '');
    write('shop/migrations/__init__.py', '');
    write(
      'shop/migrations/0001_initial.py',
      'import django_lifecycle.mixins\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [\n' +
        '        migrations.CreateModel(name="Hooked", fields=[("id", models.AutoField(primary_key=True)), ("flag", models.BooleanField(default=False))], bases=(django_lifecycle.mixins.LifecycleModelMixin, models.Model)),\n' +
        '        migrations.CreateModel(name="Plain", fields=[("id", models.AutoField(primary_key=True)), ("flag", models.BooleanField(default=False))]),\n    ]\n',
    );
    const loop = (model: string) =>
      `from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    ${model} = apps.get_model("shop", "${model}")\n    for row in ${model}.objects.all():\n        row.flag = bool(row.pk % 2)\n        row.save()\n\n\n` +
      'class Migration(migrations.Migration):\n    atomic = False\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n';
    write('shop/migrations/0002_hooked.py', loop('Hooked'));
    write('shop/migrations/0003_plain.py', loop('Plain').replace('"0001_initial"', '"0002_hooked"'));
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const message = (file: string) => {
        const uri = pathToFileURL(join(root, 'shop/migrations', file)).href;
        return client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.find((d) => d.code === 'unbatched-save-loop')?.message, `the loop finding of ${file}`);
      };
      assert.match(String(await message('0002_hooked.py')), /No bulk rewrite is offered: Hooked's migrations give it the base class django_lifecycle\.mixins\.LifecycleModelMixin, which cannot be read \(it is not in the project\)/);
      assert.doesNotMatch(String(await message('0003_plain.py')), /No (?:bulk )?rewrite/);
    } finally {
      await client.stop();
    }
  });

  it('reads a migration the settings exclude into the project view, and reports nothing for it, as the CLI does', async () => {
    const root = copyOf('projects/conflict');
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nexclude = ["**/__init__.py", "**/0003_contact_phone.py"]\n');
    const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.', '--format', 'json'], { cwd: root, encoding: 'utf8' });
    const expected = (JSON.parse(cli.stdout) as Array<{ path: string; rule: string }>).map((f) => `${f.path} ${f.rule}`).sort();
    assert.deepEqual(expected, ['crm/migrations/0002_contact_email.py add-field-not-null', 'crm/migrations/0003_contact_company.py add-field-not-null', 'crm/migrations/0003_contact_company.py conflicting-migrations'], 'the excluded leaf still makes two');
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      const actual = [...client.diagnostics].flatMap(([uri, p]) => p.diagnostics.map((d) => `${fileURLToPath(uri).slice(root.length + 1)} ${String(d.code)}`)).sort();
      assert.deepEqual(actual, expected);
    } finally {
      await client.stop();
    }
  });

  it('gives workspace folders of one project one graph, and folders of different projects one each, as check given them does', async () => {
    const migration = (deps: string, ops = '') => `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps}]\n    operations = [${ops}]\n`;
    const one = emptyProject();
    one.write('manage.py', '');
    one.write('shop/migrations/__init__.py', '');
    one.write('shop/migrations/0001_initial.py', migration(''));
    one.write('billing/migrations/__init__.py', '');
    // Reported only where shop's migrations are in billing's graph.
    one.write('billing/migrations/0001_initial.py', migration("('shop', '0009_missing')"));
    // An app whose label cannot be read: the log names it from the project's root, under the project's name.
    one.write('billing/reports/migrations/__init__.py', '');
    one.write('billing/reports/migrations/0001_initial.py', migration(''));
    one.write('billing/reports/apps.py', 'from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = "billing.reports"\n    label = make_label()\n');
    // Operations the linter cannot read: the log says from where billing's model state is lost, as check does.
    one.write('billing/migrations/0002_built.py', "from django.db import migrations\nfrom billing.ops import build\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('billing', '0001_initial')]\n    operations = build()\n");
    const other = emptyProject();
    other.write('pyproject.toml', '');
    other.write('shop/migrations/__init__.py', '');
    other.write('shop/migrations/0001_initial.py', migration('', "migrations.CreateModel(name='Order', fields=[('id', models.AutoField(primary_key=True))])"));
    other.write('shop/migrations/0002_order_code.py', migration("('shop', '0001_initial')", "migrations.AddField(model_name='order', name='code', field=models.IntegerField(default=0))"));
    const folders = [join(one.root, 'shop'), join(one.root, 'billing'), other.root];
    const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--format', 'json', ...folders], { encoding: 'utf8' });
    const expected = (JSON.parse(cli.stdout) as Array<{ path: string; rule: string }>).map((f) => `${f.path} ${f.rule}`).filter((x) => !x.endsWith('runsql-no-reverse')).sort();
    assert.deepEqual(expected, [`${join(one.root, 'billing/migrations/0001_initial.py')} unknown-dependency`, `${join(other.root, 'shop/migrations/0002_order_code.py')} add-field-not-null`].sort());
    const client = await TestClient.start({ workspaceFolders: folders, settings: () => ({}) });
    try {
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      await new Promise((r) => setTimeout(r, 300));
      const actual = [...client.diagnostics].flatMap(([uri, p]) => p.diagnostics.map((d) => `${fileURLToPath(uri)} ${String(d.code)}`)).sort();
      assert.deepEqual(actual, expected);
      const note = `${basename(one.root)}: the app label of billing/reports cannot be read from its apps.py`;
      await client.waitFor(() => client.logs.some((l) => l.startsWith(note)), note);
      const lost = `${basename(one.root)}: the model state of app 'billing' cannot be followed from billing/migrations/0002_built.py on`;
      await client.waitFor(() => client.logs.some((l) => l.startsWith(lost)), lost);
    } finally {
      await client.stop();
    }
  });

  it('decides by path before reading, as the CLI does: excluded files and, with content detection off, files outside migrations folders say nothing', async () => {
    const loop = "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    Order = apps.get_model('shop', 'Order')\n    for order in Order.objects.all():\n        order.total = 0\n        order.save()\n\n\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = [migrations.RunPython(forwards)]\n";
    const folders: string[] = [];
    for (const detect of [true, false]) {
      const { root, write } = emptyProject();
      folders.push(root);
      write('pyproject.toml', `[tool.migration-guard]\nexclude = ["legacy/**"]\ndetect-by-content = ${String(detect)}\n`);
      write('shop/migrations/__init__.py', '');
      write('shop/migrations/0001_totals.py', loop);
      write('scripts/custom_migration.py', loop);
      write('legacy/migrations/__init__.py', '');
      write('legacy/migrations/0001_totals.py', loop);
      write('legacy/scripts/custom_migration.py', loop);
    }
    const reported = (root: string): string[] => {
      const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.', '--format', 'json'], { cwd: root, encoding: 'utf8' });
      return [...new Set((JSON.parse(cli.stdout) as Array<{ path: string }>).map((f) => f.path))].sort();
    };
    const [detecting, notDetecting] = folders as [string, string];
    assert.deepEqual(reported(detecting), ['scripts/custom_migration.py', 'shop/migrations/0001_totals.py']);
    assert.deepEqual(reported(notDetecting), ['shop/migrations/0001_totals.py']);
    const client = await TestClient.start({ workspaceFolders: folders, settings: () => ({}) });
    try {
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      await new Promise((r) => setTimeout(r, 300));
      for (const root of folders) {
        const files = [...client.diagnostics].filter(([uri, p]) => p.diagnostics.length > 0 && fileURLToPath(uri).startsWith(`${root}/`)).map(([uri]) => fileURLToPath(uri).slice(root.length + 1));
        assert.deepEqual(files.sort(), reported(root), root);
      }
    } finally {
      await client.stop();
    }
  });

  it('says in its log, after the scan, which apps it checks without the project view because their apps.py label cannot be read, as the CLI does', async () => {
    const { root, write } = emptyProject();
    for (const app of ['shop', 'billing']) {
      write(`proj/${app}/__init__.py`, '');
      write(`proj/${app}/migrations/__init__.py`, '');
      write(`proj/${app}/migrations/0001_initial.py`, 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = []\n');
    }
    const config = (label: string) => `from django.apps import AppConfig\n\n\nclass Config(AppConfig):\n    name = __name__.rpartition('.')[0]\n    label = ${label}\n`;
    write('proj/shop/apps.py', config('make_label()'));
    write('proj/billing/apps.py', config("'billing'"));
    const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.'], { cwd: root, encoding: 'utf8' });
    const note = /the app label of proj\/shop cannot be read from its apps\.py: its migrations are checked without the migration graph and the model state\./;
    assert.match(cli.stderr, note);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      await client.waitFor(() => client.logs.some((l) => note.test(l)), 'the note on the app whose label cannot be read');
      assert.ok(!client.logs.some((l) => /billing/.test(l)), client.logs.join('\n'));
    } finally {
      await client.stop();
    }
  });

  it('words its findings for the Django version the project pins, as check does (review 26: courtlistener pins 6.0)', async () => {
    const migration = (deps: string, ops = '') => `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps}]\n    operations = [${ops}]\n`;
    const { root, write } = emptyProject();
    write('uv.lock', '[[package]]\nname = "django"\nversion = "6.0.2"\n');
    write('shop/__init__.py', '');
    write('shop/migrations/__init__.py', '');
    write('shop/migrations/0001_initial.py', migration('', "migrations.CreateModel(name='Order', fields=[('id', models.AutoField(primary_key=True))])"));
    write('shop/migrations/0002_order_code.py', migration("('shop', '0001_initial')", "migrations.AddField(model_name='order', name='code', field=models.IntegerField(default=0))"));
    const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.', '--format', 'json', '--select', 'add-field-not-null'], { cwd: root, encoding: 'utf8' });
    const expected = (JSON.parse(cli.stdout) as Array<{ message: string }>).map((f) => f.message);
    assert.equal(expected.length, 1);
    assert.match(expected[0] ?? '', /db_default/);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      const messages = () => [...client.diagnostics.values()].flatMap((p) => p.diagnostics.filter((d) => d.code === 'add-field-not-null').map((d) => String(d.message)));
      assert.deepEqual(messages(), expected);
      // The lock moves back to Django 4.2: the editor learns it from the file watcher and words it so.
      write('uv.lock', '[[package]]\nname = "django"\nversion = "4.2.9"\n');
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(root, 'uv.lock')).href, type: 2 }] });
      await client.waitFor(() => messages().length === 1 && !/db_default/.test(messages()[0] ?? ''), 'the findings worded for Django 4.2');
    } finally {
      await client.stop();
    }
  });

  for (const fixture of ['projects/conflict', 'projects/cycle', 'projects/unknown-dependency', 'projects/split-labels', 'projects/state-ops', 'projects/squashed-with-replaced', 'rules/mixed-data-and-schema/bad-table-created-in-an-earlier-file', 'rules/conflicting-migrations/tricky-duplicate-label']) {
    it(`finds what the CLI finds in the same folder: ${fixture}`, async () => {
      const root = copyOf(fixture);
      const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.', '--format', 'json'], { cwd: root, encoding: 'utf8' });
      const expected = (JSON.parse(cli.stdout) as Array<{ path: string; line: number; rule: string }>).map((f) => `${f.path}:${f.line} ${f.rule}`).sort();
      const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
      try {
        await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
        const actual: string[] = [];
        for (const [uri, published] of client.diagnostics) {
          const rel = fileURLToPath(uri).slice(root.length + 1);
          for (const d of published.diagnostics) actual.push(`${rel}:${d.range.start.line + 1} ${String(d.code)}`);
        }
        assert.deepEqual(actual.sort(), expected);
        // A migration a squash replaced is checked against the chain Django keeps for it (ProjectView.forFile).
        if (fixture === 'projects/squashed-with-replaced') assert.ok(actual.some((a) => /^inventory\/migrations\/0002_item_sku\.py:\d+ add-field-not-null$/.test(a)), actual.join('\n'));
      } finally {
        await client.stop();
      }
    });
  }
});

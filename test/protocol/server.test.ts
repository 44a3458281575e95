/**
 * Protocol tests: the bundled server (dist/server.js) over stdio, driven by a real JSON-RPC client.
 * They check what the server publishes and answers, as an editor would see it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic } from 'vscode-languageserver';
import { ruleDocsUrl } from '../../server/src/analysis/rules';
import { applyEdits } from '../helpers/apply-edits';
import { FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const WORKSPACE = join(FIXTURES, 'workspace');
const uriOf = (rel: string) => pathToFileURL(join(WORKSPACE, rel)).href;
const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code)).sort();

const SEED = `from django.db import migrations, models


def backfill(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.filter(currency__isnull=True):
        order.currency = "USD"
        order.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(backfill),
        migrations.AlterField(model_name="order", name="currency", field=models.CharField(max_length=3)),
    ]
`;

describe('language server over stdio', () => {
  let client: TestClient;
  before(async () => {
    client = await TestClient.start({ workspaceFolders: [WORKSPACE], progress: true, settings: () => ({}) });
  });
  after(async () => client.stop());

  it('lints every migration of the workspace at start-up, with progress, honouring pyproject.toml', async () => {
    const backfill = uriOf('shop/migrations/0002_backfill_currency.py');
    const ds = await client.waitFor(() => client.diagnostics.get(backfill)?.diagnostics, 'workspace diagnostics');
    // runsql-no-reverse is off in the fixture's pyproject.toml.
    assert.deepEqual(codes(ds), ['alter-field-not-null', 'mixed-data-and-schema', 'runpython-no-reverse', 'unbatched-save-loop']);
    const outside = await client.waitFor(() => client.diagnostics.get(uriOf('tools/custom_migration.py'))?.diagnostics, 'content-detected migration');
    assert.deepEqual(codes(outside), ['missing-atomic-false']);
    await client.waitFor(() => client.progress.some((p) => p.kind === 'end'), 'progress end');
    assert.equal(client.progress[0]?.kind, 'begin');
    assert.equal(client.diagnostics.has(uriOf('tools/helpers.py')), false, 'a non-migration module gets no diagnostics');
    assert.equal(client.diagnostics.has(uriOf('quiet/migrations/0001_initial.py')), false, 'clean files are not published');
  });

  it('publishes diagnostics with code, source, docs link, related information and data', async () => {
    const uri = 'untitled:Untitled-1';
    const ds = await client.open(uri, SEED);
    const mixed = ds.find((d) => d.code === 'mixed-data-and-schema');
    assert.ok(mixed, 'mixed-data-and-schema published');
    assert.equal(mixed.source, 'migration-guard');
    assert.equal(mixed.codeDescription?.href, ruleDocsUrl('mixed-data-and-schema'));
    assert.equal(mixed.severity, 2);
    assert.equal(mixed.range.start.line, 14);
    assert.equal(mixed.relatedInformation?.[0]?.location.range.start.line, 15);
    assert.equal((mixed.data as { rule: string }).rule, 'mixed-data-and-schema');
    const loop = ds.find((d) => d.code === 'unbatched-save-loop');
    assert.deepEqual(loop?.range.start, { line: 5, character: 4 });
    await client.close(uri);
  });

  it('re-lints incrementally on every change and clears on close', async () => {
    const uri = 'untitled:Untitled-2';
    let ds = await client.open(uri, SEED);
    assert.ok(codes(ds).includes('runpython-no-reverse'));
    // Type the reverse argument in, one character at a time, as an editor would send it.
    const line = 14;
    const col = '        migrations.RunPython(backfill'.length;
    const insert = ', migrations.RunPython.noop';
    let version = 1;
    for (let i = 0; i < insert.length; i++) {
      ds = await client.change(uri, ++version, [{ range: { start: { line, character: col + i }, end: { line, character: col + i } }, text: insert[i] }]);
    }
    assert.deepEqual(codes(ds), ['mixed-data-and-schema', 'unbatched-save-loop']);
    // Delete the whole loop body line by line-range edit; the save loop goes away.
    ds = await client.change(uri, ++version, [{ range: { start: { line: 5, character: 0 }, end: { line: 8, character: 0 } }, text: '    Order.objects.update(currency="USD")\n' }]);
    assert.deepEqual(codes(ds), ['mixed-data-and-schema']);
    ds = await client.close(uri);
    assert.deepEqual(ds, []);
  });

  it('coalesces a burst of edits: the newest version is linted, not every one in between', async () => {
    const uri = 'untitled:Burst';
    await client.open(uri, SEED);
    const opened = client.count(uri);
    const line = 14;
    const col = '        migrations.RunPython(backfill'.length;
    const insert = ', migrations.RunPython.noop';
    // 400 edits sent back to back, as a paste, a macro or a formatter would: insert and delete
    // the reverse argument 199 times (199 publishes of a lint-per-edit server), then insert it.
    const sends: Array<Promise<void>> = [];
    let version = 1;
    const edit = (range: { start: number; end: number }, text: string) =>
      sends.push(client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: ++version },
        contentChanges: [{ range: { start: { line, character: range.start }, end: { line, character: range.end } }, text }],
      }));
    for (let i = 0; i < 199; i++) {
      edit({ start: col, end: col }, insert);
      edit({ start: col, end: col + insert.length }, '');
    }
    edit({ start: col, end: col }, insert);
    await Promise.all(sends);
    const last = version;
    const ds = await client.waitFor(() => (client.diagnostics.get(uri)?.version === last ? client.diagnostics.get(uri)?.diagnostics : undefined), 'diagnostics of the newest version');
    assert.deepEqual(codes(ds), ['mixed-data-and-schema', 'unbatched-save-loop'], 'the newest text is the one linted');
    const lints = client.count(uri) - opened;
    assert.ok(lints < 40, `${lints} publishes for 399 edits: edits were linted one version at a time`);
    await client.close(uri);
  });

  it('offers "Disable <rule> for this line", and the edit silences exactly that finding', async () => {
    const uri = 'untitled:Untitled-3';
    const ds = await client.open(uri, SEED);
    const target = ds.find((d) => d.code === 'runpython-no-reverse') as Diagnostic;
    const actions = (await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: target.range,
      context: { diagnostics: [target] },
    })) as CodeAction[];
    const preferred = actions.filter((a) => a.isPreferred);
    assert.deepEqual(preferred.map((a) => a.title), ['Add reverse_code=migrations.RunPython.noop']);
    assert.ok(actions.some((a) => a.title === 'Add a reverse function reverse_backfill() beside backfill()'));
    const withNoop = applyEdits(SEED, preferred[0]?.edit?.changes?.[uri] ?? []);
    assert.match(withNoop, /migrations\.RunPython\(backfill, reverse_code=migrations\.RunPython\.noop\)/);
    const disable = actions.find((a) => a.title === 'Disable runpython-no-reverse for this line');
    assert.ok(disable, `actions: ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(disable.kind, 'quickfix');
    const edits = disable.edit?.changes?.[uri] ?? [];
    const fixed = applyEdits(SEED, edits);
    assert.match(fixed, /\n {8}# migration-guard: ignore\[runpython-no-reverse\]\n {8}migrations\.RunPython\(backfill\),/);
    const after = await client.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(codes(after), ['mixed-data-and-schema', 'unbatched-save-loop']);
    await client.close(uri);
  });

  it('offers "Batch this loop" through a same-file helper in the editor, as the CLI fixes it', async () => {
    const uri = 'untitled:helper-loop';
    const fixture = join(FIXTURES, 'fixes', 'unbatched-save-loop', 'helper-inlined');
    const text = readFileSync(`${fixture}.py`, 'utf8');
    const ds = await client.open(uri, text);
    const loops = ds.filter((d) => d.code === 'unbatched-save-loop');
    assert.equal(loops.length, 2);
    let fixed = text;
    // From the last loop up, so each edit's range still points at the text it was computed for.
    for (const target of [...loops].reverse()) {
      const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: target.range, context: { diagnostics: [target] } })) as CodeAction[];
      const batch = actions.find((a) => a.title.startsWith('Batch this loop') && a.title.endsWith('(inlining flatten_model_metadata())'));
      assert.ok(batch, `actions: ${actions.map((a) => a.title).join(', ')}`);
      fixed = applyEdits(fixed, batch.edit?.changes?.[uri] ?? []);
    }
    assert.equal(fixed, readFileSync(`${fixture}.after.py`, 'utf8'));
    await client.close(uri);
  });

  it('source.fixAll applies only the fixes that cannot change what the migration does', async () => {
    const uri = 'untitled:fix-all';
    const text = `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunSQL("CREATE INDEX CONCURRENTLY shop_order_ref ON shop_order (ref)"),
    ]
`;
    const ds = await client.open(uri, text);
    assert.deepEqual(codes(ds), ['missing-atomic-false', 'runsql-no-reverse']);
    const actions = (await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    })) as CodeAction[];
    assert.deepEqual(actions.map((a) => a.kind), ['source.fixAll.migrationGuard']);
    const fixed = applyEdits(text, actions[0]?.edit?.changes?.[uri] ?? []);
    assert.match(fixed, /atomic = False/);
    assert.match(fixed, /migrations\.RunSQL\("CREATE INDEX CONCURRENTLY shop_order_ref ON shop_order \(ref\)"\),/, 'the unsafe reverse fix is not applied');
    const after = await client.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(codes(after), ['runsql-no-reverse']);
    await client.close(uri);
  });

  it('survives garbage and keeps serving other documents', async () => {
    const junk = 'untitled:junk.py';
    const garbage = [
      '\u0000\u0001\u0002 class Migration(migrations.Migration):\n  operations = [[[[[[' + '('.repeat(5000),
      'x' + ')'.repeat(3000) + ' \ud800 \uffff',
      'class Migration(migrations.Migration):\n    operations = [migrations.RunPython(' + ' lambda a, b: '.repeat(500) + 'x)]\n',
    ];
    for (const text of garbage) {
      await client.open(junk, text);
      await client.close(junk);
    }
    const ds = await client.open('untitled:after-junk', SEED);
    assert.ok(ds.length >= 3, 'still linting after garbage');
    await client.close('untitled:after-junk');
  });

  it('does not lint Python files that are not migrations', async () => {
    const uri = uriOf('tools/helpers.py');
    const ds = await client.open(uri, readFileSync(join(WORKSPACE, 'tools/helpers.py'), 'utf8'));
    assert.deepEqual(ds, []);
    await client.close(uri);
  });
});

describe('language server settings', () => {
  it('applies editor settings over pyproject.toml, and re-lints when they change', async () => {
    let rules: Record<string, string> = { 'unbatched-save-loop': 'off', 'runsql-no-reverse': 'error' };
    const client = await TestClient.start({ workspaceFolders: [WORKSPACE], settings: () => ({ rules }) });
    try {
      const backfill = uriOf('shop/migrations/0002_backfill_currency.py');
      let ds = await client.waitFor(() => client.diagnostics.get(backfill)?.diagnostics, 'workspace diagnostics');
      assert.deepEqual(codes(ds), ['alter-field-not-null', 'mixed-data-and-schema', 'runpython-no-reverse', 'runsql-no-reverse']);
      assert.equal(ds.find((d) => d.code === 'runsql-no-reverse')?.severity, 1, 'editor severity applies');
      rules = { 'mixed-data-and-schema': 'off' };
      const before = client.count(backfill);
      await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
      ds = await client.nextDiagnostics(backfill, before);
      assert.deepEqual(codes(ds), ['alter-field-not-null', 'runpython-no-reverse', 'unbatched-save-loop']);
    } finally {
      await client.stop();
    }
  });
});

describe('language server settings changes', () => {
  it('keeps an open migration\'s diagnostics through back-to-back settings changes', async () => {
    const client = await TestClient.start({ workspaceFolders: [WORKSPACE], settings: () => ({}) });
    try {
      const file = join(WORKSPACE, 'shop/migrations/0002_backfill_currency.py');
      const uri = pathToFileURL(file).href;
      await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics, 'start-up scan');
      await client.open(uri, readFileSync(file, 'utf8'));
      // Two changes in a row: the second scan cancels the first, which must then decide nothing.
      for (let i = 0; i < 2; i++) await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
      await client.waitFor(() => client.logs.filter((l) => /^checked \d+ migrations/.test(l)).length >= 2 && true, 'both scans to finish');
      assert.deepEqual(codes(client.diagnostics.get(uri)?.diagnostics ?? []), ['alter-field-not-null', 'mixed-data-and-schema', 'runpython-no-reverse', 'unbatched-save-loop']);
      await client.close(uri);
    } finally {
      await client.stop();
    }
  });
});

describe('language server file watching', () => {
  it('re-lints the workspace when pyproject.toml changes, and clears a deleted migration', async () => {
    const root = mkdtempSync(join(tmpdir(), 'migration-guard-ws-'));
    cpSync(WORKSPACE, root, { recursive: true });
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const file = join(root, 'shop/migrations/0002_backfill_currency.py');
      const uri = pathToFileURL(file).href;
      let ds = await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics, 'workspace diagnostics');
      assert.ok(codes(ds).includes('unbatched-save-loop'));
      const pyproject = join(root, 'pyproject.toml');
      writeFileSync(pyproject, readFileSync(pyproject, 'utf8').replace('runsql-no-reverse = "off"', 'runsql-no-reverse = "off"\nunbatched-save-loop = "off"'));
      let before = client.count(uri);
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(pyproject).href, type: 2 }] });
      ds = await client.nextDiagnostics(uri, before);
      assert.deepEqual(codes(ds), ['alter-field-not-null', 'mixed-data-and-schema', 'runpython-no-reverse']);
      rmSync(file);
      before = client.count(uri);
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 3 }] });
      ds = await client.nextDiagnostics(uri, before);
      assert.deepEqual(ds, []);
    } finally {
      await client.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('language server: Split Migration', () => {
  it('applies the split as one workspace edit: new part created, original rewritten, dependants re-pointed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'migration-guard-split-'));
    cpSync(WORKSPACE, root, { recursive: true });
    const later = join(root, 'shop/migrations/0003_later.py');
    writeFileSync(later, 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_backfill_currency")]\n\n    operations = []\n');
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), applyEditsToDisk: true });
    try {
      const file = join(root, 'shop/migrations/0002_backfill_currency.py');
      const uri = pathToFileURL(file).href;
      const ds = await client.open(uri, readFileSync(file, 'utf8'));
      const mixed = ds.find((d) => d.code === 'mixed-data-and-schema') as Diagnostic;
      const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: mixed.range, context: { diagnostics: [mixed] } })) as CodeAction[];
      const split = actions.find((a) => a.command?.command === 'migrationGuard.splitMigration');
      assert.ok(split?.isPreferred, 'the split is the preferred quick fix of mixed-data-and-schema');
      const outcome = (await client.connection.sendRequest('workspace/executeCommand', { command: 'migrationGuard.applySplit', arguments: [uri] })) as { applied: boolean; files: string[] };
      assert.equal(outcome.applied, true);
      assert.equal(client.appliedEdits.length, 1, 'one edit, so one undo');
      const names = outcome.files.map((f) => f.split('/').pop());
      assert.deepEqual(names, ['0002_backfill_currency.py', '0004_alter_order_currency.py', '0005_run_sql.py']);
      assert.match(readFileSync(file, 'utf8'), /operations = \[\n\s+migrations\.RunPython\(backfill_currency\),\n\s+\]/);
      assert.match(readFileSync(join(root, 'shop/migrations/0004_alter_order_currency.py'), 'utf8'), /\("shop", "0002_backfill_currency"\)/);
      assert.match(readFileSync(later, 'utf8'), /\("shop", "0005_run_sql"\)/);
    } finally {
      await client.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is offered on a save loop whose only fix needs the data on its own; after the split, its loop gets "Commit this loop in batches"', async () => {
    const root = mkdtempSync(join(tmpdir(), 'migration-guard-split-'));
    cpSync(WORKSPACE, root, { recursive: true });
    // Each note names the one before it: no bulk write fits, and the migration also adds a column.
    const file = join(root, 'shop/migrations/0003_notes.py');
    writeFileSync(
      file,
      'from django.db import migrations, models\n\n\ndef chain(apps, schema_editor):\n    Order = apps.get_model("shop", "Order")\n    last = None\n' +
        '    for order in Order.objects.all():\n        order.note = "after %s" % (last.pk if last else "none")\n        order.save(force_update=True)\n        last = order\n\n\n' +
        'class Migration(migrations.Migration):\n    dependencies = [("shop", "0002_backfill_currency")]\n\n    operations = [\n' +
        '        migrations.AddField("order", "note", models.TextField(default="")),\n        migrations.RunPython(chain, migrations.RunPython.noop),\n    ]\n',
    );
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), applyEditsToDisk: true });
    try {
      let uri = pathToFileURL(file).href;
      // The workspace scan may publish the file before its open does: wait for the loop's finding.
      const loopActions = async (_: Diagnostic[]) => {
        const loop = await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.find((d) => d.code === 'unbatched-save-loop'), 'the loop finding');
        return { loop, actions: (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: loop.range, context: { diagnostics: [loop] } })) as CodeAction[] };
      };
      const before = await loopActions(await client.open(uri, readFileSync(file, 'utf8')));
      assert.match(String(before.loop.message), /nor is committing it in batches: the migration also changes the schema/);
      assert.ok(before.actions.some((a) => a.command?.command === 'migrationGuard.splitMigration'), before.actions.map((a) => a.title).join(' | '));
      assert.ok(!before.actions.some((a) => a.title.startsWith('Commit this loop')));
      const outcome = (await client.connection.sendRequest('workspace/executeCommand', { command: 'migrationGuard.applySplit', arguments: [uri] })) as { applied: boolean; files: string[] };
      assert.equal(outcome.applied, true);
      // The loop's fix is offered in the data part now.
      const data = outcome.files.find((f) => readFileSync(f, 'utf8').includes('RunPython(chain'));
      assert.ok(data, outcome.files.join(', '));
      assert.doesNotMatch(readFileSync(data, 'utf8'), /AddField/);
      await client.close(uri);
      uri = pathToFileURL(data).href;
      const after = await loopActions(await client.open(uri, readFileSync(data, 'utf8'), 2));
      assert.ok(after.actions.some((a) => a.title.startsWith('Commit this loop in batches of 500')), after.actions.map((a) => a.title).join(' | '));
      assert.ok(!after.actions.some((a) => a.command?.command === 'migrationGuard.splitMigration'));
    } finally {
      await client.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses with a message and changes nothing when there is nothing to split', async () => {
    const root = mkdtempSync(join(tmpdir(), 'migration-guard-split-'));
    cpSync(WORKSPACE, root, { recursive: true });
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), applyEditsToDisk: true });
    try {
      const file = join(root, 'quiet/migrations/0001_initial.py');
      const before = readFileSync(file, 'utf8');
      const outcome = (await client.connection.sendRequest('workspace/executeCommand', { command: 'migrationGuard.applySplit', arguments: [pathToFileURL(file).href] })) as { applied: boolean };
      assert.equal(outcome.applied, false);
      await client.waitFor(() => client.messages.find((m) => /only one kind of operation/.test(m.message)), 'refusal message');
      assert.equal(client.appliedEdits.length, 0);
      assert.equal(readFileSync(file, 'utf8'), before);
    } finally {
      await client.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

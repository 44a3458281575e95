/**
 * The language server on broken and hostile input, over stdio behind a real JSON-RPC client:
 * syntax errors in migrations read from disk (reported) and in buffers being typed (left to the
 * Python extension), quick fixes that refuse to apply to a newer version of the document, and a
 * workspace scan that skips non-regular and oversized files with a warning.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, TextDocumentEdit, TextEdit } from 'vscode-languageserver';
import { applyEdits } from '../helpers/apply-edits';
import { SAVE_LOOP_MIGRATION, TempDirs, writeFileIn } from '../helpers/cli';
import { TestClient } from './lsp-client';

const temps = new TempDirs();
after(() => temps.removeAll());

const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code)).sort();

const BROKEN = `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunSQL("UPDATE shop_item SET flag = true"),
        migrations.RunPython(lambda apps, schema_editor: None
    ]
`;

describe('language server: syntax errors', () => {
  let client: TestClient;
  let root: string;
  before(async () => {
    root = temps.make();
    writeFileIn(join(root, 'shop', 'migrations', '0002_broken.py'), BROKEN);
    client = await TestClient.start({ workspaceFolders: [root] });
  });
  after(async () => client.stop());

  it('reports syntax-error for a migration read from disk, and leaves it to the Python extension while the file is open', async () => {
    const uri = pathToFileURL(join(root, 'shop', 'migrations', '0002_broken.py')).href;
    const scanned = await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics, 'scan diagnostics');
    assert.deepEqual(codes(scanned), ['runpython-no-reverse', 'runsql-no-reverse', 'syntax-error']);
    const error = scanned.find((d) => d.code === 'syntax-error');
    assert.equal(error?.severity, 1);
    assert.equal(error?.range.start.line, 8);
    const open = await client.open(uri, BROKEN);
    assert.deepEqual(codes(open), ['runpython-no-reverse', 'runsql-no-reverse']);
    await client.close(uri);
    await client.waitFor(() => codes(client.diagnostics.get(uri)?.diagnostics ?? []).includes('syntax-error'), 'the file on disk again after close');
  });

  it('offers no fix in a buffer that does not parse (only "disable"), and the fixes again once it parses', async () => {
    const uri = pathToFileURL(join(root, 'shop', 'migrations', '0002_broken.py')).href;
    const open = await client.open(uri, BROKEN);
    const broken = await quickFixRequest(client, uri, open);
    assert.ok(broken.length > 0);
    assert.deepEqual(broken.map((a) => a.title).filter((t) => !t.startsWith('Disable ')), []);
    // The same buffer with its parenthesis closed: the reverse stubs are offered.
    const fixedText = BROKEN.replace('schema_editor: None\n', 'schema_editor: None),\n');
    assert.notEqual(fixedText, BROKEN);
    const parses = await client.change(uri, 2, [{ text: fixedText }]);
    const titles = (await quickFixRequest(client, uri, parses)).map((a) => a.title).filter((t) => !t.startsWith('Disable '));
    assert.ok(titles.some((t) => /reverse/i.test(t)), titles.join('; '));
    await client.close(uri);
  });
});

const MIXED = (label: string) => `# -*- coding: latin-1 -*-
from django.db import migrations, models

LABEL = "${label}"


def forwards(apps, schema_editor):
    apps.get_model("shop", "Item").objects.update(label=LABEL)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddField("item", "weight", models.IntegerField(null=True)),
    ]
`;

describe('language server: files on disk it must not trust', () => {
  let client: TestClient;
  let root: string;
  before(async () => {
    root = temps.make();
    const dir = join(root, 'shop', 'migrations');
    writeFileIn(join(dir, '0002_latin.py'), Buffer.from(MIXED('£é'), 'latin1'));
    writeFileIn(join(root, 'pyproject.toml'), '[tool.migration-guard]\nmax-file-size = 5000\n');
    writeFileIn(join(dir, '0003_huge.py'), `${MIXED('x')}${'# padding\n'.repeat(1000)}`);
    client = await TestClient.start({ workspaceFolders: [root] });
  });
  after(async () => client.stop());

  it('skips a file above max-file-size with a warning in the output, and lints the others in their encoding', async () => {
    const latin = pathToFileURL(join(root, 'shop', 'migrations', '0002_latin.py')).href;
    const ds = await client.waitFor(() => client.diagnostics.get(latin)?.diagnostics, 'diagnostics of the latin-1 migration');
    assert.deepEqual(codes(ds), ['mixed-data-and-schema']);
    await client.waitFor(() => client.logs.find((l) => /0003_huge\.py: skipped: \d+ bytes, more than max-file-size \(5000\)/.test(l)), 'the skip warning');
    assert.equal(client.diagnostics.has(pathToFileURL(join(root, 'shop', 'migrations', '0003_huge.py')).href), false);
  });

  it('refuses to split a latin-1 migration the editor would rewrite as UTF-8, changing nothing', async () => {
    const file = join(root, 'shop', 'migrations', '0002_latin.py');
    const outcome = (await client.connection.sendRequest('workspace/executeCommand', { command: 'migrationGuard.applySplit', arguments: [pathToFileURL(file).href] })) as { applied: boolean; message: string };
    assert.equal(outcome.applied, false);
    assert.match(outcome.message, /encoded in latin-1.*migration-guard split/);
    assert.equal(client.appliedEdits.length, 0);
  });
});

const SAVE_LOOP = SAVE_LOOP_MIGRATION;

function quickFixRequest(client: TestClient, uri: string, diagnostics: Diagnostic[]): Promise<CodeAction[]> {
  const range = { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } };
  return client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics } }) as Promise<CodeAction[]>;
}

describe('language server: quick fixes are tied to the document version', () => {
  for (const documentChanges of [true, false]) {
    it(`never offers a fix computed for an older version (client ${documentChanges ? 'with' : 'without'} versioned edits)`, async () => {
      const client = await TestClient.start({ documentChanges });
      try {
        const uri = `untitled:stale-${documentChanges}`;
        const v1 = await client.open(uri, SAVE_LOOP, 1);
        assert.ok(v1.some((d) => d.code === 'runpython-no-reverse'));
        const current = await quickFixRequest(client, uri, v1);
        const fix = current.find((a) => a.title.includes('noop'));
        assert.ok(fix?.edit, 'the fix is offered on the version it was computed for');
        if (documentChanges) {
          const change = fix.edit.documentChanges?.[0] as TextDocumentEdit;
          assert.deepEqual(change.textDocument, { uri, version: 1 }, 'sent as a versioned document edit');
        } else {
          assert.ok(fix.edit.changes?.[uri]);
        }
        // Two lines typed at the top: every offset of the old fixes now points elsewhere.
        const v2 = await client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'import logging\nlogger = logging.getLogger(__name__)\n' }]);
        const stale = await quickFixRequest(client, uri, v1);
        assert.deepEqual(stale.filter((a) => a.edit), [], 'no edit computed on version 1 is offered for version 2');
        const fresh = (await quickFixRequest(client, uri, v2)).find((a) => a.title.includes('noop'));
        const edits = documentChanges ? (fresh?.edit?.documentChanges?.[0] as TextDocumentEdit).edits : (fresh?.edit?.changes?.[uri] ?? []);
        if (documentChanges) assert.equal((fresh?.edit?.documentChanges?.[0] as TextDocumentEdit).textDocument.version, 2);
        const text = `import logging\nlogger = logging.getLogger(__name__)\n${SAVE_LOOP}`;
        assert.match(applyEdits(text, edits as TextEdit[]), /migrations\.RunPython\(forwards, reverse_code=migrations\.RunPython\.noop\)/);
      } finally {
        await client.stop();
      }
    });
  }

  it('offers no fix for a diagnostic from the disk scan until the opened document is linted', async () => {
    const root = temps.make();
    const file = join(root, 'shop', 'migrations', '0002_loop.py');
    writeFileIn(file, SAVE_LOOP);
    const client = await TestClient.start({ workspaceFolders: [root], documentChanges: true });
    try {
      const uri = pathToFileURL(file).href;
      const scanned = await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics, 'scan diagnostics');
      const opened = await client.open(uri, SAVE_LOOP, 7);
      assert.deepEqual((await quickFixRequest(client, uri, scanned)).filter((a) => a.edit), []);
      const fixes = (await quickFixRequest(client, uri, opened)).filter((a) => a.edit);
      assert.ok(fixes.length > 0);
      for (const a of fixes) assert.equal((a.edit?.documentChanges?.[0] as TextDocumentEdit).textDocument.version, 7);
    } finally {
      await client.stop();
    }
  });
});

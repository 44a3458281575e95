/**
 * The editor reads the functions RunPython is handed from another module of the project, as
 * `check` does (imported-code.ts): the migration that hands one using today's model gets the
 * runpython-model-import finding, from the workspace scan and once opened, with a related location
 * in that module; none when the module uses the historical models; and the finding comes when the
 * module is saved with today's model in it, though no migration changed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic, TextDocumentEdit } from 'vscode-languageserver';
import { HISTORICAL_ORDERS, LIVE_ORDERS, writeImportedCodeProject } from '../helpers/imported-code-project';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

async function diagnosticsOf0002(ordersModule: string): Promise<{ scanned: Diagnostic[]; opened: Diagnostic[] }> {
  const root = writeImportedCodeProject(mkdtempSync(join(tmpdir(), 'mg-imported-code-lsp-')), ordersModule);
  temps.push(root);
  const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
  try {
    const file = join(root, 'shop/migrations/0002_close_stale.py');
    const uri = pathToFileURL(file).href;
    await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
    const scanned = [...(client.diagnostics.get(uri)?.diagnostics ?? [])];
    const opened = await client.open(uri, readFileSync(file, 'utf8'));
    return { scanned, opened };
  } finally {
    await client.stop();
  }
}

const imported = (ds: readonly Diagnostic[]) => ds.filter((d) => d.code === 'runpython-model-import');

describe('language server: RunPython code imported from another module', () => {
  it('reports today\'s model the imported function uses, pointing into its module', async () => {
    const { scanned, opened } = await diagnosticsOf0002(LIVE_ORDERS);
    for (const ds of [scanned, opened]) {
      const found = imported(ds);
      assert.deepEqual(found.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}`), ['10:30'], JSON.stringify(ds));
      const related = (found[0]?.relatedInformation ?? []).map((r) => `${r.location.uri.replace(/^.*\/shop\//, 'shop/')}:${r.location.range.start.line + 1}`);
      assert.ok(related.includes('shop/migrations/_orders.py:10'), JSON.stringify(related));
    }
  });

  it('says nothing when the module uses the historical models', async () => {
    const { scanned, opened } = await diagnosticsOf0002(HISTORICAL_ORDERS);
    assert.deepEqual(imported(scanned), []);
    assert.deepEqual(imported(opened), []);
  });

  it('publishes the migrations again when the module they take code from is saved', async () => {
    const root = writeImportedCodeProject(mkdtempSync(join(tmpdir(), 'mg-imported-code-lsp-')), HISTORICAL_ORDERS);
    temps.push(root);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const uri = pathToFileURL(join(root, 'shop/migrations/0002_close_stale.py')).href;
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      assert.deepEqual(imported(client.diagnostics.get(uri)?.diagnostics ?? []), []);
      const module = join(root, 'shop/migrations/_orders.py');
      writeFileSync(module, LIVE_ORDERS);
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(module).href, type: 2 }] });
      const found = await client.waitFor(() => {
        const ds = imported(client.diagnostics.get(uri)?.diagnostics ?? []);
        return ds.length > 0 ? ds : undefined;
      }, 'the finding after the module was saved');
      assert.deepEqual(found.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}`), ['10:30']);
    } finally {
      await client.stop();
    }
  });

  it("offers the module's rewrite as an edit of the module, only while that module is not open", async () => {
    const root = writeImportedCodeProject(mkdtempSync(join(tmpdir(), 'mg-imported-code-lsp-')), HISTORICAL_ORDERS);
    temps.push(root);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
    try {
      const file = join(root, 'shop/migrations/0005_touch.py');
      const uri = pathToFileURL(file).href;
      const moduleUri = pathToFileURL(join(root, 'shop/migrations/_orders.py')).href;
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      const found = (await client.open(uri, readFileSync(file, 'utf8'))).filter((d) => d.code === 'unbatched-save-loop');
      assert.equal(found.length, 1);
      const ask = async () => (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: found[0]?.range, context: { diagnostics: found } })) as CodeAction[];
      const action = (await ask()).find((a) => a.title.endsWith('(in _orders.py)'));
      assert.ok(action, 'a fix made to the module');
      // A versioned edit where the client takes them (version null: the module as on disk), else plain changes; never the migration.
      const changes = (action.edit?.documentChanges ?? []) as TextDocumentEdit[];
      const edited = changes.length > 0 ? changes.map((c) => [c.textDocument.uri, c.textDocument.version]) : Object.keys(action.edit?.changes ?? {}).map((u) => [u, null]);
      assert.deepEqual(edited, [[moduleUri, null]]);
      const texts = changes.length > 0 ? changes.flatMap((c) => c.edits.map((e) => ('newText' in e ? e.newText : ''))) : (action.edit?.changes?.[moduleUri] ?? []).map((e) => e.newText);
      assert.ok(texts.some((t) => t.includes('bulk_update(batch, ["paid"])')), JSON.stringify(texts));
      // Open in the editor, the module's buffer may differ from what the fix was made on: not offered.
      await client.open(moduleUri, readFileSync(join(root, 'shop/migrations/_orders.py'), 'utf8'));
      assert.equal((await ask()).filter((a) => a.title.endsWith('(in _orders.py)')).length, 0);
    } finally {
      await client.stop();
    }
  });

  it("offers the rewrite of a module's loop whose fix needs the project view, judged by the model as the migration sees it", async () => {
    const root = writeImportedCodeProject(mkdtempSync(join(tmpdir(), 'mg-imported-code-lsp-')), HISTORICAL_ORDERS, { stamped: true });
    temps.push(root);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
    try {
      const file = join(root, 'shop/migrations/0002_close_stale.py');
      const uri = pathToFileURL(file).href;
      await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
      const found = (await client.open(uri, readFileSync(file, 'utf8'))).filter((d) => d.code === 'unbatched-save-loop');
      assert.equal(found.length, 1);
      assert.match(String(found[0]?.message ?? ''), /^reopen\(\) in _orders\.py[^]*\(The fix edits _orders\.py, which other migrations may run too, and any other code that calls the function with today's models[^]*\)$/);
      const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: found[0]?.range, context: { diagnostics: found } })) as CodeAction[];
      const action = actions.find((a) => a.title.endsWith('(in _orders.py)'));
      assert.ok(action, JSON.stringify(actions.map((a) => a.title)));
      const texts = ((action.edit?.documentChanges ?? []) as TextDocumentEdit[]).flatMap((c) => c.edits.map((e) => ('newText' in e ? e.newText : '')));
      // Order's `updated` is auto_now in 0001, which 0002 sees: stamped and written as save() did.
      assert.ok(texts.some((t) => t.includes('order._meta.get_field("updated").pre_save(order, False)')), JSON.stringify(texts));
      assert.ok(texts.some((t) => t.includes('bulk_update(batch, ["closed", "updated"])')), JSON.stringify(texts));
    } finally {
      await client.stop();
    }
  });
});

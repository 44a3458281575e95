/**
 * In the editor, runpython-model-import's fix names the app from the project view: an open
 * migration importing `apps.shop.models` (a path the CLI alone cannot read) gets
 * `apps.get_model("shop", ...)`, and a relative `..models` gets the migration's own app.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction } from 'vscode-languageserver';
import { FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('language server: runpython-model-import with the project view', () => {
  it('offers apps.get_model with the label the project knows', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-model-import-'));
    temps.push(root);
    cpSync(join(FIXTURES, 'rules', 'runpython-model-import', 'tricky-app-label-from-project'), root, { recursive: true });
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
    try {
      const file = join(root, 'apps/shop/migrations/0002_backfill.py');
      const uri = pathToFileURL(file).href;
      await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.length, 'scan diagnostics');
      const diagnostics = (await client.open(uri, readFileSync(file, 'utf8'))).filter((d) => d.code === 'runpython-model-import');
      assert.equal(diagnostics.length, 4);
      const titles: string[][] = [];
      for (const d of diagnostics) {
        const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
        titles.push(actions.map((a) => a.title).filter((t) => t.startsWith('Use ')));
      }
      assert.deepEqual(titles, [['Use Order = apps.get_model("shop", "Order")'], ['Use Line = apps.get_model("shop", "Line")'], [], []]);
      // `Client` is queried as a model that shop's migrations never made: the editor says so, as the CLI does.
      assert.match(String(diagnostics[3]?.message ?? ''), /No fix is offered: app shop's migrations make no model Client/);
    } finally {
      await client.stop();
    }
  });
});

/**
 * The schema fixes in the editor, over stdio: "Add in steps" and "Remove in two releases" are quick
 * fixes whose one workspace edit creates the new migrations (never over a file) and edits the open
 * one — the same text schema-steps.test.ts checks.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, CreateFile, TextDocumentEdit } from 'vscode-languageserver';
import { FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** schema-base with the fixture's own migrations on top. */
function project(fixture: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-schema-fixes-lsp-'));
  temps.push(dir);
  cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
  cpSync(join(FIXTURES, 'schema-steps', fixture), dir, { recursive: true, filter: (src) => !src.endsWith('.base') });
  return dir;
}

async function action(fixture: string, migration: string, title: RegExp): Promise<{ root: string; action: CodeAction }> {
  const root = project(fixture);
  const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
  try {
    const uri = pathToFileURL(join(root, 'shop/migrations', migration)).href;
    await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.length, 'scan diagnostics');
    const open = await client.open(uri, readFileSync(join(root, 'shop/migrations', migration), 'utf8'));
    const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: open[0]?.range, context: { diagnostics: open } })) as CodeAction[];
    const found = actions.find((a) => title.test(a.title));
    assert.ok(found, `an action ${title} among ${actions.map((a) => a.title).join(' | ')}`);
    return { root, action: found };
  } finally {
    await client.stop();
  }
}

describe('language server: schema fixes', () => {
  it('offers Add in steps as one edit that creates the backfill and NOT NULL migrations and edits the AddField', async () => {
    const { root, action: add } = await action('add-steps', '0002_listing_category_v2.py', /^Add in steps/);
    assert.equal(add.isPreferred, true);
    const changes = add.edit?.documentChanges ?? [];
    const creates = changes.filter((c): c is CreateFile => 'kind' in c && c.kind === 'create');
    assert.deepEqual(
      creates.map((c) => [c.uri, c.options?.overwrite]),
      ['0003_backfill_listing_category_v2.py', '0004_listing_category_v2_not_null.py'].map((n) => [pathToFileURL(join(root, 'shop/migrations', n)).href, false]),
    );
    const texts = changes.filter((c): c is TextDocumentEdit => 'textDocument' in c).map((c) => c.edits.map((e) => ('newText' in e ? e.newText : null)));
    const expected = (n: string) => readFileSync(join(FIXTURES, 'schema-steps-expected/add-steps/shop/migrations', n), 'utf8');
    assert.equal(texts[0]?.[0], expected('0003_backfill_listing_category_v2.py'));
    assert.equal(texts[1]?.[0], expected('0004_listing_category_v2_not_null.py'));
    assert.deepEqual(texts[2], [', null=True']);
  });

  it('offers Remove in two releases for a dropped table', async () => {
    const { action: drop } = await action('drop-table', '0002_delete_order.py', /^Remove in two releases/);
    const changes = drop.edit?.documentChanges ?? [];
    assert.equal(changes.filter((c) => 'kind' in c && c.kind === 'create').length, 1);
  });
});

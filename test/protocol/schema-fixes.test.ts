/**
 * The schema rules' multi-file fixes in the language server, over stdio: on the truth project's
 * idx app, the add-index-not-concurrent quick fix is one workspace edit that creates the
 * follow-up migration (never over an existing file) and edits the migration — the same text the
 * CLI's --unsafe-fixes writes.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, TextDocumentEdit } from 'vscode-languageserver';
import { applyEdits } from '../helpers/apply-edits';
import { runCli } from '../helpers/cli';
import { FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function copyOfTruth(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-schema-fix-lsp-'));
  temps.push(dir);
  cpSync(join(FIXTURES, 'schema-fixes-truth'), dir, { recursive: true });
  return dir;
}

describe('language server: schema fixes', () => {
  it("moves django-linear-migrations' max_migration.txt on to the follow-up it creates (review 44)", async () => {
    const root = copyOfTruth();
    writeFileSync(join(root, 'idx/migrations/max_migration.txt'), '0002_item_indexes\n');
    const file = join(root, 'idx/migrations/0002_item_indexes.py');
    const uri = pathToFileURL(file).href;
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
    try {
      await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.length, 'scan diagnostics');
      const open = await client.open(uri, readFileSync(file, 'utf8'));
      const finding = open.find((d) => d.code === 'add-index-not-concurrent');
      assert.ok(finding, 'the finding');
      const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: finding.range, context: { diagnostics: [finding] } })) as CodeAction[];
      const move = actions.find((a) => a.title.startsWith('Move the index operations'));
      const edits = (move?.edit?.documentChanges ?? []).filter((c): c is TextDocumentEdit => 'textDocument' in c && c.textDocument.uri.endsWith('/max_migration.txt'));
      assert.equal(edits.length, 1, JSON.stringify(move?.edit?.documentChanges));
      assert.equal(edits[0]?.textDocument.version, null);
      assert.deepEqual(edits[0]?.edits.map((e) => ('newText' in e ? e.newText : '')), ['0003_item_indexes_concurrently\n']);
      assert.equal(applyEdits('0002_item_indexes\n', edits[0]?.edits.map((e) => ({ range: e.range, newText: 'newText' in e ? e.newText : '' })) ?? []), '0003_item_indexes_concurrently\n');
    } finally {
      await client.stop();
    }
  });

  it('offers the index move as one edit that creates the follow-up and edits the migration, as the CLI writes them', async () => {
    const root = copyOfTruth();
    const file = join(root, 'idx/migrations/0002_item_indexes.py');
    const uri = pathToFileURL(file).href;
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
    let documentChanges: NonNullable<CodeAction['edit']>['documentChanges'];
    const text = readFileSync(file, 'utf8');
    try {
      await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.length, 'scan diagnostics');
      const open = await client.open(uri, text);
      const finding = open.find((d) => d.code === 'add-index-not-concurrent');
      assert.ok(finding, 'the finding');
      const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: finding.range, context: { diagnostics: [finding] } })) as CodeAction[];
      const move = actions.find((a) => a.title.startsWith('Move the index operations'));
      assert.ok(move?.edit?.documentChanges, `offered: ${actions.map((a) => a.title).join(' | ')}`);
      assert.equal(move.isPreferred, true);
      documentChanges = move.edit.documentChanges;
    } finally {
      await client.stop();
    }
    const followUp = join(root, 'idx/migrations/0003_item_indexes_concurrently.py');
    const [create, content, edit] = documentChanges ?? [];
    assert.ok(create && 'kind' in create && create.kind === 'create');
    assert.equal(create.uri, pathToFileURL(followUp).href);
    assert.equal(create.options?.overwrite, false);
    const plain = (e: TextDocumentEdit['edits'][number]) => {
      assert.ok('newText' in e, 'a plain text edit');
      return { range: e.range, newText: e.newText };
    };
    const created = (content as TextDocumentEdit).edits.map((e) => plain(e).newText).join('');
    const edited = applyEdits(text, (edit as TextDocumentEdit).edits.map(plain));
    assert.equal((edit as TextDocumentEdit).textDocument.uri, uri);

    const cli = runCli(['check', '.', '--fix', '--unsafe-fixes', '--select', 'add-index-not-concurrent'], root);
    assert.equal(cli.code, 0, `${cli.stdout}${cli.stderr}`);
    assert.equal(readFileSync(followUp, 'utf8'), created, 'the same follow-up migration');
    assert.equal(readFileSync(file, 'utf8'), edited, 'the same edit of the migration');
  });
});

/**
 * The RunSQL fixes in the language server: the quick fix that adds NOT VALID to a statement inside
 * the string and creates the follow-up migration that validates, as one workspace edit.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const SOURCE = `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total > 0)", migrations.RunSQL.noop),
    ]
`;

describe('language server: RunSQL fixes', () => {
  it('offers NOT VALID plus the follow-up migration, pointing inside the string', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-runsql-lsp-'));
    temps.push(root);
    cpSync(join(FIXTURES, 'schema-base'), root, { recursive: true });
    const file = join(root, 'shop', 'migrations', '0002_sql.py');
    writeFileSync(file, SOURCE);
    const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
    try {
      const uri = pathToFileURL(file).href;
      // The follow-up is named from the project view: wait for the workspace scan.
      await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.find((x) => x.code === 'add-constraint-validates'), 'scan diagnostics');
      const open = await client.open(uri, SOURCE);
      const d = open.find((x) => x.code === 'add-constraint-validates');
      assert.ok(d, 'the finding');
      const line = SOURCE.split('\n')[d.range.start.line] as string;
      assert.equal(line.slice(d.range.start.character, d.range.end.character), 'ADD CONSTRAINT total_positive CHECK (total > 0)');
      const actions = (await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
      const fix = actions.find((a) => a.title === 'Add NOT VALID, and validate in 0003_validate_total_positive.py');
      assert.ok(fix, actions.map((a) => a.title).join(' | '));
      const changes = fix?.edit?.documentChanges ?? [];
      const create = changes.find((c) => 'kind' in c && c.kind === 'create');
      assert.ok(create && 'uri' in create);
      assert.equal(create.uri, pathToFileURL(join(root, 'shop', 'migrations', '0003_validate_total_positive.py')).href);
      const edit = changes.find((c) => 'textDocument' in c && c.textDocument.uri === uri);
      assert.ok(edit && 'edits' in edit);
      assert.deepEqual(edit.edits.map((e) => ('newText' in e ? e.newText : '')), [' NOT VALID']);
    } finally {
      await client.stop();
    }
  });
});

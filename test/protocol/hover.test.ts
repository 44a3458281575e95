/**
 * The lock hover over stdio: on an operation's name, its SQL as a sql block with the lock, what it
 * blocks, rewrite / scan and the transaction; on the Migration class, every operation in order;
 * null on a file that is not a migration and between operations. The state before the migration
 * comes from the rest of the workspace (the sql-preview fixture project).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Hover, MarkupContent } from 'vscode-languageserver';
import { FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const ROOT = join(FIXTURES, 'sql-preview', 'shop');

/** The position of the first occurrence of `needle` in `text` (plus `offset` characters). */
function at(text: string, needle: string, offset = 1): { line: number; character: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `'${needle}' not in the fixture`);
  const before = text.slice(0, i + offset);
  const lines = before.split('\n');
  return { line: lines.length - 1, character: (lines[lines.length - 1] ?? '').length };
}

async function hover(client: TestClient, uri: string, position: { line: number; character: number }): Promise<string | null> {
  const h = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position })) as Hover | null;
  return h ? (h.contents as MarkupContent).value : null;
}

describe('language server: lock hover', () => {
  it('declares the hover capability and explains operations and the migration', async () => {
    const client = await TestClient.start({ workspaceFolders: [ROOT] });
    try {
      assert.equal(client.initializeResult?.capabilities.hoverProvider, true);
      await client.waitFor(() => client.logs.some((l) => l.startsWith('checked ')), 'the workspace scan');
      const file = join(ROOT, 'shop/migrations/0003_alter_fields.py');
      const uri = pathToFileURL(file).href;
      const text = readFileSync(file, 'utf8');
      await client.open(uri, text);

      const first = await hover(client, uri, at(text, 'migrations.AlterField', 12));
      assert.ok(first, 'a hover on the first AlterField');
      assert.match(first, /```sql\nALTER TABLE "shop_product" ALTER COLUMN "note" SET DEFAULT '';\nUPDATE "shop_product" SET "note" = '' WHERE "note" IS NULL;/);
      assert.match(first, /set-not-null: \*\*ACCESS EXCLUSIVE\*\* — blocks reads and writes, scans the table/);
      assert.match(first, /inside the migration's transaction/);

      const whole = await hover(client, uri, at(text, 'class Migration', 7));
      assert.ok(whole, 'a hover on the Migration class');
      const lines = whole.split('\n').filter((l) => /^\d+\. /.test(l));
      assert.equal(lines.length, 8, whole);
      assert.match(lines[1] ?? '', /^2\. AlterField on 'product' — 1 statement\(s\), strongest lock ACCESS EXCLUSIVE/);

      assert.equal(await hover(client, uri, at(text, 'dependencies', 2)), null, 'nothing outside the operations');
      const inArgs = await hover(client, uri, at(text, "name='weight'", 3));
      assert.match(inArgs ?? '', /TYPE bigint USING "weight"::bigint/, 'a hover anywhere in the call');

      const special = join(ROOT, 'shop/migrations/0007_special.py');
      const suri = pathToFileURL(special).href;
      const stext = readFileSync(special, 'utf8');
      await client.open(suri, stext);
      const separate = await hover(client, suri, at(stext, 'SeparateDatabaseAndState', 3));
      assert.match(separate ?? '', /ADD COLUMN "legacy" integer NULL/, 'SeparateDatabaseAndState shows its database side');
      const inner = await hover(client, suri, at(stext, 'ADD COLUMN "legacy"', 3));
      assert.match(inner ?? '', /^\*\*RunSQL "ALTER TABLE/, 'the innermost operation answers');
      const python = await hover(client, suri, at(stext, 'migrations.RunPython(', 12));
      assert.match(python ?? '', /Raw Python operation/);

      const concurrent = join(ROOT, 'shop/migrations/0006_concurrently.py');
      const curi = pathToFileURL(concurrent).href;
      const ctext = readFileSync(concurrent, 'utf8');
      await client.open(curi, ctext);
      const idx = await hover(client, curi, at(ctext, 'AddIndexConcurrently(', 3));
      assert.ok(idx);
      assert.match(idx, /CREATE INDEX CONCURRENTLY "product_weight_idx"/);
      assert.match(idx, /SHARE UPDATE EXCLUSIVE\*\* — blocks neither reads nor writes/);
      assert.match(idx, /no transaction \(atomic = False\)/);

      const models = join(ROOT, 'shop/models.py');
      const muri = pathToFileURL(models).href;
      await client.open(muri, readFileSync(models, 'utf8'));
      assert.equal(await hover(client, muri, { line: 0, character: 3 }), null, 'no hover outside migrations');
      assert.equal(await hover(client, pathToFileURL(join(ROOT, 'nowhere.py')).href, { line: 0, character: 0 }), null);
    } finally {
      await client.stop();
    }
  });

  it("follows the file's settings: postgresql-version decides whether ADD COLUMN with a default rewrites the table", async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-hover-'));
    try {
      cpSync(ROOT, root, { recursive: true });
      const file = join(root, 'shop/migrations/0002_add_fields.py');
      const uri = pathToFileURL(file).href;
      const text = readFileSync(file, 'utf8');
      const weight = (t: string) => at(t, "name='weight'", 3);
      const read = async (): Promise<string> => {
        const client = await TestClient.start({ workspaceFolders: [root] });
        try {
          await client.waitFor(() => client.logs.some((l) => l.startsWith('checked ')), 'the workspace scan');
          await client.open(uri, text);
          return (await hover(client, uri, weight(text))) ?? '';
        } finally {
          await client.stop();
        }
      };
      const modern = await read();
      assert.match(modern, /ADD COLUMN "weight" integer DEFAULT 0 NOT NULL/);
      assert.doesNotMatch(modern, /rewrites the table/, 'PostgreSQL 14 (the default) adds a constant default without a rewrite');
      writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\npostgresql-version = 10\n');
      assert.match(await read(), /rewrites the table/, 'PostgreSQL 10, from pyproject.toml');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

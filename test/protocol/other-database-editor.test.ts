/**
 * In the editor too: with no `database` set and the project's Django settings naming SQLite, the
 * findings say PostgreSQL is assumed and the fixes that write PostgreSQL's SQL ("Add in steps": a
 * CHECK added NOT VALID) are not offered (review 52); without such settings they are.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Diagnostic } from 'vscode-languageserver';
import { FIXTURES } from '../helpers/paths';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function project(settings: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-other-db-lsp-'));
  temps.push(dir);
  cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
  cpSync(join(FIXTURES, 'schema-steps', 'add-steps'), dir, { recursive: true, filter: (src) => !src.endsWith('.base') });
  if (settings !== null) {
    mkdirSync(join(dir, 'shopsite'), { recursive: true });
    writeFileSync(join(dir, 'shopsite', 'settings.py'), settings);
  }
  return dir;
}

async function notNullFinding(root: string): Promise<{ finding: Diagnostic | undefined; titles: string[] }> {
  const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), documentChanges: true });
  try {
    const uri = pathToFileURL(join(root, 'shop/migrations', '0002_listing_category_v2.py')).href;
    await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.length, 'scan diagnostics');
    const open = await client.open(uri, readFileSync(join(root, 'shop/migrations', '0002_listing_category_v2.py'), 'utf8'));
    const finding = open.find((d) => d.code === 'add-field-not-null');
    const actions = finding ? ((await client.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: finding.range, context: { diagnostics: [finding] } })) as CodeAction[]) : [];
    return { finding, titles: actions.map((a) => a.title) };
  } finally {
    await client.stop();
  }
}

describe('language server: fixes when the project\'s settings name another database', () => {
  it('withholds Add in steps and says why where settings name SQLite; offers it where they do not', async () => {
    const sqlite = await notNullFinding(project('DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.db"}}\n'));
    assert.ok(sqlite.finding, 'the NOT NULL column is reported');
    assert.match(String(sqlite.finding.message), /PostgreSQL assumed; the project's settings also name SQLite \(settings\.py\)/);
    assert.ok(!sqlite.titles.some((t) => /^Add in steps/.test(t)), sqlite.titles.join(' | '));
    const plain = await notNullFinding(project(null));
    assert.doesNotMatch(String(plain.finding?.message ?? ''), /PostgreSQL assumed/);
    assert.ok(plain.titles.some((t) => /^Add in steps/.test(t)), plain.titles.join(' | '));
  });
});

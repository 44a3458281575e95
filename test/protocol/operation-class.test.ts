/**
 * The editor follows the model state past a migration that calls an operation class of the
 * project leaving the state alone (operation-class.ts), as `check` does: the migration after it
 * gets its add-field-not-null finding, from the workspace scan and once opened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { INSTALL_SQL, STATEFUL_SQL, writeOperationClassProject } from '../helpers/operation-class-project';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

async function codesOf0003(sqlModule: string): Promise<{ scanned: string[]; opened: string[] }> {
  const root = writeOperationClassProject(mkdtempSync(join(tmpdir(), 'mg-opclass-lsp-')), sqlModule);
  temps.push(root);
  const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
  try {
    const file = join(root, 'shop/migrations/0003_order_total.py');
    const uri = pathToFileURL(file).href;
    // The scan publishes the migrations with findings, then logs its count.
    await client.waitFor(() => client.logs.some((l) => /checked 3 migrations/.test(l)), 'the workspace scan');
    const scanned = (client.diagnostics.get(uri)?.diagnostics ?? []).map((d) => String(d.code));
    const opened = (await client.open(uri, readFileSync(file, 'utf8'))).map((d) => String(d.code));
    return { scanned, opened };
  } finally {
    await client.stop();
  }
}

describe('language server: operation classes the project defines', () => {
  it('follows the state past a RunSQL subclass that hands Django no state', async () => {
    const { scanned, opened } = await codesOf0003(INSTALL_SQL);
    assert.deepEqual(scanned, ['add-field-not-null']);
    assert.deepEqual(opened, ['add-field-not-null']);
  });

  it('leaves the state unknown when the class tells Django more than can be read', async () => {
    const { scanned, opened } = await codesOf0003(STATEFUL_SQL);
    assert.deepEqual(scanned, []);
    assert.deepEqual(opened, []);
  });
});

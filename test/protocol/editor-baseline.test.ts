/**
 * The editor honours the project's baseline (`baseline` in pyproject.toml), as CI does: recorded
 * findings are not shown, from the workspace scan or while typing, even after lines move; new ones
 * are.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver';
import { runCli, SAVE_LOOP_MIGRATION, TempDirs, writeFileIn } from '../helpers/cli';
import { TestClient } from './lsp-client';

const temps = new TempDirs();
after(() => temps.removeAll());

const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code)).sort();

const OLD = SAVE_LOOP_MIGRATION;

describe('language server: the project baseline', () => {
  let client: TestClient;
  let root: string;
  before(async () => {
    root = temps.make();
    writeFileIn(join(root, 'shop', 'migrations', '0002_old.py'), OLD);
    writeFileIn(join(root, 'pyproject.toml'), '[tool.migration-guard]\nbaseline = ".migration-guard/baseline.json"\n');
    writeFileIn(join(root, '.migration-guard', 'keep'), '');
    const written = runCli(['check', '--write-baseline', '.migration-guard/baseline.json', '.'], root);
    assert.equal(written.code, 0, written.stderr);
    writeFileIn(join(root, 'shop', 'migrations', '0003_new.py'), OLD.replace('0001_initial', '0002_old'));
    client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}) });
  });
  after(async () => client.stop());

  it('shows only what the baseline does not record, on disk and while typing', async () => {
    const newUri = pathToFileURL(join(root, 'shop', 'migrations', '0003_new.py')).href;
    const fresh = await client.waitFor(() => client.diagnostics.get(newUri)?.diagnostics, 'the new migration');
    assert.deepEqual(codes(fresh), ['runpython-no-reverse', 'unbatched-save-loop']);
    await client.waitFor(() => client.logs.find((l) => /^checked 2 migrations/.test(l)), 'the scan to end');
    const oldFile = join(root, 'shop', 'migrations', '0002_old.py');
    const oldUri = pathToFileURL(oldFile).href;
    assert.deepEqual(client.diagnostics.get(oldUri)?.diagnostics ?? [], [], 'the recorded findings are not published');
    // Open it and move everything down two lines: still recorded.
    const text = readFileSync(oldFile, 'utf8');
    assert.deepEqual(await client.open(oldUri, text), []);
    const moved = await client.change(oldUri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# Backfills the flag.\n\n' }]);
    assert.deepEqual(moved, []);
    // A new operation in the old file is not recorded.
    const changed = await client.change(oldUri, 3, [{ text: text.replace('migrations.RunPython(forwards),', 'migrations.RunPython(forwards),\n        migrations.RunSQL("DELETE FROM shop_log"),') }]);
    assert.deepEqual(codes(changed), ['runsql-no-reverse']);
    await client.close(oldUri);
  });
});

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
import type { Diagnostic } from 'vscode-languageserver';
import { TempDirs, writeFileIn } from '../helpers/cli';
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
});

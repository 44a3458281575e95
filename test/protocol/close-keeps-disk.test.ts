/**
 * Closing a document in the editor: the file goes back to what is on disk. When the disk still
 * holds the text the workspace scan read, under the same settings, the scan's analysis speaks for
 * it again without a parse or a lint; when the file or the settings changed while it was open, it
 * is read and linted afresh.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Tree } from '../../server/src/analysis/parser';
import type { Finding } from '../../server/src/analysis/types';
import { LintService } from '../../server/src/protocol/lint-service';
import { OpenDocuments } from '../../server/src/protocol/open-documents';
import { WorkspaceLinter } from '../../server/src/protocol/workspace-linter';
import { readSourceFile } from '../../server/src/workspace/read-source';
import { getParser } from '../helpers/lint';

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[("id", models.AutoField(primary_key=True)), ("total", models.IntegerField(default=0))],
        ),
    ]
`;

const LOOP = `from django.db import migrations


def fill(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.all():
        order.total = 1
        order.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
`;

describe('language server: a closed document goes back to the disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'mg-close-keeps-disk-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'shop', 'migrations'), { recursive: true });
  writeFileSync(join(root, 'shop', '__init__.py'), '');
  writeFileSync(join(root, 'shop', 'migrations', '__init__.py'), '');
  const initial = join(root, 'shop', 'migrations', '0001_initial.py');
  const loop = join(root, 'shop', 'migrations', '0002_fill.py');
  writeFileSync(initial, INITIAL);
  writeFileSync(loop, LOOP);
  const uri = pathToFileURL(loop).href;

  async function setUp() {
    const parser = await getParser();
    const service = new LintService();
    service.setWorkspaceFolders([root]);
    const documents = new OpenDocuments(parser);
    const published = new Map<string, Finding[]>();
    let parses = 0;
    const counting = Object.create(parser) as typeof parser;
    counting.parse = (text: string, old?: Tree | null): Tree => {
      parses++;
      return parser.parse(text, old);
    };
    const linter = new WorkspaceLinter({
      service,
      parser: () => counting,
      documents: () => documents,
      publish: (u, findings) => published.set(u, findings),
      fail: (what, e) => assert.fail(`${what}: ${String(e)}`),
    });
    const fromDisk = (file: string): boolean => {
      const read = readSourceFile(file);
      assert.ok(read.ok);
      return linter.analyzeDisk(file, read.source);
    };
    linter.resetProjects(new Map([[root, [initial, loop]]]));
    assert.ok(fromDisk(initial));
    assert.ok(fromDisk(loop));
    const rules = () => (published.get(uri) ?? []).map((f) => f.rule).sort();
    const open = (text: string): void => {
      linter.handOver(uri);
      linter.lintOpen(documents.open(uri, 1, text));
    };
    const close = (): boolean => {
      documents.close(uri);
      linter.closed(uri);
      published.set(uri, []);
      parses = 0;
      return fromDisk(loop);
    };
    return { service, linter, rules, open, close, parses: () => parses, documents };
  }

  it('takes the analysis the scan made when the disk still holds the text: no parse, the same findings', async () => {
    const s = await setUp();
    const before = s.rules();
    assert.deepEqual(before, ['unbatched-save-loop'], 'the scan reports the loop');
    s.open(LOOP.replace('order.total = 1', 'order.total = 2  # typed, not saved'));
    assert.ok(s.close());
    assert.equal(s.parses(), 0, 'closing re-read the disk but parsed nothing');
    assert.deepEqual(s.rules(), before);
  });

  it('lints the disk afresh when the file changed on disk while it was open', async () => {
    const s = await setUp();
    s.open(LOOP);
    writeFileSync(loop, LOOP.replace('    for order in Order.objects.all():\n        order.total = 1\n        order.save()\n', '    Order.objects.update(total=1)\n'));
    try {
      assert.ok(s.close());
      assert.ok(s.parses() > 0, 'the new text was parsed');
      assert.deepEqual(s.rules(), [], 'the loop is gone from the disk, and so is its finding');
    } finally {
      writeFileSync(loop, LOOP);
    }
  });

  it('lints the disk afresh when the settings changed while it was open', async () => {
    const s = await setUp();
    s.open(LOOP);
    const pyproject = join(root, 'pyproject.toml');
    writeFileSync(pyproject, '[tool.migration-guard.rules]\nunbatched-save-loop = "off"\n');
    try {
      s.service.clearProjectSettings();
      assert.ok(s.close());
      assert.ok(s.parses() > 0, 'linted again under the new settings');
      assert.deepEqual(s.rules(), []);
    } finally {
      rmSync(pyproject);
    }
  });
});

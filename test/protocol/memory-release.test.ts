/**
 * The language server gives memory back after documents close (memory-release.ts): once a document
 * has closed and the server has been idle for a moment, a heap grown by more than a tenth since it
 * settled is collected and compacted. In process first (the mechanism, with a short idle time),
 * then over stdio (the server wires it to closes, opens and changes, and says what it gave back).
 * A release is never made while a workspace scan runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { MemoryRelease, type Released } from '../../server/src/protocol/memory-release';
import { TestClient } from './lsp-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Row = { i: number; s: string; o: { n: number[] } };
const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ i, s: `row ${i}`, o: { n: [i, i + 1] } }));

/**
 * Grows the heap well past what it was when the caller's MemoryRelease settled, whatever earlier
 * tests left: a block kept alive (returned: hold it until the test ends) and a block of garbage
 * promoted to the old generation, then dropped.
 */
async function growHeap(): Promise<Row[]> {
  const start = process.memoryUsage().heapTotal;
  const live: Row[] = [];
  while (process.memoryUsage().heapTotal < start * 1.3) live.push(...rows(50_000));
  let garbage: Row[] | null = rows(400_000);
  await sleep(10);
  garbage.length = 0;
  garbage = null;
  return live;
}

describe('MemoryRelease', () => {
  it('does nothing while the server is not otherwise idle (a workspace scan settles the heap itself)', async () => {
    const released: Released[] = [];
    const memory = new MemoryRelease(50, () => false, (r) => released.push(r));
    const live = await growHeap();
    memory.closed();
    await sleep(300);
    memory.dispose();
    assert.ok(live.length > 0);
    assert.deepEqual(released, []);
  });

  it('collects a grown heap once the server has been idle after a close, and the heap shrinks', async () => {
    const released: Released[] = [];
    const memory = new MemoryRelease(50, () => true, (r) => released.push(r));
    const live = await growHeap();
    memory.closed();
    await sleep(300);
    memory.dispose();
    assert.ok(live.length > 0);
    assert.equal(released.length, 1);
    const [r] = released;
    assert.ok(r && r.heapAfter < r.heapBefore, `heap ${r?.heapBefore} -> ${r?.heapAfter}`);
  });

  it('waits while work arrives, and does nothing when the heap has not grown since it settled', async () => {
    const released: Released[] = [];
    const memory = new MemoryRelease(50, () => true, (r) => released.push(r));
    const live = await growHeap();
    memory.closed();
    memory.busy(); // a document opened right after the close
    await sleep(300);
    assert.equal(released.length, 0, 'collected while the editor was at work');
    memory.closed();
    await sleep(300);
    assert.equal(released.length, 1, 'not collected after the next close');
    memory.settled();
    memory.closed();
    await sleep(300);
    memory.dispose();
    assert.ok(live.length > 0);
    assert.equal(released.length, 1, 'collected again with nothing grown since');
  });
});

/** A migration of about `ops` AddField operations: large enough that linting it allocates. */
function bigMigration(n: number, ops: number): string {
  const fields = Array.from({ length: ops }, (_, i) => `        migrations.AddField(model_name="order", name="f${n}_${i}", field=models.CharField(max_length=${10 + i}, null=True)),`).join('\n');
  return `from django.db import migrations, models\n\n\ndef touch(apps, schema_editor):\n    Order = apps.get_model("shop", "Order")\n    for order in Order.objects.all():\n        order.save()\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [\n${fields}\n        migrations.RunPython(touch),\n    ]\n`;
}

describe('the server gives memory back after documents close', () => {
  it('collects after the last close and logs what it gave back; not while documents keep opening', async () => {
    const client = await TestClient.start();
    const released = () => client.logs.filter((l) => l.startsWith('gave memory back after documents closed'));
    try {
      const uris: string[] = [];
      for (let i = 0; i < 12; i++) {
        const uri = pathToFileURL(`/tmp/migration-guard-memory/shop/migrations/${String(i + 2).padStart(4, '0')}_big.py`).href;
        await client.open(uri, bigMigration(i, 1500));
        uris.push(uri);
      }
      // A close followed at once by an open: the editor is at work, nothing is collected.
      await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri: uris[0] } });
      await client.open(uris[0] as string, bigMigration(0, 1500));
      await sleep(1600);
      assert.deepEqual(released(), []);
      for (const uri of uris) await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      const line = await client.waitFor(() => released()[0], 'the server to give memory back', 10_000);
      const m = /heap (\d+) MB → (\d+) MB, RSS (\d+) MB → (\d+) MB/.exec(line);
      assert.ok(m, line);
      assert.ok(Number(m[2]) < Number(m[1]), line);
    } finally {
      await client.stop();
    }
  });
});

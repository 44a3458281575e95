/**
 * Reading a source file: what stat says is only a first guess. A file that turns out longer than
 * stat said (a /proc file says 0 bytes) is read whole, and a limit is kept while reading too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { readFileBytes, readSourceFile, readSourceFileAsync } from '../server/src/workspace/read-source';
import { skipReason } from './helpers/skip';

const dir = mkdtempSync(join(tmpdir(), 'mg-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Linux's /proc files report a size of 0 and hold more: the growth path, with real bytes.
const PROC = '/proc/self/maps';

/** PROC's bytes; null after skipping the test, only off CI (a Linux box where /proc is unreadable): under CI=true it fails. */
function procBytes(t: TestContext): Buffer | null {
  try {
    return readFileSync(PROC);
  } catch (e) {
    const why = skipReason(`${PROC} cannot be read here`);
    if (why === null) throw e;
    t.skip(why);
    return null;
  }
}

describe('readSourceFile', () => {
  for (const [name, read] of [['sync', async (f: string, max?: number) => readSourceFile(f, max)], ['async', readSourceFileAsync]] as const) {
    it(`${name}: reads a file whole, as its bytes and its text`, async () => {
      const file = join(dir, `${name}.py`);
      const text = `# é\n${'x = 1\n'.repeat(50_000)}`;
      writeFileSync(file, text);
      const r = await read(file);
      assert.ok(r.ok);
      assert.equal(r.source.text, text);
      assert.equal(r.bytes, Buffer.byteLength(text));
      assert.deepEqual(Buffer.from(r.data), readFileSync(file));
    });

    it(`${name}: refuses a file over the limit by its size`, async () => {
      const file = join(dir, `${name}-big.py`);
      writeFileSync(file, 'x'.repeat(2_000));
      const r = await read(file, 1_000);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.kind, 'too-large');
    });

    it(`${name}: reads on past the size stat gave, and keeps the limit while reading`, async (t) => {
      const expected = procBytes(t);
      if (!expected) return;
      assert.ok(expected.length > 0, `${PROC} is empty here`);
      const r = await read(PROC);
      assert.ok(r.ok, 'read whole');
      // The maps of this process change as it runs: compare the shape, not the bytes.
      assert.ok(r.bytes > 0 && r.source.text.split('\n').length > 5, `${r.bytes} bytes`);
      const limited = await read(PROC, 100);
      assert.equal(limited.ok, false);
      assert.equal(!limited.ok && limited.kind, 'too-large');
    });
  }
});

describe('readFileBytes into a reused buffer', () => {
  it('reads a file that fits into the buffer, and one that does not into its own', () => {
    const buffer = Buffer.alloc(64, 0x21);
    const small = join(dir, 'small.py');
    const large = join(dir, 'large.py');
    writeFileSync(small, 'x = 1\n');
    writeFileSync(large, 'y = 2\n'.repeat(100));
    const a = readFileBytes(small, undefined, buffer);
    assert.ok(a.ok);
    assert.equal(a.data.toString(), 'x = 1\n');
    assert.equal(a.data.buffer, buffer.buffer, 'a view of the buffer given');
    const b = readFileBytes(large, undefined, buffer);
    assert.ok(b.ok);
    assert.equal(b.data.toString(), 'y = 2\n'.repeat(100));
    assert.notEqual(b.data.buffer, buffer.buffer, 'too long for it: a buffer of its own');
    // The next read that fits overwrites the first one's bytes: the caller must be done with them.
    writeFileSync(small, 'z = 3\n');
    const c = readFileBytes(small, undefined, buffer);
    assert.ok(c.ok);
    assert.equal(a.data.toString(), 'z = 3\n');
  });

  it('keeps the limit and reads past what stat said', (t) => {
    const buffer = Buffer.alloc(1 << 16);
    const big = join(dir, 'reuse-big.py');
    writeFileSync(big, 'x'.repeat(2_000));
    const r = readFileBytes(big, 1_000, buffer);
    assert.equal(!r.ok && r.kind, 'too-large');
    const expected = procBytes(t);
    if (!expected) return;
    const p = readFileBytes(PROC, undefined, buffer);
    assert.ok(p.ok && expected.length > 0 && p.data.length > 0 && p.data.toString().split('\n').length > 5);
  });
});

/**
 * The cache's file fingerprints: a file whose stat (size, times, inode, device) is what it was when
 * its bytes were hashed is not read again; any change to it, even one that keeps its size, is
 * read; and a file changed just before the run is never fingerprinted, so a second change within
 * the clock's resolution cannot hide behind the first.
 */
import assert from 'node:assert/strict';
import fs, { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deserialize } from 'node:v8';
import { DEFAULT_TARGET_DATABASE } from '../server/src/analysis/target-database';
import { contentHash, RunCache } from '../server/src/cli/run-cache';
import type { LintConfig, LintTask } from '../server/src/cli/types';

const config: LintConfig = {
  rules: {},
  batchSize: 1000,
  target: DEFAULT_TARGET_DATABASE,
  fix: 'none',
  maxFileSize: 1_000_000,
  baseline: null,
  fingerprints: false,
};

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function setUp(): { dir: string; file: string; task: LintTask } {
  const root = mkdtempSync(join(tmpdir(), 'mg-stats-'));
  roots.push(root);
  const file = join(root, '0001_initial.py');
  writeFileSync(file, 'class Migration: pass\n');
  return { dir: join(root, 'cache'), file, task: { path: file, file, mode: 'lint', config: 0 } };
}

/** How often `file` is opened while `run` runs (the compiled module calls fs through the module object). */
function opened(file: string, run: () => void): number {
  const real = fs.openSync;
  let n = 0;
  fs.openSync = ((...args: Parameters<typeof fs.openSync>) => {
    if (args[0] === file) n++;
    return real(...args);
  }) as typeof fs.openSync;
  try {
    run();
  } finally {
    fs.openSync = real;
  }
  return n;
}

describe('check cache: file fingerprints', () => {
  it('does not read a file again while its stat is unchanged, and gives the hash of its bytes', () => {
    const { dir, file, task } = setUp();
    // A racy window in the past: the file just written counts as old enough to fingerprint.
    const first = RunCache.open(dir, -60_000) as RunCache;
    let hashes: Array<string | null> = [];
    assert.equal(
      opened(file, () => (hashes = first.hashAll([task], [config]))),
      1,
    );
    assert.deepEqual(hashes, [contentHash(readFileSync(file))]);
    first.saveStats();

    const second = RunCache.open(dir) as RunCache;
    assert.equal(
      opened(file, () => (hashes = second.hashAll([task], [config]))),
      0,
      'an unchanged file is answered from its fingerprint',
    );
    assert.deepEqual(hashes, [contentHash(readFileSync(file))]);
  });

  it('reads a file changed to bytes of the same size, and fingerprints what it read', () => {
    const { dir, file, task } = setUp();
    const first = RunCache.open(dir, -60_000) as RunCache;
    first.hashAll([task], [config]);
    first.saveStats();
    writeFileSync(file, 'class Migration: Pass\n'); // same length, other bytes
    const second = RunCache.open(dir, -60_000) as RunCache;
    let hashes: Array<string | null> = [];
    assert.equal(
      opened(file, () => (hashes = second.hashAll([task], [config]))),
      1,
    );
    assert.deepEqual(hashes, [contentHash(Buffer.from('class Migration: Pass\n'))]);
    second.saveStats();
    const third = RunCache.open(dir) as RunCache;
    assert.equal(
      opened(file, () => (hashes = third.hashAll([task], [config]))),
      0,
    );
    assert.deepEqual(hashes, [contentHash(Buffer.from('class Migration: Pass\n'))]);
  });

  it('never fingerprints a file changed within the racy window before the run began', () => {
    const { dir, file, task } = setUp();
    const cache = RunCache.open(dir) as RunCache; // the real window: the file was written just now
    assert.deepEqual(cache.hashAll([task], [config]), [contentHash(readFileSync(file))]);
    cache.saveStats();
    const written = join(dir, 'stats.bin');
    const paths = existsSync(written) ? (deserialize(readFileSync(written)) as { paths: string }).paths : '';
    assert.equal(paths, '');
    const next = RunCache.open(dir) as RunCache;
    assert.equal(
      opened(file, () => next.hashAll([task], [config])),
      1,
      'read again on the next run',
    );
  });

  it("keeps other runs' fingerprints while their files exist, and drops those of deleted files", () => {
    const { dir, file, task } = setUp();
    const other = join(dir, '..', '0002_other.py');
    writeFileSync(other, 'class Migration: pass\n');
    const otherTask: LintTask = { path: other, file: other, mode: 'lint', config: 0 };
    const first = RunCache.open(dir, -60_000) as RunCache;
    first.hashAll([task, otherTask], [config]);
    first.saveStats();
    const paths = (): string[] => (deserialize(readFileSync(join(dir, 'stats.bin'))) as { paths: string }).paths.split('\0').sort();
    assert.deepEqual(paths(), [other, file].sort());
    // A run over the first file alone, which learns something (the file changed): the other file is kept.
    writeFileSync(file, 'class Migration: Pass\n');
    const second = RunCache.open(dir, -60_000) as RunCache;
    second.hashAll([task], [config]);
    second.saveStats();
    assert.deepEqual(paths(), [other, file].sort());
    // The other file is deleted: the next save that learns something drops it.
    rmSync(other);
    writeFileSync(file, 'class Migration: PASS\n');
    const third = RunCache.open(dir, -60_000) as RunCache;
    third.hashAll([task], [config]);
    third.saveStats();
    assert.deepEqual(paths(), [file]);
  });

  it('ignores a damaged fingerprint pack', () => {
    const { dir, file, task } = setUp();
    RunCache.open(dir);
    writeFileSync(join(dir, 'stats.bin'), 'not a pack');
    const cache = RunCache.open(dir) as RunCache;
    assert.deepEqual(cache.hashAll([task], [config]), [contentHash(readFileSync(file))]);
  });
});

/**
 * The project step's cache key (run-cache.ts projectKey): the SHA-1 of the settings and of every
 * file's part, each after a NUL, whatever way the parts are fed to the hash; unknown when any part is.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { projectKey } from '../server/src/cli/run-cache';

const settings = { target: 'postgresql', rules: { 'drop-column': 'error' } };
const expected = (parts: readonly string[]) => createHash('sha1').update(JSON.stringify(settings)).update(parts.map((p) => `\0${p}`).join('')).digest('base64');

describe('projectKey', () => {
  it('is the hash of the settings and every part after a NUL, for any number of parts', () => {
    for (const n of [0, 1, 999, 1000, 1001, 2500]) {
      const parts = Array.from({ length: n }, (_, i) => `app${i % 7}/migrations/${i}_x.py\u0001${(i * 7919).toString(36)}`);
      assert.equal(projectKey(parts, settings), expected(parts), `${n} parts`);
    }
  });

  it('changes with any one part, and with its place', () => {
    const parts = Array.from({ length: 1500 }, (_, i) => `f${i}`);
    const base = projectKey(parts, settings);
    const changed = [...parts];
    changed[1234] = 'other';
    assert.notEqual(projectKey(changed, settings), base);
    const swapped = [...parts];
    [swapped[10], swapped[11]] = [swapped[11] as string, swapped[10] as string];
    assert.notEqual(projectKey(swapped, settings), base);
  });

  it('is unknown when any part is, in any chunk', () => {
    for (const at of [0, 999, 1000, 1499]) {
      const parts: Array<string | null> = Array.from({ length: 1500 }, (_, i) => `f${i}`);
      parts[at] = null;
      assert.equal(projectKey(parts, settings), null, `null at ${at}`);
    }
  });
});

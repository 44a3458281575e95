/**
 * runWithCodeCache (code-cache.ts) reads an all-ASCII bundle as Latin-1, which gives the same string
 * without UTF-8 decoding; a bundle with other characters must still be read as UTF-8, and the digest
 * it hands the bundle (bundleDigest, the build id of the check cache) is the SHA-1 of the file's bytes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codeCacheSandbox } from './helpers/code-cache-dir';
import { bundleDigest, runWithCodeCache } from '../server/src/code-cache';

describe('a bundle run through the code cache', () => {
  const dir = codeCacheSandbox('mg-code-cache-read-');

  const run = (name: string, text: string): { value: unknown; digest: string | null; file: string } => {
    const file = join(dir, name);
    writeFileSync(file, text);
    const key = Symbol.for(`mg-test-${name}`);
    runWithCodeCache(file);
    return { value: (globalThis as Record<symbol, unknown>)[key], digest: bundleDigest(file), file };
  };

  for (const [name, literal] of [
    ['ascii.js', 'plain text, \\u00e9 escaped'],
    ['utf8.js', 'caf\u00e9 \u2014 \u65e5\u672c'],
  ] as const) {
    it(`gives the bundle its own text and the SHA-1 of its bytes: ${name}`, () => {
      const text = `globalThis[Symbol.for(${JSON.stringify(`mg-test-${name}`)})] = ${JSON.stringify(literal)} + ${JSON.stringify(String.raw`\u00e9`)}.length;\n`;
      const { value, digest, file } = run(name, text);
      // What Node's own loader would make of the file.
      const expected = (new Function(`return ${JSON.stringify(literal)} + ${JSON.stringify(String.raw`\u00e9`)}.length;`) as () => string)();
      assert.equal(value, expected);
      assert.equal(digest, createHash('sha1').update(readFileSync(file)).digest('base64'));
      assert.equal(bundleDigest(join(dir, 'other.js')), null);
    });
  }
});

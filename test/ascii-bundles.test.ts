/**
 * The bundles are written all ASCII (scripts/ascii-comments.mjs): Node reads a file that has one
 * character outside ASCII as a two-byte string, slower to read, hash and compile at every start of
 * the CLI, its workers and the server. The comments esbuild keeps lose those characters one for one
 * (the source maps' columns stay right); a character anywhere else stops the build.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DIST, REPO_ROOT } from './helpers/paths';

interface AsciiModule {
  asciiComments(text: string, file: string): string;
}

// Loaded at run time: tsc does not compile the build scripts, and an .mjs cannot be require()d.
const load = new Function('p', 'return import(p)') as (p: string) => Promise<AsciiModule>;

describe('bundles written as ASCII', () => {
  let mod: AsciiModule;
  before(async () => {
    mod = await load(join(REPO_ROOT, 'scripts', 'ascii-comments.mjs'));
  });

  it('turns each character of a comment into one ASCII character, columns kept', () => {
    const text = ['class A {', '  /**', '   * One element\u2026 \u2014 or \u2192 x \u{1F600}.', '   */', '  f() { return 1; } // a \u00e9t\u00e9', '}'].join('\n');
    const out = mod.asciiComments(text, 'a.js');
    assert.equal(out.length, text.length);
    assert.match(out, /^[\x00-\x7f]*$/);
    assert.equal(out.split('\n')[2], '   * One element. - or > x ??.');
    assert.equal(out.split('\n')[4], '  f() { return 1; } // a ?t?');
  });

  it('leaves ASCII text as it is', () => {
    const text = 'const s = "\\u2026";\n/** plain */\n';
    assert.equal(mod.asciiComments(text, 'a.js'), text);
  });

  it('stops at a character outside ASCII that is not in a comment', () => {
    assert.throws(() => mod.asciiComments('const a = 1;\nconst s = "\u2026";\n', 'b.js'), /b\.js:2: a character outside ASCII that is not in a comment/);
  });

  it('every bundle npm run build wrote is ASCII', () => {
    const bundles = readdirSync(DIST).filter((f) => f.endsWith('.js'));
    assert.ok(bundles.includes('cli.js') && bundles.includes('cli-core.js') && bundles.includes('cli-worker-core.js') && bundles.includes('server-core.js'), `bundles: ${bundles.join(', ')}`);
    for (const f of bundles) {
      const bytes = readFileSync(join(DIST, f));
      const at = bytes.findIndex((b) => b > 0x7f);
      assert.equal(at, -1, `${f}: a byte outside ASCII at ${at}`);
    }
  });
});

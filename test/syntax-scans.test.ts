/**
 * The editor's syntax scans of a changed text (syntax-scans.ts): started again before the change
 * and rejoining the last scan after it, they must find exactly what a scan of the whole new text
 * finds — the first indentation error and the first error in a call's arguments, at the same line
 * and column, with the same message — over runs of random edits to the fixture migrations and to
 * texts built to have such errors.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { argumentError, argumentProblem, argumentScan, argumentScanAfterEdit, problemOf } from '../server/src/analysis/argument-errors';
import { indentationError, indentationProblem, indentationProblemOf, indentationScan, indentationScanAfterEdit } from '../server/src/analysis/indentation';
import { differenceOf, SyntaxScans } from '../server/src/analysis/syntax-scans';
import { bigMixedMigration } from './helpers/big-migration';
import { getParser } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

/** A small deterministic generator (mulberry32), so a failure names a seed that repeats it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pythonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return pythonFiles(path);
    return name.endsWith('.py') ? [path] : [];
  });
}

/** What keystrokes and pastes put into a migration, including what breaks it: quotes, brackets, indentation, a repeated keyword. */
const PIECES = ['x', ' ', '\n', '    ', '\t', '"', "'", '"""', "'''", '(', ')', '[', ']', '{', '}', ',', ':', '=', '#', '\\\n', '\r\n', 'name="a", ', 'name=1, name=2', 'f(a=1, 2)', 'lambda a, b: 0', 'def f(', 'if x:\n', '\n        pass\n', '**k, ', '*a', 'del 1\n'];

/** One random edit of `text`: an insertion, a deletion, a replacement, or a line copied elsewhere (a duplicated keyword). */
function edit(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1));
  const kind = next();
  if (kind < 0.4) return text.slice(0, at) + (PIECES[Math.floor(next() * PIECES.length)] as string) + text.slice(at);
  if (kind < 0.6) return text.slice(0, at) + text.slice(Math.min(text.length, at + 1 + Math.floor(next() * 40)));
  if (kind < 0.8) return text.slice(0, at) + (PIECES[Math.floor(next() * PIECES.length)] as string) + text.slice(Math.min(text.length, at + 1 + Math.floor(next() * 3)));
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const lineEnd = text.indexOf('\n', at);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd + 1);
  const to = text.indexOf('\n', Math.floor(next() * text.length));
  return to === -1 ? text + line : text.slice(0, to + 1) + line + text.slice(to + 1);
}

/** Texts to edit: every fixture migration, a generated 3,000-operation one, and some built around the errors. */
function texts(): Array<[string, string]> {
  const fixtures = pythonFiles(FIXTURES).map((f): [string, string] => [f.slice(FIXTURES.length + 1), readFileSync(f, 'utf8')]);
  const built: Array<[string, string]> = [
    ['generated, 3,000 operations', bigMixedMigration(3000)],
    ['a keyword given twice far down', `${bigMixedMigration(400)}\nf(a=1,\n  a=2)\n`],
    ['an indented block that is missing', `${'x = 1\n'.repeat(300)}def f():\nreturn 1\n${'y = 2\n'.repeat(300)}`],
    ['tabs and spaces', `if a:\n${'    b = 1\n'.repeat(200)}\tc = 2\n`],
    ['a triple-quoted string over many lines', `x = """\n${'text ( [ {\n'.repeat(300)}"""\nf(a=1, b=2)\n`],
  ];
  return [...fixtures, ...built];
}

describe('syntax scans of an edited text', () => {
  it('find what a scan of the whole new text finds, edit after edit', () => {
    const all = texts();
    assert.ok(all.length > 1000, `the fixtures are there (${all.length} texts)`);
    let edits = 0;
    let problems = 0;
    all.forEach(([name, original], n) => {
      const seed = 1000 + n;
      const next = random(seed);
      let text = original;
      let args = argumentScan(text);
      let indentation = indentationScan(text);
      // Long runs on the large texts (where the scans start again and rejoin), a few on the others.
      const rounds = text.length > 20_000 ? 200 : 12;
      for (let r = 0; r < rounds; r++) {
        const changed = edit(text, next);
        const d = differenceOf(text, changed);
        text = changed;
        edits++;
        if (!d) continue;
        args = argumentScanAfterEdit(text, args, d.from, d.oldEnd, d.newEnd);
        indentation = indentationScanAfterEdit(text, indentation, d.from, d.oldEnd, d.newEnd);
        const where = `${name}, seed ${seed}, edit ${r + 1}`;
        const wholeArgs = argumentProblem(text);
        const wholeIndentation = indentationProblem(text);
        assert.deepEqual(problemOf(text, args), wholeArgs, `${where}: argument errors`);
        assert.deepEqual(indentationProblemOf(indentation), wholeIndentation, `${where}: indentation errors`);
        if (wholeArgs || wholeIndentation) problems++;
        // Now and then a text goes back to its first form, as an undo does.
        if (next() < 0.05) {
          const back = differenceOf(text, original);
          text = original;
          if (back) {
            args = argumentScanAfterEdit(text, args, back.from, back.oldEnd, back.newEnd);
            indentation = indentationScanAfterEdit(text, indentation, back.from, back.oldEnd, back.newEnd);
          }
        }
      }
    });
    // Both kinds of outcome were met: texts with an error and texts without.
    assert.ok(problems > 1000 && problems < edits - 1000, `${problems} of ${edits} edited texts had an error`);
  });

  it('rejoin only where what follows the change reads as it did', () => {
    // Each line of the text is edited in turn, so that the change ends right at a place the last scan
    // kept its state (they are about a thousand characters apart).
    const cases: Array<[string, (line: string) => string, string]> = [
      // Whether `(` opens a call is read from the name before it: `if (` does not, `foo(` does.
      ['if (a=1, a=2)\n', (l) => l.replace('if ', 'foo'), 'argument'],
      ['foo(a=1, 2)\n', (l) => l.replace('foo', 'def'), 'argument'],
      // `)(` and `](` open calls, `}(` does not: the character right before a loop head is read.
      ['{x}(a=1, a=1)\n', (l) => l.replace('{x}', '[x]'), 'argument'],
      // A header's ':' wants the next line indented: the state at the next line's start differs only there.
      ['x = 1\n', (l) => l.replace('1', '1:'), 'indentation'],
      ['if a:\n    b = 1\n', (l) => l.replace(':', ''), 'indentation'],
    ];
    for (const [line, change, kind] of cases) {
      const lines = Array.from({ length: 400 }, () => line);
      const text = lines.join('');
      const args = argumentScan(text);
      const indentation = indentationScan(text);
      for (let k = 0; k < lines.length; k++) {
        const changed = [...lines.slice(0, k), change(line), ...lines.slice(k + 1)].join('');
        const d = differenceOf(text, changed);
        assert.ok(d);
        if (kind === 'argument') assert.deepEqual(problemOf(changed, argumentScanAfterEdit(changed, args, d.from, d.oldEnd, d.newEnd)), argumentProblem(changed), `${JSON.stringify(line)}, line ${k + 1}`);
        else assert.deepEqual(indentationProblemOf(indentationScanAfterEdit(changed, indentation, d.from, d.oldEnd, d.newEnd)), indentationProblem(changed), `${JSON.stringify(line)}, line ${k + 1}`);
      }
    }
  });

  it('name one changed stretch: the longest common start and end', () => {
    assert.equal(differenceOf('abc', 'abc'), null);
    assert.deepEqual(differenceOf('abcdef', 'abXYef'), { from: 2, oldEnd: 4, newEnd: 4 });
    assert.deepEqual(differenceOf('aaaa', 'aaaaa'), { from: 4, oldEnd: 4, newEnd: 5 });
    assert.deepEqual(differenceOf('aaaaa', 'aaaa'), { from: 4, oldEnd: 5, newEnd: 4 });
    const long = 'x'.repeat(5000);
    assert.deepEqual(differenceOf(`${long}a${long}`, `${long}bb${long}`), { from: 5000, oldEnd: 5001, newEnd: 5002 });
    assert.deepEqual(differenceOf('', 'abc'), { from: 0, oldEnd: 0, newEnd: 3 });
  });

  it("answer for the editor's trees as a fresh scan of each tree does", async () => {
    const parser = await getParser();
    const scans = new SyntaxScans();
    const next = random(7);
    const base = `${bigMixedMigration(1500)}\nf(a=1, b=2)\n`;
    let text = base;
    let tree = parser.parse(text);
    let checked = 0;
    try {
      for (let r = 0; r < 100; r++) {
        scans.prime(tree.rootNode);
        const fresh = parser.parse(text);
        try {
          if (!tree.rootNode.hasError) {
            assert.deepEqual(argumentError(tree.rootNode), argumentError(fresh.rootNode), `edit ${r}: argument errors`);
            assert.deepEqual(indentationError(tree.rootNode), indentationError(fresh.rootNode), `edit ${r}: indentation errors`);
            checked++;
          }
        } finally {
          fresh.delete();
        }
        // One edit away from the first text each time (what the editor lints next differs from what it linted last in two places, often).
        text = edit(base, next);
        tree.delete();
        tree = parser.parse(text);
      }
    } finally {
      tree.delete();
    }
    assert.ok(checked > 30, `${checked} trees without an error of tree-sitter's own were compared`);
  });
});

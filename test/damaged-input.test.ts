/**
 * Damaged input, as a user's tree may hold it: the rule fixtures copied with seeded random edits
 * (lines deleted, duplicated, swapped or re-indented, characters cut, tokens inserted), then
 * `check --unsafe-fixes` over the copy, as users run it. It must end normally (no internal error),
 * and it must never edit a file that Python itself cannot compile (Debian's python3 judges, before
 * and after): a fix computed on error recovery's guess is no fix. The files that do compile may be
 * fixed, and must still compile afterwards. (The fixtures written in Python 2 on purpose, which the
 * rules read and fix as old projects need, are judged among the damaged files only.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { TempDirs } from './helpers/cli';
import { DJANGO_PYTHON } from './helpers/django';
import { DIST, FIXTURES } from './helpers/paths';

const temps = new TempDirs();
after(() => temps.removeAll());

function pyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return pyFiles(path);
    return name.endsWith('.py') ? [path] : [];
  });
}

/** xorshift32: the same edits on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const INSERTS = ['*args', '(', ')', '[', ']', ',', 'None', '"x"', '\n    ', '\t', 'lambda: 0', '.save()', '"""', '\\', '#', ':'];

function damage(text: string, rand: () => number): string {
  const lines = text.split('\n');
  const pick = (n: number) => Math.floor(rand() * n);
  switch (pick(7)) {
    case 0:
      lines.splice(pick(lines.length), 1);
      return lines.join('\n');
    case 1: {
      const i = pick(lines.length);
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    }
    case 2: {
      const i = pick(lines.length);
      const j = pick(lines.length);
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      return lines.join('\n');
    }
    case 3: {
      const i = pick(lines.length);
      const line = lines[i] ?? '';
      lines[i] = rand() < 0.5 ? `    ${line}` : line.replace(/^ {1,4}/, '');
      return lines.join('\n');
    }
    case 4: {
      const a = pick(text.length);
      return text.slice(0, a) + text.slice(a + 1 + pick(20));
    }
    case 5:
      return text.slice(0, pick(text.length));
    default: {
      const a = pick(text.length);
      return text.slice(0, a) + (INSERTS[pick(INSERTS.length)] as string) + text.slice(a);
    }
  }
}

/** The files under `root` Python cannot compile, by path relative to it. */
function notCompiling(root: string): string[] {
  const script = [
    'import os, sys',
    'root = sys.argv[1]',
    'for d, _, names in os.walk(root):',
    '    for n in names:',
    '        if n.endswith(".py"):',
    '            p = os.path.join(d, n)',
    '            try:',
    '                compile(open(p, "rb").read(), p, "exec")',
    '            except (SyntaxError, ValueError):',
    '                print(os.path.relpath(p, root))',
  ].join('\n');
  const r = spawnSync(DJANGO_PYTHON, ['-c', script, root], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('check --unsafe-fixes on damaged migrations', () => {
  it('ends normally, edits no file Python cannot compile, and leaves every fixed file compiling', () => {
    const root = temps.make();
    cpSync(join(FIXTURES, 'rules'), root, { recursive: true });
    // Fixtures in Python 2 spellings never compile; the linter reads (and fixes) them on purpose.
    const python2 = new Set(notCompiling(root));
    const rand = random(20261205);
    const files = pyFiles(root);
    const damagedFiles = new Set<string>();
    for (const file of files) {
      if (rand() >= 0.5) continue;
      let text = readFileSync(file, 'latin1');
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) text = damage(text, rand);
      writeFileSync(file, text, 'latin1');
      damagedFiles.add(relative(root, file));
    }
    const broken = notCompiling(root);
    const brokenByDamage = broken.filter((rel) => damagedFiles.has(rel) && !python2.has(rel));
    // Both sides are exercised: many files Python refuses, many it compiles.
    assert.ok(damagedFiles.size > 150 && brokenByDamage.length > 100 && broken.length < files.length - 100, `${damagedFiles.size} damaged, ${brokenByDamage.length} of them and ${broken.length} of ${files.length} in all not compiling`);
    const before = new Map(brokenByDamage.map((rel) => [rel, readFileSync(join(root, rel))]));
    const run = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--no-cache', '--fix', '--unsafe-fixes', '.'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr.slice(0, 2000)}`);
    assert.doesNotMatch(run.stdout + run.stderr, /internal error/);
    const edited = [...before].filter(([rel, bytes]) => !readFileSync(join(root, rel)).equals(bytes)).map(([rel]) => rel);
    assert.deepEqual(edited, [], 'files Python cannot compile were edited');
    // Fixes that were written leave the files Python compiled compiling.
    assert.deepEqual(notCompiling(root), broken);
  });
});

/**
 * The command line on hostile or broken input, each case found by trying it: a migration that does
 * not parse, expressions thousands of levels deep, files that are not regular files or are huge,
 * files in another encoding, and symlinks that lead out of the tree being fixed. One file's trouble
 * is that file's finding or warning, never the end of the run, and nothing outside the tree changes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, TempDirs, writeFileIn, type JsonFinding } from './helpers/cli';
import { deepSources } from './helpers/deep-sources';
import { DJANGO_PYTHON } from './helpers/django';

const temps = new TempDirs();
after(() => temps.removeAll());

const ORDINARY = `from django.db import migrations


class Migration(migrations.Migration):
    operations = [migrations.RunSQL("UPDATE shop_item SET flag = true")]
`;

describe('cli: a migration that does not parse', () => {
  it('is a syntax-error finding (exit 1), not "No problems found" with exit 0', () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop', 'migrations', '0002_half_typed.py'), 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.RunSQL("SELECT 1", migrations.RunSQL.noop\n')
    const run = runCli(['check', '--format', 'json', '.'], root);
    assert.equal(run.code, 1, run.stderr);
    const findings = JSON.parse(run.stdout) as JsonFinding[];
    assert.deepEqual(findings.map((f) => `${f.path}:${f.rule}:${f.severity}`), ['shop/migrations/0002_half_typed.py:syntax-error:error']);
  });
});

describe('cli: expressions thousands of levels deep', () => {
  it('lints every shape of a 5,000-deep expression and still reports the other files', () => {
    const root = temps.make();
    const sources = deepSources(5000);
    sources.forEach((s, i) => writeFileIn(join(root, 'shop', 'migrations', `${String(i + 2).padStart(4, '0')}_${s.name}.py`), s.text));
    writeFileIn(join(root, 'shop', 'migrations', '0100_ordinary.py'), ORDINARY);
    const run = runCli(['check', '--format', 'json', '--jobs', '1', '.'], root, { timeoutMs: 120_000 });
    assert.doesNotMatch(run.stderr, /internal error|could not be checked/);
    assert.equal(run.code, 1, run.stderr);
    const findings = JSON.parse(run.stdout) as JsonFinding[];
    sources.forEach((s, i) => {
      const path = `shop/migrations/${String(i + 2).padStart(4, '0')}_${s.name}.py`;
      assert.ok(findings.some((f) => f.path === path && f.rule === s.expects), `${s.name}: ${s.expects} not reported`);
    });
    assert.ok(findings.some((f) => f.path === 'shop/migrations/0100_ordinary.py' && f.rule === 'runsql-no-reverse'));
  });
});

/** A migration whose fixes touch only the class, below a module part holding non-ASCII text. */
const LATIN1_HEAD = '# -*- coding: latin-1 -*-\nfrom django.db import migrations\n\nPRICE_LABEL = "£é"\n\n\ndef forwards(apps, schema_editor):\n    Item = apps.get_model("shop", "Item")\n    Item.objects.filter(label="").update(label=PRICE_LABEL)\n\n\n';
const LATIN1_CLASS = 'class Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n\n    operations = [\n        migrations.RunPython(forwards),\n        migrations.RunSQL("CREATE INDEX CONCURRENTLY shop_item_label ON shop_item (label)"),\n    ]\n';

/** What Python reads from a file: its text decoded per its coding line (compiled, never run). */
function pythonReads(file: string, name: string): string {
  const r = spawnSync(DJANGO_PYTHON, ['-c', `import ast, json, sys\ntree = ast.parse(open(sys.argv[1], 'rb').read())\nprint(json.dumps([n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == sys.argv[2]][0]))`, file, name], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string;
}

describe('cli: files in their declared encoding', () => {
  it('--unsafe-fixes on a latin-1 migration keeps its encoding and every byte outside the edits', () => {
    const root = temps.make();
    const file = join(root, 'shop', 'migrations', '0002_labels.py');
    const before = Buffer.from(LATIN1_HEAD + LATIN1_CLASS, 'latin1');
    writeFileIn(file, before);
    const run = runCli(['check', '--fix', '--unsafe-fixes', '.'], root);
    assert.match(run.stderr, /fixed 3 problems in 1 file/);
    const after = readFileSync(file);
    const head = Buffer.from(LATIN1_HEAD, 'latin1');
    assert.deepEqual(after.subarray(0, head.length), head, 'the bytes before the first edit are unchanged');
    assert.ok(!after.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'no U+FFFD written');
    assert.match(after.toString('latin1'), /atomic = False/);
    assert.equal(pythonReads(file, 'PRICE_LABEL'), '£é');
  });

  it('keeps a UTF-8 byte-order mark and the bytes around the edit', () => {
    const root = temps.make();
    const file = join(root, 'shop', 'migrations', '0002_labels.py');
    const text = LATIN1_HEAD.replace('# -*- coding: latin-1 -*-\n', '') + LATIN1_CLASS;
    writeFileIn(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
    assert.equal(runCli(['check', '--fix', '.'], root).code, 1);
    const after = readFileSync(file);
    assert.deepEqual([...after.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(pythonReads(file, 'PRICE_LABEL'), '£é');
    assert.ok(after.toString('utf8').includes('atomic = False'));
  });

  it('refuses to edit a file it cannot decode, and reports it as Python would (syntax-error)', () => {
    const root = temps.make();
    const file = join(root, 'shop', 'migrations', '0002_labels.py');
    // latin-1 bytes and no coding line: Python refuses to read it.
    const bytes = Buffer.from(LATIN1_HEAD.replace('# -*- coding: latin-1 -*-\n', '') + LATIN1_CLASS, 'latin1');
    writeFileIn(file, bytes);
    const run = runCli(['check', '--fix', '--unsafe-fixes', '--format', 'json', '.'], root);
    assert.deepEqual(readFileSync(file), bytes, 'not a byte changed');
    assert.match(run.stderr, /not fixed: it is not valid UTF-8 and declares no encoding/);
    const findings = JSON.parse(run.stdout) as JsonFinding[];
    const error = findings.find((f) => f.rule === 'syntax-error');
    assert.equal(error?.line, 3, 'at the first byte Python cannot decode');
    assert.ok(findings.some((f) => f.rule === 'missing-atomic-false'), 'the rest is still linted');
  });

  it('split keeps the original in latin-1 and writes a new part Python reads', () => {
    const root = temps.make();
    const file = join(root, 'shop', 'migrations', '0002_labels.py');
    writeFileIn(file, Buffer.from(LATIN1_HEAD + LATIN1_CLASS, 'latin1'));
    const run = runCli(['split', 'shop/migrations/0002_labels.py'], root);
    assert.equal(run.code, 0, run.stderr);
    const original = readFileSync(file);
    assert.ok(original.subarray(0, Buffer.from(LATIN1_HEAD, 'latin1').length).equals(Buffer.from(LATIN1_HEAD, 'latin1')));
    assert.equal(pythonReads(file, 'PRICE_LABEL'), '£é');
    const parts = readdirSync(join(root, 'shop', 'migrations')).sort();
    assert.equal(parts.length, 2, parts.join(', '));
    const second = join(root, 'shop', 'migrations', parts[1] as string);
    const compiled = spawnSync(DJANGO_PYTHON, ['-c', 'import sys; compile(open(sys.argv[1], "rb").read(), sys.argv[1], "exec")', second], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
  });
});

describe('cli: never writes outside the tree it was given', () => {
  function linkedProject(): { root: string; outsideFile: string; outsideBytes: Buffer } {
    const base = temps.make();
    const outsideFile = join(base, 'elsewhere', 'shared_0002.py');
    writeFileIn(outsideFile, LATIN1_CLASS.replace('class', 'from django.db import migrations\n\n\nclass'));
    const root = join(base, 'project');
    writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = []\n');
    symlinkSync(outsideFile, join(root, 'shop', 'migrations', '0002_linked.py'));
    return { root, outsideFile, outsideBytes: readFileSync(outsideFile) };
  }

  it('--fix does not write through a symlink that leads out of the tree, and says so', () => {
    const { root, outsideFile, outsideBytes } = linkedProject();
    const run = runCli(['check', '--fix', '--unsafe-fixes', '.'], root);
    assert.deepEqual(readFileSync(outsideFile), outsideBytes);
    assert.match(run.stderr, /0002_linked\.py: not fixed: .* outside /);
    assert.equal(run.code, 1, 'its findings are still reported');
  });

  it('--fix writes through a symlink that stays inside the tree', () => {
    const { root } = linkedProject();
    const inside = join(root, 'shared', 'real_0003.py');
    writeFileIn(inside, readFileSync(join(root, 'shop', 'migrations', '0002_linked.py')));
    symlinkSync(inside, join(root, 'shop', 'migrations', '0003_inside.py'));
    runCli(['check', '--fix', '--unsafe-fixes', 'shop', 'shared'], root);
    assert.match(readFileSync(inside, 'utf8'), /atomic = False/);
  });

  it('split refuses a migration that is a symlink out of the root, writing nothing', () => {
    const { root, outsideFile, outsideBytes } = linkedProject();
    const run = runCli(['split', 'shop/migrations/0002_linked.py'], root);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /outside/);
    assert.deepEqual(readFileSync(outsideFile), outsideBytes);
    assert.deepEqual(readdirSync(join(root, 'shop', 'migrations')).sort(), ['0001_initial.py', '0002_linked.py']);
  });
});

describe('cli: files that are not regular files, or too large', () => {
  it('skips a FIFO, a link to a FIFO, a link to /dev/zero and an oversized file, with a warning each, and lints the rest', () => {
    const root = temps.make();
    const dir = join(root, 'shop', 'migrations');
    writeFileIn(join(dir, '0001_ordinary.py'), ORDINARY);
    const fifo = spawnSync('mkfifo', [join(dir, '0002_fifo.py')]);
    assert.equal(fifo.status, 0, 'mkfifo is needed for this test');
    spawnSync('mkfifo', [join(root, 'pipe')]);
    symlinkSync(join(root, 'pipe'), join(dir, '0003_pipe_link.py'));
    symlinkSync('/dev/zero', join(dir, '0004_zero.py'));
    writeFileIn(join(dir, '0005_huge.py'), `${ORDINARY}${'# padding\n'.repeat(2000)}`);
    writeFileIn(join(root, 'pyproject.toml'), '[tool.migration-guard]\nmax-file-size = 10000\n');
    const run = runCli(['check', '--format', 'json', '.'], root, { timeoutMs: 20_000 });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /0002_fifo\.py: skipped: a named pipe, not a regular file/);
    assert.match(run.stderr, /0003_pipe_link\.py: skipped: a named pipe/);
    assert.match(run.stderr, /0004_zero\.py: skipped: a character device/);
    assert.match(run.stderr, /0005_huge\.py: skipped: 20\d+ bytes, more than max-file-size \(10000\)/);
    const findings = JSON.parse(run.stdout) as JsonFinding[];
    assert.deepEqual([...new Set(findings.map((f) => f.path))], ['shop/migrations/0001_ordinary.py']);
    const wider = runCli(['check', '--format', 'json', '--max-file-size', '100000', 'shop/migrations/0005_huge.py'], root);
    assert.equal((JSON.parse(wider.stdout) as JsonFinding[]).length, 1, '--max-file-size overrides pyproject.toml');
    assert.equal(runCli(['check', '--max-file-size', 'lots', '.'], root).code, 2);
  });
});

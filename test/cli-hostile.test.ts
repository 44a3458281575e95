/**
 * The command line on hostile or broken input, each case found by trying it: a migration that does
 * not parse, expressions thousands of levels deep, files that are not regular files or are huge,
 * files in another encoding, and symlinks that lead out of the tree being fixed. One file's trouble
 * is that file's finding or warning, never the end of the run, and nothing outside the tree changes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, TempDirs, writeFileIn } from './helpers/cli';
import { deepSources } from './helpers/deep-sources';

const temps = new TempDirs();
after(() => temps.removeAll());

interface JsonFinding {
  path: string;
  line: number;
  rule: string;
  severity: string;
}

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

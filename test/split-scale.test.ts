/**
 * Split on machine-sized migrations: the time grows linearly with the number of operations
 * (4x the operations, well under 16x the time), the plan is the same whatever the size, and
 * `--dry-run` of 8,000 operations stays within a few hundred megabytes (it printed a quadratic
 * diff of every new part before).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bigMixedMigration } from './helpers/big-migration';
import { CLI, TempDirs, writeFileIn } from './helpers/cli';

const temps = new TempDirs();
after(() => temps.removeAll());

function project(operations: number, runLength: number): string {
  const root = temps.make();
  const dir = join(root, 'shop', 'migrations');
  writeFileIn(join(dir, '0001_initial.py'), 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = []\n');
  writeFileIn(join(dir, '0002_big.py'), bigMixedMigration(operations, runLength));
  writeFileIn(join(dir, '0003_after.py'), 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_big")]\n    operations = []\n');
  return root;
}

/** Runs the CLI and returns its wall time and peak resident memory (reported by the child itself). */
function measured(args: string[], cwd: string): { ms: number; maxRssMb: number; stdout: string; code: number | null } {
  const probe = join(cwd, 'peak-memory.js');
  writeFileSync(probe, "process.on('exit', () => require('fs').writeSync(2, `\\nPEAK_RSS_KB ${process.resourceUsage().maxRSS}\\n`));\n");
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', probe, CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const kb = Number(/PEAK_RSS_KB (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ms, maxRssMb: kb / 1024, stdout: r.stdout, code: r.status };
}

describe('split at scale', () => {
  it('takes linear time: 8,000 operations cost well under 16x what 2,000 do', () => {
    const small = project(2000, 250);
    const large = project(8000, 1000);
    // Best of two, to keep a neighbour's load on this machine out of the ratio.
    const time = (root: string) => Math.min(...[0, 1].map(() => measured(['split', '--dry-run', 'shop/migrations/0002_big.py'], root).ms));
    const t2k = time(small);
    const t8k = time(large);
    assert.ok(t8k / t2k < 7, `2,000 operations: ${t2k.toFixed(0)} ms; 8,000: ${t8k.toFixed(0)} ms (${(t8k / t2k).toFixed(1)}x)`);
    const written = measured(['split', 'shop/migrations/0002_big.py'], large);
    assert.equal(written.code, 0);
    assert.equal(readdirSync(join(large, 'shop', 'migrations')).filter((f) => f.endsWith('.py')).length, 3 + 7, 'eight parts, each run of 1,000 its own migration');
  });

  it('--dry-run on 8,000 operations in two halves stays under 400 MB and prints each new part as a new file', () => {
    const root = project(8000, 4000);
    const run = measured(['split', '--dry-run', 'shop/migrations/0002_big.py'], root);
    assert.equal(run.code, 0);
    assert.ok(run.maxRssMb < 400, `peak memory ${run.maxRssMb.toFixed(0)} MB`);
    assert.match(run.stdout, /^@@ -0,0 \+1,\d+ @@$/m, 'a new part is all insertion');
    assert.equal(run.stdout.split('\n').filter((l) => l.startsWith('+        migrations.RunSQL(')).length, 4000);
  });
});

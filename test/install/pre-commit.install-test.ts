/**
 * The pre-commit hook, run by pre-commit itself (Debian's package) from a local clone of this
 * repository, in a project that names only `repo:`, `rev:` and the hook id: pre-commit installs
 * the tool into its own environment (`language: node`), with nothing installed globally.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SAVE_LOOP_MIGRATION, TempDirs, writeFileIn } from '../helpers/cli';
import { gitIn, snapshotRepository } from '../helpers/snapshot';

const temps = new TempDirs();
after(() => temps.removeAll());

const CLEAN = 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = []\n';

function preCommit(project: string, home: string, args: string[]): { code: number | null; output: string } {
  const r = spawnSync('pre-commit', args, { cwd: project, encoding: 'utf8', timeout: 600_000, env: { ...process.env, PRE_COMMIT_HOME: home } });
  if (r.error) throw new Error(`pre-commit is needed for this test (Debian: apt-get install pre-commit): ${r.error.message}`);
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('pre-commit hook (language: node)', () => {
  it('installs from the repository and flags the migrations being committed', () => {
    const repo = temps.make('migration-guard-hook-repo-');
    const rev = snapshotRepository(repo);
    const project = temps.make('migration-guard-hook-project-');
    writeFileIn(join(project, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(join(project, 'shop', 'migrations', '0001_initial.py'), CLEAN);
    writeFileIn(join(project, 'shop', 'migrations', '0002_flag_items.py'), SAVE_LOOP_MIGRATION);
    writeFileIn(join(project, 'shop', 'models.py'), 'SAVE = "item.save() in a loop here is not a migration"\n');
    writeFileIn(join(project, '.pre-commit-config.yaml'), `repos:\n  - repo: ${repo}\n    rev: ${rev}\n    hooks:\n      - id: migration-guard\n`);
    gitIn(project, ['init', '-q']);
    gitIn(project, ['add', '-A']);
    const home = temps.make('migration-guard-pre-commit-home-');

    const all = preCommit(project, home, ['run', '--all-files']);
    assert.equal(all.code, 1, all.output);
    assert.match(all.output, /Django Migration Guard\.+Failed/);
    assert.match(all.output, /shop\/migrations\/0002_flag_items\.py:\d+:\d+: warning \[unbatched-save-loop\]/);
    assert.match(all.output, /shop\/migrations\/0002_flag_items\.py:\d+:\d+: warning \[runpython-no-reverse\]/);
    assert.match(all.output, /in 1 file \(2 checked\)/, 'only the migrations are handed to the hook');

    const clean = preCommit(project, home, ['run', '--files', 'shop/migrations/0001_initial.py', 'shop/models.py']);
    assert.equal(clean.code, 0, clean.output);
    assert.match(clean.output, /Django Migration Guard\.+Passed/);
  });
});

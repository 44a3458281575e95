/**
 * `check --changed-since REV`: only the migrations a branch adds or changes (committed, staged,
 * unstaged, untracked) are reported, in a real git repository; a bad revision, a folder outside
 * git, or no git at all are clear errors; and git is run so that the repository's own
 * configuration cannot make it start programs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { selectTasks } from '../server/src/cli/changed-since';
import type { LintTask } from '../server/src/cli/types';
import { runCli, TempDirs, writeFileIn } from './helpers/cli';
import { writeRealisticProject } from './helpers/realistic-project';

const temps = new TempDirs();
after(() => temps.removeAll());

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.email=dev@example.com', '-c', 'user.name=Dev', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const LOOP = (dependency: string) => `from django.db import migrations


def forwards(apps, schema_editor):
    for row in apps.get_model("billing", "Billingitem").objects.all():
        row.save()


class Migration(migrations.Migration):
    dependencies = [("billing", "${dependency}")]

    operations = [migrations.RunPython(forwards)]
`;

/** A repository on a feature branch off main, with one change of each kind git knows. */
function branchWithChanges(): string {
  const root = temps.make();
  writeRealisticProject(root, { apps: 3, perApp: 6 });
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'history');
  git(root, 'checkout', '-qb', 'feature');
  writeFileIn(join(root, 'billing', 'migrations', '0007_committed.py'), LOOP('0006_change_6'));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'a migration on the branch');
  writeFileIn(join(root, 'billing', 'migrations', '0008_staged.py'), LOOP('0007_committed'));
  git(root, 'add', 'billing/migrations/0008_staged.py');
  writeFileIn(join(root, 'billing', 'migrations', '0009_untracked.py'), LOOP('0008_staged'));
  writeFileSync(join(root, 'catalog', 'migrations', '0002_change_2.py'), LOOP('0001_initial').replace('billing', 'catalog'));
  rmSync(join(root, 'accounts', 'migrations', '0006_change_6.py'));
  return root;
}

describe('check --changed-since', () => {
  it('reports only the migrations added or changed since the revision', () => {
    const root = branchWithChanges();
    const all = JSON.parse(runCli(['check', '--format', 'json', '.'], root).stdout) as Array<{ path: string }>;
    const run = runCli(['check', '--format', 'json', '--changed-since', 'main', '.'], root);
    assert.equal(run.code, 1, run.stderr);
    const paths = [...new Set((JSON.parse(run.stdout) as Array<{ path: string }>).map((f) => f.path))].sort();
    assert.deepEqual(paths, ['billing/migrations/0007_committed.py', 'billing/migrations/0008_staged.py', 'billing/migrations/0009_untracked.py', 'catalog/migrations/0002_change_2.py']);
    assert.ok(all.some((f) => !paths.includes(f.path)), 'the unchanged history has findings that are left out');
    assert.match(run.stderr, /4 of \d+ files added or changed since main/);
    // From another folder, naming the project: git is asked where the files are.
    const elsewhere = runCli(['check', '--format', 'json', '--changed-since', 'main', root], dirname(root));
    assert.equal((JSON.parse(elsewhere.stdout) as unknown[]).length, (JSON.parse(run.stdout) as unknown[]).length);
  });

  it('selects a subset of the discovered tasks and leaves the full list as it was', async () => {
    const root = branchWithChanges();
    const tasks: LintTask[] = ['billing/migrations/0001_initial.py', 'billing/migrations/0007_committed.py'].map((p) => ({ path: p, file: join(root, p), mode: 'lint', config: 0 }));
    const copy = [...tasks];
    const selected = await selectTasks(tasks, { changedSince: 'main', cwd: root });
    assert.ok(selected.ok);
    assert.deepEqual(selected.tasks.map((t) => t.path), ['billing/migrations/0007_committed.py']);
    assert.deepEqual(tasks, copy);
    const everything = await selectTasks(tasks, { changedSince: null, cwd: root });
    assert.ok(everything.ok && everything.tasks.length === 2);
  });

  it('says clearly what is wrong: an unknown revision, an option as revision, no repository, no git', () => {
    const root = branchWithChanges();
    const unknown = runCli(['check', '--changed-since', 'no-such-branch', '.'], root);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--changed-since: unknown git revision 'no-such-branch'/);
    const option = runCli(['check', '--changed-since=--output=/tmp/x', '.'], root);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /is not a git revision/);
    const outside = temps.make();
    writeFileIn(join(outside, 'app', 'migrations', '0001_initial.py'), LOOP('0000'));
    const norepo = runCli(['check', '--changed-since', 'main', '.'], outside, { env: { ...process.env, GIT_CEILING_DIRECTORIES: dirname(outside) } });
    assert.equal(norepo.code, 2);
    assert.match(norepo.stderr, /is not inside a git work tree/);
    const nogit = runCli(['check', '--changed-since', 'main', '.'], root, { env: { ...process.env, PATH: '/nonexistent' } });
    assert.equal(nogit.code, 2);
    assert.match(nogit.stderr, /--changed-since needs git, and no git program was found on PATH/);
  });

  it('does not let the repository configuration start programs (fsmonitor, external diff)', () => {
    const root = branchWithChanges();
    const marker = join(temps.make(), 'ran');
    const hook = join(root, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    git(root, 'config', 'core.fsmonitor', hook);
    git(root, 'config', 'diff.external', hook);
    const run = runCli(['check', '--changed-since', 'main', '.'], root);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(existsSync(marker), false, 'a program named by the repository config was run');
  });
});

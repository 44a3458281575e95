/**
 * A git repository holding this repository's working tree as it is now (tracked files plus new
 * ones git does not ignore), committed, for tests that install the project the way users do from
 * a clone: pre-commit's `repo:` and a GitHub Action's checkout.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './paths';

function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.email=test@example.com', '-c', 'user.name=Test', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`git is needed for this test: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Copies the working tree into `dir`, commits it there, and returns the commit. */
export function snapshotRepository(dir: string): string {
  const files = git(REPO_ROOT, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean);
  for (const rel of files) {
    const from = join(REPO_ROOT, rel);
    let mode: number;
    try {
      mode = statSync(from).mode;
    } catch {
      continue; // deleted in the working tree
    }
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    copyFileSync(from, join(dir, rel));
    if (mode & 0o111) spawnSync('chmod', ['+x', join(dir, rel)]);
  }
  git(dir, ['init', '-q']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', 'snapshot for an install test']);
  return git(dir, ['rev-parse', 'HEAD']).trim();
}

export { git as gitIn };

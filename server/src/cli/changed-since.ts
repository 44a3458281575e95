/**
 * `check --changed-since REV`: which of the discovered migrations to lint and report — those a
 * pull request adds or changes. That is every file that differs between the merge base of REV and
 * HEAD and the work tree (commits on this branch, staged and unstaged edits) plus untracked files.
 * The selection is a step of its own: it takes the full discovered list and returns the subset to
 * report, so the others can still inform project-wide analysis.
 *
 * git runs as a plain child process (no shell), with its repository-configured programs that a
 * diff could start (fsmonitor, external diff, textconv) turned off (git-process.ts).
 */
import { dirname, resolve, sep } from 'node:path';
import { git, gitMessage, realPath as real } from '../workspace/git-process';
import type { LintTask } from './types';

export type Selection = { ok: true; tasks: LintTask[]; note: string | null } | { ok: false; error: string };

type Changed = { ok: true; root: string; files: Set<string> } | { ok: false; error: string };

/**
 * The work tree holding `dir`, and the absolute (real) paths of its files added or changed since
 * `rev`; or a message saying why not.
 */
export async function changedFiles(rev: string, dir: string): Promise<Changed> {
  if (rev.startsWith('-')) return { ok: false, error: `--changed-since: '${rev}' is not a git revision` };
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  if (top.missing) return { ok: false, error: '--changed-since needs git, and no git program was found on PATH' };
  if (top.code !== 0) return { ok: false, error: `--changed-since: ${dir} is not inside a git work tree (${gitMessage(top)})` };
  const root = real(top.stdout.trim());
  const verified = await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
  if (verified.code !== 0) return { ok: false, error: `--changed-since: unknown git revision '${rev}'` };
  const base = await git(root, ['merge-base', verified.stdout.trim(), 'HEAD']);
  if (base.code !== 0) return { ok: false, error: `--changed-since: no common history between '${rev}' and HEAD (${gitMessage(base)})` };
  const diff = await git(root, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', '--diff-filter=d', base.stdout.trim(), '--']);
  if (diff.code !== 0) return { ok: false, error: `--changed-since: git diff failed (${gitMessage(diff)})` };
  const untracked = await git(root, ['ls-files', '-z', '--others', '--exclude-standard']);
  if (untracked.code !== 0) return { ok: false, error: `--changed-since: git ls-files failed (${gitMessage(untracked)})` };
  const names = [...diff.stdout.split('\0'), ...untracked.stdout.split('\0')].filter((n) => n.length > 0);
  return { ok: true, root, files: new Set(names.map((n) => real(resolve(root, n)))) };
}

function inside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * The tasks to lint and report: all of them, or with `changedSince`, those whose file git reports
 * as added or changed since that revision.
 */
export async function selectTasks(all: LintTask[], options: { changedSince: string | null; cwd: string }): Promise<Selection> {
  if (options.changedSince === null) return { ok: true, tasks: all, note: null };
  // Usually one repository; paths in several are each asked about in their own.
  const repos: Array<Extract<Changed, { ok: true }>> = [];
  const tasks: LintTask[] = [];
  for (const task of all) {
    const file = real(task.file);
    let repo = repos.find((r) => inside(file, r.root));
    if (!repo) {
      const changed = await changedFiles(options.changedSince, dirname(file));
      if (!changed.ok) return changed;
      repos.push(changed);
      repo = changed;
    }
    if (repo.files.has(file)) tasks.push(task);
  }
  if (all.length === 0) {
    const changed = await changedFiles(options.changedSince, options.cwd);
    if (!changed.ok) return changed;
  }
  const note = `${tasks.length} of ${all.length} ${all.length === 1 ? 'file' : 'files'} added or changed since ${options.changedSince}`;
  return { ok: true, tasks, note };
}

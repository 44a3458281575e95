/**
 * git as a plain child process (no shell), with the programs a repository's own configuration could
 * start during a diff or a status turned off (fsmonitor, an external diff), no pager, no prompt and
 * no optional locks. Used by the CLI (`--changed-since`, the release history) and by the language
 * server only in a workspace the user trusts.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** No git program on PATH. */
  missing: boolean;
}

/** Options that keep a repository's own configuration from starting programs. */
const SAFE = ['-c', 'core.fsmonitor=false', '-c', 'diff.external=', '--no-pager'];

export function git(cwd: string, args: readonly string[], timeoutMs = 0): Promise<GitResult> {
  return new Promise((done) => {
    execFile(
      'git',
      [...SAFE, ...args],
      { cwd, shell: false, windowsHide: true, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } },
      (error, stdout, stderr) => {
        const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, missing });
      },
    );
  });
}

/** The first line of git's complaint, without its `fatal: `. */
export function gitMessage(r: GitResult): string {
  return r.stderr.trim().split('\n')[0]?.replace(/^fatal: /, '') ?? `exit status ${String(r.code)}`;
}

/** A path as git reports it (links resolved), or the path made absolute when it cannot be resolved. */
export function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

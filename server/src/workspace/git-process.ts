/**
 * git as a plain child process (no shell), with the programs a repository's own configuration could
 * start during a diff or a status turned off (fsmonitor, an external diff), no pager, no prompt and
 * no optional locks. Used by the CLI (`--changed-since`, the release history) and by the language
 * server only in a workspace the user trusts.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** No git program on PATH. */
  missing: boolean;
}

/** Options that keep a repository's own configuration from starting programs. */
const SAFE = ['-c', 'core.fsmonitor=false', '-c', 'diff.external=', '--no-pager'];

/** What a command is given besides its arguments. */
export interface GitInput {
  /** Written to its standard input (such a run is not remembered: cli/run-memo.ts). */
  input?: string;
  /** Its output read as Latin-1 (one character per byte: objects `cat-file` prints whole), not UTF-8. */
  binary?: boolean;
}

/** Told of every git command run (the CLI's run memo records them, cli/run-memo.ts); null: nobody. */
export interface GitObserver {
  ran(cwd: string, args: readonly string[], timeoutMs: number, result: GitResult): void;
  /** A command whose output is not kept (the history in full, written to a file; whole files of a commit). */
  toFile(): void;
}
let observer: GitObserver | null = null;

export function observeGit(o: GitObserver | null): void {
  observer = o;
}

const gitEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' });

export function git(cwd: string, args: readonly string[], timeoutMs = 0): Promise<GitResult> {
  return new Promise((done) => {
    execFile(
      'git',
      [...SAFE, ...args],
      { cwd, shell: false, windowsHide: true, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, env: gitEnv() },
      (error, stdout, stderr) => {
        const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        const result: GitResult = { code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, missing };
        observer?.ran(cwd, args, timeoutMs, result);
        done(result);
      },
    );
  });
}

/**
 * git, waited for: for a question a rule asks while it runs (code-before.ts), where nothing else
 * can go on meanwhile. Keep it to short commands.
 */
export function gitSync(cwd: string, args: readonly string[], timeoutMs = 0, given: GitInput = {}): GitResult {
  const r = spawnSync('git', [...SAFE, ...args], {
    cwd,
    shell: false,
    windowsHide: true,
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    env: gitEnv(),
    encoding: given.binary ? 'latin1' : 'utf8',
    ...(given.input !== undefined ? { input: given.input } : {}),
  });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const result: GitResult = { code: r.error ? 1 : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', missing };
  // A command given input (`cat-file --batch`: whole files of a commit) is not kept for a replay (cli/run-memo.ts).
  if (given.input !== undefined) observer?.toFile();
  else observer?.ran(cwd, args, timeoutMs, result);
  return result;
}

/**
 * git with its output written to a temporary file rather than a pipe: started while this process is
 * busy (the CLI reads the migrations on one thread), git would stop at a full pipe until the reads
 * end; to a file it runs on. The output is read, and the file removed, when git ends.
 */
export function gitToFile(cwd: string, args: readonly string[], timeoutMs = 0): Promise<GitResult> {
  observer?.toFile();
  const path = join(tmpdir(), `migration-guard-git-${process.pid}-${randomBytes(6).toString('hex')}.txt`);
  return new Promise((done) => {
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o600);
    } catch (e) {
      done({ code: 1, stdout: '', stderr: String(e), missing: false });
      return;
    }
    let stderr = '';
    const finish = (code: number | null, missing: boolean): void => {
      let stdout = '';
      try {
        stdout = missing ? '' : readFileSync(path, 'utf8');
      } catch {
        code = code ?? 1;
      }
      rmSync(path, { force: true });
      done({ code, stdout, stderr, missing });
    };
    const child = spawn('git', [...SAFE, ...args], { cwd, shell: false, windowsHide: true, timeout: timeoutMs, env: gitEnv(), stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let ended = false;
    child.on('error', (e) => {
      if (ended) return;
      ended = true;
      finish(1, (e as NodeJS.ErrnoException).code === 'ENOENT');
    });
    child.on('close', (code) => {
      if (ended) return;
      ended = true;
      finish(code === null ? 1 : code, false);
    });
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

/**
 * Asks git whether a file is already committed upstream (or, without an upstream, in HEAD), so
 * splitting it can be confirmed first. In an untrusted workspace git is not run at all (its
 * configuration can execute programs), and the answer is "ask anyway".
 */
import { execFile } from 'node:child_process';
import { basename, dirname } from 'node:path';

function git(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 3000, windowsHide: true }, (error, stdout) => resolve(error ? null : stdout.trim()));
  });
}

/** Where the file is committed ('origin/main', 'HEAD'), 'untrusted' when git is not consulted, or null. */
export async function committedUpstream(file: string, trusted: boolean): Promise<string | null> {
  if (!trusted) return 'untrusted';
  const cwd = dirname(file);
  const prefix = await git(cwd, ['rev-parse', '--show-prefix']);
  if (prefix === null) return null; // not a git work tree
  const path = `${prefix}${basename(file)}`;
  const upstream = await git(cwd, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{u}']);
  for (const rev of upstream ? [upstream] : ['HEAD']) {
    if ((await git(cwd, ['cat-file', '-e', `${rev}:${path}`])) !== null) return rev;
  }
  return null;
}

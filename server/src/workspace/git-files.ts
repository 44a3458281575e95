/**
 * What a repository's own files say without starting git: the commit HEAD names, and a fingerprint
 * of its tags. A run that finds both where the kept release history had them starts no git process
 * for the history (release-history.ts). Null wherever anything is not plainly so: git is asked then.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The repository's git folder and the folder its refs are shared from (a linked work tree's `commondir`). */
function gitDirs(top: string): { gitDir: string; common: string } | null {
  let gitDir = join(top, '.git');
  if (!statSync(gitDir).isDirectory()) {
    const m = /^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'));
    if (!m) return null;
    gitDir = resolve(top, (m[1] as string).trim());
  }
  let common = gitDir;
  try {
    common = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    // Not a linked work tree: its refs are its own.
  }
  return { gitDir, common };
}

/**
 * The commit HEAD names, read from the repository's files as git keeps them (HEAD, a loose ref or
 * packed-refs; a linked work tree's `.git` file and `commondir`).
 */
export function headFromFiles(top: string): string | null {
  try {
    const dirs = gitDirs(top);
    if (!dirs) return null;
    const head = readFileSync(join(dirs.gitDir, 'HEAD'), 'utf8').trim();
    if (SHA.test(head)) return head;
    const ref = /^ref: (refs\/[^\s]+)$/.exec(head)?.[1];
    if (!ref || ref.includes('..')) return null;
    for (const dir of new Set([dirs.gitDir, dirs.common])) {
      try {
        const sha = readFileSync(join(dir, ref), 'utf8').trim();
        return SHA.test(sha) ? sha : null;
      } catch {
        // Not a loose ref here.
      }
    }
    const packed = readFileSync(join(dirs.common, 'packed-refs'), 'utf8');
    for (const line of packed.split('\n')) {
      const [sha, name] = line.trim().split(' ');
      if (name === ref && sha && SHA.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}

/** Each file under `dir`, by its path below it, with its text; a folder that is not there holds none. */
function looseRefs(dir: string, below: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) looseRefs(path, `${below}${name}/`, out);
    else out.push(`${below}${name} ${readFileSync(path, 'utf8').trim()}`);
  }
}

/**
 * A fingerprint of the repository's tags as its files keep them (`packed-refs`, whole, and the loose
 * refs under `refs/tags`): it changes whenever a tag is made, moved or deleted (and, harmlessly,
 * when other refs are packed again). Null when the files cannot be read as git keeps them.
 */
export function tagsFromFiles(top: string): string | null {
  try {
    const dirs = gitDirs(top);
    if (!dirs) return null;
    let packed = '';
    try {
      packed = readFileSync(join(dirs.common, 'packed-refs'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    }
    const loose: string[] = [];
    looseRefs(join(dirs.common, 'refs', 'tags'), '', loose);
    return createHash('sha1').update(packed).update('\0').update(loose.join('\n')).digest('hex');
  } catch {
    return null;
  }
}

/**
 * A fingerprint of what rewrites the history git shows without moving HEAD: replace refs (`git replace
 * --graft`, loose under `refs/replace` or packed) and `info/grafts` ('' when there are none). Null when
 * the files cannot be read as git keeps them.
 */
export function rewritesFromFiles(top: string): string | null {
  try {
    const dirs = gitDirs(top);
    if (!dirs) return null;
    const read = (file: string): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw e;
      }
    };
    const packed = read(join(dirs.common, 'packed-refs'))
      .split('\n')
      .filter((line) => line.includes(' refs/replace/'));
    const loose: string[] = [];
    looseRefs(join(dirs.common, 'refs', 'replace'), '', loose);
    const grafts = read(join(dirs.common, 'info', 'grafts'));
    if (packed.length === 0 && loose.length === 0 && grafts === '') return '';
    return createHash('sha1').update(packed.join('\n')).update('\0').update(loose.join('\n')).update('\0').update(grafts).digest('hex');
  } catch {
    return null;
  }
}

/**
 * The one walk over a project's folders, shared by the CLI and the language server: every Python
 * file, folder by folder, never into the folders no project keeps its own migrations in (VCS
 * data, node_modules, virtualenvs under any name, build output, tool caches), never through a
 * symlinked folder (it can loop, and it is walked where it lives).
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '.git', '.hg', '.svn', '.venv', 'venv', 'site-packages', '__pycache__',
  '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'dist', 'build',
]);

export interface WalkedFolder {
  dir: string;
  /** Its `.py` entries, in name order (links, pipes and devices included: reading judges them). */
  files: string[];
}

export interface WalkOptions {
  /** A folder that cannot be listed (the root included). */
  onError?(dir: string, e: unknown): void;
  isCancelled?(): boolean;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Every folder under `root` holding Python files, depth-first, sub-folders in name order. */
export function walkPython(root: string, options: WalkOptions = {}): WalkedFolder[] {
  const out: WalkedFolder[] = [];
  const stack = [root];
  while (stack.length > 0) {
    if (options.isCancelled?.()) break;
    const dir = stack.pop() as string;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      options.onError?.(dir, e);
      continue;
    }
    // A virtualenv under any name: its site-packages holds other projects' migrations.
    if (dir !== root && entries.some((e) => e.name === 'pyvenv.cfg')) continue;
    entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const files: string[] = [];
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.endsWith('.egg-info')) stack.push(full);
      } else if (e.name.endsWith('.py') && !(e.isSymbolicLink() && isFolder(full))) {
        files.push(full);
      }
    }
    if (files.length > 0) out.push({ dir, files: files.reverse() });
  }
  return out;
}

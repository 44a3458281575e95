/**
 * Finds the migration files under the workspace folders, without following symlinks and skipping
 * the folders no project keeps migrations in (virtualenvs, node_modules, VCS data).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.venv', 'venv', '.tox', '.nox', '__pycache__', 'site-packages', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'dist', 'build']);

/** Every .py file under `root` (depth-first, sorted per directory for a stable order). */
export async function findPythonFiles(root: string, isCancelled: () => boolean = () => false): Promise<string[]> {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0) {
    if (isCancelled()) break;
    const dir = stack.pop() as string;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable directory: skip it
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : -1));
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !e.name.endsWith('.egg-info')) stack.push(join(dir, e.name));
      } else if (e.isFile() && e.name.endsWith('.py')) {
        out.push(join(dir, e.name));
      }
    }
  }
  return out.sort();
}

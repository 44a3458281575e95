/**
 * The bench's own, deliberately plain idea of "the migrations of a folder", shared by the
 * bare-parse baseline process and the --corpus loader: every `.py` file directly inside a folder
 * named `migrations` (not `__init__.py`), found with readdirSync, never looking into hidden
 * folders, node_modules or __pycache__. Nothing of the product's own discovery is used, so the
 * baseline does not move when the product's walk changes.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const SKIP = new Set(['node_modules', '__pycache__']);

/** Migration files under `root`, in no particular order. */
export function migrationFiles(root: string): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    const inMigrations = basename(dir) === 'migrations';
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIP.has(e.name)) stack.push(join(dir, e.name));
      } else if (inMigrations && e.isFile() && e.name.endsWith('.py') && e.name !== '__init__.py') {
        out.push(join(dir, e.name));
      }
    }
  }
  return out;
}

/** Every file and folder under `root` with readdirSync alone: the floor a discovery walk is held to. */
export function plainWalk(root: string): number {
  let entries = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      entries++;
      if (e.isDirectory()) stack.push(join(dir, e.name));
    }
  }
  return entries;
}

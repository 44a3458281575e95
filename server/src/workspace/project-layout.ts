/**
 * Which files make up the project's migration graph, and under which app label — decided the way
 * Django's loader decides, from the file system alone: a folder named `migrations` that is a
 * package (has `__init__.py`), or the folder `[tool.migration-guard.migration-modules]` names for
 * a label (Django's MIGRATION_MODULES, which then replaces the app's `migrations/` folder). The
 * label is the one the app's `apps.py` states literally, else the app folder's name. Files whose
 * name starts with `_` or `~` or has another dot are not migrations. When two folders claim one
 * label, nothing is said about that label: its files belong to no app.
 */
import { basename, dirname, join } from 'node:path';
import type { AppLabel } from '../analysis/project/app-config';

export interface LayoutSources {
  /** Does this path exist (a file)? */
  exists(path: string): boolean;
  /** The label `<appDir>/apps.py` states (`none` when there is no apps.py or no AppConfig). */
  appLabel(appDir: string): AppLabel;
}

export interface MigrationFolder {
  dir: string;
  /** The app label, or null when it is unknown or claimed by another folder too. */
  label: string | null;
  /** Why it has that label (for messages). */
  source: 'folder name' | 'apps.py' | 'migration-modules' | 'ambiguous' | 'unknown apps.py label';
}

/** A module name Django's loader lists: a `.py` file not starting with `_` / `~`, no other dot. */
export function isMigrationModuleName(fileName: string): boolean {
  if (!fileName.endsWith('.py')) return false;
  const stem = fileName.slice(0, -3);
  return stem.length > 0 && !stem.includes('.') && stem[0] !== '_' && stem[0] !== '~';
}

export class ProjectLayout {
  private readonly folders = new Map<string, MigrationFolder>();

  /**
   * @param files every Python file found in the workspace (absolute paths)
   * @param overrides label -> absolute folder, from migration-modules settings
   */
  constructor(files: Iterable<string>, overrides: ReadonlyMap<string, string>, sources: LayoutSources) {
    const byLabel = new Map<string, MigrationFolder[]>();
    const claim = (f: MigrationFolder) => {
      if (!f.label) return;
      const list = byLabel.get(f.label) ?? [];
      list.push(f);
      byLabel.set(f.label, list);
    };
    const overridden = new Set(overrides.keys());
    const overrideDirs = new Set(overrides.values());
    for (const [label, dir] of overrides) {
      if (!sources.exists(join(dir, '__init__.py'))) continue;
      const f: MigrationFolder = { dir, label, source: 'migration-modules' };
      this.folders.set(dir, f);
      claim(f);
    }
    const dirs = new Set<string>();
    for (const file of files) dirs.add(dirname(file));
    for (const dir of dirs) {
      if (basename(dir) !== 'migrations' || overrideDirs.has(dir) || !sources.exists(join(dir, '__init__.py'))) continue;
      const app = sources.appLabel(dirname(dir));
      let f: MigrationFolder;
      if (app.kind === 'label') f = { dir, label: app.label, source: 'apps.py' };
      else if (app.kind === 'none') f = { dir, label: basename(dirname(dir)), source: 'folder name' };
      else f = { dir, label: null, source: 'unknown apps.py label' };
      // MIGRATION_MODULES replaces the app's own migrations folder.
      if (f.label && overridden.has(f.label)) continue;
      this.folders.set(dir, f);
      claim(f);
    }
    for (const list of byLabel.values()) {
      if (list.length < 2) continue;
      for (const f of list) {
        f.label = null;
        f.source = 'ambiguous';
      }
    }
  }

  /** The app label a migration file belongs to, or null when it is not part of the graph. */
  appOf(file: string): string | null {
    if (!isMigrationModuleName(basename(file))) return null;
    return this.folders.get(dirname(file))?.label ?? null;
  }

  /** The folder record of a file's directory, if it is a migrations folder. */
  folderOf(file: string): MigrationFolder | null {
    return this.folders.get(dirname(file)) ?? null;
  }

  allFolders(): MigrationFolder[] {
    return [...this.folders.values()];
  }
}

/**
 * Turns the paths on the command line into lint tasks: walks folders (never into VCS data,
 * node_modules or virtualenvs), applies each folder's include/exclude globs, and keeps the user's
 * spelling of every path. Reading and content detection happen later, where the linting runs.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { walkPython, type FolderListing, type FolderListings } from '../workspace/walk';
import { mayHoldSettings } from '../config/database-hints';
import type { ConfigResolver } from './project-config';
import { reasonOf, type LintTask } from './types';


export interface Discovery {
  tasks: LintTask[];
  /**
   * Every Python file of the walked folders (whatever include/exclude say) and the siblings of
   * the files named: what the project view may need beyond the files linted.
   */
  python: string[];
  /** The folders named (absolute): those of different projects get a graph each (project-run.ts, projectsOf). */
  roots: string[];
  /** Paths that do not exist or could not be listed: the run ends with exit status 2. */
  errors: string[];
  /** Worth telling the user, not a failure. */
  warnings: string[];
}

function isInside(child: string, parent: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

function statOrError(file: string): Stats | string {
  try {
    return statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file or directory' : reasonOf(e);
  }
}


class Walk {
  readonly out: Discovery = { tasks: [], python: [], roots: [], errors: [], warnings: [] };
  /** The absolute paths named so far. */
  private readonly named: string[] = [];
  /**
   * The tasks by file, built only once two named paths overlap (a folder and a file or folder in
   * it): paths that do not overlap cannot give one file twice, and most runs name one folder.
   */
  private seen: Map<string, LintTask> | null = null;
  /** Whether `python` may list a file twice: overlapping paths, or a named file's siblings. */
  mayRepeat = false;

  constructor(
    private readonly resolver: ConfigResolver,
    private readonly cwd: string,
    private readonly watch?: TaskWatch,
    private readonly listings?: FolderListings,
  ) {}

  private add(task: LintTask): void {
    if (this.seen) {
      const known = this.seen.get(task.file);
      if (known) {
        if (task.mode === 'lint') known.mode = 'lint';
        return;
      }
      this.seen.set(task.file, task);
    }
    this.out.tasks.push(task);
    if (this.watch && this.out.tasks.length === this.watch.at) this.watch.reached();
  }

  /** Globs are relative to the pyproject.toml's folder, else to the current directory (or the path itself, outside it). */
  private fallbackRoot(absArg: string, isDir: boolean): string {
    if (isInside(absArg, this.cwd)) return this.cwd;
    return isDir ? absArg : dirname(absArg);
  }

  path(given: string): void {
    const abs = resolve(this.cwd, given);
    if (!this.seen && this.named.some((p) => isInside(abs, p) || isInside(p, abs))) {
      this.seen = new Map(this.out.tasks.map((t) => [t.file, t]));
      this.mayRepeat = true;
    }
    this.named.push(abs);
    const st = statOrError(abs);
    if (typeof st === 'string') {
      this.out.errors.push(`${given}: ${st}`);
    } else if (st.isDirectory()) {
      this.out.roots.push(abs);
      this.folder(given, abs, this.fallbackRoot(abs, true));
    } else if (!abs.endsWith('.py')) {
      this.out.warnings.push(`${given}: not a Python file, skipped`);
    } else {
      const config = this.resolver.forDirectory(dirname(abs), this.fallbackRoot(abs, false));
      this.add({ path: given, file: abs, mode: 'lint', config: config.index, root: dirname(abs) });
      this.siblings(dirname(abs));
    }
  }

  /** A named file's folder: its other migrations are the file's project view. */
  private siblings(dir: string): void {
    this.mayRepeat = true;
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.name.endsWith('.py') && e.isFile()) this.out.python.push(join(dir, e.name));
    } catch {
      // An unlistable folder: the file is linted without its siblings.
    }
  }

  private folder(given: string, absRoot: string, fallbackRoot: string): void {
    const onError = (dir: string, e: unknown): void => void this.out.errors.push(`${join(given, relative(absRoot, dir))}: cannot list folder (${reasonOf(e)})`);
    // `join` normalises; a folder spelled in normal form needs no more than a separator.
    const plain = given !== '.' && normalize(given) === given;
    const displayRoot = plain ? (given.endsWith(sep) ? given : given + sep) : null;
    const prefix = absRoot + sep;
    const onListed = (dir: string, hasPyproject: boolean, hasPins: boolean, listing: FolderListing): void => {
      if (!hasPyproject) this.resolver.noteNoPyproject(dir);
      if (!hasPins) this.resolver.noteNoPins(dir);
      // A folder with pin files may hold a Compose file, whose DATABASE_URL the database hints read too.
      this.resolver.noteListing(dir, listing.folders, hasPins || mayHoldSettings(listing.files, listing.folders));
    };
    for (const { dir, files, names } of walkPython(absRoot, { onError, onListed, ...(this.listings ? { listings: this.listings } : {}) })) {
      for (const file of files) this.out.python.push(file);
      const config = this.resolver.forDirectory(dir, fallbackRoot);
      const classify = config.matcher.folderClassifier(dir);
      // The folder's part of each file's display path, worked out once: the path as given, then the rest.
      const displayDir = displayRoot === null ? null : dir === absRoot ? displayRoot : dir.startsWith(prefix) ? `${displayRoot}${dir.slice(prefix.length)}${sep}` : null;
      for (let i = 0; i < files.length; i++) {
        const name = names[i] as string;
        const kind = classify(name);
        if (kind === 'no') continue;
        const file = files[i] as string;
        const display = displayDir !== null ? displayDir + name : join(given, file.startsWith(prefix) ? file.slice(prefix.length) : relative(absRoot, file));
        this.add({ path: display, file, mode: kind === 'migration' ? 'lint' : 'detect', config: config.index, root: absRoot });
      }
    }
  }
}

/** The lint tasks for `paths`, in command-line order, each folder's files in name order. */
/** Told, once, while the walk goes on, that it has found `at` files to read. */
export interface TaskWatch {
  at: number;
  reached(): void;
}

/** @param listings folder listings known from an earlier run (the CLI's cache), by default none */
export function discover(paths: readonly string[], resolver: ConfigResolver, cwd: string, watch?: TaskWatch, listings?: FolderListings): Discovery {
  const walk = new Walk(resolver, cwd, watch, listings);
  for (const p of paths) walk.path(p);
  // Overlapping paths, or a file named with its folder's siblings: the same file listed twice.
  if (walk.mayRepeat) walk.out.python = [...new Set(walk.out.python)];
  return walk.out;
}

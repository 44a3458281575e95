/**
 * Decides which files are migrations: a path matching `include` (by default any .py file directly
 * inside a folder named `migrations`)
 * and no `exclude` glob, or, with detectByContent, a Python file that defines a class deriving
 * from Django's Migration.
 */
import { Minimatch } from 'minimatch';
import { relative, sep } from 'node:path';
import type { Settings } from './settings';

const GLOB_OPTIONS = { dot: true, nocase: process.platform === 'win32' };

/**
 * Compiled globs, shared: the same few patterns are matched on every keystroke and file. A glob
 * becomes one regular expression (minimatch's own translation), several times cheaper per path
 * than matching segment by segment; the rare glob it cannot express that way keeps the matcher.
 */
const compiled = new Map<string, (path: string) => boolean>();

function matches(path: string, glob: string): boolean {
  let test = compiled.get(glob);
  if (!test) {
    const m = new Minimatch(glob, GLOB_OPTIONS);
    const re = m.negate || m.comment || m.empty ? false : m.makeRe();
    test = re ? (p: string) => re.test(p) : (p: string) => m.match(p);
    compiled.set(glob, test);
  }
  return test(path);
}

export class FileMatcher {
  constructor(
    private readonly settings: Settings,
    /** The directory globs are relative to. */
    readonly root: string,
  ) {}

  private rel(file: string): string {
    // Most files are under the root: slicing is all `relative` would do for them.
    const root = this.root;
    const r = file.length > root.length && file.startsWith(root) && file[root.length] === sep && !root.endsWith(sep) ? file.slice(root.length + 1) : relative(root, file);
    return sep === '/' ? r : r.split(sep).join('/');
  }

  isExcluded(file: string): boolean {
    const r = this.rel(file);
    return this.settings.exclude.some((g) => matches(r, g));
  }

  /**
   * A migration by its path alone. Globs match the path relative to the root; include globs also
   * get the absolute path, so `**` patterns still see the `migrations` folder when the root is
   * that folder or below it (`cd app/migrations && migration-guard check .`).
   */
  isIncluded(file: string): boolean {
    if (!file.endsWith('.py')) return false;
    const r = this.rel(file);
    if (this.settings.exclude.some((g) => matches(r, g))) return false;
    const abs = file.split(sep).join('/').replace(/^\/+/, '');
    return this.settings.include.some((g) => matches(r, g) || (g.startsWith('**/') && matches(abs, g)));
  }

  /**
   * The one decision the CLI and the editor share, by path: a migration (`include`), a file that
   * is one when it defines a Migration class (content detection on, not excluded), or not one.
   * A file without a path (an unsaved buffer) is judged by content.
   */
  classify(file: string | null): 'migration' | 'by-content' | 'no' {
    if (file && this.isIncluded(file)) return 'migration';
    if (!this.settings.detectByContent) return 'no';
    if (file && (!file.endsWith('.py') || this.isExcluded(file))) return 'no';
    return 'by-content';
  }

  /** May be a migration by content: worth parsing to check for a Migration class. */
  mayDefineMigration(file: string, text: string): boolean {
    if (!this.settings.detectByContent || !file.endsWith('.py') || this.isExcluded(file)) return false;
    return MIGRATION_CLASS_HINT.test(text);
  }
}

/**
 * A cheap textual hint before parsing: a class statement whose base list names `Migration`
 * (`migrations.Migration`, several bases, bases split over lines). The parse decides.
 */
export const MIGRATION_CLASS_HINT = /class\s+\w+\s*\([^)]*\bMigration\b/;

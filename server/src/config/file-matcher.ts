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

/** A name without glob syntax: `.git`, `node_modules`, `__init__.py`. */
const PLAIN_NAME = /^[^*?[\]{}!()+@/\\]+$/;
/** A `.` or `..` segment, which `**` never crosses (so such paths keep the regular expression). */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** Most paths have no segment starting with a dot: the string shapes skip the expression for them. */
function dotted(p: string): boolean {
  return (p.charCodeAt(0) === 46 || p.includes('/.')) && DOT_SEGMENT.test(p);
}

/** `**​/NAME/**` or `**​/NAME` with a plain NAME: its name and which of the two; else null. */
function nameShape(glob: string): { name: string; folder: boolean } | null {
  if (GLOB_OPTIONS.nocase || !glob.startsWith('**/')) return null;
  const folder = glob.endsWith('/**');
  const name = folder ? glob.slice(3, -3) : glob.slice(3);
  return PLAIN_NAME.test(name) && name !== '.' && name !== '..' ? { name, folder } : null;
}

/**
 * The two shapes every default exclude has, tested as string operations (the regular expressions
 * minimatch writes for them cost most of discovery): `**​/NAME/**` (a folder of that name at
 * any depth) and `**​/NAME` (a file or folder of that name at the end). Same answers as the
 * expressions (test/file-matcher.test.ts compares them), else null.
 */
function plainShape(glob: string, re: RegExp): ((p: string) => boolean) | null {
  const shape = nameShape(glob);
  if (!shape) return null;
  const { name } = shape;
  const inner = `/${name}/`;
  const last = `/${name}`;
  if (shape.folder) {
    return (p) => (dotted(p) ? re.test(p) : p === name || p.startsWith(`${name}/`) || p.includes(inner) || p.endsWith(last));
  }
  return (p) => (dotted(p) ? re.test(p) : p === name || p.endsWith(last));
}

/**
 * The default include's shape, `**​/NAME/*.EXT`: a file with that extension directly inside a
 * folder of that name, at any depth. Null for any other glob.
 */
function fileInFolderShape(glob: string): { name: string; ext: string } | null {
  if (GLOB_OPTIONS.nocase) return null;
  const m = /^\*\*\/([^*?[\]{}!()+@/\\]+)\/\*(\.[A-Za-z0-9_]+)$/.exec(glob);
  const name = m?.[1];
  const ext = m?.[2];
  return !name || !ext || name === '.' || name === '..' ? null : { name, ext };
}

function fileInFolder(glob: string, re: RegExp): ((p: string) => boolean) | null {
  const shape = fileInFolderShape(glob);
  if (!shape) return null;
  const { name, ext } = shape;
  return (p) => {
    if (!p.endsWith(ext)) return false;
    const slash = p.lastIndexOf('/');
    const start = slash - name.length;
    if (start < 0 || !p.startsWith(name, start) || (start > 0 && p.charCodeAt(start - 1) !== 47)) return false;
    return dotted(p) ? re.test(p) : true;
  };
}

/** The compiled test of one glob (exported for the tests that compare the shapes). */
export function globTest(glob: string): (path: string) => boolean {
  let test = compiled.get(glob);
  if (!test) {
    const m = new Minimatch(glob, GLOB_OPTIONS);
    const re = m.negate || m.comment || m.empty ? false : m.makeRe();
    test = re ? (plainShape(glob, re) ?? fileInFolder(glob, re) ?? ((p: string) => re.test(p))) : (p: string) => m.match(p);
    compiled.set(glob, test);
  }
  return test;
}

/** The regular expression alone, for those tests. */
export function globRegExp(glob: string): RegExp | false {
  const m = new Minimatch(glob, GLOB_OPTIONS);
  return m.negate || m.comment || m.empty ? false : m.makeRe();
}

function matches(path: string, glob: string): boolean {
  return globTest(glob)(path);
}

/**
 * All the exclude globs as one test. The plain folder and file names (every default exclude) are
 * looked up by path segment, and a folder's answer is remembered, so a folder's files cost one
 * lookup each; paths with a `.` or `..` segment, and every other glob, are matched glob by glob.
 */
interface ExcludeTest {
  (r: string): boolean;
  /** The plain names of `**​/NAME/**` and `**​/NAME` globs. */
  readonly folders: ReadonlySet<string>;
  readonly files: ReadonlySet<string>;
  /** Whether every glob is one of those two shapes. */
  readonly plain: boolean;
  /** Whether a folder (a relative path without a dot segment) lies in an excluded folder name. */
  inFolder(dir: string): boolean;
}

function excludeTest(globs: readonly string[]): ExcludeTest {
  const folders = new Set<string>();
  const files = new Set<string>();
  const rest: string[] = [];
  for (const g of globs) {
    const shape = nameShape(g);
    if (shape) (shape.folder ? folders : files).add(shape.name);
    else rest.push(g);
  }
  const byDir = new Map<string, boolean>();
  // Files come folder by folder: the last folder's answer is asked again most of the time.
  let lastDir = '';
  let lastHit = false;
  const inFolder = (dir: string): boolean => {
    if (dir === lastDir) return lastHit;
    let hit = byDir.get(dir);
    if (hit === undefined) {
      hit = dir.split('/').some((seg) => folders.has(seg));
      if (byDir.size > 10_000) byDir.clear();
      byDir.set(dir, hit);
    }
    lastDir = dir;
    lastHit = hit;
    return hit;
  };
  const test = (r: string): boolean => {
    if (dotted(r)) return globs.some((g) => matches(r, g));
    const slash = r.lastIndexOf('/');
    const last = slash < 0 ? r : r.slice(slash + 1);
    if (files.has(last) || folders.has(last) || (slash > 0 && inFolder(r.slice(0, slash)))) return true;
    return rest.length > 0 && rest.some((g) => matches(r, g));
  };
  return Object.assign(test, { folders, files, plain: rest.length === 0, inFolder });
}

export type FileKind = 'migration' | 'by-content' | 'no';

function allShapes(globs: readonly string[]): Array<{ name: string; ext: string }> | null {
  const out: Array<{ name: string; ext: string }> = [];
  for (const g of globs) {
    const shape = fileInFolderShape(g);
    if (!shape) return null;
    out.push(shape);
  }
  return out;
}

export class FileMatcher {
  private excludedTest: ExcludeTest | null = null;
  /** The include globs as `**​/NAME/*.EXT` shapes, when all are; else null (then files are matched one by one). */
  private includeShapes: ReadonlyArray<{ name: string; ext: string }> | null | undefined;

  constructor(
    private readonly settings: Settings,
    /** The directory globs are relative to. */
    readonly root: string,
  ) {}

  private excludes(): ExcludeTest {
    this.excludedTest ??= excludeTest(this.settings.exclude);
    return this.excludedTest;
  }

  private excluded(r: string): boolean {
    return this.excludes()(r);
  }

  private rel(file: string): string {
    // Most files are under the root: slicing is all `relative` would do for them.
    const root = this.root;
    const r = file.length > root.length && file.startsWith(root) && file[root.length] === sep && !root.endsWith(sep) ? file.slice(root.length + 1) : relative(root, file);
    return sep === '/' ? r : r.split(sep).join('/');
  }

  isExcluded(file: string): boolean {
    const r = this.rel(file);
    return this.excluded(r);
  }

  /**
   * A migration by its path alone. Globs match the path relative to the root; include globs also
   * get the absolute path, so `**` patterns still see the `migrations` folder when the root is
   * that folder or below it (`cd app/migrations && migration-guard check .`).
   */
  isIncluded(file: string): boolean {
    if (!file.endsWith('.py')) return false;
    const r = this.rel(file);
    return !this.excluded(r) && this.includes(file, r);
  }

  private includes(file: string, r: string): boolean {
    if (this.settings.include.some((g) => matches(r, g))) return true;
    const slashed = sep === '/' ? file : file.split(sep).join('/');
    const abs = slashed.charCodeAt(0) === 47 ? slashed.replace(/^\/+/, '') : slashed;
    return this.settings.include.some((g) => g.startsWith('**/') && matches(abs, g));
  }

  /**
   * The one decision the CLI and the editor share, by path: a migration (`include`), a file that
   * is one when it defines a Migration class (content detection on, not excluded), or not one.
   * A file without a path (an unsaved buffer) is judged by content.
   */
  classify(file: string | null): FileKind {
    if (!file) return this.settings.detectByContent ? 'by-content' : 'no';
    if (!file.endsWith('.py')) return 'no';
    const r = this.rel(file);
    if (this.excluded(r)) return 'no';
    if (this.includes(file, r)) return 'migration';
    return this.settings.detectByContent ? 'by-content' : 'no';
  }

  /**
   * `classify` for the files of one folder, given by name: the folder's share of the answer (its
   * path, an excluded folder on it, whether it is an include's folder) is worked out once instead
   * of once per file — most of discovery's time beyond listing folders. Same answers as
   * `classify(dir + sep + name)` (test/file-matcher.test.ts compares them); any setting, folder or
   * name it does not answer by those string tests goes to `classify`.
   */
  folderClassifier(dir: string): (name: string) => FileKind {
    const slow = (name: string): FileKind => this.classify(dir.endsWith(sep) ? dir + name : dir + sep + name);
    this.includeShapes ??= allShapes(this.settings.include);
    const shapes = this.includeShapes;
    const ex = this.excludes();
    const root = this.root;
    const under = dir === root ? '' : dir.length > root.length && dir.startsWith(root) && dir[root.length] === sep && !root.endsWith(sep) ? dir.slice(root.length + 1) : null;
    if (sep !== '/' || !shapes || !ex.plain || under === null || dotted(under) || dotted(dir) || dir.endsWith('/')) return slow;
    const folderOut = under !== '' && ex.inFolder(under);
    const folderName = dir.slice(dir.lastIndexOf('/') + 1);
    const exts = shapes.filter((s) => s.name === folderName).map((s) => s.ext);
    const byContent: FileKind = this.settings.detectByContent ? 'by-content' : 'no';
    return (name) => {
      if (name.charCodeAt(0) === 46 || name.includes('/')) return slow(name);
      if (!name.endsWith('.py') || folderOut || ex.files.has(name) || ex.folders.has(name)) return 'no';
      for (const ext of exts) if (name.endsWith(ext)) return 'migration';
      return byContent;
    };
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

/**
 * The word MIGRATION_CLASS_HINT needs, as bytes: every encoding Python reads source in writes
 * ASCII as ASCII bytes, so a file whose bytes lack it defines no migration and need not be decoded.
 */
export const MIGRATION_WORD = Buffer.from('Migration', 'latin1');

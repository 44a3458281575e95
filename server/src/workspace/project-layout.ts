/**
 * Which files make up the project's migration graph, and under which app label — decided the way
 * Django's loader decides, from the file system alone: a folder named `migrations` that is a
 * package (has `__init__.py`), or the folder `[tool.migration-guard.migration-modules]` names for
 * a label (Django's MIGRATION_MODULES, which then replaces the app's `migrations/` folder). The
 * label is the one the app's `apps.py` states literally, else the app folder's name. Files whose
 * name starts with `_` or `~` or has another dot are not migrations. When two folders claim one
 * label, nothing is said about that label: its files belong to no app.
 *
 * A run may hold several projects (`check` given folders of several projects, as an editor has
 * workspace folders): each then has a graph of its own, and two projects may each have an app of
 * one label.
 *
 * In two steps, so a run can read every apps.py together with the migrations: `graphCandidates`
 * needs no labels; `ProjectLayout` then names the folders.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { AppLabel } from '../analysis/project/app-config';

export interface MigrationFolder {
  dir: string;
  /** The app label, or null when it is unknown or claimed by another folder too. */
  label: string | null;
  /** Why it has that label (for messages). */
  source: 'folder name' | 'apps.py' | 'migration-modules' | 'ambiguous' | 'unknown apps.py label';
  /** The label another folder claims too (`source` is 'ambiguous'). */
  claimed?: string;
  /** The project it belongs to ('' when the run has one). */
  project: string;
}

/** A module name Django's loader lists: a `.py` file not starting with `_` / `~`, no other dot. */
export function isMigrationModuleName(fileName: string): boolean {
  if (!fileName.endsWith('.py')) return false;
  const stem = fileName.slice(0, -3);
  return stem.length > 0 && !stem.includes('.') && stem[0] !== '_' && stem[0] !== '~';
}

interface CandidateFolder {
  dir: string;
  /** The label migration-modules gives it, or null: its app folder's apps.py decides. */
  override: string | null;
  /** The project it belongs to ('' when the run has one). */
  project: string;
}

export interface GraphCandidates {
  /** Migration files of every candidate folder. */
  files: string[];
  /** App folders whose apps.py may name the label. */
  appDirs: string[];
  folders: CandidateFolder[];
  /** The labels migration-modules gives a folder, each with its folder's project (`project\0label`). */
  overridden: string[];
}

/**
 * The folders that may hold migrations and their files, before labels are known.
 * @param files every Python file found (absolute paths)
 * @param overrides label -> absolute folder, from migration-modules settings
 * @param projectOf the project a folder belongs to, when a run holds several
 */
export function graphCandidates(files: Iterable<string>, overrides: ReadonlyMap<string, string>, exists: (path: string) => boolean, projectOf: (dir: string) => string = () => ''): GraphCandidates {
  const overrideDirs = new Map([...overrides].map(([label, dir]) => [dir, label]));
  const byDir = new Map<string, string[]>();
  for (const file of files) {
    if (!isMigrationModuleName(basename(file))) continue;
    const dir = dirname(file);
    const list = byDir.get(dir) ?? [];
    list.push(file);
    byDir.set(dir, list);
  }
  const out: GraphCandidates = { files: [], appDirs: [], folders: [], overridden: [...overrides].map(([label, dir]) => `${projectOf(dir)}\0${label}`) };
  for (const [dir, list] of byDir) {
    const override = overrideDirs.get(dir) ?? null;
    if ((override === null && basename(dir) !== 'migrations') || !exists(join(dir, '__init__.py'))) continue;
    out.folders.push({ dir, override, project: projectOf(dir) });
    out.files.push(...list);
    if (override === null) out.appDirs.push(dirname(dir));
  }
  return out;
}

export class ProjectLayout {
  private readonly folders = new Map<string, MigrationFolder>();

  /** @param appLabel the label an app folder's apps.py states (`none` without apps.py or AppConfig). */
  constructor(candidates: GraphCandidates, appLabel: (appDir: string) => AppLabel) {
    const overridden = new Set(candidates.overridden);
    const byLabel = new Map<string, MigrationFolder[]>();
    for (const c of candidates.folders) {
      let f: MigrationFolder;
      const project = c.project;
      if (c.override !== null) f = { dir: c.dir, label: c.override, source: 'migration-modules', project };
      else {
        const app = appLabel(dirname(c.dir));
        if (app.kind === 'label') f = { dir: c.dir, label: app.label, source: 'apps.py', project };
        else if (app.kind === 'none') f = { dir: c.dir, label: basename(dirname(c.dir)), source: 'folder name', project };
        else f = { dir: c.dir, label: null, source: 'unknown apps.py label', project };
        // MIGRATION_MODULES replaces the app's own migrations folder.
        if (f.label && overridden.has(`${project}\0${f.label}`)) continue;
      }
      this.folders.set(c.dir, f);
      if (!f.label) continue;
      // A label is claimed twice only within one project.
      const key = `${project}\0${f.label}`;
      const list = byLabel.get(key) ?? [];
      list.push(f);
      byLabel.set(key, list);
    }
    for (const list of byLabel.values()) {
      if (list.length < 2) continue;
      for (const f of list) {
        f.claimed = f.label ?? undefined;
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

  /** The project a migration file's graph is ('' when the run has one), or null when it is in no migrations folder. */
  projectOf(file: string): string | null {
    return this.folders.get(dirname(file))?.project ?? null;
  }

  /** The folder record of a file's directory, if it is a migrations folder. */
  folderOf(file: string): MigrationFolder | null {
    return this.folders.get(dirname(file)) ?? null;
  }

  allFolders(): MigrationFolder[] {
    return [...this.folders.values()];
  }
}

/**
 * What check and graph say on stderr (and the language server in its log) about migrations left out of the project view: those of app
 * folders whose label cannot be read from apps.py (a computed `label`, several configs), and of
 * labels two folders claim.
 */
export function viewNotes(ambiguousLabels: readonly string[], unlabelledApps: readonly string[]): string[] {
  const notes: string[] = [];
  const n = unlabelledApps.length;
  if (n > 0) {
    notes.push(
      `the app label of ${n === 1 ? `${unlabelledApps[0]}` : `${n} apps (${unlabelledApps.slice(0, 3).join(', ')}${n > 3 ? ', …' : ''})`} cannot be read from ${n === 1 ? 'its' : 'their'} apps.py: ` +
        `${n === 1 ? 'its' : 'their'} migrations are checked without the migration graph and the model state. Name ${n === 1 ? 'its migrations folder' : 'their migrations folders'} in [tool.migration-guard.migration-modules].`,
    );
  }
  if (ambiguousLabels.length > 0) {
    notes.push(
      `${ambiguousLabels.length === 1 ? 'the app label' : 'the app labels'} ${ambiguousLabels.map((l) => `'${l}'`).join(', ')} ${ambiguousLabels.length === 1 ? 'is' : 'are'} claimed by more than one migrations folder: ` +
        `their migrations are checked without the migration graph and the model state. If they belong to different projects, name each project's folder to check (or open each as a workspace folder): folders of different projects get a graph each; else name the folders in [tool.migration-guard.migration-modules].`,
    );
  }
  return notes;
}

/**
 * The note for an app whose model state is lost from a migration on (ProjectView.lostStates): what the
 * rules that need the state then leave unsaid, so that the silence is not taken for a clean bill.
 */
export function lostStateNote(app: string, shown: string, after: number, why?: string): string {
  return (
    `the model state of app '${app}' cannot be followed from ${shown} on: ${why ? `an operation there cannot be read statically (${why})` : 'an operation there (or a list of operations) cannot be read statically'}, ` +
    `so the rules that need the state (NOT NULL columns, index builds, drops, renames, table names) say nothing about ${after === 0 ? 'the rest of that migration' : `it and the ${after} migration${after === 1 ? '' : 's'} after it`}.`
  );
}

/** What marks the root of a project (or of a package that is one): the first found going up from a run's root. */
const PROJECT_MARKERS = ['manage.py', 'pyproject.toml', 'setup.py', 'setup.cfg', '.git'];

/** The nearest folder at or above `dir` that holds a project marker; `dir` itself when none does. */
export function projectRootOf(dir: string, exists: (path: string) => boolean = existsSync): string {
  for (let d = dir; ; d = dirname(d)) {
    if (PROJECT_MARKERS.some((m) => exists(join(d, m)))) return d;
    if (dirname(d) === d) return dir;
  }
}

/**
 * The project a folder belongs to, when a run's roots (the folders `check` is given, the editor's
 * workspace folders) are of several projects: the root of the project (projectRootOf) of the root
 * that holds it. `check a b` with `a` and `b` in two projects gives each its own graph, and so do
 * two such workspace folders; apps of one project named one by one (`check shop orders`, or
 * opened as workspace folders) stay one project. A root inside another is part of it; a folder
 * outside every root (a named file's) is in the project ''. With one project among the roots,
 * every folder is in ''.
 */
export function projectsOf(roots: readonly string[], exists: (path: string) => boolean = existsSync): (dir: string) => string {
  const sorted = [...new Set(roots)].sort((a, b) => a.length - b.length);
  const within = (dir: string, root: string): boolean => dir === root || dir.startsWith(root.endsWith(sep) ? root : root + sep);
  const outer = sorted.filter((r, i) => !sorted.slice(0, i).some((o) => within(r, o)));
  const projectOf = new Map(outer.map((r) => [r, projectRootOf(r, exists)]));
  if (new Set(projectOf.values()).size < 2) return () => '';
  return (dir) => {
    const named = outer.find((r) => within(dir, r));
    return named === undefined ? '' : (projectOf.get(named) ?? '');
  };
}

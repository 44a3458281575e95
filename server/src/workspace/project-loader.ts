/**
 * Builds the project view of a folder from disk: finds its Python files, decides which are
 * migrations of which app (project-layout.ts), reads and summarizes each, and hands the summaries
 * to the pure ProjectView. What the server, the CLI and the tests share.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { summarizeTree } from '../analysis/engine';
import { ValueInterner } from '../analysis/interner';
import type { PythonParser } from '../analysis/parser';
import { appConfigLabel, configModule, defaultConfigLabel, explicitConfigLabel, moduleTail, type AppLabel, type ClassLookup, type ConfigClass, type ConfigModule } from '../analysis/project/app-config';
import { opaqueSummary, type MigrationSummary } from '../analysis/project/summary';
import { ProjectView, type DatabaseNames, type ProjectMigration } from '../analysis/project/view';
import type { Settings } from '../config/settings';
import { BaseClassReader } from './base-classes';
import { findPythonFiles } from './find-files';
import { graphCandidates, ProjectLayout } from './project-layout';

/** PostgreSQL's identifier limit and Django's md5-based shortening of longer names. */
export const POSTGRES_NAMES: DatabaseNames = {
  maxNameLength: 63,
  digest: (name) => createHash('md5').update(name).digest('hex'),
};

/** What a Python file says about app configs (parsed once per file and run), or null when it cannot be read. */
export function configModuleOf(file: string, parser: PythonParser, cache: Map<string, ConfigModule | null>): ConfigModule | null {
  if (cache.has(file)) return cache.get(file) ?? null;
  let read: ConfigModule | null = null;
  try {
    const tree = parser.parse(readFileSync(file, 'utf8'));
    try {
      read = configModule(tree.rootNode, moduleTail(file));
    } finally {
      tree.delete();
    }
  } catch {
    read = null;
  }
  cache.set(file, read);
  return read;
}

/**
 * The label an app folder's config gives it, read with the parser: the AppConfig its `apps.py`
 * states, else the class its package's `default_app_config` names (shuup keeps its configs in
 * `__init__.py`: `label = "shuup"` for `shuup/core`); `none` without either. A config class imported
 * from the project (found by its module path above the app folder) is read too.
 */
export function readAppLabel(appDir: string, parser: PythonParser, cache: Map<string, ConfigModule | null> = new Map()): AppLabel {
  const lookup: ClassLookup = (module, className) => {
    const rel = join(...module.split('.'));
    for (let dir = appDir, up = 0; up < 8; dir = dirname(dir), up++) {
      // A package before a module of the same name, as Python's path finder looks.
      for (const file of [join(dir, rel, '__init__.py'), `${join(dir, rel)}.py`]) {
        if (!existsSync(file)) continue;
        const found = configModuleOf(file, parser, cache)?.classes;
        const cls = found?.find((c) => c.name === className);
        return found && cls ? { cls, classes: found } : null;
      }
      if (dirname(dir) === dir) break;
    }
    return null;
  };
  const folder = basename(appDir);
  const apps = existsSync(join(appDir, 'apps.py')) ? configModuleOf(join(appDir, 'apps.py'), parser, cache) : null;
  const fromApps = apps ? appConfigLabel(apps.classes, folder, lookup) : ({ kind: 'none' } as const);
  if (fromApps.kind !== 'none') return fromApps;
  const init = join(appDir, '__init__.py');
  const initModule = existsSync(init) ? configModuleOf(init, parser, cache) : null;
  const pointer = initModule?.defaultAppConfig;
  if (!pointer) {
    // A config class in the package's __init__.py that names this package (`name = "pulp_file.app"`)
    // is only ever used by INSTALLED_APPS naming it (pulpcore's plugins load theirs so): its label.
    const own = initModule?.classes.filter((c) => c.appName === packageName(appDir)) ?? [];
    return own.length === 1 ? explicitConfigLabel(own[0] as ConfigClass, initModule?.classes ?? [], folder, lookup) : fromApps;
  }
  const path = pointer !== 'unknown' && pointer.startsWith('__name__') ? `${packageName(appDir)}${pointer.slice('__name__'.length)}` : pointer;
  // A pointer to a class that is not there, beside an apps.py with its config: Django from 3.2 takes the
  // apps.py config it finds (4.1 ignores default_app_config), and before 3.2 the app would not load at all
  // (review 71: dsmr-reader's `DsmrStatsConfig` renamed in apps.py only; mit-learn's misspelt module).
  const dot = path === 'unknown' ? -1 : path.lastIndexOf('.');
  if (dot > 0 && apps && apps.classes.length > 0 && lookup(path.slice(0, dot), path.slice(dot + 1)) === null) return fromApps;
  return defaultConfigLabel(path, folder, lookup);
}

/** The dotted name Python gives a package folder: its path below the highest folder of packages (`shuup.discounts`). */
function packageName(dir: string): string {
  const parts = [basename(dir)];
  for (let d = dirname(dir); d !== dirname(d) && existsSync(join(d, '__init__.py')) && parts.length < 20; d = dirname(d)) parts.unshift(basename(d));
  return parts.join('.');
}

/** migration-modules folders, made absolute against the project root. */
export function overrideFolders(settings: Pick<Settings, 'migrationModules'>, root: string): Map<string, string> {
  return new Map(Object.entries(settings.migrationModules).map(([label, dir]) => [label, resolve(root, dir)]));
}

/**
 * The view's migrations from what was read of each graph file: a file without a Migration class
 * is kept as an unreadable node (Django would load it, or fail), unless no file of its folder has
 * one — a package of helpers that happens to be called `migrations`, not an app's migrations.
 */
export function projectMigrations(entries: ReadonlyArray<{ file: string; app: string; summary: MigrationSummary | null }>): ProjectMigration[] {
  const readable = new Set(entries.filter((e) => e.summary).map((e) => dirname(e.file)));
  return entries.filter((e) => readable.has(dirname(e.file))).map((e) => ({ file: e.file, app: e.app, summary: e.summary ?? opaqueSummary(basename(e.file, '.py')) }));
}

export interface LoadedProject {
  view: ProjectView;
  layout: ProjectLayout;
  /** Every file of every folder Django might load migrations from (in view or not). */
  files: string[];
  summaries: Map<string, MigrationSummary>;
}

/** Every migration under `root`, summarized, in one project view. */
export async function loadProject(root: string, parser: PythonParser, settings: Pick<Settings, 'authUserModel' | 'migrationModules'>): Promise<LoadedProject> {
  const files = await findPythonFiles(root);
  const overrides = overrideFolders(settings, root);
  const candidates = graphCandidates(files, overrides, existsSync);
  const classes = new Map<string, ConfigModule | null>();
  const layout = new ProjectLayout(candidates, (dir) => readAppLabel(dir, parser, classes));
  const entries: Array<{ file: string; app: string; summary: MigrationSummary | null }> = [];
  const summaries = new Map<string, MigrationSummary>();
  const interner = new ValueInterner();
  for (const file of candidates.files) {
    const app = layout.appOf(file);
    if (!app) continue;
    const tree = parser.parse(readFileSync(file, 'utf8'));
    try {
      const summary = summarizeTree(tree, basename(file, '.py'), interner);
      if (summary) summaries.set(file, summary);
      entries.push({ file, app, summary });
    } finally {
      tree.delete();
    }
  }
  const bases = new BaseClassReader(parser);
  const view = new ProjectView({
    migrations: projectMigrations(entries),
    swappable: { AUTH_USER_MODEL: settings.authUserModel },
    names: POSTGRES_NAMES,
    baseWrites: (base, file) => bases.writes(base, file),
    operationClass: (qualified, file) => bases.operationClass(qualified, file),
    importedCode: (qualified, file, atomic, view) => bases.importedCode(qualified, file, atomic, view),
  });
  return { view, layout, files: candidates.files, summaries };
}

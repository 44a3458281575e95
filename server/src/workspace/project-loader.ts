/**
 * Builds the project view of a folder from disk: finds its Python files, decides which are
 * migrations of which app (project-layout.ts), reads and summarizes each, and hands the summaries
 * to the pure ProjectView. What the server, the CLI and the tests share.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { summarizeTree } from '../analysis/engine';
import type { PythonParser } from '../analysis/parser';
import { appConfigLabel, type AppLabel } from '../analysis/project/app-config';
import type { MigrationSummary } from '../analysis/project/summary';
import { ProjectView, type DatabaseNames, type ProjectMigration } from '../analysis/project/view';
import type { Settings } from '../config/settings';
import { findPythonFiles } from './find-files';
import { ProjectLayout, type LayoutSources } from './project-layout';

/** PostgreSQL's identifier limit and Django's md5-based shortening of longer names. */
export const POSTGRES_NAMES: DatabaseNames = {
  maxNameLength: 63,
  digest: (name) => createHash('md5').update(name).digest('hex'),
};

/** Reads `apps.py` labels with the parser, once per app folder. */
export function diskLayoutSources(parser: PythonParser): LayoutSources {
  const labels = new Map<string, AppLabel>();
  return {
    exists: (path) => existsSync(path),
    appLabel(appDir) {
      const known = labels.get(appDir);
      if (known) return known;
      let label: AppLabel = { kind: 'none' };
      const file = join(appDir, 'apps.py');
      let text: string | null = null;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = null; // no apps.py: the folder name is the label
      }
      if (text !== null) {
        const tree = parser.parse(text);
        try {
          label = appConfigLabel(tree.rootNode);
        } finally {
          tree.delete();
        }
      }
      labels.set(appDir, label);
      return label;
    },
  };
}

/** migration-modules folders, made absolute against the project root. */
export function overrideFolders(settings: Pick<Settings, 'migrationModules'>, root: string): Map<string, string> {
  return new Map(Object.entries(settings.migrationModules).map(([label, dir]) => [label, resolve(root, dir)]));
}

export interface LoadedProject {
  view: ProjectView;
  layout: ProjectLayout;
  summaries: Map<string, MigrationSummary>;
}

/** Every migration under `root`, summarized, in one project view. */
export async function loadProject(root: string, parser: PythonParser, settings: Pick<Settings, 'authUserModel' | 'migrationModules'>): Promise<LoadedProject> {
  const files = await findPythonFiles(root);
  const layout = new ProjectLayout(files, overrideFolders(settings, root), diskLayoutSources(parser));
  const migrations: ProjectMigration[] = [];
  const summaries = new Map<string, MigrationSummary>();
  for (const file of files) {
    const app = layout.appOf(file);
    if (!app) continue;
    const tree = parser.parse(readFileSync(file, 'utf8'));
    try {
      const summary = summarizeTree(tree, basename(file, '.py'));
      if (!summary) continue;
      summaries.set(file, summary);
      migrations.push({ file, app, summary });
    } finally {
      tree.delete();
    }
  }
  const view = new ProjectView({ migrations, swappable: { AUTH_USER_MODEL: settings.authUserModel }, names: POSTGRES_NAMES });
  return { view, layout, summaries };
}

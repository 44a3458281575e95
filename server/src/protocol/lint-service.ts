/**
 * Decides whether a document is a migration and lints it with the settings that apply to it:
 * editor settings of its workspace folder layered over its nearest pyproject.toml. Holds no
 * protocol objects, so the server and its tests share it.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintTree } from '../analysis/engine';
import { definesMigrationClass } from '../analysis/migration-model';
import type { Tree } from '../analysis/parser';
import type { Finding } from '../analysis/types';
import { FileMatcher, MIGRATION_CLASS_HINT } from '../config/file-matcher';
import { PyprojectCache, type ProjectConfig } from '../config/pyproject';
import { mergeSettings, parseSettings, targetOf, type PartialSettings, type Settings } from '../config/settings';
import { EditorBaselines } from './editor-baseline';

export interface ResolvedSettings {
  settings: Settings;
  matcher: FileMatcher;
  problems: string[];
  /** The file these settings were resolved for, and the baseline that applies to it (absolute). */
  file?: string | null;
  baseline?: string | null;
}

export class LintService {
  readonly pyproject = new PyprojectCache();
  /** Hides findings a project's baseline records; set its `warn` to hear about unusable baselines. */
  readonly baselines = new EditorBaselines();
  private workspaceFolders: string[] = [];
  /** Each folder as the start of its files' paths (with its separator), in workspaceFolders' order. */
  private folderPrefixes: string[] = [];
  /** The folder folderOf found last, when no other folder is inside it (then a file under it is its, whatever the order). */
  private lastFolder = -1;
  private innermost: boolean[] = [];
  private readonly editorSettings = new Map<string, PartialSettings>();
  private editorProblems = new Map<string, string[]>();
  /** During a workspace scan: the settings of each directory, resolved once (see scanning). */
  private byDir: Map<string, ResolvedSettings> | null = null;
  /**
   * During a workspace scan: the settings of each workspace folder and pyproject.toml, merged once
   * and shared by the directories they apply to (with one FileMatcher, whose glob tests remember
   * the folders they have answered).
   */
  private byConfig: Map<string, ResolvedSettings> | null = null;

  /**
   * Resolves settings once per directory until `done` is called: for the workspace scan, which
   * asks for every file's settings (twice) while nothing it depends on changes — any change of
   * settings, folders or a pyproject.toml goes through this class, drops what was resolved, and
   * starts a new scan.
   */
  scanning(): { done: () => void } {
    const memo = new Map<string, ResolvedSettings>();
    this.byDir = memo;
    this.byConfig = new Map();
    return {
      done: () => {
        if (this.byDir !== memo) return;
        this.byDir = null;
        this.byConfig = null;
      },
    };
  }

  /** A pyproject.toml was created, changed or deleted. */
  clearProjectSettings(): void {
    this.pyproject.clear();
    this.byDir?.clear();
    this.byConfig?.clear();
  }

  setWorkspaceFolders(folders: string[]): void {
    // Longest first, so nested folders win.
    this.workspaceFolders = [...folders].sort((a, b) => b.length - a.length);
    this.folderPrefixes = this.workspaceFolders.map((f) => (f.endsWith('/') ? f : `${f}/`));
    this.innermost = this.folderPrefixes.map((p, i) => !this.workspaceFolders.some((f, j) => j !== i && f.startsWith(p)));
    this.lastFolder = -1;
    this.byDir?.clear();
    this.byConfig?.clear();
  }

  folders(): string[] {
    return [...this.workspaceFolders];
  }

  folderOf(file: string): string | null {
    // Asked several times for every file of a scan, which comes folder by folder.
    const prefixes = this.folderPrefixes;
    const last = this.lastFolder;
    if (last >= 0 && file.startsWith(prefixes[last] as string)) return this.workspaceFolders[last] as string;
    for (let i = 0; i < prefixes.length; i++) {
      const f = this.workspaceFolders[i] as string;
      if (file.startsWith(prefixes[i] as string) || file === f) {
        this.lastFolder = this.innermost[i] ? i : -1;
        return f;
      }
    }
    return null;
  }

  /** Records the raw `migrationGuard` section for a folder ('' for files outside any folder). */
  setEditorSettings(folder: string, raw: unknown): string[] {
    const { settings, problems } = parseSettings(raw, 'migrationGuard settings');
    this.byDir?.clear();
    this.byConfig?.clear();
    this.editorSettings.set(folder, settings);
    this.editorProblems.set(folder, problems);
    return problems;
  }

  clearEditorSettings(): void {
    this.byDir?.clear();
    this.byConfig?.clear();
    this.editorSettings.clear();
    this.editorProblems = new Map();
  }

  settingsFor(file: string | null): ResolvedSettings {
    if (!file || !this.byDir) return this.resolve(file);
    const dir = dirname(file);
    let found = this.byDir.get(dir);
    if (!found) this.byDir.set(dir, (found = this.resolve(file)));
    return found.file === file ? found : { ...found, file };
  }

  private resolve(file: string | null): ResolvedSettings {
    const folder = file ? this.folderOf(file) : null;
    const editor = this.editorSettings.get(folder ?? '') ?? {};
    const fallbackRoot = folder ?? (file ? dirname(file) : process.cwd());
    const project: Pick<ProjectConfig, 'file' | 'root' | 'settings' | 'problems' | 'djangoFrom' | 'postgresqlFrom' | 'databaseFrom'> = file ? this.pyproject.configFor(dirname(file), fallbackRoot, folder ?? undefined) : { file: null, root: fallbackRoot, settings: {}, problems: [] };
    const key = this.byConfig && file ? `${folder ?? ''}\0${project.file ?? ''}\0${project.root}\0${project.djangoFrom ?? ''}\0${project.postgresqlFrom ?? ''}\0${project.settings.otherDatabase?.from ?? ''}\0${project.databaseFrom ?? ''}` : null;
    const shared = key === null ? undefined : this.byConfig?.get(key);
    if (shared) return { ...shared, file };
    const settings = mergeSettings(project.settings, editor);
    const baseline = settings.baseline === null ? null : resolve(project.root, settings.baseline);
    const resolved = { settings, matcher: new FileMatcher(settings, project.root), problems: [...project.problems, ...(this.editorProblems.get(folder ?? '') ?? [])], file, baseline };
    if (key !== null) this.byConfig?.set(key, resolved);
    return resolved;
  }

  /** Whether a document is linted: by path, else by content when allowed. */
  isMigration(file: string | null, text: string, tree: () => Tree, resolved: ResolvedSettings): boolean {
    const kind = resolved.matcher.classify(file);
    if (kind !== 'by-content') return kind === 'migration';
    return MIGRATION_CLASS_HINT.test(text) && definesMigrationClass(tree().rootNode);
  }

  /**
   * Findings for a migration. `editorBuffer`: the text is what the user is typing, where the Python
   * extension already reports syntax errors as they happen; files read from disk get syntax-error
   * (nothing else would show that a closed migration cannot be imported).
   */
  lint(tree: Tree, text: string, resolved: ResolvedSettings, editorBuffer = false): Finding[] {
    const rules = editorBuffer ? { ...resolved.settings.rules, 'syntax-error': 'off' as const } : resolved.settings.rules;
    const findings = lintTree(tree, text, { rules, batchSize: resolved.settings.batchSize, target: targetOf(resolved.settings) }).findings;
    return resolved.baseline && resolved.file ? this.baselines.filter(resolved.file, resolved.baseline, tree, findings) : findings;
  }
}

export function uriToPath(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

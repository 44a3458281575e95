/**
 * The language server's project view of one workspace folder, kept current as files change:
 * which files are migrations of which app (from the workspace scan and apps.py), each one's
 * latest summary (from disk or from the editor's buffer), and the ProjectView built from them —
 * rebuilt only when asked after a change. A change is sorted by what it can alter: nothing the
 * project sees (typing inside a function body), the model state (an operation), or the graph (a
 * dependency), and `affected` names the migrations whose findings may change with it.
 */
import { CodeBeforeReader } from './code-before';
import { existsSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { PythonParser } from '../analysis/parser';
import type { AppLabel, ConfigModule } from '../analysis/project/app-config';
import type { MigrationSummary, OperationSummary } from '../analysis/project/summary';
import { ProjectView } from '../analysis/project/view';
import { BaseClassReader } from './base-classes';
import { graphCandidates, ProjectLayout, type MigrationFolder } from './project-layout';
import { POSTGRES_NAMES, projectMigrations, readAppLabel } from './project-loader';

export interface ProjectSettings {
  authUserModel: string;
  /** label -> absolute folder (migration-modules). */
  overrides: Map<string, string>;
}

export type ProjectChange = 'none' | 'state' | 'graph';

interface Entry {
  app: string;
  summary: MigrationSummary | null;
  /** graphKey of the summary, made when an update first compares it (a scan's first reading of each file never does). */
  graphKey?: string;
  /** Never read yet (known from the folder listing only). */
  unread?: boolean;
}

/** What of a summary the graph depends on, as a comparable string (positions left out). */
function graphKey(s: MigrationSummary | null): string {
  if (!s) return 'opaque';
  const deps = (l: MigrationSummary['dependencies']) => [l.complete, l.entries.map((e) => (e.kind === 'key' ? `${e.app}.${e.name}` : e.kind === 'swappable' ? `$${e.setting}` : '?'))];
  return JSON.stringify([deps(s.dependencies), deps(s.runBefore), s.replaces]);
}

const json = (v: unknown): string => JSON.stringify(v);

/**
 * Whether two readings of a migration's operations say the same to the rest of the project (the
 * model state, the kinds of operations): positions and labels aside. Arguments an editor's cache
 * gave back unchanged are the same object, so unchanged operations cost a comparison each.
 */
function sameOperations(a: readonly OperationSummary[] | null, b: readonly OperationSummary[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as OperationSummary;
    const y = b[i] as OperationSummary;
    if (
      x.specName !== y.specName ||
      x.name !== y.name ||
      x.certain !== y.certain ||
      x.container !== y.container ||
      x.databaseEffect !== y.databaseEffect ||
      x.customState !== y.customState ||
      x.isData !== y.isData ||
      x.isSchema !== y.isSchema ||
      x.touchesExistingTable !== y.touchesExistingTable ||
      x.targetModel !== y.targetModel ||
      x.createsModel !== y.createsModel ||
      x.nonTransactional !== y.nonTransactional ||
      x.branches.length !== y.branches.length ||
      x.branches.some((s, k) => s.arm !== y.branches[k]?.arm) ||
      x.sqlTables.join() !== y.sqlTables.join()
    ) {
      return false;
    }
    if (x.args !== y.args && json(x.args) !== json(y.args)) return false;
    if (!sameOperations(x.stateOperations, y.stateOperations)) return false;
  }
  return true;
}

function sameState(a: MigrationSummary | null, b: MigrationSummary | null): boolean {
  if (!a || !b) return a === b;
  return a.operationsComplete === b.operationsComplete && a.atomic === b.atomic && sameOperations(a.operations, b.operations);
}

export class ProjectModel {
  private layout: ProjectLayout | null = null;
  private readonly entries = new Map<string, Entry>();
  private current: ProjectView | null = null;
  /** The current view predates a change of some migration's operations (its graph is right). */
  private stateStale = false;
  /** The modules of base classes migrations give models, read as rules ask (each re-read when it changes on disk; found again after a scan). */
  private bases: BaseClassReader;
  /** Which migrations shipped together, from git (release-history.ts); null: not asked (untrusted, or turned off). */
  private releases: ReadonlyMap<string, string> | null = null;
  /** The models of the release before each migration's, read from git as the drop rules ask (only with releases, which only a trusted workspace reads). */
  private codeBefore = new CodeBeforeReader();

  constructor(
    private readonly parser: PythonParser,
    private settings: ProjectSettings,
  ) {
    this.bases = new BaseClassReader(parser);
  }

  /** The migrations whose findings read code of the module `file` (RunPython code imported from it): what its change re-lints. */
  readersOf(file: string): string[] {
    return this.bases.dependantsOf(file);
  }

  /** Decides membership from the workspace's Python files (after a scan); summaries are kept. */
  reset(files: readonly string[], settings: ProjectSettings): void {
    this.settings = settings;
    this.bases = new BaseClassReader(this.parser);
    const candidates = graphCandidates(files, settings.overrides, existsSync);
    const labels = new Map<string, AppLabel>();
    // One read of each module for the whole reset: many apps' configs derive from one base class.
    const classes = new Map<string, ConfigModule | null>();
    const label = (dir: string): AppLabel => {
      let l = labels.get(dir);
      if (!l) labels.set(dir, (l = readAppLabel(dir, this.parser, classes)));
      return l;
    };
    this.layout = new ProjectLayout(candidates, label);
    for (const [file, e] of [...this.entries]) {
      const app = this.layout.appOf(file);
      if (app) this.entries.set(file, { ...e, app });
      else this.entries.delete(file);
    }
    for (const file of candidates.files) {
      const app = this.layout.appOf(file);
      if (app && !this.entries.has(file)) this.entries.set(file, { app, summary: null, unread: true });
    }
    this.current = null;
  }

  /** Every migration of the project has been read (the workspace scan is done with them). */
  isComplete(): boolean {
    if (!this.layout) return false;
    for (const e of this.entries.values()) if (e.unread) return false;
    return true;
  }

  /**
   * The labels two migrations folders claim, and the app folders (relative to `root`) whose apps.py
   * label cannot be read: their migrations are linted without the project view.
   */
  outOfView(root: string): { ambiguous: string[]; unlabelled: string[] } {
    const ambiguous = new Set<string>();
    const unlabelled = new Set<string>();
    for (const f of this.layout?.allFolders() ?? []) {
      if (f.claimed) ambiguous.add(f.claimed);
      else if (f.source === 'unknown apps.py label') unlabelled.add(relative(root, dirname(f.dir)) || '.');
    }
    return { ambiguous: [...ambiguous].sort(), unlabelled: [...unlabelled].sort() };
  }

  /** The migrations folder record of a file's directory (why it has, or lacks, a label). */
  folderOf(file: string): MigrationFolder | null {
    return this.layout?.folderOf(file) ?? null;
  }

  /** The app a file belongs to, or null when it is not part of the graph. */
  appOf(file: string): string | null {
    return this.entries.get(file)?.app ?? this.layout?.appOf(file) ?? null;
  }

  /** The member files (migrations of the project's apps), read or not. */
  files(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Which migrations shipped together, as git tells (null: not known). Returns the migrations whose
   * findings may change with it: those whose release changed, and the later ones of their apps (a
   * release reaches back through a file's ancestors); the view is built anew when any did.
   */
  setReleases(releases: ReadonlyMap<string, string> | null, tagsBefore?: ReadonlyMap<string, Readonly<Record<string, readonly string[]>>>): string[] {
    const before = this.releases;
    const changed = new Set<string>();
    for (const f of new Set([...(before?.keys() ?? []), ...(releases?.keys() ?? [])])) if (before?.get(f) !== releases?.get(f)) changed.add(f);
    if (changed.size === 0) return [];
    this.releases = releases;
    // The release tags may have moved with them: what the releases before said is read again.
    this.codeBefore = new CodeBeforeReader(tagsBefore);
    this.current = null;
    const out = new Set(changed);
    for (const f of changed) for (const a of this.affected(f, 'state')) out.add(a);
    return [...out].filter((f) => this.entries.has(f));
  }

  /** Records the latest summary of a member file and says what the change can alter. */
  update(file: string, summary: MigrationSummary | null): ProjectChange {
    const app = this.appOf(file);
    if (!app) return 'none';
    const before = this.entries.get(file);
    const next: Entry = { app, summary };
    this.entries.set(file, next);
    const keyOf = (e: Entry): string => (e.graphKey ??= graphKey(e.summary));
    const sameGraph = !!before && !before.unread && keyOf(before) === keyOf(next);
    // The view keeps the summary it was built with: positions may be stale, facts are not.
    if (sameGraph && sameState(before.summary, summary)) return 'none';
    if (!sameGraph) {
      this.current = null;
      return 'graph';
    }
    this.stateStale = true;
    return 'state';
  }

  /** A member file is gone (deleted): the graph changes. */
  remove(file: string): ProjectChange {
    if (!this.entries.delete(file)) return 'none';
    this.current = null;
    return 'graph';
  }

  /**
   * The view of the files read so far, or null before the first scan. `stateOf` may be an older
   * view whose graph is current: what a file just edited needs (its own state-before cannot have
   * changed with its own operations), cheaper than a rebuild on every keystroke.
   */
  view(accept: 'current' | 'graph-current' = 'current'): ProjectView | null {
    if (!this.layout) return null;
    if (this.current && this.stateStale && accept === 'current') this.current = null;
    if (!this.current) {
      this.stateStale = false;
      const read = [...this.entries].filter(([, e]) => !e.unread).map(([file, e]) => ({ file, app: e.app, summary: e.summary }));
      this.current = new ProjectView({
        migrations: projectMigrations(read),
        swappable: { AUTH_USER_MODEL: this.settings.authUserModel },
        names: POSTGRES_NAMES,
        baseWrites: (base, file) => this.bases.writes(base, file),
        operationClass: (qualified, file) => this.bases.operationClass(qualified, file),
        importedCode: (qualified, file, atomic, view) => this.bases.importedCode(qualified, file, atomic, view),
        ...(this.releases ? { releases: this.releases, codeBefore: (asks: ReadonlyArray<{ file: string; release: string }>) => this.codeBefore.modelsBefore(asks) } : {}),
      });
      // The functions migrations take from other modules, each module read once for all of them (the
      // rules then ask one by one); a module read before is only stat'ed.
      this.bases.readAll(
        read.flatMap((m) => (m.summary?.operations ?? []).flatMap((op) => (op.importedCode ?? []).map((c) => ({ qualified: c.qualified, fromFile: m.file, atomic: m.summary?.atomic !== false })))),
      );
    }
    return this.current;
  }

  /**
   * The other member files whose findings may change after `file` changed: for the model
   * state, its app's later migrations; for the graph, every migration of its app and every one
   * that names the app (dependencies, run_before), where leaves, missing migrations and cycles live.
   */
  affected(file: string, change: ProjectChange): string[] {
    if (change === 'none') return [];
    const view = this.view();
    const app = this.appOf(file);
    if (!view || !app) return [];
    const out = new Set<string>();
    if (change === 'state') {
      const start = view.node(file);
      const stack = start ? [...start.children] : [];
      while (stack.length > 0) {
        const n = stack.pop();
        if (!n?.migration || n.key.app !== app || out.has(n.migration.file)) continue;
        out.add(n.migration.file);
        stack.push(...n.children);
      }
    } else {
      for (const [f, e] of this.entries) {
        const names = (l: MigrationSummary['dependencies'] | undefined) => l?.entries.some((d) => d.kind !== 'key' || d.app === app) ?? false;
        if (e.app === app || names(e.summary?.dependencies) || names(e.summary?.runBefore)) out.add(f);
      }
    }
    out.delete(file);
    return [...out].filter((f) => this.entries.has(f));
  }
}

/**
 * The project views of a `check` run: which app each migration belongs to (from the apps.py labels
 * the run read) and one ProjectView per project (several when the folders named are of several
 * projects, see projectsOf), for project-run.ts and graph.ts.
 */
import { CodeBeforeReader } from '../workspace/code-before';
import { dirname } from 'node:path';
import type { AppLabel } from '../analysis/project/app-config';
import type { MigrationSummary } from '../analysis/project/summary';
import { ProjectView, type ProjectViewInput } from '../analysis/project/view';
import { POSTGRES_NAMES, projectMigrations } from '../workspace/project-loader';
import { ProjectLayout } from '../workspace/project-layout';
import type { ProjectPlan } from './project-run';
import type { FileResult, LintTask } from './types';

/** The apps.py labels a run read, by app folder. */
function labelsOf(tasks: readonly LintTask[], results: readonly FileResult[]): Map<string, AppLabel> {
  const labels = new Map<string, AppLabel>();
  tasks.forEach((t, i) => {
    const r = results[i];
    if (t.mode === 'app-config' && r?.status === 'app-config') labels.set(dirname(t.file), r.label);
  });
  return labels;
}

/** Which app each file of the run belongs to, from the apps.py labels the run read. */
export function layoutOf(plan: ProjectPlan, tasks: readonly LintTask[], results: readonly FileResult[]): ProjectLayout {
  const labels = labelsOf(tasks, results);
  return new ProjectLayout(plan.candidates, (dir) => labels.get(dir) ?? { kind: 'none' });
}

/** The project views of a run, one per project (see projectsOf): a file's questions go to its project's. */
export class ProjectViews {
  constructor(
    private readonly layout: ProjectLayout,
    private readonly views: ReadonlyMap<string, ProjectView>,
    /** A view of no migration, for a file linted again outside every app (it knows nothing of the file, as the others do not). */
    private readonly outside: () => ProjectView,
  ) {}

  /**
   * The view that answers a migration's questions: its project's (for a migration a squash
   * replaced, ProjectView.forFile's view of the chain); null for a file in no app's migrations folder.
   */
  of(file: string): ProjectView | null {
    const project = this.layout.appOf(file) === null ? null : this.layout.projectOf(file);
    return project === null ? null : (this.views.get(project)?.forFile(file) ?? null);
  }

  /**
   * The view a file is linted again with: its project's, else one that knows nothing of it (a
   * fix then says what it cannot know, as in a project of one view).
   */
  relintView(file: string): ProjectView {
    return this.of(file) ?? this.outside();
  }

  /** Every project's view, in the order their first migrations came. */
  all(): ProjectView[] {
    return [...this.views.values()];
  }
}

/** The project views from every file a run read (apps.py labels included). */
export function finishProjectView(plan: ProjectPlan, tasks: readonly LintTask[], results: readonly FileResult[], authUserModel: string, readers: SourceReaders = {}): ProjectViews {
  return viewsOf(layoutOf(plan, tasks, results), tasks, results, authUserModel, withHistory(plan, readers));
}

/** The readers, with what the project's history tells when git told the releases: which files shipped together, and the models the release before each had. */
export function withHistory(plan: ProjectPlan, readers: SourceReaders): SourceReaders {
  if (!plan.releases) return readers;
  const code = (plan.codeBefore ??= new CodeBeforeReader(plan.tagsBefore));
  return { ...readers, releases: plan.releases, codeBefore: (asks) => code.modelsBefore(asks) };
}

/**
 * What the views learn from outside the migrations: the project's own modules (base classes' writes,
 * operation classes' state, imported RunPython code) and its history (which files shipped together).
 */
export type SourceReaders = Pick<ProjectViewInput, 'baseWrites' | 'operationClass' | 'importedCode' | 'releases' | 'codeBefore'>;

export function viewsOf(layout: ProjectLayout, tasks: readonly LintTask[], results: readonly FileResult[], authUserModel: string, readers: SourceReaders = {}): ProjectViews {
  const byProject = new Map<string, Array<{ file: string; app: string; summary: MigrationSummary | null }>>();
  tasks.forEach((t, i) => {
    const app = layout.appOf(t.file);
    if (!app || t.mode === 'app-config') return;
    const project = layout.projectOf(t.file) ?? '';
    const r = results[i];
    let entries = byProject.get(project);
    if (!entries) byProject.set(project, (entries = []));
    entries.push({ file: t.file, app, summary: r?.status === 'checked' ? r.analysis.summary : null });
  });
  const viewOf = (entries: Array<{ file: string; app: string; summary: MigrationSummary | null }>): ProjectView =>
    new ProjectView({
      migrations: projectMigrations(entries),
      swappable: { AUTH_USER_MODEL: authUserModel },
      names: POSTGRES_NAMES,
      ...readers,
    });
  const views = new Map<string, ProjectView>();
  for (const [project, entries] of byProject) views.set(project, viewOf(entries));
  let outside: ProjectView | null = null;
  return new ProjectViews(layout, views, () => (outside ??= viewOf([])));
}

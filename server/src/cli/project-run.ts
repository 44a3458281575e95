/**
 * The project side of a `check` run: which files besides the linted ones the project view needs
 * (the other migrations of each migrations folder walked or named, and the apps' apps.py), and,
 * once every file has been read, the project view itself and each linted file's final findings.
 */
import type { CodeBeforeReader } from '../workspace/code-before';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { finalizeFindings, projectFindings, viewAnswers } from '../analysis/engine';
import { applyFixEdits } from '../analysis/fixes/apply';
import type { FileCreation, TextEdit } from '../analysis/types';
import { canEncode, type SourceEncoding } from '../workspace/source-encoding';
import { graphCandidates, isMigrationModuleName, projectsOf, viewNotes, type GraphCandidates, type ProjectLayout } from '../workspace/project-layout';
import { finishProjectView, layoutOf, viewsOf, withHistory, type ProjectViews, type SourceReaders } from './project-views';
import type { OperationSummary } from '../analysis/project/summary';

export { viewNotes };
import type { ConfigResolver } from './project-config';
import { findingFingerprint } from '../analysis/fingerprint';
import { PythonParser } from '../analysis/parser';
import { readSourceFile } from '../workspace/read-source';
import { bundledGrammarPaths } from './grammar';
import { lintAllTasks } from './lint-all';
import { lintFile } from './lint-file';
import { onlyRules } from '../analysis/rules';
import { ValueInterner } from '../analysis/interner';
import { BaseClassReader } from '../workspace/base-classes';
import type { EarlyWorkers } from './worker-pool';
import { projectKey, resultKey, type RunCache } from './run-cache';
import type { CliFinding, FileReport, FileResult, LintConfig, LintTask, ResultStatus } from './types';

export interface ProjectPlan {
  candidates: GraphCandidates;
  overrides: Map<string, string>;
  /** Files read only for the project view (summaries, apps.py labels). */
  extra: LintTask[];
  /** The release each migration first shipped in, from git (release-history.ts); absent: not asked. */
  releases?: ReadonlyMap<string, string>;
  /** git's answer while it is read (beside the files: another process); see settleReleases. */
  releasesPending?: Promise<ReadonlyMap<string, string>>;
  /** The models of the release before each migration's, read from git when a drop rule asks (one reader per run). */
  codeBefore?: CodeBeforeReader;
  /** Each release tag's nearest release tag behind it, by repository, as the release history read them (filled when releasesPending settles). */
  tagsBefore?: ReadonlyMap<string, Readonly<Record<string, readonly string[]>>>;
}

/** Waits for git's answer about the releases, if one is coming, and keeps it in the plan. */
async function settleReleases(plan: ProjectPlan): Promise<void> {
  const pending = plan.releasesPending;
  if (!pending) return;
  delete plan.releasesPending;
  plan.releases = await pending;
}

/** migration-modules of every configuration of the run, made absolute against its project root. */
function overridesOf(resolver: ConfigResolver): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of resolver.resolved) for (const [label, dir] of Object.entries(c.settings.migrationModules)) out.set(label, resolve(c.matcher.root, dir));
  return out;
}

/** Whether a package's __init__.py may set default_app_config or hold a config class (read as bytes; unreadable: no). */
function namesDefaultConfig(file: string): boolean {
  try {
    // `default_app_config = "…"`, or a config class of its own that INSTALLED_APPS names (pulp_file's).
    const bytes = readFileSync(file);
    return bytes.includes('default_app_config') || bytes.includes('AppConfig');
  } catch {
    return false;
  }
}

/** @param roots the folders named on the command line (absolute): several projects among them get a graph each (see projectsOf). */
export function planProject(python: Iterable<string>, tasks: readonly LintTask[], resolver: ConfigResolver, roots: readonly string[] = []): ProjectPlan {
  const overrides = overridesOf(resolver);
  const candidates = graphCandidates(python, overrides, existsSync, projectsOf(roots));
  const known = new Set(tasks.map((t) => t.file));
  const extra: LintTask[] = [];
  for (const file of candidates.files) {
    if (!known.has(file)) extra.push({ path: file, file, mode: 'summary', config: resolver.forDirectory(dirname(file), dirname(file)).index });
  }
  for (const dir of candidates.appDirs) {
    // The app's config: in its apps.py, else where its package's default_app_config points (Django < 4.1), else a config class of its __init__.py naming the package.
    const apps = join(dir, 'apps.py');
    const init = join(dir, '__init__.py');
    if (existsSync(apps)) extra.push({ path: apps, file: apps, mode: 'app-config', config: 0 });
    else if (namesDefaultConfig(init)) extra.push({ path: init, file: init, mode: 'app-config', config: 0 });
  }
  return { candidates, overrides, extra };
}

export interface ProjectOutcome {
  /** Final findings per linted task index (checked files only). */
  findings: Map<number, CliFinding[]>;
  /** Files the preferred fixes of project findings create (merge migrations), one per path. */
  creates: FileCreation[];
  /** Checked migrations in no migrations folder (found by content): linted without the project view. */
  outsideApps: string[];
  /** App labels two migrations folders claim: their migrations are linted without the project view. */
  ambiguousLabels: string[];
  /** App folders (as shown) whose apps.py label cannot be read: their migrations are linted without the project view. */
  unlabelledApps: string[];
  /** Files of migrations folders whose module name Django's loader skips (`0001_v1.0.0.py`), as shown. */
  unloadable: string[];
  /** Of outsideApps, the folders named `migrations` without an `__init__.py` (as shown): Django takes such an app for one without migrations. */
  namespaceFolders: string[];
  /** Apps whose model state is lost from a migration on (as shown), and how many of their migrations come after it. */
  lostStates?: Array<{ app: string; path: string; after: number; why?: string }>;
  /** Other files the preferred fixes edit (a module migrations take RunPython code from), each once, with the tree it may be written in. */
  modifies?: Array<{ file: string; root: string; original: string; text: string; encoding: SourceEncoding; applied: number }>;
}

/** The app folders of those tasks' migrations whose label cannot be read, shown as `show` says, sorted. */
function unlabelled(layout: ProjectLayout, tasks: Iterable<LintTask>, show: (appDir: string, task: LintTask) => string): string[] {
  const out = new Set<string>();
  for (const t of tasks) {
    const folder = layout.folderOf(t.file);
    if (folder?.source === 'unknown apps.py label') out.add(show(dirname(folder.dir), t));
  }
  return [...out].sort();
}

/** The notes graph prints: folders of the plan's migrations left out of the view (see viewNotes). */
export function planNotes(plan: ProjectPlan, tasks: readonly LintTask[], results: readonly FileResult[], cwd: string): string[] {
  const layout = layoutOf(plan, tasks, results);
  const claimed = new Set<string>();
  for (const f of layout.allFolders()) if (f.claimed) claimed.add(f.claimed);
  return viewNotes([...claimed].sort(), unlabelled(layout, tasks.filter((t) => t.mode !== 'app-config'), (dir) => relative(cwd, dir) || '.'));
}

/** A file's text as read for the workers, or null when it cannot be read or written back as read. */
function sourceOf(file: string, config: LintConfig): { text: string; encoding: SourceEncoding } | null {
  const read = readSourceFile(file, config.maxFileSize);
  if (!read.ok || read.source.problem || read.source.readOnly) return null;
  return { text: read.source.text, encoding: read.source.encoding };
}

/**
 * A new migration numbered like one another fix writes in the same folder: both would follow the
 * same migration, two leaves Django refuses to migrate (run again to get the next one numbered).
 */
function sameNumber(file: string, creates: ReadonlyMap<string, FileCreation>): boolean {
  const number = (f: string) => /^(\d+)_/.exec(basename(f))?.[1] ?? null;
  const n = number(file);
  return n !== null && [...creates.keys()].some((k) => k !== file && dirname(k) === dirname(file) && number(k) === n);
}

/** Builds the view from every file read, then runs the project rules and finalizes each linted file. */
export function finishProject(plan: ProjectPlan, tasks: readonly LintTask[], results: readonly FileResult[], configs: readonly LintConfig[], authUserModel: string, built?: ProjectViews, readers: SourceReaders = {}): ProjectOutcome {
  const layout = layoutOf(plan, tasks, results);
  const views = built ?? viewsOf(layout, tasks, results, authUserModel, withHistory(plan, readers));
  const findings = new Map<number, CliFinding[]>();
  const creates = new Map<string, FileCreation>();
  const outsideApps: string[] = [];
  const namespaceFolders = new Set<string>();
  const ambiguous = new Set<string>();
  const unread: LintTask[] = [];
  const unloadable: string[] = [];
  // Fixes that edit another file (a module of RunPython code): its text, and the fixes taken for it.
  const elsewhere = new Map<string, { root: string; source: { text: string; encoding: SourceEncoding }; edits: TextEdit[][]; taken: Set<string> } | null>();
  const fixedTasks = new Set(tasks.filter((_, i) => { const r = results[i]; return r?.status === 'checked' && !!r.fixed; }).map((t) => t.file));
  const otherFile = (file: string, config: LintConfig) => {
    let target = elsewhere.get(file);
    if (target === undefined) {
      // Only inside a tree the run was given (never through a link out of it), and not a file the run fixes itself.
      const root = tasks.find((t) => t.root !== undefined && (file === t.root || file.startsWith(t.root.endsWith(sep) ? t.root : t.root + sep)))?.root;
      const source = root && !fixedTasks.has(file) ? sourceOf(file, config) : null;
      elsewhere.set(file, (target = root && source ? { root, source, edits: [], taken: new Set() } : null));
    }
    return target;
  };
  tasks.forEach((t, i) => {
    const r = results[i];
    if ((t.mode !== 'lint' && t.mode !== 'detect') || r?.status !== 'checked') return;
    const config = configs[t.config] as LintConfig;
    const { analysis } = r;
    const view = views.of(t.file);
    const project = view ? { view, file: t.file } : undefined;
    if (!project && analysis.summary) {
      const folder = layout.folderOf(t.file);
      if (!folder) {
        outsideApps.push(t.path);
        // A namespace package: Django's loader puts the app among the unmigrated ones and never runs these.
        if (basename(dirname(t.file)) === 'migrations' && !existsSync(join(dirname(t.file), '__init__.py'))) namespaceFolders.add(dirname(t.path));
      }
      else if (!isMigrationModuleName(basename(t.file))) unloadable.push(t.path);
      else if (folder.claimed) ambiguous.add(folder.claimed);
      else if (folder.source === 'unknown apps.py label') unread.push(t);
    }
    // Fixes of the project rules are computed only when they may be written (--unsafe-fixes): on
    // the text the summary was read from — the workers' fixed text, or the file as it is.
    // A file that does not parse is never edited (lint-file.ts), nor given new files by its fixes.
    const fixing = config.fix === 'preferred' && r.syntaxError === null;
    const source = fixing && analysis.summary && !r.notFixed ? (r.fixed ? { text: r.fixed.text, encoding: r.fixed.encoding } : sourceOf(t.file, config)) : null;
    const fromProject = analysis.summary ? projectFindings(analysis.summary, { rules: config.rules, project, target: config.target }, source?.text ?? null) : [];
    const projectFixes = new Set(fromProject.flatMap((f) => f.fixes));
    let final = finalizeFindings([...analysis.findings, ...fromProject], analysis.suppressions, { rules: config.rules });
    if (fixing) {
      // A fix that writes new files fixes its finding once they are written (check.ts writes them),
      // with its edits to this file applied here, all or nothing per fix; so does a project rule's
      // fix that only edits this file (the workers applied the file rules' fixes already).
      const edits: TextEdit[][] = [];
      const taken = new Set<string>();
      // A fix is taken only when all of it can be written: its edits apply beside the ones taken
      // (none overlaps) in the file's encoding — else its files are not written either.
      const fits = (group: readonly TextEdit[]): boolean =>
        group.length === 0 || (!!source && canEncode(group.map((e) => e.newText).join(''), source.encoding) && applyFixEdits(source.text, [...edits, group]).applied === edits.length + 1);
      final = final.filter((f) => {
        const fix = f.fixes.find((x) => x.isPreferred) ?? f.fixes[0];
        if (fix?.elsewhere && projectFixes.has(fix)) {
          // A module several migrations run: its fix is written once, whichever finding offers it.
          const other = otherFile(fix.elsewhere.file, config);
          if (!other) return true;
          const key = JSON.stringify(fix.elsewhere.edits);
          if (other.taken.has(key)) return false;
          const group = fix.elsewhere.edits;
          if (!canEncode(group.map((e) => e.newText).join(''), other.source.encoding) || applyFixEdits(other.source.text, [...other.edits, group]).applied !== other.edits.length + 1) return true;
          other.taken.add(key);
          other.edits.push(group);
          return false;
        }
        if (!fix?.creates?.length) {
          if (!fix || !projectFixes.has(fix) || fix.edits.length === 0) return true;
          // One fix offered by several findings (every index operation of a migration) is applied once.
          const key = JSON.stringify(fix.edits);
          if (taken.has(key)) return false;
          if (!fits(fix.edits)) return true;
          taken.add(key);
          edits.push(fix.edits);
          return false;
        }
        // The same files from another finding (each leaf of a conflict offers one merge) are one fix.
        if (fix.creates.every((c) => creates.get(c.file)?.text === c.text)) return false;
        if (fix.creates.some((c) => creates.has(c.file) || sameNumber(c.file, creates)) || !fits(fix.edits)) return true;
        for (const c of fix.creates) creates.set(c.file, c);
        // Every chain of new migrations starts one past the app's highest number: a second fix's
        // chain would start on a number taken above (sameNumber), so one app never gets two leaves.
        if (fix.edits.length > 0) edits.push(fix.edits);
        return false;
      });
      if (source && edits.length > 0) {
        const next = applyFixEdits(source.text, edits);
        const fixed = r.fixed;
        r.fixed = { text: next.text, original: fixed?.original ?? source.text, applied: (fixed?.applied ?? 0) + next.applied, encoding: source.encoding };
      }
    }
    findings.set(i, final.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, range: f.range, related: f.related, ...(f.fingerprint !== undefined ? { fingerprint: f.fingerprint } : {}) })));
  });
  const shown = new Map(tasks.map((t) => [t.file, t.path]));
  const lostStates = views.all().flatMap((v) => v.lostStates()).map((l) => ({ app: l.app, path: shown.get(l.file) ?? l.file, after: l.after, ...(l.why ? { why: l.why } : {}) }));
  const modifies = [...elsewhere].flatMap(([file, o]) => {
    if (!o || o.edits.length === 0) return [];
    const next = applyFixEdits(o.source.text, o.edits);
    return [{ file, root: o.root, original: o.source.text, text: next.text, encoding: o.source.encoding, applied: next.applied }];
  });
  return { findings, creates: [...creates.values()], ...(modifies.length > 0 ? { modifies } : {}), outsideApps, ambiguousLabels: [...ambiguous].sort(), unlabelledApps: unlabelled(layout, unread, (_dir, t) => dirname(dirname(t.path))), unloadable: unloadable.sort(), namespaceFolders: [...namespaceFolders].sort(), lostStates };
}

/** Only what the report needs of a result (a cached project step keeps nothing more). */
function statusOf(r: FileResult): ResultStatus {
  switch (r.status) {
    case 'checked':
      return { status: 'checked', ...(r.fixed ? { fixed: r.fixed } : {}), ...(r.notFixed ? { notFixed: r.notFixed } : {}) };
    case 'app-config':
      return { status: 'app-config' };
    case 'skipped':
      return { status: 'skipped', ...(r.warning !== undefined ? { warning: r.warning } : {}) };
    case 'failed':
      return r;
  }
}

/**
 * Reads every file of the run and does the project step, reusing what the cache holds: when no
 * file (nor the settings) changed since a run over the same paths, its project step as it was;
 * else each unchanged file's result, and the project step again. Throws only when the parser
 * cannot start.
 */
export async function lintProject(plan: ProjectPlan, tasks: readonly LintTask[], configs: LintConfig[], jobs: number, authUserModel: string, cache: RunCache | null, early: EarlyWorkers | null = null): Promise<{ statuses: ResultStatus[]; outcome: ProjectOutcome }> {
  const keyOf = (hashes: ReadonlyArray<string | null>): string | null => {
    // The releases as git told them by now (settleReleases comes before each use).
    const settings = [authUserModel, [...plan.overrides], plan.candidates, [...(plan.releases ?? [])]];
    // A file's result key (its mode and its config's rules, as JSON) is long and shared by many files:
    // each part names it by its index, and the distinct keys are hashed once, in that order.
    const ids = new Map<string, number>();
    const idOf = (key: string): number => {
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      return id;
    };
    const parts = tasks.map((t, i) => (hashes[i] ? `${t.file}\0${idOf(resultKey(t, configs[t.config] as LintConfig))}\0${hashes[i]}` : null));
    return projectKey(parts, [settings, [...ids.keys()]]);
  };
  // A project step kept from a run before is keyed by the releases too; else they are needed only once the files are read.
  if (cache?.hasProjects()) await settleReleases(plan);
  const known = cache?.hasProjects() ? cache.hashAll(tasks, configs) : undefined;
  const memo = known && cache ? cache.project(keyOf(known) ?? '') : null;
  if (memo) {
    early?.release();
    cache?.saveStats();
    return { statuses: memo.statuses, outcome: memo.outcome };
  }
  const { results, hashes, view, baseFiles, classes } = configs.some((c) => c.fix !== 'none')
    ? await lintForFixes(plan, tasks, configs, jobs, authUserModel, early)
    : await withViewAnswers(plan, tasks, configs, authUserModel, await lintAllTasks(tasks.map((t) => ({ ...t, viewFollows: true })), configs, jobs, cache, known, early).then(async (linted) => {
        await settleReleases(plan);
        return linted;
      }));
  let outcome: ProjectOutcome;
  try {
    outcome = finishProject(plan, tasks, results, configs, authUserModel, view, classes?.readers);
  } finally {
    classes?.dispose();
  }
  const statuses = results.map(statusOf);
  if (cache) {
    const key = keyOf(hashes);
    if (key !== null) cache.storeProject(key, outcome, statuses, [...(baseFiles ?? []), ...(classes?.files ?? [])]);
    cache.save();
  }
  return { statuses, outcome };
}

/**
 * A run that writes fixes: some file rules' fixes depend on the project view (no bulk_create for a
 * child of multi-table inheritance, nor bulk writes for a model whose migrations give it a mixin;
 * auto_now fields stamped as save() would), which the workers do not have. So every file is read
 * first as a plain run reads it, the view is built from that, and the files with findings of their
 * own are linted again, here, with the view, and fixed. The cache is never used by such a run.
 */
async function lintForFixes(plan: ProjectPlan, tasks: readonly LintTask[], configs: LintConfig[], jobs: number, authUserModel: string, early: EarlyWorkers | null): Promise<Relinted> {
  const plain = configs.map((c): LintConfig => ({ ...c, fix: 'none' }));
  const first = await lintAllTasks([...tasks], plain, jobs, null, undefined, early);
  await settleReleases(plan);
  const classes = await operationClasses(tasks, first.results);
  const todo = tasks.flatMap((t, i) => {
    const r = first.results[i];
    const config = configs[t.config] as LintConfig;
    return config.fix !== 'none' && (t.mode === 'lint' || t.mode === 'detect') && r?.status === 'checked' && r.analysis.findings.length > 0 ? [i] : [];
  });
  if (todo.length === 0) return { ...first, ...(classes ? { classes } : {}) };
  const parser = await PythonParser.create(bundledGrammarPaths());
  const bases = new BaseClassReader(parser);
  const view = finishProjectView(plan, tasks, first.results, authUserModel, { baseWrites: (base, file) => bases.writes(base, file), ...classes?.readers });
  // Built from the results before the fixes: finishProject builds it again from the fixed ones.
  try {
    return { ...relint(parser, tasks, configs, first.results, view, todo), hashes: first.hashes, baseFiles: bases.files, ...(classes ? { classes } : {}) };
  } finally {
    parser.dispose();
  }
}

interface Relinted {
  results: FileResult[];
  hashes: Array<string | null>;
  /** The project views of these results, when they were built on the way. */
  view?: ProjectViews;
  /** The project's modules read for the base classes migrations give models: what the results depend on too. */
  baseFiles?: string[];
  /** What the project's own operation classes do to the state, and the functions RunPython imports do with models, when a migration calls one. */
  classes?: SourceAnswers;
}

interface SourceAnswers {
  readers: Pick<SourceReaders, 'operationClass' | 'importedCode'>;
  /** The modules read for them: what the project step depends on too. */
  files: string[];
  /** Lets go of the parser kept for readings with the project view; the readers read nothing new after it. */
  dispose(): void;
}

/**
 * Reads, in this thread, the project's code the migrations call: operation classes
 * (`InstallSQL("…")` imported from `ureport.sql`), for the state replay, and functions RunPython is
 * handed from other modules (`rbac.create_roles`), for the models they use. Null when no migration
 * calls any, as in most runs, which then never load the grammar here.
 */
async function operationClasses(tasks: readonly LintTask[], results: readonly FileResult[]): Promise<SourceAnswers | null> {
  const asked = new Map<string, { qualified: string; file: string }>();
  const code = new Map<string, { qualified: string; file: string; atomic: boolean }>();
  const collect = (ops: readonly OperationSummary[], file: string, atomic: boolean): void => {
    for (const op of ops) {
      if (op.importedFrom !== undefined) asked.set(`${file}\0${op.importedFrom}`, { qualified: op.importedFrom, file });
      for (const c of op.importedCode ?? []) code.set(`${file}\0${c.qualified}\0${atomic}`, { qualified: c.qualified, file, atomic });
      if (op.stateOperations) collect(op.stateOperations, file, atomic);
    }
  };
  results.forEach((r, i) => {
    if (r.status === 'checked' && r.analysis.summary) collect(r.analysis.summary.operations, (tasks[i] as LintTask).file, r.analysis.summary.atomic !== false);
  });
  if (asked.size === 0 && code.size === 0) return null;
  const parser = await PythonParser.create(bundledGrammarPaths());
  let kept = false;
  try {
    const reader = new BaseClassReader(parser);
    const classes = new Map([...asked].map(([key, q]) => [key, reader.operationClass(q.qualified, q.file)] as const));
    // Each module once for all the functions asked of it.
    reader.readAll([...code.values()].map((q) => ({ qualified: q.qualified, fromFile: q.file, atomic: q.atomic })));
    const functions = new Map([...code].map(([key, q]) => [key, reader.importedCode(q.qualified, q.file, q.atomic)] as const));
    const unread = { kind: 'unknown' as const, why: 'its module was not read' };
    // Where a rule wanted the project view for the code's fixes, the view of each migration that runs
    // it reads it again, later (BaseClassReader.findingsInView): the parser is kept until dispose().
    kept = reader.viewWanted();
    return {
      readers: {
        operationClass: (qualified, file) => classes.get(`${file}\0${qualified}`) ?? unread,
        importedCode: (qualified, file, atomic, view) => {
          const key = `${file}\0${qualified}\0${atomic}`;
          return kept && functions.has(key) ? reader.importedCode(qualified, file, atomic, view) : (functions.get(key) ?? unread);
        },
      },
      // The files read so far, and those the readings with a view read again (the same modules).
      files: reader.files,
      dispose: () => {
        if (kept) parser.dispose();
        kept = false;
      },
    };
  } finally {
    if (!kept) parser.dispose();
  }
}

/**
 * A plain run: the workers lint each file without the project view, and say which models a rule
 * wanted its answers about, or what only a lint with the view can tell (today's model class read
 * from the project's source, the fields a model's save() fills in). Where the answer changes a
 * finding — a child of multi-table inheritance, a model whose migrations give it a mixin or a field
 * whose save() fills in another: no rewrite, and the message says why —
 * the file is linted again, here, with the view, so the CLI says what the editor says (168 of the
 * 279 files that asked, on the 21 bench trees). A rule that needs the view whatever it answers
 * stops at its question in the first lint (`viewFollows`), so its work is not done twice. Each
 * file's cached result stays the one without the view (it must not depend on other files).
 */
async function withViewAnswers(plan: ProjectPlan, tasks: readonly LintTask[], configs: LintConfig[], authUserModel: string, linted: { results: FileResult[]; hashes: Array<string | null> }): Promise<Relinted> {
  const classes = await operationClasses(tasks, linted.results);
  const withClasses = classes ? { classes } : {};
  const asking = tasks.flatMap((_, i) => {
    const r = linted.results[i];
    return r?.status === 'checked' && r.analysis.viewModels?.length ? [i] : [];
  });
  if (asking.length === 0) return { ...linted, ...withClasses };
  // The modules of the mixins migrations name are read only when some file asks about such a
  // model: most runs never load the grammar in this thread.
  let bases: BaseClassReader | null = null;
  const view = finishProjectView(plan, tasks, linted.results, authUserModel, {
    baseWrites: (base, file) => bases?.writes(base, file) ?? { kind: 'unknown', why: 'its module was not read' },
    ...classes?.readers,
  });
  const asked = (i: number, question: (file: string, app: string, model: string) => boolean): boolean =>
    viewAnswers((linted.results[i] as Checked).analysis, (app, model) => question((tasks[i] as LintTask).file, app, model));
  const maybe = asking.filter((i) =>
    asked(i, (file, app, model) => {
      const v = view.of(file);
      return !!v && (v.multiTableChild(file, app, model) || v.outOfViewModel(file, app, model) || v.fillsAnotherField(file, app, model) || v.hasManyToMany(file, app, model) || v.customBases(file, app, model).length > 0 || v.fieldInTheWay(file, app, model) !== null);
    }),
  );
  if (maybe.length === 0) return { ...linted, view, ...withClasses };
  const parser = await PythonParser.create(bundledGrammarPaths());
  try {
    const reader = (bases = new BaseClassReader(parser));
    const todo = maybe.filter((i) => asked(i, (file, app, model) => view.of(file)?.bulkWritesDiffer(file, app, model) ?? false));
    // Only the rules that asked run again; the file's other findings stand.
    const again = relint(parser, tasks, configs, linted.results, view, todo, (i) => (linted.results[i] as Checked).analysis.viewRules ?? []);
    const results = again.results.map((r, i) => {
      const before = linted.results[i] as FileResult;
      if (r === before || r.status !== 'checked' || before.status !== 'checked') return r;
      const rules = new Set(before.analysis.viewRules ?? []);
      return { ...before, analysis: { ...before.analysis, findings: [...before.analysis.findings.filter((f) => !rules.has(f.rule)), ...r.analysis.findings] } };
    });
    return { results, hashes: linted.hashes, view, baseFiles: reader.files, ...withClasses };
  } finally {
    parser.dispose();
  }
}

type Checked = Extract<FileResult, { status: 'checked' }>;

/**
 * `results` with the files at `todo` linted again, in this thread, with the project view; with
 * `only`, just the rules it names for that file (the others off).
 */
function relint(parser: PythonParser, tasks: readonly LintTask[], configs: readonly LintConfig[], results: readonly FileResult[], views: ProjectViews, todo: readonly number[], only?: (i: number) => readonly string[]): { results: FileResult[] } {
  const out = [...results];
  const interner = new ValueInterner();
  for (const i of todo) {
    const t = tasks[i] as LintTask;
    const config = configs[t.config] as LintConfig;
    const keep = only ? new Set(only(i)) : null;
    const rules = keep ? onlyRules(config.rules, keep) : config.rules;
    out[i] = lintFile(parser, t, { ...config, rules }, interner, { view: views.relintView(t.file), file: t.file });
  }
  return { results: out };
}

/**
 * Gives the findings that have none (those of the project rules, found after the workers let go
 * of their trees) the fingerprint a baseline keys them by: their files are read and parsed again,
 * which only happens when a baseline is in use and only for files with such findings.
 */
export async function fillFingerprints(files: readonly FileReport[], maxFileSize?: number): Promise<void> {
  const pending = files.filter((f) => f.findings.some((x) => x.fingerprint === undefined));
  if (pending.length === 0) return;
  const parser = await PythonParser.create(bundledGrammarPaths());
  try {
    for (const f of pending) {
      const read = readSourceFile(f.file, maxFileSize);
      if (!read.ok) continue;
      const tree = parser.parse(read.source.text);
      try {
        for (const x of f.findings) x.fingerprint ??= findingFingerprint(tree.rootNode, x.range);
      } finally {
        tree.delete();
      }
    }
  } finally {
    parser.dispose();
  }
}

/**
 * What the language server lints and when: open documents on every change, the workspace's
 * migrations from disk (a scan at start-up, then watched changes), each with the project view of
 * its workspace folder. A file's own analysis is kept, so when another migration changes the
 * graph or the model state, the migrations it affects are re-finalized against the new view
 * without being re-read or re-parsed — at once for the file being edited, a moment after the
 * last keystroke for the others. Publishing is the caller's; this module holds no connection.
 */
import * as crypto from 'node:crypto';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { analyzeFile, finalizeFindings, projectFindings, quickAnalysis, summarizeTree, textAnalysis, viewAnswers, type FileAnalysis, type ProjectContext, type RawFinding } from '../analysis/engine';
import { findingFingerprint } from '../analysis/fingerprint';
import { SyntaxScans } from '../analysis/syntax-scans';
import { ArgsCache } from '../analysis/args-cache';
import { ValueInterner } from '../analysis/interner';
import type { PythonParser, Tree } from '../analysis/parser';
import type { MigrationSummary } from '../analysis/project/summary';
import type { ProjectView } from '../analysis/project/view';
import { previewFile } from '../analysis/sql-preview/from-view';
import { previewMigration, type MigrationPreview } from '../analysis/sql-preview/preview';
import type { TargetDatabase } from '../analysis/target-database';
import { onlyRules } from '../analysis/rules';
import { undecodableSourceFinding } from '../analysis/rules/syntax-error';
import { parsesAsPython } from '../analysis/indentation';
import type { Node } from '../analysis/syntax';
import type { Finding, Range } from '../analysis/types';
import type { DecodedSource } from '../workspace/source-encoding';
import { readSourceFile } from '../workspace/read-source';
import { ProjectModel, type ProjectChange } from '../workspace/project-model';
import { releasesOf, type ReleaseNotes } from '../workspace/release-history';
import { overrideFolders, POSTGRES_NAMES } from '../workspace/project-loader';
import { lostStateNote, projectRootOf, projectsOf, viewNotes } from '../workspace/project-layout';
import { targetOf } from '../config/settings';
import type { LintService, ResolvedSettings } from './lint-service';
import { uriToPath } from './lint-service';
import type { OpenDocument, OpenDocuments } from './open-documents';

export interface LinterHost {
  service: LintService;
  parser(): PythonParser | undefined;
  documents(): OpenDocuments | undefined;
  /** Publishes a file's findings (an empty list clears them); `version` for open documents. */
  publish(uri: string, findings: Finding[], version?: number): void;
  fail(what: string, e: unknown): void;
}

interface Analyzed {
  uri: string;
  analysis: FileAnalysis;
  resolved: ResolvedSettings;
  /** With a baseline in effect: the fingerprint of every place a finding may point at, by range. */
  fingerprints?: Map<string, string>;
  /** The open document's version and text (code actions need suppression edits), else undefined. */
  version?: number;
  source?: string;
  /** An open document that does not parse: its findings carry no fixes (they would be computed on error recovery's guess). */
  unparsed?: true;
  /** A disk file's findings with the project view's answers to what its rules asked (see withViewAnswers), and the view they came from. */
  answered?: { view: ProjectView; findings: RawFinding[] };
  /** A disk file's: the hash of the text it was read from (see `kept`). */
  diskHash?: string;
}

/** The one-shot crypto.hash (Node.js 20.12 and 21.7 on) makes no Hash object per file; older runtimes build one. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;
/** The hash of a text read from disk (to tell, when its document closes, whether the disk still holds it). */
const textHash = (text: string): string => (oneShot ? oneShot('sha1', text, 'base64') : crypto.createHash('sha1').update(text).digest('base64'));

/** Whether two resolutions of a file's settings say the same (outside a scan, each is a new object). */
const sameSettings = (a: ResolvedSettings, b: ResolvedSettings): boolean =>
  a.settings === b.settings || (a.baseline === b.baseline && a.matcher.root === b.matcher.root && JSON.stringify(a.settings) === JSON.stringify(b.settings));

const rangeKey = (r: Range): string => `${r.start.line}:${r.start.character}:${r.end.line}:${r.end.character}`;

/**
 * The fingerprints a baseline needs, taken while the tree is at hand: of each finding of the file
 * itself, and of each place a project rule may point at later (operations, the class, dependencies).
 */
function fingerprintsOf(root: Node, analysis: FileAnalysis): Map<string, string> {
  const ranges: Range[] = analysis.findings.map((f) => f.range);
  const s = analysis.summary;
  if (s) {
    ranges.push(s.classRange, ...s.operations.map((o) => o.range), ...s.dependencies.entries.map((e) => e.range), ...s.runBefore.entries.map((e) => e.range));
  }
  const out = new Map<string, string>();
  for (const r of ranges) {
    const key = rangeKey(r);
    if (!out.has(key)) out.set(key, findingFingerprint(root, r));
  }
  return out;
}

/** How long after the last change the other affected migrations are re-linted. */
const SETTLE_MS = 150;

export class WorkspaceLinter {
  private readonly models = new Map<string, ProjectModel>();
  /** Each workspace folder's model key: the first folder of its project (folders of one project share a model). */
  private modelFolder = new Map<string, string>();
  /** For a model several workspace folders share: the folder its notes name and count paths from (its project's root). */
  private modelRoot = new Map<string, string>();
  private readonly analyzed = new Map<string, Analyzed>();
  /**
   * The disk analysis of each file open in the editor, as it was when the document opened: when
   * the document closes and the disk still holds the text it was made from, under the same
   * settings, it speaks for the file again without a parse or a lint (closing a large migration
   * cost a whole lint of it, and the garbage of one).
   */
  private readonly kept = new Map<string, Analyzed>();
  /** Files from disk that have diagnostics published (not open in the editor). */
  private readonly published = new Set<string>();
  private readonly pending = new Set<string>();
  /** Per open document, what its lints read before (typed arguments by operation text, the syntax scans of its last text): a keystroke re-reads only what changed. */
  private readonly caches = new Map<string, { args: ArgsCache; scans: SyntaxScans }>();
  /** Shares calls written the same way across the workspace's migrations (every summary is kept). */
  private readonly interner = new ValueInterner();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: LinterHost) {}

  private modelOf(file: string | null): ProjectModel | null {
    const folder = file ? this.host.service.folderOf(file) : null;
    return folder ? (this.models.get(this.modelFolder.get(folder) ?? folder) ?? null) : null;
  }

  private context(file: string | null, accept: 'current' | 'graph-current' = 'current'): ProjectContext | undefined {
    const model = this.modelOf(file);
    if (!file || !model?.appOf(file)) return undefined;
    const view = model.view(accept);
    return view ? { view: view.forFile(file), file } : undefined;
  }

  /** The final findings of an analyzed file against the current project view (minus its baseline). */
  private finish(file: string, a: Analyzed, accept: 'current' | 'graph-current' = 'current'): Finding[] {
    // The buffer being typed: the Python extension already reports its syntax errors as they happen.
    const rules = a.version !== undefined ? { ...a.resolved.settings.rules, 'syntax-error': 'off' as const } : a.resolved.settings.rules;
    const project = this.context(file, accept);
    const own = a.version === undefined && project ? this.withViewAnswers(file, a, project) : a.analysis.findings;
    const raw = a.analysis.summary ? [...own, ...projectFindings(a.analysis.summary, { rules, project, target: targetOf(a.resolved.settings) }, a.unparsed ? null : (a.source ?? null))] : own;
    const finalized = finalizeFindings(raw, a.analysis.suppressions, { rules, source: a.source });
    // A document that does not parse is never edited by a fix (as `check --fix` never writes one):
    // what error recovery read may be a guess. Its "disable" comments stay on offer.
    const findings = a.unparsed ? finalized.map((f) => (f.fixes.length > 0 ? { ...f, fixes: [] } : f)) : finalized;
    const { baseline } = a.resolved;
    if (!baseline || !a.fingerprints) return findings;
    const prints = a.fingerprints;
    return this.host.service.baselines.filterFingerprinted(file, baseline, findings, (f) => prints.get(rangeKey(f.range)) ?? '');
  }

  /**
   * A disk file read during a scan is linted without the project view, and its rules say which
   * models they wanted the view's answers about (a mixin, a multi-table child: no rewrite, and the
   * message says why), or that only a lint with the view can tell (today's model class read from the
   * project's source, the fields a model's save() fills in). Where the answer changes a finding, the asking rules run again on the file
   * with the view, so an unopened file says what it says open, and what the CLI says. Rare; kept
   * until the view changes.
   */
  private withViewAnswers(file: string, a: Analyzed, project: ProjectContext): RawFinding[] {
    if (!a.analysis.viewModels?.length) return a.analysis.findings;
    if (a.answered?.view === project.view) return a.answered.findings;
    let findings = a.analysis.findings;
    const differs = viewAnswers(a.analysis, (app, model) => project.view.bulkWritesDiffer(file, app, model));
    const parser = this.host.parser();
    const read = differs && parser ? readSourceFile(file, a.resolved.settings.maxFileSize) : null;
    if (read?.ok && parser) {
      const keep = new Set(a.analysis.viewRules ?? []);
      const rules = onlyRules(a.resolved.settings.rules, keep);
      const tree = parser.parse(read.source.text);
      try {
        const again = analyzeFile(tree, read.source.text, { rules, batchSize: a.resolved.settings.batchSize, target: targetOf(a.resolved.settings), name: basename(file, '.py'), interner: this.interner, ruleProject: project }).analysis;
        // Quick fixes are offered only for open documents.
        findings = [...findings.filter((f) => !keep.has(f.rule)), ...again.findings.map((f) => (f.fixes.length > 0 ? { ...f, fixes: [] } : f))];
      } finally {
        tree.delete();
      }
    }
    a.answered = { view: project.view, findings };
    return findings;
  }

  /**
   * Records a file's new analysis in its project; re-lints the migrations it affects, soon
   * (`propagate` false during a scan, which publishes every file once it is done).
   */
  private record(file: string | null, summary: FileAnalysis['summary'], propagate = true): void {
    const model = this.modelOf(file);
    if (!file || !model) return;
    const change: ProjectChange = model.update(file, summary);
    if (change === 'none' || !propagate) return;
    for (const f of model.affected(file, change)) this.pending.add(f);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const files = [...this.pending];
      this.pending.clear();
      for (const f of files) this.refinish(f);
    }, SETTLE_MS);
  }

  /** Publishes a file's findings again against the current view, from its kept analysis. */
  private refinish(file: string): void {
    const a = this.analyzed.get(file);
    if (!a) return;
    try {
      this.host.publish(a.uri, this.finish(file, a), a.version);
    } catch (e) {
      this.host.fail(`re-linting ${file}`, e);
    }
  }

  /**
   * A Python file changed on disk (saved, created or deleted): the migrations whose findings read
   * code of it (a function RunPython is handed from that module) are published again, soon.
   */
  moduleChanged(file: string): void {
    for (const model of new Set(this.models.values())) for (const f of model.readersOf(file)) this.pending.add(f);
    this.schedule();
  }

  /** Lints one open document and publishes its diagnostics (or clears them). */
  lintOpen(doc: OpenDocument): void {
    const docs = this.host.documents();
    if (!docs) return;
    const file = uriToPath(doc.uri);
    try {
      const text = doc.document.getText();
      const resolved = this.host.service.settingsFor(file);
      const tree = docs.treeOf(doc);
      if (!this.host.service.isMigration(file, text, () => tree, resolved)) {
        if (file) this.analyzed.delete(file);
        this.host.publish(doc.uri, [], doc.document.version);
        return;
      }
      let memo = this.caches.get(doc.uri);
      if (!memo) this.caches.set(doc.uri, (memo = { args: new ArgsCache(), scans: new SyntaxScans() }));
      // The project view names the app a model import belongs to (runpython-model-import's fix);
      // it is built only if that fix asks, never on an ordinary keystroke.
      const model = this.modelOf(file);
      const ruleProject = file && model?.appOf(file) ? { file, get view() { return model.view('graph-current')?.forFile(file) ?? null; } } : undefined;
      const { analysis } = analyzeFile(tree, text, { rules: resolved.settings.rules, batchSize: resolved.settings.batchSize, target: targetOf(resolved.settings), name: file ? basename(file, '.py') : undefined, argsCache: memo.args, syntaxScans: memo.scans, interner: this.interner, ...(ruleProject ? { ruleProject } : {}) });
      const a: Analyzed = { uri: doc.uri, analysis, resolved, version: doc.document.version, source: text, ...(parsesAsPython(tree.rootNode) ? {} : { unparsed: true as const }), ...(resolved.baseline ? { fingerprints: fingerprintsOf(tree.rootNode, analysis) } : {}) };
      if (file) {
        const before = this.analyzed.get(file);
        if (before?.diskHash !== undefined) this.kept.set(file, before);
        this.analyzed.set(file, a);
      }
      this.record(file, analysis.summary);
      this.host.publish(doc.uri, this.finish(file ?? '', a, 'graph-current'), doc.document.version);
    } catch (e) {
      this.host.fail(`linting ${doc.uri}`, e);
      this.host.publish(doc.uri, [], doc.document.version);
    }
  }

  /**
   * What a scan does with a file on disk, by its path, before reading it: `text` when it matters
   * whatever its bytes (open in the editor, one of an app's migrations — the project view reads
   * them all — or a migration by its path); `bytes` when it is a migration only if its content
   * defines one (read, decoded only when its bytes name `Migration`); `skip` when the settings
   * leave it out (excluded, or content detection off), as `check` never reads such a file.
   */
  scanKind(file: string): 'text' | 'bytes' | 'skip' {
    // Asked of every Python file of a scan: the file's URI is made only when some document is open.
    const docs = this.host.documents();
    if (docs && docs.size > 0 && docs.get(pathToFileURL(file).href)) return 'text';
    if (this.modelOf(file)?.appOf(file)) return 'text';
    const kind = this.host.service.settingsFor(file).matcher.classify(file);
    return kind === 'migration' ? 'text' : kind === 'by-content' ? 'bytes' : 'skip';
  }

  /** A file on disk that is not a migration (scanKind and its bytes said so): nothing is kept or shown for it. */
  notMigration(file: string): void {
    this.analyzed.delete(file);
    this.kept.delete(file);
    // Most files of a scan were never published: their URI is made only when some file was.
    if (this.published.size === 0) return;
    const uri = pathToFileURL(file).href;
    if (this.published.delete(uri)) this.host.publish(uri, []);
  }

  /**
   * Analyzes the on-disk text of a file, as Python decodes it (null: unreadable, gone, or skipped).
   * Returns whether it is a migration; `publish` false during a scan (findings wait for the whole
   * project).
   */
  analyzeDisk(file: string, source: DecodedSource | null, publish = true): boolean {
    const text = source?.text ?? null;
    const parser = this.host.parser();
    if (!parser) return false;
    const uri = pathToFileURL(file).href;
    const forget = (): false => {
      this.notMigration(file);
      return false;
    };
    const kept = this.kept.get(file);
    this.kept.delete(file);
    if (this.host.documents()?.get(uri)) return true; // the editor's buffer wins (and what was kept of the disk may be old now)
    if (text === null) {
      const model = this.modelOf(file);
      if (model && model.remove(file) !== 'none') for (const f of model.affected(file, 'graph')) this.pending.add(f);
      this.schedule();
      return forget();
    }
    const resolved = this.host.service.settingsFor(file);
    // A migration the settings leave out (exclude globs) is still part of Django's graph: the
    // project view reads its summary, nothing is reported for it.
    const member = !!this.modelOf(file)?.appOf(file);
    const lintable = resolved.matcher.isIncluded(file) || resolved.matcher.mayDefineMigration(file, text);
    if (!lintable && !member) return forget();
    const diskHash = textHash(text);
    if (kept && kept.diskHash === diskHash && sameSettings(kept.resolved, resolved)) {
      // A document closed on the text the disk still holds: its analysis from before it opened.
      this.analyzed.set(file, kept);
      this.record(file, kept.analysis.summary, publish);
      if (publish) this.publishDisk(file);
      return true;
    }
    let tree: Tree | undefined;
    // Parsed only when needed: most migrations are read from their text alone.
    const parsed = (): Tree => (tree ??= parser.parse(text));
    try {
      const name = basename(file, '.py');
      // Most migrations are of the shape makemigrations writes: read quickly, nothing to report
      // (from the text when it can be; a baseline needs the tree for its fingerprints).
      const early = source?.problem || resolved.baseline ? null : textAnalysis(text, name, this.interner);
      const quick = early ?? (source?.problem ? null : quickAnalysis(parsed(), text, name, this.interner));
      if (!lintable || !this.host.service.isMigration(file, text, parsed, resolved)) {
        this.record(file, quick?.summary ?? summarizeTree(parsed(), name, this.interner), publish);
        return forget();
      }
      let analysis = quick ?? analyzeFile(parsed(), text, { rules: resolved.settings.rules, batchSize: resolved.settings.batchSize, target: targetOf(resolved.settings), name, interner: this.interner }).analysis;
      if (source?.problem) {
        // Python stops at bytes it cannot decode, before it parses anything.
        const undecodable = undecodableSourceFinding(source.problem, resolved.settings.rules['syntax-error']).map((f): RawFinding => ({ ...f, reported: f.severity }));
        analysis = { ...analysis, findings: [...undecodable, ...analysis.findings.filter((f) => f.rule !== 'syntax-error')] };
      }
      const fingerprints = resolved.baseline ? { fingerprints: fingerprintsOf(parsed().rootNode, analysis) } : {};
      // Quick fixes are offered only for open documents (computed again when one is opened): a
      // file from disk keeps its findings without their edits.
      analysis = { ...analysis, findings: analysis.findings.map((f) => (f.fixes.length > 0 ? { ...f, fixes: [] } : f)) };
      this.analyzed.set(file, { uri, analysis, resolved, diskHash, ...fingerprints });
      this.record(file, analysis.summary, publish);
      if (publish) this.publishDisk(file);
      return true;
    } catch (e) {
      this.host.fail(`linting ${file}`, e);
      return false;
    } finally {
      tree?.delete();
    }
  }

  /** Publishes a disk file's findings (only when it has some, or had some before). */
  publishDisk(file: string): void {
    const a = this.analyzed.get(file);
    if (!a || a.version !== undefined) return;
    const findings = this.finish(file, a);
    if (findings.length > 0 || this.published.has(a.uri)) this.host.publish(a.uri, findings);
    if (findings.length > 0) this.published.add(a.uri);
    else this.published.delete(a.uri);
  }

  /**
   * Before a scan: the workspace folders' Python files decide each folder's project membership
   * (apps.py labels read now); summaries already known are kept.
   */
  resetProjects(filesByFolder: ReadonlyMap<string, readonly string[]>): void {
    const parser = this.host.parser();
    if (!parser) return;
    // Workspace folders of one project share its graph, as `check` given them does; folders of
    // different projects get one each (projectsOf). A model is keyed by its project's first folder.
    const projectOf = projectsOf([...filesByFolder.keys()]);
    const groups = new Map<string, string[]>();
    for (const folder of filesByFolder.keys()) {
      const project = projectOf(folder);
      const group = groups.get(project);
      if (group) group.push(folder);
      else groups.set(project, [folder]);
    }
    this.modelFolder = new Map();
    this.modelRoot = new Map();
    const keep = new Set<string>();
    for (const folders of groups.values()) {
      const first = folders[0] as string;
      keep.add(first);
      for (const f of folders) this.modelFolder.set(f, first);
      if (folders.length > 1) this.modelRoot.set(first, projectRootOf(first));
      const files = folders.length === 1 ? (filesByFolder.get(first) ?? []) : [...new Set(folders.flatMap((f) => filesByFolder.get(f) ?? []))];
      const resolved = this.host.service.settingsFor(join(first, 'pyproject.toml'));
      const settings = { authUserModel: resolved.settings.authUserModel, overrides: overrideFolders(resolved.settings, resolved.matcher.root) };
      let model = this.models.get(first);
      if (!model) this.models.set(first, (model = new ProjectModel(parser, settings)));
      model.reset(files, settings);
    }
    for (const folder of [...this.models.keys()]) if (!keep.has(folder)) this.models.delete(folder);
  }

  /**
   * Asks git which migrations shipped together (release-history.ts) — only when `trusted` (git's
   * own configuration of an untrusted folder could start programs) and the settings do not turn it
   * off — and gives each project the answer. Where it changed, the migrations whose findings may
   * change are published again, soon (`propagate` false during a scan, which publishes them all after).
   */
  async refreshReleases(trusted: boolean, propagate = true): Promise<void> {
    for (const [folder, model] of [...this.models]) {
      const settings = this.host.service.settingsFor(join(folder, 'pyproject.toml')).settings;
      const notes: ReleaseNotes = { shallow: [], tagsBefore: new Map() };
      const releases = trusted && settings.gitHistory && process.env['MIGRATION_GUARD_GIT_HISTORY'] !== '0' ? await releasesOf(model.files(), null, settings.releaseBase, notes, settings.releaseTags) : null;
      // A scan may have replaced the project meanwhile: its own refresh follows.
      if (this.models.get(folder) !== model) continue;
      const affected = model.setReleases(releases, notes.tagsBefore);
      if (!propagate || affected.length === 0) continue;
      for (const f of affected) this.pending.add(f);
      this.schedule();
    }
  }

  /**
   * What the log says after a scan about migrations linted without the project view (labels two
   * folders claim, apps whose apps.py label cannot be read) or without a model state (an app's state
   * lost from a migration on), per workspace folder (per project for folders of one project).
   */
  viewNotes(): string[] {
    return [...this.models].flatMap(([folder, model]) => {
      const root = this.modelRoot.get(folder) ?? folder;
      const out = model.outOfView(root);
      const lost = (model.view()?.lostStates() ?? []).map((l) => lostStateNote(l.app, relative(root, l.file) || l.file, l.after, l.why));
      return [...viewNotes(out.ambiguous, out.unlabelled), ...lost].map((note) => (this.models.size > 1 ? `${basename(root)}: ${note}` : note));
    });
  }

  /**
   * The project a file belongs to, for commands that need all of it (Split Migration); undefined
   * while the workspace scan has not read every migration yet (the caller then reads the disk).
   */
  projectOf(file: string): { view: ProjectView; layout: ProjectModel } | undefined {
    const model = this.modelOf(file);
    if (!model?.isComplete()) return undefined;
    const view = model.view();
    return view ? { view, layout: model } : undefined;
  }

  /**
   * The SQL preview of an analyzed migration against the current project view (its state before
   * unknown when the file is not in a project view), with its summary; null for other files.
   */
  preview(file: string | null, target: TargetDatabase): { summary: MigrationSummary; preview: MigrationPreview } | null {
    const summary = file ? this.analyzed.get(file)?.analysis.summary : null;
    if (!file || !summary) return null;
    const project = this.context(file, 'graph-current');
    const fromView = project ? previewFile(project.view, file, target, POSTGRES_NAMES, summary) : null;
    return { summary, preview: fromView ?? previewMigration({ summary, app: basename(dirname(dirname(file))), before: null, target, names: POSTGRES_NAMES }) };
  }

  /** An open document closed: it goes back to what is on disk. */
  closed(uri: string): void {
    this.caches.delete(uri);
    const file = uriToPath(uri);
    if (file) this.analyzed.delete(file);
  }

  /** Files with disk diagnostics, for the scan's clean-up of files that are gone. */
  publishedUris(): string[] {
    return [...this.published];
  }

  forgetPublished(uri: string): void {
    if (this.published.delete(uri)) this.host.publish(uri, []);
  }

  /** A disk file's diagnostics belong to the editor's buffer now. */
  handOver(uri: string): void {
    this.published.delete(uri);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

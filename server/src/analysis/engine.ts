/**
 * The analysis entry point, in three steps that the CLI runs apart (files on worker threads, the
 * project in one place) and the editor runs together:
 *  1. `analyzeFile`: tree in; the findings of the rules that read one file, the file's summary
 *     for the project view, and its suppression comments — all plain data.
 *  2. `projectFindings`: the rules that read the summary and the project view (the migration
 *     graph and the model state before this migration).
 *  3. `finalizeFindings`: severity settings, suppressions, unused suppressions, order.
 * Pure: no file system, no LSP, no global state.
 */
import type { SyntaxScans } from './syntax-scans';
import { ArgsCache } from './args-cache';
import { CodeIndex } from './code-facts';
import { quickSummary } from './project/quick-summary';
import { textSummary } from './project/text-summary';
import type { ValueInterner } from './interner';
import { buildMigrationModel, type MigrationModel } from './migration-model';
import { Parser } from 'web-tree-sitter';
import type { Tree } from './parser';
import { summarizeMigration, type MigrationSummary } from './project/summary';
import type { ProjectView } from './project/view';
import { RULE_IDS, RULES, ruleById } from './rules';
import { ruleEnabled, type ReportedFinding, type Rule, type RuleContext } from './rules/rule';
import { syntaxErrorFinding } from './rules/syntax-error';
import { DEFAULT_TARGET_DATABASE, type TargetDatabase } from './target-database';
import { withoutPostgresOnlyFixes, withoutUnrunnableFixes } from './fixes/django-features';
import { LineReader, parseSuppressions, suppressionEdit, suppressionFor, type Suppression } from './suppressions';
import type { Finding, Position, RuleSetting, Severity } from './types';

export interface LintOptions {
  /** Per-rule setting; rules not listed use 'default'. */
  rules?: Readonly<Record<string, RuleSetting>>;
  /** Rows per batch in generated templates. */
  batchSize?: number;
  /**
   * Offer "Commit this loop in batches" for a save loop no bulk rewrite fits (default true). Off, such
   * a finding has no fix and says only why the bulk rewrites refused it: what the tests of those
   * refusals look at (the fallback has tests of its own).
   */
  commitInBatches?: boolean;
  /** The migration's name (its file name without `.py`); defaults to 'migration'. */
  name?: string;
  /** The project this file belongs to; without it the rules see this file alone. */
  project?: ProjectContext;
  /** The project as the per-file rules see it, when it differs from `project` (the editor builds its view only if read). */
  ruleProject?: { readonly view: ProjectView | null; readonly file: string };
  /** Typed arguments read before from the same text (an editor re-reading an open document). */
  argsCache?: ArgsCache;
  /** The document's last syntax scans, which a scan of its new text starts from (an editor's open document). */
  syntaxScans?: SyntaxScans;
  /** Shares calls written the same way in many files (a process keeping every file's summary). */
  interner?: ValueInterner;
  /** The database the project deploys to; PostgreSQL 14 and Django 4.2 when not given. */
  target?: TargetDatabase;
  /**
   * The caller lints the file again, with the project view, for every rule that says it needs the
   * view (the CLI's plain run: project-run.ts): such a rule stops there, and its findings are left
   * to that lint, instead of being worked out twice (the relint was a tenth of a cold run).
   */
  viewFollows?: boolean;
}

export interface ProjectContext {
  view: ProjectView;
  /** The file's absolute path, as the view knows it. */
  file: string;
}

/** A finding as a rule reported it, before settings and suppressions. */
export interface RawFinding extends Finding {
  /** The rule's own severity (settings may override it). */
  reported: Severity;
}

/** What linting one file yields on its own: plain data, safe to send across threads. */
export interface FileAnalysis {
  findings: RawFinding[];
  /** Null when the file defines no migration class. */
  summary: MigrationSummary | null;
  suppressions: Suppression[];
  /** Linted without a project view: the models (`app.Model`) whose view answers a rule wanted. */
  viewModels?: string[];
  /** The rules that wanted them. */
  viewRules?: string[];
}

/** What `viewModels` holds for an answer only a lint with the view gives (needsView): `view:shop.models.Order`. */
const NEEDS_VIEW = 'view:';

/** What needsView throws to stop a rule whose findings a lint with the view will give (LintOptions.viewFollows). */
const LEFT_TO_THE_VIEW = Symbol('left to the lint with the view');

/**
 * Whether the view answers any of the questions a file linted without it asked (`question(app, model)`).
 * What only a lint with the view can tell (a class of the project's source read): always yes for those.
 */
export function viewAnswers(analysis: FileAnalysis, question: (app: string, model: string) => boolean): boolean {
  return (analysis.viewModels ?? []).some((ref) => {
    if (ref.startsWith(NEEDS_VIEW)) return true;
    const dot = ref.indexOf('.');
    return question(ref.slice(0, dot), ref.slice(dot + 1));
  });
}

export interface LintResult {
  findings: Finding[];
  /** Null when the file defines no migration class. */
  model: MigrationModel | null;
  summary: MigrationSummary | null;
}

function collect(id: string, reported: ReportedFinding[], out: RawFinding[], defaultSeverity: Severity): void {
  for (const r of reported) {
    const severity = r.severity ?? defaultSeverity;
    out.push({ rule: id, severity, reported: severity, message: r.message, range: r.range, related: r.related ?? [], fixes: r.fixes ?? [], ...(r.suppressionLine !== undefined ? { suppressionLine: r.suppressionLine } : {}), ...(r.splitFirst ? { splitFirst: true } : {}) });
  }
}

/**
 * The largest file whose fixes may look at texts of their own (inlining a helper, splitting a loop):
 * each look parses the whole text again, once per loop that asks. The largest real migration with
 * such a fix on 51 projects is 11 KB; a generated
 * 1 MB squashed file asked sixteen times, and a keystroke's lint took over a second.
 */
export const NESTED_TEXT_LIMIT = 512 * 1024;

/** Step 1: the migration model, the per-file rules, the summary and the suppression comments. */
export function analyzeFile(tree: Tree, source: string, options: LintOptions = {}): { analysis: FileAnalysis; model: MigrationModel | null } {
  options.syntaxScans?.prime(tree.rootNode);
  const model = buildMigrationModel(tree.rootNode, options.argsCache ?? null, options.interner ?? null);
  if (!model) {
    // No Migration class can be read: only a syntax error is worth saying (suppression comments
    // in a broken file cannot be trusted).
    const broken = syntaxErrorFinding(tree.rootNode);
    const findings: RawFinding[] = broken ? [{ rule: 'syntax-error', severity: 'error', reported: 'error', message: broken.message, range: broken.range, related: [], fixes: [] }] : [];
    return { analysis: { findings, summary: null, suppressions: [] }, model: null };
  }
  const settings = options.rules ?? {};
  const index = new CodeIndex();
  const findings: RawFinding[] = [];
  const project = options.ruleProject ?? options.project ?? null;
  const asked = new Set<string>();
  const askers = new Set<string>();
  // A fix's looks at texts of this file share what they read of operations that did not change.
  let nestedArgs: ArgsCache | null = null;
  for (const rule of RULES) {
    if (!rule.check || !ruleEnabled(rule.meta, settings[rule.meta.id])) continue;
    const reported: ReportedFinding[] = [];
    const askedOfView = (app: string, name: string): void => {
      asked.add(`${app}.${name}`);
      askers.add(rule.meta.id);
    };
    const needsView = (what: string): void => {
      asked.add(`${NEEDS_VIEW}${what}`);
      askers.add(rule.meta.id);
      if (options.viewFollows) throw LEFT_TO_THE_VIEW;
    };
    const asks = project ? {} : { askedOfView, needsView };
    const findingsOn = (text: string, at?: readonly Position[], other?: string): ReportedFinding[] => {
      const checked = other === undefined ? rule : ruleById(other);
      return findingsOnText({ tree, args: (nestedArgs ??= new ArgsCache()), project, asks }, text, (ctx) => checked?.check?.(ctx), options, at);
    };
    const nested = source.length <= NESTED_TEXT_LIMIT ? { findingsOn } : {};
    const target = options.target ?? DEFAULT_TARGET_DATABASE;
    try {
      rule.check({ model, source, index, batchSize: options.batchSize ?? 1000, ...(options.commitInBatches === false ? { commitInBatches: false } : {}), project, target, report: (f) => reported.push(withoutUnrunnableFixes(f, target.djangoVersion)), ...nested, ...asks });
    } catch (e) {
      if (e !== LEFT_TO_THE_VIEW) throw e;
      continue;
    }
    collect(rule.meta.id, reported, findings, rule.meta.defaultSeverity);
  }
  const summary = summarizeMigration(model, options.name ?? 'migration', index);
  const wanted = asked.size > 0 ? { viewModels: [...asked], viewRules: [...askers] } : {};
  return { analysis: { findings, summary, suppressions: parseSuppressions(source, tree), ...wanted }, model };
}

/**
 * One rule's findings on `text` (a fix's intermediate text of the file `base` holds): nothing when it
 * has no Migration class. Read with the typed arguments of the operations that did not change taken
 * from `base.args`, and with the file's project view: a fix edits RunPython code, never the
 * operations, so what the view says of the models before and during this migration still holds. Parsed whole: an incremental parse from the file's tree saved little here (a
 * 1 MB file: 205 ms against 294) and left the language server holding memory after the documents
 * were closed (RSS 1.23x of its start-up value against 1.07x).
 */
function findingsOnText(
  base: { tree: Tree; args: ArgsCache; project: RuleContext['project']; asks: Pick<RuleContext, 'askedOfView' | 'needsView'> },
  text: string,
  check: NonNullable<Rule['check']>,
  options: LintOptions,
  at?: readonly Position[],
): ReportedFinding[] {
  const parser = new Parser();
  let other: Tree | null = null;
  try {
    parser.setLanguage(base.tree.language);
    other = parser.parse(text);
    const model = other ? buildMigrationModel(other.rootNode, base.args, null) : null;
    if (!model) return [];
    const reported: ReportedFinding[] = [];
    const wanted = at ? (p: Position) => at.some((q) => q.line === p.line && q.character === p.character) : undefined;
    check({ model, source: text, index: new CodeIndex(), batchSize: options.batchSize ?? 1000, project: base.project, target: options.target ?? DEFAULT_TARGET_DATABASE, report: (f) => reported.push(f), ...(at ? { wantedAt: at } : {}), ...base.asks });
    return wanted ? reported.filter((f) => wanted(f.range.start)) : reported;
  } finally {
    other?.delete();
    parser.delete();
  }
}

/**
 * Step 2: the rules that read the project view (or, without one, this summary alone). `source` is
 * the text the summary was read from; without it the rules report findings but no fixes (a CLI
 * run that writes none does not keep the text).
 */
export function projectFindings(summary: MigrationSummary, options: LintOptions = {}, source: string | null = null): RawFinding[] {
  const settings = options.rules ?? {};
  const findings: RawFinding[] = [];
  for (const rule of RULES) {
    if (!rule.checkProject || !ruleEnabled(rule.meta, settings[rule.meta.id])) continue;
    const reported: ReportedFinding[] = [];
    const target = options.target ?? DEFAULT_TARGET_DATABASE;
    rule.checkProject({ summary, source, view: options.project?.view ?? null, file: options.project?.file ?? null, target, report: (f) => reported.push(withoutPostgresOnlyFixes(withoutUnrunnableFixes(f, target.djangoVersion), target, rule.meta.followsDatabase === true)) });
    collect(rule.meta.id, reported, findings, rule.meta.defaultSeverity);
  }
  return findings;
}

function effectiveSeverity(setting: RuleSetting | undefined, reported: Severity): Severity | null {
  if (setting === 'off') return null;
  if (!setting || setting === 'default') return reported;
  return setting;
}

/**
 * Step 3: settings, suppressions (marking the ones used), unused suppressions, order. With the
 * source, each finding also gets the edit that would suppress it.
 */
export function finalizeFindings(raw: readonly RawFinding[], suppressions: readonly Suppression[], options: { rules?: Readonly<Record<string, RuleSetting>>; source?: string }): Finding[] {
  const settings = options.rules ?? {};
  const source = options.source;
  // Suppressions may come from another thread or an earlier pass: start their bookkeeping afresh.
  const marks: Suppression[] = suppressions.map((s) => ({ ...s, used: new Set<string>() }));
  const lines = source === undefined ? null : new LineReader(source); // lines found only when an edit needs one
  const findings: Finding[] = [];
  // An operation expanded from a comprehension can yield the same finding once per element.
  const seen = new Set<string>();
  for (const r of raw) {
    const severity = effectiveSeverity(settings[r.rule], r.reported);
    if (!severity) continue;
    const key = `${r.rule}:${r.range.start.line}:${r.range.start.character}:${r.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const finding: Finding = { rule: r.rule, severity, message: r.message, range: r.range, related: r.related, fixes: r.fixes, ...(r.fingerprint !== undefined ? { fingerprint: r.fingerprint } : {}), ...(r.suppressionLine !== undefined ? { suppressionLine: r.suppressionLine } : {}), ...(r.splitFirst ? { splitFirst: true } : {}) };
    if (suppressionFor(finding, marks)) continue;
    if (source !== undefined && lines) finding.suppression = suppressionEdit(source, lines, finding.suppressionLine ?? finding.range.start.line, r.rule, marks);
    findings.push(finding);
  }
  const unusedSetting = settings['unused-suppression'];
  if (unusedSetting !== 'off') {
    const severity = effectiveSeverity(unusedSetting, 'information') as Severity;
    for (const s of marks) {
      const listed = s.rules ?? [];
      for (const rule of listed) {
        if (s.used.has(rule)) continue;
        const known = RULE_IDS.includes(rule);
        const meta = known ? ruleById(rule)?.meta : undefined;
        if (meta && !ruleEnabled(meta, settings[rule])) continue; // not checked, so not provably unused
        findings.push({
          rule: 'unused-suppression',
          severity,
          message: known
            ? `Unused suppression: no ${rule} finding ${s.kind === 'file' ? 'in this file' : `on line ${s.target + 1}`}.`
            : `Unknown rule '${rule}' in suppression comment (known rules: ${RULE_IDS.filter((r) => r !== 'unused-suppression').join(', ')}).`,
          range: s.range,
          related: [],
          fixes: [],
        });
      }
      if (s.rules === null && s.used.size === 0) {
        findings.push({
          rule: 'unused-suppression',
          severity,
          message: `Unused suppression: nothing to suppress ${s.kind === 'file' ? 'in this file' : `on line ${s.target + 1}`}.`,
          range: s.range,
          related: [],
          fixes: [],
        });
      }
    }
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return findings;
}

/** All three steps on one file: what the editor and the tests use. */
export function lintTree(tree: Tree, source: string, options: LintOptions = {}): LintResult {
  const { analysis, model } = analyzeFile(tree, source, options);
  if (!analysis.summary) return { findings: finalizeFindings(analysis.findings, [], { rules: options.rules }), model, summary: null };
  const raw = [...analysis.findings, ...projectFindings(analysis.summary, options, source)];
  return { findings: finalizeFindings(raw, analysis.suppressions, { rules: options.rules, source }), model, summary: analysis.summary };
}

/** Only the summary of a file (no rules): what the project view needs of files nobody lints. */
/**
 * The analysis of a plain makemigrations file, read quickly (project/quick-summary.ts): its
 * summary, and no per-file finding (none can fire on it). Null for any other file.
 */
export function quickAnalysis(tree: Tree, text: string, name: string, interner: ValueInterner | null): FileAnalysis | null {
  const summary = quickSummary(tree.rootNode, text, name, interner);
  return summary ? { findings: [], summary, suppressions: [] } : null;
}

/**
 * The same analysis as quickAnalysis, read from the text alone, before any parse
 * (project/text-summary.ts). Null when the text is not of that shape: then parse it.
 */
export function textAnalysis(text: string, name: string, interner: ValueInterner | null): FileAnalysis | null {
  const summary = textSummary(text, name, interner);
  return summary ? { findings: [], summary, suppressions: [] } : null;
}

export function summarizeTree(tree: Tree, name: string, interner?: ValueInterner): MigrationSummary | null {
  const model = buildMigrationModel(tree.rootNode, null, interner ?? null);
  return model ? summarizeMigration(model, name, new CodeIndex()) : null;
}

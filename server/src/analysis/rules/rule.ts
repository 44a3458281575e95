/** The contract every rule implements, and the context the engine hands it. */
import type { CodeIndex } from '../code-facts';
import type { MigrationModel } from '../migration-model';
import type { MigrationSummary } from '../project/summary';
import type { ProjectView } from '../project/view';
import type { Node } from '../syntax';
import type { TargetDatabase } from '../target-database';
import type { Fix, Position, Range, RelatedLocation, RuleSetting, Severity } from '../types';

export interface RuleMeta {
  /** Final: the diagnostic code, settings key, suppression token and docs slug. */
  id: string;
  /** One line for settings descriptions, SARIF and the docs index. */
  summary: string;
  /** The severity its findings get when the settings leave it at `default`. */
  defaultSeverity: Severity;
  /**
   * Ships off: `default` means off until a setting names a severity (or `true` in pyproject).
   * For rules that cannot promise our precision on every project (see the rule's docs page).
   */
  defaultOff?: boolean;
  /** Its findings are worded for the database the project deploys to (`database`, `postgresql-version`, `django-version`). */
  followsDatabase?: boolean;
}

/** Whether a rule runs under its setting (`off`, or `default` for a rule that ships off, does not). */
export function ruleEnabled(meta: RuleMeta, setting: RuleSetting | undefined): boolean {
  if (setting === 'off') return false;
  return !(meta.defaultOff && (setting === undefined || setting === 'default'));
}

export interface ReportedFinding {
  range: Range;
  message: string;
  /** Defaults to the rule's default severity. */
  severity?: Severity;
  related?: RelatedLocation[];
  fixes?: Fix[];
  /** See Finding.suppressionLine. */
  suppressionLine?: number;
  /** See Finding.splitFirst. */
  splitFirst?: boolean;
}

export interface RuleContext {
  model: MigrationModel;
  source: string;
  index: CodeIndex;
  batchSize: number;
  /** False: no "Commit this loop in batches" fallback (LintOptions.commitInBatches). */
  commitInBatches?: false;
  /**
   * The project view and this file's path in it, when the file is linted with its project; null
   * otherwise. The view may be built only when read (the editor), so read it only when needed.
   */
  project: { readonly view: ProjectView | null; readonly file: string } | null;
  /** The database and Django version the project deploys to: a fix may depend on them (bulk_create's primary keys). */
  target: TargetDatabase;
  report(finding: ReportedFinding): void;
  /**
   * This rule's findings on another text of the same file (the file as a fix's first step leaves
   * it), parsed and read as this one was; absent inside such a reading, so it never recurses. With
   * `at`, only the findings that start at one of those positions are wanted: a rule may leave out
   * the others, and the work their fixes would cost. With `rule`, another rule's findings there (a
   * fix that takes that rule's fix as its first step). The reading has this one's project view.
   */
  findingsOn?(text: string, at?: readonly Position[], rule?: string): ReportedFinding[];
  /** Inside findingsOn with `at`: the positions wanted findings start at (a rule that has reported one at each may stop). */
  wantedAt?: readonly Position[];
  /**
   * Without a project view (`project` null): the rule wanted the view's answer about this model (a
   * historical model taken from apps.get_model), which may change a finding; the caller may lint
   * the file again with the view when it matters.
   */
  askedOfView?(app: string, model: string): void;
  /**
   * Without a project view: a finding depends on what only a lint with the view can tell (today's
   * model `shop.models.Order` read from the project's source; the fields a model's save() fills in),
   * named by `what`; the caller lints the file again with the view.
   */
  needsView?(what: string): void;
}

/** What a rule that reads the project gets: this file's summary and, when there is one, the project view. */
export interface ProjectRuleContext {
  summary: MigrationSummary;
  /**
   * The text the summary was read from (its ranges point into it), for fixes; null when the caller
   * does not keep it (a CLI run that writes no fix): report the finding without fixes then.
   */
  source: string | null;
  /** Null when the file is linted on its own (no project around it). */
  view: ProjectView | null;
  /** The file's absolute path as the view knows it; null without a view. */
  file: string | null;
  /** The database and Django version the project deploys to (settings `database`, `postgresql-version`, `django-version`). */
  target: TargetDatabase;
  report(finding: ReportedFinding): void;
}

export interface Rule {
  meta: RuleMeta;
  /** Reads one file's tree. Absent for rules the engine itself produces (unused-suppression). */
  check?(ctx: RuleContext): void;
  /** Reads the file's summary and the project view (the graph and the model state). */
  checkProject?(ctx: ProjectRuleContext): void;
}

/** Shortens source text for messages: one line, at most `max` characters. */
export function snippet(node: Node, max = 60): string {
  const text = node.text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

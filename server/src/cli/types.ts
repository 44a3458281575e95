/**
 * The CLI's own data: what to lint (tasks), what linting one file produced (results), and the
 * findings in the slim shape that crosses worker threads and feeds every output format.
 */
import type { FileAnalysis } from '../analysis/engine';
import type { AppLabel } from '../analysis/project/app-config';
import type { TargetDatabase } from '../analysis/target-database';
import type { Range, RelatedLocation, RuleSetting, Severity } from '../analysis/types';
import type { SourceEncoding } from '../workspace/source-encoding';

/** The engine options for one group of files (one pyproject.toml plus command-line overrides). */
export interface LintConfig {
  rules: Record<string, RuleSetting>;
  batchSize: number;
  /** The database the project deploys to: project rules' findings depend on it. */
  target: TargetDatabase;
  /** Fixes to apply before reporting what remains. */
  fix: 'none' | 'safe' | 'preferred';
  /** Files larger than this many bytes are skipped with a warning. */
  maxFileSize: number;
  /** The baseline file pyproject.toml names for these files (absolute), or null. */
  baseline: string | null;
  /**
   * Take each finding's fingerprint while its tree is at hand: only a run that reads or writes a
   * baseline needs them (a cached result without them gets them from fillFingerprints).
   */
  fingerprints: boolean;
}

/**
 * One file to read. `lint`: a migration by its path (or named on the command line); `detect`:
 * outside `include`, linted only when it defines a class deriving from Django's Migration;
 * `summary`: a migration nobody asked to lint, read only for the project view; `app-config`: an
 * app's apps.py, read for its label.
 */
export interface LintTask {
  /** The path as the user spelled it (or joined onto the folder they gave). */
  path: string;
  /** Absolute path on disk. */
  file: string;
  mode: 'lint' | 'detect' | 'summary' | 'app-config';
  /** Index into the run's LintConfig list. */
  config: number;
  /** The tree the user named (the folder walked, or a named file's folder): fixes never write outside it. */
  root?: string;
  /** Give the result the hash of the bytes it was read from (for the cache). */
  hash?: boolean;
  /** The run lints the file again with the project view where a rule needs it (LintOptions.viewFollows). */
  viewFollows?: boolean;
}

/** A finding without its fixes: what the command line reports. */
export interface CliFinding {
  rule: string;
  severity: Severity;
  message: string;
  range: Range;
  related: RelatedLocation[];
  /** The code the finding points at, as tokens (its identity in a baseline). */
  fingerprint?: string;
}

export type FileResult =
  | {
      status: 'checked';
      /** The per-file findings (before settings and suppressions), the summary, the suppressions. */
      analysis: FileAnalysis;
      syntaxError: { line: number; character: number } | null;
      /** Present when fixes changed the file: its new text (not yet written), in the file's own encoding. */
      fixed?: { text: string; original: string; applied: number; encoding: SourceEncoding };
      /** Why fixes that were asked for were not applied (a file that cannot be written back as it was read). */
      notFixed?: string;
      /** The hash of the bytes read, when the task asked for it. */
      hash?: string;
    }
  | { status: 'app-config'; label: AppLabel; hash?: string; deps?: string[] }
  | { status: 'skipped'; warning?: string; hash?: string }
  | { status: 'failed'; error: string };

/**
 * What the report needs of a file's result once the project step has its findings: whether it
 * was checked, skipped or failed (and why), and the fixes applied to it.
 */
export type ResultStatus =
  | { status: 'checked'; fixed?: Extract<FileResult, { status: 'checked' }>['fixed']; notFixed?: string }
  | { status: 'app-config' }
  | { status: 'skipped'; warning?: string }
  | { status: 'failed'; error: string };

/** A checked file's findings, with both spellings of its path. */
export interface FileReport {
  path: string;
  file: string;
  findings: CliFinding[];
}

/** Everything an output format needs. */
export interface RunReport {
  /** Files with findings, sorted by path. */
  files: FileReport[];
  /** How many files were linted. */
  checked: number;
  /** How many files could not be read or linted. */
  failed: number;
  /** The directory SARIF URIs are relative to. */
  cwd: string;
  /** Findings not reported because a baseline records them. */
  hiddenByBaseline?: number;
}

export type OutputFormat = 'text' | 'json' | 'sarif' | 'github';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif', 'github'];

export type FailOn = 'error' | 'warning' | 'never';
export const FAIL_ON_VALUES: readonly FailOn[] = ['error', 'warning', 'never'];

/** Describes an error for a one-line message. */
export function reasonOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0];
}

/**
 * The analysis engine's own vocabulary: positions, findings, fixes. Deliberately independent of
 * the LSP types (the protocol layer converts), although positions use the same convention:
 * 0-based lines, UTF-16 code-unit columns.
 */

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** Another place that takes part in a finding: in the same file, or in `file`. */
export interface RelatedLocation {
  range: Range;
  message: string;
  /** Absolute path of another file; absent for the finding's own file. */
  file?: string;
}

/** A new file a fix writes (never over an existing one). */
export interface FileCreation {
  /** Absolute path. */
  file: string;
  text: string;
}

export interface Fix {
  title: string;
  /** Edits to the finding's own file. */
  edits: TextEdit[];
  /** New files, for fixes that span several migrations (a merge migration, expand / contract steps). */
  creates?: FileCreation[];
  /**
   * Edits to another file, as read from disk when the fix was made: the module a migration takes its
   * RunPython code from (its own `edits` are then empty). Never safe.
   */
  elsewhere?: { file: string; edits: TextEdit[] };
  /** The fix an editor should offer first. */
  isPreferred: boolean;
  /** True when applying it cannot change what the migration does (eligible for fix-all). */
  safe: boolean;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  range: Range;
  related: RelatedLocation[];
  fixes: Fix[];
  /**
   * The line a suppression comment covers, when it is not the range's first line: a finding inside
   * a multi-line string (a RunSQL statement) is suppressed on the line where the string starts.
   */
  suppressionLine?: number;
  /** The edit that writes a suppression comment for this finding. */
  suppression?: TextEdit;
  /** The code the finding points at, as tokens: its identity in a baseline (set by the CLI). */
  fingerprint?: string;
  /**
   * The finding's fix needs the migration split first (its data operations in a migration of their
   * own): the editor offers Split Migration on it, as on mixed-data-and-schema.
   */
  splitFirst?: boolean;
}

/** Severity as configured: a severity, 'off', or 'default' (the rule decides per finding). */
export type RuleSetting = Severity | 'off' | 'default';

/**
 * Shared by the output formats: the run's findings as one list in output order (path, line,
 * column), with 1-based positions, and the exit status the findings call for.
 */
import type { Severity } from '../analysis/types';
import type { CliFinding, FailOn, RunReport } from './types';

export interface Located {
  path: string;
  /** Absolute path on disk. */
  file: string;
  finding: CliFinding;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every finding of the run, sorted by path, line and column (ties keep the engine's order). */
export function locatedFindings(report: RunReport): Located[] {
  const out: Located[] = [];
  for (const f of report.files) {
    for (const finding of f.findings) {
      const { start, end } = finding.range;
      out.push({ path: f.path, file: f.file, finding, line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 });
    }
  }
  return out.sort((a, b) => compare(a.path, b.path) || a.line - b.line || a.column - b.column);
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, information: 1, hint: 0 };

/** 1 when a finding reaches the --fail-on threshold, else 0. */
export function findingsExitCode(report: RunReport, failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  const threshold = RANK[failOn];
  return report.files.some((f) => f.findings.some((x) => RANK[x.severity] >= threshold)) ? 1 : 0;
}

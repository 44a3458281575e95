/** `--format json`: one array of findings with 1-based positions, in a fixed key order. */
import { locatedFindings } from './report';
import type { RunReport } from './types';

export function formatJson(report: RunReport): string {
  const rows = locatedFindings(report).map((l) => ({
    path: l.path,
    line: l.line,
    column: l.column,
    endLine: l.endLine,
    endColumn: l.endColumn,
    rule: l.finding.rule,
    severity: l.finding.severity,
    message: l.finding.message,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

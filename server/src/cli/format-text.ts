/**
 * `--format text`: one `path:line:col: severity [rule] message` line per finding (the shape
 * compilers and ruff print, which editors and terminals turn into links), then a summary.
 */
import type { Severity } from '../analysis/types';
import { locatedFindings } from './report';
import type { RunReport } from './types';

function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const SEVERITY_WORDS: Record<Severity, [string, string]> = {
  error: ['error', 'errors'],
  warning: ['warning', 'warnings'],
  information: ['information', 'information'],
  hint: ['hint', 'hints'],
};

export function summaryLine(report: RunReport): string {
  const counts: Record<Severity, number> = { error: 0, warning: 0, information: 0, hint: 0 };
  let total = 0;
  for (const f of report.files) {
    for (const x of f.findings) {
      counts[x.severity]++;
      total++;
    }
  }
  const hidden = report.hiddenByBaseline ? `; ${report.hiddenByBaseline} recorded in the baseline not shown` : '';
  if (total === 0) return `No problems found in ${plural(report.checked, 'file')}${hidden ? ` (${hidden.slice(2)})` : ''}.`;
  const parts = (Object.keys(counts) as Severity[]).filter((s) => counts[s] > 0).map((s) => plural(counts[s], ...SEVERITY_WORDS[s]));
  const withFindings = report.files.filter((f) => f.findings.length > 0).length;
  return `Found ${plural(total, 'problem')} (${parts.join(', ')}) in ${plural(withFindings, 'file')} (${report.checked} checked${hidden}).`;
}

export function formatText(report: RunReport, options: { quiet: boolean }): string {
  const lines = locatedFindings(report).map((l) => `${l.path}:${l.line}:${l.column}: ${l.finding.severity} [${l.finding.rule}] ${l.finding.message}`);
  if (!options.quiet) lines.push(summaryLine(report));
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

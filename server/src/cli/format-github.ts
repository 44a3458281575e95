/**
 * `--format github`: GitHub Actions workflow commands, which the Actions runner turns into
 * annotations on the pull request's diff. Escaping follows the runner's rules: `%`, CR and LF in
 * the message; those plus `:` and `,` in property values.
 */
import { sep } from 'node:path';
import type { Severity } from '../analysis/types';
import { locatedFindings } from './report';
import type { RunReport } from './types';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'notice', hint: 'notice' };

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(report: RunReport): string {
  const lines = locatedFindings(report).map((l) => {
    const props = [
      `file=${escapeProperty(sep === '\\' ? l.path.split(sep).join('/') : l.path)}`,
      `line=${l.line}`,
      `col=${l.column}`,
      `endLine=${l.endLine}`,
      `endColumn=${l.endColumn}`,
      `title=${escapeProperty(l.finding.rule)}`,
    ];
    return `::${COMMAND[l.finding.severity]} ${props.join(',')}::${escapeData(l.finding.message)}`;
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * The one place findings become LSP diagnostics: code, source, documentation link, related
 * locations, and the fixes and suppression edit carried in `data` for the code-action handler.
 */
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { ruleDocsUrl } from '../analysis/rules';
import type { Finding, Fix, Severity, TextEdit } from '../analysis/types';

export const DIAGNOSTIC_SOURCE = 'migration-guard';

/** What a diagnostic carries for its code actions; decoded without any server-side state. */
export interface DiagnosticData {
  rule: string;
  fixes: Fix[];
  suppression?: TextEdit;
  /** The document version the fixes were computed on (absent: read from disk, not open). */
  version?: number;
  /** Finding.splitFirst: Split Migration is offered on it. */
  splitFirst?: boolean;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(finding: Finding, uri: string, version?: number): Diagnostic {
  const data: DiagnosticData = { rule: finding.rule, fixes: finding.fixes };
  if (finding.suppression) data.suppression = finding.suppression;
  if (finding.splitFirst) data.splitFirst = true;
  if (version !== undefined) data.version = version;
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: SEVERITY[finding.severity],
    code: finding.rule,
    codeDescription: { href: ruleDocsUrl(finding.rule) },
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    data,
  };
  if (finding.related.length > 0) {
    diagnostic.relatedInformation = finding.related.map((r) => ({ location: { uri: r.file ? pathToFileURL(r.file).href : uri, range: r.range }, message: r.message }));
  }
  return diagnostic;
}

export function isDiagnosticData(value: unknown): value is DiagnosticData {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<DiagnosticData>;
  return typeof v.rule === 'string' && Array.isArray(v.fixes);
}

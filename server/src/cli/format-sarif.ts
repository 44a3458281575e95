/**
 * `--format sarif`: a SARIF 2.1.0 log for GitHub code scanning and other viewers. Every rule is
 * listed with its docs URL; locations are relative to the current directory (%SRCROOT%), columns
 * count UTF-16 code units like the engine's.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES, ruleDocsUrl } from '../analysis/rules';
import type { Range, Severity } from '../analysis/types';
import { locatedFindings } from './report';
import type { RunReport } from './types';
import { INFORMATION_URI, TOOL_NAME, VERSION } from './version';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'warning' | 'note';
const LEVEL: Record<Severity, Level> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

/** A relative, percent-encoded POSIX URI under %SRCROOT%, or a file: URI for files outside it. */
export function artifactLocation(file: string, cwd: string): ArtifactLocation {
  const rel = relative(cwd, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { uri: pathToFileURL(file).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function region(range: Range): Record<string, number> {
  return { startLine: range.start.line + 1, startColumn: range.start.character + 1, endLine: range.end.line + 1, endColumn: range.end.character + 1 };
}

export function formatSarif(report: RunReport): string {
  const ruleIndex = new Map(RULES.map((r, i) => [r.meta.id, i]));
  const results = locatedFindings(report).map(({ file, finding }) => {
    const artifact = artifactLocation(file, report.cwd);
    const result: Record<string, unknown> = {
      ruleId: finding.rule,
      ...(ruleIndex.has(finding.rule) ? { ruleIndex: ruleIndex.get(finding.rule) } : {}),
      level: LEVEL[finding.severity],
      message: { text: finding.message },
      locations: [{ physicalLocation: { artifactLocation: artifact, region: region(finding.range) } }],
    };
    if (finding.related.length > 0) {
      result.relatedLocations = finding.related.map((r, i) => ({
        id: i + 1,
        physicalLocation: { artifactLocation: r.file ? artifactLocation(r.file, report.cwd) : artifact, region: region(r.range) },
        message: { text: r.message },
      }));
    }
    return result;
  });
  const log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            informationUri: INFORMATION_URI,
            version: VERSION,
            rules: RULES.map((r) => ({
              id: r.meta.id,
              shortDescription: { text: r.meta.summary },
              helpUri: ruleDocsUrl(r.meta.id),
              defaultConfiguration: { level: LEVEL[r.meta.defaultSeverity], ...(r.meta.enabledByDefault === false ? { enabled: false } : {}) },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: `${pathToFileURL(report.cwd).href.replace(/\/?$/, '/')}` } },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: report.failed === 0 }],
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

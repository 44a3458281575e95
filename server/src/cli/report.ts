/**
 * Shared by the output formats: the run's findings as one list in output order (path, line,
 * column), with 1-based positions, and the exit status the findings call for.
 */
import { relative } from 'node:path';
import { ruleById } from '../analysis/rules';
import { otherDatabaseSource, type TargetDatabase } from '../analysis/target-database';
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

/**
 * What a run says when findings worded for a database (rules with `followsDatabase`) come from files
 * whose settings name none: the database and versions they assume, and how to name the real one.
 * Null when there is nothing to say. `settingsOf` gives a reported file's target and whether its
 * pyproject.toml set `database`.
 */
const VENDOR_NAMES: Readonly<Record<string, string>> = { sqlite: 'SQLite', mysql: 'MySQL', oracle: 'Oracle' };

export function assumedDatabaseNote(
  report: RunReport,
  settingsOf: (file: string) => { target: TargetDatabase; databaseSet: boolean; djangoFrom?: string; postgresqlFrom?: string; databaseFrom?: string } | undefined,
  cwd = process.cwd(),
): string | null {
  const rules = new Set<string>();
  let count = 0;
  let assumed: { target: TargetDatabase; djangoFrom?: string; postgresqlFrom?: string; databaseFrom?: string } | null = null;
  const files = new Set<string>();
  for (const f of report.files) {
    const s = settingsOf(f.file);
    if (!s || s.databaseSet) continue;
    for (const x of f.findings) {
      if (!ruleById(x.rule)?.meta.followsDatabase) continue;
      rules.add(x.rule);
      files.add(f.file);
      count++;
      assumed ??= s;
    }
  }
  if (!assumed) return null;
  const [major, minor] = assumed.target.djangoVersion;
  // A Django version read from the project's lock or requirements file is said so, not called a default.
  const shown = (file: string): string => relative(cwd, file) || file;
  const { djangoFrom, postgresqlFrom, databaseFrom } = assumed;
  const django = `Django ${major}.${minor} ${djangoFrom ? `(pinned in ${shown(djangoFrom)})` : '(the default)'}`;
  const versions = databaseFrom
    ? databaseFrom === djangoFrom
      ? `MySQL, whose driver the pinned requirements install (${shown(databaseFrom)}; no PostgreSQL driver there, nor a PostgreSQL in a Compose file or CI), with Django ${major}.${minor}`
      : `MySQL, the only database the project's Django settings name (${shown(databaseFrom)}; neither they, a Compose file nor the pinned requirements name PostgreSQL), with ${django}`
    : djangoFrom || postgresqlFrom
      ? `PostgreSQL ${assumed.target.postgresqlVersion} ${postgresqlFrom ? `(${/(?:^|[\\/])\.travis\.yml$/.test(postgresqlFrom) ? 'the add-on' : 'the image'} in ${shown(postgresqlFrom)})` : '(the default)'} with Django ${major}.${minor} ${djangoFrom ? `(pinned in ${shown(djangoFrom)})` : '(the default)'}`
      : `PostgreSQL ${assumed.target.postgresqlVersion} with Django ${major}.${minor}, the defaults`;
  return (
    `${count === 1 ? '1 finding' : `${count} findings`} (${[...rules].sort().join(', ')}) ${count === 1 ? 'assumes' : 'assume'} the project deploys to ` +
    `${versions}: no \`database\` is set in [tool.migration-guard] for ${count === 1 ? 'the file it comes from' : files.size === 1 ? 'the file they come from' : 'the files they come from'}. ` +
    (databaseFrom
      ? 'Their wording follows MySQL, and the PostgreSQL locks and fixes do not apply. '
      : assumed.target.otherDatabase
      ? `The project's ${otherDatabaseSource(assumed.target.otherDatabase).replace('settings', 'Django settings')} ${VENDOR_NAMES[assumed.target.otherDatabase.vendor] ?? assumed.target.otherDatabase.vendor} (${shown(assumed.target.otherDatabase.from)}): its migrations run there too, so no fix writing PostgreSQL's SQL is offered. `
      : "Their wording and their fixes follow that database: a fix's SQL may fail on another (a test run on SQLite, say). ") +
    'Say which in [tool.migration-guard]: database = "postgresql", "mysql" or "sqlite" (and postgresql-version, django-version), and this note goes away.'
  );
}

/**
 * What a fix's code needs of Django (and of the Python an old Django runs on): a fix that writes
 * `bulk_update()` for a project pinned to Django 1.11 crashes at its first flush (review 29: pootle,
 * 12 loop rewrites). The version is the project's (its settings, else its pin): the one its
 * migrations run on today.
 */
import type { ReportedFinding } from '../rules/rule';
import type { TextEdit } from '../types';
import { otherDatabaseSource, type TargetDatabase } from '../target-database';
import { basename } from 'node:path';

const NEEDS: ReadonlyArray<{ pattern: RegExp; what: string; since: readonly [number, number] }> = [
  { pattern: /\.bulk_update\(/, what: 'bulk_update()', since: [2, 2] },
  { pattern: /\bignore_conflicts=/, what: "bulk_create()'s ignore_conflicts", since: [2, 2] },
  { pattern: /\bupdate_conflicts=/, what: "bulk_create()'s update_conflicts", since: [4, 1] },
  { pattern: /\.iterator\(chunk_size=/, what: "iterator()'s chunk_size", since: [2, 0] },
  // Django before 2.0 may run on Python 2, whose lists have no clear().
  { pattern: /\.clear\(\)/, what: 'list.clear() (Python 3; Django before 2.0 may run on Python 2)', since: [2, 0] },
  // Before 1.10 every migration runs in a transaction on PostgreSQL: CONCURRENTLY then fails, batches commit nothing (review 31: cla_backend on 1.8).
  { pattern: /^[ \t]*atomic = False\b/m, what: 'atomic = False (a migration outside a transaction)', since: [1, 10] },
];

/** Why the edits' code cannot run on Django `django`, or null when it can. */
export function missingOnDjango(edits: readonly TextEdit[], django: readonly [number, number], texts: readonly string[] = []): string | null {
  const code = [...edits.map((e) => e.newText), ...texts].join('\n');
  const [major, minor] = django;
  for (const need of NEEDS) {
    const [a, b] = need.since;
    if ((major < a || (major === a && minor < b)) && need.pattern.test(code)) return `it would use ${need.what}, which Django ${major}.${minor} does not have (it came in ${a}.${b})`;
  }
  return null;
}

/**
 * A finding as reported, less the fixes whose code the project's Django cannot run; the message says
 * which fix was left out and why. Every rule's findings pass through it.
 */
export function withoutUnrunnableFixes(f: ReportedFinding, django: readonly [number, number]): ReportedFinding {
  if (!f.fixes || f.fixes.length === 0) return f;
  const [major] = django;
  // Every check concerns Django before 4.1: nothing to read for the usual project.
  if (major >= 5) return f;
  let why: string | null = null;
  let dropped: string | null = null;
  const fixes = f.fixes.filter((fix) => {
    const missing = missingOnDjango(fix.edits, django, [...(fix.creates ?? []).map((c) => c.text), ...(fix.elsewhere?.edits ?? []).map((e) => e.newText)]);
    if (missing && !dropped) {
      dropped = fix.title;
      why = missing;
    }
    return !missing;
  });
  if (fixes.length === f.fixes.length) return f;
  return { ...f, fixes, message: `${f.message} The fix "${dropped ?? ''}" is not offered: ${why ?? ''}.` };
}

/** What only PostgreSQL runs: raw SQL written for it (whole, or words added to the project's own), and django.contrib.postgres's operations. */
const POSTGRES_ONLY = /\bRunSQL\(|\b(?:AddIndexConcurrently|RemoveIndexConcurrently|AddConstraintNotValid|ValidateConstraint)\b|django\.contrib\.postgres|\bCONCURRENTLY\b|\bNOT\s+VALID\b|\bVALIDATE\s+CONSTRAINT\b/i;

/**
 * `f` without the fixes that only PostgreSQL runs, when PostgreSQL is assumed and the project's
 * Django settings name another database (target.otherDatabase): its migrations run there too, and
 * those fixes would stop them (review 52: oioioi's test suite migrates on SQLite; Nitrate defaults
 * to MySQL). The message of a finding worded for a database (`followsDatabase`), or of one that
 * lost a fix, says so and how to have them — whether or not this run computed fixes.
 */
export function withoutPostgresOnlyFixes(f: ReportedFinding, target: TargetDatabase, followsDatabase: boolean): ReportedFinding {
  const other = target.otherDatabase;
  if (!other || target.vendor !== 'postgresql') return f;
  const texts = (fix: NonNullable<ReportedFinding['fixes']>[number]) => [...fix.edits.map((e) => e.newText), ...(fix.creates ?? []).map((c) => c.text), ...(fix.elsewhere?.edits ?? []).map((e) => e.newText)];
  const fixes = (f.fixes ?? []).filter((fix) => !texts(fix).some((t) => POSTGRES_ONLY.test(t)));
  const dropped = fixes.length !== (f.fixes ?? []).length;
  if (!dropped && !followsDatabase) return f;
  const name = other.vendor === 'sqlite' ? 'SQLite' : other.vendor === 'mysql' ? 'MySQL' : 'Oracle';
  return {
    ...f,
    ...(f.fixes ? { fixes } : {}),
    message: `${f.message} (PostgreSQL assumed; the project's ${otherDatabaseSource(other)} ${name} (${basename(other.from)}), where its migrations run too: no fix writing PostgreSQL's SQL is offered. Set database in [tool.migration-guard] to say which.)`,
  };
}

/**
 * The database a project deploys to, and the Django version it runs: what the schema-hazard
 * rules, the lock hover and `explain` need to say which statements lock, rewrite or scan a table.
 * Plain data, shared by the analysis, the CLI and the server; settings fill it from
 * `[tool.migration-guard]` / `migrationGuard.*` (`database`, `postgresql-version`, `django-version`).
 */

export type DatabaseVendor = 'postgresql' | 'mysql' | 'sqlite';

export const DATABASE_VENDORS: readonly DatabaseVendor[] = ['postgresql', 'mysql', 'sqlite'];

export interface TargetDatabase {
  vendor: DatabaseVendor;
  /** Major version of PostgreSQL (only read when vendor is postgresql). */
  postgresqlVersion: number;
  /** Django's version as [major, minor]. */
  djangoVersion: readonly [number, number];
  /**
   * Whether `djangoVersion` is the project's (set, or read from its pin) rather than the default:
   * code written for an older Django then runs on this one (unbatched-save-loop's runsOn).
   */
  djangoKnown?: boolean;
  /**
   * Set when the database is assumed (no `database` setting) and the project's Django settings name
   * another (config/database-hints.ts): the migrations run there too, so fixes that write one
   * database's SQL are withheld.
   */
  otherDatabase?: { vendor: string; from: string };
}

/** How messages say where the other database was named: a Compose file gives the app a `DATABASE_URL`; settings name an engine. */
export function otherDatabaseSource(other: { from: string }): 'Compose file gives the app' | 'settings also name' {
  return /(?:^|[\\/])(?:docker-)?compose\.ya?ml$/.test(other.from) ? 'Compose file gives the app' : 'settings also name';
}

export const DEFAULT_TARGET_DATABASE: TargetDatabase = {
  vendor: 'postgresql',
  postgresqlVersion: 14,
  djangoVersion: [4, 2],
};

/** `"4.2"`, `"5"`, `4.2` → [4, 2]; anything else → null. */
export function parseDjangoVersion(value: unknown): readonly [number, number] | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (text === null) return null;
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = m[2] === undefined ? 0 : Number(m[2]);
  return major >= 1 ? [major, minor] : null;
}

/** `14`, `"16"`, `"9.6"` (read as 9) → the major version; anything else → null. */
export function parsePostgresqlVersion(value: unknown): number | null {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (text === null) return null;
  const m = /^(\d{1,2})(?:\.\d{1,2})?$/.exec(text);
  if (!m) return null;
  const major = Number(m[1]);
  return major >= 9 ? major : null;
}

/** Django at or after `major.minor`. */
export function djangoAtLeast(target: TargetDatabase, major: number, minor = 0): boolean {
  const [a, b] = target.djangoVersion;
  return a > major || (a === major && b >= minor);
}

/** PostgreSQL at or after `major` (false for other vendors). */
export function postgresqlAtLeast(target: TargetDatabase, major: number): boolean {
  return target.vendor === 'postgresql' && target.postgresqlVersion >= major;
}

/**
 * Why `bulk_create()` leaves the objects without primary keys on this database, or null when it
 * sets them: PostgreSQL always; SQLite from Django 4.0 (with SQLite 3.35+, which Django 4.0's own
 * minimum of 3.9 does not promise: said where it matters); MySQL never (MariaDB 10.5+ from Django
 * 4.0 does, but the setting does not tell MariaDB apart).
 */
export function bulkCreateKeysMissing(target: TargetDatabase): string | null {
  if (target.vendor === 'mysql') return 'bulk_create() gives the new rows no primary keys on MySQL';
  if (target.vendor === 'sqlite' && !djangoAtLeast(target, 4, 0)) return 'bulk_create() gives the new rows no primary keys on SQLite before Django 4.0';
  // Assumed PostgreSQL, but the project's settings name another database its migrations run on too (review 52: Nitrate defaults to MySQL).
  const other = target.otherDatabase;
  if (other?.vendor === 'mysql') return 'bulk_create() gives the new rows no primary keys on MySQL, which the project\'s settings name';
  if (other?.vendor === 'sqlite' && !djangoAtLeast(target, 4, 0)) return 'bulk_create() gives the new rows no primary keys on SQLite before Django 4.0, which the project\'s settings name';
  return null;
}

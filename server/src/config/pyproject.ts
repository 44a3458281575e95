/**
 * Finds the nearest pyproject.toml above a file and reads its `[tool.migration-guard]` table, so
 * the CLI in CI and the editor apply the same settings. Results are cached per directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DjangoPins } from './django-pin';
import { DatabaseHints } from './database-hints';
import { parse as parseToml } from 'smol-toml';
import { parseSettings, type PartialSettings } from './settings';

export interface ProjectConfig {
  /** The pyproject.toml path, or null when none was found. */
  file: string | null;
  /** The directory globs are relative to: the pyproject's folder, else the search root. */
  root: string;
  settings: PartialSettings;
  problems: string[];
  /** The file has a `[tool.migration-guard]` table. */
  hasTable: boolean;
  /** Where `settings.djangoVersion` was read when no table set it: the project's lock or requirements file. */
  djangoFrom?: string;
  /** Where `settings.postgresqlVersion` was read when no table set it: the project's Compose file. */
  postgresqlFrom?: string;
  /**
   * Where `settings.database` was read when no table set it: the Django settings file that names
   * MySQL, in a project whose settings, Compose file and pinned requirements name no PostgreSQL; or
   * the pinned requirements themselves (the same file as `djangoFrom`), which install a MySQL driver
   * and no PostgreSQL one.
   */
  databaseFrom?: string;
}

/** The database drivers a lock or requirements file installs (MySQL's on lines not commented out). */
interface Drivers {
  /** mysqlclient, MySQL-python, PyMySQL or mysql-connector-python. */
  mysql: boolean;
  /** psycopg, psycopg2, asyncpg, pg8000. */
  postgres: boolean;
}

function driversIn(file: string): Drivers {
  try {
    const text = readFileSync(file, 'utf8');
    const live = text
      .split('\n')
      .filter((line) => !/^\s*#/.test(line))
      .join('\n');
    return {
      mysql: /(?:^|["'\s,\[])(?:mysqlclient|mysql-python|pymysql|mysql-connector-python)(?=\s*(?:[=<>~!;\[,"'\\]|$))/im.test(live),
      // Named anywhere, as before: a commented-out PostgreSQL driver still keeps MySQL from being taken.
      postgres: /\b(?:psycopg2?(?:-binary)?|psycopg\[|asyncpg|pg8000|dj-database-url\[postgres)/i.test(text),
    };
  } catch {
    return { mysql: false, postgres: false };
  }
}

export class PyprojectCache {
  private readonly byDir = new Map<string, string | null>();
  private readonly byFile = new Map<string, { mtimeMs: number; config: ProjectConfig }>();
  private readonly absent = new Set<string>();
  private readonly pins = new DjangoPins();
  /** What each pinned requirements file installs, read once: every folder of a walk resolves its configuration. */
  private readonly drivers = new Map<string, Drivers>();

  private driversOf(file: string | undefined): Drivers {
    if (!file) return { mysql: false, postgres: false };
    let known = this.drivers.get(file);
    if (!known) this.drivers.set(file, (known = driversIn(file)));
    return known;
  }
  private readonly hints = new DatabaseHints();

  /**
   * The nearest pyproject.toml at or above `dir` (not above `stop`, when given) that has a
   * `[tool.migration-guard]` table — as ruff does, so a vendored package's pyproject.toml without
   * our table does not reset the project's settings. A file that is not valid TOML counts (its
   * problem is reported rather than silently skipped).
   */
  find(dir: string, stop?: string): string | null {
    const cached = this.byDir.get(dir);
    if (cached !== undefined) return cached;
    let found: string | null = null;
    const candidate = this.absent.has(dir) ? null : join(dir, 'pyproject.toml');
    if (candidate !== null && existsSync(candidate)) {
      const config = this.read(candidate);
      if (config.hasTable || config.problems.length > 0) found = candidate;
    }
    if (!found) {
      const parent = dirname(dir);
      found = parent === dir || dir === stop ? null : this.find(parent, stop);
    }
    this.byDir.set(dir, found);
    return found;
  }

  /**
   * A folder listed without a `pyproject.toml`, as a walk that lists it anyway learns: `find`
   * then asks the file system nothing about it. (Only absence is taken from a listing: a listed
   * name may be a broken link, which `find` judges as before.)
   */
  noteAbsent(dir: string): void {
    this.absent.add(dir);
  }

  /** A folder listed without a pin file (django-pin.ts): the pin lookup asks the file system nothing about it. */
  noteNoPins(dir: string): void {
    this.pins.noteAbsent(dir);
  }

  /** A walk's listing of a folder: the database hints list it no more (database-hints.ts). */
  noteListing(dir: string, folders: readonly string[], hasSettings: boolean): void {
    this.hints.noteListing(dir, folders, hasSettings);
  }

  /**
   * The config that applies to files in `dir`; without a `django-version` of its own, the Django
   * version the project pins (django-pin.ts), from the nearest lock or requirements file above `dir`;
   * without a `postgresql-version` (and another `database`), the one its nearest Compose file runs.
   */
  configFor(dir: string, fallbackRoot: string, stop?: string): ProjectConfig {
    const file = this.find(dir, stop);
    let config: ProjectConfig = file ? this.read(file) : { file: null, root: fallbackRoot, settings: {}, problems: [], hasTable: false };
    const pin = config.settings.djangoVersion === undefined ? this.pins.forDirectory(dir, stop) : null;
    if (pin) config = { ...config, settings: { ...config.settings, djangoVersion: pin.version }, djangoFrom: pin.from };
    const postgres = config.settings.postgresqlVersion === undefined && (config.settings.database ?? 'postgresql') === 'postgresql' ? this.pins.postgresFor(dir, stop) : null;
    if (postgres) config = { ...config, settings: { ...config.settings, postgresqlVersion: postgres.version }, postgresqlFrom: postgres.from };
    // No database set, none named by a Compose file or CI, and the pinned requirements install a MySQL
    // driver and no PostgreSQL one: the project runs on MySQL (review 81: mozillians pins mysqlclient,
    // its Compose file, Travis CI and deploy notes run MariaDB/MySQL, its settings read a DATABASE_URL).
    if (config.settings.database === undefined && !postgres && this.driversOf(config.djangoFrom).mysql && !this.driversOf(config.djangoFrom).postgres) {
      return { ...config, settings: { ...config.settings, database: 'mysql' }, databaseFrom: config.djangoFrom as string };
    }
    // Not above the project: its pyproject.toml's folder, else the folder being checked.
    // Asked for migrations folders only: a walk resolves every folder it meets, and no other holds what the hint is for.
    const named = config.settings.database === undefined && basename(dir) === 'migrations' ? this.hints.otherFor(dir, stop ?? config.root) : null;
    // A database URL given only as an environment variable's fallback, where the project's Compose file or
    // CI runs PostgreSQL: a developer's default, not where the migrations run (reviews 77 and 79).
    const other = named?.urlDefault && postgres ? null : named;
    // MySQL named, and PostgreSQL nowhere (settings, Compose file, the pinned requirements' driver): the
    // project runs on MySQL (review 55: openedx's enterprise-catalog and license-manager, whose index
    // builds were reported with PostgreSQL's locks). Not for SQLite, which projects deploying to
    // PostgreSQL often name for their tests alone.
    if (other?.vendor === 'mysql' && other.alone && !postgres && !this.driversOf(config.djangoFrom).postgres) {
      config = { ...config, settings: { ...config.settings, database: 'mysql' }, databaseFrom: other.from };
    } else if (other) config = { ...config, settings: { ...config.settings, otherDatabase: other } };
    return config;
  }

  read(file: string): ProjectConfig {
    let mtimeMs = 0;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      return { file: null, root: dirname(file), settings: {}, problems: [`${file}: no such file`], hasTable: false };
    }
    const cached = this.byFile.get(file);
    if (cached && cached.mtimeMs === mtimeMs) return cached.config;
    const config = readPyproject(file);
    this.byFile.set(file, { mtimeMs, config });
    return config;
  }

  /** Forget everything (a pyproject.toml was created, changed or deleted). */
  clear(): void {
    this.byDir.clear();
    this.byFile.clear();
    this.absent.clear();
    this.pins.clear();
    this.drivers.clear();
    this.hints.clear();
  }
}

export function readPyproject(file: string): ProjectConfig {
  const root = dirname(file);
  let doc: Record<string, unknown>;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : String(e);
    return { file, root, settings: {}, problems: [`${file}: cannot be read (${reason})`], hasTable: false };
  }
  // A file that never names our table cannot hold it, valid TOML or not: most projects' files are
  // long and not ours, and parsing them was most of the settings lookup.
  if (!text.includes('migration-guard')) return { file, root, settings: {}, problems: [], hasTable: false };
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { file, root, settings: {}, problems: [`${file}: not valid TOML (${reason}); its [tool.migration-guard] settings are ignored`], hasTable: false };
  }
  const tool = doc.tool as Record<string, unknown> | undefined;
  const raw = tool?.['migration-guard'];
  const { settings, problems } = parseSettings(raw, `${file} [tool.migration-guard]`);
  return { file, root, settings, problems, hasTable: raw !== undefined };
}

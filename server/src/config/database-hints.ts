/**
 * Other databases a project's own Django settings name, read (never run) from the settings files in
 * the folders above a migration: `settings.py`, `*_settings.py`, `settings_*.py`, the modules of a
 * `settings/` package. When no `database` is set in [tool.migration-guard], the rules assume
 * PostgreSQL; a project whose settings also name SQLite or MySQL runs its migrations there too (its
 * tests, a developer's machine, another deployment), where the PostgreSQL a fix writes fails (review
 * 52: oioioi's tests migrate on SQLite, Nitrate defaults to MySQL). Only engines spelled out count
 * (`django.db.backends.sqlite3`, `django.contrib.gis.db.backends.mysql`, a `"sqlite:///…"` URL given as a
 * default: review 53, coldfront's `config/database.py`), or an engine built from a name in a file
 * that spells another backend's name (review 54: oncall).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DatabaseVendor } from '../analysis/target-database';
import { COMPOSE_FILES } from './django-pin';

/** A database other than the assumed one, and the settings file that names it. */
export interface OtherDatabase {
  vendor: Exclude<DatabaseVendor, 'postgresql'> | 'oracle';
  from: string;
  /** No settings file read with it names PostgreSQL (an engine, a `postgres://` URL, `"postgresql"` for a built engine). */
  alone?: boolean;
  /**
   * Named only as a database URL written as a default (`dj_database_url.config(default="mysql://…")`):
   * the fallback of an environment variable, which a project whose Compose file or CI runs PostgreSQL
   * sets there (review 79: pontoon's 2015 MySQL default; review 77: job-server's SQLite one).
   */
  urlDefault?: boolean;
}

/** An engine spelled out, or a database URL (dj-database-url, django-environ) written as a default: `"sqlite:///…"`, `'mysql://…'`. */
const ENGINE = /\bdjango(?:\.contrib\.gis)?\.db\.backends\.(sqlite3|spatialite|mysql|oracle)\b|["'](sqlite|spatialite|mysql|mysql2|mysqlgis|oracle|oraclegis):\/\//;
/**
 * An engine built from a name (`f"django.db.backends.{DATABASE_TYPE}"`, `"django.db.backends." + kind`),
 * in a file that spells one of the other backends' names as a string (review 54: oncall's
 * `DatabaseTypes.MYSQL = "mysql"`, its default, beside `"sqlite3"` and `"postgresql"`): the project
 * runs on whichever its environment picks, those included.
 */
const BUILT_ENGINE = /\bdjango(?:\.contrib\.gis)?\.db\.backends\.(?:\{|["']\s*[+%]|["']\s*\.\s*format\b)/;
const BACKEND_NAME = /["'](sqlite3|mysql|oracle)["']/;
/** PostgreSQL named: its engine (PostGIS's too), a URL, or the backend's name as a string (for an engine built from it). */
const POSTGRES_NAMED = /\bdjango(?:\.contrib\.gis)?\.db\.backends\.(?:postgresql(?:_psycopg2)?|postgis)\b|["'](?:postgres|postgresql|postgis|pgsql)(?:\+\w+)?:\/\/|["']postgresql["']/;
const SETTINGS_FILE = /^(?:settings|local_settings|\w+_settings|settings_\w+)\.py$/;
/** A settings file is small; a large one is not read. */
const MAX_SETTINGS_FILE = 256 * 1024;
/** Files of a `settings/` package read, at most. */
const MAX_PACKAGE_FILES = 20;

function vendorOf(engine: string): OtherDatabase['vendor'] {
  return engine.startsWith('sqlite') || engine === 'spatialite' ? 'sqlite' : engine.startsWith('mysql') ? 'mysql' : 'oracle';
}

/** Whether a folder's listing (its Python files and sub-folders) may hold settings the hints read. */
export function mayHoldSettings(files: readonly string[], folders: readonly string[]): boolean {
  return folders.includes('settings') || folders.includes('config') || files.some((n) => SETTINGS_FILE.test(n));
}

interface Listed {
  folders: readonly string[];
  hasSettings: boolean;
}

export class DatabaseHints {
  private readonly byDir = new Map<string, OtherDatabase | null>();
  /** What a walk's listing said of a folder: its sub-folders, and whether it may hold settings of its own. */
  private readonly listed = new Map<string, Listed>();

  noteListing(dir: string, folders: readonly string[], hasSettings: boolean): void {
    this.listed.set(dir, { folders, hasSettings });
  }

  /** The first other database named by a settings file in `dir` or a folder above it (not above `stop`), or null. */
  otherFor(dir: string, stop?: string): OtherDatabase | null {
    const seen: string[] = [];
    let found: OtherDatabase | null = null;
    for (let d = dir; ; d = dirname(d)) {
      const cached = this.byDir.get(d);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      seen.push(d);
      found = namedIn(d, this.listed);
      // Never above `stop`, nor above a repository's root (checking one project of a folder that holds
      // several, the settings of the one beside it are not its own); a folder outside `stop` is looked at alone.
      if (found || d === stop || dirname(d) === d || (stop !== undefined && !d.startsWith(stop)) || existsSync(join(d, '.git'))) break;
    }
    for (const d of seen) this.byDir.set(d, found);
    return found;
  }

  clear(): void {
    this.byDir.clear();
    this.listed.clear();
  }
}

/** Folders of a directory looked into for settings files, at most (a project's root holds a few dozen). */
const MAX_CHILD_FOLDERS = 64;
const SKIPPED_FOLDER = /^(?:\.|node_modules$|venv$|env$|site-packages$|__pycache__$|migrations$|static$|media$|docs?$|tests?$)/;

/**
 * The other database named by the settings files in `dir` (its own, those of a `settings/` or `config/`
 * package in it) or in a folder just below it: a project's settings usually sit in a package beside its
 * apps (`mysite/settings.py` next to `shop/migrations`, label-studio's `core/settings/` next to `projects/`).
 */
function namedIn(dir: string, listed: ReadonlyMap<string, Listed>): OtherDatabase | null {
  const walked = listed.get(dir);
  // Listed by the walk with no settings of its own: only its sub-folders are asked about, as the walk saw them.
  const known = walked && !walked.hasSettings ? walked.folders : undefined;
  const names = known ?? listing(dir);
  if (!names) return null;
  const files = known ? [] : settingsFiles(dir, names);
  const children = names.filter((n) => !SKIPPED_FOLDER.test(n) && !n.includes('.')).slice(0, MAX_CHILD_FOLDERS);
  for (const child of children.sort()) {
    const path = join(dir, child);
    // A folder a walk listed without settings is not listed again (the CLI's discovery notes them).
    if (listed.get(path)?.hasSettings === false) continue;
    const inner = listing(path);
    if (inner) files.push(...settingsFiles(path, inner));
  }
  // The first other database named, and whether any of these files names PostgreSQL as well.
  let found: OtherDatabase | null = null;
  let postgres = false;
  for (const file of files) {
    const read = readSettings(file);
    if (!read) continue;
    found ??= read.other ? { vendor: read.other, from: file, ...(read.urlDefault ? { urlDefault: true } : {}) } : null;
    postgres ||= read.postgres;
  }
  if (!found) {
    // The database a Compose file gives the app (`DATABASE_URL: '${DATABASE_URL-sqlite:////app/db.sqlite3}'`):
    // the deployment the project ships, where settings read the URL from the environment (review 81:
    // obico's self-hosted default is SQLite, where PostgreSQL's SQL in a fix fails).
    for (const file of composeFiles(dir, names)) {
      const read = readCompose(file);
      if (!read) continue;
      found ??= read.other ? { vendor: read.other, from: file, urlDefault: true } : null;
      postgres ||= read.postgres;
    }
  }
  return found ? { ...found, alone: !postgres } : null;
}

function composeFiles(dir: string, names: readonly string[]): string[] {
  return COMPOSE_FILES.filter((n) => names.includes(n)).map((n) => join(dir, n));
}

/** The other database a Compose file's `DATABASE_URL` names (its value or its `${VAR-default}`), and whether the file runs PostgreSQL. */
function readCompose(file: string): { other: OtherDatabase['vendor'] | null; postgres: boolean } | null {
  try {
    if (statSync(file).size > MAX_SETTINGS_FILE) return null;
    const lines = readFileSync(file, 'utf8').split('\n').filter((line) => !/^\s*#/.test(line));
    const url = lines.filter((line) => /\bDATABASE_URL\b/.test(line)).map((line) => /\b(sqlite|spatialite|mysql|mysql2|mysqlgis|oracle):\/\//.exec(line)?.[1]).find((v) => v !== undefined);
    const text = lines.join('\n');
    return { other: url ? vendorOf(url) : null, postgres: /\bimage:\s*["']?[\w./-]*(?:postgres|postgis)\b/.test(text) || /\bpostgres(?:ql)?(?:\+\w+)?:\/\//.test(text) };
  } catch {
    return null;
  }
}

function listing(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch {
    return null;
  }
}

/** The settings files of `dir` (listed as `names`): its own and its `settings/` package's. */
function settingsFiles(dir: string, names: readonly string[]): string[] {
  const files = names.filter((n) => SETTINGS_FILE.test(n)).map((n) => join(dir, n));
  // A `settings/` package, or a `config/` one that holds the settings split by topic (coldfront's `config/database.py`).
  for (const pkg of ['settings', 'config']) {
    if (!names.includes(pkg)) continue;
    const inner = listing(join(dir, pkg));
    if (inner) files.push(...inner.filter((n) => n.endsWith('.py')).slice(0, MAX_PACKAGE_FILES).map((n) => join(dir, pkg, n)));
  }
  return files.sort();
}

/** What one settings file names: another database, and PostgreSQL; null when it cannot be read. */
function readSettings(file: string): { other: OtherDatabase['vendor'] | null; postgres: boolean; urlDefault: boolean } | null {
  try {
    if (statSync(file).size > MAX_SETTINGS_FILE) return null;
    // A line commented out names nothing the project runs.
    const text = readFileSync(file, 'utf8').split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
    // An engine spelled out anywhere in the file comes before a URL given as a default.
    const spelled = [...text.matchAll(new RegExp(ENGINE.source, 'g'))].find((m) => m[1]) ?? null;
    const m = spelled ?? ENGINE.exec(text);
    const built = !m?.[1] && BUILT_ENGINE.test(text) ? BACKEND_NAME.exec(text)?.[1] : undefined;
    const engine = m?.[1] ?? built ?? m?.[2];
    return { other: engine ? vendorOf(engine) : null, postgres: POSTGRES_NAMED.test(text), urlDefault: !!engine && !m?.[1] && !built };
  } catch {
    // unreadable: as if absent
    return null;
  }
}

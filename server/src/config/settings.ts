/**
 * Settings shared by the CLI and the language server: defaults, validation of raw values (from
 * VS Code's `migrationGuard.*` or pyproject's `[tool.migration-guard]`), and layering:
 * built-in defaults < pyproject.toml < explicit editor settings.
 */
import { RULE_IDS, ruleById } from '../analysis/rules';
import { DATABASE_VENDORS, DEFAULT_TARGET_DATABASE, parseDjangoVersion, parsePostgresqlVersion, type DatabaseVendor, type TargetDatabase } from '../analysis/target-database';
import { SEVERITIES, type RuleSetting } from '../analysis/types';

export interface Settings {
  rules: Record<string, RuleSetting>;
  /** Globs (relative to the project root) of files that are migrations. */
  include: string[];
  /** Globs of files never linted. */
  exclude: string[];
  /** Also lint Python files outside `include` that define a Migration class. */
  detectByContent: boolean;
  /** Rows per batch in generated batching templates. */
  batchSize: number;
  /** Django's AUTH_USER_MODEL ('app_label.ModelName'), for swappable dependencies and foreign keys. */
  authUserModel: string;
  /**
   * Django's MIGRATION_MODULES as folders: app label -> the folder holding its migrations
   * (relative to the project root, i.e. the pyproject.toml's folder).
   */
  migrationModules: Record<string, string>;
  /** Findings recorded in this file are not reported (relative to the project root); null: none. */
  baseline: string | null;
  /** Files larger than this many bytes are skipped with a warning. */
  maxFileSize: number;
  /** The database the project deploys to: the schema-hazard rules' messages follow it. */
  database: DatabaseVendor;
  /** PostgreSQL's major version (read when `database` is postgresql). */
  postgresqlVersion: number;
  /** Django's version as [major, minor]. */
  djangoVersion: readonly [number, number];
  /**
   * Read which migrations shipped together from git (release-history.ts): the CLI always may, the
   * editor only in a trusted workspace.
   */
  gitHistory: boolean;
  /**
   * A git revision (`origin/main`): what the branch adds since it left it is one release, as
   * `check --changed-since` takes it for a pull request. Null: each commit is its own.
   */
  releaseBase: string | null;
  /**
   * Release tags group what each first held into one release (release-tags.ts): on unless a project
   * deploys its main line continuously and tags only now and then.
   */
  releaseTags: boolean;
  /**
   * Not a setting of its own: set when `djangoVersion` was given (pyproject.toml, the editor, the
   * command line) or read from the project's pin, rather than the default.
   */
  djangoVersionKnown?: true;
  /** Not a setting of its own: another database the project's Django settings name while `database` is not set (database-hints.ts). */
  otherDatabase?: { vendor: string; from: string };
}

export type PartialSettings = Partial<Omit<Settings, 'rules'>> & { rules?: Record<string, RuleSetting> };

export const DEFAULT_INCLUDE = ['**/migrations/*.py'];
/** Far above any hand-written or squashed migration, far below a runaway read. */
export const DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024;
export const DEFAULT_EXCLUDE = [
  '**/__init__.py',
  '**/node_modules/**',
  '**/.git/**',
  '**/.venv/**',
  '**/venv/**',
  '**/site-packages/**',
  '**/.tox/**',
  '**/.nox/**',
];


/**
 * A migration-modules value as a folder: a dotted module path, as MIGRATION_MODULES writes it
 * (`"dojo.db_migrations"`), is the folder of that package under the project root; a path is kept.
 * No package can have a dot in its name, so a dotted word is never meant as a folder.
 */
function moduleFolder(value: string): string {
  return /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/.test(value) ? value.split('.').join('/') : value;
}
export function defaultSettings(): Settings {
  return {
    rules: Object.fromEntries(RULE_IDS.map((id) => [id, 'default' as RuleSetting])),
    include: [...DEFAULT_INCLUDE],
    exclude: [...DEFAULT_EXCLUDE],
    detectByContent: true,
    batchSize: 1000,
    authUserModel: 'auth.User',
    gitHistory: true,
    releaseBase: null,
    releaseTags: true,
    migrationModules: {},
    baseline: null,
    maxFileSize: DEFAULT_MAX_FILE_SIZE,
    database: DEFAULT_TARGET_DATABASE.vendor,
    postgresqlVersion: DEFAULT_TARGET_DATABASE.postgresqlVersion,
    djangoVersion: DEFAULT_TARGET_DATABASE.djangoVersion,
  };
}

/** The target database the settings describe, as the analysis takes it. */
export function targetOf(settings: Pick<Settings, 'database' | 'postgresqlVersion' | 'djangoVersion' | 'djangoVersionKnown' | 'otherDatabase'>): TargetDatabase {
  return {
    vendor: settings.database,
    postgresqlVersion: settings.postgresqlVersion,
    djangoVersion: settings.djangoVersion,
    ...(settings.djangoVersionKnown ? { djangoKnown: true } : {}),
    ...(settings.otherDatabase ? { otherDatabase: settings.otherDatabase } : {}),
  };
}

const RULE_SETTINGS: readonly string[] = ['off', 'default', ...SEVERITIES];

/** Accepts camelCase (VS Code) and kebab-case (pyproject) keys. */
function pick(raw: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (raw[k] !== undefined && raw[k] !== null) return raw[k];
  return undefined;
}

function stringList(value: unknown, key: string, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length > 0 ? (value as string[]) : undefined;
  problems.push(`${key} must be a list of glob strings`);
  return undefined;
}

/**
 * Reads a raw settings object, keeping what is valid and describing what is not; `origin` names
 * where it came from in those descriptions.
 */
export function parseSettings(raw: unknown, origin: string): { settings: PartialSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: PartialSettings = {};
  if (raw === undefined || raw === null) return { settings, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { settings, problems: [`${origin}: expected a table of settings`] };
  const r = raw as Record<string, unknown>;
  const rules = pick(r, 'rules');
  if (rules !== undefined) {
    if (typeof rules !== 'object' || Array.isArray(rules)) problems.push(`${origin}: rules must be a table of rule = "severity"`);
    else {
      settings.rules = {};
      for (const [id, value] of Object.entries(rules as Record<string, unknown>)) {
        if (!RULE_IDS.includes(id)) problems.push(`${origin}: unknown rule '${id}' (known: ${RULE_IDS.join(', ')})`);
        // `true` turns a rule on: its own severity, also for a rule that ships off by default.
        else if (typeof value === 'boolean') settings.rules[id] = value ? (ruleById(id)?.meta.defaultOff ? (ruleById(id)?.meta.defaultSeverity ?? 'default') : 'default') : 'off';
        else if (typeof value === 'string' && RULE_SETTINGS.includes(value)) settings.rules[id] = value as RuleSetting;
        else problems.push(`${origin}: rules.${id} must be one of ${RULE_SETTINGS.join(', ')}`);
      }
    }
  }
  const include = stringList(pick(r, 'include'), `${origin}: include`, problems);
  if (include) settings.include = include;
  const exclude = stringList(pick(r, 'exclude'), `${origin}: exclude`, problems);
  if (exclude) settings.exclude = exclude;
  const detect = pick(r, 'detectByContent', 'detect-by-content');
  if (detect !== undefined) {
    if (typeof detect === 'boolean') settings.detectByContent = detect;
    else problems.push(`${origin}: detect-by-content must be true or false`);
  }
  const batch = pick(r, 'batchSize', 'batch-size');
  if (batch !== undefined) {
    if (typeof batch === 'number' && Number.isInteger(batch) && batch >= 1 && batch <= 1_000_000) settings.batchSize = batch;
    else problems.push(`${origin}: batch-size must be a whole number from 1 to 1000000`);
  }
  const user = pick(r, 'authUserModel', 'auth-user-model');
  if (user !== undefined) {
    if (typeof user === 'string' && /^\w+\.\w+$/.test(user)) settings.authUserModel = user;
    else problems.push(`${origin}: auth-user-model must be "app_label.ModelName", as AUTH_USER_MODEL is written`);
  }
  const history = pick(r, 'gitHistory', 'git-history');
  if (history !== undefined) {
    if (typeof history === 'boolean') settings.gitHistory = history;
    else problems.push(`${origin}: git-history must be true or false`);
  }
  const base = pick(r, 'releaseBase', 'release-base');
  if (base !== undefined) {
    if (typeof base === 'string' && base.trim() === '') settings.releaseBase = null;
    else if (typeof base === 'string' && !base.startsWith('-') && !/\s/.test(base)) settings.releaseBase = base;
    else problems.push(`${origin}: release-base must be a git revision such as "origin/main"`);
  }
  const tags = pick(r, 'releaseTags', 'release-tags');
  if (tags !== undefined) {
    if (typeof tags === 'boolean') settings.releaseTags = tags;
    else problems.push(`${origin}: release-tags must be true or false`);
  }
  const modules = pick(r, 'migrationModules', 'migration-modules');
  if (modules !== undefined) {
    if (typeof modules === 'object' && !Array.isArray(modules) && Object.entries(modules as object).every(([k, v]) => /^\w+$/.test(k) && typeof v === 'string' && v !== '')) {
      settings.migrationModules = Object.fromEntries(Object.entries(modules as Record<string, string>).map(([k, v]) => [k, moduleFolder(v)]));
    } else problems.push(`${origin}: migration-modules must be a table of app_label = "path/to/migrations/folder" (or "dotted.module", as MIGRATION_MODULES writes it)`);
  }
  const baseline = pick(r, 'baseline');
  if (baseline !== undefined) {
    if (typeof baseline === 'string') settings.baseline = baseline.trim() === '' ? null : baseline;
    else problems.push(`${origin}: baseline must be a file name`);
  }
  const maxFileSize = pick(r, 'maxFileSize', 'max-file-size');
  if (maxFileSize !== undefined) {
    if (typeof maxFileSize === 'number' && Number.isInteger(maxFileSize) && maxFileSize >= 1) settings.maxFileSize = maxFileSize;
    else problems.push(`${origin}: max-file-size must be a whole number of bytes, at least 1`);
  }
  const database = pick(r, 'database');
  if (database !== undefined) {
    if (typeof database === 'string' && (DATABASE_VENDORS as readonly string[]).includes(database)) settings.database = database as DatabaseVendor;
    else problems.push(`${origin}: database must be one of ${DATABASE_VENDORS.map((v) => `"${v}"`).join(', ')}`);
  }
  const pg = pick(r, 'postgresqlVersion', 'postgresql-version');
  if (pg !== undefined) {
    const major = parsePostgresqlVersion(pg);
    if (major !== null) settings.postgresqlVersion = major;
    else problems.push(`${origin}: postgresql-version must be PostgreSQL's major version, e.g. 14 or "16" (9 or later)`);
  }
  const django = pick(r, 'djangoVersion', 'django-version');
  if (django !== undefined) {
    const version = parseDjangoVersion(django);
    if (version !== null) settings.djangoVersion = version;
    else problems.push(`${origin}: django-version must be a version such as "4.2" or "5.0" (a string: 4.10 as a number would read as 4.1)`);
  }
  const known = ['rules', 'include', 'exclude', 'detectByContent', 'detect-by-content', 'batchSize', 'batch-size', 'authUserModel', 'auth-user-model', 'gitHistory', 'git-history', 'releaseBase', 'release-base', 'releaseTags', 'release-tags', 'migrationModules', 'migration-modules', 'baseline', 'maxFileSize', 'max-file-size', 'database', 'postgresqlVersion', 'postgresql-version', 'djangoVersion', 'django-version', 'trace'];
  for (const key of Object.keys(r)) {
    if (!known.includes(key)) {
      problems.push(`${origin}: unknown setting '${key}'`);
    }
  }
  return { settings, problems };
}

/** Layers partial settings over the defaults, later layers winning; `rules` merge per rule. */
export function mergeSettings(...layers: PartialSettings[]): Settings {
  const out = defaultSettings();
  for (const layer of layers) {
    if (layer.rules) {
      for (const [id, v] of Object.entries(layer.rules)) if (v !== 'default' || !(id in out.rules)) out.rules[id] = v;
    }
    if (layer.include) out.include = [...layer.include];
    if (layer.exclude) out.exclude = [...layer.exclude];
    if (layer.detectByContent !== undefined) out.detectByContent = layer.detectByContent;
    if (layer.batchSize !== undefined) out.batchSize = layer.batchSize;
    if (layer.authUserModel !== undefined) out.authUserModel = layer.authUserModel;
    if (layer.gitHistory !== undefined) out.gitHistory = layer.gitHistory;
    if (layer.releaseBase !== undefined) out.releaseBase = layer.releaseBase;
    if (layer.releaseTags !== undefined) out.releaseTags = layer.releaseTags;
    if (layer.migrationModules !== undefined && Object.keys(layer.migrationModules).length > 0) out.migrationModules = { ...layer.migrationModules };
    if (layer.baseline !== undefined) out.baseline = layer.baseline;
    if (layer.maxFileSize !== undefined) out.maxFileSize = layer.maxFileSize;
    if (layer.otherDatabase !== undefined) out.otherDatabase = layer.otherDatabase;
    // A database named in the settings ends the guess the other hint was for.
    if (layer.database !== undefined) {
      out.database = layer.database;
      delete out.otherDatabase;
    }
    if (layer.postgresqlVersion !== undefined) out.postgresqlVersion = layer.postgresqlVersion;
    if (layer.djangoVersion !== undefined) {
      out.djangoVersion = layer.djangoVersion;
      out.djangoVersionKnown = true;
    }
  }
  return out;
}

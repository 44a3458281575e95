/**
 * Settings shared by the CLI and the language server: defaults, validation of raw values (from
 * VS Code's `migrationGuard.*` or pyproject's `[tool.migration-guard]`), and layering:
 * built-in defaults < pyproject.toml < explicit editor settings.
 */
import { RULE_IDS } from '../analysis/rules';
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

export function defaultSettings(): Settings {
  return {
    rules: Object.fromEntries(RULE_IDS.map((id) => [id, 'default' as RuleSetting])),
    include: [...DEFAULT_INCLUDE],
    exclude: [...DEFAULT_EXCLUDE],
    detectByContent: true,
    batchSize: 1000,
    authUserModel: 'auth.User',
    migrationModules: {},
    baseline: null,
    maxFileSize: DEFAULT_MAX_FILE_SIZE,
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
        else if (typeof value === 'boolean') settings.rules[id] = value ? 'default' : 'off';
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
  const modules = pick(r, 'migrationModules', 'migration-modules');
  if (modules !== undefined) {
    if (typeof modules === 'object' && !Array.isArray(modules) && Object.entries(modules as object).every(([k, v]) => /^\w+$/.test(k) && typeof v === 'string' && v !== '')) {
      settings.migrationModules = { ...(modules as Record<string, string>) };
    } else problems.push(`${origin}: migration-modules must be a table of app_label = "path/to/migrations/folder"`);
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
  const known = ['rules', 'include', 'exclude', 'detectByContent', 'detect-by-content', 'batchSize', 'batch-size', 'authUserModel', 'auth-user-model', 'migrationModules', 'migration-modules', 'baseline', 'maxFileSize', 'max-file-size', 'trace'];
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
    if (layer.migrationModules !== undefined && Object.keys(layer.migrationModules).length > 0) out.migrationModules = { ...layer.migrationModules };
    if (layer.baseline !== undefined) out.baseline = layer.baseline;
    if (layer.maxFileSize !== undefined) out.maxFileSize = layer.maxFileSize;
  }
  return out;
}

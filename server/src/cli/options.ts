/**
 * Turns the command line into a command: help, version, or a `check` with validated options.
 * Anything malformed becomes a UsageError, which the entry point reports with exit status 2.
 */
import { availableParallelism } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RULE_IDS } from '../analysis/rules';
import { DEFAULT_TARGET_DATABASE, DATABASE_VENDORS, parseDjangoVersion, parsePostgresqlVersion, type TargetDatabase } from '../analysis/target-database';
import { EXPLAIN_FORMATS, type ExplainOptions } from './explain';
import { GRAPH_FORMATS, type GraphOptions } from './graph';
import { RULES_FORMATS, type RulesFormat } from './rules-command';
import { FAIL_ON_VALUES, OUTPUT_FORMATS, type FailOn, type OutputFormat } from './types';

export class UsageError extends Error {}

export interface CheckOptions {
  paths: string[];
  format: OutputFormat;
  failOn: FailOn;
  config: string | null;
  select: string[] | null;
  ignore: string[];
  jobs: number;
  quiet: boolean;
  /** Which fixes to apply or show: none, the safe ones (--fix, --diff), or every finding's preferred one (with --unsafe-fixes). */
  fix: 'none' | 'safe' | 'preferred';
  /** Print what the fixes would change as a unified diff instead of writing files. */
  diff: boolean;
  /** --max-file-size: files larger than this many bytes are skipped with a warning (null: the settings decide). */
  maxFileSize: number | null;
  /** --baseline: report only findings this file does not record (null: pyproject.toml's `baseline`, if any). */
  baseline: string | null;
  /** --write-baseline: record every current finding in this file instead of reporting them. */
  writeBaseline: string | null;
  /** --changed-since: report only migrations added or changed since this git revision. */
  changedSince: string | null;
  /** --no-cache: read every file, reuse nothing, write no cache. */
  noCache: boolean;
  /** --cache-dir: where the cache lives (null: MIGRATION_GUARD_CACHE_DIR, else the project root's .migration-guard-cache). */
  cacheDir: string | null;
}

export interface SplitOptions {
  file: string;
  /** Where to look for migrations that depend on the split one (default: see split.ts). */
  root: string | null;
  dryRun: boolean;
}

export type Command =
  | { kind: 'help'; topic: 'main' | 'check' | 'split' | 'rules' | 'graph' | 'explain' }
  | { kind: 'version' }
  | { kind: 'rules'; format: RulesFormat }
  | { kind: 'graph'; options: GraphOptions }
  | { kind: 'check'; options: CheckOptions }
  | { kind: 'split'; options: SplitOptions }
  | { kind: 'explain'; options: ExplainOptions };

function ruleList(values: string[] | undefined, option: string): string[] | null {
  if (!values) return null;
  const ids = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
  for (const id of ids) {
    if (!RULE_IDS.includes(id)) throw new UsageError(`${option}: unknown rule '${id}' (known: ${RULE_IDS.join(', ')})`);
  }
  return ids;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string, fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} must be one of ${allowed.join(', ')} (got '${value}')`);
}

function jobsOf(value: string | undefined): number {
  if (value === undefined) return Math.max(1, availableParallelism());
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--jobs must be a whole number of at least 1 (got '${value}')`);
  return n;
}

function bytesOf(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-file-size must be a whole number of bytes, at least 1 (got '${value}')`);
  return n;
}

/** Node's parseArgs errors read well but start with a capital and end with advice for its own API. */
function parseArgsMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('. To specify a positional argument')[0].replace(/^Unknown option/, 'unknown option');
}

/** parseArgs with positionals and strict options, its errors turned into usage errors. */
function parseStrict<T extends ParseArgsConfig['options']>(args: string[], options: T) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (e) {
    throw new UsageError(parseArgsMessage(e));
  }
}

function parseCheck(args: string[]): Command {
  const parsed = parseStrict(args, {
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    config: { type: 'string' },
    select: { type: 'string', multiple: true },
    ignore: { type: 'string', multiple: true },
    jobs: { type: 'string', short: 'j' },
    quiet: { type: 'boolean', short: 'q' },
    fix: { type: 'boolean' },
    'unsafe-fixes': { type: 'boolean' },
    diff: { type: 'boolean' },
    'max-file-size': { type: 'string' },
    baseline: { type: 'string' },
    'write-baseline': { type: 'string' },
    'changed-since': { type: 'string' },
    'no-cache': { type: 'boolean' },
    'cache-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  });
  const v = parsed.values;
  if (v.help) return { kind: 'help', topic: 'check' };
  if (v.version) return { kind: 'version' };
  if (v.config !== undefined && v.config.length === 0) throw new UsageError('--config needs a file name');
  for (const option of ['baseline', 'write-baseline', 'changed-since', 'cache-dir'] as const) {
    if (v[option] !== undefined && v[option].trim().length === 0) throw new UsageError(`--${option} needs a ${option === 'changed-since' ? 'git revision' : option === 'cache-dir' ? 'folder' : 'file name'}`);
  }
  if (v['no-cache'] && v['cache-dir'] !== undefined) throw new UsageError('--no-cache and --cache-dir contradict each other');
  // As in ruff, --unsafe-fixes widens which fixes are taken, it does not write: alone it would rewrite
  // migrations for someone who only wanted to see what it offers.
  if (v['unsafe-fixes'] && !v.fix && !v.diff && v['write-baseline'] === undefined) throw new UsageError('--unsafe-fixes takes every finding\'s preferred fix for --fix (write) or --diff (show): add --diff to see the changes, or --fix to write them');
  if (v['write-baseline'] !== undefined) {
    // Recording today's findings is not the time to change them, or to leave some out.
    const clash = (['fix', 'unsafe-fixes', 'diff', 'baseline', 'changed-since'] as const).find((o) => v[o] !== undefined && v[o] !== false);
    if (clash) throw new UsageError(`--write-baseline records every current finding; it cannot be combined with --${clash}`);
  }
  return {
    kind: 'check',
    options: {
      paths: parsed.positionals.length > 0 ? parsed.positionals : ['.'],
      format: oneOf(v.format, OUTPUT_FORMATS, '--format', 'text'),
      failOn: oneOf(v['fail-on'], FAIL_ON_VALUES, '--fail-on', 'warning'),
      config: v.config ?? null,
      select: ruleList(v.select, '--select'),
      ignore: ruleList(v.ignore, '--ignore') ?? [],
      jobs: jobsOf(v.jobs),
      quiet: v.quiet ?? false,
      // --diff alone previews the safe fixes, as --fix would apply them.
      fix: v['unsafe-fixes'] ? 'preferred' : v.fix || v.diff ? 'safe' : 'none',
      diff: v.diff ?? false,
      maxFileSize: v['max-file-size'] === undefined ? null : bytesOf(v['max-file-size']),
      baseline: v.baseline ?? null,
      writeBaseline: v['write-baseline'] ?? null,
      changedSince: v['changed-since'] ?? null,
      noCache: v['no-cache'] ?? false,
      cacheDir: v['cache-dir'] ?? null,
    },
  };
}

function parseSplit(args: string[]): Command {
  const parsed = parseStrict(args, { root: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (parsed.values.help) return { kind: 'help', topic: 'split' };
  if (parsed.positionals.length !== 1) throw new UsageError('split takes exactly one migration file (migration-guard split app/migrations/0042_x.py)');
  return { kind: 'split', options: { file: parsed.positionals[0] as string, root: parsed.values.root ?? null, dryRun: parsed.values['dry-run'] ?? false } };
}

function parseRules(args: string[]): Command {
  const parsed = parseStrict(args, { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (parsed.values.help) return { kind: 'help', topic: 'rules' };
  if (parsed.positionals.length > 0) throw new UsageError(`rules takes no arguments (got '${parsed.positionals[0]}')`);
  return { kind: 'rules', format: oneOf(parsed.values.format, RULES_FORMATS, '--format', 'text') };
}

function parseGraph(args: string[]): Command {
  const parsed = parseStrict(args, { format: { type: 'string' }, plan: { type: 'boolean' }, jobs: { type: 'string', short: 'j' }, help: { type: 'boolean', short: 'h' } });
  const v = parsed.values;
  if (v.help) return { kind: 'help', topic: 'graph' };
  return {
    kind: 'graph',
    options: { paths: parsed.positionals.length > 0 ? parsed.positionals : ['.'], format: oneOf(v.format, GRAPH_FORMATS, '--format', 'text'), plan: v.plan ?? false, jobs: jobsOf(v.jobs) },
  };
}

/**
 * The database and Django version the flags --database / --postgresql-version / --django-version
 * name; what they leave out comes from the project's settings (then the defaults).
 */
export function targetFlags(values: { database?: string | undefined; 'postgresql-version'?: string | undefined; 'django-version'?: string | undefined }): Partial<TargetDatabase> {
  const out: { -readonly [K in keyof TargetDatabase]?: TargetDatabase[K] } = {};
  if (values.database !== undefined) out.vendor = oneOf(values.database, DATABASE_VENDORS, '--database', DEFAULT_TARGET_DATABASE.vendor);
  if (values['postgresql-version'] !== undefined) {
    const v = parsePostgresqlVersion(values['postgresql-version']);
    if (v === null) throw new UsageError(`--postgresql-version must be a major version such as 14 (got '${values['postgresql-version']}')`);
    out.postgresqlVersion = v;
  }
  if (values['django-version'] !== undefined) {
    const v = parseDjangoVersion(values['django-version']);
    if (v === null) throw new UsageError(`--django-version must look like 4.2 (got '${values['django-version']}')`);
    out.djangoVersion = v;
  }
  return out;
}

function parseExplain(args: string[]): Command {
  const parsed = parseStrict(args, {
    format: { type: 'string' },
    root: { type: 'string' },
    database: { type: 'string' },
    'postgresql-version': { type: 'string' },
    'django-version': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const v = parsed.values;
  if (v.help) return { kind: 'help', topic: 'explain' };
  if (parsed.positionals.length !== 1) throw new UsageError('explain takes exactly one migration file (migration-guard explain app/migrations/0042_x.py)');
  return {
    kind: 'explain',
    options: { file: parsed.positionals[0] as string, format: oneOf(v.format, EXPLAIN_FORMATS, '--format', 'text'), root: v.root ?? null, target: targetFlags(v) },
  };
}

const HELP_TOPICS = ['check', 'split', 'rules', 'graph', 'explain'] as const;

export function parseCommandLine(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given (try: migration-guard check .)');
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help', topic: HELP_TOPICS.find((t) => t === rest[0]) ?? 'main' };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first === 'check') return parseCheck(rest);
  if (first === 'split') return parseSplit(rest);
  if (first === 'rules') return parseRules(rest);
  if (first === 'graph') return parseGraph(rest);
  if (first === 'explain') return parseExplain(rest);
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (options go after the command: migration-guard check ${first} ...)`);
  throw new UsageError(`unknown command '${first}' (the commands are: check, split, graph, explain, rules)`);
}

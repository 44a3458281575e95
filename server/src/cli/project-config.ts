/**
 * Which settings apply to a folder: the nearest pyproject.toml's `[tool.migration-guard]` (or
 * the one given with --config), layered under the command line's --select/--ignore. Each distinct
 * configuration gets an index, so tasks sent to worker threads carry a number, not the settings.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ruleById } from '../analysis/rules';
import type { RuleSetting } from '../analysis/types';
import { FileMatcher } from '../config/file-matcher';
import { PyprojectCache, readPyproject, type ProjectConfig } from '../config/pyproject';
import { mergeSettings, targetOf, type Settings } from '../config/settings';
import { UsageError } from './options';
import type { LintConfig } from './types';

export interface RuleOverrides {
  /** Only these rules run (a selected rule that settings turn off runs with its own severity). */
  select: string[] | null;
  /** These rules never run. */
  ignore: string[];
  /** Fixes to apply (--fix / --unsafe-fixes); none by default. */
  fix?: LintConfig['fix'];
  /** --max-file-size, over every pyproject.toml's. */
  maxFileSize?: number;
  /** --baseline / --write-baseline: every file's findings need their fingerprints. */
  fingerprints?: boolean;
}

export interface ResolvedConfig {
  /** The pyproject.toml the settings come from, or null (defaults). */
  file: string | null;
  settings: Settings;
  matcher: FileMatcher;
  /** Index into `ConfigResolver.configs`. */
  index: number;
  /** The pyproject.toml names the database the project deploys to (else the findings assume PostgreSQL). */
  databaseSet: boolean;
  /** The lock or requirements file the Django version was read from, when no `django-version` is set. */
  djangoFrom?: string;
  /** The Compose file the PostgreSQL version was read from, when no `postgresql-version` is set. */
  postgresqlFrom?: string;
  /** The Django settings file the database (MySQL) was read from, when no `database` is set. */
  databaseFrom?: string;
}

/** Applies --select and --ignore on top of the merged settings. */
export function applyOverrides(rules: Record<string, RuleSetting>, overrides: RuleOverrides): Record<string, RuleSetting> {
  const out = { ...rules };
  if (overrides.select) {
    for (const id of Object.keys(out)) {
      if (!overrides.select.includes(id)) out[id] = 'off';
      else if (out[id] === 'off' || out[id] === 'default') {
        // Selecting a rule runs it, also one that ships off by default.
        const meta = ruleById(id)?.meta;
        out[id] = meta?.defaultOff ? meta.defaultSeverity : 'default';
      }
    }
  }
  for (const id of overrides.ignore) out[id] = 'off';
  return out;
}

export class ConfigResolver {
  /** The engine options of every configuration handed out so far, by index. */
  readonly configs: LintConfig[] = [];
  /** The same configurations with their settings and project root, by index. */
  readonly resolved: ResolvedConfig[] = [];
  private readonly cache = new PyprojectCache();
  private readonly byKey = new Map<string, ResolvedConfig>();
  private readonly explicit: ProjectConfig | null;

  /**
   * @param configFile --config, or null to discover pyproject.toml per folder.
   * @param warn receives each settings problem once.
   */
  constructor(
    configFile: string | null,
    private readonly overrides: RuleOverrides,
    private readonly warn: (message: string) => void,
  ) {
    if (configFile === null) {
      this.explicit = null;
      return;
    }
    if (!existsSync(configFile)) throw new UsageError(`--config: ${configFile}: no such file`);
    if (!statSync(configFile).isFile()) throw new UsageError(`--config: ${configFile}: not a file`);
    this.explicit = readPyproject(configFile);
  }

  /** A folder a walk listed without a pyproject.toml: no need to look for one there again. */
  noteNoPyproject(dir: string): void {
    this.cache.noteAbsent(dir);
  }

  /** A folder a walk listed without a pin file: no need to look for one there again. */
  /** A folder's listing by the walk: the database hints (database-hints.ts) list it no more. */
  noteListing(dir: string, folders: readonly string[], hasSettings: boolean): void {
    this.cache.noteListing(dir, folders, hasSettings);
  }

  noteNoPins(dir: string): void {
    this.cache.noteNoPins(dir);
  }

  /**
   * The configuration for files in `dir`; `fallbackRoot` is where globs are relative to when no
   * pyproject.toml is found above `dir`.
   */
  forDirectory(dir: string, fallbackRoot: string): ResolvedConfig {
    const project = this.explicit ?? this.cache.configFor(dir, fallbackRoot);
    const key = `${project.file ?? `\0${fallbackRoot}`}\0${project.djangoFrom ?? ''}\0${project.postgresqlFrom ?? ''}\0${project.settings.otherDatabase?.from ?? ''}\0${project.databaseFrom ?? ''}`;
    const known = this.byKey.get(key);
    if (known) return known;
    for (const problem of project.problems) this.warn(problem);
    const settings = mergeSettings(project.settings);
    settings.rules = applyOverrides(settings.rules, this.overrides);
    const resolved: ResolvedConfig = { file: project.file, settings, matcher: new FileMatcher(settings, project.root), index: this.configs.length, databaseSet: project.settings.database !== undefined && !project.databaseFrom, ...(project.djangoFrom ? { djangoFrom: project.djangoFrom } : {}), ...(project.postgresqlFrom ? { postgresqlFrom: project.postgresqlFrom } : {}), ...(project.databaseFrom ? { databaseFrom: project.databaseFrom } : {}) };
    this.configs.push({
      rules: settings.rules,
      batchSize: settings.batchSize,
      target: targetOf(settings),
      fix: this.overrides.fix ?? 'none',
      maxFileSize: this.overrides.maxFileSize ?? settings.maxFileSize,
      baseline: settings.baseline === null ? null : resolve(project.root, settings.baseline),
      fingerprints: this.overrides.fingerprints === true || settings.baseline !== null,
    });
    this.resolved.push(resolved);
    this.byKey.set(key, resolved);
    return resolved;
  }
}

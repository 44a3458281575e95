/**
 * Finds the nearest pyproject.toml above a file and reads its `[tool.migration-guard]` table, so
 * the CLI in CI and the editor apply the same settings. Results are cached per directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseSettings, type PartialSettings } from './settings';

export interface ProjectConfig {
  /** The pyproject.toml path, or null when none was found. */
  file: string | null;
  /** The directory globs are relative to: the pyproject's folder, else the search root. */
  root: string;
  settings: PartialSettings;
  problems: string[];
}

export class PyprojectCache {
  private readonly byDir = new Map<string, string | null>();
  private readonly byFile = new Map<string, { mtimeMs: number; config: ProjectConfig }>();

  /** The nearest pyproject.toml at or above `dir` (not above `stop`, when given). */
  find(dir: string, stop?: string): string | null {
    const cached = this.byDir.get(dir);
    if (cached !== undefined) return cached;
    const candidate = join(dir, 'pyproject.toml');
    let found: string | null;
    if (existsSync(candidate)) found = candidate;
    else {
      const parent = dirname(dir);
      found = parent === dir || dir === stop ? null : this.find(parent, stop);
    }
    this.byDir.set(dir, found);
    return found;
  }

  /** The config that applies to files in `dir`. */
  configFor(dir: string, fallbackRoot: string, stop?: string): ProjectConfig {
    const file = this.find(dir, stop);
    if (!file) return { file: null, root: fallbackRoot, settings: {}, problems: [] };
    return this.read(file);
  }

  read(file: string): ProjectConfig {
    let mtimeMs = 0;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      return { file: null, root: dirname(file), settings: {}, problems: [] };
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
  }
}

export function readPyproject(file: string): ProjectConfig {
  const root = dirname(file);
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { file, root, settings: {}, problems: [`${file}: not valid TOML (${reason}); its [tool.migration-guard] settings are ignored`] };
  }
  const tool = doc.tool as Record<string, unknown> | undefined;
  const raw = tool?.['migration-guard'];
  const { settings, problems } = parseSettings(raw, `${file} [tool.migration-guard]`);
  return { file, root, settings, problems };
}

/**
 * Baseline files: the findings a project accepted when it adopted the tool, so that only new ones
 * are reported. An entry is a finding's identity — the file (relative to the baseline), the rule,
 * and a hash of the code it points at (analysis/fingerprint.ts) — with a count for identical code
 * in one file; no line numbers, so edits elsewhere do not disturb it. The file is JSON, sorted,
 * one entry per line, so it reviews well in a pull request. Shared by the CLI and the editor.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export const BASELINE_FORMAT = 'django-migration-guard-baseline';
export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  /** The migration, relative to the baseline file's folder, with / separators. */
  path: string;
  rule: string;
  /** Hash of the code the finding points at. */
  fingerprint: string;
  /** How many findings with this identity the file had. */
  count: number;
  /** The start of that code, for people reading the file; not part of the identity. */
  code: string;
}

export interface Baseline {
  file: string;
  entries: BaselineEntry[];
}

/** What the matcher needs of a finding: its file and rule, and the code it points at. */
export interface Identified {
  file: string;
  rule: string;
  fingerprint: string;
}

export class BaselineError extends Error {}

export function fingerprintHash(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

/** `file` relative to the baseline's folder, POSIX-style (a baseline is shared across machines). */
export function baselineKeyPath(baselineFile: string, file: string): string {
  const rel = relative(dirname(resolve(baselineFile)), file);
  return (isAbsolute(rel) ? file : rel).split(sep).join('/');
}

function keyOf(path: string, rule: string, fingerprint: string): string {
  return `${path}\u0000${rule}\u0000${fingerprint}`;
}

function isEntry(value: unknown): value is BaselineEntry {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.path === 'string' && typeof v.rule === 'string' && typeof v.fingerprint === 'string' && Number.isInteger(v.count) && (v.count as number) >= 1;
}

/** Parses a baseline; throws BaselineError with a message fit for the user. */
export function parseBaseline(file: string, text: string): Baseline {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BaselineError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const d = doc as Record<string, unknown> | null;
  if (!d || typeof d !== 'object' || d.format !== BASELINE_FORMAT) throw new BaselineError(`${file}: not a baseline written by migration-guard check --write-baseline`);
  if (d.version !== BASELINE_VERSION) throw new BaselineError(`${file}: baseline version ${String(d.version)} is not supported (this migration-guard reads version ${BASELINE_VERSION})`);
  if (!Array.isArray(d.findings) || !d.findings.every(isEntry)) throw new BaselineError(`${file}: its "findings" must be a list of {path, rule, fingerprint, count, code}`);
  return { file, entries: d.findings.map((e) => ({ path: e.path, rule: e.rule, fingerprint: e.fingerprint, count: e.count, code: typeof e.code === 'string' ? e.code : '' })) };
}

export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BaselineError(`${file}: ${code === 'ENOENT' ? 'no such file (write one with migration-guard check --write-baseline)' : `cannot be read (${code ?? String(e)})`}`);
  }
  return parseBaseline(file, text);
}

function compareEntries(a: BaselineEntry, b: BaselineEntry): number {
  return a.path.localeCompare(b.path, 'en') || a.rule.localeCompare(b.rule, 'en') || a.code.localeCompare(b.code, 'en') || a.fingerprint.localeCompare(b.fingerprint, 'en');
}

/** The file's text: stable order, one entry per line. */
export function serializeBaseline(entries: readonly BaselineEntry[]): string {
  const sorted = [...entries].sort(compareEntries);
  const lines = sorted.map((e) => `    ${JSON.stringify({ path: e.path, rule: e.rule, fingerprint: e.fingerprint, count: e.count, code: e.code })}`);
  return `{\n  "format": "${BASELINE_FORMAT}",\n  "version": ${BASELINE_VERSION},\n  "findings": [\n${lines.join(',\n')}${lines.length > 0 ? '\n' : ''}  ]\n}\n`;
}

/** The entries describing `findings` (identical code in one file counted, not repeated). */
export function entriesFor(baselineFile: string, findings: ReadonlyArray<Identified & { code: string }>): BaselineEntry[] {
  const byKey = new Map<string, BaselineEntry>();
  for (const f of findings) {
    const path = baselineKeyPath(baselineFile, f.file);
    const key = keyOf(path, f.rule, f.fingerprint);
    const known = byKey.get(key);
    if (known) known.count++;
    else byKey.set(key, { path, rule: f.rule, fingerprint: f.fingerprint, count: 1, code: f.code });
  }
  return [...byKey.values()];
}

/** Takes findings out of a baseline one by one; what is left over at the end is stale. */
export class BaselineMatcher {
  private readonly left = new Map<string, number>();

  constructor(readonly baseline: Baseline) {
    for (const e of baseline.entries) {
      const key = keyOf(e.path, e.rule, e.fingerprint);
      this.left.set(key, (this.left.get(key) ?? 0) + e.count);
    }
  }

  /** True (and counted) when the baseline still holds a finding with this identity. */
  take(finding: Identified): boolean {
    const key = keyOf(baselineKeyPath(this.baseline.file, finding.file), finding.rule, finding.fingerprint);
    const n = this.left.get(key) ?? 0;
    if (n === 0) return false;
    this.left.set(key, n - 1);
    return true;
  }

  /** Entries (with their unmatched count) of the given files that matched no finding. */
  stale(paths: ReadonlySet<string>): BaselineEntry[] {
    return this.baseline.entries
      .filter((e) => paths.has(e.path))
      .map((e) => ({ ...e, count: Math.min(e.count, this.left.get(keyOf(e.path, e.rule, e.fingerprint)) ?? 0) }))
      .filter((e) => e.count > 0);
  }
}

/** Baselines read once per modification time: the editor asks on every keystroke. */
export class BaselineCache {
  private readonly byFile = new Map<string, { mtimeMs: number; baseline: Baseline | BaselineError }>();

  get(file: string): Baseline | BaselineError {
    let mtimeMs = -1;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      // reported by readBaseline below
    }
    const known = this.byFile.get(file);
    if (known && known.mtimeMs === mtimeMs) return known.baseline;
    let baseline: Baseline | BaselineError;
    try {
      baseline = readBaseline(file);
    } catch (e) {
      if (!(e instanceof BaselineError)) throw e;
      baseline = e;
    }
    this.byFile.set(file, { mtimeMs, baseline });
    return baseline;
  }
}

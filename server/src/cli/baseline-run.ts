/**
 * The `check` command's baseline steps: hide the findings a baseline records (--baseline, or the
 * `baseline` of a file's pyproject.toml) and say how many entries went stale, or write a baseline
 * of every current finding (--write-baseline), keeping the entries of files this run did not
 * check and listing the ones that no longer match.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  BaselineError,
  BaselineMatcher,
  baselineKeyPath,
  entriesFor,
  fingerprintHash,
  readBaseline,
  serializeBaseline,
  type Baseline,
  type BaselineEntry,
} from '../config/baseline';
import type { CliFinding, FileReport, LintConfig, LintTask, ResultStatus } from './types';

export interface BaselineIo {
  warn(message: string): void;
  error(message: string): void;
  info(message: string): void;
}

/** A short, one-line start of the code a finding points at, for people reading the baseline. */
function codeSnippet(fingerprint: string): string {
  // Tokens are joined by spaces; take them off around punctuation so the snippet reads like code.
  const one = fingerprint.replace(/\s+/g, ' ').trim().replace(/ ?([.([{]) /g, '$1').replace(/ ([)\]},])/g, '$1');
  return one.length > 80 ? `${one.slice(0, 79)}…` : one;
}

function identity(file: string, f: CliFinding): { file: string; rule: string; fingerprint: string; code: string } {
  const code = f.fingerprint ?? '';
  return { file, rule: f.rule, fingerprint: fingerprintHash(code), code: codeSnippet(code) };
}

/** The files this run checked, by absolute path. */
function checkedFiles(tasks: readonly LintTask[], results: readonly ResultStatus[]): LintTask[] {
  return tasks.filter((_, i) => results[i]?.status === 'checked');
}

export interface BaselineFilterOutcome {
  /** Findings hidden because a baseline records them. */
  hidden: number;
  /** False when --baseline named a file that cannot be used (exit status 2). */
  ok: boolean;
}

/**
 * Removes from `files` (in place) the findings their baseline records. `explicit` (--baseline)
 * applies to every file; otherwise each file's pyproject.toml may name one.
 */
export function applyBaselines(args: {
  files: FileReport[];
  tasks: readonly LintTask[];
  results: readonly ResultStatus[];
  configs: readonly LintConfig[];
  explicit: string | null;
  cwd: string;
  io: BaselineIo;
}): BaselineFilterOutcome {
  const { files, tasks, configs, io } = args;
  const explicit = args.explicit === null ? null : resolve(args.cwd, args.explicit);
  const configOf = new Map(tasks.map((t) => [t.file, t.config]));
  const matchers = new Map<string, BaselineMatcher | null>();
  let ok = true;
  const matcherFor = (file: string): BaselineMatcher | null => {
    const path = explicit ?? configs[configOf.get(file) ?? -1]?.baseline ?? null;
    if (path === null) return null;
    if (!matchers.has(path)) {
      try {
        matchers.set(path, new BaselineMatcher(readBaseline(path)));
      } catch (e) {
        if (!(e instanceof BaselineError)) throw e;
        matchers.set(path, null);
        // A baseline named on the command line must be usable; one in pyproject.toml may not be written yet.
        if (explicit !== null) {
          io.error(`--baseline: ${e.message}`);
          ok = false;
        } else io.warn(`baseline ${e.message}; every finding is reported`);
      }
    }
    return matchers.get(path) ?? null;
  };
  let hidden = 0;
  for (const report of files) {
    const matcher = matcherFor(report.file);
    if (!matcher) continue;
    const kept = report.findings.filter((f) => !matcher.take(identity(report.file, f)));
    hidden += report.findings.length - kept.length;
    report.findings = kept;
  }
  for (const [path, matcher] of matchers) {
    if (!matcher) continue;
    const checked = new Set(checkedFiles(tasks, args.results).filter((t) => (explicit ?? configs[t.config]?.baseline) === path).map((t) => baselineKeyPath(path, t.file)));
    const stale = matcher.stale(checked).reduce((n, e) => n + e.count, 0);
    if (stale > 0) io.warn(`${stale} ${stale === 1 ? 'finding' : 'findings'} recorded in ${path} no longer ${stale === 1 ? 'occurs' : 'occur'} (fixed or changed); --write-baseline drops ${stale === 1 ? 'it' : 'them'}`);
  }
  return { hidden, ok };
}

function describeEntry(e: BaselineEntry): string {
  return `${e.path} [${e.rule}] ${e.code}${e.count > 1 ? ` (x${e.count})` : ''}`;
}

function difference(from: readonly BaselineEntry[], minus: readonly BaselineEntry[]): BaselineEntry[] {
  const counts = new Map(minus.map((e) => [`${e.path}\u0000${e.rule}\u0000${e.fingerprint}`, e.count]));
  return from.map((e) => ({ ...e, count: e.count - (counts.get(`${e.path}\u0000${e.rule}\u0000${e.fingerprint}`) ?? 0) })).filter((e) => e.count > 0);
}

/**
 * Writes every current finding of the checked files to `target`. Entries of files this run did not
 * check are kept while the file exists; the rest are replaced, and the ones that went away listed.
 * Returns the exit status: 0 written, 2 not.
 */
export function writeBaseline(args: { target: string; files: readonly FileReport[]; tasks: readonly LintTask[]; results: readonly ResultStatus[]; cwd: string; io: BaselineIo }): number {
  const { io } = args;
  const target = resolve(args.cwd, args.target);
  let previous: Baseline | null = null;
  if (existsSync(target)) {
    try {
      previous = readBaseline(target);
    } catch (e) {
      if (!(e instanceof BaselineError)) throw e;
      // Never overwrite a file that is not a baseline (a typo could name pyproject.toml).
      io.error(`--write-baseline: ${e.message}; not overwritten`);
      return 2;
    }
  }
  const current = entriesFor(
    target,
    args.files.flatMap((r) => r.findings.map((f) => identity(r.file, f))),
  );
  const checked = new Set(checkedFiles(args.tasks, args.results).map((t) => baselineKeyPath(target, t.file)));
  const old = previous?.entries ?? [];
  const kept = old.filter((e) => !checked.has(e.path) && existsSync(resolve(dirname(target), e.path)));
  const replaced = old.filter((e) => !kept.includes(e));
  const removed = difference(replaced, current);
  const added = difference(current, replaced);
  try {
    writeFileSync(target, serializeBaseline([...kept, ...current]));
  } catch (e) {
    io.error(`--write-baseline: cannot write ${args.target} (${e instanceof Error ? e.message : String(e)})`);
    return 2;
  }
  const total = [...kept, ...current].reduce((n, e) => n + e.count, 0);
  const count = (entries: BaselineEntry[]) => entries.reduce((n, e) => n + e.count, 0);
  io.info(`wrote ${total} ${total === 1 ? 'finding' : 'findings'} to ${args.target} (${count(added)} new, ${count(removed)} removed${kept.length > 0 ? `, ${count(kept)} kept from files not checked in this run` : ''})`);
  for (const e of removed) io.info(`removed from the baseline: ${describeEntry(e)}`);
  return 0;
}

/**
 * The `check` cache: what reading each file produced, keyed by the file's bytes, the tool's build
 * and the settings that shape the result, so a run over unchanged files reads them, hashes them
 * and parses nothing. When every file of the run is unchanged, the project step (graph, model
 * states, project rules) is reused as well.
 *
 * One pack per cache folder (default `.migration-guard-cache` at the project root, with its own
 * `.gitignore`): runs over different paths add to it. A pack is written whole to a temporary file
 * and renamed over the old one, so two runs sharing the folder never see half a pack; every entry
 * is checked against its key when read, so whichever run wrote last, what is reused is right (a
 * run that loses the race only costs the next run its speed). A pack that cannot be read is
 * ignored; a folder that cannot be written is run without.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { bundleDigest, sha1 } from '../code-cache';
import { readFileBytes } from '../workspace/read-source';
import type { FileResult, LintConfig, LintTask, ResultStatus } from './types';
import type { ProjectOutcome } from './project-run';
import { VERSION } from './version';

export const DEFAULT_CACHE_DIR = '.migration-guard-cache';
const FORMAT = 3;

/** A project step kept for the next run: all of its outcome (project-run.ts). */
export type CachedProject = ProjectOutcome;

interface Entry {
  file: string;
  /** sha1 of the file's bytes (and of the other files the result depends on, see `deps`). */
  hash: string;
  /** Other files read to produce the result (an app config class imported from elsewhere). */
  deps?: string[];
  result: FileResult;
}

/** Every file's result: read only when some file changed. */
interface FilesPack {
  format: number;
  tool: string;
  /** By file and result key (the mode and settings a result was produced under). */
  entries: Map<string, Entry>;
}

/** A run's project step, and what the report needs of each file's result. */
interface ProjectMemo {
  key: string;
  outcome: CachedProject;
  statuses: ResultStatus[];
  /** Other files the step read (the modules of the base classes migrations give models), with their hashes. */
  deps?: Array<[string, string | null]>;
}

/** The project steps of the last few runs: small, read first, enough when nothing changed. */
interface ProjectsPack {
  format: number;
  tool: string;
  /** Newest first, one per set of paths checked (e.g. a hook's and CI's). */
  projects: ProjectMemo[];
  /** The other files a result depends on, by file and result key. */
  deps: Map<string, string[]>;
}

const PROJECTS_KEPT = 4;

/**
 * What stat said of a file when its bytes had a hash. The same size, times, inode and device on
 * a later run mean the same bytes, so the file is not read again (ruff and git decide the same
 * way). A change always moves ctime, which no program can set back; a fingerprint is only kept
 * when ctime was already RACY_MS old when the run began, so a second write within the clock's
 * resolution of the first cannot go unseen.
 */
interface Fingerprint {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  hash: string;
}

/** Fingerprints as parallel arrays (few objects to deserialize): five numbers per file, in Fingerprint's order. */
interface StatsPack {
  format: number;
  /** The files, NUL-separated (one string deserializes far faster than thousands). */
  paths: string;
  numbers: Float64Array;
  /** Their hashes (base64: no line breaks), newline-separated. */
  hashes: string;
}

const FIELDS = 5;

function unpack(paths: string[], n: Float64Array, hashes: string[]): Map<string, Fingerprint> {
  const files = new Map<string, Fingerprint>();
  paths.forEach((path, i) => {
    const at = i * FIELDS;
    files.set(path, { size: n[at] as number, mtimeMs: n[at + 1] as number, ctimeMs: n[at + 2] as number, ino: n[at + 3] as number, dev: n[at + 4] as number, hash: hashes[i] as string });
  });
  return files;
}

function pack(files: Map<string, Fingerprint>): StatsPack {
  const numbers = new Float64Array(files.size * FIELDS);
  let at = 0;
  for (const f of files.values()) {
    numbers.set([f.size, f.mtimeMs, f.ctimeMs, f.ino, f.dev], at);
    at += FIELDS;
  }
  return { format: FORMAT, paths: [...files.keys()].join('\0'), numbers, hashes: [...files.values()].map((f) => f.hash).join('\n') };
}

export const RACY_MS = 2000;

function sameFile(st: Stats, f: Fingerprint): boolean {
  return st.size === f.size && st.mtimeMs === f.mtimeMs && st.ctimeMs === f.ctimeMs && st.ino === f.ino && st.dev === f.dev;
}

/** stat(2) of a path, or null when it does not exist or cannot be stat'ed. */
export function statOrNull(file: string): Stats | null {
  try {
    return statSync(file, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

export function contentHash(data: Uint8Array): string {
  return sha1(data, 'base64');
}

/** The hash of a file whose result also depends on other files: its own bytes' hash and theirs, in order. */
export function withDependencies(own: string, deps: ReadonlyArray<readonly [string, string | null]>): string | null {
  const h = createHash('sha1').update(own);
  for (const [file, hash] of deps) {
    if (hash === null) return null;
    h.update('\0').update(file).update('\0').update(hash);
  }
  return h.digest('base64');
}

/** The hash of a file's bytes, or null when it cannot be read (or is not a regular file within `maxBytes`). */
export function hashFile(file: string, maxBytes: number): string | null {
  // Read as the lint reads it (regular files only, never blocking on a FIFO, to its end).
  const read = readFileBytes(file, maxBytes);
  return read.ok ? contentHash(read.data) : null;
}

let builtTool: string | null = null;

/** The build of the running tool: its version and the bytes of its own code, so a rebuild never reuses old results. */
export function toolId(): string {
  if (builtTool !== null) return builtTool;
  // The bundle's launcher (code-cache.ts) read and hashed it already: the same SHA-1 of its bytes.
  let code = bundleDigest(__filename);
  if (code === null) {
    try {
      code = contentHash(readFileSync(__filename));
    } catch {
      code = 'unknown';
    }
  }
  builtTool = `${VERSION}:${code}`;
  return builtTool;
}

const resultKeys = new WeakMap<LintConfig, Map<LintTask['mode'], string>>();

/**
 * What a result depends on besides the file's bytes. It is also part of the project step's key,
 * so whatever the project rules read from the configuration (the target database) belongs here.
 */
export function resultKey(task: LintTask, config: LintConfig): string {
  let byMode = resultKeys.get(config);
  if (!byMode) resultKeys.set(config, (byMode = new Map()));
  let key = byMode.get(task.mode);
  if (key === undefined) byMode.set(task.mode, (key = JSON.stringify([task.mode, config.rules, config.batchSize, config.target])));
  return key;
}

/** Results that are the same on the next run with the same bytes (not failures, not size-dependent skips, not fixed text). */
function cacheable(result: FileResult): boolean {
  if (result.status === 'failed') return false;
  if (result.status === 'skipped') return result.warning === undefined;
  if (result.status === 'checked') return result.fixed === undefined && result.notFixed === undefined;
  return true;
}

export class RunCache {
  private readonly tool = toolId();
  private files: FilesPack | null = null;
  private projects: ProjectsPack | null = null;
  private readonly nextEntries = new Map<string, Entry>();
  private nextMemo: ProjectMemo | null = null;
  /** Entries this run looked up: replaced or dropped, never carried over as they were. */
  private readonly seen = new Set<string>();
  private stats: Map<string, Fingerprint> | null = null;
  /** Fingerprints that still hold, and own-bytes hashes this run computed (fingerprinted when saved). */
  private readonly stillSame = new Map<string, Fingerprint>();
  private readonly hashed = new Map<string, string>();
  private readonly started = Date.now();

  private constructor(
    readonly dir: string,
    private readonly racyMs: number,
  ) {}

  /**
   * The cache in `dir`, or null when the folder cannot be made. Creates it with a `.gitignore` that ignores all of it.
   * @param racyMs how old a file's ctime must be when the run begins for its fingerprint to be kept (tests lower it)
   */
  static open(dir: string, racyMs = RACY_MS): RunCache | null {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.gitignore'), '# Created by migration-guard: a cache, never committed.\n*\n', { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return null;
    }
    return new RunCache(dir, racyMs);
  }

  private read<T extends { format: number; tool: string }>(name: string, valid: (x: T) => boolean): T | null {
    try {
      const pack = deserialize(readFileSync(join(this.dir, name))) as T;
      return pack.format === FORMAT && pack.tool === this.tool && valid(pack) ? pack : null;
    } catch {
      return null;
    }
  }

  private filesPack(): FilesPack {
    this.files ??= this.read<FilesPack>('files.bin', (p) => p.entries instanceof Map) ?? { format: FORMAT, tool: this.tool, entries: new Map() };
    return this.files;
  }

  private projectsPack(): ProjectsPack {
    this.projects ??= this.read<ProjectsPack>('projects.bin', (p) => Array.isArray(p.projects) && p.deps instanceof Map) ?? { format: FORMAT, tool: this.tool, projects: [], deps: new Map() };
    return this.projects;
  }

  private fingerprints(): Map<string, Fingerprint> {
    if (!this.stats) {
      try {
        const read = deserialize(readFileSync(join(this.dir, 'stats.bin'))) as StatsPack;
        const valid = read.format === FORMAT && typeof read.paths === 'string' && typeof read.hashes === 'string' && read.numbers instanceof Float64Array;
        const paths = valid && read.paths !== '' ? read.paths.split('\0') : [];
        const hashes = valid && read.hashes !== '' ? read.hashes.split('\n') : [];
        if (valid && hashes.length === paths.length && read.numbers.length === paths.length * FIELDS) this.stats = unpack(paths, read.numbers, hashes);
      } catch {
        // No pack yet, or one that cannot be read: every file is read and hashed.
      }
      this.stats ??= new Map();
    }
    return this.stats;
  }

  /** The hash of a file's bytes: from its fingerprint when stat says it is unchanged, else read (null when it cannot be). */
  private hashOf(file: string, maxBytes: number): string | null {
    const known = this.fingerprints().get(file);
    if (known) {
      const st = statOrNull(file);
      if (st && st.isFile() && st.size <= maxBytes && sameFile(st, known)) {
        this.stillSame.set(file, known);
        return known.hash;
      }
    }
    const hash = hashFile(file, maxBytes);
    if (hash !== null) this.hashed.set(file, hash);
    return hash;
  }

  /** True when an earlier run left a project step to compare with (else hashing first is wasted reading). */
  hasProjects(): boolean {
    return this.projectsPack().projects.length > 0;
  }

  /** Every file's hash as the cache keys it (its own bytes, and those of the files its result depended on). */
  hashAll(tasks: readonly LintTask[], configs: readonly LintConfig[]): Array<string | null> {
    const { deps } = this.projectsPack();
    // The few files whose results read others: their long keys are built for them alone.
    const withDeps = new Set<string>();
    for (const id of deps.keys()) withDeps.add(id.slice(0, id.indexOf('\n')));
    return tasks.map((t) => {
      const config = configs[t.config] as LintConfig;
      const max = config.maxFileSize;
      const own = this.hashOf(t.file, max);
      const extra = withDeps.has(t.file) ? deps.get(`${t.file}\n${resultKey(t, config)}`) : undefined;
      return own === null || !extra ? own : withDependencies(own, extra.map((d) => [d, this.hashOf(d, max)] as const));
    });
  }

  /**
   * The stored result for `task` when the file's bytes and the settings are what they were; its
   * hash either way (null when the file cannot be read: the run reads it and says why).
   * @param known the hash `hashAll` computed, when it ran
   */
  lookup(task: LintTask, key: string, maxBytes: number, known?: string | null): { result: FileResult | null; hash: string | null } {
    const id = `${task.file}\n${key}`;
    this.seen.add(id);
    const entry = this.filesPack().entries.get(id);
    if (!entry) return { result: null, hash: null };
    let hash = known;
    if (hash === undefined || (entry.deps && !this.projectsPack().deps.has(id))) {
      const own = this.hashOf(task.file, maxBytes);
      hash = own === null || !entry.deps ? own : withDependencies(own, entry.deps.map((d) => [d, this.hashOf(d, maxBytes)] as const));
    }
    if (hash === null || hash !== entry.hash) return { result: null, hash: entry.deps ? null : hash };
    this.nextEntries.set(id, entry);
    return { result: entry.result, hash };
  }

  /** Keeps a fresh result for the next run. */
  store(task: LintTask, key: string, hash: string | undefined, deps: string[] | undefined, result: FileResult): void {
    if (hash === undefined) return;
    // The hash of the file's own bytes (a result that read other files has theirs mixed in).
    if (!deps) this.hashed.set(task.file, hash);
    if (!cacheable(result)) return;
    this.nextEntries.set(`${task.file}\n${key}`, { file: task.file, hash, ...(deps ? { deps } : {}), result });
  }

  /**
   * The project step of an earlier run with the same key, and the statuses of its files; null too
   * when another file it read has changed since.
   */
  project(key: string): ProjectMemo | null {
    const memo = this.projectsPack().projects.find((p) => p.key === key) ?? null;
    return memo && (memo.deps ?? []).every(([file, hash]) => this.hashOf(file, Number.MAX_SAFE_INTEGER) === hash) ? memo : null;
  }

  /** @param deps other files the step read: it is only reused while they are as they were. */
  storeProject(key: string, outcome: CachedProject, statuses: ResultStatus[], deps: readonly string[] = []): void {
    this.nextMemo = { key, outcome, statuses, ...(deps.length > 0 ? { deps: deps.map((f): [string, string | null] => [f, this.hashOf(f, Number.MAX_SAFE_INTEGER)]) } : {}) };
  }

  /**
   * Writes what changed for the next run: this run's entries, plus the other runs' entries whose
   * files still exist; this run's project step first. A failure to write only costs the next run
   * its speed.
   */
  save(): void {
    this.saveStats();
    const old = this.files;
    if (this.nextEntries.size > 0 || old) {
      const entries = new Map(this.nextEntries);
      const exists = new Map<string, boolean>();
      const stillThere = (file: string): boolean => exists.get(file) ?? exists.set(file, existsSync(file)).get(file) === true;
      for (const [id, entry] of old?.entries ?? []) if (!this.seen.has(id) && !entries.has(id) && stillThere(entry.file)) entries.set(id, entry);
      this.write('files.bin', { format: FORMAT, tool: this.tool, entries } satisfies FilesPack);
    }
    if (this.nextMemo) {
      const before = this.projectsPack();
      const deps = new Map(before.deps);
      for (const [id, entry] of this.nextEntries) if (entry.deps) deps.set(id, entry.deps);
      const projects = [this.nextMemo, ...before.projects.filter((p) => p.key !== this.nextMemo?.key)].slice(0, PROJECTS_KEPT);
      this.write('projects.bin', { format: FORMAT, tool: this.tool, projects, deps } satisfies ProjectsPack);
    }
  }

  /**
   * Writes the files' fingerprints when this run learnt any: those that held, those of the files it
   * hashed whose ctime was old enough when it began, and those of files it did not look at that still exist.
   */
  saveStats(): void {
    const files = new Map(this.stillSame);
    for (const [file, hash] of this.hashed) {
      if (files.has(file)) continue;
      const st = statOrNull(file);
      if (st && st.isFile() && st.ctimeMs < this.started - this.racyMs && st.mtimeMs < this.started - this.racyMs) {
        files.set(file, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev, hash });
      }
    }
    const before = this.fingerprints();
    if (files.size === this.stillSame.size && this.hashed.size === 0) return; // nothing learnt
    // Other runs' files are kept while they exist (a file deleted or renamed away is dropped here).
    for (const [file, f] of before) if (!files.has(file) && !this.hashed.has(file) && !this.stillSame.has(file) && existsSync(file)) files.set(file, f);
    this.write('stats.bin', pack(files));
  }

  private write(name: string, pack: FilesPack | ProjectsPack | StatsPack): void {
    writePack(join(this.dir, name), pack);
  }
}

/** Writes a pack whole to a temporary file and renames it over the old one; a failure only costs the next run its speed. */
export function writePack(file: string, pack: unknown): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, serialize(pack));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

const PROJECT_KEY_CHUNK = 1000;

/** The key of a run's project step: every file's result key and bytes, in the run's order, and the project settings. */
export function projectKey(parts: ReadonlyArray<string | null>, settings: unknown): string | null {
  const h = createHash('sha1');
  h.update(JSON.stringify(settings));
  // The same bytes as one update per part, fed a thousand parts at a time: each update crosses into
  // C++, and 36,000 of them cost three times what 36 do; a chunk never grows to a multi-megabyte string.
  for (let i = 0; i < parts.length; i += PROJECT_KEY_CHUNK) {
    let chunk = '';
    for (let j = i; j < parts.length && j < i + PROJECT_KEY_CHUNK; j++) {
      const p = parts[j];
      if (p === null || p === undefined) return null;
      chunk += `\0${p}`;
    }
    h.update(chunk);
  }
  return h.digest('base64');
}

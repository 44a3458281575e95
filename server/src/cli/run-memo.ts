/**
 * A whole `check` run remembered (`run-<key>.bin` beside the cache): what it printed, its exit status,
 * and everything it asked of the file system and of git. A later run with the same command line,
 * current directory, settings in the environment and build finds it, asks the same questions again —
 * a stat of every path the run looked at, the same git commands — and when every answer is the one
 * the remembered run had, prints what it printed without walking, reading or linting anything.
 *
 * What a run looked at is recorded as it happens: while the run goes, the `node:fs` functions the CLI
 * calls are wrapped, and the first time a path is met its stat is taken (before it is read, listed or
 * resolved), so a change made to it afterwards, even during the run, shows as another stat. A path that
 * was absent is remembered as absent. Listing a folder is answered by its stat (adding, removing or
 * renaming an entry moves its mtime and ctime). git's answers come from its commands, run again.
 *
 * A run is not remembered when it cannot be replayed this way: it started worker threads (they read on
 * their own), wrote anywhere outside the cache folder, read git's history in full (a large command the
 * history cache saves the next run), exited with status 2, or looked at a path changed less than
 * RACY_MS before it began (a change made in the same tick of the file system's clock as its stat would
 * go unseen). The cache folder itself is not recorded: it only holds what the run computed.
 */
// The module object itself (a namespace import is a copy): its functions are what the other modules call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require('node:fs');
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, type Stats } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import { git, observeGit, type GitResult } from '../workspace/git-process';
import { RACY_MS, toolId, writePack } from './run-cache';

const FORMAT = 1;
/** mtimeMs, ctimeMs, size, ino, dev of each path; NaN in all five: absent. */
const FIELDS = 5;
/** Runs remembered per cache folder (one file each; the oldest go). */
const MAX_RUNS = 8;
const PREFIX = 'run-';
/** The files a cache folder keeps (run-cache.ts, listing-cache.ts, release-history.ts, these), and the temporary files they are written through. */
const CACHE_ENTRY = /^(?:\.gitignore|(?:files|projects|stats|listings|run-[0-9a-f]+)\.bin|releases\.json)(?:\.[\w.]+\.tmp)?$/;
const SEP = '\0';

export interface GitCall {
  cwd: string;
  args: string[];
  timeoutMs: number;
  result: GitResult;
}

/** What the run printed, in order: 0 stdout, 1 stderr. */
export interface Printed {
  stream: 0 | 1;
  text: string;
}

interface RunPack {
  format: number;
  tool: string;
  key: string;
  /** The paths met, NUL-separated; an 'l' before a path: asked by lstat (the link itself). */
  paths: string;
  numbers: Float64Array;
  git: GitCall[];
  /** Paths resolved with realpath, and what they resolved to (a link in the middle of the path retargeted changes the answer, not the path's stat). */
  resolved: Array<[string, string | null]>;
  /** What was printed, as UTF-8 (a string with one character beyond Latin-1 is kept as UTF-16: twice the bytes to read). */
  printed: { stream: 0 | 1; bytes: Uint8Array }[];
  code: number;
}

/** What a run's output depends on besides the files and git: the command line, the folder it ran in, the user, the build and MIGRATION_GUARD_* settings. */
export function runKey(options: unknown, cwd: string): string {
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith('MIGRATION_GUARD_'))
    .sort()
    .map((k) => [k, process.env[k]]);
  // Another user may not read what this one does (a file it cannot open is an error of its run).
  const user = [process.getuid?.() ?? null, process.getgid?.() ?? null];
  return JSON.stringify({ tool: toolId(), node: process.version, platform: process.platform, user, cwd, options, env });
}

function fileOf(dir: string, key: string): string {
  return join(dir, `${PREFIX}${createHash('sha1').update(key).digest('hex').slice(0, 20)}.bin`);
}

function numbersOf(st: Stats | undefined): [number, number, number, number, number] {
  return st ? [st.mtimeMs, st.ctimeMs, st.size, st.ino, st.dev] : [NaN, NaN, NaN, NaN, NaN];
}

function realpathOrNull(path: string): string | null {
  try {
    return fs.realpathSync(path);
  } catch {
    return null;
  }
}

function sameGit(a: GitResult, b: GitResult): boolean {
  return a.code === b.code && a.missing === b.missing && a.stdout === b.stdout && a.stderr === b.stderr;
}

/**
 * The remembered run for `key` in `dir`, when every path it met and every git command it ran answers
 * as it did then; null otherwise (no such run, or something changed).
 */
export async function replay(dir: string, key: string): Promise<{ printed: Printed[]; code: number } | null> {
  let pack: RunPack;
  try {
    pack = deserialize(readFileSync(fileOf(dir, key))) as RunPack;
  } catch {
    return null;
  }
  // A pack another build or a damaged disk left: checked as a whole, so a replay never reads half of one.
  if (!wellFormed(pack) || pack.format !== FORMAT || pack.tool !== toolId() || pack.key !== key) return null;
  // git runs on its own while the paths are asked about.
  const answers = Promise.all(pack.git.map((c) => git(c.cwd, c.args, c.timeoutMs)));
  const paths = pack.paths === '' ? [] : pack.paths.split(SEP);
  const n = pack.numbers;
  if (n.length !== paths.length * FIELDS) return null;
  let same = true;
  for (let i = 0; i < paths.length && same; i++) {
    const p = paths[i] as string;
    let st: Stats | undefined;
    try {
      st = p.charCodeAt(0) === 108 /* l */ ? fs.lstatSync(p.slice(1), { throwIfNoEntry: false }) : statSync(p.slice(1), { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    const o = i * FIELDS;
    if (!st) same = Number.isNaN(n[o]);
    else same = n[o] === st.mtimeMs && n[o + 1] === st.ctimeMs && n[o + 2] === st.size && n[o + 3] === st.ino && n[o + 4] === st.dev;
  }
  for (let i = 0; i < pack.resolved.length && same; i++) {
    const [path, was] = pack.resolved[i] as [string, string | null];
    same = realpathOrNull(path) === was;
  }
  const now = await answers;
  if (!same || !pack.git.every((c, i) => sameGit(c.result, now[i] as GitResult))) return null;
  return { printed: pack.printed.map((p) => ({ stream: p.stream, text: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength).toString('utf8') })), code: pack.code };
}

function wellFormed(pack: unknown): pack is RunPack {
  if (typeof pack !== 'object' || pack === null) return false;
  const p = pack as Partial<RunPack>;
  return (
    typeof p.paths === 'string' &&
    p.numbers instanceof Float64Array &&
    typeof p.code === 'number' &&
    Array.isArray(p.git) &&
    p.git.every((c) => typeof c === 'object' && c !== null && typeof c.cwd === 'string' && Array.isArray(c.args) && c.args.every((a) => typeof a === 'string') && typeof c.timeoutMs === 'number' && typeof c.result === 'object' && c.result !== null) &&
    Array.isArray(p.resolved) &&
    p.resolved.every((r) => Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && (typeof r[1] === 'string' || r[1] === null)) &&
    Array.isArray(p.printed) &&
    p.printed.every((x) => typeof x === 'object' && x !== null && (x.stream === 0 || x.stream === 1) && x.bytes instanceof Uint8Array)
  );
}

type Fs = typeof fs;
type Patched = 'statSync' | 'lstatSync' | 'readFileSync' | 'readdirSync' | 'existsSync' | 'realpathSync' | 'openSync' | 'accessSync';
const READS: readonly Patched[] = ['statSync', 'lstatSync', 'readFileSync', 'readdirSync', 'existsSync', 'realpathSync', 'openSync', 'accessSync'];
const PROMISED = ['readFile', 'open', 'stat', 'lstat', 'readdir', 'access', 'realpath', 'writeFile', 'appendFile', 'rename', 'rm', 'unlink', 'mkdir', 'copyFile'] as const;
const PROMISED_WRITES: ReadonlySet<string> = new Set(['writeFile', 'appendFile', 'rename', 'rm', 'unlink', 'mkdir', 'copyFile']);
const WRITES = ['writeFileSync', 'appendFileSync', 'renameSync', 'rmSync', 'unlinkSync', 'mkdirSync', 'copyFileSync', 'symlinkSync', 'rmdirSync'] as const;

/** A path argument as a string, or null (a descriptor: the path it was opened from was met then). */
function pathArg(p: unknown): string | null {
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString();
  if (p instanceof URL) return fileURLToPath(p);
  return null;
}

/** Whether openSync's flags write. */
function writes(flags: unknown): boolean {
  if (flags === undefined || flags === 'r' || flags === 'rs' || flags === 'sr') return false;
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND)) !== 0;
  return true;
}

/**
 * Records what a run asks of the file system and of git, from `start()` to `stop()`, in this thread.
 * Paths under `ignored` (the cache folder) are not recorded.
 */
export class RunRecorder {
  private readonly met = new Map<string, [number, number, number, number, number]>();
  /** Paths resolved with realpath (their first answer). */
  private readonly resolved = new Map<string, string | null>();
  /** Paths met, as the calls gave them. */
  private readonly given = new Set<string>();
  private readonly gitCalls: GitCall[] = [];
  readonly printed: Printed[] = [];
  private readonly started = Date.now();
  /** Why this run cannot be replayed, once known. */
  refused: string | null = null;
  private readonly saved = new Map<string, unknown>();
  private readonly savedPromised = new Map<string, unknown>();
  private readonly ignored: string;

  constructor(ignored: string) {
    this.ignored = resolve(ignored) + sep;
  }

  /** The cache folder itself and the files it keeps (packs, their temporary files, its .gitignore): what the run computed, not what it read. */
  private skip(abs: string): boolean {
    if (`${abs}${sep}` === this.ignored) return true;
    if (!abs.startsWith(this.ignored)) return false;
    const rest = abs.slice(this.ignored.length);
    if (CACHE_ENTRY.test(rest)) return true;
    // Anything else inside it: the cache folder holds what is checked (`--cache-dir .`, or a folder above
    // the project), whose own files come and go with every run — such a run is never replayed.
    this.refused ??= `the cache folder holds what it checks (${abs})`;
    return true;
  }

  /** The first meeting of a path: its stat (or lstat), taken before it is used. */
  private meet(p: unknown, link: boolean, known?: Stats | undefined | null): void {
    const s = pathArg(p);
    if (s === null) return;
    // Most paths are met again and again, and already absolute: the string as given answers first.
    const asGiven = `${link ? 'l' : 's'}${s}`;
    if (this.given.has(asGiven)) return;
    this.given.add(asGiven);
    const abs = resolve(s);
    if (this.skip(abs)) return;
    const k = `${link ? 'l' : 's'}${abs}`;
    if (this.met.has(k)) return;
    let st: Stats | undefined;
    if (known !== null) st = known;
    else {
      try {
        st = (link ? (this.saved.get('lstatSync') as Fs['lstatSync']) : (this.saved.get('statSync') as Fs['statSync']))(abs, { throwIfNoEntry: false });
      } catch {
        st = undefined;
      }
    }
    this.met.set(k, numbersOf(st));
  }

  private wrote(p: unknown): void {
    const s = pathArg(p);
    if (s !== null && this.skip(resolve(s))) return;
    this.refused ??= `it wrote ${s ?? 'a file'}`;
  }

  start(): void {
    const target = fs as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of READS) {
      const original = target[name] as (...a: unknown[]) => unknown;
      this.saved.set(name, original);
    }
    for (const name of READS) {
      const original = this.saved.get(name) as (...a: unknown[]) => unknown;
      const link = name === 'lstatSync';
      const stat = name === 'statSync' || name === 'lstatSync';
      const wrapper = (...a: unknown[]): unknown => {
        if (name === 'openSync' && writes(a[1])) {
          this.wrote(a[0]);
          return original.apply(fs, a);
        }
        if (!stat) {
          this.meet(a[0], link, null);
          if (name !== 'realpathSync') return original.apply(fs, a);
          const given = pathArg(a[0]);
          const path = given === null || this.skip(resolve(given)) || this.resolved.has(resolve(given)) ? null : resolve(given);
          let out: unknown;
          try {
            out = original.apply(fs, a);
          } catch (e) {
            if (path !== null) this.resolved.set(path, null);
            throw e;
          }
          if (path !== null && typeof out === 'string') this.resolved.set(path, out);
          return out;
        }
        let r: unknown;
        try {
          r = original.apply(fs, a);
        } catch (e) {
          this.meet(a[0], link, undefined);
          throw e;
        }
        this.meet(a[0], link, r as Stats | undefined);
        return r;
      };
      // `realpathSync.native` and the like stay reachable.
      target[name] = Object.assign(wrapper, original);
    }
    for (const name of WRITES) {
      const original = target[name] as (...a: unknown[]) => unknown;
      this.saved.set(name, original);
      target[name] = (...a: unknown[]): unknown => {
        this.wrote(a[0]);
        return original.apply(fs, a);
      };
    }
    // fs.promises: the grammar's WebAssembly is read with readFile, a source may be opened with open.
    const promises = fs.promises as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of PROMISED) {
      const original = promises[name] as (...a: unknown[]) => unknown;
      this.savedPromised.set(name, original);
      promises[name] = (...a: unknown[]): unknown => {
        if (PROMISED_WRITES.has(name) || (name === 'open' && writes(a[1]))) this.wrote(a[0]);
        else this.meet(a[0], name === 'lstat', null);
        return original.apply(fs.promises, a);
      };
    }
    observeGit({
      ran: (cwd, args, timeoutMs, result) => void this.gitCalls.push({ cwd, args: [...args], timeoutMs, result }),
      toFile: () => void (this.refused ??= 'it read the git history in full, or whole files of a commit'),
    });
  }

  stop(): void {
    const target = fs as unknown as Record<string, unknown>;
    for (const [name, original] of this.saved) target[name] = original;
    this.saved.clear();
    for (const [name, original] of this.savedPromised) (fs.promises as unknown as Record<string, unknown>)[name] = original;
    this.savedPromised.clear();
    observeGit(null);
  }

  /** Writes the run to `dir` when it can be replayed (see the module's doc); says why not otherwise. */
  save(dir: string, key: string, code: number): string | null {
    if (this.refused) return this.refused;
    if (code === 2) return 'it exited with status 2';
    const recent = this.started - RACY_MS;
    const paths: string[] = [];
    const numbers = new Float64Array(this.met.size * FIELDS);
    let i = 0;
    for (const [p, n] of this.met) {
      if (n[0] >= recent || n[1] >= recent) return `${p.slice(1)} changed less than ${RACY_MS} ms before the run`;
      paths.push(p);
      numbers.set(n, i * FIELDS);
      i++;
    }
    const pack: RunPack = { format: FORMAT, tool: toolId(), key, paths: paths.join(SEP), numbers, git: this.gitCalls, resolved: [...this.resolved], printed: this.printed.map((p) => ({ stream: p.stream, bytes: Buffer.from(p.text, 'utf8') })), code };
    writePack(fileOf(dir, key), pack);
    prune(dir);
    return null;
  }
}

/** Keeps the newest MAX_RUNS remembered runs of a cache folder. */
function prune(dir: string): void {
  try {
    const runs = readdirSync(dir)
      .filter((n) => n.startsWith(PREFIX) && n.endsWith('.bin'))
      .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }));
    if (runs.length <= MAX_RUNS) return;
    runs.sort((a, b) => b.t - a.t);
    for (const r of runs.slice(MAX_RUNS)) rmSync(join(dir, r.n), { force: true });
  } catch {
    // a folder another run is pruning: the next run prunes
  }
}

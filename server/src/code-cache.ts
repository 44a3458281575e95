/**
 * Runs a bundle (a CommonJS file) through V8's code cache. Compiling a 1 MB bundle, and lazily
 * its functions the first time they run, is most of what starting the language server or a CLI
 * worker thread costs beyond Node.js itself; the cache holds the bytecode of every function
 * compiled until `save()` is called, so later starts skip that work. It is written once, by a run
 * that had no usable cache, to a folder only this user can write (bytecode from it is run as it
 * is): $MIGRATION_GUARD_CODE_CACHE_DIR if set ('' turns the cache off), else the user's cache
 * folder. The key is the bundle's content hash, Node's version and the CPU architecture; V8
 * rejects a cache made by another V8 or with other flags, and a new one is then written. Any
 * failure only means running without the cache. The small entry bundles run it; the bundles they
 * run read codeCacheReady and bundleDigest from it.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { isAscii } from 'node:buffer';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { restoreV8Defaults } from './v8-tuning';

/** The folder for the cache, created private; null: no cache. */
function cacheFolder(): string | null {
  const given = process.env['MIGRATION_GUARD_CODE_CACHE_DIR'];
  let dir: string | null;
  if (given !== undefined) dir = given === '' ? null : given;
  else if (process.platform === 'win32') dir = process.env['LOCALAPPDATA'] ? join(process.env['LOCALAPPDATA'], 'django-migration-guard', 'Cache') : null;
  else {
    const home = homedir();
    const base = process.env['XDG_CACHE_HOME'] || (home ? join(home, process.platform === 'darwin' ? 'Library/Caches' : '.cache') : '');
    dir = base ? join(base, 'django-migration-guard') : null;
  }
  if (!dir) return null;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') {
      // Bytecode found here is run: only a folder that nobody else can write to will do.
      const st = statSync(dir);
      if (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) return null;
    }
    return dir;
  } catch {
    return null;
  }
}

function readCache(file: string | null): Buffer | undefined {
  try {
    return file ? readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** A cache of another build not written for this long is taken for one no installed build uses. */
export const STALE_MS = 30 * 24 * 3600 * 1000;

/**
 * Removes the caches of other builds of `bundle` (each build has its own key, so every update of
 * the tool would leave a 1 MB file behind) written more than STALE_MS ago, and temporary files a
 * killed run left. A build still in use only writes its cache again.
 */
function pruneStale(folder: string, bundle: string, keep: string): void {
  try {
    const now = Date.now();
    for (const name of readdirSync(folder)) {
      if (!name.startsWith(`${bundle}-`) || !(name.endsWith('.v8cache') || name.endsWith('.tmp'))) continue;
      const path = join(folder, name);
      if (path === keep) continue;
      const st = statSync(path, { throwIfNoEntry: false });
      if (st && now - st.mtimeMs > (name.endsWith('.tmp') ? 3600 * 1000 : STALE_MS)) unlinkSync(path);
    }
  } catch {
    // Left for the next save.
  }
}

type ModuleBody = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** One-shot hashing where Node has it (20.12+): no Hash object per call. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'base64' | 'hex') => string }).hash;

/** SHA-1 of `data` (one call where Node has it). The check cache's content hashes are this too (run-cache.ts). */
export function sha1(data: string | Uint8Array, encoding: 'base64' | 'hex'): string {
  return oneShot ? oneShot('sha1', data, encoding) : createHash('sha1').update(data).digest(encoding);
}

interface BundleDigest {
  file: string;
  /** SHA-1 of the bundle's bytes, base64. */
  digest: string;
}

/** Set by runWithCodeCache: the digest of the bundle it read, so the bundle need not read and hash itself again. */
const DIGEST = Symbol.for('django-migration-guard.bundle-digest');

/** SHA-1 (base64) of `file`'s bytes when runWithCodeCache read and ran that file in this thread; else null. */
export function bundleDigest(file: string): string | null {
  const known = (globalThis as { [DIGEST]?: BundleDigest })[DIGEST];
  return known && known.file === file ? known.digest : null;
}

/** Set by runWithCodeCache while the bundle runs: the bundle calls it when its cache is worth saving. */
const READY = Symbol.for('django-migration-guard.code-cache-ready');

/** Called by a bundle once its usual work has compiled what a start needs (no-op without a loader). */
export function codeCacheReady(): void {
  const ready = (globalThis as { [READY]?: () => void })[READY];
  ready?.();
}

/**
 * A bundle read for runWithCodeCache: its source, its digest and its code cache. A thread that
 * starts workers running the same bundle reads it once and hands it to each (workerData), so
 * none of them reads, decodes and hashes 1 MB again before its first result.
 */
export interface LoadedBundle {
  file: string;
  source: string;
  /** SHA-1 of the bundle's bytes, base64. */
  digest: string;
  /** Where its code cache is kept (null: no cache folder), and what that held (absent: nothing usable). */
  cacheFile: string | null;
  cachedData?: Uint8Array;
}

/** Reads `file` and its code cache (see runWithCodeCache). */
export function loadBundle(file: string): LoadedBundle {
  const bytes = readFileSync(file);
  // The bundles are all ASCII (scripts/ascii-comments.mjs): read as Latin-1 they make the same
  // one-byte string without UTF-8 decoding, a few milliseconds of a 1 MB bundle's start.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const digest = sha1(bytes, 'base64');
  const folder = cacheFolder();
  const key = folder ? sha1(`${process.version}\0${process.arch}\0${digest}`, 'hex').slice(0, 32) : '';
  const cacheFile = folder ? join(folder, `${basename(file, '.js')}-${key}.v8cache`) : null;
  const cachedData = readCache(cacheFile);
  return { file, source, digest, cacheFile, ...(cachedData ? { cachedData } : {}) };
}

/**
 * Runs `file` as a CommonJS module whose bytecode comes from the cache when there is a usable one
 * (`loaded`: what loadBundle read of it, here or in the thread that started this one).
 * Returns `save`, which writes the cache (once, and only when there was none or V8 rejected it);
 * the bundle's codeCacheReady() calls it too.
 */
export function runWithCodeCache(file: string, loaded: LoadedBundle = loadBundle(file)): { save: () => void } {
  const { source, digest, cacheFile, cachedData } = loaded;
  (globalThis as { [DIGEST]?: BundleDigest })[DIGEST] = { file, digest };
  const script = new Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  let wanted = !!cacheFile && (!cachedData || script.cachedDataRejected === true);
  const save = (): void => {
    if (!wanted || !cacheFile) return;
    wanted = false;
    // Made under V8's default flags, as the next start will run: a cache made under others is refused.
    restoreV8Defaults();
    try {
      const tmp = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } catch {
      // The next start compiles again.
    }
    pruneStale(dirname(cacheFile), basename(file, '.js'), cacheFile);
  };
  (globalThis as { [READY]?: () => void })[READY] = save;
  const mod = { exports: {} as unknown };
  (script.runInThisContext() as ModuleBody).call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  return { save };
}

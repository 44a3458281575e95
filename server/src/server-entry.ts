/**
 * dist/server.js: starts the language server (dist/server-core.js, from server-main.ts) through
 * V8's code cache. Compiling the 1.3 MB bundle, and lazily its functions on the first lint, is
 * most of what a start costs beyond Node.js itself; the cache holds the bytecode of every function
 * the first session compiled, so later starts skip that work. It is written once, at the exit of
 * a session that had no usable cache, to a folder only this user can write (bytecode from it is
 * run as it is): $MIGRATION_GUARD_CODE_CACHE_DIR if set ('' turns the cache off), else the user's
 * cache folder. The key is the bundle's content hash, Node's version and the CPU architecture; V8
 * rejects a cache made by another V8 or with other flags, and then a new one is written. Any
 * failure only means starting without the cache.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

const CORE = join(__dirname, 'server-core.js');

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

const source = readFileSync(CORE, 'utf8');
const folder = cacheFolder();
const key = folder ? createHash('sha256').update(process.version).update(process.arch).update(source).digest('hex').slice(0, 32) : '';
const cacheFile = folder ? join(folder, `server-${key}.v8cache`) : null;
const cachedData = readCache(cacheFile);
const script = new Script(Module.wrap(source), { filename: CORE, ...(cachedData ? { cachedData } : {}) });

if (cacheFile && (!cachedData || script.cachedDataRejected === true)) {
  process.once('exit', () => {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      renameSync(tmp, cacheFile);
    } catch {
      // Next start compiles again.
    }
  });
}

type ModuleBody = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
const core = { exports: {} as unknown };
(script.runInThisContext() as ModuleBody).call(core.exports, core.exports, createRequire(CORE), core, CORE, __dirname);

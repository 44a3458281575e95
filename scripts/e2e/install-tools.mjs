// Installs the tools the end-to-end run needs into the git-ignored .tools/ folder, on demand:
// code-server (VS Code's server and web workbench, from the npm registry) and playwright-core (to
// drive Debian's chromium). They are not project dependencies, so `npm ci` never pays for them.
// Idempotent: returns at once when the pinned versions are already there. The workarounds are
// the ones in shared/notes/real-vscode-e2e.md (unsafe-perm, libkrb5-dev, a ripgrep cache made
// from Debian's `rg`, npm_config_yes). Nothing is downloaded from outside the npm registry.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS = join(ROOT, '.tools');
export const PINS = { 'code-server': '4.100.3', 'playwright-core': '1.65.1' };
const RIPGREP = { package: '1.15.11', binary: 'v13.0.0-10' };

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(TOOLS, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** True when every pinned tool is installed at its version and code-server finished its postinstall. */
export function toolsReady() {
  return (
    Object.entries(PINS).every(([name, version]) => installedVersion(name) === version) &&
    existsSync(join(TOOLS, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'))
  );
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
}

/** @vscode/ripgrep's postinstall downloads from GitHub unless its cache holds the tarball: make it from Debian's rg. */
function seedRipgrepCache(tmp) {
  const rg = which('rg');
  if (!rg) throw new Error('Debian ripgrep is missing: apt-get install ripgrep (see .ci/run)');
  const target = arch() === 'arm64' ? 'aarch64-unknown-linux-musl' : 'x86_64-unknown-linux-musl';
  const cache = join(tmp, `vscode-ripgrep-cache-${RIPGREP.package}`);
  const tarball = join(cache, `ripgrep-${RIPGREP.binary}-${target}.tar.gz`);
  if (existsSync(tarball)) return;
  mkdirSync(cache, { recursive: true });
  run('tar', ['czf', tarball, '-C', dirname(rg), 'rg']);
}

function checkPrerequisites() {
  const missing = [];
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (!which('rg')) missing.push('ripgrep');
  if (!which('chromium')) missing.push('chromium');
  if (missing.length > 0) throw new Error(`missing Debian packages: apt-get install ${missing.join(' ')} (see .ci/run)`);
}

export function installTools({ quiet = false } = {}) {
  if (toolsReady()) {
    if (!quiet) console.log(`e2e tools ready in ${TOOLS} (${Object.entries(PINS).map(([n, v]) => `${n}@${v}`).join(', ')})`);
    return;
  }
  checkPrerequisites();
  const started = Date.now();
  const tmp = join(TOOLS, 'tmp');
  mkdirSync(tmp, { recursive: true });
  seedRipgrepCache(tmp);
  // A package.json of its own, so this install never touches the project's lockfile.
  writeFileSync(join(TOOLS, 'package.json'), `${JSON.stringify({ name: 'e2e-tools', private: true, dependencies: PINS }, null, 2)}\n`);
  rmSync(join(TOOLS, 'package-lock.json'), { force: true });
  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_unsafe_perm: 'true', // code-server's postinstall refuses to run as root otherwise
    npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // Keep code-server's postinstall out of the home directory.
    XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    XDG_DATA_HOME: join(tmp, 'xdg-data'),
    XDG_CACHE_HOME: join(tmp, 'xdg-cache'),
  };
  console.log(`installing ${Object.entries(PINS).map(([n, v]) => `${n}@${v}`).join(', ')} into ${TOOLS} (about a minute the first time)…`);
  run('npm', ['install', '--no-package-lock', '--loglevel=error'], { cwd: TOOLS, env });
  if (!toolsReady()) throw new Error('tools installed but code-server is incomplete (ripgrep binary missing)');
  console.log(`e2e tools installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    installTools();
  } catch (e) {
    console.error(`install-tools: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}

// Runs the end-to-end suite (test/e2e/suite, compiled to out/test/e2e/suite) in a real VS Code:
// code-server 4.100.3 (VS Code 1.100.3's server and web workbench, from .tools/) on a free
// loopback port, driven by Debian's headless chromium through playwright-core, on a copy of
// test/fixtures/e2e-workspace. The extension comes from the repository (development path) or,
// with --vsix, from a packaged .vsix installed into a fresh extensions dir. The suite's lines are
// streamed; screenshots are taken when the suite asks; the exit code is the suite's. code-server
// and the browser are always stopped. How and why: shared/notes/real-vscode-e2e.md.
//
//   node scripts/e2e/run.mjs [--vsix file.vsix] [--screenshots dir] [--timeout seconds] [--grep text] [--verbose] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installTools, TOOLS } from './install-tools.mjs';
import { checkBuilt, createRunDirs, EXTENSION_ID, ROOT, SUITE, writeStubExtension } from './setup.mjs';

const { values: args } = parseArgs({
  options: {
    vsix: { type: 'string' },
    screenshots: { type: 'string' },
    timeout: { type: 'string', default: '300' },
    verbose: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    grep: { type: 'string' },
  },
});
const CHROMIUM = '/usr/bin/chromium';
const LOG_PREFIX = 'e2e| '; // marks the suite's lines in the workbench log (see test/e2e/suite/harness.ts)
const CODE_SERVER = join(TOOLS, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const mode = args.vsix ? 'vsix' : 'development';
const shotDir = resolve(args.screenshots ?? join(ROOT, '.tmp', 'e2e-screenshots', mode));
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

let server; // the code-server child (leader of its own process group)
let browser;
let dirs;

/** Stops the browser and the whole code-server process group, and removes the throwaway folders. */
async function cleanup() {
  await browser?.close().catch(() => {});
  browser = undefined;
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {}
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
  server = undefined;
  if (dirs && !args.keep) dirs.cleanup();
  else if (dirs) console.log(`e2e: kept ${dirs.base}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}

function codeServerEnv(extra = {}) {
  return {
    ...process.env,
    // Otherwise even `code-server --version` writes into the home directory.
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: join(dirs.base, 'xdg-cache'),
    XDG_STATE_HOME: join(dirs.base, 'xdg-state'),
    TMPDIR: dirs.tmp, // the extension host's IPC sockets and the like go away with the run
    EXTENSIONS_GALLERY: '{}', // no marketplace: nothing to query, and no network here to query it with
    ...extra,
  };
}

const commonArgs = () => ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--config', dirs.config];

/** Installs the .vsix into the fresh extensions dir; returns where the extension landed. */
function installVsix(file) {
  const vsix = resolve(file);
  if (!existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\``);
  const r = spawnSync(process.execPath, [CODE_SERVER, ...commonArgs(), '--install-extension', vsix, '--force'], { env: codeServerEnv(), encoding: 'utf8' });
  if (r.status !== 0 || !/successfully installed/.test(r.stdout)) throw new Error(`installing ${vsix} failed:\n${r.stdout}${r.stderr}`);
  const folder = readdirSync(dirs.extensions).find((f) => f.toLowerCase().startsWith(`${EXTENSION_ID}-`));
  if (!folder) throw new Error(`${EXTENSION_ID} not found in ${dirs.extensions} after installing`);
  console.log(`e2e: installed ${relative(ROOT, vsix)} into a fresh extensions dir (${folder})`);
  return join(dirs.extensions, folder);
}

/** Starts code-server on 127.0.0.1 with a port the system picks; resolves with its URL. */
function startServer(env) {
  const output = [];
  server = spawn(process.execPath, [CODE_SERVER, ...commonArgs(), '--bind-addr', '127.0.0.1:0', '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override'], {
    env,
    detached: true, // its own process group: the extension host and our language server die with it
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 30 s:\n${output.join('')}`)), 30_000);
    const onData = (chunk) => {
      const text = chunk.toString();
      output.push(text);
      if (args.verbose) process.stdout.write(text.replace(/^(?=.)/gm, '  [code-server] '));
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolvePromise({ url: m[1], output });
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.once('exit', (code, signal) => reject(new Error(`code-server exited (${code ?? signal}) before it was ready:\n${output.join('')}`)));
  });
}

/** Every file under `dir` whose name matches `pattern`. */
function findFiles(dir, pattern) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? findFiles(p, pattern) : pattern.test(e.name) ? [p] : [];
  });
}

async function main() {
  if (!(Number(args.timeout) > 0)) throw new Error(`--timeout takes a number of seconds, not ${JSON.stringify(args.timeout)}`);
  checkBuilt({ needBundles: !args.vsix });
  installTools({ quiet: true });
  dirs = createRunDirs();
  const extensionPath = args.vsix ? installVsix(args.vsix) : ROOT;
  const developmentPath = args.vsix ? writeStubExtension(dirs.stub) : ROOT;

  const { url, output } = await startServer(
    codeServerEnv({
      MIGRATION_GUARD_E2E_LOG_PREFIX: LOG_PREFIX,
      MIGRATION_GUARD_E2E_ACK_DIR: dirs.ack,
      MIGRATION_GUARD_E2E_EXTENSION_PATH: extensionPath,
      ...(args.grep ? { MIGRATION_GUARD_E2E_GREP: args.grep } : {}),
    }),
  );
  console.log(`e2e: code-server ready at ${url} after ${elapsed()} (${args.vsix ? `the .vsix installed in ${extensionPath}` : 'the extension in this repository'})`);

  const { chromium } = createRequire(join(TOOLS, 'package.json'))('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_CACHE_HOME: join(dirs.base, 'xdg-cache') }, // keep chromium out of $HOME
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

  let finish;
  const finished = new Promise((r) => (finish = r));
  const workbenchErrors = [];
  let shots = Promise.resolve();
  mkdirSync(shotDir, { recursive: true });

  // `hover` names an element the mouse rests on first (as a user would), for pictures of a hover.
  const takeScreenshot = ({ name, waitFor = [], hover }) => {
    shots = shots.then(async () => {
      let answer = 'ok';
      try {
        if (hover) {
          await page.waitForSelector(hover, { state: 'visible', timeout: 10_000 });
          // Decorations sit under the text layer, so move the mouse to the box rather than "hovering" the element.
          const box = await page.locator(hover).first().boundingBox();
          if (!box) throw new Error(`${hover} has no box to rest the mouse on`);
          await page.mouse.move(0, 0);
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
        }
        for (const selector of waitFor) {
          await page.waitForSelector(selector, { state: 'visible', timeout: 10_000 }).catch((e) => {
            throw new Error(`${selector} was not visible: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`);
          });
        }
        // Let the workbench paint what it just laid out (two animation frames), then shoot.
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const file = join(shotDir, `${name}.png`);
        await page.screenshot({ path: file });
        console.log(`  screenshot ${relative(ROOT, file)}`);
      } catch (e) {
        answer = `error: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`;
      }
      writeFileSync(join(dirs.ack, `${name}.ack`), answer);
    });
  };

  await page.exposeFunction('codeAutomationLog', (type, entries) => {
    const text = (Array.isArray(entries) ? entries : [entries]).map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join(' ');
    for (const line of text.split('\n')) {
      if (line.startsWith(LOG_PREFIX)) console.log(line.slice(LOG_PREFIX.length));
      else if (line.startsWith('SCREENSHOT ')) takeScreenshot(JSON.parse(line.slice('SCREENSHOT '.length)));
      else if (args.verbose) console.log(`  [workbench ${type}] ${line}`);
      else if (type === 'error') workbenchErrors.push(line);
    }
  });
  await page.exposeFunction('codeAutomationExit', (code) => finish({ code }));
  page.on('crash', () => finish({ code: 1, reason: 'the page crashed' }));
  server.once('exit', (code, signal) => finish({ code: 1, reason: `code-server exited (${code ?? signal})` }));

  const host = new URL(url).host;
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(developmentPath)],
    ['extensionTestsPath', remote(SUITE)],
  ];
  await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);

  const timeout = Number(args.timeout) * 1000;
  const timer = setTimeout(() => finish({ code: 1, reason: `no result after ${args.timeout} s` }), timeout);
  const result = await finished;
  clearTimeout(timer);
  await shots;

  if (result.code !== 0) {
    if (result.reason) console.log(`e2e: ${result.reason}`);
    const failure = join(ROOT, '.tmp', 'e2e-screenshots', `${mode}-failure.png`); // never into docs/images
    mkdirSync(dirname(failure), { recursive: true });
    await page.screenshot({ path: failure }).then(
      () => console.log(`e2e: the workbench at the failure: ${relative(ROOT, failure)}`),
      () => {},
    );
    if (workbenchErrors.length > 0) console.log(`e2e: workbench errors:\n${workbenchErrors.map((l) => `  ${l}`).join('\n')}`);
    for (const log of findFiles(dirs.userData, /Django Migration Guard\.log$/)) {
      console.log(`e2e: ${relative(dirs.base, log)} (last 40 lines):`);
      console.log(readFileSync(log, 'utf8').split('\n').slice(-40).join('\n'));
    }
    if (args.verbose) console.log(output.join(''));
  }
  console.log(`e2e: ${result.code === 0 ? 'passed' : 'FAILED'} in ${elapsed()} (${mode})`);
  return result.code;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`e2e: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup();
}
process.exit(code);

// The throwaway folders one end-to-end run needs, shared by run.mjs (code-server) and
// electron.mjs (@vscode/test-electron): a copy of the fixture workspace (tests edit it), a user
// data dir whose settings keep edits in memory (files.autoSave off) and the workbench quiet, an
// extensions dir, and — when testing an installed .vsix — a stub development extension, because
// VS Code only runs an extensionTestsPath suite in an extension-development window.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'e2e-workspace');
export const SUITE = join(ROOT, 'out', 'test', 'e2e', 'suite', 'index.js');
export const EXTENSION_ID = 'django-migration-guard.django-migration-guard';

export const USER_SETTINGS = {
  'files.autoSave': 'off', // the web workbench defaults to afterDelay: test edits would be written
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'editor.minimap.enabled': false,
  'editor.fontSize': 14,
  'files.exclude': { '**/.vscode': true }, // the settings tests write .vscode/settings.json: keep it out of the pictures
};

/** Creates the folders of one run under the system temp dir; `cleanup()` removes them. */
export function createRunDirs() {
  const base = mkdtempSync(join(tmpdir(), 'migration-guard-e2e-'));
  const dirs = {
    base,
    userData: join(base, 'user-data'),
    extensions: join(base, 'extensions'),
    workspace: join(base, 'workspace'),
    ack: join(base, 'screenshot-acks'),
    xdgConfig: join(base, 'xdg-config'),
    xdgData: join(base, 'xdg-data'),
    tmp: join(base, 'tmp'),
    config: join(base, 'code-server.yaml'),
    stub: join(base, 'stub-extension'),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
  for (const d of [dirs.userData, dirs.extensions, dirs.ack, dirs.xdgConfig, dirs.xdgData, dirs.tmp]) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
  // code-server writes a default config (with a password) unless given one; run.mjs passes its flags.
  writeFileSync(dirs.config, 'auth: none\ncert: false\n');
  cpSync(FIXTURE, dirs.workspace, { recursive: true });
  return dirs;
}

/** An empty extension to stand in as the development extension while the .vsix is under test. */
export function writeStubExtension(dir) {
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'migration-guard-e2e-stub', publisher: 'e2e', version: '0.0.0', engines: { vscode: '^1.100.0' } };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

/** Fails early, with the command to run, when the compiled suite or the bundles are missing. */
export function checkBuilt({ needBundles }) {
  if (!existsSync(SUITE)) throw new Error(`${SUITE} is missing: run \`npm run compile-tests\``);
  if (needBundles && !existsSync(join(ROOT, 'dist', 'client.js'))) throw new Error('dist/client.js is missing: run `npm run build`');
}

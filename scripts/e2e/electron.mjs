// Runs the same end-to-end suite (out/test/e2e/suite) in desktop VS Code through
// @vscode/test-electron, for developer laptops and hosted CI runners that can download VS Code:
//
//   xvfb-run -a npm run e2e:electron            (Linux without a display; plain `npm run e2e:electron` elsewhere)
//   node scripts/e2e/electron.mjs --vsix django-migration-guard.vsix [--vscode 1.100.3]
//
// Not called by .ci/run: the project's own machines cannot download VS Code (they run the suite in
// code-server instead: scripts/e2e/run.mjs). Screenshots are taken only by run.mjs; here the suite
// skips them. --dry-run prints what would run without downloading anything.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkBuilt, createRunDirs, EXTENSION_ID, ROOT, SUITE, writeStubExtension } from './setup.mjs';

const { values: args } = parseArgs({
  options: {
    vsix: { type: 'string' },
    vscode: { type: 'string', default: process.env.MIGRATION_GUARD_VSCODE_VERSION ?? '1.100.3' }, // engines.vscode's floor
    'dry-run': { type: 'boolean', default: false },
  },
});

async function main() {
  checkBuilt({ needBundles: !args.vsix });
  const dirs = createRunDirs();
  try {
    const launchArgs = [
      dirs.workspace,
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--disable-telemetry',
    ];
    const developmentPath = args.vsix ? writeStubExtension(dirs.stub) : ROOT;
    if (args['dry-run']) {
      console.log(JSON.stringify({ vscode: args.vscode, vsix: args.vsix ?? null, extensionDevelopmentPath: developmentPath, extensionTestsPath: SUITE, launchArgs }, null, 2));
      return 0;
    }
    // Imported here so --dry-run and a missing dev dependency fail with a message, not a stack.
    const { downloadAndUnzipVSCode, resolveCliPathFromVSCodeExecutablePath, runTests } = await import('@vscode/test-electron');
    const vscodeExecutablePath = await downloadAndUnzipVSCode(args.vscode);
    let extensionPath = ROOT;
    if (args.vsix) {
      const vsix = resolve(args.vsix);
      if (!existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\``);
      const cli = resolveCliPathFromVSCodeExecutablePath(vscodeExecutablePath);
      const r = spawnSync(cli, ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix, '--force'], { encoding: 'utf8', shell: process.platform === 'win32' });
      if (r.status !== 0) throw new Error(`installing ${vsix} failed:\n${r.stdout}${r.stderr}`);
      const folder = readdirSync(dirs.extensions).find((f) => f.toLowerCase().startsWith(`${EXTENSION_ID}-`));
      if (!folder) throw new Error(`${EXTENSION_ID} not found in ${dirs.extensions} after installing`);
      extensionPath = join(dirs.extensions, folder);
    }
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: developmentPath,
      extensionTestsPath: SUITE,
      launchArgs,
      extensionTestsEnv: { MIGRATION_GUARD_E2E_EXTENSION_PATH: extensionPath },
    });
    return 0;
  } finally {
    dirs.cleanup();
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`e2e:electron: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}

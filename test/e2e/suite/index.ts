/**
 * Entry point of the end-to-end suite: VS Code loads this file as `extensionTestsPath` and awaits
 * `run()` (code-server through scripts/e2e/run.mjs, or Electron through scripts/e2e/electron.mjs).
 * The test files register their tests on import, in the order they run; `run()` rejects when any
 * failed, which the workbench reports as exit code 1.
 */
import { runAll } from './harness';
import './lint-tests';
import './fix-tests';
import './behaviour-tests';
import './split-tests';

export async function run(): Promise<void> {
  const { failed } = await runAll();
  if (failed > 0) throw new Error(`${failed} end-to-end test(s) failed`);
}

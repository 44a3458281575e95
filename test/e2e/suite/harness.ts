/**
 * The end-to-end suite's own tiny runner and polling helpers. It runs inside VS Code's extension
 * host (code-server or Electron), so it stays free of test frameworks: tests are registered in
 * order, run one after another, and each result is printed as one line, then `N passed, N failed`.
 * Nothing here sleeps a fixed time: `waitFor` polls a condition until it holds or times out.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCase {
  name: string;
  fn: () => Promise<void>;
}

const tests: TestCase[] = [];
const TEST_TIMEOUT = 90_000;

/** Registers a test; they run in registration order, sharing one VS Code window and workspace. */
export function test(name: string, fn: () => Promise<void>): void {
  tests.push({ name, fn });
}

/**
 * One line of output. run.mjs sets a prefix it recognises (and strips) to tell the suite's lines
 * from the workbench's own log; under Electron the line goes to stdout as it is.
 */
export function log(line: string): void {
  console.log(`${process.env.MIGRATION_GUARD_E2E_LOG_PREFIX ?? ''}${line}`);
}

export class TimeoutError extends Error {}

/**
 * Polls `probe` every `interval` ms until it returns a truthy value, and returns that value.
 * Throws after `timeout` ms, naming what it waited for and, when given, describing the last state.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { timeout?: number; interval?: number; describe?: () => string } = {},
): Promise<T> {
  const { timeout = 20_000, interval = 50 } = options;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? `; last state: ${options.describe()}` : '';
      const cause = lastError ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
      throw new TimeoutError(`timed out after ${timeout} ms waiting for ${what}${state}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Asks run.mjs for a screenshot: prints a marker line it acts on, then waits for its answer file.
 * `waitFor` lists Playwright selectors the page must show first (e.g. the quick-fix menu), so a
 * picture of a workbench still loading fails the run instead of landing in the README. Some of
 * what a picture shows is transient (a hover closes when focus moves): `prepare` sets it up and
 * runs again before each of `attempts` requests; `hover` is a selector the mouse rests on. Without run.mjs (Electron) there is nobody to
 * take it, and this returns at once.
 */
export async function screenshot(
  name: string,
  selectors: string[] = [],
  options: { prepare?: () => Promise<unknown>; attempts?: number; hover?: string } = {},
): Promise<void> {
  const ackDir = process.env.MIGRATION_GUARD_E2E_ACK_DIR;
  if (!ackDir) return;
  const attempts = options.attempts ?? 1;
  const file = join(ackDir, `${name}.ack`);
  const failures: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await options.prepare?.();
    rmSync(file, { force: true });
    console.log(`SCREENSHOT ${JSON.stringify({ name, waitFor: selectors, hover: options.hover })}`);
    const answer = (await waitFor(`screenshot ${name}`, () => existsSync(file) && readFileSync(file, 'utf8'), { timeout: 60_000 })).trim();
    if (answer === 'ok') {
      if (failures.length) log(`  screenshot ${name} needed ${attempt} attempts (${failures.join('; ')})`);
      return;
    }
    failures.push(answer);
  }
  throw new Error(`screenshot ${name}: ${failures.join('; ')}`);
}

/** Runs every registered test; resolves with the counts. */
export async function runAll(): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  // run.mjs --grep <text> runs only the tests whose name contains the text (debugging aid).
  const grep = process.env.MIGRATION_GUARD_E2E_GREP;
  const selected = grep ? tests.filter((t) => t.name.includes(grep)) : tests;
  log(`running ${selected.length} end-to-end tests${grep ? ` (of ${tests.length}, --grep ${JSON.stringify(grep)})` : ''}`);
  for (const t of selected) {
    const started = Date.now();
    const took = () => `(${Date.now() - started} ms)`;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A test stuck on a modal dialog or a lost event fails after TEST_TIMEOUT instead of hanging the run.
      await Promise.race([
        t.fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new TimeoutError(`the test did not finish in ${TEST_TIMEOUT / 1000} s`)), TEST_TIMEOUT);
        }),
      ]);
      passed++;
      log(`  ok   ${t.name} ${took()}`);
    } catch (e) {
      const lines = (e instanceof Error ? (e.stack ?? e.message) : String(e)).split('\n');
      failed++;
      log(`  FAIL ${t.name} ${took()}`);
      for (const line of lines) log(`       ${line}`);
    } finally {
      clearTimeout(timer);
    }
  }
  log(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

/**
 * The CLI measured as users run it: whole `node dist/cli.js check …` processes, against a
 * baseline process run alongside in the same rounds — bare-parse.ts, which walks the same folders,
 * reads every migration and parses it with web-tree-sitter on one thread, and does nothing else.
 * Wall time around spawnSync; CPU from this process's reaped children (proc.ts), so worker
 * threads count. Every round runs each process once, in an order that rotates from round to
 * round, so load from elsewhere lands on all of them alike; medians are reported.
 *
 *  - cold: `check --no-cache --jobs 1` and `check --no-cache` (the default pool), CPU and wall;
 *    each pool worker's first result: the worker thread's own CPU from its start (Node's thread
 *    bootstrap, loading dist/cli-worker.js, instantiating the grammar, linting its first batch)
 *    to its first answer, as the worker reads it from /proc/thread-self/schedstat and hands it to
 *    `check` through MIGRATION_GUARD_POOL_STATS (one JSON line per worker); the workers' code
 *    cache (code-cache.ts) is a folder of the bench's own, empty for the first pool run, which
 *    fills it: the figure is of the later runs, the first run's is shown beside it;
 *  - warm: `check --cache-dir DIR` once to fill the cache, once more (the cache answers and the
 *    run is remembered whole, cli/run-memo.ts), then again, nothing changed (the remembered run is
 *    printed); every output must be byte-identical to the cold run's;
 *  - one small file, as a pre-commit hook runs it, against `node -e 0`;
 *  - discovery, warm, in a process of its own (discovery-probe.ts): the CLI's own `discover`
 *    against a plain readdirSync walk of the same tree.
 * A build whose `check --help` does not mention --no-cache has no cache: cold runs go without
 * the flag and the warm part is SKIPPED. `check` exits 1 when it finds problems; only another
 * status is a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { timedNode, type Run } from './proc';
import type { Report } from './report';
import { int, median, min, ms, ratio, table } from './stats';

export interface CliBenchInput {
  cliJs: string;
  bareJs: string;
  /** The project folders, given to every process. */
  dirs: string[];
  rounds: number;
  /** A ~30-line migration for the pre-commit figure. */
  smallFile: { path: string; lines: number } | null;
  report: Report;
}

interface Series {
  wall: number[];
  cpu: number[];
  outputs: string[];
}

const newSeries = (): Series => ({ wall: [], cpu: [], outputs: [] });

function tail(text: string, lines = 3): string {
  const t = text.trim().split('\n').slice(-lines).join(' | ');
  return t.length > 400 ? `${t.slice(0, 400)}…` : t;
}

/** null when `run` is a completed `check` (exit 0: no problems, 1: problems), else why not. */
function checkFailed(run: Run, what: string): string | null {
  if (run.error) return `${what}: ${run.error}`;
  if (run.status === 0 || run.status === 1) return null;
  return `${what} exited with ${run.status ?? run.signal}${run.stderr.trim() ? `: ${tail(run.stderr)}` : ''}`;
}

interface BareReport {
  files: number;
  chars: number;
  parseErrors: number;
  initMs: number;
  walkMs: number;
  readMs: number;
  parseMs: number;
}

function bareReport(run: Run): BareReport | string {
  if (run.error) return `bare-parse: ${run.error}`;
  if (run.status !== 0) return `bare-parse exited with ${run.status ?? run.signal}: ${tail(run.stderr)}`;
  try {
    return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as BareReport;
  } catch {
    return `bare-parse printed no figures: ${tail(run.stdout)}`;
  }
}

const checkedCount = (stdout: string): string => /\((\d+) checked\)/.exec(stdout)?.[1] ?? '?';
const seriesRow = (name: string, s: Series, base?: Series): string[] => [
  name, ms(median(s.wall), 0), ms(min(s.wall), 0), ms(median(s.cpu), 0),
  base ? ratio(median(s.wall) / median(base.wall)) : '', base ? ratio(median(s.cpu) / median(base.cpu)) : '',
];

export function runCliBench(input: CliBenchInput): void {
  const { cliJs, bareJs, dirs, rounds, report } = input;
  if (!existsSync(cliJs)) {
    report.skip('whole-process CLI', `${cliJs} does not exist (npm run build has not produced it)`);
    return;
  }
  if (!existsSync(bareJs)) {
    report.skip('whole-process CLI', `${bareJs} does not exist (npm run compile-tests has not produced it)`);
    return;
  }
  const help = timedNode([cliJs, 'check', '--help']);
  const cache = /--no-cache\b/.test(help.stdout);
  const cacheDir = /--cache-dir\b/.test(help.stdout);
  const noCache = cache ? ['--no-cache'] : [];
  report.log(`  cli: node ${cliJs} check; ${cache ? 'this build has a cache: cold runs pass --no-cache' : 'this build has no cache (--no-cache missing from check --help): cold runs pass no cache flag'}`);
  report.log(`  folders (${dirs.length}): ${dirs.length <= 3 ? dirs.join(', ') : `${dirs.slice(0, 3).join(', ')}, … (${dirs.length - 3} more)`}`);

  // Page cache warm for every process alike: one unmeasured baseline run reads the whole tree.
  const warmup = bareReport(timedNode([bareJs, ...dirs]));
  if (typeof warmup === 'string') {
    report.skip('whole-process CLI', warmup);
    return;
  }

  const kinds = {
    bare: [bareJs, ...dirs],
    one: [cliJs, 'check', ...noCache, '--jobs', '1', ...dirs],
    pool: [cliJs, 'check', ...noCache, ...dirs],
  };
  const series = { bare: newSeries(), one: newSeries(), pool: newSeries() };
  const order = ['bare', 'one', 'pool'] as const;
  let bare: BareReport = warmup;
  const statsDir = mkdtempSync(join(tmpdir(), 'migration-guard-bench-pool-'));
  let poolRuns = 0;
  const poolEnv = (): NodeJS.ProcessEnv => ({ ...process.env, MIGRATION_GUARD_POOL_STATS: join(statsDir, `run-${poolRuns++}.jsonl`), MIGRATION_GUARD_CODE_CACHE_DIR: join(statsDir, 'code-cache') });
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (let j = 0; j < order.length; j++) {
      const kind = order[(r + j) % order.length]!;
      const run = timedNode(kinds[kind], kind === 'pool' ? { env: poolEnv() } : {});
      if (kind === 'bare') {
        const b = bareReport(run);
        if (typeof b === 'string') {
          report.skip('whole-process CLI', b);
          return;
        }
        bare = b;
      } else {
        const failed = checkFailed(run, `check${kind === 'one' ? ' --jobs 1' : ''}`);
        if (failed) {
          report.skip('whole-process CLI', failed);
          return;
        }
      }
      series[kind].wall.push(run.wallMs);
      series[kind].cpu.push(run.cpuMs);
      series[kind].outputs.push(run.stdout);
      line.push(`${kind} ${ms(run.wallMs, 0)} wall / ${ms(run.cpuMs, 0)} CPU`);
    }
    report.log(`  round ${r + 1}/${rounds}: ${line.join('; ')}`);
  }
  const { bare: b, one, pool } = series;
  const reference = one.outputs[0] ?? '';
  report.log('');
  table([
    ['process (cold)', 'wall p50', 'wall min', 'CPU p50', 'wall/bare', 'CPU/bare'],
    seriesRow('bare parse (baseline)', b),
    seriesRow(`check ${noCache.join(' ')} --jobs 1`.replace('  ', ' '), one, b),
    seriesRow(`check ${noCache.join(' ')} (pool)`.replace('  ', ' '), pool, b),
  ]);
  report.log('');
  report.log(`  files: bare parse ${int(bare.files)} migrations (${(bare.chars / 1048576).toFixed(1)} M characters, ${bare.parseErrors} with syntax errors); check reports ${checkedCount(reference)} checked`);
  report.log(`  bare parse, last run, inside the process: grammar init ${ms(bare.initMs, 0)}, walk ${ms(bare.walkMs, 0)}, read ${ms(bare.readMs, 0)}, parse ${ms(bare.parseMs, 0)} (the rest of its wall time is Node.js start-up and exit)`);
  const sameOne = one.outputs.every((o) => o === reference);
  const samePool = pool.outputs.every((o) => o === reference);
  report.log(`  output: --jobs 1 ${sameOne ? 'identical in every round' : 'DIFFERENT between rounds'}; pool ${samePool ? 'identical to --jobs 1' : 'DIFFERENT from --jobs 1'}`);
  if (!sameOne || !samePool) report.note('note: cold check printed different output between runs (--jobs 1 vs pool, or round to round)');

  const cpuRatio = median(one.cpu) / median(b.cpu);
  const wallRatio = median(one.wall) / median(b.wall);
  const poolWall = median(pool.wall) / median(one.wall);
  const poolCpu = median(pool.cpu) / median(one.cpu);
  report.figure('process', 'cold check --jobs 1, CPU / bare parse', `${ratio(cpuRatio)}  (${ms(median(one.cpu), 0)} vs ${ms(median(b.cpu), 0)})`, '<= 1.5x', cpuRatio <= 1.5);
  report.figure('process', 'cold check --jobs 1, wall / bare parse', `${ratio(wallRatio)}  (${ms(median(one.wall), 0)} vs ${ms(median(b.wall), 0)})`, '<= 1.3x', wallRatio <= 1.3);
  report.figure('process', 'cold check (pool), wall / --jobs 1', `${ratio(poolWall)}  (${ms(median(pool.wall), 0)}; ${ratio(median(pool.wall) / median(b.wall))} of bare parse)`, '<= 1.00x, never slower', poolWall <= 1);
  report.figure('process', 'cold check (pool), CPU / --jobs 1', ratio(poolCpu), '<= 1.05x', poolCpu <= 1.05);
  firstResults(report, statsDir, poolRuns);
  rmSync(statsDir, { recursive: true, force: true });

  warmPart(input, cache, cacheDir, reference, b);
  smallFilePart(input, cache && cacheDir);
  discoveryPart(input);
}

interface FirstResultLine {
  cpuMs: number | null;
  loadedCpuMs: number | null;
  readyCpuMs: number | null;
  files: number;
  wallMs: number;
}

function readLines(file: string): FirstResultLine[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FirstResultLine);
  } catch {
    return [];
  }
}

/**
 * What starting an empty worker thread costs on this machine (its own CPU, as the pool workers
 * measure theirs): the floor under a worker's first result. Median of five, each in a fresh process;
 * null where /proc/thread-self/schedstat cannot be read.
 */
function emptyWorkerCpuMs(): number | null {
  const code = `const { Worker } = require('node:worker_threads');
new Worker("const ns = Number(require('node:fs').readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]); require('node:worker_threads').parentPort.postMessage(ns / 1e6);", { eval: true })
  .on('message', (m) => { console.log(m); process.exit(0); }).on('error', () => process.exit(1));`;
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    const v = Number(r.stdout.trim());
    if (r.status === 0 && Number.isFinite(v)) runs.push(v);
  }
  return runs.length > 0 ? median(runs) : null;
}

/** Each pool worker's first result, from the lines the pool runs wrote (see the header). */
function firstResults(report: Report, dir: string, runs: number): void {
  // The first pool run had no code cache; it wrote it for the others.
  const first = readLines(join(dir, 'run-0.jsonl')).filter((l) => l.cpuMs !== null);
  const lines = Array.from({ length: runs - 1 }, (_, i) => readLines(join(dir, `run-${i + 1}.jsonl`))).flat();
  const known = lines.filter((l) => l.cpuMs !== null);
  if (known.length === 0) {
    const why =
      runs < 2
        ? 'only one pool run (BENCH_CLI_ROUNDS=1): it writes the code cache the figure is measured with; run two rounds or more'
        : lines.length === 0
          ? 'the pool runs started no worker thread (or this build does not report MIGRATION_GUARD_POOL_STATS)'
          : 'the workers could not read their CPU time (/proc/thread-self/schedstat)';
    report.skip('pool worker first result', why);
    return;
  }
  const med = (f: (l: FirstResultLine) => number | null): number => median(known.map((l) => f(l) ?? Number.NaN));
  const cpu = med((l) => l.cpuMs);
  report.log('');
  report.log(`  Pool workers' first results (${known.length} workers of the pool runs after the first, code cache warm; the worker thread's own CPU from its start, medians):`);
  table([
    ['', 'CPU', ''],
    ['thread start + loading the worker bundle', ms(med((l) => l.loadedCpuMs), 0), ''],
    ['+ grammar instantiated (compiled by the main thread)', ms(med((l) => l.readyCpuMs), 0), ''],
    [`+ first batch linted (${med((l) => l.files)} files) → first result`, ms(cpu, 0), `${ratio(cpu / 100)} of the 100 ms target`],
  ], '    ');
  report.log(`    new Worker → first result received, wall (informational, shares the cores with the main thread): ${ms(median(known.map((l) => l.wallMs)), 0)}`);
  const cold = first.length > 0 ? ms(median(first.map((l) => l.cpuMs ?? Number.NaN)), 0) : 'not measured';
  report.log(`    the first pool run, without a code cache: first result ${cold} CPU`);
  const empty = emptyWorkerCpuMs();
  report.log(`    an empty worker thread on this machine (the floor; median of 5): ${empty === null ? 'not measured' : ms(empty, 0)} CPU`);
  report.figure('process', "pool worker's first result, CPU of its thread", `${ms(cpu, 0)}  (${ratio(cpu / 100)} of the target; ${ms(med((l) => l.readyCpuMs), 0)} before its first file; code cache warm, without: ${cold}; an empty worker thread: ${empty === null ? '?' : ms(empty, 0)})`, '<= 100 ms', cpu <= 100);
}

function warmPart(input: CliBenchInput, cache: boolean, cacheDir: boolean, reference: string, bare: Series): void {
  const { cliJs, dirs, rounds, report } = input;
  report.log('');
  report.log('  Warm: check --cache-dir DIR, filled by one run, then run again with nothing changed');
  if (!cache) {
    report.skip('warm CLI', 'this build has no cache (--no-cache missing from check --help)');
    return;
  }
  if (!cacheDir) {
    report.skip('warm CLI', 'check --help has --no-cache but no --cache-dir: nowhere to put a cache of our own');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'migration-guard-bench-cache-'));
  try {
    const args = [cliJs, 'check', '--cache-dir', dir, ...dirs];
    const fill = timedNode(args);
    const failed = checkFailed(fill, 'check --cache-dir (filling)');
    if (failed) {
      report.skip('warm CLI', failed);
      return;
    }
    // The first run after the filling one answers from the cache and remembers the whole run
    // (cli/run-memo.ts: a run that started worker threads is not remembered); the runs after it
    // print the remembered run once every path and git answer is checked. The first stands for a
    // run where something changed since the last (the cache answers, the remembered run does not).
    const first = timedNode(args);
    const firstFailed = checkFailed(first, 'check --cache-dir (first warm)');
    if (firstFailed) {
      report.skip('warm CLI', firstFailed);
      return;
    }
    const warm = newSeries();
    for (let r = 0; r < rounds; r++) {
      const run = timedNode(args);
      const f = checkFailed(run, 'check --cache-dir (warm)');
      if (f) {
        report.skip('warm CLI', f);
        return;
      }
      warm.wall.push(run.wallMs);
      warm.cpu.push(run.cpuMs);
      warm.outputs.push(run.stdout);
    }
    const identical = fill.stdout === reference && first.stdout === reference && warm.outputs.every((o) => o === reference);
    const memoRow = (label: string, run: typeof fill): string[] => [label, ms(run.wallMs, 0), '', ms(run.cpuMs, 0), ratio(run.wallMs / median(bare.wall)), ratio(run.cpuMs / median(bare.cpu))];
    table([
      ['process', 'wall p50', 'wall min', 'CPU p50', 'wall/bare', 'CPU/bare'],
      memoRow('check --cache-dir, filling', fill),
      memoRow('check --cache-dir, first warm run (cache answers, run remembered)', first),
      seriesRow(`check --cache-dir, warm (${rounds} runs, remembered run printed)`, warm, bare),
    ]);
    report.log(`  output of the filling, first warm and warm runs: ${identical ? 'identical' : 'DIFFERENT'} to the cold --no-cache run's (byte for byte)`);
    const wr = median(warm.wall) / median(bare.wall);
    report.figure('process', 'warm check, wall / bare parse', `${ratio(wr)}  (${ms(median(warm.wall), 0)}), output ${identical ? 'identical' : 'DIFFERENT'}`, '<= 0.3x, identical output', wr <= 0.3 && identical);
    if (!identical) report.note('note: the warm (cached) check printed something other than the cold run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function smallFilePart(input: CliBenchInput, cache: boolean): void {
  const { cliJs, smallFile, report } = input;
  const N = 10;
  report.log('');
  if (!smallFile) {
    report.skip('one small file', 'the corpus has no migration to use');
    return;
  }
  const siblings = readdirSync(dirname(smallFile.path)).filter((n) => n.endsWith('.py') && n !== '__init__.py').length;
  report.log(`  One small file, as a pre-commit hook runs it: check ${smallFile.path} (${smallFile.lines} lines; ${siblings} migrations in its folder), ${N} runs each, interleaved; the CLI's code cache warm`);
  const dir = cache ? mkdtempSync(join(tmpdir(), 'migration-guard-bench-cache-')) : null;
  try {
    const variants: [string, string[]][] = cache
      ? [['check --cache-dir DIR (cache warm)', [cliJs, 'check', '--cache-dir', dir!, smallFile.path]], ['check --no-cache', [cliJs, 'check', '--no-cache', smallFile.path]]]
      : [['check (this build has no cache)', [cliJs, 'check', smallFile.path]]];
    const node: number[] = [];
    const times = variants.map(() => [] as number[]);
    for (let r = -1; r < N; r++) {
      // Round -1 is unmeasured: it fills the cache, warms the page cache and, when the user's code
      // cache folder has none for this build, writes the CLI's code cache (as a user's first run does).
      const floor = timedNode(['-e', '0']);
      if (r >= 0) node.push(floor.wallMs);
      for (let v = 0; v < variants.length; v++) {
        const run = timedNode(variants[v]![1]);
        const failed = checkFailed(run, variants[v]![0]);
        if (failed) {
          report.skip('one small file', failed);
          return;
        }
        if (r >= 0) times[v]!.push(run.wallMs);
      }
    }
    const nodeMed = median(node);
    table([
      ['process', 'wall p50', 'min', 'max', '/ node -e 0'],
      ['node -e 0 (floor)', ms(nodeMed, 0), ms(min(node), 0), ms(Math.max(...node), 0), ''],
      ...variants.map(([name], v) => [name, ms(median(times[v]!), 0), ms(min(times[v]!), 0), ms(Math.max(...times[v]!), 0), ratio(median(times[v]!) / nodeMed)]),
    ]);
    // The figure held to the target: the cache warm where there is a cache (a hook runs in a
    // checkout where it ran before), else the only run there is.
    const judged = median(times[0]!) / nodeMed;
    const other = variants.length > 1 ? `; --no-cache ${ratio(median(times[1]!) / nodeMed)}` : '';
    report.figure('process', `one small file, wall / node -e 0${cache ? ' (cache warm)' : ''}`, `${ratio(judged)}  (${ms(median(times[0]!), 0)} vs ${ms(nodeMed, 0)}${other})`, '<= 2x', judged <= 2);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function discoveryPart(input: CliBenchInput): void {
  const { dirs, report } = input;
  const N = 9;
  report.log('');
  report.log(`  Discovery, warm, in a process of its own (discovery-probe.ts): this checkout's discover() (walk, settings, include/exclude; out/server/src/cli) and planProject() (what the project view adds) vs a plain readdirSync walk; ${N} rounds after one warm-up`);
  const probe = join(__dirname, 'discovery-probe.js');
  const run = timedNode([probe, String(N), ...dirs]);
  let got: { walk: number[]; discover: number[]; plan: number[]; entries: number; tasks: number; extra: number };
  try {
    if (run.status !== 0) throw new Error(run.error ?? `exit ${run.status ?? run.signal}: ${tail(run.stderr)}`);
    got = JSON.parse(run.stdout) as typeof got;
  } catch (e) {
    report.skip('CLI discovery', `discovery-probe failed: ${(e as Error).message}`);
    return;
  }
  const { walk, discover: disc, plan } = got;
  table([
    ['', 'p50', 'min', '/ plain walk'],
    [`plain readdirSync walk (${int(got.entries)} entries)`, ms(median(walk), 1), ms(min(walk), 1), ''],
    [`discover() (${int(got.tasks)} tasks)`, ms(median(disc), 1), ms(min(disc), 1), ratio(median(disc) / median(walk))],
    [`planProject() (${int(got.extra)} more files for the project view)`, ms(median(plan), 1), ms(min(plan), 1), ratio(median(plan) / median(walk))],
  ]);
  const dr = median(disc) / median(walk);
  report.figure('process', 'CLI discovery (warm, own process) / readdir walk', `${ratio(dr)}  (${ms(median(disc), 1)} vs ${ms(median(walk), 1)}; planProject adds ${ratio(median(plan) / median(walk))})`, '<= 2x', dr <= 2);
}

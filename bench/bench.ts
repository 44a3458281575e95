/**
 * `npm run bench`: prints performance figures (not pass/fail) from one process:
 *  1. web-tree-sitter parse vs full lint (parse + lintTree) over a generated corpus of 3,000
 *     migrations — the lint/parse ratio is the headline (target ≤ 1.5x) — and where lint time goes;
 *  2. native tree-sitter vs WASM parse of the same files;
 *  3. language-server cold start to first diagnostics (target ≤ 300 ms);
 *  4. didChange → publishDiagnostics latency, p50/p95, on a 1,000-line migration (target p95 ≤ 15 ms);
 *  5. server RSS after linting the 3,000-migration workspace (target < 150 MB), and this process's heap.
 * A part that cannot run (no dist/server.js, server silent or dead) is reported as SKIPPED with
 * the reason; the exit code is 0 only when every part ran.
 * Environment: BENCH_ROUNDS (engine rounds, default 7), BENCH_EDITS (keystrokes, default 200),
 * BENCH_SERVER (server script to spawn, default dist/server.js).
 */
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DIST, REPO_ROOT } from '../test/helpers/paths';
import { generateCorpus, writeCorpus, type CorpusFile } from './corpus';
import { runEngineBench, type EngineFigures } from './engine-bench';
import { runProjectBench } from './project-bench';
import { coldStart, keystrokes, workspaceScan, type Outcome } from './lsp-bench';
import { int, mb, mean, median, min, ms, msSince, percentile, ratio, table } from './stats';

const SEED = 20240611;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const EDITS = Number(process.env['BENCH_EDITS'] ?? 200);
const SERVER_JS = process.env['BENCH_SERVER'] ?? join(DIST, 'server.js');

/** [label, figure] rows of the final block. */
const headline: [string, string][] = [];
const skipped: string[] = [];
const notes: string[] = [];
const log = (s = ''): void => console.log(s);
const section = (title: string): void => log(`\n== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}`);
const target = (met: boolean): string => (met ? '' : '  [above target]');

function skip<T>(part: string, o: Outcome<T>): o is { ok: false; reason: string } {
  if (o.ok) return false;
  log(`  SKIPPED: ${part} — ${o.reason}`);
  skipped.push(`${part}: SKIPPED — ${o.reason}`);
  return true;
}

function corpusSection(files: CorpusFile[], apps: number, keystrokeLines: number, written: boolean, project: string): void {
  section('Corpus');
  const lines = files.reduce((s, f) => s + f.lines, 0);
  const bytes = files.reduce((s, f) => s + Buffer.byteLength(f.text), 0);
  const kinds = new Map<string, number>();
  for (const f of files) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const sizes = files.map((f) => f.lines);
  log(`  ${project} (${written ? 'generated now' : 'up to date'}, seed ${SEED})`);
  log(`  ${int(files.length)} migration files in ${apps} apps, ${int(lines)} lines, ${mb(bytes)}`);
  log(`  kinds: ${[...kinds].map(([k, n]) => `${k} ${n} (${((100 * n) / files.length).toFixed(1)}%)`).join(', ')}`);
  log(`  lines per file: min ${min(sizes)}, p50 ${percentile(sizes, 50)}, p95 ${percentile(sizes, 95)}, max ${Math.max(...sizes)}`);
  log(`  keystroke migration: ${keystrokeLines} lines`);
}

function engineSection(fig: EngineFigures, files: CorpusFile[]): void {
  const n = files.length;
  const bytes = files.reduce((s, f) => s + Buffer.byteLength(f.text), 0);
  const row = (name: string, xs: number[]): string[] => [name, ms(median(xs), 0), ms(min(xs), 0), ms(Math.max(...xs), 0), int((n * 1000) / median(xs)), `${((bytes / 1048576) * 1000 / median(xs)).toFixed(1)}`];
  log('');
  const rows = [['pass (whole corpus)', 'median', 'min', 'max', 'files/s', 'MB/s'], row('web-tree-sitter parse', fig.wasmParse), row('lint = parse + lintTree', fig.lint), row('  of which lintTree', fig.lintTreeOnly)];
  if (fig.native) rows.push(row('native tree-sitter parse', fig.native));
  table(rows);
  log('');
  log(`  lint/parse: ${ratio(median(fig.lintRatios))} (median of per-round ratios, which ranged ${ratio(min(fig.lintRatios))}–${ratio(Math.max(...fig.lintRatios))}; ratio of medians ${ratio(median(fig.lint) / median(fig.wasmParse))})`);
  log(`  lintTree alone: ${ms(median(fig.lintTreeOnly) / n, 3)} per file on average, ${ratio(median(fig.lintTreeOnly) / median(fig.wasmParse))} of parse time`);
  if (fig.native) log(`  native/wasm parse: ${ratio(median(fig.nativeRatios))} (median of per-round ratios, range ${ratio(min(fig.nativeRatios))}–${ratio(Math.max(...fig.nativeRatios))}; < 1 means native is faster)`);
  else log(`  native parse: not measured — ${fig.nativeError}`);
  log(`  files that do not parse cleanly: ${fig.parseErrors}`);
  const withFindings = [...fig.findingsPerFile.values()].filter((x) => x > 0).length;
  log(`  findings: ${[...fig.findingsByRule].sort().map(([r, c]) => `${r} ${c}`).join(', ')}; files with findings: ${withFindings}`);
  if (fig.profileError) log(`  profile: unavailable — ${fig.profileError}`);
  else {
    log(`\n  Where lintTree's time goes (one CPU-profiled lint pass, self time, ${ms(fig.profileTotalMs, 0)} sampled; GC is for the whole pass):`);
    table(fig.profileByModule.slice(0, 10).map((r) => [r.name, ms(r.ms, 0), `${((100 * r.ms) / fig.profileTotalMs).toFixed(1)}%`]), '    ');
    log('    top functions (self time; analysis line numbers are of the compiled .js):');
    table(fig.profileTopFunctions.map((r) => [r.name, ms(r.ms, 0)]), '      ');
    log('    analysis functions charged with their own time plus the tree-sitter (bindings + WASM) calls they make:');
    table(fig.profileByCaller.map((r) => [r.name, ms(r.ms, 0), `${((100 * r.ms) / fig.profileTotalMs).toFixed(1)}%`]), '      ');
  }
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  log(`Django Migration Guard benchmark — Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const corpus = generateCorpus(SEED);
  const root = join(REPO_ROOT, 'bench', '.corpus');
  const { written, project, keystrokePath } = writeCorpus(root, corpus, SEED);
  corpusSection(corpus.files, corpus.apps, corpus.keystroke.lines, written, project);

  section(`1-2. Engine in-process: web-tree-sitter parse vs full lint, native vs WASM (${ROUNDS} rounds)`);
  const fig = await runEngineBench(corpus.files, ROUNDS, log);
  engineSection(fig, corpus.files);
  const lintRatio = median(fig.lintRatios);
  headline.push(['lint/parse ratio', `${ratio(lintRatio)}  (target <= 1.5x)${target(lintRatio <= 1.5)}`]);
  headline.push(['  parse / lint, whole corpus', `${ms(median(fig.wasmParse), 0)} / ${ms(median(fig.lint), 0)} for ${int(corpus.files.length)} files (${int((corpus.files.length * 1000) / median(fig.lint))} files/s linted)`]);
  if (fig.native) headline.push(['native/wasm parse ratio', `${ratio(median(fig.nativeRatios))}  (native ${ms(median(fig.native), 0)}; informational)`]);
  // The native binding is not a dependency (it needs a C++ toolchain to install here): measured only when present.
  else notes.push(`note: native parse not measured (${fig.nativeError}); \`npm install --no-save tree-sitter@0.25.1\` adds it`);

  section(`2b. Whole project in-process: parse + per-file analysis, then graph, state and project rules (${ROUNDS} rounds)`);
  const pf = await runProjectBench(corpus.files, project, ROUNDS);
  log(`  project view: ${pf.apps} apps, ${int(pf.nodes)} migrations, ${pf.leaves} leaves; models at the leaves known ${pf.knownModels}, unknown ${pf.unknownModels}; graph findings ${pf.graphFindings}`);
  table([
    ['pass (whole corpus)', 'median', 'min', 'max'],
    ['web-tree-sitter parse', ms(median(pf.parse), 0), ms(min(pf.parse), 0), ms(Math.max(...pf.parse), 0)],
    ['parse + analyze every file', ms(median(pf.analyze), 0), ms(min(pf.analyze), 0), ms(Math.max(...pf.analyze), 0)],
    ['view + states + project rules + finalize', ms(median(pf.project), 0), ms(min(pf.project), 0), ms(Math.max(...pf.project), 0)],
  ]);
  log(`  whole-project lint / parse: ${ratio(median(pf.ratios))} (median of per-round ratios, range ${ratio(min(pf.ratios))}–${ratio(Math.max(...pf.ratios))}); the project step is ${ratio(median(pf.project) / median(pf.parse))} of parse`);
  log(`  findings: ${[...pf.findingsByRule].sort().map(([r, c]) => `${r} ${c}`).join(', ')}`);
  headline.push(['whole-project lint/parse (graph + state)', `${ratio(median(pf.ratios))}  (target <= 1.5x)${target(median(pf.ratios) <= 1.5)}`]);

  let serverNote = '';
  try {
    serverNote = ` (built ${statSync(SERVER_JS).mtime.toISOString()})`;
  } catch {
    serverNote = ' (missing)';
  }

  section('3. Language server cold start: spawn → first non-empty publishDiagnostics');
  log(`  server: node ${SERVER_JS} --stdio${serverNote}`);
  const coldFile = pickColdStartFile(corpus.files, fig);
  const cold = coldFile ? await coldStart(SERVER_JS, join(project, coldFile.rel), coldFile.text, 5) : ({ ok: false, reason: 'no corpus file with findings' } as const);
  if (!skip('LSP cold start', cold)) {
    const c = cold.value;
    log(`  file: ${coldFile!.rel} (${coldFile!.lines} lines, ${c.diagnostics} diagnostics); 1 unmeasured spawn + ${c.toDiagnostics.length} measured`);
    table([['', 'median', 'min', 'max'], ['spawn → initialize result', ms(median(c.toInitialized)), ms(min(c.toInitialized)), ms(Math.max(...c.toInitialized))], ['spawn → first diagnostics', ms(median(c.toDiagnostics)), ms(min(c.toDiagnostics)), ms(Math.max(...c.toDiagnostics))], ['(floor: spawn → exit of node -e 0)', ms(median(c.nodeFloor)), ms(min(c.nodeFloor)), ms(Math.max(...c.nodeFloor))]]);
    headline.push(['LSP cold start → first diagnostics', `${ms(median(c.toDiagnostics), 0)}  (target <= 300 ms)${target(median(c.toDiagnostics) <= 300)}`]);
  }

  section(`4. Keystroke → diagnostics on a ${corpus.keystroke.lines}-line migration (${EDITS} edits + 20 warm-up)`);
  const keys = await keystrokes(SERVER_JS, keystrokePath, corpus.keystroke.text, corpus.keystroke.points, EDITS, 20);
  if (!skip('keystroke latency', keys)) {
    const k = keys.value;
    const l = k.latencies;
    log(`  sync: ${k.sync}; one-character insert/delete alternating in a comment and a string; baseline ${k.baseline} diagnostics`);
    table([['', 'p50', 'p95', 'p99', 'mean', 'max'], ['didChange → publishDiagnostics', ms(percentile(l, 50), 2), ms(percentile(l, 95), 2), ms(percentile(l, 99), 2), ms(mean(l), 2), ms(Math.max(...l), 2)]]);
    log(`  answered ${l.length}/${EDITS} edits${k.missed ? `, ${k.missed} got no publishDiagnostics within 3 s` : ''}; diagnostics count changed after ${k.changedCount} edits`);
    headline.push(['keystroke → diagnostics p50 / p95', `${ms(percentile(l, 50), 1)} / ${ms(percentile(l, 95), 1)}  (target p95 <= 15 ms)${target(percentile(l, 95) <= 15)}`]);
    if (k.missed > 0) notes.push(`note: keystroke latency: ${k.missed} of ${EDITS} edits got no publishDiagnostics (not counted in the percentiles)`);
  }

  section(`5. Memory: server after linting the ${int(corpus.files.length)}-migration workspace`);
  const expected = corpus.files.map((f) => join(project, f.rel));
  const withFindings = new Set(corpus.files.filter((f) => (fig.findingsPerFile.get(f.rel) ?? 0) > 0).map((f) => join(project, f.rel)));
  const scan = await workspaceScan(SERVER_JS, project, expected, withFindings);
  if (!skip('workspace memory', scan)) {
    const w = scan.value;
    log(`  diagnostics received for ${int(w.reported)}/${int(w.expected)} files, ${int(w.nonEmpty)} non-empty (in-process engine: ${withFindings.size} files with findings)`);
    log(`  waited until: ${w.endedBy}`);
    log(`  spawn → last publishDiagnostics: ${ms(w.toLastDiagnostics, 0)} (${int((w.reported * 1000) / w.toLastDiagnostics)} files/s including startup)`);
    log(`  server VmRSS ${mb(w.memory.rssKb * 1024)}, VmHWM (peak) ${mb(w.memory.hwmKb * 1024)}, highest sampled RSS ${mb(w.sampledPeakKb * 1024)}` + (w.memory.children ? `; ${w.memory.children} child processes, ${mb(w.memory.childrenRssKb * 1024)} RSS` : '; no child processes'));
    for (const line of w.serverSays) log(`  server log: ${line}`);
    const total = w.memory.rssKb + w.memory.childrenRssKb;
    headline.push(['server RSS after workspace lint', `${mb(total * 1024)}, peak VmHWM ${mb(w.memory.hwmKb * 1024)}  (target < 150 MB)${target(total < 150 * 1024)}`]);
    headline.push(['  workspace scan, spawn → last diagnostics', `${ms(w.toLastDiagnostics, 0)} for ${int(w.expected)} files`]);
    if (w.nonEmpty < withFindings.size) notes.push(`note: workspace memory: the server reported findings in ${w.nonEmpty} files, the in-process engine in ${withFindings.size} (scan incomplete?)`);
  }

  const mem = process.memoryUsage();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  log(`\n  bench process: heap used ${mb(mem.heapUsed)}, heap total ${mb(mem.heapTotal)}, external ${mb(mem.external)}, RSS ${mb(mem.rss)}, peak RSS ${mb(peakRss)}`);
  log(`  (RSS was ${mb(fig.rssBeforeNative)} before the native passes: native tree-sitter trees live in C memory until GC finalises them)`);
  headline.push(['bench process heap', `${mb(mem.heapUsed)} used / ${mb(mem.heapTotal)} total (corpus held in memory); RSS ${mb(mem.rss)}`]);

  section('Headline figures');
  const width = Math.max(...headline.map(([l]) => l.length)) + 2;
  for (const [label, value] of headline) log(`${`${label}:`.padEnd(width)}${value}`);
  for (const s of skipped) log(s);
  for (const s of notes) log(s);
  log(`(bench wall time ${(msSince(started) / 1000).toFixed(1)} s)`);
  const allRan = skipped.length === 0;
  if (!allRan) log('Not every part ran: exit code 1.');
  process.exitCode = allRan ? 0 : 1;
}

/** A data migration with findings, of median size among those. */
function pickColdStartFile(files: CorpusFile[], fig: EngineFigures): CorpusFile | undefined {
  const cands = files.filter((f) => f.kind === 'data' && (fig.findingsPerFile.get(f.rel) ?? 0) > 0).sort((a, b) => a.lines - b.lines || a.rel.localeCompare(b.rel));
  return cands[Math.floor(cands.length / 2)] ?? files.find((f) => (fig.findingsPerFile.get(f.rel) ?? 0) > 0);
}

main().catch((e: unknown) => {
  console.error('bench failed:', e);
  process.exitCode = 1;
});

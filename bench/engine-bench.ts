/**
 * In-process engine figures over the corpus (warm, per file: no start-up, discovery or reading —
 * the whole-process figures of cli-bench.ts have those), in one process, timed with
 * process.hrtime.bigint(): bare web-tree-sitter (WASM) parse, full lint (parse + lintTree), and
 * the native `tree-sitter` binding's parse of the same texts (when it is installed: it is not a
 * dependency). One warm-up round, then several
 * rounds in which every file gets the three measurements back to back (first one rotating), so
 * load from other processes on a noisy machine hits all three alike; medians reported. A final
 * CPU-profiled lint pass says where lintTree spends its time (self time by module, only samples
 * whose stack contains lintTree).
 */
import { Session, type Profiler } from 'node:inspector';
import { basename } from 'node:path';
import { lintTree } from '../server/src/analysis/engine';
import { PythonParser } from '../server/src/analysis/parser';
import { GRAMMAR_PATHS } from '../test/helpers/paths';
import type { CorpusFile } from './corpus';
import { collectGarbage } from './stats';

interface NativeParser {
  setLanguage(language: unknown): void;
  parse(input: string): unknown;
}

export interface ProfileRow {
  name: string;
  ms: number;
}

export interface EngineFigures {
  rounds: number;
  /** Per round, total ms over the corpus. */
  wasmParse: number[];
  lint: number[];
  /** The lintTree share of each lint pass (the rest is its parse). */
  lintTreeOnly: number[];
  native: number[] | null;
  nativeError: string | null;
  /** Per round lint/parse and native/wasm, taken within the same round. */
  lintRatios: number[];
  nativeRatios: number[];
  parseErrors: number;
  findingsByRule: Map<string, number>;
  /** Rel path → number of findings, for every file. */
  findingsPerFile: Map<string, number>;
  profileByModule: ProfileRow[];
  profileTopFunctions: ProfileRow[];
  /** Analysis functions charged with their own time plus the tree-sitter calls they make. */
  profileByCaller: ProfileRow[];
  profileTotalMs: number;
  /** This process's RSS after the WASM-only work, before native trees (freed only by GC) pile up. */
  rssBeforeNative: number;
  profileError: string | null;
}

type Pass = 'wasm' | 'lint' | 'native';

function loadNative(): { parser: NativeParser | null; error: string | null } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Parser = require('tree-sitter') as new () => NativeParser;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const python = require('tree-sitter-python') as unknown;
    const parser = new Parser();
    parser.setLanguage(python);
    return { parser, error: null };
  } catch (e) {
    return { parser: null, error: (e as Error).message.split('\n')[0] ?? String(e) };
  }
}

export interface LintCensus {
  parseErrors: number;
  findingsByRule: Map<string, number>;
  /** Rel path → number of findings (per-file rules, no project view), for every file. */
  findingsPerFile: Map<string, number>;
}

/** One lint pass over the corpus: which files have findings (the editor figures pick files by it). */
export async function lintCensus(files: readonly CorpusFile[]): Promise<LintCensus> {
  const wasm = await PythonParser.create(GRAMMAR_PATHS);
  const out: LintCensus = { parseErrors: 0, findingsByRule: new Map(), findingsPerFile: new Map() };
  try {
    for (const f of files) {
      const tree = wasm.parse(f.text);
      if (tree.rootNode.hasError) out.parseErrors++;
      const { findings } = lintTree(tree, f.text);
      tree.delete();
      out.findingsPerFile.set(f.rel, findings.length);
      for (const x of findings) out.findingsByRule.set(x.rule, (out.findingsByRule.get(x.rule) ?? 0) + 1);
    }
  } finally {
    wasm.dispose();
  }
  return out;
}

export async function runEngineBench(files: readonly CorpusFile[], rounds: number, log: (s: string) => void, census: LintCensus): Promise<EngineFigures> {
  const texts = files.map((f) => f.text);
  const wasm = await PythonParser.create(GRAMMAR_PATHS);
  const { parser: native, error: nativeError } = loadNative();

  type Acc = Record<Pass | 'lintTree', bigint>;
  const now = (): bigint => process.hrtime.bigint();
  // One measurement of one file; the three kinds run back to back on the same file, so machine
  // noise (other processes on a shared 2-core box) lands on all of them alike.
  const measure: Record<Pass, (text: string, acc: Acc) => void> = {
    wasm: (text, acc) => {
      const t0 = now();
      wasm.parse(text).delete();
      acc.wasm += now() - t0;
    },
    lint: (text, acc) => {
      const t0 = now();
      const tree = wasm.parse(text);
      const t1 = now();
      lintTree(tree, text);
      const t2 = now();
      tree.delete();
      acc.lint += now() - t0;
      acc.lintTree += t2 - t1;
    },
    native: (text, acc) => {
      const t0 = now();
      native!.parse(text);
      acc.native += now() - t0;
    },
  };
  const order: Pass[] = native ? ['wasm', 'lint', 'native'] : ['wasm', 'lint'];
  /** One round over the corpus; which kind goes first rotates from file to file. */
  const round = (r: number): Acc => {
    const acc: Acc = { wasm: 0n, lint: 0n, lintTree: 0n, native: 0n };
    texts.forEach((text, i) => {
      for (let j = 0; j < order.length; j++) measure[order[(i + r + j) % order.length]!](text, acc);
    });
    return acc;
  };

  const { parseErrors, findingsByRule, findingsPerFile } = census;
  const rssBeforeNative = process.memoryUsage().rss;
  round(0);
  log(`  warm-up round done; ${rounds} measured rounds, each file parsed (WASM), linted and parsed (native) back to back`);

  const fig: EngineFigures = {
    rounds, wasmParse: [], lint: [], lintTreeOnly: [], native: native ? [] : null, nativeError, lintRatios: [], nativeRatios: [],
    parseErrors, findingsByRule, findingsPerFile, profileByModule: [], profileTopFunctions: [], profileByCaller: [], profileTotalMs: 0, profileError: null,
    rssBeforeNative,
  };
  const msOf = (x: bigint): number => Number(x) / 1e6;
  for (let r = 0; r < rounds; r++) {
    await collectGarbage();
    const acc = round(r + 1);
    const [w, l, n] = [msOf(acc.wasm), msOf(acc.lint), msOf(acc.native)];
    fig.wasmParse.push(w);
    fig.lint.push(l);
    fig.lintTreeOnly.push(msOf(acc.lintTree));
    fig.lintRatios.push(l / w);
    if (native) {
      fig.native!.push(n);
      fig.nativeRatios.push(n / w);
    }
    log(`  round ${r + 1}/${rounds}: parse ${w.toFixed(0)} ms, lint ${l.toFixed(0)} ms (${(l / w).toFixed(2)}x)` + (native ? `, native parse ${n.toFixed(0)} ms (${(n / w).toFixed(2)}x)` : ''));
  }

  try {
    await collectGarbage();
    const acc: Acc = { wasm: 0n, lint: 0n, lintTree: 0n, native: 0n };
    const profile = await profiled(() => texts.forEach((t) => measure.lint(t, acc)));
    Object.assign(fig, summarise(profile));
  } catch (e) {
    fig.profileError = (e as Error).message;
  }
  wasm.dispose();
  return fig;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result as T)));
  });
}

async function profiled(fn: () => void): Promise<Profiler.Profile> {
  const session = new Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 250 });
    await post(session, 'Profiler.start');
    fn();
    const { profile } = await post<{ profile: Profiler.Profile }>(session, 'Profiler.stop');
    return profile;
  } finally {
    session.disconnect();
  }
}

function moduleOf(frame: Profiler.ProfileNode["callFrame"]): string {
  const url = frame.url;
  if (url.startsWith('wasm://')) return 'tree-sitter runtime (WASM)';
  if (url.includes('web-tree-sitter')) return 'web-tree-sitter JS bindings';
  if (frame.functionName === '(garbage collector)') return 'garbage collector';
  const m = /server\/src\/analysis\/(.+?)\.js$/.exec(url.replace(/\\/g, '/'));
  if (m) return `analysis/${m[1]}`;
  if (!url) return `(${frame.functionName || 'native'})`;
  return `other: ${basename(url)}`;
}

/** Self time under lintTree, grouped by module and by function. */
function summarise(profile: Profiler.Profile): Pick<EngineFigures, 'profileByModule' | 'profileTopFunctions' | 'profileByCaller' | 'profileTotalMs'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const underLint = new Map<number, boolean>();
  const isUnderLint = (id: number): boolean => {
    const known = underLint.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const p = parent.get(id);
    const v = node.callFrame.functionName === 'lintTree' || (p !== undefined && isUnderLint(p));
    underLint.set(id, v);
    return v;
  };
  const label = (f: Profiler.ProfileNode['callFrame'], mod: string): string =>
    `${f.functionName || '(anonymous)'} ${mod.startsWith('analysis/') ? `${mod.slice(9)}.js:${f.lineNumber + 1}` : `[${mod}]`}`;
  // Nearest enclosing analysis-module frame of a node (itself included), as a label.
  const callerOf = new Map<number, string>();
  const analysisCaller = (id: number): string => {
    const known = callerOf.get(id);
    if (known !== undefined) return known;
    const f = byId.get(id)!.callFrame;
    const mod = moduleOf(f);
    const p = parent.get(id);
    const v = mod.startsWith('analysis/') ? label(f, mod) : p !== undefined ? analysisCaller(p) : '(outside the analysis modules)';
    callerOf.set(id, v);
    return v;
  };
  const modules = new Map<string, number>();
  const fns = new Map<string, number>();
  const callers = new Map<string, number>();
  let total = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    const gc = node.callFrame.functionName === '(garbage collector)';
    if (!gc && !isUnderLint(id)) return;
    total += dt;
    const mod = moduleOf(node.callFrame);
    modules.set(mod, (modules.get(mod) ?? 0) + dt);
    const fname = label(node.callFrame, mod);
    fns.set(fname, (fns.get(fname) ?? 0) + dt);
    if (!gc) {
      const caller = analysisCaller(id);
      callers.set(caller, (callers.get(caller) ?? 0) + dt);
    }
  });
  const sorted = (m: Map<string, number>): ProfileRow[] => [...m].map(([name, v]) => ({ name, ms: v })).sort((a, b) => b.ms - a.ms);
  return { profileByModule: sorted(modules), profileTopFunctions: sorted(fns).slice(0, 10), profileByCaller: sorted(callers).slice(0, 10), profileTotalMs: total };
}

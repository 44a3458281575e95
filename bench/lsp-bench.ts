/**
 * Language-server figures, measured from the outside over stdio like an editor would see them:
 * cold start (spawn → first non-empty publishDiagnostics for an opened migration), keystroke
 * latency (didChange with one-character incremental edits → the matching publishDiagnostics), and
 * memory after the server has scanned and linted the whole 3,000-migration workspace. Every
 * scenario returns either its figures or the reason it could not run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fileUri, LspServer, procMemory, type ContentChange, type ProcMemory, type PublishDiagnosticsParams } from './lsp-client';
import type { EditPoint } from './corpus';
import { msSince, sleep } from './stats';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

async function withServer<T>(serverJs: string, body: (s: LspServer) => Promise<T>): Promise<Outcome<T>> {
  let server: LspServer;
  try {
    server = LspServer.start(serverJs);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  try {
    return { ok: true, value: await body(server) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  } finally {
    await server.stop();
  }
}

const since = (start: bigint, at: bigint): number => Number(at - start) / 1e6;

export interface ColdStart {
  /** Spawn → exit of `node -e 0`: the floor any Node.js server pays. */
  nodeFloor: number[];
  toInitialized: number[];
  toDiagnostics: number[];
  diagnostics: number;
}

/** Spawns the server `rounds` times (after one unmeasured spawn) and opens `path` each time. */
export async function coldStart(serverJs: string, path: string, text: string, rounds: number): Promise<Outcome<ColdStart>> {
  const out: ColdStart = { nodeFloor: [], toInitialized: [], toDiagnostics: [], diagnostics: 0 };
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0']);
    out.nodeFloor.push(msSince(t0));
  }
  const uri = fileUri(path);
  for (let r = -1; r < rounds; r++) {
    const res = await withServer(serverJs, async (s) => {
      await s.initialize(null);
      const init = msSince(s.spawnedAt);
      await s.didOpen(uri, text);
      const pub = await s.waitForDiagnostics((p) => p.uri === uri && p.diagnostics.length > 0, 10_000, 0, 'non-empty publishDiagnostics for the opened file');
      return { init, diag: since(s.spawnedAt, pub.at), n: pub.params.diagnostics.length };
    });
    if (!res.ok) return res;
    if (r < 0) continue;
    out.toInitialized.push(res.value.init);
    out.toDiagnostics.push(res.value.diag);
    out.diagnostics = res.value.n;
  }
  return { ok: true, value: out };
}

export interface Keystrokes {
  latencies: number[];
  missed: number;
  sync: string;
  baseline: number;
  /** Edits after which the number of diagnostics differed from the baseline (should be 0). */
  changedCount: number;
}

/** Alternating insert/delete of one character at `points` (inside comments/strings), one at a time. */
export async function keystrokes(serverJs: string, path: string, text: string, points: readonly EditPoint[], edits: number, warmup: number): Promise<Outcome<Keystrokes>> {
  if (points.length === 0) return { ok: false, reason: 'the keystroke file has no edit points' };
  const uri = fileUri(path);
  return withServer(serverJs, async (s) => {
    await s.initialize(null);
    if (s.syncKind !== 1 && s.syncKind !== 2) throw new Error(`server announced textDocumentSync ${s.syncKind} (expected 1 or 2)`);
    await s.didOpen(uri, text);
    const first = await s.waitForDiagnostics((p) => p.uri === uri && p.diagnostics.length > 0, 10_000, 0, 'non-empty diagnostics for the opened file');
    const res: Keystrokes = { latencies: [], missed: 0, sync: s.syncKind === 2 ? 'incremental' : 'full (server announced Full sync)', baseline: first.params.diagnostics.length, changedCount: 0 };
    const lines = text.split('\n');
    let version = 1;
    for (let i = 0; i < warmup + edits; i++) {
      const pt = points[Math.floor(i / 2) % points.length]!;
      const insert = i % 2 === 0;
      const at = { line: pt.line, character: pt.character };
      const line = lines[pt.line]!;
      lines[pt.line] = insert ? line.slice(0, pt.character) + 'x' + line.slice(pt.character) : line.slice(0, pt.character) + line.slice(pt.character + 1);
      const change: ContentChange = s.syncKind === 2
        ? { range: { start: at, end: insert ? at : { line: pt.line, character: pt.character + 1 } }, text: insert ? 'x' : '' }
        : { text: lines.join('\n') };
      const v = ++version;
      const from = s.published.length;
      const t0 = process.hrtime.bigint();
      await s.didChange(uri, v, [change]);
      const matches = (p: PublishDiagnosticsParams): boolean => p.uri === uri && (p.version === undefined || p.version === null || p.version >= v);
      try {
        const pub = await s.waitForDiagnostics(matches, 3000, from, `publishDiagnostics for version ${v}`);
        if (i >= warmup) {
          res.latencies.push(since(t0, pub.at));
          if (pub.params.diagnostics.length !== res.baseline) res.changedCount++;
        }
      } catch (e) {
        if (!/within/.test((e as Error).message)) throw e;
        if (i >= warmup) res.missed++;
      }
    }
    if (res.latencies.length === 0) throw new Error(`no publishDiagnostics answered any of ${edits} edits`);
    return res;
  });
}

export interface WorkspaceScan {
  expected: number;
  reported: number;
  nonEmpty: number;
  /** Spawn → last publishDiagnostics (ms). */
  toLastDiagnostics: number;
  endedBy: string;
  memory: ProcMemory;
  /** Highest VmRSS seen while polling every 100 ms. */
  sampledPeakKb: number;
  /** The server's own log lines about the scan (window/logMessage mentioning "checked"). */
  serverSays: string[];
}

/**
 * Opens `root` as the workspace folder and waits until diagnostics for every expected file arrived
 * (or for every file the in-process engine found something in, then 1 s of quiet — a server may
 * publish nothing for clean files), or nothing arrived for `quietMs`; then reads its memory.
 */
export async function workspaceScan(serverJs: string, root: string, expected: readonly string[], withFindings: ReadonlySet<string>, quietMs = 5000, timeoutMs = 180_000): Promise<Outcome<WorkspaceScan>> {
  const want = new Set(expected);
  return withServer(serverJs, async (s) => {
    let peak = 0;
    const sample = (): void => {
      const m = procMemory(s.pid);
      if (m) peak = Math.max(peak, m.rssKb);
    };
    const poll = setInterval(sample, 100);
    try {
      await s.initialize(root);
      const seen = new Set<string>();
      const nonEmpty = new Set<string>();
      let scanned = 0;
      let endedBy = `timeout (${timeoutMs / 1000} s)`;
      for (;;) {
        for (; scanned < s.published.length; scanned++) {
          const p = s.published[scanned]!.params;
          let path: string;
          try {
            path = fileURLToPath(p.uri);
          } catch {
            continue;
          }
          if (!want.has(path)) continue;
          seen.add(path);
          if (p.diagnostics.length > 0) nonEmpty.add(path);
          else nonEmpty.delete(path);
        }
        if (seen.size >= want.size) {
          endedBy = 'all files';
          break;
        }
        const now = process.hrtime.bigint();
        const quiet = s.published.length > 0 ? since(s.lastPublishAt, now) : 0;
        if (quiet > 1000 && [...withFindings].every((f) => seen.has(f))) {
          endedBy = 'every file with findings reported, then 1 s without publishDiagnostics';
          break;
        }
        if (quiet > quietMs) {
          endedBy = `${quietMs / 1000} s without publishDiagnostics`;
          break;
        }
        if (since(s.spawnedAt, now) > timeoutMs) break;
        await sleep(20);
      }
      if (s.published.length === 0) throw new Error(`the server published no diagnostics for the workspace within ${timeoutMs / 1000} s`);
      sample();
      const memory = procMemory(s.pid);
      if (!memory) throw new Error(`cannot read /proc/${s.pid}/status`);
      return { expected: want.size, reported: seen.size, nonEmpty: nonEmpty.size, toLastDiagnostics: since(s.spawnedAt, s.lastPublishAt), endedBy, memory, sampledPeakKb: peak, serverSays: s.logMessages.filter((m) => /checked/i.test(m)) };
    } finally {
      clearInterval(poll);
    }
  });
}

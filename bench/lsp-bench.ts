/**
 * Language-server figures, measured from the outside over stdio like an editor would see them:
 *  - cold start: spawn → first non-empty publishDiagnostics for an opened migration, against
 *    spawn → exit of `node -e 0`; the server's code cache (server-entry.ts) warm, as at every
 *    start after the first, and, informational, with the cache off (a first start ever);
 *  - keystrokes: didChange with one-character incremental edits → the publishDiagnostics of that
 *    version, in a workspace whose scan has finished (the project view is built);
 *  - a burst: 2,000 edits to a ~1 MB migration sent back to back, then the time from the last
 *    one sent to the diagnostics of the last version;
 *  - the workspace session: the scan of every project folder (spawn → its last diagnostics, and
 *    the server's CPU when it is done, from /proc), then memory: RSS when the scan has settled,
 *    with ~100 large migrations open and edited, and 2 s after they are all closed.
 * Every scenario returns either its figures or the reason it could not run.
 */
import { fileURLToPath } from 'node:url';
import { fileUri, LspServer, procMemory, type ContentChange, type ProcMemory, type PublishDiagnosticsParams } from './lsp-client';
import { processCpuMs, timedNode } from './proc';
import type { EditPoint } from './corpus';
import { msSince, sleep } from './stats';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

async function withServer<T>(serverJs: string, body: (s: LspServer) => Promise<T>, env?: NodeJS.ProcessEnv): Promise<Outcome<T>> {
  let server: LspServer;
  try {
    server = LspServer.start(serverJs, env);
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
  /** CPU (user + system, all threads) of `node -e 0`, and of the server when its first diagnostics arrived (/proc, 10 ms ticks). */
  nodeFloorCpu: number[];
  cpuAtDiagnostics: number[];
  toInitialized: number[];
  toDiagnostics: number[];
  /** Spawn → first diagnostics with the code cache off (MIGRATION_GUARD_CODE_CACHE_DIR=''). */
  toDiagnosticsNoCache: number[];
  diagnostics: number;
}

/**
 * Spawns the server `rounds` times (after one unmeasured spawn, which fills the code cache in
 * `codeCacheDir` if it is empty) and opens `path` each time; then `rounds` more times with the
 * code cache off.
 */
export async function coldStart(serverJs: string, path: string, text: string, rounds: number, codeCacheDir: string): Promise<Outcome<ColdStart>> {
  const out: ColdStart = { nodeFloor: [], nodeFloorCpu: [], toInitialized: [], toDiagnostics: [], toDiagnosticsNoCache: [], cpuAtDiagnostics: [], diagnostics: 0 };
  for (let r = 0; r < 5; r++) {
    const floor = timedNode(['-e', '0']);
    out.nodeFloor.push(floor.wallMs);
    out.nodeFloorCpu.push(floor.cpuMs);
  }
  const uri = fileUri(path);
  for (let r = -1; r < 2 * rounds; r++) {
    const cached = r < rounds;
    const res = await withServer(serverJs, async (s) => {
      await s.initialize(null);
      const init = msSince(s.spawnedAt);
      await s.didOpen(uri, text);
      const pub = await s.waitForDiagnostics((p) => p.uri === uri && p.diagnostics.length > 0, 10_000, 0, 'non-empty publishDiagnostics for the opened file');
      return { init, diag: since(s.spawnedAt, pub.at), n: pub.params.diagnostics.length, cpu: processCpuMs(s.pid) };
    }, { ...process.env, MIGRATION_GUARD_CODE_CACHE_DIR: cached ? codeCacheDir : '' });
    if (!res.ok) return res;
    if (r < 0) continue;
    if (!cached) {
      out.toDiagnosticsNoCache.push(res.value.diag);
      continue;
    }
    out.toInitialized.push(res.value.init);
    out.toDiagnostics.push(res.value.diag);
    if (res.value.cpu !== null) out.cpuAtDiagnostics.push(res.value.cpu);
    out.diagnostics = res.value.n;
  }
  return { ok: true, value: out };
}


/** Waits for the first publishDiagnostics of `uri` after it is opened; returns how many diagnostics it had. */
async function open(s: LspServer, uri: string, text: string, timeoutMs = 30_000): Promise<number> {
  const from = s.published.length;
  await s.didOpen(uri, text);
  const pub = await s.waitForDiagnostics((p) => p.uri === uri, timeoutMs, from, `publishDiagnostics for the opened ${uri.split('/').pop()}`);
  return pub.params.diagnostics.length;
}

interface Typed {
  /** ms from didChange written to the publishDiagnostics of its version, measured edits only. */
  latencies: number[];
  missed: number;
  /** Edits after which the number of diagnostics differed from `baseline` (should be 0). */
  changedCount: number;
  version: number;
}

/**
 * One-character insert then delete at each point in turn (the file comes back to its text every
 * second edit), each awaited: didChange → the first publishDiagnostics carrying that version (or
 * a later one). The first `warmup` edits are not measured.
 */
async function typeAt(s: LspServer, uri: string, text: string, points: readonly EditPoint[], edits: number, warmup: number, baseline: number, firstVersion: number, waitMs = 3000): Promise<Typed> {
  const lines = text.split('\n');
  const res: Typed = { latencies: [], missed: 0, changedCount: 0, version: firstVersion };
  let answered = 0;
  for (let i = 0; i < warmup + edits; i++) {
    const pt = points[Math.floor(i / 2) % points.length]!;
    const insert = i % 2 === 0;
    const at = { line: pt.line, character: pt.character };
    const line = lines[pt.line]!;
    lines[pt.line] = insert ? line.slice(0, pt.character) + 'x' + line.slice(pt.character) : line.slice(0, pt.character) + line.slice(pt.character + 1);
    const change: ContentChange = s.syncKind === 2
      ? { range: { start: at, end: insert ? at : { line: pt.line, character: pt.character + 1 } }, text: insert ? 'x' : '' }
      : { text: lines.join('\n') };
    const v = ++res.version;
    const from = s.published.length;
    const t0 = process.hrtime.bigint();
    await s.didChange(uri, v, [change]);
    const matches = (p: PublishDiagnosticsParams): boolean => p.uri === uri && (p.version === undefined || p.version === null || p.version >= v);
    try {
      const pub = await s.waitForDiagnostics(matches, waitMs, from, `publishDiagnostics for version ${v}`);
      answered++;
      if (i >= warmup) {
        res.latencies.push(since(t0, pub.at));
        if (pub.params.diagnostics.length !== baseline) res.changedCount++;
      }
    } catch (e) {
      if (!/within/.test((e as Error).message)) throw e;
      if (i >= warmup) res.missed++;
      // A server that answers none of the first edits will answer none: do not wait 3 s × every edit.
      if (i >= 2 && answered === 0) throw new Error(`no publishDiagnostics answered the first 3 edits of ${uri.split('/').pop()}`);
    }
  }
  return res;
}

export interface ScanSettled {
  /** How the wait ended. */
  endedBy: string;
  /** Files (of `expected`) that got diagnostics, and of those with findings at the end. */
  reported: number;
  nonEmpty: number;
  /** Spawn → last publishDiagnostics, ms. */
  toLastDiagnostics: number;
  /** Spawn → the server's "checked N migrations" log line, ms (null: it said nothing). */
  toScanDone: number | null;
  serverSays: string[];
}

/**
 * Waits until the server says its scan is done ("checked N migrations …" in window/logMessage),
 * then for 300 ms of quiet; a server that does not say so is waited for until every file the
 * in-process engine found something in has diagnostics and 1 s passes quietly, or `quietMs` pass
 * without diagnostics.
 */
async function settleScan(s: LspServer, expected: readonly string[], withFindings: ReadonlySet<string>, quietMs: number, timeoutMs: number): Promise<ScanSettled> {
  const want = new Set(expected);
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
    const now = process.hrtime.bigint();
    const quiet = s.published.length > 0 ? since(s.lastPublishAt, now) : 0;
    if (s.scanDone.length > 0 && since(s.scanDone[s.scanDone.length - 1]!.at, now) > 300 && quiet > 300) {
      endedBy = 'the server said its scan was done, then 300 ms without publishDiagnostics';
      break;
    }
    if (s.scanDone.length === 0 && quiet > 1000 && withFindings.size > 0 && [...withFindings].every((f) => seen.has(f))) {
      endedBy = 'every file with findings reported, then 1 s without publishDiagnostics';
      break;
    }
    if (s.scanDone.length === 0 && quiet > quietMs) {
      endedBy = `${quietMs / 1000} s without publishDiagnostics`;
      break;
    }
    if (since(s.spawnedAt, now) > timeoutMs) break;
    await sleep(20);
  }
  if (s.published.length === 0 && s.scanDone.length === 0) throw new Error(`the server published no diagnostics for the workspace within ${timeoutMs / 1000} s`);
  const done = s.scanDone[0];
  return {
    endedBy, reported: seen.size, nonEmpty: nonEmpty.size, toLastDiagnostics: since(s.spawnedAt, s.lastPublishAt),
    toScanDone: done ? since(s.spawnedAt, done.at) : null, serverSays: s.scanDone.map((d) => d.text),
  };
}

export interface KeystrokeTarget {
  label: string;
  path: string;
  text: string;
  lines: number;
  points: EditPoint[];
}

export interface Keystrokes {
  target: KeystrokeTarget;
  latencies: number[];
  missed: number;
  sync: string;
  baseline: number;
  changedCount: number;
}

export interface KeystrokeSession {
  /** The scan of `root` before typing (null: no workspace folder). */
  scan: ScanSettled | null;
  results: Outcome<Keystrokes>[];
}

/**
 * One server with `root` as its workspace folder (or none): waits for its scan to settle, then
 * opens each target in turn and types in it (`warmup` unmeasured edits, then `edits` measured).
 */
export async function keystrokeSession(serverJs: string, root: string | null, expected: readonly string[], withFindings: ReadonlySet<string>, targets: readonly KeystrokeTarget[], edits: number, warmup: number): Promise<Outcome<KeystrokeSession>> {
  return withServer(serverJs, async (s) => {
    await s.initialize(root);
    if (s.syncKind !== 1 && s.syncKind !== 2) throw new Error(`server announced textDocumentSync ${s.syncKind} (expected 1 or 2)`);
    const scan = root ? await settleScan(s, expected, withFindings, 5000, 300_000) : null;
    const results: Outcome<Keystrokes>[] = [];
    for (const target of targets) {
      if (target.points.length === 0) {
        results.push({ ok: false, reason: `${target.path} has no place to type in (no comment or string)` });
        continue;
      }
      const uri = fileUri(target.path);
      try {
        const baseline = await open(s, uri, target.text);
        const typed = await typeAt(s, uri, target.text, target.points, edits, warmup, baseline, 1);
        if (typed.latencies.length === 0) throw new Error(`no publishDiagnostics answered any of ${edits} edits`);
        results.push({ ok: true, value: { target, latencies: typed.latencies, missed: typed.missed, changedCount: typed.changedCount, baseline, sync: s.syncKind === 2 ? 'incremental' : 'full (server announced Full sync)' } });
        await s.didClose(uri);
      } catch (e) {
        results.push({ ok: false, reason: (e as Error).message });
      }
    }
    return { scan, results };
  });
}

export interface Burst {
  edits: number;
  /** Open → first diagnostics of the big file, ms. */
  openMs: number;
  diagnostics: number;
  /** First edit handed to the connection → last one written to the server's stdin, ms. */
  sendMs: number;
  /** Last edit written → publishDiagnostics of the last version, ms; null: none within the timeout. */
  settleMs: number | null;
  timeoutMs: number;
  /** Versions of the file the server published diagnostics for after the first edit (coalescing: few). */
  versionsPublished: number;
  /** Highest version published when the wait ended. */
  lastPublished: number;
}

/**
 * Opens `text` (no workspace folder), then sends `edits` one-character inserts typed at `point`
 * back to back without waiting for anything, and times the last one sent → the diagnostics of
 * the last version.
 */
export async function burst(serverJs: string, path: string, text: string, point: EditPoint, edits: number, timeoutMs: number): Promise<Outcome<Burst>> {
  const uri = fileUri(path);
  return withServer(serverJs, async (s) => {
    await s.initialize(null);
    if (s.syncKind !== 2) throw new Error(`server announced textDocumentSync ${s.syncKind}: the burst needs incremental sync`);
    const t0 = process.hrtime.bigint();
    const diagnostics = await open(s, uri, text, 120_000);
    const openMs = msSince(t0);
    const from = s.published.length;
    const last = 1 + edits;
    const t1 = process.hrtime.bigint();
    let lastSent: Promise<void> = Promise.resolve();
    for (let i = 0; i < edits; i++) {
      const at = { line: point.line, character: point.character + i };
      lastSent = s.didChange(uri, 2 + i, [{ range: { start: at, end: at }, text: 'x' }]);
      if (i < edits - 1) lastSent.catch(() => undefined); // a dead server is reported by the wait below
    }
    await lastSent;
    const sentAt = process.hrtime.bigint();
    let settleMs: number | null = null;
    try {
      const pub = await s.waitForDiagnostics((p) => p.uri === uri && typeof p.version === 'number' && p.version >= last, timeoutMs, from, `publishDiagnostics for version ${last}`);
      settleMs = since(sentAt, pub.at);
    } catch (e) {
      if (!/within/.test((e as Error).message)) throw e;
    }
    const mine = s.published.slice(from).filter((p) => p.params.uri === uri);
    return {
      edits, openMs, diagnostics, sendMs: since(t1, sentAt), settleMs, timeoutMs,
      versionsPublished: new Set(mine.map((p) => p.params.version)).size,
      lastPublished: Math.max(1, ...mine.map((p) => (typeof p.params.version === 'number' ? p.params.version : 0))),
    };
  });
}

export interface RssDoc {
  path: string;
  text: string;
  points: EditPoint[];
}

export interface MemoryRound {
  docs: number;
  edits: number;
  missed: number;
  /** Server RSS with every document open and edited, and 2 s after they were all closed (kB). */
  openKb: number;
  endKb: number;
  /**
   * RSS sampled every 100 ms for `settleMs` after closing: the last sample (kB), and when RSS was
   * first within 10% of the start-up value (ms after the last close; null: never in the window).
   * V8 gives pages back to the system a while after the collections that free them.
   */
  settledKb: number;
  backWithinMs: number | null;
  /** The server's peak RSS (VmHWM) at the end (kB). */
  endHwmKb: number;
}

export interface WorkspaceSession {
  folders: number;
  expected: number;
  scan: ScanSettled;
  /** Server CPU (user + system) when the scan had settled, ms; null where /proc cannot say. */
  cpuMs: number | null;
  /** Memory when the scan had settled: the start-up value. */
  memory: ProcMemory;
  /** Highest RSS sampled every 100 ms until the scan had settled (kB). */
  sampledPeakKb: number;
  rss: Outcome<MemoryRound>;
}

/**
 * One server over every project folder: waits for the scan to settle, reads its CPU and memory,
 * then opens every document of `docs` (they stay open), makes `editsPerDoc` edits in each (each
 * awaited), closes them all, and reads its memory every 100 ms for `settleMs` (the reading at
 * `afterCloseMs` kept as before).
 */
export async function workspaceSession(serverJs: string, roots: readonly string[], expected: readonly string[], withFindings: ReadonlySet<string>, docs: readonly RssDoc[], editsPerDoc = 4, afterCloseMs = 2000, settleMs = 10_000): Promise<Outcome<WorkspaceSession>> {
  return withServer(serverJs, async (s) => {
    let peak = 0;
    const sample = (): void => {
      const m = procMemory(s.pid);
      if (m) peak = Math.max(peak, m.rssKb);
    };
    const poll = setInterval(sample, 100);
    try {
      await s.initialize(roots);
      const scan = await settleScan(s, expected, withFindings, 5000, 300_000);
      const cpuMs = processCpuMs(s.pid);
      sample();
      const scanPeakKb = peak;
      const memory = procMemory(s.pid);
      if (!memory) throw new Error(`cannot read /proc/${s.pid}/status`);
      let rss: Outcome<MemoryRound>;
      try {
        const round: MemoryRound = { docs: 0, edits: 0, missed: 0, openKb: 0, endKb: 0, endHwmKb: 0, settledKb: 0, backWithinMs: null };
        const opened: string[] = [];
        for (const d of docs) {
          if (d.points.length === 0) continue;
          const uri = fileUri(d.path);
          const baseline = await open(s, uri, d.text);
          opened.push(uri);
          const typed = await typeAt(s, uri, d.text, d.points, editsPerDoc, 0, baseline, 1);
          round.edits += typed.latencies.length;
          round.missed += typed.missed;
        }
        round.docs = opened.length;
        round.openKb = procMemory(s.pid)?.rssKb ?? 0;
        for (const uri of opened) await s.didClose(uri);
        const closed = performance.now();
        let end: ReturnType<typeof procMemory> = null;
        for (let at = 0; at <= settleMs; at = performance.now() - closed) {
          const now = procMemory(s.pid);
          if (!now) throw new Error(`cannot read /proc/${s.pid}/status after closing the documents`);
          if (round.backWithinMs === null && now.rssKb <= memory.rssKb * 1.1) round.backWithinMs = at;
          if (end === null && at >= afterCloseMs) end = now;
          round.settledKb = now.rssKb;
          round.endHwmKb = now.hwmKb;
          await sleep(100);
        }
        if (!end) throw new Error('no RSS sample after closing the documents');
        round.endKb = end.rssKb;
        rss = { ok: true, value: round };
      } catch (e) {
        rss = { ok: false, reason: (e as Error).message };
      }
      return { folders: roots.length, expected: expected.length, scan, cpuMs, memory, sampledPeakKb: scanPeakKb, rss };
    } finally {
      clearInterval(poll);
    }
  });
}

/**
 * CPU and wall time of whole processes, from Linux's /proc: the CPU this process's waited-for
 * children used (cutime + cstime of /proc/self/stat, which count a child only once it has been
 * reaped, with its own reaped children and all its threads), and the CPU a live process used so
 * far (utime + stime of /proc/<pid>/stat). Both are in clock ticks (getconf CLK_TCK, 100 on
 * Linux: 10 ms resolution), so they are meant for runs of a second or more.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { msSince } from './stats';

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), 100 when getconf is missing. */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    ticks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticks;
}

/** Fields of /proc/<pid>/stat from field 3 (state) on; the command name may hold spaces. */
function statFields(pid: number | 'self'): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).trim().split(/\s+/);
}

/** Field n (1-based, as proc(5) numbers them) of /proc/<pid>/stat. */
const field = (f: string[], n: number): number => Number(f[n - 3]);

/** CPU (user + system) of this process's reaped children so far, in ms. */
export function childrenCpuMs(): number {
  const f = statFields('self');
  return ((field(f, 16) + field(f, 17)) * 1000) / clockTicks();
}

/** CPU (user + system) process `pid` used so far, in ms; null when it cannot be read. */
export function processCpuMs(pid: number): number | null {
  try {
    const f = statFields(pid);
    return ((field(f, 14) + field(f, 15)) * 1000) / clockTicks();
  } catch {
    return null;
  }
}

export interface Run {
  wallMs: number;
  cpuMs: number;
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/**
 * Runs `node args…` to its end and times it: wall clock around spawnSync, CPU from the change of
 * this process's children's CPU (spawnSync has reaped it when it returns, and nothing else of
 * ours runs meanwhile: spawnSync blocks the event loop).
 */
export function timedNode(args: readonly string[], options: SpawnSyncOptions = {}): Run {
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  const wallMs = msSince(t0);
  const cpuMs = childrenCpuMs() - cpu0;
  return {
    wallMs, cpuMs, status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''),
    ...(r.error ? { error: r.error.message } : {}),
  };
}

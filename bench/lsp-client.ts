/**
 * A minimal LSP client for the benchmark, on vscode-jsonrpc's stream reader/writer (standard
 * Content-Length framing, nothing hand-rolled). Spawns `node dist/server.js --stdio`, answers the
 * requests a server may send to its client as VS Code would with no settings (configuration →
 * null per item), timestamps every publishDiagnostics on arrival with process.hrtime.bigint(),
 * and turns a dead or silent server into an error that says why. Also reads a process's memory
 * from /proc (its CPU: proc.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams, Range, TextDocumentContentChangeEvent } from 'vscode-languageserver';

export type { PublishDiagnosticsParams, Range };
export interface Published {
  params: PublishDiagnosticsParams;
  /** process.hrtime.bigint() when the notification was dispatched to us. */
  at: bigint;
}
export type ContentChange = TextDocumentContentChangeEvent;

interface Waiter {
  pred: (p: PublishDiagnosticsParams) => boolean;
  resolve: (p: Published) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export const fileUri = (path: string): string => pathToFileURL(path).href;

export class LspServer {
  readonly published: Published[] = [];
  /** window/logMessage texts from the server, most recent last (at most 200). */
  readonly logMessages: string[] = [];
  /** Every window/logMessage that says the workspace scan is done ("checked N migrations …"), with its arrival time. */
  readonly scanDone: { text: string; at: bigint }[] = [];
  /** Text document sync kind the server announced (1 full, 2 incremental), once initialized. */
  syncKind = 0;
  lastPublishAt = 0n;
  private readonly waiters = new Set<Waiter>();
  private readonly stderr: string[] = [];
  private exitInfo: string | null = null;
  private folders: { uri: string; name: string }[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: MessageConnection,
    readonly spawnedAt: bigint,
  ) {}

  /** Spawns the server; throws (with a reason) only when the file is missing. */
  static start(serverJs: string, env: NodeJS.ProcessEnv = process.env): LspServer {
    if (!existsSync(serverJs)) throw new Error(`${serverJs} does not exist (npm run build has not produced it)`);
    const spawnedAt = process.hrtime.bigint();
    const proc = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const server = new LspServer(proc, conn, spawnedAt);
    server.wire();
    conn.listen();
    return server;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  private wire(): void {
    const { proc, conn } = this;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      this.stderr.push(...d.split('\n').filter((l) => l.trim()));
      if (this.stderr.length > 20) this.stderr.splice(0, this.stderr.length - 20);
    });
    proc.on('error', (e) => this.fail(`could not start: ${e.message}`));
    proc.on('exit', (code, signal) => this.fail(`server exited (${signal ?? `code ${code}`})${this.stderrTail()}`));
    proc.stdin!.on('error', () => undefined); // EPIPE after the server died; 'exit' reports it
    conn.onError(([e]) => this.fail(`connection error: ${e.message}`));
    conn.onRequest((method, params) => {
      switch (method) {
        case 'workspace/configuration':
          return ((params as { items?: unknown[] } | undefined)?.items ?? []).map(() => null);
        case 'workspace/workspaceFolders':
          return this.folders;
        default:
          return null; // registerCapability, workDoneProgress/create, showMessageRequest, …
      }
    });
    conn.onNotification((method, params) => {
      if (method === 'window/logMessage') {
        const text = String((params as { message?: unknown } | undefined)?.message ?? '');
        this.logMessages.push(text);
        if (this.logMessages.length > 200) this.logMessages.shift();
        if (/\bchecked \d+ migrations?\b/i.test(text)) this.scanDone.push({ text, at: process.hrtime.bigint() });
      }
      if (method !== 'textDocument/publishDiagnostics') return;
      const p: Published = { params: params as PublishDiagnosticsParams, at: process.hrtime.bigint() };
      this.lastPublishAt = p.at;
      this.published.push(p);
      for (const w of this.waiters) {
        if (w.pred(p.params)) {
          this.waiters.delete(w);
          clearTimeout(w.timer);
          w.resolve(p);
        }
      }
    });
  }

  private stderrTail(): string {
    return this.stderr.length ? `; stderr: ${this.stderr.slice(-3).join(' | ').slice(0, 400)}` : '';
  }

  private fail(reason: string): void {
    this.exitInfo ??= reason;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(reason));
    }
    this.waiters.clear();
  }

  /** initialize + initialized; `roots` are the workspace folders the server should scan (none: null or []). */
  async initialize(roots: string | readonly string[] | null, timeoutMs = 15_000): Promise<void> {
    const list = roots === null ? [] : typeof roots === 'string' ? [roots] : [...roots];
    this.folders = list.map((r) => ({ uri: fileUri(r), name: basename(r) }));
    const root = list[0] ?? null;
    const params = {
      processId: process.pid,
      clientInfo: { name: 'migration-guard-bench', version: '1' },
      rootPath: root,
      rootUri: root ? fileUri(root) : null,
      workspaceFolders: list.length ? this.folders : null,
      capabilities: {
        textDocument: {
          synchronization: { dynamicRegistration: false, didSave: true },
          publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true },
        },
        workspace: { configuration: true, workspaceFolders: true },
        window: { workDoneProgress: false },
      },
    };
    const result = await this.within(this.conn.sendRequest('initialize', params), timeoutMs, 'no response to initialize');
    const sync = (result as { capabilities?: { textDocumentSync?: number | { change?: number } } }).capabilities?.textDocumentSync;
    this.syncKind = typeof sync === 'number' ? sync : (sync?.change ?? 0);
    await this.conn.sendNotification('initialized', {});
  }

  async didOpen(uri: string, text: string, version = 1): Promise<void> {
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  }

  /** Resolves once the message is written to the server's stdin. */
  async didChange(uri: string, version: number, contentChanges: ContentChange[]): Promise<void> {
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  async didClose(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** The first publishDiagnostics from index `from` on that satisfies `pred`. */
  waitForDiagnostics(pred: (p: PublishDiagnosticsParams) => boolean, timeoutMs: number, from = 0, what = 'diagnostics'): Promise<Published> {
    for (let i = from; i < this.published.length; i++) if (pred(this.published[i]!.params)) return Promise.resolve(this.published[i]!);
    if (this.exitInfo) return Promise.reject(new Error(this.exitInfo));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred, resolve, reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`no ${what} within ${timeoutMs} ms${this.stderrTail()}`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  private within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    if (this.exitInfo) return Promise.reject(new Error(this.exitInfo));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${what} within ${timeoutMs} ms${this.stderrTail()}`)), timeoutMs);
      // A waiter that never matches: fail() rejects it when the server dies first.
      const death: Waiter = { pred: () => false, resolve: () => undefined, reject: (e) => done(e), timer };
      this.waiters.add(death);
      const done = (err: Error | null, value?: T): void => {
        clearTimeout(timer);
        this.waiters.delete(death);
        if (err) reject(err);
        else resolve(value as T);
      };
      p.then((v) => done(null, v), (e: Error) => done(e));
    });
  }

  /** shutdown + exit; kills this process (by its own handle) if it does not leave in time. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null && !this.exitInfo) {
      try {
        await this.within(this.conn.sendRequest('shutdown'), 3000, 'no response to shutdown');
        await this.conn.sendNotification('exit');
      } catch {
        // fall through to kill
      }
    }
    const exited = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.exitInfo ??= 'stopped';
    this.conn.dispose();
  }
}

export interface ProcMemory {
  rssKb: number;
  hwmKb: number;
  /** Summed VmRSS of child processes (recursively), if the server spawned any. */
  childrenRssKb: number;
  children: number;
}

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) if (tid) out.push(Number(tid));
  } catch {
    // no children file (older kernels) or process gone
  }
  return out;
}

/** VmRSS / VmHWM of `pid` from /proc (Linux), plus its descendants' RSS; null where unavailable. */
export function procMemory(pid: number): ProcMemory | null {
  try {
    const s = status(pid);
    let childrenRssKb = 0;
    let children = 0;
    const queue = childPids(pid);
    while (queue.length) {
      const c = queue.shift()!;
      try {
        childrenRssKb += status(c)['VmRSS'] ?? 0;
        children++;
        queue.push(...childPids(c));
      } catch {
        // exited meanwhile
      }
    }
    return { rssKb: s['VmRSS'] ?? 0, hwmKb: s['VmHWM'] ?? 0, childrenRssKb, children };
  } catch {
    return null;
  }
}

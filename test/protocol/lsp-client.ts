/**
 * A real JSON-RPC client for protocol tests: spawns the bundled server (dist/server.js) over
 * stdio, answers the requests a server makes of an editor (configuration, progress, registration)
 * and lets tests wait for published diagnostics by polling, never by sleeping a fixed time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, PublishDiagnosticsParams, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { applyEdits } from '../helpers/apply-edits';
import { DIST } from '../helpers/paths';

export interface ClientOptions {
  workspaceFolders?: string[];
  /** The `migrationGuard` section returned for workspace/configuration, per scope URI ('' = global). */
  settings?: (scopeUri: string | undefined) => unknown;
  progress?: boolean;
  /** Answer workspace/applyEdit by applying the edit to the files on disk, as an editor would save it. */
  applyEditsToDisk?: boolean;
  /** Declare workspace.workspaceEdit.documentChanges (versioned document edits), as VS Code does. */
  documentChanges?: boolean;
  /** What the client sends as initializationOptions (the VS Code client: whether the workspace is trusted). */
  initializationOptions?: unknown;
  /** The server process's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export class TestClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly publishCount = new Map<string, number>();
  readonly progress: Array<{ kind: string; message?: string }> = [];
  readonly logs: string[] = [];
  readonly appliedEdits: WorkspaceEdit[] = [];
  readonly messages: Array<{ type: number; message: string }> = [];
  private waiters: Array<() => void> = [];
  /** What the server answered to initialize (its capabilities). */
  initializeResult: { capabilities: Record<string, unknown> } | null = null;

  private constructor(
    readonly process: ChildProcess,
    readonly connection: MessageConnection,
  ) {}

  static async start(options: ClientOptions = {}): Promise<TestClient> {
    const child = spawn(process.execPath, [join(DIST, 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new TestClient(child, connection);
    connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      client.diagnostics.set(p.uri, p);
      client.publishCount.set(p.uri, (client.publishCount.get(p.uri) ?? 0) + 1);
      client.wake();
    });
    connection.onNotification('window/logMessage', (p: { message: string }) => {
      client.logs.push(p.message);
      client.wake();
    });
    connection.onNotification('$/progress', (p: { value: { kind: string; message?: string } }) => {
      client.progress.push(p.value);
      client.wake();
    });
    connection.onRequest('workspace/configuration', (p: { items: Array<{ scopeUri?: string; section?: string }> }) =>
      p.items.map((item) => options.settings?.(item.scopeUri) ?? {}),
    );
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('workspace/applyEdit', (params: unknown): { applied: boolean; failureReason?: string } => {
      const p = params as { edit: WorkspaceEdit };
      client.appliedEdits.push(p.edit);
      if (!options.applyEditsToDisk) return { applied: false, failureReason: 'test client: edits not applied' };
      try {
        applyToDisk(p.edit);
        return { applied: true };
      } catch (e) {
        return { applied: false, failureReason: String(e) };
      }
    });
    connection.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      client.messages.push(p);
      client.wake();
    });
    connection.onRequest('window/showMessageRequest', (p: { type: number; message: string }) => {
      client.messages.push(p);
      client.wake();
      return null;
    });
    connection.onRequest('client/registerCapability', () => null);
    connection.listen();
    const folders = options.workspaceFolders ?? [];
    client.initializeResult = await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folders[0] ? pathToFileURL(folders[0]).href : null,
      workspaceFolders: folders.map((f) => ({ uri: pathToFileURL(f).href, name: f })),
      ...(options.initializationOptions !== undefined ? { initializationOptions: options.initializationOptions } : {}),
      capabilities: {
        workspace: {
          configuration: !!options.settings,
          didChangeWatchedFiles: { dynamicRegistration: true },
          workspaceFolders: true,
          workspaceEdit: { documentChanges: options.documentChanges ?? false },
        },
        window: { workDoneProgress: options.progress ?? false },
        textDocument: { publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true } },
      },
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `predicate` holds, re-checking on every message from the server. */
  async waitFor<T>(predicate: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}\nlogs:\n${this.logs.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the next publish for `uri` after `after` publishes, then returns its diagnostics. */
  async nextDiagnostics(uri: string, after: number): Promise<Diagnostic[]> {
    return this.waitFor(() => ((this.publishCount.get(uri) ?? 0) > after ? this.diagnostics.get(uri)?.diagnostics : undefined), `diagnostics for ${uri}`);
  }

  count(uri: string): number {
    return this.publishCount.get(uri) ?? 0;
  }

  async open(uri: string, text: string, version = 1): Promise<Diagnostic[]> {
    const before = this.count(uri);
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
    return this.nextDiagnostics(uri, before);
  }

  async change(uri: string, version: number, contentChanges: unknown[]): Promise<Diagnostic[]> {
    const before = this.count(uri);
    await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
    return this.nextDiagnostics(uri, before);
  }

  async close(uri: string): Promise<Diagnostic[]> {
    const before = this.count(uri);
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    return this.nextDiagnostics(uri, before);
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    this.connection.dispose();
    this.process.kill();
  }
}

/** Applies a WorkspaceEdit's document changes to files on disk; creating an existing file fails. */
function applyToDisk(edit: WorkspaceEdit): void {
  for (const change of edit.documentChanges ?? []) {
    if ('kind' in change) {
      if (change.kind !== 'create') throw new Error(`unsupported resource operation ${change.kind}`);
      const file = fileURLToPath(change.uri);
      if (existsSync(file) && !change.options?.overwrite) throw new Error(`${file} exists`);
      writeFileSync(file, '');
      continue;
    }
    const file = fileURLToPath(change.textDocument.uri);
    const edits = change.edits.filter((e): e is TextEdit => !('snippet' in e));
    writeFileSync(file, applyEdits(readFileSync(file, 'utf8'), edits));
  }
}

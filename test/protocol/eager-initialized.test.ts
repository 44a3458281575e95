/**
 * A client that sends `initialized` before the initialize result arrived (the protocol says it
 * should wait; not every client does) still gets a whole workspace scan. The parser is made slow
 * to arrive here, so the scan would start without it if the server did not wait: files read then
 * counted as no migration, and the project view was never built (no graph findings at all).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { createConnection } from 'vscode-languageserver/node';
import { compileGrammar } from '../../server/src/analysis/parser';
import { startServer } from '../../server/src/protocol/server';
import { FIXTURES, GRAMMAR_PATHS } from '../helpers/paths';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('language server: start-up order', () => {
  it('scans the whole project for a client that says initialized before the initialize result arrived', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-eager-'));
    temps.push(root);
    cpSync(join(FIXTURES, 'projects/conflict'), root, { recursive: true });

    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(fromServer));
    // The compiled grammar arrives 300 ms late: `initialized` is handled long before it.
    const compiled = compileGrammar(GRAMMAR_PATHS).then((c) => new Promise<typeof c>((r) => setTimeout(() => r(c), 300)));
    startServer(server, { grammar: GRAMMAR_PATHS, compiled });

    const client = createMessageConnection(new StreamMessageReader(fromServer), new StreamMessageWriter(toServer));
    const logs: string[] = [];
    const diagnostics = new Map<string, string[]>();
    let wake = (): void => undefined;
    client.onNotification('window/logMessage', (p: { message: string }) => {
      logs.push(p.message);
      wake();
    });
    client.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Array<{ code?: string | number }> }) => {
      diagnostics.set(p.uri, p.diagnostics.map((d) => String(d.code)).sort());
      wake();
    });
    client.onRequest('client/registerCapability', () => null);
    client.listen();
    const uri = pathToFileURL(root).href;
    const initialize = client.sendRequest('initialize', { processId: null, rootUri: uri, workspaceFolders: [{ uri, name: 'w' }], capabilities: {} });
    await client.sendNotification('initialized', {});
    await initialize;

    const company = pathToFileURL(join(root, 'crm/migrations/0003_contact_company.py')).href;
    const deadline = Date.now() + 20_000;
    while (!(logs.some((l) => /^checked \d+ migrations/.test(l)) && diagnostics.get(company)?.includes('conflicting-migrations')) && Date.now() < deadline) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
    try {
      assert.match(logs.find((l) => /^checked \d+ migrations/.test(l)) ?? '(no scan)', /^checked 4 migrations/);
      assert.deepEqual(diagnostics.get(company), ['add-field-not-null', 'conflicting-migrations']);
    } finally {
      client.dispose();
      server.dispose();
    }
  });
});

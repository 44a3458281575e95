/**
 * The VS Code side: starts the bundled language server over stdio, gives it an output channel,
 * and registers the commands. Everything else happens in the server.
 */
import * as path from 'node:path';
import { commands, Uri, window, workspace, type ExtensionContext, type LogOutputChannel } from 'vscode';
import { ExecuteCommandRequest, LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { committedUpstream } from './git';

const CLIENT_ID = 'migrationGuard';
const CLIENT_NAME = 'Django Migration Guard';

let client: LanguageClient | undefined;
let output: LogOutputChannel | undefined;

function createClient(context: ExtensionContext, channel: LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const clientOptions: LanguageClientOptions = {
    // Python documents from disk and unsaved buffers; the server decides which are migrations.
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    // Settings are pulled by the server (workspace/configuration), which registers for change
    // notifications itself; also pushing them here would lint everything twice per change.
    outputChannel: channel,
    traceOutputChannel: channel,
    // Only in a trusted workspace does the server ask git which migrations shipped together (a
    // repository's own configuration could start programs); asked again at each (re)start.
    initializationOptions: () => ({ trusted: workspace.isTrusted }),
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}

export async function activate(context: ExtensionContext): Promise<void> {
  output = window.createOutputChannel(CLIENT_NAME, { log: true });
  context.subscriptions.push(output);
  client = createClient(context, output);
  context.subscriptions.push(
    commands.registerCommand('migrationGuard.restartServer', async () => {
      if (!client || !output) return;
      output.appendLine('Restarting the language server…');
      await client.stop().catch((e: unknown) => output?.appendLine(`stop failed: ${String(e)}`));
      client = createClient(context, output);
      await client.start();
    }),
    commands.registerCommand('migrationGuard.showOutput', () => output?.show(true)),
    commands.registerCommand('migrationGuard.splitMigration', (target?: Uri | string) => splitMigration(target)),
    workspace.onDidGrantWorkspaceTrust(() => {
      output?.appendLine('Workspace trusted: git is now asked which migrations shipped together (the extension never runs workspace code).');
      void client?.sendNotification('migrationGuard/workspaceTrusted').catch((e: unknown) => output?.appendLine(`notify failed: ${String(e)}`));
    }),
  );
  await client.start();
}

/**
 * "Django Migrations: Split Migration": confirms when git says the file is already committed
 * upstream (a migration applied somewhere would run its new parts again), then asks the server,
 * which applies the split as one undoable edit.
 */
async function splitMigration(target?: Uri | string): Promise<void> {
  const uri = typeof target === 'string' ? Uri.parse(target) : (target ?? window.activeTextEditor?.document.uri);
  if (!uri || !client) {
    void window.showErrorMessage('Split Migration: open a migration file first.');
    return;
  }
  const where = await committedUpstream(uri.fsPath, workspace.isTrusted);
  if (where) {
    const answer = await window.showWarningMessage(
      `${path.basename(uri.fsPath)} is already committed${where === 'untrusted' ? ' (git is not consulted in an untrusted workspace)' : ` on ${where}`}. ` +
        'If it has been applied to a database, the new migrations will run there again. Split it anyway?',
      { modal: true },
      'Split',
    );
    if (answer !== 'Split') return;
  }
  await client.sendRequest(ExecuteCommandRequest.type, { command: 'migrationGuard.applySplit', arguments: [uri.toString()] });
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

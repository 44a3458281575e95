/**
 * Entry point of the bundled language server (dist/server.js): creates the stdio connection and
 * starts the server with the .wasm files that sit beside the bundle.
 */
import { join } from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { compileGrammar } from './analysis/parser';
import { startServer } from './protocol/server';

const grammar = {
  runtimeWasm: join(__dirname, 'web-tree-sitter.wasm'),
  pythonWasm: join(__dirname, 'tree-sitter-python.wasm'),
};
// Compiled off the main thread while the connection is set up and `initialize` is on its way;
// the server only instantiates it (a failure here is reported when `initialize` awaits it).
const compiled = compileGrammar(grammar);
compiled.catch(() => undefined);

const connection = createConnection(ProposedFeatures.all);

// Last line of defence: log and keep serving the other documents.
process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e.stack ?? e.message}`));
process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));

startServer(connection, { grammar, compiled });

/**
 * dist/server.js: starts the language server (dist/server-core.js, from server-main.ts) through
 * V8's code cache (code-cache.ts); a session with no usable cache writes it when it exits, so it
 * holds every function that session compiled.
 */
import { join } from 'node:path';
import { runWithCodeCache } from './code-cache';

const { save } = runWithCodeCache(join(__dirname, 'server-core.js'));
process.once('exit', save);

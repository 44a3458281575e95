/**
 * dist/cli.js, the `migration-guard` command: runs the CLI (dist/cli-core.js, from main.ts) through
 * V8's code cache (code-cache.ts). Compiling the 1.4 MB bundle is a fifth of what a pre-commit
 * hook's check of one file costs. A run that read migrations, with no usable cache, writes it at
 * its end (main.ts calls codeCacheReady()), so it holds every function that run compiled.
 * `MIGRATION_GUARD_CODE_CACHE_DIR=''` turns it off.
 */
import { join } from 'node:path';
import { runWithCodeCache } from '../code-cache';

runWithCodeCache(join(__dirname, 'cli-core.js'));

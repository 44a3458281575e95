// Builds dist/ after `npm install` / `npm ci` in a checkout of this repository, and does nothing
// when the published package is installed (esbuild.mjs is not in it). This is a postinstall step,
// not `prepare`: npm prints a `prepare` script's banner on stdout during `npm pack`, where
// pre-commit's `language: node` reads the name of the packed file.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(join(root, 'esbuild.mjs'))) execFileSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });

/**
 * The baseline process of the whole-process CLI figures: what any tool built on web-tree-sitter
 * pays at the least to look at every migration of the folders it is given, and nothing more.
 * Walks each folder with readdirSync (migration-files.ts: every `.py` file directly inside a folder
 * named `migrations`, not `__init__.py`), reads each with readFileSync and parses it, one file
 * after another on one thread. No rules, no project view, no output beyond one JSON line: the
 * file count and where the time went.
 *
 *   node out/bench/bare-parse.js DIR [DIR...]
 *
 * Uses the grammar files `npm run build` puts in dist/ (the ones the CLI loads) and nothing of the
 * product's own code, so a change to the product cannot move its own baseline.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { migrationFiles } from './migration-files';

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    process.stderr.write('usage: bare-parse DIR [DIR...]\n');
    process.exitCode = 2;
    return;
  }
  const now = (): number => performance.now();
  const t0 = now();
  const dist = resolve(__dirname, '..', '..', 'dist');
  await Parser.init({ locateFile: () => join(dist, 'web-tree-sitter.wasm') });
  const parser = new Parser();
  parser.setLanguage(await Language.load(join(dist, 'tree-sitter-python.wasm')));
  const t1 = now();
  const files = dirs.flatMap((d) => migrationFiles(resolve(d)));
  const t2 = now();
  let bytes = 0;
  let readMs = 0;
  let parseMs = 0;
  let errors = 0;
  for (const file of files) {
    const r0 = now();
    const text = readFileSync(file, 'utf8');
    const r1 = now();
    const tree = parser.parse(text);
    if (!tree) throw new Error(`no tree for ${file}`);
    if (tree.rootNode.hasError) errors++;
    tree.delete();
    readMs += r1 - r0;
    parseMs += now() - r1;
    bytes += text.length;
  }
  parser.delete();
  const round = (x: number): number => Math.round(x * 10) / 10;
  process.stdout.write(`${JSON.stringify({ files: files.length, chars: bytes, parseErrors: errors, initMs: round(t1 - t0), walkMs: round(t2 - t1), readMs: round(readMs), parseMs: round(parseMs) })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bare-parse failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 2;
});

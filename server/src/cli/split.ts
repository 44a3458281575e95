/**
 * The `split` command: plans the split of one migration (see workspace/split-files.ts), prints
 * what it creates and changes, and writes it unless --dry-run. A refusal writes nothing and exits 2.
 */
import { maxMigrationAfterSplit } from '../workspace/max-migration';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PythonParser } from '../analysis/parser';
import { planSplit, writeSplit } from '../workspace/split-files';
import { bundledGrammarPaths } from './grammar';
import { ConfigResolver } from './project-config';
import type { SplitOptions } from './options';
import type { CheckIo } from './check';
import { diffPath, unifiedDiff } from './unified-diff';

/** The current directory when the file is inside it, else the nearest folder with manage.py or pyproject.toml. */
export function defaultRoot(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  if (!rel.startsWith('..') && !isAbsolute(rel)) return cwd;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'manage.py')) || existsSync(join(dir, 'pyproject.toml'))) return dir;
    if (dirname(dir) === dir) return dirname(dirname(dirname(file)));
  }
}

export async function runSplit(options: SplitOptions, io: CheckIo): Promise<number> {
  const file = resolve(io.cwd, options.file);
  if (!existsSync(file)) {
    io.stderr(`migration-guard: error: ${options.file}: no such file\n`);
    return 2;
  }
  const root = options.root ? resolve(io.cwd, options.root) : defaultRoot(file, io.cwd);
  const parser = await PythonParser.create(bundledGrammarPaths());
  try {
    const settings = new ConfigResolver(null, { select: null, ignore: [] }, () => undefined).forDirectory(dirname(file), root).settings;
    const plan = await planSplit(file, parser, { root, settings });
    const show = (f: string) => relative(io.cwd, f) || f;
    if (!plan.ok) {
      io.stderr(`migration-guard: error: not split: ${plan.reason}\n`);
      return 2;
    }
    const verb = options.dryRun ? 'would' : '';
    for (const [i, part] of plan.parts.entries()) {
      const what = `${part.kind} part, ${part.operationCount} ${part.operationCount === 1 ? 'operation' : 'operations'}${part.nonAtomic ? ', atomic = False' : ''}`;
      io.stdout(`${i === 0 ? `${verb ? 'would rewrite' : 'rewrote'}` : `${verb ? 'would create' : 'created'}`} ${show(part.file)} (${what})\n`);
    }
    for (const d of plan.dependants) io.stdout(`${verb ? 'would point' : 'pointed'} ${show(d.file)} at ${plan.parts[plan.parts.length - 1]?.name}\n`);
    if (options.dryRun) {
      for (const part of plan.parts.slice(1)) io.stdout(unifiedDiff(diffPath(io.cwd, part.file), '', part.text));
      for (const d of plan.dependants) io.stdout(unifiedDiff(diffPath(io.cwd, d.file), d.before, d.after));
      const last = plan.parts[plan.parts.length - 1];
      const max = last ? maxMigrationAfterSplit(plan.original, last.file) : null;
      if (max) io.stdout(unifiedDiff(diffPath(io.cwd, max.file), max.original, max.text));
      return 0;
    }
    await writeSplit(plan);
    return 0;
  } catch (e) {
    io.stderr(`migration-guard: error: ${e instanceof Error ? e.message : String(e)}; nothing more was written\n`);
    return 2;
  } finally {
    parser.dispose();
  }
}

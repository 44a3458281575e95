/**
 * The `explain` command: for one migration, per operation, the SQL Django would run (as
 * `sqlmigrate` prints it for PostgreSQL), the lock each statement takes, what it blocks, whether
 * it rewrites or scans the table, and the transaction it runs in. The project view comes from the
 * surrounding project, found the way `split` finds it; the target database from the flags over
 * the project's settings over
 * DEFAULT_TARGET_DATABASE. Bad input (no file, not a migration, does not parse) exits 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { summarizeTree } from '../analysis/engine';
import { PythonParser } from '../analysis/parser';
import { explainJson, explainText } from '../analysis/sql-preview/explain';
import { previewFile } from '../analysis/sql-preview/from-view';
import { previewMigration } from '../analysis/sql-preview/preview';
import type { TargetDatabase } from '../analysis/target-database';
import { targetOf } from '../config/settings';
import { loadProject, POSTGRES_NAMES } from '../workspace/project-loader';
import type { CheckIo } from './check';
import { bundledGrammarPaths } from './grammar';
import { ConfigResolver } from './project-config';
import { defaultRoot } from './split';
import { parsesAsPython } from '../analysis/indentation';

export type ExplainFormat = 'text' | 'json';
export const EXPLAIN_FORMATS: readonly ExplainFormat[] = ['text', 'json'];

export interface ExplainOptions {
  file: string;
  format: ExplainFormat;
  root: string | null;
  /** From the flags; the rest from the project's settings (`[tool.migration-guard]`), then the defaults. */
  target: Partial<TargetDatabase>;
}

export async function runExplain(options: ExplainOptions, io: CheckIo): Promise<number> {
  const file = resolve(io.cwd, options.file);
  const fail = (why: string): number => {
    io.stderr(`migration-guard: error: ${options.file}: ${why}\n`);
    return 2;
  };
  if (!existsSync(file)) return fail('no such file');
  if (!file.endsWith('.py')) return fail('not a Python file');
  const root = options.root ? resolve(io.cwd, options.root) : defaultRoot(file, io.cwd);
  const parser = await PythonParser.create(bundledGrammarPaths());
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      return fail(`cannot be read (${e instanceof Error ? e.message : String(e)})`);
    }
    const tree = parser.parse(text);
    let alone;
    try {
      if (!parsesAsPython(tree.rootNode)) return fail('does not parse as Python (fix the syntax error first)');
      alone = summarizeTree(tree, basename(file, '.py'));
    } finally {
      tree.delete();
    }
    if (!alone) return fail('not a migration (no class deriving from migrations.Migration)');
    const settings = new ConfigResolver(null, { select: null, ignore: [] }, () => undefined).forDirectory(dirname(file), root).settings;
    const target: TargetDatabase = { ...targetOf(settings), ...options.target };
    const loaded = await loadProject(root, parser, settings);
    const inView = loaded.view.migration(file);
    const preview =
      // (A migration a squash replaced: the chain Django keeps for it, as the rules see it.)
      previewFile(loaded.view.forFile(file), file, target, POSTGRES_NAMES) ??
      previewMigration({ summary: alone, app: basename(dirname(dirname(file))), before: null, target, names: POSTGRES_NAMES });
    const migration = inView ? `${inView.key.app}.${inView.key.name}` : basename(file, '.py');
    const shown = relative(io.cwd, file) || file;
    if (options.format === 'json') io.stdout(`${JSON.stringify(explainJson(preview, shown, migration, target), null, 2)}\n`);
    else {
      const where = inView ? '' : `, not in the project view of ${relative(io.cwd, root) || '.'}: --root <project folder> names another`;
      io.stdout(explainText(preview, `${shown} (${migration}${where})`, target));
    }
    return 0;
  } finally {
    parser.dispose();
  }
}

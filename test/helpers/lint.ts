/** Lints source text, or a fixture project with its project view, in tests with one shared parser. */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { lintTree, type LintOptions, type LintResult } from '../../server/src/analysis/engine';
import { PythonParser } from '../../server/src/analysis/parser';
import { readPyproject } from '../../server/src/config/pyproject';
import { mergeSettings, targetOf } from '../../server/src/config/settings';
import { loadProject } from '../../server/src/workspace/project-loader';
import type { TempDirs } from './cli';
import { FIXTURES, GRAMMAR_PATHS } from './paths';

let parser: Promise<PythonParser> | undefined;

export function getParser(): Promise<PythonParser> {
  parser ??= PythonParser.create(GRAMMAR_PATHS);
  return parser;
}

export async function lint(source: string, options: LintOptions = {}): Promise<LintResult> {
  const p = await getParser();
  const tree = p.parse(source);
  try {
    return lintTree(tree, source, options);
  } finally {
    tree.delete();
  }
}

/** Lints every migration of a fixture project with its project view, as the editor would. */
export async function lintProject(root: string, options: LintOptions = {}): Promise<Map<string, LintResult>> {
  const p = await getParser();
  const pyproject = join(root, 'pyproject.toml');
  const settings = mergeSettings(existsSync(pyproject) ? readPyproject(pyproject).settings : {});
  const project = await loadProject(root, p, settings);
  const out = new Map<string, LintResult>();
  for (const file of project.files) {
    const source = readFileSync(file, 'utf8');
    const tree = p.parse(source);
    try {
      const inView = project.summaries.has(file);
      out.set(file, lintTree(tree, source, { target: targetOf(settings), ...options, name: basename(file, '.py'), ...(inView ? { project: { view: project.view.forFile(file), file } } : {}) }));
    } finally {
      tree.delete();
    }
  }
  return out;
}

/**
 * A project fixture with a `.base` file (naming a folder under test/fixtures) is that folder's
 * files with the fixture's own on top: the schema-rule fixtures share the migrations that build
 * their tables, and each adds only the migration it is about.
 */
export function withBase(dir: string, temps: TempDirs): string {
  const marker = join(dir, '.base');
  if (!existsSync(marker)) return dir;
  const copy = temps.make();
  cpSync(join(FIXTURES, readFileSync(marker, 'utf8').trim()), copy, { recursive: true });
  cpSync(dir, copy, { recursive: true, filter: (src) => src !== marker });
  return copy;
}

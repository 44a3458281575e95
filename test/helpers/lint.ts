/** Lints source text, or a fixture project with its project view, in tests with one shared parser. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { lintTree, type LintOptions, type LintResult } from '../../server/src/analysis/engine';
import { PythonParser } from '../../server/src/analysis/parser';
import { readPyproject } from '../../server/src/config/pyproject';
import { mergeSettings } from '../../server/src/config/settings';
import { loadProject } from '../../server/src/workspace/project-loader';
import { GRAMMAR_PATHS } from './paths';

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
      out.set(file, lintTree(tree, source, { ...options, name: basename(file, '.py'), ...(inView ? { project: { view: project.view, file } } : {}) }));
    } finally {
      tree.delete();
    }
  }
  return out;
}

/** Lints source text in tests with one shared parser. */
import { lintTree, type LintOptions, type LintResult } from '../../server/src/analysis/engine';
import { PythonParser } from '../../server/src/analysis/parser';
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

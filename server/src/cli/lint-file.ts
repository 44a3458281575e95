/**
 * Checks one file: read, parse, confirm it is a migration when it was found by content, lint,
 * and slim the findings. Never throws: whatever goes wrong becomes a `failed` result, so one bad
 * file cannot stop a run. Used the same way in-process and in worker threads.
 */
import { readFileSync } from 'node:fs';
import { lintTree, type LintResult } from '../analysis/engine';
import { applyFixEdits, selectFixes } from '../analysis/fixes/apply';
import { definesMigrationClass } from '../analysis/migration-model';
import type { PythonParser, Tree } from '../analysis/parser';
import { firstSyntaxError } from '../analysis/rules/syntax-error';
import type { Node } from '../analysis/syntax';
import { MIGRATION_CLASS_HINT } from '../config/file-matcher';
import { reasonOf, type FileResult, type LintConfig, type LintTask } from './types';

/** The first place tree-sitter had to recover from, or null for a clean parse. */
function syntaxErrorPosition(root: Node): { line: number; character: number } | null {
  const node = firstSyntaxError(root);
  return node ? { line: node.startPosition.row, character: node.startPosition.column } : null;
}

export function lintFile(parser: PythonParser, task: LintTask, config: LintConfig): FileResult {
  let text: string;
  try {
    text = readFileSync(task.file, 'utf8');
  } catch (e) {
    return { status: 'failed', error: `cannot read file (${reasonOf(e)})` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // editors hide the BOM; columns must agree
  if (task.mode === 'detect' && !MIGRATION_CLASS_HINT.test(text)) return { status: 'skipped' };
  let tree: Tree;
  try {
    tree = parser.parse(text);
  } catch (e) {
    return { status: 'failed', error: `tree-sitter could not parse it (${reasonOf(e)})` };
  }
  try {
    if (task.mode === 'detect' && !definesMigrationClass(tree.rootNode)) return { status: 'skipped' };
    const options = { rules: config.rules, batchSize: config.batchSize };
    let result: LintResult = lintTree(tree, text, options);
    const original = text;
    let applied = 0;
    // Apply fixes, re-lint, repeat: one fix can make another possible (a batched loop then
    // wants atomic = False). Bounded, and a pass that applies nothing ends it.
    // A file that does not parse is never edited: its fixes were computed on a guess.
    for (let pass = 0; config.fix !== 'none' && !tree.rootNode.hasError && pass < 4; pass++) {
      const groups = selectFixes(result.findings, config.fix === 'safe' ? 'safe' : 'preferred');
      if (groups.length === 0) break;
      const next = applyFixEdits(text, groups);
      if (next.applied === 0 || next.text === text) break;
      applied += next.applied;
      text = next.text;
      tree.delete();
      tree = parser.parse(text);
      result = lintTree(tree, text, options);
    }
    return {
      status: 'checked',
      findings: result.findings.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, range: f.range, related: f.related })),
      syntaxError: syntaxErrorPosition(tree.rootNode),
      ...(text !== original ? { fixed: { text, original, applied } } : {}),
    };
  } catch (e) {
    return { status: 'failed', error: `internal error while linting (${reasonOf(e)}); please report it` };
  } finally {
    tree.delete();
  }
}

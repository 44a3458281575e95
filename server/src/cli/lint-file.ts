/**
 * Reads one file for a run: read, parse, confirm it is a migration when it was found by content,
 * analyze it (per-file rules, summary for the project view, suppressions), and apply fixes when
 * asked. Migrations read only for the project view get their summary; apps.py files their label.
 * Never throws: whatever goes wrong becomes a `failed` result, so one bad file cannot stop a run.
 * Used the same way in-process and in worker threads.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { analyzeFile, finalizeFindings, summarizeTree, type FileAnalysis } from '../analysis/engine';
import { applyFixEdits, selectFixes } from '../analysis/fixes/apply';
import { definesMigrationClass } from '../analysis/migration-model';
import type { PythonParser, Tree } from '../analysis/parser';
import type { Node } from '../analysis/syntax';
import { MIGRATION_CLASS_HINT } from '../config/file-matcher';
import { readAppLabel } from '../workspace/project-loader';
import { reasonOf, type FileResult, type LintConfig, type LintTask } from './types';

/** The first place tree-sitter had to recover from, or null for a clean parse. */
function firstSyntaxError(root: Node): { line: number; character: number } | null {
  if (!root.hasError) return null;
  let node: Node = root;
  for (;;) {
    if (node.isError || node.isMissing) return { line: node.startPosition.row, character: node.startPosition.column };
    const child: Node | undefined = node.children.find((c) => c.hasError || c.isMissing);
    if (!child) return { line: node.startPosition.row, character: node.startPosition.column };
    node = child;
  }
}

export function lintFile(parser: PythonParser, task: LintTask, config: LintConfig): FileResult {
  if (task.mode === 'app-config') return { status: 'app-config', label: readAppLabel(dirname(task.file), parser) };
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
  const name = basename(task.file, '.py');
  try {
    if (task.mode === 'summary') {
      return { status: 'checked', analysis: { findings: [], summary: summarizeTree(tree, name), suppressions: [] }, syntaxError: null };
    }
    if (task.mode === 'detect' && !definesMigrationClass(tree.rootNode)) return { status: 'skipped' };
    const options = { rules: config.rules, batchSize: config.batchSize, name };
    let analysis: FileAnalysis = analyzeFile(tree, text, options).analysis;
    const original = text;
    let applied = 0;
    // Apply fixes, re-lint, repeat: one fix can make another possible (a batched loop then
    // wants atomic = False). Bounded, and a pass that applies nothing ends it.
    for (let pass = 0; config.fix !== 'none' && pass < 4; pass++) {
      const findings = finalizeFindings(analysis.findings, analysis.suppressions, { rules: config.rules });
      const groups = selectFixes(findings, config.fix === 'safe' ? 'safe' : 'preferred');
      if (groups.length === 0) break;
      const next = applyFixEdits(text, groups);
      if (next.applied === 0 || next.text === text) break;
      applied += next.applied;
      text = next.text;
      tree.delete();
      tree = parser.parse(text);
      analysis = analyzeFile(tree, text, options).analysis;
    }
    return {
      status: 'checked',
      analysis,
      syntaxError: firstSyntaxError(tree.rootNode),
      ...(text !== original ? { fixed: { text, original, applied } } : {}),
    };
  } catch (e) {
    return { status: 'failed', error: `internal error while linting (${reasonOf(e)}); please report it` };
  } finally {
    tree.delete();
  }
}

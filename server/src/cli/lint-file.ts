/**
 * Reads one file for a run: read (regular files only, bounded, decoded as Python would), parse,
 * confirm it is a migration when it was found by content, analyze it (per-file rules, summary for
 * the project view, suppressions), and apply fixes when asked and safe to. Migrations read only
 * for the project view get their summary; apps.py files their label. Never throws: whatever goes
 * wrong becomes a `failed` result, so one bad file cannot stop a run. Used the same way in-process
 * and in worker threads.
 */
import { basename, dirname } from 'node:path';
import { analyzeFile, finalizeFindings, quickAnalysis, summarizeTree, textAnalysis, type FileAnalysis, type RawFinding } from '../analysis/engine';
import { findingFingerprint } from '../analysis/fingerprint';
import type { ValueInterner } from '../analysis/interner';
import { applyFixEdits, selectFixes } from '../analysis/fixes/apply';
import { definesMigrationClass } from '../analysis/migration-model';
import type { PythonParser, Tree } from '../analysis/parser';
import { syntaxProblem, undecodableSourceFinding } from '../analysis/rules/syntax-error';
import { parsesAsPython } from '../analysis/indentation';
import type { Node } from '../analysis/syntax';
import { MIGRATION_CLASS_HINT, MIGRATION_WORD } from '../config/file-matcher';
import { configModule, moduleTail, type ConfigModule } from '../analysis/project/app-config';
import type { ProjectView } from '../analysis/project/view';
import { readAppLabel } from '../workspace/project-loader';
import { contentHash, hashFile, withDependencies } from './run-cache';
import { decoded, readFileBytes, type ReadOutcome } from '../workspace/read-source';
import { canEncode } from '../workspace/source-encoding';
import { outsideTree } from '../workspace/write-source';
import { reasonOf, type FileResult, type LintConfig, type LintTask } from './types';

/** The first place tree-sitter had to recover from, or null for a clean parse. */
function syntaxErrorPosition(root: Node): { line: number; character: number } | null {
  return syntaxProblem(root)?.range.start ?? null;
}

/**
 * An apps.py: the label it states. Only reusable from the cache when nothing else was read to
 * find it (a config class imported from another module of the project).
 */
function appConfig(task: LintTask, text: string, parser: PythonParser, hashed: { hash?: string }): FileResult {
  const classes = new Map<string, ConfigModule | null>();
  try {
    const tree = parser.parse(text);
    try {
      classes.set(task.file, configModule(tree.rootNode, moduleTail(task.file)));
    } finally {
      tree.delete();
    }
  } catch {
    classes.set(task.file, null);
  }
  const label = readAppLabel(dirname(task.file), parser, classes);
  if (hashed.hash === undefined || classes.size === 1) return { status: 'app-config', label, ...hashed };
  // Other modules were read to find the label: the result is only as fresh as they are.
  const deps = [...classes.keys()].filter((f) => f !== task.file);
  const hash = withDependencies(hashed.hash, deps.map((d) => [d, hashFile(d, Number.MAX_SAFE_INTEGER)] as const));
  return { status: 'app-config', label, ...(hash !== null ? { hash, deps } : {}) };
}

/**
 * What this thread reads files into: a run reads thousands of files (every Python file of the tree,
 * most only to see they are no migration), and a fresh buffer for each cost more than the reading.
 * Nothing a result keeps points into it: the bytes are hashed and decoded before the next file.
 */
const readBuffer = Buffer.allocUnsafe(1 << 20);

/**
 * Reads a task's file and decodes it, except a file read only to see whether it is a migration
 * (`detect`: every other Python file of the tree) whose bytes do not contain the word: it is
 * skipped without decoding its text.
 */
function readTask(task: LintTask, config: LintConfig): ReadOutcome | FileResult {
  const bytes = readFileBytes(task.file, config.maxFileSize, readBuffer);
  if (!bytes.ok) return bytes;
  if (task.mode === 'detect' && !bytes.data.includes(MIGRATION_WORD)) return { status: 'skipped', ...(task.hash ? { hash: contentHash(bytes.data) } : {}) };
  return decoded(bytes);
}

/**
 * lintFile without a parser: the result when the file needs none (a plain migration read from its
 * text, a file that cannot be read or is skipped), else null. A small run (a pre-commit hook's)
 * may then never load the grammar at all.
 */
export function lintFileWithoutParser(task: LintTask, config: LintConfig, interner?: ValueInterner): FileResult | null {
  if (task.mode === 'app-config' || config.fix !== 'none') return null;
  const read = readTask(task, config);
  if (!('ok' in read)) return read;
  if (!read.ok) return read.kind === 'io' ? { status: 'failed', error: read.reason } : { status: 'skipped', warning: read.reason };
  const hashed = task.hash ? { hash: contentHash(read.data) } : {};
  const text = read.source.text;
  if (task.mode === 'detect' && !MIGRATION_CLASS_HINT.test(text)) return { status: 'skipped', ...hashed };
  const early = read.source.problem ? null : textAnalysis(text, basename(task.file, '.py'), interner ?? null);
  return early ? { status: 'checked', analysis: early, syntaxError: null, ...hashed } : null;
}

/**
 * @param interner shares calls written the same way across the files of this thread's run
 * @param ruleProject the project view, for the rules whose fixes ask it (a fix run: project-run.ts)
 */
export function lintFile(parser: PythonParser, task: LintTask, config: LintConfig, interner?: ValueInterner, ruleProject?: { view: ProjectView; file: string }): FileResult {
  // Regular files only, bounded, decoded as Python would (the BOM is kept aside: editors hide it, columns must agree).
  const read = readTask(task, config);
  if (!('ok' in read)) return read;
  // An apps.py that cannot be read states no label: the folder name is the label (as before it was read).
  if (!read.ok && task.mode === 'app-config') return { status: 'app-config', label: { kind: 'none' } };
  if (!read.ok) return read.kind === 'io' ? { status: 'failed', error: read.reason } : { status: 'skipped', warning: read.reason };
  const hashed = task.hash ? { hash: contentHash(read.data) } : {};
  if (task.mode === 'app-config') return appConfig(task, read.source.text, parser, hashed);
  const { encoding, readOnly, problem } = read.source;
  let text = read.source.text;
  if (task.mode === 'detect' && !MIGRATION_CLASS_HINT.test(text)) return { status: 'skipped', ...hashed };
  // Most migrations are of the shape makemigrations writes: their summary is read from the text
  // without a parse, and no per-file rule can fire on them (text-summary.ts, quick-summary.ts).
  const early = problem || config.fix !== 'none' ? null : textAnalysis(text, basename(task.file, '.py'), interner ?? null);
  if (early) return { status: 'checked', analysis: early, syntaxError: null, ...hashed };
  let tree: Tree;
  try {
    tree = parser.parse(text);
  } catch (e) {
    return { status: 'failed', error: `tree-sitter could not parse it (${reasonOf(e)})` };
  }
  const name = basename(task.file, '.py');
  try {
    // The same shape, where the text reading gave up but the tree reading does not.
    const quick = problem ? null : quickAnalysis(tree, text, name, interner ?? null);
    if (quick && config.fix === 'none') return { status: 'checked', analysis: quick, syntaxError: null, ...hashed };
    if (task.mode === 'summary') {
      return { status: 'checked', analysis: { findings: [], summary: summarizeTree(tree, name, interner), suppressions: [] }, syntaxError: null, ...hashed };
    }
    if (task.mode === 'detect' && !definesMigrationClass(tree.rootNode)) return { status: 'skipped', ...hashed };
    const options = { rules: config.rules, batchSize: config.batchSize, target: config.target, name, ...(interner ? { interner } : {}), ...(ruleProject ? { ruleProject } : {}), ...(task.viewFollows && !ruleProject ? { viewFollows: true } : {}) };
    let analysis: FileAnalysis = analyzeFile(tree, text, options).analysis;
    const initial = analysis;
    const original = text;
    let applied = 0;
    const fixesOf = (a: FileAnalysis) => selectFixes(finalizeFindings(a.findings, a.suppressions, { rules: config.rules }), config.fix === 'safe' ? 'safe' : 'preferred');
    // Apply fixes, re-lint, repeat: one fix can make another possible (a batched loop then
    // wants atomic = False). Bounded, and a pass that applies nothing ends it.
    // A file that does not parse is never edited: its fixes were computed on a guess. Nor is a
    // file that could not be written back byte for byte as it was read.
    const leadsOut = config.fix !== 'none' && task.root ? outsideTree(task.file, task.root) : null;
    const cannotWrite = readOnly ?? leadsOut;
    const editable = cannotWrite === null && parsesAsPython(tree.rootNode);
    for (let pass = 0; config.fix !== 'none' && editable && pass < 4; pass++) {
      const groups = fixesOf(analysis);
      if (groups.length === 0) break;
      const next = applyFixEdits(text, groups);
      if (next.applied === 0 || next.text === text) break;
      applied += next.applied;
      text = next.text;
      tree.delete();
      tree = parser.parse(text);
      analysis = analyzeFile(tree, text, options).analysis;
    }
    let notFixed: string | undefined;
    if (config.fix !== 'none' && cannotWrite !== null && fixesOf(analysis).length > 0) notFixed = `not fixed: ${cannotWrite}`;
    if (text !== original && !canEncode(text, encoding)) {
      notFixed = `not fixed: the fixes write characters ${encoding.name}, the file's encoding, cannot hold`;
      text = original;
      analysis = initial;
      tree.delete();
      tree = parser.parse(text);
    }
    let findings: RawFinding[] = analysis.findings;
    // Python stops at bytes it cannot decode, before it parses anything.
    if (problem) {
      const undecodable = undecodableSourceFinding(problem, config.rules['syntax-error']).map((f): RawFinding => ({ ...f, reported: f.severity }));
      findings = [...undecodable, ...findings.filter((f) => f.rule !== 'syntax-error')];
    }
    // The identity of each finding for baselines, taken while the tree is at hand (when a baseline is in use).
    if (config.fingerprints) {
      const root = tree.rootNode;
      findings = findings.map((f) => ({ ...f, fingerprint: findingFingerprint(root, f.range) }));
    }
    return {
      status: 'checked',
      analysis: { ...analysis, findings },
      syntaxError: syntaxErrorPosition(tree.rootNode),
      ...(text !== original ? { fixed: { text, original, applied, encoding } } : {}),
      ...(notFixed ? { notFixed } : {}),
      ...hashed,
    };
  } catch (e) {
    return { status: 'failed', error: `internal error while linting (${reasonOf(e)}); please report it` };
  } finally {
    tree.delete();
  }
}

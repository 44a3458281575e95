/**
 * The analysis entry point: tree in, findings out. Builds the migration model once, runs every
 * enabled rule, applies suppressions and severity settings, and reports unused suppressions.
 * Pure: no file system, no LSP, no global state.
 */
import { CodeIndex } from './code-facts';
import { buildMigrationModel, type MigrationModel } from './migration-model';
import type { Tree } from './parser';
import { RULE_IDS, RULES } from './rules';
import type { ReportedFinding } from './rules/rule';
import { syntaxErrorWithoutModel } from './rules/syntax-error';
import { parseSuppressions, suppressionEdit, suppressionFor } from './suppressions';
import type { Finding, RuleSetting, Severity } from './types';

export interface LintOptions {
  /** Per-rule setting; rules not listed use 'default'. */
  rules?: Readonly<Record<string, RuleSetting>>;
  /** Rows per batch in generated templates. */
  batchSize?: number;
}

export interface LintResult {
  findings: Finding[];
  /** Null when the file defines no migration class. */
  model: MigrationModel | null;
}

function effectiveSeverity(setting: RuleSetting | undefined, reported: Severity): Severity | null {
  if (setting === 'off') return null;
  if (!setting || setting === 'default') return reported;
  return setting;
}

export function lintTree(tree: Tree, source: string, options: LintOptions = {}): LintResult {
  const model = buildMigrationModel(tree.rootNode);
  if (!model) return { findings: syntaxErrorWithoutModel(tree.rootNode, options.rules?.['syntax-error']), model: null };
  const settings = options.rules ?? {};
  let lines: string[] | undefined; // split only when a finding needs a suppression edit
  const suppressions = parseSuppressions(source, tree);
  const findings: Finding[] = [];
  const index = new CodeIndex();
  // An operation expanded from a comprehension can yield the same finding once per element.
  const seen = new Set<string>();
  for (const rule of RULES) {
    if (!rule.check || settings[rule.meta.id] === 'off') continue;
    const id = rule.meta.id;
    const reported: ReportedFinding[] = [];
    rule.check({ model, source, index, batchSize: options.batchSize ?? 1000, report: (f) => reported.push(f) });
    for (const r of reported) {
      const severity = effectiveSeverity(settings[id], r.severity ?? rule.meta.defaultSeverity);
      if (!severity) continue;
      const key = `${id}:${r.range.start.line}:${r.range.start.character}:${r.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const finding: Finding = { rule: id, severity, message: r.message, range: r.range, related: r.related ?? [], fixes: r.fixes ?? [] };
      if (suppressionFor(finding, suppressions)) continue;
      lines ??= source.split(/\r\n|\r|\n/);
      finding.suppression = suppressionEdit(source, lines, finding.range.start.line, id, suppressions);
      findings.push(finding);
    }
  }
  const unusedSetting = settings['unused-suppression'];
  if (unusedSetting !== 'off') {
    const severity = effectiveSeverity(unusedSetting, 'information') as Severity;
    for (const s of suppressions) {
      const listed = s.rules ?? [];
      for (const rule of listed) {
        if (s.used.has(rule)) continue;
        const known = RULE_IDS.includes(rule);
        if (known && settings[rule] === 'off') continue; // not checked, so not provably unused
        findings.push({
          rule: 'unused-suppression',
          severity,
          message: known
            ? `Unused suppression: no ${rule} finding ${s.kind === 'file' ? 'in this file' : `on line ${s.target + 1}`}.`
            : `Unknown rule '${rule}' in suppression comment (known rules: ${RULE_IDS.filter((r) => r !== 'unused-suppression').join(', ')}).`,
          range: s.range,
          related: [],
          fixes: [],
        });
      }
      if (s.rules === null && s.used.size === 0) {
        findings.push({
          rule: 'unused-suppression',
          severity,
          message: `Unused suppression: nothing to suppress ${s.kind === 'file' ? 'in this file' : `on line ${s.target + 1}`}.`,
          range: s.range,
          related: [],
          fixes: [],
        });
      }
    }
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { findings, model };
}

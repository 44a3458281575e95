/**
 * `migration-guard rules`: every rule the engine knows, with its default severity (and whether it is
 * on by default), its one-line
 * summary and its documentation link, as aligned text or as JSON for tools.
 */
import { RULES, ruleDocsUrl } from '../analysis/rules';

export type RulesFormat = 'text' | 'json';
export const RULES_FORMATS: readonly RulesFormat[] = ['text', 'json'];

export interface RuleListing {
  id: string;
  defaultSeverity: string;
  /** False for a rule that runs only when turned on (a severity in the settings, or --select). */
  enabledByDefault: boolean;
  summary: string;
  docs: string;
}

export function ruleListing(): RuleListing[] {
  return RULES.map((r) => ({ id: r.meta.id, defaultSeverity: r.meta.defaultSeverity, enabledByDefault: r.meta.enabledByDefault !== false, summary: r.meta.summary, docs: ruleDocsUrl(r.meta.id) }));
}

export function formatRules(format: RulesFormat): string {
  const rows = ruleListing();
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const idWidth = Math.max(...rows.map((r) => r.id.length));
  const severity = (r: RuleListing) => (r.enabledByDefault ? r.defaultSeverity : `${r.defaultSeverity} (off)`);
  const sevWidth = Math.max(...rows.map((r) => severity(r).length));
  const pad = ' '.repeat(idWidth + sevWidth + 4);
  return rows.map((r) => `${r.id.padEnd(idWidth)}  ${severity(r).padEnd(sevWidth)}  ${r.summary}\n${pad}${r.docs}\n`).join('');
}

/**
 * `migration-guard rules`: every rule the engine knows, with its default severity, its one-line
 * summary and its documentation link, as aligned text or as JSON for tools.
 */
import { RULES, ruleDocsUrl } from '../analysis/rules';

export type RulesFormat = 'text' | 'json';
export const RULES_FORMATS: readonly RulesFormat[] = ['text', 'json'];

export interface RuleListing {
  id: string;
  defaultSeverity: string;
  summary: string;
  docs: string;
}

export function ruleListing(): RuleListing[] {
  return RULES.map((r) => ({ id: r.meta.id, defaultSeverity: r.meta.defaultSeverity, summary: r.meta.summary, docs: ruleDocsUrl(r.meta.id) }));
}

export function formatRules(format: RulesFormat): string {
  const rows = ruleListing();
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const idWidth = Math.max(...rows.map((r) => r.id.length));
  const sevWidth = Math.max(...rows.map((r) => r.defaultSeverity.length));
  const pad = ' '.repeat(idWidth + sevWidth + 4);
  return rows.map((r) => `${r.id.padEnd(idWidth)}  ${r.defaultSeverity.padEnd(sevWidth)}  ${r.summary}\n${pad}${r.docs}\n`).join('');
}

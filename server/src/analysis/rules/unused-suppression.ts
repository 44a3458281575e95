/**
 * unused-suppression: a `# migration-guard: ignore[...]` comment that suppresses nothing (the rule
 * did not fire there, or the rule id does not exist). Produced by the engine, not by a check.
 */
import type { Rule } from './rule';

export const unusedSuppression: Rule = {
  meta: {
    id: 'unused-suppression',
    summary: 'A migration-guard suppression comment suppresses nothing.',
    defaultSeverity: 'information',
  },
};

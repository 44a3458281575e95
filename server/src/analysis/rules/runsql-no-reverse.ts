/** runsql-no-reverse: RunSQL without reverse_sql (or with reverse_sql=None). */
import { runSqlReverseFixes } from '../fixes/reverse-fixes';
import { rangeOf } from '../syntax';
import type { Rule } from './rule';
import { irreversibleStop as stops } from './reverse-stop';

export const runsqlNoReverse: Rule = {
  meta: {
    id: 'runsql-no-reverse',
    summary: 'RunSQL has no reverse_sql, so the migration cannot be rolled back.',
    defaultSeverity: 'warning',
  },
  check(ctx) {
    for (const op of ctx.model.operations) {
      const rs = op.runSql;
      if (!rs || !op.argumentsReliable || rs.reverseState === 'present') continue;
      const how = rs.reverseState === 'none' ? 'passes reverse_sql=None' : 'has no reverse_sql';
      ctx.report({
        range: rangeOf(op.callee),
        message:
          `${op.name} ${how}: \`migrate\` cannot roll this migration back and ${stops(op.container?.name)}. ` +
          (rs.reverseState === 'none'
            ? `If None is on purpose (the change cannot be undone), say why in a suppression; else give it the inverse SQL (a no-op reverse is not offered for an explicit None).`
            : `Give it the inverse SQL, or migrations.RunSQL.noop when nothing needs undoing.`),
        fixes: runSqlReverseFixes(op, ctx.source),
      });
    }
  },
};

/** runsql-no-reverse: RunSQL without reverse_sql (or with reverse_sql=None). */
import { createdModels, droppedGuard, notRerunnable, runSqlReverseFixes, viewDroppedOnRollback } from '../fixes/reverse-fixes';
import { rangeOf } from '../syntax';
import type { Rule } from './rule';

/** A statement on one line, shortened for a message. */
const oneLine = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
};
import { irreversibleStop as stops } from './reverse-stop';

export const runsqlNoReverse: Rule = {
  meta: {
    id: 'runsql-no-reverse',
    summary: 'RunSQL has no reverse_sql, so the migration cannot be rolled back.',
    defaultSeverity: 'warning',
  },
  check(ctx) {
    const created = createdModels(ctx.model.operations);
    for (const op of ctx.model.operations) {
      const rs = op.runSql;
      if (!rs || !op.argumentsReliable || rs.reverseState === 'present') continue;
      const how = rs.reverseState === 'none' ? 'passes reverse_sql=None' : 'has no reverse_sql';
      const once = rs.sql?.state === 'known' ? notRerunnable(rs.sql.statements, created) : null;
      const dropped = rs.sql?.state === 'known' && !once ? viewDroppedOnRollback(rs.sql.statements, ctx.model.operations.filter((o) => o !== op)) : null;
      const guard = rs.sql?.state === 'known' ? rs.sql.statements.map((st) => droppedGuard(st.code)).find((x) => x !== null) : undefined;
      ctx.report({
        range: rangeOf(op.callee),
        message:
          `${op.name} ${how}: \`migrate\` cannot roll this migration back and ${stops(op.container?.name)}. ` +
          (rs.reverseState === 'none'
            ? `If None is on purpose (the change cannot be undone), say why in a suppression; else give it the inverse SQL (a no-op reverse is not offered for an explicit None).`
            : once
              ? `Give it the inverse SQL. A no-op reverse is not offered: migrating forward again after such a rollback would run \`${oneLine(once.text)}\` a second time, while what the first run did is still there: it ${/^\s*INSERT\b/i.test(once.code) ? 'inserts its rows again' : 'fails, or does the work twice'}.`
              : dropped
                ? `Give it the view's definition before this migration as reverse_sql. A no-op reverse is not offered: rolling back then drops ${dropped.drops} with CASCADE, which takes the view ${dropped.view} along, and the release before would run without it.`
                : guard
                  ? `Give it the inverse SQL: the statement that made the ${guard.split(' ')[0]} (migrations.RunSQL.noop would leave ${guard} dropped after a rollback, and the release before runs without it).`
                  : `Give it the inverse SQL, or migrations.RunSQL.noop when nothing needs undoing.`),
        fixes: runSqlReverseFixes(op, ctx.source, once ?? dropped ?? (guard ? { guard } : null)),
      });
    }
  },
};

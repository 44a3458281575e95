/** runpython-no-reverse: RunPython without reverse_code (or with reverse_code=None). */
import { runPythonReverseFixes } from '../fixes/reverse-fixes';
import { rangeOf } from '../syntax';
import type { Rule } from './rule';
import { irreversibleStop as stops } from './reverse-stop';

export const runpythonNoReverse: Rule = {
  meta: {
    id: 'runpython-no-reverse',
    summary: 'RunPython has no reverse_code, so the migration cannot be rolled back.',
    defaultSeverity: 'warning',
  },
  check(ctx) {
    for (const op of ctx.model.operations) {
      const rp = op.runPython;
      if (!rp || !op.argumentsReliable || rp.reverseState === 'present') continue;
      const how = rp.reverseState === 'none' ? 'passes reverse_code=None' : 'has no reverse_code';
      ctx.report({
        range: rangeOf(op.callee),
        message:
          `${op.name} ${how}: \`migrate\` cannot roll this migration back and ${stops(op.container?.name)}. ` +
          `Give it a reverse function, or migrations.RunPython.noop when nothing needs undoing.`,
        fixes: runPythonReverseFixes(op, ctx.source, ctx.model.moduleScope),
      });
    }
  },
};

/**
 * Fix fixtures: test/fixtures/fixes/<rule-id>/<case>.py declares on its first line
 * `# fix: <title prefix>`; that fix of every finding of the rule is applied, and the result must
 * equal <case>.after.py exactly, parse with Python's own parser, have no finding of the rule left,
 * and keep every other rule's findings as they were.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ruleById } from '../server/src/analysis/rules';
import type { TextEdit } from '../server/src/analysis/types';
import { applyEdits } from './helpers/apply-edits';
import { getParser, lint } from './helpers/lint';
import { FIXTURES } from './helpers/paths';
import { pythonSyntaxError } from './helpers/python';

const root = join(FIXTURES, 'fixes');

for (const rule of readdirSync(root).sort()) {
  describe(`fixes: ${rule}`, () => {
    const meta = ruleById(rule)?.meta;
    const options = meta?.defaultOff ? { rules: { [rule]: meta.defaultSeverity } } : {};
    const cases = readdirSync(join(root, rule)).filter((f) => f.endsWith('.py') && !f.endsWith('.after.py')).sort();
    for (const file of cases) {
      it(file, async () => {
        const before = readFileSync(join(root, rule, file), 'utf8');
        const prefix = /^# fix: (.+)$/m.exec(before)?.[1]?.trim();
        assert.ok(prefix, `${file} must start with '# fix: <title prefix>'`);
        assert.equal(pythonSyntaxError(before), null, 'the fixture itself is valid Python');
        const { findings } = await lint(before, options);
        const targeted = findings.filter((f) => f.rule === rule);
        assert.ok(targeted.length > 0, `${file} has no ${rule} finding`);
        const edits: TextEdit[] = [];
        for (const f of targeted) {
          const fix = f.fixes.find((x) => x.title.startsWith(prefix));
          assert.ok(fix, `no fix titled '${prefix}…' on line ${f.range.start.line + 1}; offered: ${f.fixes.map((x) => x.title).join(' | ')}`);
          edits.push(...fix.edits);
        }
        const after = applyEdits(before, edits);
        const expectedFile = join(root, rule, file.replace(/\.py$/, '.after.py'));
        assert.ok(existsSync(expectedFile), `missing ${expectedFile}`);
        assert.equal(after, readFileSync(expectedFile, 'utf8'));
        assert.equal(pythonSyntaxError(after), null, 'the fixed file is valid Python');
        const tree = (await getParser()).parse(after);
        try {
          assert.equal(tree.rootNode.hasError, false, 'tree-sitter reads the fixed file without an error node');
        } finally {
          tree.delete();
        }
        const again = (await lint(after, options)).findings;
        assert.deepEqual(again.filter((f) => f.rule === rule).map((f) => f.message), [], 'the finding is gone');
        // Batching a save loop in an atomic migration rightly raises missing-atomic-false next.
        const follows = rule === 'unbatched-save-loop' ? 'missing-atomic-false' : '';
        const others = (fs: typeof findings) =>
          fs.filter((f) => f.rule !== rule && f.rule !== 'unused-suppression' && f.rule !== follows).map((f) => `${f.rule}: ${f.message.replace(/line \d+/g, 'line N')}`).sort();
        assert.deepEqual(others(again), others(findings), 'other findings are unchanged');
      });
    }
  });
}

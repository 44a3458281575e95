/**
 * Rule fixtures: every file under test/fixtures/rules/<rule-id>/ is linted and the findings of
 * that rule (and of any rule its markers name) must match the `# expect:` markers exactly.
 * `bad-*` fixtures must expect at least one finding, `good-*` none; `tricky-*` may go either way.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RULE_IDS } from '../server/src/analysis/rules';
import { expectationsOf, formatExpected, type Expected } from './helpers/expectations';
import { lint } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

const root = join(FIXTURES, 'rules');

for (const rule of readdirSync(root).sort()) {
  describe(`rule fixtures: ${rule}`, () => {
    it('is a known rule id', () => assert.ok(RULE_IDS.includes(rule), `fixture folder ${rule} names no rule`));
    const files = readdirSync(join(root, rule)).filter((f) => f.endsWith('.py')).sort();
    it('has positive, negative and tricky fixtures', () => {
      for (const prefix of ['bad-', 'good-', 'tricky-']) {
        assert.ok(files.some((f) => f.startsWith(prefix)), `no ${prefix}* fixture for ${rule}`);
      }
    });
    for (const file of files) {
      it(file, async () => {
        const source = readFileSync(join(root, rule, file), 'utf8');
        const expected = expectationsOf(source);
        const checked = new Set([rule, ...expected.map((e) => e.rule)]);
        if (file.startsWith('bad-')) assert.ok(expected.some((e) => e.rule === rule), `${file} is a bad-* fixture without an expect marker for ${rule}`);
        if (file.startsWith('good-')) assert.equal(expected.filter((e) => e.rule === rule).length, 0, `${file} is a good-* fixture but expects ${rule}`);
        const { findings } = await lint(source);
        const actual: Expected[] = findings
          .filter((f) => checked.has(f.rule))
          .map((f) => ({ line: f.range.start.line + 1, rule: f.rule, severity: f.severity }));
        const want = expected.map(formatExpected).sort();
        const got = actual.map((a) => formatExpected(expected.some((e) => e.line === a.line && e.rule === a.rule && e.severity) ? a : { line: a.line, rule: a.rule })).sort();
        assert.deepEqual(got, want, `${file}: findings differ from markers\n${findings.map((f) => `  ${f.range.start.line + 1}: ${f.rule}/${f.severity} ${f.message}`).join('\n')}`);
      });
    }
  });
}

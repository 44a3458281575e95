/**
 * Rule fixtures: every file under test/fixtures/rules/<rule-id>/ is linted and the findings of
 * that rule (and of any rule its markers name) must match the `# expect:` markers exactly.
 * `bad-*` fixtures must expect at least one finding, `good-*` none; `tricky-*` may go either way.
 * A fixture that is a folder is a project: every migration in it is linted with the project
 * view, and the markers of all its files count together.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { RULE_IDS, ruleById } from '../server/src/analysis/rules';
import { expectationsOf, formatExpected, type Expected } from './helpers/expectations';
import { lint, lintProject } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

const root = join(FIXTURES, 'rules');

for (const rule of readdirSync(root).sort()) {
  describe(`rule fixtures: ${rule}`, () => {
    // A rule that is off by default is turned on for its own fixtures.
    const meta = ruleById(rule)?.meta;
    const options = meta?.enabledByDefault === false ? { rules: { [rule]: meta.defaultSeverity } } : {};
    it('is a known rule id', () => assert.ok(RULE_IDS.includes(rule), `fixture folder ${rule} names no rule`));
    const entries = readdirSync(join(root, rule)).sort();
    const files = entries.filter((f) => f.endsWith('.py'));
    const projects = entries.filter((f) => statSync(join(root, rule, f)).isDirectory());
    it('has positive, negative and tricky fixtures', () => {
      for (const prefix of ['bad-', 'good-', 'tricky-']) {
        assert.ok([...files, ...projects].some((f) => f.startsWith(prefix)), `no ${prefix}* fixture for ${rule}`);
      }
    });
    for (const project of projects) {
      it(`${project}/ (project)`, async () => {
        const dir = join(root, rule, project);
        const results = await lintProject(dir, options);
        assert.ok(results.size > 0, `${project}: no migrations found`);
        const want: string[] = [];
        const got: string[] = [];
        const notes: string[] = [];
        for (const [file, result] of results) {
          const rel = relative(dir, file);
          const expected = expectationsOf(readFileSync(file, 'utf8'));
          const checked = new Set([rule, ...expected.map((e) => e.rule)]);
          want.push(...expected.map((e) => `${rel}:${formatExpected(e)}`));
          for (const f of result.findings.filter((x) => checked.has(x.rule))) {
            const line = f.range.start.line + 1;
            const withSeverity = expected.some((e) => e.line === line && e.rule === f.rule && e.severity);
            got.push(`${rel}:${formatExpected(withSeverity ? { line, rule: f.rule, severity: f.severity } : { line, rule: f.rule })}`);
            notes.push(`  ${rel}:${line}: ${f.rule}/${f.severity} ${f.message}`);
          }
        }
        if (project.startsWith('bad-')) assert.ok(want.some((w) => w.includes(`:${rule}`)), `${project} is a bad-* fixture without an expect marker for ${rule}`);
        if (project.startsWith('good-')) assert.ok(!want.some((w) => w.includes(`:${rule}`)), `${project} is a good-* fixture but expects ${rule}`);
        assert.deepEqual(got.sort(), want.sort(), `${project}: findings differ from markers\n${notes.join('\n')}`);
      });
    }
    for (const file of files) {
      it(file, async () => {
        const source = readFileSync(join(root, rule, file), 'utf8');
        const expected = expectationsOf(source);
        const checked = new Set([rule, ...expected.map((e) => e.rule)]);
        if (file.startsWith('bad-')) assert.ok(expected.some((e) => e.rule === rule), `${file} is a bad-* fixture without an expect marker for ${rule}`);
        if (file.startsWith('good-')) assert.equal(expected.filter((e) => e.rule === rule).length, 0, `${file} is a good-* fixture but expects ${rule}`);
        const { findings } = await lint(source, options);
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

/** `migration-guard rules`: the rule list users look up ids, severities and docs in. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RULES } from '../server/src/analysis/rules';
import { runCli } from './helpers/cli';
import { REPO_ROOT } from './helpers/paths';

describe('migration-guard rules', () => {
  it('prints every rule with its default severity, summary and a docs link that exists', () => {
    const run = runCli(['rules'], REPO_ROOT);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    for (const rule of RULES) {
      const i = lines.findIndex((l) => l.startsWith(`${rule.meta.id} `));
      assert.ok(i >= 0, `${rule.meta.id} is listed`);
      const row = lines[i] as string;
      assert.match(row, new RegExp(`^${rule.meta.id}\\s+${rule.meta.defaultSeverity}${rule.meta.enabledByDefault === false ? ' \\(off\\)' : ''}\\s+[A-Z]`));
      assert.ok(row.endsWith(rule.meta.summary), row);
      assert.ok((lines[i + 1] ?? '').trim().endsWith(`/docs/rules/${rule.meta.id}.md`), `docs link under ${rule.meta.id}`);
    }
  });

  it('--format json gives {id, defaultSeverity, enabledByDefault, summary, docs} per rule, docs pointing at real pages', () => {
    const run = runCli(['rules', '--format', 'json'], REPO_ROOT);
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as Array<Record<string, string | boolean>>;
    assert.deepEqual(rows.map((r) => r.id), RULES.map((r) => r.meta.id));
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), ['id', 'defaultSeverity', 'enabledByDefault', 'summary', 'docs']);
      assert.equal(row.enabledByDefault, RULES.find((r) => r.meta.id === row.id)?.meta.enabledByDefault !== false);
      assert.ok(['error', 'warning', 'information', 'hint'].includes(row.defaultSeverity as string));
      const page = /\/docs\/rules\/([a-z-]+\.md)$/.exec(row.docs as string)?.[1];
      assert.ok(page && existsSync(join(REPO_ROOT, 'docs', 'rules', page)), String(row.docs));
    }
  });

  it('rejects an unknown format or an argument, with exit status 2', () => {
    const bad = runCli(['rules', '--format', 'xml'], REPO_ROOT);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of text, json/);
    assert.equal(runCli(['rules', 'extra'], REPO_ROOT).code, 2);
    assert.match(runCli(['rules', '--help'], REPO_ROOT).stdout, /Usage: migration-guard rules/);
  });
});

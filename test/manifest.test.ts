/**
 * package.json's contributed settings, the server's settings parser and the rule registry agree:
 * one setting per rule with the severity enum, no setting for a rule that does not exist, and
 * every rule has its documentation page.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RULE_IDS, RULES } from '../server/src/analysis/rules';
import { SEVERITIES } from '../server/src/analysis/types';
import { defaultSettings, parseSettings } from '../server/src/config/settings';
import { REPO_ROOT } from './helpers/paths';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const props: Record<string, { enum?: string[]; default?: unknown; description?: string; markdownDescription?: string }> = pkg.contributes.configuration.properties;

describe('extension manifest', () => {
  it('contributes one severity setting per rule, and no other rule settings', () => {
    const ruleKeys = Object.keys(props).filter((k) => k.startsWith('migrationGuard.rules.'));
    assert.deepEqual(ruleKeys.map((k) => k.slice('migrationGuard.rules.'.length)).sort(), [...RULE_IDS].sort());
    for (const key of ruleKeys) {
      assert.deepEqual(props[key]?.enum, ['default', 'off', ...SEVERITIES], key);
      assert.equal(props[key]?.default, 'default', key);
    }
  });

  it('describes every setting, and the rule setting text is the rule summary', () => {
    for (const [key, p] of Object.entries(props)) assert.ok(p.description ?? p.markdownDescription, `${key} has no description`);
    for (const rule of RULES) {
      assert.ok(props[`migrationGuard.rules.${rule.meta.id}`]?.markdownDescription?.startsWith(rule.meta.summary), `${rule.meta.id} summary out of sync`);
    }
  });

  it('every contributed non-rule setting is one the server understands', () => {
    const raw: Record<string, unknown> = {};
    for (const key of Object.keys(props)) {
      const name = key.slice('migrationGuard.'.length);
      if (name.startsWith('rules.') || name.startsWith('trace.')) continue;
      raw[name] = props[key]?.default;
    }
    const { problems } = parseSettings({ ...raw, rules: Object.fromEntries(RULE_IDS.map((id) => [id, 'default'])) }, 'test');
    assert.deepEqual(problems, []);
    const known = Object.keys(defaultSettings()).filter((k) => k !== 'rules').sort();
    assert.deepEqual(Object.keys(raw).sort(), known);
  });

  it('has a documentation page for every rule', () => {
    for (const id of RULE_IDS) assert.ok(existsSync(join(REPO_ROOT, 'docs', 'rules', `${id}.md`)), `docs/rules/${id}.md missing`);
  });

  it('declares untrusted-workspace support and the commands under one category', () => {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, true);
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Django Migrations');
    assert.ok(pkg.engines.vscode.startsWith('^1.100'), 'engines.vscode must stay <= ^1.100.0 for the local code-server run');
  });
});

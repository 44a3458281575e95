/**
 * `check` says which database the lock and rewrite findings assume when no pyproject.toml names one
 * (review 21: findings worded for PostgreSQL on projects that deploy to MySQL or SQLite, none saying
 * so), and says nothing once the project names it, under --quiet, or when no such finding is reported.
 */
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, TempDirs } from './helpers/cli';
import { FIXTURES } from './helpers/paths';

const temps = new TempDirs();
after(() => temps.removeAll());

/** A copy of the conflict project: crm 0003 adds a NOT NULL column to an existing table (add-field-not-null). */
function project(pyproject?: string): string {
  const dir = temps.make('mg-assumed-db-');
  cpSync(join(FIXTURES, 'projects', 'conflict'), dir, { recursive: true });
  if (pyproject !== undefined) writeFileSync(join(dir, 'pyproject.toml'), pyproject);
  return dir;
}

const NOTE = /assume the project deploys to PostgreSQL 14 with Django 4\.2, the defaults/;

describe('check: the database the findings assume', () => {
  it('names it, with the rules and how to set it, when no pyproject.toml does', () => {
    const run = runCli(['check', '.'], project());
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /\[add-field-not-null\]/);
    assert.match(run.stderr, NOTE);
    assert.match(run.stderr, /\(add-field-not-null\)/);
    assert.match(run.stderr, /database = "postgresql", "mysql" or "sqlite"/);
    // Which settings: ours, not Django's (review 52 took "the settings of their files" for Django's); and what rides on it.
    assert.match(run.stderr, /no `database` is set in \[tool\.migration-guard\] for the files? (?:it comes|they come) from\./);
    assert.match(run.stderr, /their fixes follow that database: a fix's SQL may fail on another/);
    assert.doesNotMatch(run.stdout, NOTE, 'a note, not output: JSON and SARIF stay clean');
  });

  it('follows the versions the project does set', () => {
    const run = runCli(['check', '.'], project('[tool.migration-guard]\npostgresql-version = 12\ndjango-version = "5.1"\n'));
    assert.match(run.stderr, /PostgreSQL 12 with Django 5\.1/);
  });

  it('says nothing once the project names its database, under --quiet, or without such a finding', () => {
    for (const database of ['postgresql', 'sqlite']) {
      const run = runCli(['check', '.'], project(`[tool.migration-guard]\ndatabase = "${database}"\n`));
      assert.doesNotMatch(run.stderr, /assume/, database);
    }
    assert.equal(runCli(['check', '.', '-q'], project()).stderr, '');
    const other = runCli(['check', '.', '--select', 'conflicting-migrations'], project());
    assert.equal(other.code, 1, 'the conflict is still reported');
    assert.doesNotMatch(other.stderr, /assume/);
  });
});

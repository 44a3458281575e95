/**
 * `migration-guard explain` end to end (the bundled dist/cli.js): text and JSON for a migration of
 * the sql-preview fixture project, the target flags, and exit status 2 with a message for bad
 * input (no such file, not a migration, a syntax error, a bad flag).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DIST, FIXTURES } from './helpers/paths';

const CLI = join(DIST, 'cli.js');
const ROOT = join(FIXTURES, 'sql-preview', 'shop');

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('migration-guard explain', () => {
  it('prints each operation with its SQL, lock, blocking, rewrite/scan and transaction', () => {
    const r = cli(['explain', 'shop/migrations/0003_alter_fields.py', '--django-version', '3.2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^shop\/migrations\/0003_alter_fields\.py \(shop\.0003_alter_fields\) on PostgreSQL 14, Django 3\.2\n/);
    assert.match(r.stdout, /2\. AlterField on 'product' \(line 17\) — inside the migration's transaction\n {3}ALTER TABLE "shop_product" ALTER COLUMN "weight" TYPE bigint USING "weight"::bigint;\n {5}-- ACCESS EXCLUSIVE · blocks reads and writes · rewrites the table/);
    assert.match(r.stdout, /ALTER TABLE "shop_product" ALTER COLUMN "name" TYPE varchar\(300\);\n {5}-- ACCESS EXCLUSIVE · blocks reads and writes · no rewrite, no scan/);
  });

  it('JSON for a non-atomic migration: statements outside any transaction', () => {
    const r = cli(['explain', '--format', 'json', join(ROOT, 'shop/migrations/0006_concurrently.py')]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { migration: string; atomic: boolean; database: { vendor: string }; operations: Array<{ operation: string; transaction: string; statements: Array<{ sql: string; lock: string; blocks: string; transactional: boolean; source: string }> }> };
    assert.equal(out.migration, 'shop.0006_concurrently');
    assert.equal(out.atomic, false);
    assert.equal(out.database.vendor, 'postgresql');
    const first = out.operations[0];
    assert.equal(first?.operation, 'AddIndexConcurrently');
    assert.equal(first?.transaction, 'none');
    assert.deepEqual(first?.statements.map((s) => [s.sql, s.lock, s.blocks, s.transactional]), [['CREATE INDEX CONCURRENTLY "product_weight_idx" ON "shop_product" ("weight");', 'SHARE UPDATE EXCLUSIVE', 'nothing', false]]);
    assert.match(first?.statements[0]?.source ?? '', /sql-createindex/);
  });

  it('the PostgreSQL version changes the facts', () => {
    const old = cli(['explain', 'shop/migrations/0002_add_fields.py', '--postgresql-version', '10']);
    assert.equal(old.code, 0, old.stderr);
    assert.match(old.stdout, /ADD COLUMN "weight" integer DEFAULT 0 NOT NULL;\n {5}-- ACCESS EXCLUSIVE · blocks reads and writes · rewrites the table/);
  });

  it("takes the target from the project's [tool.migration-guard], the flags over it", () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-explain-'));
    temps.push(root);
    cpSync(join(ROOT, 'shop'), join(root, 'shop'), { recursive: true });
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\npostgresql-version = 10\ndjango-version = "3.2"\n');
    const fromSettings = cli(['explain', 'shop/migrations/0002_add_fields.py'], root);
    assert.equal(fromSettings.code, 0, fromSettings.stderr);
    assert.match(fromSettings.stdout, /on PostgreSQL 10, Django 3\.2\n/);
    assert.match(fromSettings.stdout, /ADD COLUMN "weight" integer DEFAULT 0 NOT NULL;\n {5}-- ACCESS EXCLUSIVE · blocks reads and writes · rewrites the table/);
    const flagged = cli(['explain', 'shop/migrations/0002_add_fields.py', '--postgresql-version', '15'], root);
    assert.match(flagged.stdout, /on PostgreSQL 15, Django 3\.2\n/);
    assert.doesNotMatch(flagged.stdout, /ADD COLUMN "weight" integer DEFAULT 0 NOT NULL;\n {5}-- ACCESS EXCLUSIVE · blocks reads and writes · rewrites the table/);
  });

  it("explains a migration a squash replaced against the chain Django keeps for it", () => {
    const root = join(FIXTURES, 'projects', 'squashed-with-replaced');
    const r = cli(['explain', 'inventory/migrations/0002_item_sku.py'], root);
    assert.equal(r.code, 0, r.stderr);
    // The table 0001 created, by its name: before, the models before a replaced file were not known.
    assert.match(r.stdout, /ALTER TABLE "inventory_item" ADD COLUMN "sku" varchar\(32\) DEFAULT '' NOT NULL;/);
  });

  it('bad input exits 2 with a message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-explain-'));
    temps.push(dir);
    writeFileSync(join(dir, 'broken.py'), 'class Migration(migrations.Migration:\n    operations = [\n');
    writeFileSync(join(dir, 'plain.py'), 'x = 1\n');
    const cases: Array<[string[], RegExp]> = [
      [['explain', join(dir, 'missing.py')], /missing\.py: no such file/],
      [['explain', join(dir, 'plain.py')], /plain\.py: not a migration/],
      [['explain', join(dir, 'broken.py')], /broken\.py: does not parse/],
      [['explain'], /explain takes exactly one migration file/],
      [['explain', 'shop/migrations/0001_initial.py', '--database', 'oracle'], /--database must be one of postgresql, mysql, sqlite/],
      [['explain', 'shop/migrations/0001_initial.py', '--django-version', 'latest'], /--django-version must look like 4\.2/],
      [['explain', 'shop/migrations/0001_initial.py', '--format', 'sarif'], /--format must be one of text, json/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message);
    }
  });

  it('has its own help', () => {
    const r = cli(['explain', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: migration-guard explain/);
    assert.match(cli(['--help']).stdout, /explain/);
  });
});

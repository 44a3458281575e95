/**
 * Truth test of the schema fixes (add-field-not-null "Add in steps", alter-field-not-null's
 * backfill + NOT NULL steps, drop-column / drop-table "Remove in two releases"), judged by real
 * Django 3.2 (Debian's python3-django) on a throwaway PostgreSQL (a unique UUID with a callable
 * default among them, which Django's own AddField cannot add to a table with rows). One fixture project,
 * test/fixtures/schema-steps-truth, holds one app per fix (`django-version = "3.2"`); each app's
 * models.py is its final state.
 *
 * The fixes are written by the CLI (`check --unsafe-fixes`) on a database whose tables have rows
 * (and a row inserted the way old code inserts, between the nullable AddField and the backfill).
 * Then `migrate` forwards: the backfill fills the rows, the columns are NOT NULL in pg_attribute,
 * no CHECK constraint is left, the dropped column and table are gone. Backwards to the initial
 * migrations and forwards again; `makemigrations --check --dry-run` finds nothing to do.
 * Add with db_default (Django ≥ 5.0) cannot run on Django 3.2: schema-steps.test.ts checks its
 * text, that it parses and that the rule no longer fires.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { djangoProject, manage, type DjangoProject } from './helpers/django';
import { DIST, FIXTURES } from './helpers/paths';
import { startPostgres, type PgCluster } from './helpers/postgres';

const APPS = ['adds', 'tokens', 'alters', 'drops', 'deletes', 'blanks'];
const RULES = ['--select', 'add-field-not-null,alter-field-not-null,drop-column,drop-table'];
const ROWS = 2500;

let cluster: PgCluster;
let root: string;
let db: string;
let project: DjangoProject;

before(async () => {
  cluster = await startPostgres();
  root = join(mkdtempSync(join(tmpdir(), 'mg-schema-steps-truth-')), 'project');
  cpSync(join(FIXTURES, 'schema-steps-truth'), root, { recursive: true });
  db = cluster.createDatabase();
  project = djangoProject(root, { apps: APPS, database: { engine: 'postgres', cluster, name: db } });
});

after(() => {
  project?.dispose();
  cluster?.stop();
  if (root) rmSync(join(root, '..'), { recursive: true, force: true });
});

const sql = (text: string): string => cluster.sql(text, db);

function notNull(table: string, column: string): boolean | null {
  const r = sql(`SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = to_regclass('${table}') AND a.attname = '${column}' AND NOT a.attisdropped`);
  return r === '' ? null : r === 't';
}

const checks = (table: string): string => sql(`SELECT string_agg(conname, ',') FROM pg_constraint WHERE conrelid = to_regclass('${table}') AND contype = 'c'`);

function migrations(app: string): string[] {
  return readdirSync(join(root, app, 'migrations')).filter((f) => /^\d{4}_.*\.py$/.test(f)).sort();
}

function migrateTo(target: Array<[string, string]>): void {
  for (const [app, name] of target) manage(project, ['migrate', app, name, '--no-input', '-v', '0']);
}

function assertFixedSchema(): void {
  assert.equal(notNull('adds_listing', 'category'), true, 'adds_listing.category is NOT NULL');
  assert.equal(notNull('alters_order', 'total'), true, 'alters_order.total is NOT NULL');
  assert.equal(notNull('tokens_voucher', 'token'), true, 'tokens_voucher.token is NOT NULL');
  assert.equal(checks('tokens_voucher'), '', 'no CHECK constraint is left on tokens_voucher');
  assert.equal(checks('adds_listing'), '', 'no CHECK constraint is left on adds_listing');
  assert.equal(checks('alters_order'), '', 'no CHECK constraint is left on alters_order');
  assert.equal(notNull('drops_customer', 'nickname'), null, 'the column is dropped');
  assert.equal(sql("SELECT to_regclass('deletes_coupon') IS NULL"), 't', 'the table is dropped');
  assert.equal(notNull('blanks_bookmark', 'custom_name'), true, 'blanks_bookmark.custom_name is NOT NULL');
  assert.equal(checks('blanks_bookmark'), '', 'no CHECK constraint is left on blanks_bookmark');
}

describe('schema fixes on real Django and PostgreSQL', () => {
  it('write migrations that migrate forwards with rows, backwards to the base, forwards again, and match the models', () => {
    migrateTo(APPS.map((app) => [app, '0001']));
    sql(`INSERT INTO adds_listing (title) SELECT 'listing ' || g FROM generate_series(1, ${ROWS}) g`);
    sql(`INSERT INTO tokens_voucher (code) SELECT 'v' || g FROM generate_series(1, ${ROWS}) g`);
    sql(`INSERT INTO alters_order (status, total) SELECT 'new', CASE WHEN g % 2 = 0 THEN NULL ELSE g END FROM generate_series(1, ${ROWS}) g`);
    sql(`INSERT INTO drops_customer (name, nickname) SELECT 'c' || g, 'n' || g FROM generate_series(1, ${ROWS}) g`);
    sql(`INSERT INTO deletes_coupon (code, listing_id) SELECT 'code' || g, g FROM generate_series(1, 100) g`);
    sql(`INSERT INTO blanks_bookmark (url) SELECT 'https://example.com/' || g FROM generate_series(1, ${ROWS}) g`);

    // Unfixed, Django adds the unique UUID with one value for every row, and fails.
    assert.throws(() => migrateTo([['tokens', '0002_voucher_token']]), /duplicate key|could not create unique index/);
    assert.equal(notNull('tokens_voucher', 'token'), null, 'rolled back');

    const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.', '--fix', '--unsafe-fixes', ...RULES], { cwd: root, encoding: 'utf8' });
    assert.equal(cli.status, 0, `${cli.stdout}\n${cli.stderr}`);
    assert.deepEqual(migrations('adds'), ['0001_initial.py', '0002_listing_category.py', '0003_backfill_listing_category.py', '0004_listing_category_not_null.py']);
    assert.deepEqual(migrations('tokens'), ['0001_initial.py', '0002_voucher_token.py', '0003_backfill_voucher_token.py', '0004_voucher_token_not_null.py']);
    assert.deepEqual(migrations('alters'), ['0001_initial.py', '0002_order_total.py', '0003_backfill_order_total.py', '0004_order_total_not_null.py']);
    assert.deepEqual(migrations('drops'), ['0001_initial.py', '0002_remove_customer_nickname.py', '0003_remove_customer_nickname_from_database.py']);
    assert.deepEqual(migrations('deletes'), ['0001_initial.py', '0002_delete_coupon.py', '0003_delete_coupon_table.py']);
    assert.deepEqual(migrations('blanks'), ['0001_initial.py', '0002_bookmark_custom_name.py', '0003_backfill_bookmark_custom_name.py', '0004_bookmark_custom_name_not_null.py']);

    // A blank text field without a default: Django gives existing rows "", and so does the nullable step (review 28: kuma bookmarks/0003).
    migrateTo([['blanks', '0002_bookmark_custom_name']]);
    assert.equal(notNull('blanks_bookmark', 'custom_name'), false);
    assert.equal(sql("SELECT count(*) FROM blanks_bookmark WHERE custom_name = ''"), String(ROWS), 'the rows there before get the empty string, not NULL');
    sql("INSERT INTO blanks_bookmark (url) VALUES ('inserted by old code')");
    assert.equal(sql('SELECT count(*) FROM blanks_bookmark WHERE custom_name IS NULL'), '1', 'old code inserts NULL: no default is left in the database');

    // The nullable column first; then rows inserted the way the old code inserts them (no category).
    migrateTo([['adds', '0002_listing_category']]);
    assert.equal(notNull('adds_listing', 'category'), false);
    sql("INSERT INTO adds_listing (title) VALUES ('inserted by old code'), ('inserted by old code')");
    assert.equal(sql('SELECT count(*) FROM adds_listing WHERE category IS NULL'), '2');
    // The new code no longer inserts nickname: after the state-only removal that must work.
    migrateTo([['drops', '0002_remove_customer_nickname']]);
    sql("INSERT INTO drops_customer (name) VALUES ('new code')");

    manage(project, ['migrate', '--no-input', '-v', '0']);
    assertFixedSchema();
    assert.equal(sql("SELECT count(*) FROM adds_listing WHERE category = 'general'"), String(ROWS + 2), 'every row has the default');
    // A unique callable default: Django would have given every row the same UUID; each row has its own.
    assert.equal(sql('SELECT count(DISTINCT token) FROM tokens_voucher'), String(ROWS));
    assert.equal(sql('SELECT count(*) FROM alters_order WHERE total = 0'), String(ROWS / 2), 'the NULL totals are backfilled with the default');
    assert.equal(sql('SELECT count(*) FROM alters_order WHERE total > 0'), String(ROWS / 2), 'the other totals are kept');
    assert.equal(sql("SELECT count(*) FROM blanks_bookmark WHERE custom_name = ''"), String(ROWS + 1), 'the backfill gives the row old code inserted "" too');

    // Backwards to the initial migrations, and forwards again.
    migrateTo([['blanks', '0001'], ['deletes', '0001'], ['drops', '0001'], ['alters', '0001'], ['tokens', '0001'], ['adds', '0001']]);
    assert.equal(notNull('adds_listing', 'category'), null, 'the added column is gone');
    assert.equal(notNull('tokens_voucher', 'token'), null);
    assert.equal(notNull('alters_order', 'total'), false, 'total is nullable again');
    assert.equal(checks('alters_order'), '');
    assert.equal(notNull('drops_customer', 'nickname'), false, 'the dropped column comes back, nullable and empty');
    assert.equal(sql('SELECT count(*) FROM deletes_coupon'), '0', 'the dropped table comes back, empty');
    manage(project, ['migrate', '--no-input', '-v', '0']);
    assertFixedSchema();

    const check = manage(project, ['makemigrations', '--check', '--dry-run']);
    assert.match(check.stdout, /No changes detected/);
    assert.ok(existsSync(join(root, 'adds', 'migrations', '0004_listing_category_not_null.py')));
  });

  it('write a follow-up drop that also runs where the original drop already ran (review 28: mitxpro hubspot_xpro/0003, kuma plus/0002)', () => {
    // A database that applied the unfixed migrations: the column and the table are gone already.
    const shipped = join(mkdtempSync(join(tmpdir(), 'mg-schema-steps-shipped-')), 'project');
    cpSync(join(FIXTURES, 'schema-steps-truth'), shipped, { recursive: true });
    const old = djangoProject(shipped, { apps: ['adds', 'drops', 'deletes'], database: { engine: 'postgres', cluster, name: cluster.createDatabase() } });
    try {
      manage(old, ['migrate', 'drops', '--no-input', '-v', '0']);
      manage(old, ['migrate', 'deletes', '--no-input', '-v', '0']);
      const cli = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '.', '--fix', '--unsafe-fixes', '--select', 'drop-column,drop-table'], { cwd: shipped, encoding: 'utf8' });
      assert.equal(cli.status, 0, `${cli.stdout}\n${cli.stderr}`);
      assert.deepEqual(readdirSync(join(shipped, 'drops', 'migrations')).filter((f) => /^\d{4}_/.test(f)).sort(), ['0001_initial.py', '0002_remove_customer_nickname.py', '0003_remove_customer_nickname_from_database.py']);
      // The follow-ups run on it (nothing left to drop), and backwards they bring the column and the table back.
      manage(old, ['migrate', '--no-input', '-v', '0']);
      manage(old, ['migrate', 'drops', '0001', '--no-input', '-v', '0']);
      manage(old, ['migrate', 'deletes', '0001', '--no-input', '-v', '0']);
      manage(old, ['migrate', '--no-input', '-v', '0']);
    } finally {
      old.dispose();
      rmSync(join(shipped, '..'), { recursive: true, force: true });
    }
  });
});

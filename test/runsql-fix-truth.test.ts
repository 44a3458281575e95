/**
 * Truth test of the RunSQL fixes on a real PostgreSQL. psql's `-c` sends its text as one query,
 * as Django sends one Python string of RunSQL: several statements in it run as one implicit
 * transaction; `BEGIN; …; COMMIT` is an atomic migration. The SQL run is the fixed migration's,
 * read back by the linter from the file the fix wrote.
 * Without PostgreSQL the test is skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipReason } from './helpers/skip';
import type { Finding } from '../server/src/analysis/types';
import { applyEdits } from './helpers/apply-edits';
import { TempDirs, writeFileIn } from './helpers/cli';
import { lint, lintProject } from './helpers/lint';
import { FIXTURES } from './helpers/paths';
import { postgresBinDir, startPostgres, type PgCluster } from './helpers/postgres';

const SETUP = `
CREATE TABLE shop_customer (id serial PRIMARY KEY);
INSERT INTO shop_customer SELECT FROM generate_series(1, 10);
CREATE TABLE shop_order (id serial PRIMARY KEY, ref varchar(20), total integer, customer_id integer);
INSERT INTO shop_order (ref, total, customer_id) SELECT 'r' || g, g, 1 + g % 10 FROM generate_series(1, 2000) g;
CREATE INDEX shop_order_old ON shop_order (total);
CREATE TYPE shop_status AS ENUM ('new', 'paid');
`;

function migration(ops: string): string {
  return `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
${ops}
    ]
`;
}

/** The forward SQL strings of every RunSQL of a migration, as the linter reads them. */
async function strings(source: string): Promise<string[]> {
  const { summary } = await lint(source);
  return (summary?.operations ?? []).flatMap((op) => op.sql ?? []);
}

async function fixOf(source: string, rule: string): Promise<{ out: string; finding: Finding }> {
  const finding = (await lint(source)).findings.find((f) => f.rule === rule);
  assert.ok(finding?.fixes[0], `a ${rule} fix`);
  return { out: applyEdits(source, finding.fixes[0].edits), finding };
}

const temps = new TempDirs();
after(() => temps.removeAll());

describe('RunSQL fixes run on PostgreSQL', () => {
  const skip = skipReason(postgresBinDir() ? null : 'PostgreSQL binaries not found (Debian package postgresql)');
  if (skip) {
    it('is skipped', (t) => {
      console.log(`SKIPPED RunSQL fix truth test: ${skip}`);
      t.skip(skip);
    });
    return;
  }
  let cluster: PgCluster;
  let n = 0;
  const fresh = (): string => {
    const db = `fix_${++n}`;
    cluster.sql(`CREATE DATABASE ${db} TEMPLATE base`);
    return db;
  };
  before(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('base');
    cluster.sql(SETUP, 'base');
  });
  after(() => cluster?.stop());

  it('the reverse written for views and sequences undoes them: forward, reverse, forward again (review 26: courtlistener scrapers/0004)', async () => {
    const src = migration(`        migrations.RunSQL(
            [
                "CREATE SEQUENCE IF NOT EXISTS shop_ref_seq",
                "CREATE MATERIALIZED VIEW IF NOT EXISTS shop_totals AS SELECT customer_id, sum(total) AS total FROM shop_order GROUP BY customer_id",
                "CREATE VIEW shop_big_orders AS SELECT * FROM shop_order WHERE total > 1000",
                "CREATE TEXT SEARCH CONFIGURATION shop_english (COPY = english)",
            ],
        ),`);
    const { out, finding } = await fixOf(src, 'runsql-no-reverse');
    assert.match(finding.fixes[0]?.title ?? '', /^Add reverse_sql: DROP TEXT SEARCH CONFIGURATION IF EXISTS shop_english; DROP VIEW IF EXISTS shop_big_orders; DROP MATERIALIZED VIEW IF EXISTS shop_totals; DROP SEQUENCE IF EXISTS shop_ref_seq;$/);
    // The forward cannot run twice after a rollback that undid nothing (review 37: les-emplois utils/0001): no no-op offered.
    assert.ok(!finding.fixes.some((f) => f.title.endsWith('.noop')), finding.fixes.map((f) => f.title).join('\n'));
    const configs = (db: string) => cluster.sql("SELECT count(*) FROM pg_ts_config WHERE cfgname = 'shop_english'", db);
    const reverse = /reverse_sql=(\[[^\]]*\])/.exec(out)?.[1];
    assert.ok(reverse, out);
    const db = fresh();
    const objects = () => cluster.sql("SELECT count(*) FROM pg_class WHERE relname IN ('shop_ref_seq', 'shop_totals', 'shop_big_orders')", db);
    for (const sql of await strings(src)) cluster.sql(sql, db);
    assert.equal(objects(), '3');
    assert.equal(configs(db), '1');
    for (const sql of JSON.parse(reverse.replace(/'/g, '"')) as string[]) cluster.sql(sql, db);
    assert.equal(objects(), '0', 'the reverse drops what the forward made');
    assert.equal(configs(db), '0');
    for (const sql of await strings(src)) cluster.sql(sql, db);
    assert.equal(objects(), '3', 'and the forward runs again');
    assert.equal(configs(db), '1');
  });

  it('the reverse written for renames renames back: forward, reverse, forward again (review 59: Geotrek renames its sequences)', async () => {
    const src = migration(`        migrations.RunSQL(
            [
                "ALTER SEQUENCE shop_order_id_seq RENAME TO shop_purchase_id_seq;",
                "ALTER INDEX public.shop_order_old RENAME TO shop_order_by_total",
                "ALTER TABLE shop_order RENAME COLUMN total TO amount",
                "ALTER TABLE shop_order RENAME TO shop_purchase",
            ],
        ),`);
    const { out, finding } = await fixOf(src, 'runsql-no-reverse');
    assert.match(finding.fixes[0]?.title ?? '', /^Add reverse_sql: ALTER TABLE shop_purchase RENAME TO shop_order; ALTER TABLE shop_order RENAME COLUMN amount TO total; ALTER INDEX public\.shop_order_by_total RENAME TO shop_order_old; ALTER SEQUENCE shop_purchase_id_seq RENAME TO shop_order_id_seq;$/);
    assert.ok(!finding.fixes.some((f) => f.title.endsWith('.noop')), finding.fixes.map((f) => f.title).join('\n'));
    const reverse = /reverse_sql=(\[[^\]]*\])/.exec(out)?.[1];
    assert.ok(reverse, out);
    const db = fresh();
    const names = () => cluster.sql("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname LIKE 'shop_%' AND relkind IN ('r', 'S', 'i')", db);
    const columns = () => cluster.sql("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name IN ('shop_order', 'shop_purchase')", db);
    const before = [names(), columns()];
    for (const sql of await strings(src)) cluster.sql(sql, db);
    const renamed = [names(), columns()];
    assert.notDeepEqual(renamed, before);
    for (const sql of JSON.parse(reverse.replace(/'/g, '"')) as string[]) cluster.sql(sql, db);
    assert.deepEqual([names(), columns()], before, 'the reverse gives every name back');
    for (const sql of await strings(src)) cluster.sql(sql, db);
    assert.deepEqual([names(), columns()], renamed, 'and the forward runs again');
  });

  it('CREATE / DROP INDEX CONCURRENTLY: refused in the atomic migration, run by the fixed one (atomic = False, one statement per string)', async () => {
    const src = migration(`        migrations.RunSQL(
            ["CREATE INDEX shop_order_ref ON shop_order (ref)", "DROP INDEX shop_order_old"],
            ["DROP INDEX shop_order_ref", "CREATE INDEX shop_order_old ON shop_order (total)"],
        ),`);
    const first = await fixOf(src, 'add-index-not-concurrent');
    const second = await fixOf(first.out, 'remove-index-not-concurrent');
    const fixed = await strings(second.out);
    assert.deepEqual(fixed, ['CREATE INDEX CONCURRENTLY shop_order_ref ON shop_order (ref)', 'DROP INDEX CONCURRENTLY shop_order_old']);
    assert.match(second.out, /atomic = False/);
    const db = fresh();
    // As the original atomic migration would run the fixed statements: refused.
    assert.throws(() => cluster.sql(`BEGIN; ${fixed[0]}; COMMIT;`, db), /cannot run inside a transaction block/);
    // Two statements in one string are one implicit transaction too: why the fix wants a string each.
    assert.throws(() => cluster.sql(`${fixed[0]}; ${fixed[1]}`, db), /cannot (run|be executed) (inside a transaction block|within a pipeline)/);
    // atomic = False: Django executes each string on its own, in autocommit.
    for (const sql of fixed) cluster.sql(sql, db);
    assert.equal(cluster.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'shop_order_ref'::regclass", db), 't');
    assert.equal(cluster.sql("SELECT count(*) FROM pg_class WHERE relname = 'shop_order_old'", db), '0');
  });

  it('ADD CONSTRAINT … NOT VALID in the migration, VALIDATE in the follow-up: each its own transaction, the validation under SHARE UPDATE EXCLUSIVE', async () => {
    for (const [constraint, check] of [
      ['total_positive', 'CHECK (total > 0)'],
      ['order_customer', 'FOREIGN KEY (customer_id) REFERENCES shop_customer (id)'],
    ] as const) {
      const src = migration(`        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT ${constraint} ${check}", migrations.RunSQL.noop),`);
      // The follow-up migration is named after this one's place in its app: linted with its project.
      const dir = temps.make();
      cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
      const file = join(dir, 'shop', 'migrations', '0002_sql.py');
      writeFileIn(file, src);
      const fix = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-constraint-validates')?.fixes[0];
      assert.ok(fix?.creates?.[0]);
      const [added] = await strings(applyEdits(src, fix.edits));
      const [validate] = await strings(fix.creates[0].text);
      assert.equal(validate, `ALTER TABLE shop_order VALIDATE CONSTRAINT ${constraint}`);
      assert.equal(added, `ALTER TABLE shop_order ADD CONSTRAINT ${constraint} ${check} NOT VALID`);
      const db = fresh();
      // Migration 0002 (atomic): no scan, so no row is checked under its lock.
      cluster.sql(`BEGIN; ${added}; COMMIT;`, db);
      assert.equal(cluster.sql(`SELECT convalidated FROM pg_constraint WHERE conname = '${constraint}'`, db), 'f');
      // Migration 0003 (its own transaction): the lock the validation holds lets reads and writes go on.
      const held = cluster.sql(
        `BEGIN; ${validate}; SELECT string_agg(mode, ',') FROM pg_locks WHERE relation = 'shop_order'::regclass AND pid = pg_backend_pid() AND granted; COMMIT;`,
        db,
      );
      const modes = held.split('\n').filter(Boolean).pop()?.split(',') ?? [];
      assert.ok(modes.includes('ShareUpdateExclusiveLock'), held);
      // Nothing that blocks reads or writes (the foreign key's check reads the rows: ACCESS SHARE).
      assert.deepEqual(modes.filter((m) => !['AccessShareLock', 'ShareUpdateExclusiveLock'].includes(m)), []);
      assert.equal(cluster.sql(`SELECT convalidated FROM pg_constraint WHERE conname = '${constraint}'`, db), 't');
    }
  });

  it('VALIDATE in the same transaction as ADD … NOT VALID gains nothing: the ADD lock is held to the end (why the fix writes a follow-up migration)', () => {
    const db = fresh();
    const held = cluster.sql(
      `BEGIN; ALTER TABLE shop_order ADD CONSTRAINT t CHECK (total > 0) NOT VALID; ALTER TABLE shop_order VALIDATE CONSTRAINT t; SELECT string_agg(mode, ',') FROM pg_locks WHERE relation = 'shop_order'::regclass AND pid = pg_backend_pid() AND granted; COMMIT;`,
      db,
    );
    assert.ok(held.split('\n').pop()?.split(',').includes('AccessExclusiveLock'), held);
  });

  it('ALTER TYPE … ADD VALUE: the new value cannot be used in the same transaction; with atomic = False it can', async () => {
    const src = migration(`        migrations.RunSQL("ALTER TYPE shop_status ADD VALUE 'refunded'", migrations.RunSQL.noop),`);
    const [added] = await strings(src);
    const db = fresh();
    assert.throws(() => cluster.sql(`BEGIN; ${added}; SELECT 'refunded'::shop_status; COMMIT;`, db), /unsafe use of new value/);
    cluster.sql(added as string, db);
    assert.equal(cluster.sql("SELECT 'refunded'::shop_status", db), 'refunded');
  });
});

/**
 * Truth test of the lock table on a real PostgreSQL: each statement kind is run (the SQL Django
 * writes for it) inside a transaction on a table with rows, and the strongest lock the session
 * then holds on that table (pg_locks) must be the mode the table states; the table's file node
 * (pg_relation_filenode) must change exactly when the table says "rewrite". CONCURRENTLY and
 * ALTER TYPE … ADD VALUE cannot run in the transaction this needs, and are left to their sources.
 * Without PostgreSQL the test is skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipReason } from './helpers/skip';
import { lockFact, type StatementKind } from '../server/src/analysis/locks/lock-table';
import { statementKind } from '../server/src/analysis/locks/statement-kind';
import type { TargetDatabase } from '../server/src/analysis/target-database';
import { strongestMode } from './helpers/pg-locks';
import { postgresBinDir, startPostgres, type PgCluster } from './helpers/postgres';

const SETUP = `
CREATE TABLE u (id serial PRIMARY KEY);
INSERT INTO u SELECT FROM generate_series(1, 10);
CREATE TABLE t (id serial PRIMARY KEY, a integer, b varchar(10), c text, u_id integer);
INSERT INTO t (a, b, c, u_id) SELECT g, 'x', 'y', 1 FROM generate_series(1, 1000) g;
CREATE INDEX t_a_idx ON t (a);
ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a >= 0) NOT VALID;
CREATE TABLE gone (id integer);
CREATE TABLE nopk (id integer NOT NULL);
`;

/** Statements as Django writes them, on table `t` unless said. */
const CASES: Array<{ sql: string; table?: string; created?: boolean; kind?: StatementKind }> = [
  { sql: 'CREATE TABLE "n" ("id" serial NOT NULL PRIMARY KEY)', table: 'n', created: true },
  { sql: 'DROP TABLE "gone" CASCADE', table: 'gone' },
  { sql: 'ALTER TABLE "t" RENAME TO "t_renamed"' },
  { sql: 'ALTER TABLE "t" ADD COLUMN "d" varchar(50) NULL' },
  { sql: 'ALTER TABLE "t" ADD COLUMN "e" integer DEFAULT 0 NOT NULL' },
  { sql: 'ALTER TABLE "t" ADD COLUMN "f_id" integer NULL CONSTRAINT "t_f_fk" REFERENCES "u"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "t_f_fk" IMMEDIATE' },
  { sql: 'ALTER TABLE "t" DROP COLUMN "c" CASCADE' },
  { sql: 'ALTER TABLE "t" RENAME COLUMN "b" TO "bb"' },
  { sql: 'ALTER TABLE "t" ALTER COLUMN "a" TYPE bigint USING "a"::bigint' },
  // The preview tells these binary-compatible changes apart (the text alone cannot).
  { sql: 'ALTER TABLE "t" ALTER COLUMN "b" TYPE varchar(20)', kind: 'alter-column-type-widen' },
  { sql: 'ALTER TABLE "t" ALTER COLUMN "b" TYPE text USING "b"::text', kind: 'alter-column-type-widen' },
  { sql: 'ALTER TABLE "t" ALTER COLUMN "a" SET NOT NULL' },
  { sql: 'ALTER TABLE "t" ALTER COLUMN "b" DROP NOT NULL' },
  { sql: 'ALTER TABLE "t" ALTER COLUMN "a" SET DEFAULT 0' },
  { sql: 'ALTER TABLE "t" ALTER COLUMN "a" DROP DEFAULT' },
  { sql: 'ALTER TABLE "t" ADD CONSTRAINT "t_a_pos" CHECK ("a" > 0)' },
  { sql: 'ALTER TABLE "t" ADD CONSTRAINT "t_a_pos" CHECK ("a" > 0) NOT VALID' },
  { sql: 'ALTER TABLE "t" ADD CONSTRAINT "t_u2_fk" FOREIGN KEY ("u_id") REFERENCES "u" ("id") DEFERRABLE INITIALLY DEFERRED' },
  { sql: 'ALTER TABLE "t" ADD CONSTRAINT "t_u2_fk" FOREIGN KEY ("u_id") REFERENCES "u" ("id") NOT VALID' },
  { sql: 'ALTER TABLE "t" ADD CONSTRAINT "t_a_uniq" UNIQUE ("a")' },
  { sql: 'ALTER TABLE "nopk" ADD CONSTRAINT "nopk_pk" PRIMARY KEY ("id")', table: 'nopk' },
  { sql: 'ALTER TABLE "t" DROP CONSTRAINT "t_a_check"' },
  { sql: 'SET CONSTRAINTS "t_u_fk" IMMEDIATE; ALTER TABLE "t" DROP CONSTRAINT "t_u_fk"' },
  { sql: 'ALTER TABLE "t" VALIDATE CONSTRAINT "t_a_check"' },
  { sql: 'CREATE INDEX "t_b_idx" ON "t" ("b")' },
  { sql: 'CREATE UNIQUE INDEX "t_id_b_uniq" ON "t" ("id", "b")' },
  { sql: 'DROP INDEX IF EXISTS "t_a_idx"' },
  { sql: 'ALTER INDEX "t_a_idx" RENAME TO "t_a_index"', table: 't_a_idx' },
  { sql: 'UPDATE "t" SET "a" = 0 WHERE "a" IS NULL' },
  { sql: `INSERT INTO "t" ("a") VALUES (1)` },
  { sql: 'DELETE FROM "t" WHERE "a" > 990' },
];

describe('lock table matches PostgreSQL (pg_locks, pg_relation_filenode)', () => {
  const skip = skipReason(postgresBinDir() ? null : 'PostgreSQL binaries not found (Debian package postgresql)');
  if (skip) {
    it('is skipped', (t) => {
      console.log(`SKIPPED lock-table truth test: ${skip}`);
      t.skip(skip);
    });
    return;
  }
  let cluster: PgCluster;
  let version = 0;
  before(async () => {
    cluster = await startPostgres();
    cluster.createDatabase('base');
    cluster.sql(SETUP, 'base');
    version = Number(cluster.sql('SHOW server_version_num', 'base')) / 10_000;
  });
  after(() => cluster?.stop());

  let n = 0;
  for (const c of CASES) {
    const kind: StatementKind = c.kind ?? statementKind(c.sql);
    it(`${kind}: ${c.sql.slice(0, 70)}`, () => {
      const db = `case_${++n}`;
      cluster.sql(`CREATE DATABASE ${db} TEMPLATE base`);
      const table = c.table ?? 't';
      const capture = c.created ? 'SELECT 0::oid AS id, 0::oid AS fn' : `SELECT '${table}'::regclass::oid AS id, pg_relation_filenode('${table}') AS fn`;
      const id = c.created ? `'${table}'::regclass::oid` : '(SELECT id FROM o)';
      const out = cluster.sql(
        `CREATE TEMP TABLE o AS ${capture}; ${c.sql}; SELECT coalesce(string_agg(mode, ','), '') || '|' || coalesce((pg_relation_filenode(${id}) <> (SELECT fn FROM o))::text, 'gone') FROM pg_locks WHERE locktype = 'relation' AND granted AND pid = pg_backend_pid() AND relation = ${id}`,
        db,
      );
      const [modes = '', changed = ''] = out.split('\n').pop()?.split('|') ?? [];
      const held = modes.split(',').filter(Boolean);
      const strongest = strongestMode(held);
      const target: TargetDatabase = { vendor: 'postgresql', postgresqlVersion: Math.floor(version), djangoVersion: [4, 2] };
      const fact = lockFact(kind, target);
      assert.notEqual(kind, 'other', 'the classifier knows the statement');
      assert.equal(strongest, fact.lock, `locks held on ${table}: ${held.join(', ')}`);
      if (!c.created && changed !== 'gone') assert.equal(changed === 'true', fact.work === 'rewrite', `rewrite: filenode changed = ${changed}, table says ${fact.work}`);
    });
  }

  // What a foreign key's statements hold on the referenced table, as the rows' notes say (review 30:
  // dropping a key's constraint takes ACCESS EXCLUSIVE there too).
  for (const sql of ['SET CONSTRAINTS "t_u_fk" IMMEDIATE; ALTER TABLE "t" DROP CONSTRAINT "t_u_fk"', 'ALTER TABLE "t" ADD CONSTRAINT "t_u_fk2" FOREIGN KEY ("u_id") REFERENCES "u" ("id")']) {
    const kind = statementKind(sql);
    it(`${kind}, on the referenced table: ${sql.slice(0, 60)}`, () => {
      const db = `case_${++n}`;
      cluster.sql(`CREATE DATABASE ${db} TEMPLATE base`);
      const out = cluster.sql(`${sql}; SELECT coalesce(string_agg(mode, ','), '') FROM pg_locks WHERE locktype = 'relation' AND granted AND pid = pg_backend_pid() AND relation = 'u'::regclass`, db);
      const strongest = strongestMode((out.split('\n').pop() ?? '').split(',').filter(Boolean));
      const fact = lockFact(kind, { vendor: 'postgresql', postgresqlVersion: Math.floor(version), djangoVersion: [4, 2] });
      const said = /([A-Z][A-Z ]+[A-Z]) on the referenced table/.exec(fact.note ?? '')?.[1] ?? (/\bon both tables\b/.test(fact.note ?? '') ? fact.lock : undefined);
      assert.equal(strongest, said, `the note: ${fact.note}`);
    });
  }
});

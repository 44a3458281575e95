/**
 * Truth test of the schema rules' fixes: test/fixtures/schema-fixes-truth is a project with one app
 * per fix (idx: index operations among others → moved to a non-atomic follow-up, with
 * SeparateDatabaseAndState + CREATE [UNIQUE] INDEX CONCURRENTLY for db_index / unique=True /
 * UniqueConstraint; addone: AddIndex alone → AddIndexConcurrently in place; addcol: AddFields
 * bringing db_index, a foreign key and unique=True → the column, then CONCURRENTLY; rmidx: RemoveIndex →
 * RemoveIndexConcurrently; chk: a CheckConstraint and a foreign key turned on → NOT VALID now and
 * VALIDATE in a follow-up; ren: RenameField → the column kept; uqk, uqr: unique_together turned into a
 * UniqueConstraint of the same columns → both in Django's state only, the constraint kept, renamed in
 * place for a new name). The CLI's `--unsafe-fixes` fixes a
 * copy; then real Django (Debian's python3-django, 3.2 — the fixture's pyproject says so; the
 * Django ≥ 4.0 variant, AddConstraintNotValid / ValidateConstraint, is tested by text, parse and
 * rule in schema-fixes.test.ts only) on a throwaway PostgreSQL cluster must:
 * - migrate the fixed project forwards, and leave the same indexes and constraints — names and
 *   definitions — as Django's own unfixed migrations on another database (so a later Django
 *   operation finds them by name), every constraint validated;
 * - show the constraints NOT VALID between the two steps;
 * - keep the renamed field's column;
 * - find nothing to do with `makemigrations --check` (the models declare the final state, the
 *   renamed field with db_column);
 * - migrate every app back to zero, and forwards again to the same catalog.
 * Without /usr/bin/python3 + Django or PostgreSQL the test is skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipReason } from './helpers/skip';
import { runCli, TempDirs } from './helpers/cli';
import { missingDjangoPostgres, djangoProject, manage, type DjangoProject } from './helpers/django';
import { FIXTURES } from './helpers/paths';
import { startPostgres, type PgCluster } from './helpers/postgres';

const FIXTURE = join(FIXTURES, 'schema-fixes-truth');
const APPS = ['idx', 'addone', 'rmidx', 'chk', 'ren', 'addcol', 'fkn', 'uqk', 'uqr'];
const TABLES = ['idx_item', 'addone_event', 'rmidx_log', 'chk_account', 'ren_customer', 'addcol_listing', 'fkn_order', 'uqk_member', 'uqr_member'];


const temps = new TempDirs();
const projects: DjangoProject[] = [];
let pg: PgCluster | undefined;
const skip = skipReason(missingDjangoPostgres());
if (skip) console.log(`# schema-fixes-truth skipped: ${skip}`);

before(async () => {
  if (!skip) pg = await startPostgres();
});
after(() => {
  for (const p of projects) p.dispose();
  pg?.stop();
  temps.removeAll();
});

function cluster(): PgCluster {
  assert.ok(pg, 'the PostgreSQL cluster did not start');
  return pg;
}

const tableList = TABLES.map((t) => `'${t}'`).join(', ');

/** The indexes and constraints of the fixture's tables, as pg_catalog has them. */
function catalog(db: string): { indexes: string[]; constraints: string[] } {
  const rows = (sql: string) => cluster().sql(sql, db).split('\n').filter(Boolean);
  return {
    indexes: rows(`SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN (${tableList}) ORDER BY 1`),
    constraints: rows(`SELECT conname || ' ' || contype::text || ' ' || convalidated::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text IN (${tableList}) ORDER BY 1`),
  };
}

function columns(db: string, table: string): string[] {
  return cluster().sql(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY 1`, db).split('\n').filter(Boolean);
}

function project(root: string): { project: DjangoProject; db: string } {
  const db = cluster().createDatabase();
  const p = djangoProject(root, { apps: APPS, database: { engine: 'postgres', cluster: cluster(), name: db } });
  projects.push(p);
  return { project: p, db };
}

describe('schema fixes on real Django and PostgreSQL', { skip: skip ?? false }, () => {
  it('migrate forwards, back to zero and forwards again; the catalog Django builds; makemigrations --check finds nothing', () => {
    const original = temps.make();
    cpSync(FIXTURE, original, { recursive: true });
    const fixedRoot = temps.make();
    cpSync(FIXTURE, fixedRoot, { recursive: true });
    const run = runCli(['check', '.', '--fix', '--unsafe-fixes'], fixedRoot);
    assert.equal(run.code, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /fixed 11 problems in 11 files/, 'nine migrations edited, two follow-ups written');

    // Django's own migrations, unfixed: the names and definitions to match.
    const theirs = project(original);
    manage(theirs.project, ['migrate', '--no-input', '-v', '0']);
    const want = catalog(theirs.db);
    const names = (rows: string[]) => rows.map((r) => r.split(' ')[0]);
    for (const i of ['idx_item_name_idx', 'addone_event_kind_idx', 'idx_item_code_name_uniq']) assert.ok(names(want.indexes).includes(i), `${i} in ${want.indexes.join('\n')}`);
    assert.ok(!names(want.indexes).includes('rmidx_log_level_idx'), 'the removed index is gone');
    for (const re of [/^idx_item_sku_\w+_like /, /^idx_item_ref_\w+_like /, /^idx_item_sku_\w+_uniq /]) assert.ok(want.indexes.some((i) => re.test(i)), `${re} in ${want.indexes.join('\n')}`);
    for (const re of [/^addcol_listing_ref_\w+ /, /^addcol_listing_ref_\w+_like /, /^addcol_listing_parent_id_\w+ /, /^addcol_listing_partner_catalogue_\w+_like /, /^addcol_listing_partner_catalogue_reference_code_that_is_rat_key /]) assert.ok(want.indexes.some((i) => re.test(i)), `${re} in ${want.indexes.join('\n')}`);
    for (const re of [/^chk_account_balance_gte_0 c true /, /^addcol_listing_partner_catalogue_reference_code_that_is_rat_key u true /, /^addcol_listing_parent_id_\w+_fk_addcol_listing_id f true /, /^chk_account_parent_id_\w+_fk_chk_account_id f true /, /^idx_item_code_name_uniq u true /, /^idx_item_sku_\w+_uniq u true /]) assert.ok(want.constraints.some((c) => re.test(c)), `${re} in ${want.constraints.join('\n')}`);

    const ours = project(fixedRoot);
    // fkn: a foreign key made nullable keeps its constraint, the very same one (review 28: lutris games/0072).
    const fkOid = (db: string): string => cluster().sql("SELECT oid FROM pg_constraint WHERE conrelid = 'fkn_order'::regclass AND contype = 'f'", db);
    manage(ours.project, ['migrate', 'fkn', '0001', '--no-input', '-v', '0']);
    cluster().sql("INSERT INTO fkn_customer (name) VALUES ('a'); INSERT INTO fkn_order (customer_id) SELECT id FROM fkn_customer", ours.db);
    const kept = fkOid(ours.db);
    manage(ours.project, ['migrate', 'fkn', '0002', '--no-input', '-v', '0']);
    assert.equal(fkOid(ours.db), kept, 'the constraint is not dropped and added back');
    assert.equal(cluster().sql("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'fkn_order' AND column_name = 'customer_id'", ours.db), 'YES');
    manage(ours.project, ['migrate', 'fkn', '0001', '--no-input', '-v', '0']);
    assert.equal(cluster().sql("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'fkn_order' AND column_name = 'customer_id'", ours.db), 'NO', 'backwards: NOT NULL again');
    assert.equal(fkOid(ours.db), kept);
    // uqk, uqr: unique_together turned into a UniqueConstraint of the same columns is kept — renamed in place
    // for a new name — not dropped and built again (review 35: ureport flows/0002).
    // The constraint is found by its columns, whatever the Django that created the table named it (review 40:
    // dash's 2014 tables carry the older naming): uqr's is given such a name before 0002 runs.
    const uniqueOf = (app: string, db: string): string => cluster().sql(`SELECT oid || ' ' || conname FROM pg_constraint WHERE conrelid = '${app}_member'::regclass AND contype = 'u'`, db);
    for (const app of ['uqk', 'uqr']) {
      manage(ours.project, ['migrate', app, '0001', '--no-input', '-v', '0']);
      if (app === 'uqr') cluster().sql('ALTER TABLE uqr_member RENAME CONSTRAINT uqr_member_team_email_0855b1bd_uniq TO uqr_member_team_id_5f7e2b8d3c1a9e04_uniq', ours.db);
      const [oid] = uniqueOf(app, ours.db).split(' ');
      assert.ok(oid);
      manage(ours.project, ['migrate', app, '0002', '--no-input', '-v', '0']);
      assert.equal(uniqueOf(app, ours.db), `${oid} ${app}_member_team_email_${app === 'uqk' ? '4c8bb4e6_' : ''}uniq`, `${app}: the unique constraint 0001 built, under the new name`);
      manage(ours.project, ['migrate', app, '0001', '--no-input', '-v', '0']);
      assert.equal(uniqueOf(app, ours.db).split(' ')[0], oid, `${app}: and still after migrating back`);
      manage(ours.project, ['migrate', app, '0002', '--no-input', '-v', '0']);
      assert.equal(uniqueOf(app, ours.db).split(' ')[0], oid, `${app}: and forwards again`);
    }
    // The NOT VALID step alone: the constraints exist, not yet validated.
    manage(ours.project, ['migrate', 'chk', '0002', '--no-input', '-v', '0']);
    const notValid = catalog(ours.db).constraints.filter((c) => c.startsWith('chk_account_') && !c.includes(' p '));
    assert.equal(notValid.length, 2, notValid.join('\n'));
    for (const c of notValid) assert.match(c, / false (CHECK|FOREIGN KEY)/, `${c} is NOT VALID after 0002`);

    manage(ours.project, ['migrate', '--no-input', '-v', '0']);
    const got = catalog(ours.db);
    assert.deepEqual(got, want, 'the same indexes and constraints as Django builds itself');
    for (const c of got.constraints) assert.match(c, / true /, `${c} is validated`);
    assert.deepEqual(columns(ours.db, 'ren_customer'), ['email', 'id', 'legacy_id'], 'the renamed field keeps its column');
    assert.deepEqual(columns(theirs.db, 'ren_customer'), ['email', 'external_id', 'id'], "Django's RenameField renames it");

    const check = manage(ours.project, ['makemigrations', '--check', '--dry-run', '-v', '1']);
    assert.match(check.stdout, /No changes detected/);

    for (const app of APPS) manage(ours.project, ['migrate', app, 'zero', '--no-input', '-v', '0']);
    assert.deepEqual(catalog(ours.db), { indexes: [], constraints: [] }, 'back to zero: the tables are gone');
    manage(ours.project, ['migrate', '--no-input', '-v', '0']);
    assert.deepEqual(catalog(ours.db), want, 'forwards again');
  });
});

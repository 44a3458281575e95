/**
 * The SQL side of the schema-hazard rules: statements written in RunSQL are findings under the
 * operation rules' ids (and two SQL-only ones), with ranges inside the string literal — checked
 * here exactly, as the text they cover — and their mechanical fixes, judged by Python's parser
 * (tree-sitter) and by the rule.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LintOptions } from '../server/src/analysis/engine';
import type { TargetDatabase } from '../server/src/analysis/target-database';
import type { Finding, Range } from '../server/src/analysis/types';
import { quickSummary } from '../server/src/analysis/project/quick-summary';
import { textSummary } from '../server/src/analysis/project/text-summary';
import { applyEdits } from './helpers/apply-edits';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';
import { getParser, lint, lintProject } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

const temps = new TempDirs();
after(() => temps.removeAll());

const SQL_RULES = new Set([
  'add-index-not-concurrent',
  'remove-index-not-concurrent',
  'alter-field-not-null',
  'alter-field-type',
  'add-field-not-null',
  'drop-column',
  'drop-table',
  'rename-column',
  'rename-table',
  'add-constraint-validates',
  'enum-value-in-transaction',
  'blocking-sql',
]);

/** A migration whose operations are `ops` (Python source, indented 8). */
export function migration(ops: string, extra = ''): string {
  return `from django.db import migrations, models


class Migration(migrations.Migration):
${extra}
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
${ops}
    ]
`;
}

/** The text a range covers. */
function covered(source: string, r: Range): string {
  const lines = source.split('\n');
  if (r.start.line === r.end.line) return (lines[r.start.line] as string).slice(r.start.character, r.end.character);
  const out = [(lines[r.start.line] as string).slice(r.start.character)];
  for (let l = r.start.line + 1; l < r.end.line; l++) out.push(lines[l] as string);
  out.push((lines[r.end.line] as string).slice(0, r.end.character));
  return out.join('\n');
}

/**
 * Lints `source` as shop/migrations/0002_sql.py after the schema fixtures' 0001_initial (tables
 * shop_report, shop_listing, shop_order with status, total, legacy_id, listing_id), with the
 * project view; `alone` lints it without a project.
 */
async function sqlFindings(source: string, options: LintOptions = {}, alone = false): Promise<Array<{ rule: string; text: string; finding: Finding }>> {
  let result;
  if (alone) result = await lint(source, options);
  else {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_sql.py');
    writeFileIn(file, source);
    result = (await lintProject(dir, options)).get(file);
    assert.ok(result, 'the migration is linted');
  }
  return result.findings.filter((f) => SQL_RULES.has(f.rule) && f.message.startsWith('RunSQL')).map((f) => ({ rule: f.rule, text: covered(source, f.range), finding: f }));
}

async function pairs(source: string, options: LintOptions = {}, alone = false): Promise<Array<[string, string]>> {
  return (await sqlFindings(source, options, alone)).map((f) => [f.rule, f.text]);
}

const pg = (postgresqlVersion: number): TargetDatabase => ({ vendor: 'postgresql', postgresqlVersion, djangoVersion: [4, 2] });

describe('RunSQL statements under the schema rules', () => {
  it('points at the statement inside the string, per rule', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX shop_order_ref ON shop_order (ref)", migrations.RunSQL.noop),
        migrations.RunSQL("DROP INDEX shop_order_old", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ALTER COLUMN ref SET NOT NULL", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ALTER COLUMN total TYPE bigint", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ADD COLUMN code varchar(10) NOT NULL", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order DROP COLUMN legacy_id", migrations.RunSQL.noop),
        migrations.RunSQL("DROP TABLE reporting_daily", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order RENAME COLUMN status TO state", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order RENAME TO shop_purchase", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT positive CHECK (total > 0)", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_line ADD CONSTRAINT line_order FOREIGN KEY (order_id) REFERENCES shop_order (id)", migrations.RunSQL.noop),`);
    assert.deepEqual(await pairs(src), [
      ['add-index-not-concurrent', 'CREATE INDEX shop_order_ref ON shop_order (ref)'],
      ['remove-index-not-concurrent', 'DROP INDEX shop_order_old'],
      ['alter-field-not-null', 'ALTER COLUMN ref SET NOT NULL'],
      ['alter-field-type', 'ALTER COLUMN total TYPE bigint'],
      ['add-field-not-null', 'ADD COLUMN code varchar(10) NOT NULL'],
      ['drop-column', 'DROP COLUMN legacy_id'],
      ['drop-table', 'DROP TABLE reporting_daily'],
      ['rename-column', 'RENAME COLUMN status TO state'],
      ['rename-table', 'RENAME TO shop_purchase'],
      ['add-constraint-validates', 'ADD CONSTRAINT positive CHECK (total > 0)'],
      ['add-constraint-validates', 'ADD CONSTRAINT line_order FOREIGN KEY (order_id) REFERENCES shop_order (id)'],
    ]);
  });

  it('an exclusion constraint builds its index under ACCESS EXCLUSIVE, with no concurrent way and no fix (review 36: actionpopulaire elus/0008)', async () => {
    const src = migration(`        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT shop_order_no_overlap EXCLUDE USING gist (listing_id WITH =, during WITH &&)", migrations.RunSQL.noop),`);
    const found = await sqlFindings(src);
    assert.deepEqual(found.map((f) => [f.rule, f.text, f.finding.fixes.length]), [['add-index-not-concurrent', 'ADD CONSTRAINT shop_order_no_overlap EXCLUDE USING gist (listing_id WITH =, during WITH &&)', 0]]);
    assert.match(found[0]?.finding.message ?? '', /exclusion constraint's index under an ACCESS EXCLUSIVE lock[^]*no concurrent way to add one/);
    assert.doesNotMatch(found[0]?.finding.message ?? '', /USING INDEX\b(?! for EXCLUDE)/);
  });

  it('stays silent on the safe forms', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_ref ON shop_order (ref)", migrations.RunSQL.noop),
        migrations.RunSQL("DROP INDEX CONCURRENTLY IF EXISTS shop_order_old", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ADD COLUMN code varchar(10) NULL", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ADD COLUMN flag boolean NOT NULL DEFAULT false", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT positive CHECK (total > 0) NOT VALID", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order VALIDATE CONSTRAINT positive", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order RENAME CONSTRAINT a TO b", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ALTER COLUMN ref DROP NOT NULL", migrations.RunSQL.noop),
        migrations.RunSQL("UPDATE shop_order SET ref = 'DROP TABLE x' WHERE ref IS NULL", migrations.RunSQL.noop),`, '    atomic = False\n');
    assert.deepEqual(await pairs(src), []);
  });

  it('never matches keywords in comments, literals or quoted identifiers, nor in function bodies (not executed)', async () => {
    const src = migration(`        migrations.RunSQL(
            """
            -- CREATE INDEX x ON shop_order (a); DROP TABLE shop_order
            /* ALTER TABLE shop_order DROP COLUMN ref */
            INSERT INTO shop_note (body) VALUES ('ALTER TABLE shop_order DROP COLUMN ref');
            CREATE OR REPLACE FUNCTION shop_touch() RETURNS trigger AS $$
            BEGIN
                EXECUTE 'CREATE INDEX y ON shop_order (b)';
                CREATE INDEX z ON shop_order (c);
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            SELECT 1 AS "DROP TABLE shop_order";
            """,
            migrations.RunSQL.noop,
        ),`);
    assert.deepEqual(await pairs(src), []);
  });

  it('reads quoted identifiers, lists, tuples, (sql, params) pairs, implicit concatenation and names bound in the file', async () => {
    const src = `from django.db import migrations

DROP = "ALTER TABLE \\"shop_order\\" DROP COLUMN \\"legacy_id\\""


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunSQL(
            [
                "CREATE UNIQUE INDEX \\"order_ref\\" ON \\"shop_order\\" (\\"ref\\")",
                ("UPDATE shop_order SET ref = %s", ["x"]),
                ("ALTER TABLE shop_order ALTER COLUMN ref SET NOT NULL", None),
            ],
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            ("ALTER TABLE shop_order "
             "DROP COLUMN total, "
             "DROP COLUMN status"),
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(DROP, migrations.RunSQL.noop),
        # Another table to PostgreSQL: a quoted name keeps its case.
        migrations.RunSQL('ALTER TABLE "Shop_Order" DROP COLUMN total', migrations.RunSQL.noop),
    ]
`;
    assert.deepEqual(await pairs(src), [
      ['drop-column', 'DROP COLUMN \\"legacy_id\\"'],
      ['add-index-not-concurrent', 'CREATE UNIQUE INDEX \\"order_ref\\" ON \\"shop_order\\" (\\"ref\\")'],
      ['alter-field-not-null', 'ALTER COLUMN ref SET NOT NULL'],
      ['drop-column', 'DROP COLUMN total'],
      ['drop-column', 'DROP COLUMN status'],
    ]);
  });

  it('fills an f-string hole that names a string the file binds (treeherder perf/0050); any other hole leaves the string unread', async () => {
    const src = `from django.db import migrations

FK = "shop_order_listing_fk"
TABLE = "shop_order"
HEAD = "CREATE INDEX order_total"


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunSQL(
            [
                f"ALTER TABLE {TABLE} "
                f"ADD CONSTRAINT {FK} FOREIGN KEY (listing_id) REFERENCES shop_listing (id);",
                f"ALTER TABLE {TABLE} DROP COLUMN {column()}",
                f"ALTER TABLE {TABLE.upper()} DROP COLUMN legacy_id",
            ],
            migrations.RunSQL.noop,
        ),
    ]
`;
    const found = await sqlFindings(src);
    assert.deepEqual(found.map((f) => [f.rule, f.text]), [['add-constraint-validates', 'ADD CONSTRAINT {FK} FOREIGN KEY (listing_id) REFERENCES shop_listing (id)']]);
    assert.match(found[0]?.finding.message ?? '', /ADD CONSTRAINT shop_order_listing_fk/);
    assert.match(found[0]?.finding.message ?? '', /"shop_order"/);
    // CONCURRENTLY would go inside the text a hole stands for: no edit is made there; after it, it is.
    const index = (sql: string) => `from django.db import migrations

HEAD = "CREATE INDEX order_total"
NAME = "order_total"


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [migrations.RunSQL(${sql}, migrations.RunSQL.noop)]
`;
    const inside = await sqlFindings(index('f"{HEAD} ON shop_order (total)"'));
    assert.deepEqual(inside.map((f) => [f.rule, f.text, f.finding.fixes.length]), [['add-index-not-concurrent', '{HEAD} ON shop_order (total)', 0]]);
    const after = await sqlFindings(index('f"CREATE INDEX {NAME} ON shop_order (total)"'));
    assert.equal(after.length, 1);
    const fix = after[0]?.finding.fixes[0];
    assert.ok(fix, 'CONCURRENTLY before the hole');
    assert.match(applyEdits(index('f"CREATE INDEX {NAME} ON shop_order (total)"'), fix.edits), /f"CREATE INDEX CONCURRENTLY \{NAME\} ON shop_order \(total\)"/);
  });

  it("renames and drops of the join tables Django made for many-to-many fields are Django's tables too (osf.io 0033)", async () => {
    const dir = temps.make();
    writeFileIn(join(dir, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(
      join(dir, 'shop', 'migrations', '0001_initial.py'),
      `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(name="Tag", fields=[("id", models.AutoField(primary_key=True))]),
        migrations.CreateModel(name="Pin", fields=[("id", models.AutoField(primary_key=True))]),
        migrations.CreateModel(
            name="Subscription",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("none", models.ManyToManyField(to="shop.tag", related_name="+")),
                ("digest", models.ManyToManyField(to="shop.tag", db_table="shop_digests", related_name="+")),
                ("pins", models.ManyToManyField(to="shop.pin", through="shop.Pinned")),
            ],
        ),
        migrations.CreateModel(
            name="Pinned",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("pin", models.ForeignKey(on_delete=models.CASCADE, to="shop.pin")),
                ("subscription", models.ForeignKey(on_delete=models.CASCADE, to="shop.subscription")),
            ],
        ),
    ]
`,
    );
    const file = join(dir, 'shop', 'migrations', '0002_legacy.py');
    const source = migration(`        migrations.RunSQL(
            [
                "ALTER TABLE shop_subscription_none RENAME TO shop_legacy_none",
                "ALTER TABLE shop_digests RENAME TO shop_legacy_digests",
                "ALTER TABLE shop_subscription_digest RENAME TO shop_legacy_digest",
                "DROP TABLE shop_subscription_pins",
            ],
            migrations.RunSQL.noop,
        ),`);
    writeFileIn(file, source);
    const result = (await lintProject(dir)).get(file);
    const found = (result?.findings ?? []).filter((f) => f.message.startsWith('RunSQL')).map((f) => [f.rule, covered(source, f.range)]);
    // shop_subscription_digest is no table of Django's (the field names its own db_table); an explicit through model has no join table.
    assert.deepEqual(found, [
      ['rename-table', 'RENAME TO shop_legacy_none'],
      ['rename-table', 'RENAME TO shop_legacy_digests'],
    ]);
  });

  it('reads the database side of SeparateDatabaseAndState, not its state side', async () => {
    const src = migration(`        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL("ALTER TABLE shop_order DROP COLUMN legacy_id", migrations.RunSQL.noop),
            ],
            state_operations=[
                migrations.RunSQL("DROP TABLE shop_never"),
                migrations.RemoveField("order", "legacy_id"),
            ],
        ),`);
    assert.deepEqual(await pairs(src), [['drop-column', 'DROP COLUMN legacy_id']]);
  });

  it('says nothing about tables created earlier in the same migration (CREATE TABLE, CreateModel)', async () => {
    const src = migration(`        migrations.CreateModel(name="Draft", fields=[("id", models.AutoField(primary_key=True))]),
        migrations.RunSQL(
            [
                "CREATE TABLE shop_audit (id serial PRIMARY KEY, at timestamptz)",
                "CREATE INDEX shop_audit_at ON shop_audit (at)",
                "ALTER TABLE shop_audit ADD COLUMN who text NOT NULL",
                "CREATE INDEX shop_draft_id ON shop_draft (id)",
                "ALTER TABLE shop_draft ADD CONSTRAINT draft_id CHECK (id > 0)",
            ],
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL("CREATE INDEX shop_order_at ON shop_order (at)", migrations.RunSQL.noop),`);
    assert.deepEqual(await pairs(src), [['add-index-not-concurrent', 'CREATE INDEX shop_order_at ON shop_order (at)']]);
  });

  it("drops and renames only what Django's state still has (the contract step of expand / contract is silent), and only with the project", async () => {
    const src = migration(`        migrations.RunSQL(
            [
                "ALTER TABLE shop_order DROP COLUMN gone_already",
                "DROP TABLE IF EXISTS shop_archive",
                "ALTER TABLE shop_order RENAME COLUMN never_known TO x",
                "ALTER TABLE shop_order DROP COLUMN IF EXISTS legacy_id",
            ],
            migrations.RunSQL.noop,
        ),`);
    assert.deepEqual(await pairs(src), [['drop-column', 'DROP COLUMN IF EXISTS legacy_id']]);
    assert.deepEqual(await pairs(src, {}, true), [], 'without the project, what the code still names is unknown');
  });

  it('says nothing of a DROP TABLE IF EXISTS after a DeleteModel dropped that table (kpi mfa/0009)', async () => {
    const dropped = migration(`        migrations.DeleteModel(name="Order"),
        migrations.RunSQL("DROP TABLE IF EXISTS shop_order CASCADE", migrations.RunSQL.noop),`);
    assert.deepEqual(await pairs(dropped), []);
    const kept = migration(`        migrations.RunSQL("DROP TABLE IF EXISTS shop_order CASCADE", migrations.RunSQL.noop),`);
    assert.deepEqual(await pairs(kept), [['drop-table', 'DROP TABLE IF EXISTS shop_order CASCADE']]);
  });

  it('SET NOT NULL after a validated CHECK (col IS NOT NULL) is silent from PostgreSQL 12 (the seed-003 pattern)', async () => {
    const src = migration(`        migrations.RunSQL(
            [
                "ALTER TABLE shop_order ADD CONSTRAINT total_nn CHECK (total IS NOT NULL) NOT VALID",
                "ALTER TABLE shop_order SET NOT NULL",
            ],
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL("ALTER TABLE shop_order ALTER COLUMN total SET NOT NULL", migrations.RunSQL.noop),`);
    assert.deepEqual(await pairs(src), [['alter-field-not-null', 'ALTER COLUMN total SET NOT NULL']], 'a NOT VALID check proves nothing');
    const validated = src.replace('"ALTER TABLE shop_order SET NOT NULL"', '"ALTER TABLE shop_order VALIDATE CONSTRAINT total_nn"');
    assert.deepEqual(await pairs(validated), []);
    assert.deepEqual(await pairs(validated, { target: pg(11) }), [['alter-field-not-null', 'ALTER COLUMN total SET NOT NULL']]);
  });

  it('keeps the targets of the operation rules: index and constraint rules are PostgreSQL only', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX a ON shop_order (ref); ALTER TABLE shop_order DROP COLUMN legacy_id", migrations.RunSQL.noop),`);
    const mysql: TargetDatabase = { vendor: 'mysql', postgresqlVersion: 14, djangoVersion: [4, 2] };
    assert.deepEqual(await pairs(src, { target: mysql }), [['drop-column', 'DROP COLUMN legacy_id']]);
    assert.deepEqual(await pairs(src), [
      ['add-index-not-concurrent', 'CREATE INDEX a ON shop_order (ref)'],
      ['drop-column', 'DROP COLUMN legacy_id'],
    ]);
  });

  it('reads nothing in an initial migration (it builds the tables from nothing)', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX a ON shop_order (ref)", migrations.RunSQL.noop),`, '    initial = True\n');
    assert.deepEqual(await pairs(src), []);
  });

  it("still reads an app's first migration that states no `initial`: its SQL may act on another app's tables", async () => {
    // saleor permission/0001_initial's shape: a new app takes over auth's table and adds its constraints by SQL.
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'perms', 'migrations', '0001_initial.py');
    writeFileIn(join(dir, 'perms', 'migrations', '__init__.py'), '');
    const src = migration(`        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT order_ref_uniq UNIQUE (ref)", migrations.RunSQL.noop),`);
    writeFileIn(file, src);
    const found = (await lintProject(dir)).get(file)?.findings.filter((f) => SQL_RULES.has(f.rule)) ?? [];
    assert.deepEqual(found.map((f) => [f.rule, covered(src, f.range)]), [['add-index-not-concurrent', 'ADD CONSTRAINT order_ref_uniq UNIQUE (ref)']]);
  });
});

describe('enum-value-in-transaction', () => {
  const add = `        migrations.RunSQL("ALTER TYPE shop_status ADD VALUE 'refunded'", migrations.RunSQL.noop),`;
  it('is an error before PostgreSQL 12 in an atomic migration', async () => {
    const found = await sqlFindings(migration(add), { target: pg(11) });
    assert.deepEqual(found.map((f) => [f.rule, f.text, f.finding.severity]), [['enum-value-in-transaction', "ALTER TYPE shop_status ADD VALUE 'refunded'", 'error']]);
    assert.match(found[0]?.finding.message ?? '', /PostgreSQL 11 refuses/);
  });
  it('is silent from PostgreSQL 12 unless the migration uses the value in the same transaction', async () => {
    assert.deepEqual(await pairs(migration(add), { target: pg(12) }), []);
    const used = migration(`${add}
        migrations.RunSQL("UPDATE shop_order SET status = 'refunded' WHERE refunded_at IS NOT NULL", migrations.RunSQL.noop),`);
    const found = await sqlFindings(used, { target: pg(16) });
    assert.deepEqual(found.map((f) => f.rule), ['enum-value-in-transaction']);
    assert.match(found[0]?.finding.message ?? '', /unsafe use of new value/);
  });
  it('is silent in a migration with atomic = False', async () => {
    assert.deepEqual(await pairs(migration(add, '    atomic = False\n'), { target: pg(11) }), []);
  });
});

describe('blocking-sql', () => {
  it('flags statements that block for as long as they take', async () => {
    const src = migration(`        migrations.RunSQL(
            [
                "VACUUM FULL shop_order",
                "CLUSTER shop_order USING shop_order_pkey",
                "LOCK TABLE shop_order",
                "LOCK TABLE shop_order IN SHARE MODE",
                "REINDEX TABLE shop_order",
                "REFRESH MATERIALIZED VIEW shop_totals",
                "ALTER TABLE shop_order ADD COLUMN token uuid DEFAULT gen_random_uuid()",
            ],
            migrations.RunSQL.noop,
        ),`);
    assert.deepEqual(await pairs(src), [
      ['blocking-sql', 'VACUUM FULL shop_order'],
      ['blocking-sql', 'CLUSTER shop_order USING shop_order_pkey'],
      ['blocking-sql', 'LOCK TABLE shop_order'],
      ['blocking-sql', 'LOCK TABLE shop_order IN SHARE MODE'],
      ['blocking-sql', 'REINDEX TABLE shop_order'],
      ['blocking-sql', 'REFRESH MATERIALIZED VIEW shop_totals'],
      ['blocking-sql', 'ADD COLUMN token uuid DEFAULT gen_random_uuid()'],
    ]);
  });
  it('stays silent on the non-blocking forms', async () => {
    const src = migration(`        migrations.RunSQL(
            [
                "VACUUM ANALYZE shop_order",
                "LOCK TABLE shop_order IN ACCESS SHARE MODE",
                "REINDEX TABLE CONCURRENTLY shop_order",
                "REINDEX (VERBOSE) INDEX CONCURRENTLY shop_order_ref",
                "REINDEX (CONCURRENTLY) TABLE shop_order",
                "VACUUM (ANALYZE) shop_full_history",
                "REFRESH MATERIALIZED VIEW CONCURRENTLY shop_totals",
                "ALTER TABLE shop_order ADD COLUMN created timestamptz DEFAULT now()",
            ],
            migrations.RunSQL.noop,
        ),`, '    atomic = False\n');
    assert.deepEqual(await pairs(src), []);
  });
});

/** Applies a finding's first fix; the result must parse. */
async function fixed(source: string, f: Finding): Promise<string> {
  const fix = f.fixes[0];
  assert.ok(fix, `no fix on ${f.rule}`);
  assert.equal(fix.safe, false, 'these fixes change what the migration does: never applied by --fix');
  const out = applyEdits(source, fix.edits);
  const tree = (await getParser()).parse(out);
  assert.equal(tree.rootNode.hasError, false, out);
  return out;
}

describe('fixes of RunSQL statements', () => {
  it('CREATE INDEX → CREATE INDEX CONCURRENTLY with atomic = False, and the rule no longer fires', async () => {
    const src = migration(`        migrations.RunSQL(
            ["CREATE INDEX shop_order_ref ON shop_order (ref)", "DROP INDEX shop_order_old"],
            ["DROP INDEX shop_order_ref"],
        ),`);
    const found = await sqlFindings(src);
    assert.deepEqual(found.map((f) => f.rule), ['add-index-not-concurrent', 'remove-index-not-concurrent']);
    const once = await fixed(src, found[0]?.finding as Finding);
    assert.match(once, /"CREATE INDEX CONCURRENTLY shop_order_ref ON shop_order \(ref\)"/);
    assert.match(once, /# CONCURRENTLY and ALTER TYPE … ADD VALUE must run outside a transaction\.\n {4}atomic = False\n/);
    const after = await sqlFindings(once);
    assert.deepEqual(after.map((f) => f.rule), ['remove-index-not-concurrent']);
    const twice = await fixed(once, after[0]?.finding as Finding);
    assert.match(twice, /"DROP INDEX CONCURRENTLY shop_order_old"/);
    assert.equal(twice.match(/atomic = False/g)?.length, 1, 'atomic = False is not written twice');
    assert.deepEqual(await pairs(twice), []);
    assert.deepEqual((await lint(twice)).findings.filter((f) => f.rule === 'missing-atomic-false'), []);
  });

  it('offers no CONCURRENTLY fix when the migration does other work, or the statement shares its string', async () => {
    const mixed = migration(`        migrations.AddField("order", "note", models.TextField(null=True)),
        migrations.RunSQL("CREATE INDEX shop_order_ref ON shop_order (ref)", migrations.RunSQL.noop),`);
    const [a] = await sqlFindings(mixed);
    assert.equal(a?.finding.fixes.length, 0);
    assert.match(a?.finding.message ?? '', /Split Migration/);
    const shared = migration(`        migrations.RunSQL("CREATE INDEX a ON shop_order (ref); CREATE INDEX b ON shop_order (at);", migrations.RunSQL.noop),`);
    const found = await sqlFindings(shared);
    assert.equal(found.length, 2);
    for (const f of found) {
      assert.equal(f.finding.fixes.length, 0);
      assert.match(f.finding.message, /one query \(one transaction/);
    }
  });

  it('offers no CONCURRENTLY fix for CREATE INDEX IF NOT EXISTS: a failed build leaves an invalid index a retry would keep (review 35: ureport stats/0004)', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX IF NOT EXISTS stats_day ON shop_order (ref)", migrations.RunSQL.noop),`);
    const found = await sqlFindings(src);
    assert.deepEqual(found.map((f) => [f.rule, f.finding.fixes.length]), [['add-index-not-concurrent', 0]]);
    assert.match(found[0]?.finding.message ?? '', /No rewrite is offered: it says IF NOT EXISTS, and a concurrent build that fails leaves an invalid index named stats_day, which a retry would keep while recording the migration as applied; run `DROP INDEX CONCURRENTLY IF EXISTS stats_day`/);
    // Without IF NOT EXISTS the retry stops on the name: the fix stands.
    const plain = await sqlFindings(migration(`        migrations.RunSQL("CREATE INDEX stats_day ON shop_order (ref)", migrations.RunSQL.noop),`));
    assert.equal(plain[0]?.finding.fixes.length, 1);
  });

  it('offers no CONCURRENTLY fix for ON ONLY (a partitioned parent, which PostgreSQL cannot index concurrently)', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX shop_event_at ON ONLY shop_event (at)", migrations.RunSQL.noop),`);
    const found = await sqlFindings(src, {}, true);
    assert.deepEqual(found.map((f) => [f.rule, f.text, f.finding.fixes.length]), [['add-index-not-concurrent', 'CREATE INDEX shop_event_at ON ONLY shop_event (at)', 0]]);
  });

  it('flips an explicit atomic = True', async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX a ON shop_order (ref)", "DROP INDEX a"),`, '    atomic = True\n');
    const [f] = await sqlFindings(src);
    const out = await fixed(src, f?.finding as Finding);
    assert.match(out, /atomic = False\n/);
    assert.doesNotMatch(out, /atomic = True/);
    assert.match(out, /"CREATE INDEX CONCURRENTLY a ON shop_order \(ref\)"/);
  });

  it('CREATE INDEX in a triple-quoted string with escapes gets CONCURRENTLY at the right place', async () => {
    const src = migration(`        migrations.RunSQL(
            """
            CREATE\\tINDEX shop_order_ref
                ON shop_order (ref)
            """,
            migrations.RunSQL.noop,
        ),`);
    const [f] = await sqlFindings(src);
    assert.equal(f?.text, 'CREATE\\tINDEX shop_order_ref\n                ON shop_order (ref)');
    const out = await fixed(src, f?.finding as Finding);
    assert.match(out, /CREATE\\tINDEX CONCURRENTLY shop_order_ref\n/);
  });

  it('enum-value-in-transaction: atomic = False when the migration only adds the value', async () => {
    const src = migration(`        migrations.RunSQL("ALTER TYPE shop_status ADD VALUE 'refunded'", migrations.RunSQL.noop),`);
    const [f] = await sqlFindings(src, { target: pg(11) });
    const out = await fixed(src, f?.finding as Finding);
    assert.deepEqual(await pairs(out, { target: pg(11) }), []);
  });
});

describe('add-constraint-validates in RunSQL: NOT VALID now, VALIDATE in a follow-up migration', () => {
  it('appends NOT VALID and writes the next migration, which validates in its own transaction', async () => {
    const src = migration(`        migrations.RunSQL(
            ["ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total > 0)"],
            ["ALTER TABLE shop_order DROP CONSTRAINT total_positive"],
        ),`);
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_sql.py');
    writeFileIn(file, src);
    const before = (await lintProject(dir)).get(file)?.findings.filter((f) => f.rule === 'add-constraint-validates') ?? [];
    assert.equal(before.length, 1);
    const fix = before[0]?.fixes[0];
    assert.ok(fix);
    assert.equal(fix.safe, false);
    assert.equal(fix.title, 'Add NOT VALID, and validate in 0003_validate_total_positive.py');
    const out = applyEdits(src, fix.edits);
    assert.match(out, /"ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK \(total > 0\) NOT VALID"/);
    const created = fix.creates?.[0];
    assert.equal(created?.file, join(dir, 'shop', 'migrations', '0003_validate_total_positive.py'));
    assert.match(created?.text ?? '', /\("shop", "0002_sql"\)/);
    assert.match(created?.text ?? '', /migrations\.RunSQL\("ALTER TABLE shop_order VALIDATE CONSTRAINT total_positive", reverse_sql=migrations\.RunSQL\.noop\)/);
    writeFileIn(file, out);
    writeFileIn(created?.file as string, created?.text as string);
    const parser = await getParser();
    for (const text of [out, created?.text as string]) assert.equal(parser.parse(text).rootNode.hasError, false);
    const results = await lintProject(dir);
    const left = [...results.values()].flatMap((r) => r.findings.filter((f) => SQL_RULES.has(f.rule) || f.rule === 'conflicting-migrations'));
    assert.deepEqual(left, [], 'no finding left, and no second leaf');
  });

  it('offers no follow-up when the migration is not the last of its app, or the constraint has no name', async () => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_sql.py');
    writeFileIn(file, migration(`        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total > 0)", migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE shop_order ADD CHECK (total < 1000)", migrations.RunSQL.noop),`));
    writeFileIn(join(dir, 'shop', 'migrations', '0003_next.py'), migration('').replace('"0001_initial"', '"0002_sql"'));
    const found = (await lintProject(dir)).get(file)?.findings.filter((f) => f.rule === 'add-constraint-validates') ?? [];
    assert.deepEqual(found.map((f) => f.fixes.length), [0, 0]);
    assert.match(found[0]?.message ?? '', /not the last of its app/);
    assert.match(found[1]?.message ?? '', /name the constraint/);
  });
});

describe('suppressing a finding inside a multi-line string', () => {
  it('is done on the line where the string starts (a comment inside the string would be SQL)', async () => {
    const src = migration(`        migrations.RunSQL(
            """
            CREATE INDEX shop_order_ref ON shop_order (ref);
            """,
            migrations.RunSQL.noop,
        ),`);
    const [f] = await sqlFindings(src, {}, true);
    assert.ok(f?.finding.suppression);
    const out = applyEdits(src, [f.finding.suppression]);
    assert.match(out, /\n {12}# migration-guard: ignore\[add-index-not-concurrent\]\n {12}"""\n {12}CREATE INDEX/);
    assert.equal((await getParser()).parse(out).rootNode.hasError, false);
    const after = await lint(out);
    assert.deepEqual(after.findings.filter((x) => x.rule === 'add-index-not-concurrent' || x.rule === 'unused-suppression'), []);
  });
});

describe('where the positions come from', () => {
  it("the quick readers refuse every RunSQL file, so its summary (and the statements' positions) come from the tree", async () => {
    const src = migration(`        migrations.RunSQL("CREATE INDEX a ON shop_order (ref)", migrations.RunSQL.noop),`);
    assert.equal(textSummary(src, '0002_sql', null), null, 'the text reader refuses it');
    const tree = (await getParser()).parse(src);
    try {
      assert.equal(quickSummary(tree.rootNode, src, '0002_sql', null), null, 'the quick tree reader refuses it');
    } finally {
      tree.delete();
    }
    const { summary } = await lint(src);
    const sites = summary?.operations[0]?.sqlSites;
    assert.deepEqual(sites?.hazards.map((h) => [h.rule, covered(src, h.range)]), [['add-index-not-concurrent', 'CREATE INDEX a ON shop_order (ref)']]);
  });

  it('a RunSQL operation imported under another name is still read by the tree path', async () => {
    const src = migration(`        RunSQL("DROP INDEX a", RunSQL.noop),`).replace('from django.db import migrations, models', 'from django.db import migrations, models\nfrom django.db.migrations import RunSQL');
    assert.equal(textSummary(src, '0002_sql', null), null);
    assert.deepEqual(await pairs(src, {}, true), [['remove-index-not-concurrent', 'DROP INDEX a']]);
  });
});

describe('the CLI and the RunSQL fixes', () => {
  it('--fix applies none of them; --unsafe-fixes applies NOT VALID with its VALIDATE migration, all or nothing', () => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_sql.py');
    const source = migration(`        migrations.RunSQL(["CREATE INDEX shop_order_status ON shop_order (status)"], ["DROP INDEX shop_order_status"]),
        migrations.RunSQL("ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total > 0)", migrations.RunSQL.noop),`);
    writeFileIn(file, source);
    const fixRun = runCli(['check', '--no-cache', '--format', 'json', '--fix', '.'], dir);
    assert.equal(readFileSync(file, 'utf8'), source, '--fix');
    assert.deepEqual(readdirSync(join(dir, 'shop', 'migrations')).sort(), ['0001_initial.py', '0002_sql.py', '__init__.py'], '--fix writes no migration');
    assert.deepEqual(jsonFindings(fixRun).filter((f) => SQL_RULES.has(f.rule)).map((f) => f.rule), ['add-index-not-concurrent', 'add-constraint-validates']);

    const unsafe = runCli(['check', '--no-cache', '--format', 'json', '--fix', '--unsafe-fixes', '.'], dir);
    const fixed = readFileSync(file, 'utf8');
    assert.match(fixed, /CHECK \(total > 0\) NOT VALID", migrations\.RunSQL\.noop\)/);
    const added = readdirSync(join(dir, 'shop', 'migrations')).filter((f) => !['0001_initial.py', '0002_sql.py', '__init__.py'].includes(f));
    assert.equal(added.length, 1, `one VALIDATE migration: ${added.join(', ')}`);
    assert.match(readFileSync(join(dir, 'shop', 'migrations', added[0] as string), 'utf8'), /VALIDATE CONSTRAINT/);
    // The CREATE INDEX shares its migration with the constraint: no CONCURRENTLY fix, still reported.
    assert.deepEqual(jsonFindings(unsafe).filter((f) => SQL_RULES.has(f.rule)).map((f) => f.rule), ['add-index-not-concurrent']);
  });
});

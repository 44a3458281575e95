/**
 * The schema-hazard rules beyond their fixtures: the target-database settings (parsed, validated,
 * layered, handed to the project rules), messages that follow the target, rules that ship off by
 * default, and the rules firing on the operation's range in both the editor's and the CLI's path.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RULES } from '../server/src/analysis/rules';
import { ruleEnabled, type RuleMeta } from '../server/src/analysis/rules/rule';
import { DEFAULT_TARGET_DATABASE, type TargetDatabase } from '../server/src/analysis/target-database';
import { defaultSettings, mergeSettings, parseSettings, targetOf } from '../server/src/config/settings';
import { TempDirs, writeFileIn } from './helpers/cli';
import { lint, lintProject, withBase } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

const RULE_FIXTURES = join(FIXTURES, 'rules');
const temps = new TempDirs();
after(() => temps.removeAll());

/** The messages of one rule over a fixture project, linted for `target`. */
async function messages(fixture: string, rule: string, target: TargetDatabase): Promise<string[]> {
  const results = await lintProject(withBase(join(RULE_FIXTURES, fixture), temps), { target });
  return [...results.values()].flatMap((r) => r.findings.filter((f) => f.rule === rule).map((f) => f.message));
}

const pg = (postgresqlVersion: number, djangoVersion: readonly [number, number] = [4, 2]): TargetDatabase => ({ vendor: 'postgresql', postgresqlVersion, djangoVersion });

describe('target database settings', () => {
  it('defaults to PostgreSQL 14 and Django 4.2', () => {
    assert.deepEqual(targetOf(defaultSettings()), DEFAULT_TARGET_DATABASE);
    assert.deepEqual(DEFAULT_TARGET_DATABASE, { vendor: 'postgresql', postgresqlVersion: 14, djangoVersion: [4, 2] });
  });

  it('reads the kebab-case keys of pyproject.toml and the camelCase keys of VS Code', () => {
    const kebab = parseSettings({ database: 'mysql', 'postgresql-version': 12, 'django-version': '5.1' }, 'pyproject.toml');
    assert.deepEqual(kebab.problems, []);
    // A version the settings give is the project's (djangoKnown): it wins over the one in a migration's header.
    assert.deepEqual(targetOf(mergeSettings(kebab.settings)), { vendor: 'mysql', postgresqlVersion: 12, djangoVersion: [5, 1], djangoKnown: true });
    const camel = parseSettings({ database: 'sqlite', postgresqlVersion: '16', djangoVersion: '4.0' }, 'migrationGuard');
    assert.deepEqual(camel.problems, []);
    assert.deepEqual(targetOf(mergeSettings(camel.settings)), { vendor: 'sqlite', postgresqlVersion: 16, djangoVersion: [4, 0], djangoKnown: true });
  });

  it('layers like every other setting: the editor over pyproject.toml over the defaults, unset keys falling through', () => {
    const project = parseSettings({ database: 'mysql', 'django-version': '3.2' }, 'pyproject.toml').settings;
    const editor = parseSettings({ postgresqlVersion: 11, database: null }, 'migrationGuard').settings;
    assert.deepEqual(targetOf(mergeSettings(project, editor)), { vendor: 'mysql', postgresqlVersion: 11, djangoVersion: [3, 2], djangoKnown: true });
    // No version anywhere: the default, not known to be the project's.
    assert.equal(targetOf(mergeSettings(parseSettings({ database: 'mysql' }, 'pyproject.toml').settings)).djangoKnown, undefined);
  });

  it('names what is wrong and keeps the default for it', () => {
    const { settings, problems } = parseSettings({ database: 'oracle', 'postgresql-version': 'latest', 'django-version': 'five' }, 'pyproject.toml');
    assert.deepEqual(problems, [
      'pyproject.toml: database must be one of "postgresql", "mysql", "sqlite"',
      'pyproject.toml: postgresql-version must be PostgreSQL\'s major version, e.g. 14 or "16" (9 or later)',
      'pyproject.toml: django-version must be a version such as "4.2" or "5.0" (a string: 4.10 as a number would read as 4.1)',
    ]);
    assert.deepEqual(targetOf(mergeSettings(settings)), DEFAULT_TARGET_DATABASE);
    assert.equal(parseSettings({ 'postgresql-version': 8 }, 'x').problems.length, 1, 'before 9 is not a version we describe');
  });
});

describe('rules that ship off by default', () => {
  const off: RuleMeta = { id: 'x', summary: 'x', defaultSeverity: 'warning', defaultOff: true };
  const on: RuleMeta = { id: 'y', summary: 'y', defaultSeverity: 'warning' };

  it('run only when a setting names a severity', () => {
    assert.equal(ruleEnabled(off, undefined), false);
    assert.equal(ruleEnabled(off, 'default'), false);
    assert.equal(ruleEnabled(off, 'warning'), true);
    assert.equal(ruleEnabled(off, 'off'), false);
    assert.equal(ruleEnabled(on, undefined), true);
    assert.equal(ruleEnabled(on, 'default'), true);
    assert.equal(ruleEnabled(on, 'off'), false);
  });

  it('are turned on by `true` in pyproject.toml', () => {
    for (const rule of RULES) {
      const { settings } = parseSettings({ rules: { [rule.meta.id]: true } }, 'pyproject.toml');
      const setting = mergeSettings(settings).rules[rule.meta.id];
      assert.ok(ruleEnabled(rule.meta, setting), `${rule.meta.id} = true runs it`);
    }
  });
});

describe('add-constraint-validates: what a foreign key dropped and added back locks', () => {
  it('holds the drop\'s ACCESS EXCLUSIVE lock through the validation in one transaction, not with atomic = False (review 56: janeway core/0082)', async () => {
    const dir = temps.make();
    cpSync(join(RULE_FIXTURES, 'add-constraint-validates/bad-foreign-key-column-altered'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_order_customer_nullable.py');
    const message = async () => (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-constraint-validates')?.message ?? '';
    const atomic = await message();
    assert.match(atomic, /ACCESS EXCLUSIVE lock on both tables until the migration commits, and adds it back: PostgreSQL validates it at once, reading every row while nothing else reads or writes either table/);
    writeFileSync(file, readFileSync(file, 'utf8').replace('class Migration(migrations.Migration):\n', 'class Migration(migrations.Migration):\n    atomic = False\n'));
    const apart = await message();
    assert.match(apart, /a brief ACCESS EXCLUSIVE lock on both tables; with atomic = False it commits at once\) and adds it back: PostgreSQL validates it at once, reading every row under a SHARE ROW EXCLUSIVE lock on both tables, so every write to either waits \(reads go on\)/);
    assert.doesNotMatch(apart, /until the migration commits/);
  });
});

describe('drop-column: a column given back under its name for another kind of value (review 56: money-to-prisoners-api security/0030)', () => {
  it('says so, advises a column of its own, and offers no two-release removal', async () => {
    const dir = withBase(join(RULE_FIXTURES, 'drop-column/tricky-column-given-back-as-another-kind'), temps);
    const found = [...(await lintProject(dir)).values()].flatMap((r) => r.findings.filter((f) => f.rule === 'drop-column'));
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /its name goes to a field of another kind later in this migration \(ArrayField\)/);
    assert.match(found[0]?.message ?? '', /Instead, give the new field a column of its own \(another name, or `db_column`\) in one release/);
    assert.deepEqual(found[0]?.fixes, []);
  });
});

describe('rename-column: the old name given back for another kind of value (review 80: inyoka portal/0028)', () => {
  it('advises a column of its own for the new field, not db_column on the renamed one (which would collide), and offers no fix', async () => {
    const dir = withBase(join(RULE_FIXTURES, 'rename-column/tricky-old-name-given-back-as-another-kind'), temps);
    const found = [...(await lintProject(dir)).values()].flatMap((r) => r.findings.filter((f) => f.rule === 'rename-column'));
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /the name "legacy_id" goes to a field of another kind later in this migration \(BinaryField\)/);
    assert.match(found[0]?.message ?? '', /Keep the column for the old code: give the new field a column of its own/);
    assert.doesNotMatch(found[0]?.message ?? '', /db_column="legacy_id"/);
    assert.deepEqual(found[0]?.fixes, []);
  });
});

describe('rename-table: the old name taken by a table a later migration makes (review 80: inyoka portal/0011)', () => {
  it('advises keeping the table and giving the later one a name of its own, naming that table and its migration', async () => {
    const dir = withBase(join(RULE_FIXTURES, 'rename-table/tricky-old-name-taken-later'), temps);
    const found = [...(await lintProject(dir)).values()].flatMap((r) => r.findings.filter((f) => f.rule === 'rename-table'));
    const [field, model] = [...found].sort((a, b) => a.range.start.line - b.range.start.line);
    assert.equal(found.length, 2);
    assert.match(field?.message ?? '', /give the field `db_table="club_member_teams"`, and give the join table of 'teams' \(Member\) \(named "club_member_teams" from club\/0003_new_links on\) a `db_table` of its own, or the two would collide/);
    assert.match(model?.message ?? '', /give the model `db_table = "club_badge"`, and give the table of Badge \(named "club_badge" from club\/0003_new_links on\) a `db_table` of its own/);
  });
  it('a branch beside the migration, which a merge joins later, takes no name after it', async () => {
    const dir = withBase(join(RULE_FIXTURES, 'rename-table/tricky-old-name-kept-on-a-sibling-branch'), temps);
    const found = [...(await lintProject(dir)).values()].flatMap((r) => r.findings.filter((f) => f.rule === 'rename-table'));
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /Keep the table: give the model `db_table = "club_badge"` so nothing changes in the database\.$/);
  });
  it('keeps the plain advice where no later table takes the name', async () => {
    const dir = withBase(join(RULE_FIXTURES, 'rename-table/bad-many-to-many-field-renamed'), temps);
    const found = [...(await lintProject(dir)).values()].flatMap((r) => r.findings.filter((f) => f.rule === 'rename-table'));
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /Keep the table: give the field `db_table="shop_project_fund_types"` so nothing changes in the database\.$/);
  });
});

describe('schema-hazard messages follow the target', () => {
  it('add-field-not-null: a table rewrite before PostgreSQL 11 only, db_default only from Django 5.0', async () => {
    const fixture = 'add-field-not-null/tricky-old-postgresql';
    const [old] = await messages(fixture, 'add-field-not-null', pg(10, [3, 2]));
    const [current] = await messages(fixture, 'add-field-not-null', pg(14, [4, 2]));
    const [django5] = await messages(fixture, 'add-field-not-null', pg(16, [5, 0]));
    assert.match(old ?? '', /PostgreSQL 10, ADD COLUMN with a default rewrites the whole table under an ACCESS EXCLUSIVE lock/);
    assert.doesNotMatch(current ?? '', /rewrites/);
    assert.match(current ?? '', /ACCESS EXCLUSIVE lock \(brief: the constant default is stored in the catalog, no rewrite\)/);
    assert.doesNotMatch(current ?? '', /db_default/);
    assert.match(django5 ?? '', /db_default=…/);
    const [mysql] = await messages(fixture, 'add-field-not-null', { ...pg(14), vendor: 'mysql' });
    assert.match(mysql ?? '', /MySQL/);
  });

  it("drop-table and the renames name the lock the target's database takes (review 64: ubyssey, on MySQL)", async () => {
    const mysql: TargetDatabase = { ...pg(14), vendor: 'mysql' };
    const [drop] = await messages('drop-table/bad-delete-model', 'drop-table', mysql);
    assert.match(drop ?? '', /\(an exclusive metadata lock, brief\)/);
    assert.doesNotMatch(drop ?? '', /copied/, 'a DROP TABLE copies nothing');
    const [rename] = await messages('rename-column/bad-rename-field', 'rename-column', mysql);
    assert.match(rename ?? '', /\(ALTER TABLE … RENAME COLUMN, a brief exclusive metadata lock\)/);
    assert.doesNotMatch(rename ?? '', /ACCESS EXCLUSIVE/);
    const [onPostgres] = await messages('rename-column/bad-rename-field', 'rename-column', pg(14));
    assert.match(onPostgres ?? '', /a brief ACCESS EXCLUSIVE lock\)/);
  });

  it('add-field-not-null: a default of None is no DEFAULT at all', async () => {
    const [message] = await messages('add-field-not-null/bad-default-none', 'add-field-not-null', pg(14, [4, 2]));
    assert.match(message ?? '', /its default is None, so Django adds it with no DEFAULT and it fails as soon as the table has rows/);
    assert.doesNotMatch(message ?? '', /sets its default only while adding/);
    assert.doesNotMatch(message ?? '', /constant default|rewrites/, 'no default: nothing stored in the catalog, nothing rewritten');
    assert.match(message ?? '', /; ALTER TABLE … ADD COLUMN takes an ACCESS EXCLUSIVE lock\. Instead/);
  });

  it('add-field-not-null: no default at all says so, and no more about a default (DMOJ judge/0123)', async () => {
    for (const target of [pg(14, [4, 2]), pg(10, [3, 2])]) {
      const [message] = await messages('add-field-not-null/bad-hand-written-without-default', 'add-field-not-null', target);
      assert.match(message ?? '', /it has no default, so it fails as soon as the table has rows/);
      assert.doesNotMatch(message ?? '', /constant default|with a default rewrites/);
    }
  });

  it('add-constraint-validates: AddConstraintNotValid from Django 4.0, RunSQL NOT VALID before; nothing on MySQL or SQLite', async () => {
    const fixture = 'add-constraint-validates/bad-check-and-foreign-key';
    const recent = await messages(fixture, 'add-constraint-validates', pg(14, [4, 0]));
    const older = await messages(fixture, 'add-constraint-validates', pg(14, [3, 2]));
    assert.equal(recent.length, 4);
    assert.match(recent[0] ?? '', /AddConstraintNotValid/);
    // Only a foreign-key column added with a default is checked row by row; one without is all NULL and
    // not reported (good-nullable-foreign-key-without-default, test/blocking-truth.test.ts).
    assert.match(recent[1] ?? '', /AddField 'parent'.*with a default every existing row takes, so PostgreSQL checks every row/);
    assert.match(recent[2] ?? '', /AddField 'origin'.*with a default every existing row takes/);
    const django2 = await messages(fixture, 'add-constraint-validates', pg(14, [2, 2]));
    assert.match(django2[1] ?? '', /Django before 3\.0 adds it with ADD CONSTRAINT … FOREIGN KEY/);
    assert.doesNotMatch(older[0] ?? '', /AddConstraintNotValid/);
    assert.match(older[0] ?? '', /NOT VALID/);
    assert.deepEqual(await messages(fixture, 'add-constraint-validates', { ...pg(14), vendor: 'mysql' }), []);
    assert.deepEqual(await messages(fixture, 'add-constraint-validates', { ...pg(14), vendor: 'sqlite' }), []);
  });

  it('add-constraint-validates: a positive integer column says what it holds while its CHECK is checked (review 70: lite-api statuses/0010)', async () => {
    const found = await messages('add-constraint-validates/bad-positive-integer-column', 'add-constraint-validates', pg(14));
    assert.match(found.find((m) => m.startsWith("AddField 'stock'")) ?? '', /checks it against every row \(even while the new column is all NULL\) while ADD COLUMN/);
    assert.match(found.find((m) => m.startsWith("AddField 'items'")) ?? '', /checks it against every row \(even though every row holds the same default\) while ADD COLUMN/);
  });

  it('names a table of another schema as its db_table quotes it (review 71: mit-learn profiles/0022)', async () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Thing", fields=[("id", models.AutoField(primary_key=True)), ("old", models.IntegerField(null=True))], options={"db_table": \'"external"."thing"\'})]\n');
    writeFileIn(join(root, 'shop/migrations/0002_drop_old.py'), 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RemoveField(model_name="thing", name="old")]\n');
    const found = [...(await lintProject(root, { target: pg(14) })).values()].flatMap((r) => r.findings.filter((f) => f.rule === 'drop-column'));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(found[0]?.message ?? '', /of existing table "external"\."thing" \(/);
  });

  it('index rules name the lock on PostgreSQL and say nothing on SQLite and MySQL', async () => {
    const adds = await messages('add-index-not-concurrent/bad-indexes-on-existing-tables', 'add-index-not-concurrent', pg(14));
    assert.equal(adds.length, 8);
    assert.ok(adds.some((m) => /SHARE lock/.test(m)) && adds.some((m) => /ACCESS EXCLUSIVE/.test(m)));
    // Django writes an added field's UNIQUE into its column (ADD COLUMN … UNIQUE), an altered one's apart.
    assert.match(adds.find((m) => m.startsWith("AddField 'token'")) ?? '', /ALTER TABLE … ADD COLUMN … UNIQUE builds the index under an ACCESS EXCLUSIVE lock/);
    assert.match(adds.find((m) => m.startsWith("AlterField 'sku'")) ?? '', /ALTER TABLE … ADD CONSTRAINT … UNIQUE builds the index under an ACCESS EXCLUSIVE lock/);
    const drops = await messages('remove-index-not-concurrent/bad-drops-on-existing-tables', 'remove-index-not-concurrent', pg(14));
    assert.ok(drops.length > 0 && drops.every((m) => /ACCESS EXCLUSIVE/.test(m)));
    for (const vendor of ['sqlite', 'mysql'] as const) {
      assert.deepEqual(await messages('add-index-not-concurrent/bad-indexes-on-existing-tables', 'add-index-not-concurrent', { ...pg(14), vendor }), []);
      assert.deepEqual(await messages('remove-index-not-concurrent/bad-drops-on-existing-tables', 'remove-index-not-concurrent', { ...pg(14), vendor }), []);
    }
  });

  it('alter-field-type: widening a varchar or varchar -> text is a finding on MySQL, not on PostgreSQL', async () => {
    const fixture = 'alter-field-type/good-widening-on-postgresql';
    assert.deepEqual(await messages(fixture, 'alter-field-type', pg(14)), []);
    const mysql = await messages(fixture, 'alter-field-type', { ...pg(14), vendor: 'mysql' });
    assert.equal(mysql.length, 2, mysql.join('\n'));
    const bad = await messages('alter-field-type/bad-rewrites', 'alter-field-type', pg(14));
    assert.match(bad[0] ?? '', /from integer to bigint .* ACCESS EXCLUSIVE/);
    // What becomes of longer values (review 80: osis base/0360): a text column cast to varchar(n) loses what is
    // past n characters; a varchar made shorter stops the migration on a longer value.
    assert.match(bad.find((m) => m.includes("'summary'")) ?? '', /Django casts the column \(`USING …::varchar\(500\)`\), which cuts every longer value to 500 characters without an error: what is past them is lost\./);
    assert.match(bad.find((m) => m.includes("'category'")) ?? '', /A value longer than 32 characters stops the migration \(PostgreSQL refuses it\)\./);
    assert.ok(bad.filter((m) => /cuts every longer value|stops the migration/.test(m)).length === 2, bad.join('\n'));
    const onMysql = await messages('alter-field-type/bad-rewrites', 'alter-field-type', { ...pg(14), vendor: 'mysql' });
    assert.ok(!onMysql.some((m) => /cuts every longer value|stops the migration/.test(m)), onMysql.join('\n'));
  });
});

describe('add-index-not-concurrent wording', () => {
  it('calls a new primary key a primary key, and its constraint PRIMARY KEY (EvaP evaluation/0105)', async () => {
    const [message] = await messages(join('add-index-not-concurrent', 'tricky-primary-key-made'), 'add-index-not-concurrent', pg(14));
    assert.match(message ?? '', /^AlterField 'legacy_id' adds a primary key \(`primary_key=True`\) on existing table "shop_order": ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY builds the index under an ACCESS EXCLUSIVE lock/);
  });
});

describe('remove-index-not-concurrent wording', () => {
  it('advises DROP INDEX CONCURRENTLY for an index, a lock_timeout for a unique constraint PostgreSQL cannot drop concurrently', async () => {
    const found = await messages(join('remove-index-not-concurrent', 'bad-drops-on-existing-tables'), 'remove-index-not-concurrent', pg(14));
    const of = (start: RegExp): string => found.find((m) => start.test(m)) ?? '';
    assert.match(of(/^RemoveIndex/), /RemoveIndexConcurrently/);
    // The AlterField of that migration waits behind the RemoveIndex's lock (no finding); one in a migration outside a transaction.
    const alone = await messages(join('remove-index-not-concurrent', 'tricky-lock-held-by-an-earlier-operation'), 'remove-index-not-concurrent', pg(14));
    assert.match(alone.find((m) => /^AlterField 'listing' drops its index/.test(m)) ?? '', /`DROP INDEX CONCURRENTLY` in RunSQL/);
    for (const constraint of [/^AlterUniqueTogether drops \(status, total\)/, /^RemoveConstraint 'sku_unique_constraint' drops a unique index/]) {
      assert.match(of(constraint), /drop the constraint at a quiet time with a short lock_timeout, retrying/);
      assert.doesNotMatch(of(constraint), /DROP INDEX CONCURRENTLY/);
    }
  });
});

describe('drop-column wording', () => {
  it('advises dropping the join table of a many-to-many field, with no column to make nullable', async () => {
    const [message] = await messages(join('drop-column', 'tricky-many-to-many-join-table'), 'drop-column', pg(14));
    assert.match(message ?? '', /^RemoveField drops the join table of many-to-many 'related' of existing table "shop_listing"/);
    assert.match(message ?? '', /\(a state-only RemoveField in SeparateDatabaseAndState\), and drop the join table in the next\. /);
    assert.doesNotMatch(message ?? '', /nullable/);
  });
});

describe('drop-column names the column the database drops', () => {
  it("a foreign key's column is <name>_id", async () => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_remove_order_listing.py');
    writeFileSync(file, `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RemoveField(model_name="order", name="listing")]\n`);
    const found = (await lintProject(dir)).get(file)?.findings.filter((f) => f.rule === 'drop-column') ?? [];
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /^RemoveField drops column 'listing_id' \(field 'listing'\) of existing table "shop_order"/);
  });
});

describe('rename-column says why a column is renamed', () => {
  it("a field turned into a foreign key takes Django's <name>_id column, db_column aside", async () => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_order_total_to_listing.py');
    writeFileSync(file, `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.AlterField(model_name="order", name="total", field=models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.listing"))]\n`);
    const found = (await lintProject(dir)).get(file)?.findings.filter((f) => f.rule === 'rename-column') ?? [];
    assert.equal(found.length, 1);
    assert.match(found[0]?.message ?? '', /^AlterField 'total' \(now a foreign key\) renames column "total" to "total_id" of existing table "shop_order"/);
    assert.match(found[0]?.message ?? '', /\(the column keeps its name; the rest of the change still runs\)\.$/);
    assert.doesNotMatch(found[0]?.message ?? '', /nothing changes in the database/);
  });
});

describe('add-field-not-null on a foreign key with a default', () => {
  it('does not call the lock brief: every row is checked against the referenced table while it is held', async () => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_order_report.py');
    writeFileSync(file, `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.AddField(model_name="order", name="report", field=models.ForeignKey(default=1, on_delete=models.CASCADE, to="shop.report"))]\n`);
    const found = (await lintProject(dir)).get(file)?.findings ?? [];
    const message = found.find((f) => f.rule === 'add-field-not-null')?.message ?? '';
    assert.match(message, /ADD COLUMN … REFERENCES takes an ACCESS EXCLUSIVE lock and holds it while every row is checked against the referenced table/);
    assert.doesNotMatch(message, /brief/);
    assert.ok(found.some((f) => f.rule === 'add-constraint-validates'), 'the rule it points to reports the same AddField');
  });
});

describe('add-index-not-concurrent after an ALTER TABLE on the same table', () => {
  const write = (ops: string) => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_order_note_and_index.py');
    writeFileSync(file, `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [\n${ops}\n    ]\n`);
    return { dir, file };
  };
  const ops = `        migrations.AddField(model_name="order", name="note", field=models.TextField(null=True)),
        migrations.AlterField(model_name="order", name="legacy_id", field=models.CharField(max_length=50, null=True, db_index=True)),`;
  it('says reads wait too: the earlier ACCESS EXCLUSIVE lock is held through the build', async () => {
    const { dir, file } = write(ops);
    const message = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(message, /the AddField before it in this migration already holds an ACCESS EXCLUSIVE lock on the table until the migration commits: every read and write waits for the whole build/);
    assert.doesNotMatch(message, /reads go on/);
  });
  // The AlterField's own statements before its CREATE INDEX (review 46: mediacms identity_providers/0004 and files/0006).
  it("says reads wait too when the AlterField's own ALTER TABLE before the build holds ACCESS EXCLUSIVE", async () => {
    const { dir, file } = write('        migrations.AlterField(model_name="order", name="status", field=models.ForeignKey(null=True, on_delete=models.deletion.CASCADE, to="shop.listing")),');
    const message = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(message, /and the AlterField's own ALTER TABLE … RENAME COLUMN before it already holds an ACCESS EXCLUSIVE lock on the table until the migration commits: every read and write waits for the whole build/);
    assert.doesNotMatch(message, /reads go on/);
    const unique = write('        migrations.AlterField(model_name="listing", name="sku", field=models.CharField(max_length=50, null=True, unique=True)),');
    writeFileSync(join(unique.dir, 'shop', 'migrations', '0003_listing_sku_index.py'), `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_order_note_and_index")]\n    operations = [migrations.AlterField(model_name="listing", name="sku", field=models.CharField(max_length=50, null=True, db_index=True))]\n`);
    const replaced = (await lintProject(unique.dir)).get(join(unique.dir, 'shop', 'migrations', '0003_listing_sku_index.py'))?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(replaced, /replaces its unique constraint with an index .*the AlterField first drops the unique constraint \(ALTER TABLE … DROP CONSTRAINT\), whose ACCESS EXCLUSIVE lock it holds until the migration commits: every read and write waits for the whole build/);
  });
  it('counts a RemoveIndex before it (DROP INDEX: ACCESS EXCLUSIVE), and hedges after an operation whose SQL is not known (review 47: allauth account/0007, 0003)', async () => {
    const dropped = write(`        migrations.AddIndex(model_name="order", index=models.Index(fields=["status"], name="order_status_idx")),`);
    writeFileSync(join(dropped.dir, 'shop', 'migrations', '0003_order_total_index.py'), `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_order_note_and_index")]\n    operations = [\n        migrations.RemoveIndex(model_name="order", name="order_status_idx"),\n        migrations.AlterField(model_name="order", name="total", field=models.IntegerField(null=True, db_index=True)),\n    ]\n`);
    const after = (await lintProject(dropped.dir)).get(join(dropped.dir, 'shop', 'migrations', '0003_order_total_index.py'))?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(after, /the RemoveIndex before it in this migration already holds an ACCESS EXCLUSIVE lock on the table until the migration commits: every read and write waits for the whole build/);
    const branch = write('');
    writeFileSync(branch.file, `from django.conf import settings\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = (\n        [\n            migrations.AlterUniqueTogether(name="order", unique_together={("status", "legacy_id")}),\n            migrations.AddIndex(model_name="order", index=models.Index(fields=["legacy_id"], name="order_legacy_idx")),\n        ]\n        if settings.STRICT\n        else []\n    )\n`);
    const hedged = (await lintProject(branch.dir)).get(branch.file)?.findings.find((f) => f.rule === 'add-index-not-concurrent' && f.message.startsWith('AddIndex'))?.message ?? '';
    assert.match(hedged, /every INSERT, UPDATE and DELETE waits, and reads too if the AlterUniqueTogether before it on the same table, whose SQL is not known here, took an ACCESS EXCLUSIVE lock/);
    assert.doesNotMatch(hedged, /reads go on/);
    // An AddField the preview cannot write (another package's field class) still alters the table: no hedge.
    const column = write('');
    writeFileSync(column.file, `import colorfield.fields\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [\n        migrations.AddField(model_name="order", name="colour", field=colorfield.fields.ColorField(default="#FFFFFF", max_length=18)),\n        migrations.AddIndex(model_name="order", index=models.Index(fields=["legacy_id"], name="order_legacy_idx")),\n    ]\n`);
    const held = (await lintProject(column.dir)).get(column.file)?.findings.find((f) => f.rule === 'add-index-not-concurrent' && f.message.startsWith('AddIndex'))?.message ?? '';
    assert.match(held, /and the AddField before it in this migration \(an ALTER TABLE of a column\) already holds an ACCESS EXCLUSIVE lock on the table until the migration commits: every read and write waits for the whole build/);
  });
  it('says reads go on when nothing before it locks that table', async () => {
    const { dir, file } = write(ops.replace('model_name="order", name="note"', 'model_name="listing", name="note"'));
    const message = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(message, /CREATE INDEX takes a SHARE lock on the table for the whole build: reads go on/);
  });
});

describe("add-index-not-concurrent on an AddField's own index", () => {
  const write = (atomic: string) => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_order_buyer.py');
    writeFileSync(file, `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n${atomic}    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.AddField(model_name="order", name="buyer", field=models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.listing"))]\n`);
    return { dir, file };
  };
  it('says reads wait too in one transaction: the ADD COLUMN before the build holds ACCESS EXCLUSIVE to the end (NEMO 0065)', async () => {
    const { dir, file } = write('');
    const message = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(message, /the AddField's own ALTER TABLE … ADD COLUMN already holds an ACCESS EXCLUSIVE lock on the table until the migration commits: every read and write waits for the whole build/);
    assert.doesNotMatch(message, /reads go on/);
  });
  it('says reads go on with atomic = False: the ADD COLUMN commits, and its lock goes, before the build', async () => {
    const { dir, file } = write('    atomic = False\n');
    const message = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'add-index-not-concurrent')?.message ?? '';
    assert.match(message, /CREATE INDEX takes a SHARE lock on the table for the whole build: reads go on/);
  });
});

describe('relation fields of well-known packages', () => {
  it("names a TreeForeignKey's column as a ForeignKey's (django-mptt: parent_id, not parent)", async () => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'rules', 'drop-column', 'tricky-tree-foreign-key-column', 'shop'), join(dir, 'shop'), { recursive: true });
    cpSync(join(FIXTURES, 'schema-base', 'shop', 'migrations', '0001_initial.py'), join(dir, 'shop', 'migrations', '0001_initial.py'));
    writeFileSync(join(dir, 'shop', 'migrations', '__init__.py'), '');
    const file = join(dir, 'shop', 'migrations', '0003_remove_parent.py');
    const message = (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'drop-column')?.message ?? '';
    assert.match(message, /drops column 'parent_id' \(field 'parent'\)/);
  });
});

describe('mixed-data-and-schema wording follows the order', () => {
  const messageOf = async (file: string) => (await lint(readFileSync(join(RULE_FIXTURES, 'mixed-data-and-schema', file), 'utf8'))).findings.find((f) => f.rule === 'mixed-data-and-schema')?.message ?? '';
  it('an ALTER before the data work holds its lock through it (pontoon base/0080, tabbycat results/0009)', async () => {
    assert.match(await messageOf('bad-addfield-then-backfill.py'), /The ALTER runs first and holds its ACCESS EXCLUSIVE lock until the transaction ends, through the whole data work/);
  });
  it('an index build holds SHARE, not ACCESS EXCLUSIVE: writes wait, reads go on (review 36: actionpopulaire events/0002)', async () => {
    const message = await messageOf('bad-index-build-then-backfill.py');
    assert.match(message, /The index build runs first and holds its SHARE lock until the transaction ends, through the whole data work, so every write to the table waits that long \(reads go on\)/);
    assert.doesNotMatch(message, /ACCESS EXCLUSIVE/);
  });
  it('an ALTER after the data work queues for its lock at the end, the rows written staying locked', async () => {
    // Not queued during the data work: one transaction sends the ALTER only when the RunPython returns.
    const message = await messageOf('bad-runsql-update-then-alter.py');
    assert.match(message, /Every row the data work writes stays locked until the transaction ends, and the ALTER after it then queues for an ACCESS EXCLUSIVE lock/);
    assert.doesNotMatch(message, /waits for the data work/);
  });
  it('an ALTER after the data work on the table an ALTER before it locked takes no new lock (review 73: care facility/0429)', async () => {
    const message = await messageOf('bad-expand-contract-in-one-file.py');
    assert.match(message, /takes an ACCESS EXCLUSIVE lock and holds it until the transaction ends, through the data work and the ALTER after it \(on the same table\)/);
    assert.doesNotMatch(message, /queues for another/);
    // On another table, the ALTER after it does queue.
    const source = readFileSync(join(RULE_FIXTURES, 'mixed-data-and-schema', 'bad-expand-contract-in-one-file.py'), 'utf8').replace('model_name="job",\n            name="title"', 'model_name="employer",\n            name="title"');
    assert.notEqual(source, readFileSync(join(RULE_FIXTURES, 'mixed-data-and-schema', 'bad-expand-contract-in-one-file.py'), 'utf8'));
    const other = (await lint(source)).findings.find((f) => f.rule === 'mixed-data-and-schema')?.message ?? '';
    assert.match(other, /The ALTER before the data work holds its ACCESS EXCLUSIVE lock through it, and the one after queues for another at its end/);
  });
});

describe('mixed-data-and-schema: an AlterField after the data work whose SQL cannot be previewed (review 77: bluebutton dot_ext/0005)', () => {
  const messageWith = async (field: string): Promise<string> => {
    const dir = temps.make();
    cpSync(join(FIXTURES, 'schema-base'), dir, { recursive: true });
    const file = join(dir, 'shop', 'migrations', '0002_copy_status.py');
    writeFileSync(
      file,
      [
        'import vault.fields',
        'from django.db import migrations, models',
        '',
        '',
        'class Migration(migrations.Migration):',
        '    dependencies = [("shop", "0001_initial")]',
        '',
        '    operations = [',
        '        migrations.AddField(model_name="order", name="status_plain", field=models.CharField(max_length=20, default="")),',
        '        migrations.RunSQL("UPDATE shop_order SET status_plain = status", migrations.RunSQL.noop),',
        `        migrations.AlterField(model_name="order", name="status", field=${field}),`,
        '    ]',
        '',
      ].join('\n'),
    );
    return (await lintProject(dir)).get(file)?.findings.find((f) => f.rule === 'mixed-data-and-schema')?.message ?? '';
  };
  it('says it may change nothing: a field class of a package may keep the column as it was', async () => {
    const message = await messageWith('vault.fields.HashedField(max_length=20)');
    assert.match(message, /through the data work and the AlterField after it \(if it changes the table at all: its SQL cannot be previewed here\)/);
    assert.doesNotMatch(message, /the ALTER after it/);
  });
  it("names Django's own AlterField an ALTER", async () => {
    const message = await messageWith('models.CharField(max_length=40)');
    assert.match(message, /through the data work and the ALTER after it \(on the same table\)/);
  });
});

describe('alter-field-not-null on a column old code does not know (review 73: care facility/0447)', () => {
  it("says the previous release's INSERTs fail, only where the migration added the column", async () => {
    const added = await messages('alter-field-not-null/tricky-added-nullable-in-same-migration', 'alter-field-not-null', pg(14));
    assert.equal(added.length, 1, added.join('\n'));
    assert.match(added[0] ?? '', /the previous release's code does not know 'barcode' \(this migration adds it\): its INSERTs leave it NULL, and fail once it is NOT NULL/);
    const old = await messages('alter-field-not-null/bad-nullable-made-not-null', 'alter-field-not-null', pg(14));
    assert.ok(old.length > 0);
    for (const m of old) assert.doesNotMatch(m, /does not know/);
  });
});

describe('schema-hazard findings', () => {
  it('are shown on the operation (its callee), one line each', async () => {
    const results = await lintProject(withBase(join(RULE_FIXTURES, 'drop-column', 'bad-seed-002-single-step-removal'), temps));
    const found = [...results.values()].flatMap((r) => r.findings.filter((f) => f.rule === 'drop-column'));
    assert.equal(found.length, 2);
    for (const f of found) {
      assert.equal(f.range.start.line, f.range.end.line);
      assert.equal(f.range.end.character - f.range.start.character, 'migrations.RemoveField'.length);
    }
  });
});

describe('mixed-data-and-schema names a RunSQL by its statement as written', () => {
  it('shows a DO block as written, never the placeholder the SQL scanner puts for its body (Ghostwriter reporting/0070)', async () => {
    const source = `from django.db import migrations


def fill(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    Order.objects.filter(total__isnull=True).update(total=0)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunSQL(
            "DO $$ BEGIN ALTER TABLE shop_order ADD CONSTRAINT order_total_set CHECK (total IS NOT NULL); END $$;",
            migrations.RunSQL.noop,
        ),
    ]
`;
    const { findings } = await lint(source);
    const mixed = findings.find((f) => f.rule === 'mixed-data-and-schema');
    assert.ok(mixed, findings.map((f) => f.rule).join(', '));
    assert.doesNotMatch(mixed.message, /\$BODY\(/);
    assert.match(mixed.message, /RunSQL "DO \$\$ BEGIN ALTER …"/);
  });
});

describe('runsql-no-reverse and runpython-no-reverse say how migrate stops', () => {
  it('IrreversibleError for an operation of its own, NotImplementedError inside SeparateDatabaseAndState (peering-manager peering/0102)', async () => {
    const source = `from django.db import migrations


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunSQL("UPDATE shop_order SET total = 0"),
        migrations.RunPython(forwards),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL("UPDATE shop_order SET total = 1"),
                migrations.RunPython(forwards),
            ],
        ),
    ]
`;
    const { findings } = await lint(source);
    const said = findings.filter((f) => f.rule === 'runsql-no-reverse' || f.rule === 'runpython-no-reverse').map((f) => [f.rule, f.range.start.line + 1, /NotImplementedError/.test(f.message), /IrreversibleError/.test(f.message)]);
    assert.deepEqual(said, [
      ['runsql-no-reverse', 12, false, true],
      ['runpython-no-reverse', 13, false, true],
      ['runsql-no-reverse', 16, true, true],
      ['runpython-no-reverse', 17, true, true],
    ]);
    assert.match(findings.find((f) => f.range.start.line + 1 === 16)?.message ?? '', /stops with NotImplementedError when the rollback reaches it, inside SeparateDatabaseAndState/);
  });
});

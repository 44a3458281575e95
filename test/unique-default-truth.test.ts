/**
 * Truth test of add-field-unique-default: real Django (Debian's python3-django) on a throwaway
 * PostgreSQL cluster. A unique column added with a callable default (`uuid.uuid4`) or a constant
 * to a table with two rows stops the migration with a duplicate key, and the same migration on
 * an empty table goes through; the documented way (nullable, filled per row, then unique) works
 * with rows. The rule (off by default, turned on here) reports exactly the two failing AddFields.
 * Without /usr/bin/python3 + Django or PostgreSQL the test is skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TempDirs, writeFileIn } from './helpers/cli';
import { djangoProject, manage, missingDjangoPostgres, runScript, type DjangoProject } from './helpers/django';
import { lintProject } from './helpers/lint';
import { startPostgres, type PgCluster } from './helpers/postgres';
import { skipReason } from './helpers/skip';

const temps = new TempDirs();
const projects: DjangoProject[] = [];
let pg: PgCluster | undefined;
const skip = skipReason(missingDjangoPostgres());
if (skip) console.log(`# unique-default-truth skipped: ${skip}`);

before(async () => {
  if (!skip) pg = await startPostgres();
});
after(() => {
  for (const p of projects) p.dispose();
  pg?.stop();
  temps.removeAll();
});

const FILES: Record<string, string> = {
  'uq/__init__.py': '',
  'uq/migrations/__init__.py': '',
  'uq/migrations/0001_initial.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [migrations.CreateModel(name="Item", fields=[("id", models.AutoField(primary_key=True, serialize=False)), ("name", models.CharField(max_length=20))])]
`,
  'uq/migrations/0002_item_public_id.py': `import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("uq", "0001_initial")]
    operations = [migrations.AddField(model_name="item", name="public_id", field=models.UUIDField(default=uuid.uuid4, unique=True))]
`,
  'uq/migrations/0003_item_code.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("uq", "0002_item_public_id")]
    operations = [migrations.AddField(model_name="item", name="code", field=models.CharField(default="", max_length=8, unique=True), preserve_default=False)]
`,
  'uq/migrations/0004_item_token.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("uq", "0003_item_code")]
    operations = [migrations.AddField(model_name="item", name="token", field=models.UUIDField(null=True))]
`,
  'uq/migrations/0005_fill_token.py': `import uuid

from django.db import migrations, models


def fill(apps, schema_editor):
    Item = apps.get_model("uq", "Item")
    Item.objects.bulk_update([Item(pk=pk, token=uuid.uuid4()) for pk in Item.objects.values_list("pk", flat=True)], ["token"])


class Migration(migrations.Migration):
    dependencies = [("uq", "0004_item_token")]
    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(model_name="item", name="token", field=models.UUIDField(default=uuid.uuid4, unique=True)),
    ]
`,
};

function project(): { p: DjangoProject; db: string; root: string } {
  assert.ok(pg, 'the PostgreSQL cluster did not start');
  const root = temps.make();
  for (const [path, text] of Object.entries(FILES)) writeFileIn(join(root, path), text);
  const db = pg.createDatabase();
  const p = djangoProject(root, { apps: ['uq'], database: { engine: 'postgres', cluster: pg, name: db } });
  projects.push(p);
  return { p, db, root };
}

describe('add-field-unique-default on real Django and PostgreSQL', { skip: skip ?? false }, () => {
  it('reports the two AddFields that give every row one value, and nothing else', async () => {
    const { root } = project();
    const results = await lintProject(root, { rules: { 'add-field-unique-default': 'error' } });
    const found = [...results].flatMap(([file, r]) => r.findings.filter((f) => f.rule === 'add-field-unique-default').map((f) => `${file.slice(root.length + 1)}:${f.range.start.line + 1}`));
    assert.deepEqual(found.sort(), ['uq/migrations/0002_item_public_id.py:8', 'uq/migrations/0003_item_code.py:6']);
  });

  it('those AddFields stop on a table with two rows, pass on an empty one; the documented steps pass with rows', () => {
    const withRows = project();
    manage(withRows.p, ['migrate', 'uq', '0001', '--no-input', '-v', '0']);
    pg?.sql("INSERT INTO uq_item (name) VALUES ('a'), ('b')", withRows.db);
    const failed = runScript(withRows.p, 'run_django.py', ['migrate', 'uq', '0002', '--no-input', '-v', '0']);
    assert.notEqual(failed.code, 0, 'the uuid.uuid4 default is called once');
    assert.match(failed.stderr, /could not create unique index|duplicate key/i, failed.stderr);
    // Without the unique column, the documented steps fill each row with its own value and then make it unique.
    pg?.sql('DELETE FROM uq_item', withRows.db);
    manage(withRows.p, ['migrate', 'uq', '0003', '--no-input', '-v', '0']);
    pg?.sql("INSERT INTO uq_item (name, public_id, code) VALUES ('a', gen_random_uuid(), 'x'), ('b', gen_random_uuid(), 'y')", withRows.db);
    manage(withRows.p, ['migrate', 'uq', '0005', '--no-input', '-v', '0']);
    assert.equal(pg?.sql('SELECT count(DISTINCT token) FROM uq_item', withRows.db), '2');

    const constant = project();
    manage(constant.p, ['migrate', 'uq', '0002', '--no-input', '-v', '0']);
    pg?.sql("INSERT INTO uq_item (name, public_id) VALUES ('a', gen_random_uuid()), ('b', gen_random_uuid())", constant.db);
    const again = runScript(constant.p, 'run_django.py', ['migrate', 'uq', '0003', '--no-input', '-v', '0']);
    assert.notEqual(again.code, 0, 'the constant default is every row\'s value');
    assert.match(again.stderr, /could not create unique index|duplicate key/i, again.stderr);

    const empty = project();
    manage(empty.p, ['migrate', '--no-input', '-v', '0']);
  });
});

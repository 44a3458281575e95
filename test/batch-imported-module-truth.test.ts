/**
 * Truth test of "Batch this loop" made in a module the migration imports its RunPython code from
 * (awx's `_rbac.py`, `_multi_cred.py`): the module is read with the project view of the migration
 * that runs it, so its loops get the fixes a migration's own loops get — the auto_now field save()
 * stamps, stamped and listed; a delete loop deleted per batch. The CLI's --unsafe-fixes rewrites a
 * copy of a small project, and real Django (Debian's python3-django, SQLite) migrates the original
 * and the fixed copy: the same rows, every saved row stamped, the same rows deleted.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TempDirs } from './helpers/cli';
import { loopsFixedCopy, rowsAfterMigrate } from './helpers/django';

const FILES: Record<string, string> = {
  'shop/__init__.py': '',
  'shop/migrations/__init__.py': '',
  'shop/migrations/0001_initial.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Parcel",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("label", models.CharField(max_length=20)),
                ("weight", models.IntegerField(default=0)),
                ("changed", models.DateTimeField(auto_now=True)),
            ],
        ),
    ]
`,
  'shop/migrations/0002_seed.py': `import datetime

from django.db import migrations

OLD = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def seed(apps, schema_editor):
    Parcel = apps.get_model("shop", "Parcel")
    Parcel.objects.bulk_create([Parcel(label="p%d" % i, weight=i) for i in range(30)])
    # bulk_create stamps auto_now fields; a queryset update() does not.
    Parcel.objects.update(changed=OLD)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'shop/migrations/_parcels.py': `def relabel(apps, schema_editor):
    Parcel = apps.get_model("shop", "Parcel")
    for parcel in Parcel.objects.filter(weight__lt=20).order_by("pk"):
        if parcel.weight % 2:
            continue
        parcel.label = parcel.label.upper()
        parcel.save()


def drop_heavy(apps, schema_editor):
    Parcel = apps.get_model("shop", "Parcel")
    for parcel in Parcel.objects.filter(weight__gte=25):
        parcel.delete()
`,
  'shop/migrations/0003_relabel.py': `from django.db import migrations

from shop.migrations import _parcels


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_seed")]
    operations = [
        migrations.RunPython(_parcels.relabel, migrations.RunPython.noop),
        migrations.RunPython(_parcels.drop_heavy, migrations.RunPython.noop),
    ]
`,
};

const READ_ROWS = [
  'import json',
  'from django.db import connection',
  'c = connection.cursor()',
  'c.execute("SELECT label, weight, changed FROM shop_parcel ORDER BY id")',
  'print(json.dumps([[l, w, str(t)] for l, w, t in c.fetchall()]))',
].join('\n');

describe('"Batch this loop" in a module the migration imports, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('stamps what save() stamped and deletes what delete() deleted, as the migration that runs it sees the model', () => {
    const { original, fixed, read } = loopsFixedCopy(FILES, temps);
    const text = read('shop/migrations/_parcels.py');
    assert.match(text, /parcel\._meta\.get_field\("changed"\)\.pre_save\(parcel, False\)/, text);
    assert.match(text, /bulk_update\(batch, \["label", "changed"\]\)/, text);
    assert.match(text, /Parcel\.objects\.filter\(pk__in=pks\[start : start \+ 1000\]\)\.delete\(\)/, text);
    assert.equal(read('shop/migrations/0003_relabel.py'), FILES['shop/migrations/0003_relabel.py'], 'the migration itself is left as it was');

    const rows = (root: string) => rowsAfterMigrate<Array<[string, number, string]>>(root, ['shop'], READ_ROWS);
    const before = rows(original);
    const after = rows(fixed);
    assert.equal(before.length, 25);
    assert.deepEqual(
      after.map(([label, weight]) => [label, weight]),
      before.map(([label, weight]) => [label, weight]),
    );
    for (const [which, got] of [['original', before], ['fixed', after]] as const) {
      for (const [label, weight, changed] of got) {
        const saved = weight < 20 && weight % 2 === 0;
        assert.equal(label, saved ? `P${weight}` : `p${weight}`, which);
        assert.equal(changed.startsWith('2000-01-01'), !saved, `${which}: ${label} changed at ${changed}`);
      }
    }
  });
});

/**
 * Truth test of the bulk rewrites for loops that delete while they save (wger `exercises/0011`,
 * found by a blind review): deleting an exercise's old base cascades to the exercise, and the
 * loop's own save() then writes the exercise back (its UPDATE finds no row, so it inserts). A
 * bulk_update() of the batch would update nothing, and the exercises would be gone. With the
 * project view, the rewrite is kept where no delete can reach the saved model (duplicates deleted
 * from a model with no relation to itself), and refused where one can; the refused loop is
 * committed in batches instead, which keeps each save(). The CLI's --unsafe-fixes rewrites a copy
 * of a small project, and real Django (Debian's python3-django, SQLite) migrates the original and
 * the fixed copy: the rows must be the same.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TempDirs } from './helpers/cli';
import { loopsFixedCopy, rowsAfterMigrate } from './helpers/django';

const FILES: Record<string, string> = {
  'gym/__init__.py': '',
  'gym/migrations/__init__.py': '',
  'gym/migrations/0001_initial.py': `import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Base",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
            ],
        ),
        migrations.CreateModel(
            name="Exercise",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
                ("variant", models.BooleanField(default=False)),
                ("base", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="gym.base")),
            ],
        ),
        migrations.CreateModel(
            name="Visit",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("path", models.CharField(max_length=20)),
                ("hits", models.IntegerField(default=1)),
                ("base", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, to="gym.base")),
            ],
        ),
    ]
`,
  'gym/migrations/0002_seed.py': `from django.db import migrations


def seed(apps, schema_editor):
    Base = apps.get_model("gym", "Base")
    Exercise = apps.get_model("gym", "Exercise")
    Visit = apps.get_model("gym", "Visit")
    main = Base.objects.create(name="main")
    for i in range(6):
        base = Base.objects.create(name="b%d" % i)
        Exercise.objects.create(name="e%d" % i, variant=i % 2 == 0, base=base)
    for i in range(12):
        Visit.objects.create(path="/p%d" % (i % 4), hits=i, base=main if i % 3 == 0 else None)


class Migration(migrations.Migration):
    dependencies = [("gym", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  // The exercise's old base is deleted, which cascades to the exercise; save() inserts it again.
  'gym/migrations/0003_merge_bases.py': `from django.db import migrations


def merge_bases(apps, schema_editor):
    Base = apps.get_model("gym", "Base")
    Exercise = apps.get_model("gym", "Exercise")
    main = Base.objects.get(name="main")
    for exercise in Exercise.objects.filter(variant=True).order_by("pk"):
        Base.objects.get(id=exercise.base_id).delete()
        exercise.base = main
        exercise.save()


class Migration(migrations.Migration):
    dependencies = [("gym", "0002_seed")]
    operations = [migrations.RunPython(merge_bases, migrations.RunPython.noop)]
`,
  // Duplicates of the same model deleted, the survivor saved: Visit has no relation to itself, so no delete reaches a saved row.
  'gym/migrations/0004_merge_visits.py': `from django.db import migrations


def merge_visits(apps, schema_editor):
    Visit = apps.get_model("gym", "Visit")
    for visit in Visit.objects.order_by("pk"):
        if not Visit.objects.filter(pk=visit.pk).exists():
            continue
        same = Visit.objects.filter(path=visit.path).exclude(pk=visit.pk)
        visit.hits = visit.hits + sum(other.hits for other in same)
        Visit.objects.filter(path=visit.path).exclude(pk=visit.pk).delete()
        visit.save()


class Migration(migrations.Migration):
    dependencies = [("gym", "0003_merge_bases")]
    operations = [migrations.RunPython(merge_visits, migrations.RunPython.noop)]
`,
};

const READ_ROWS = [
  'import json',
  'from django.db import connection',
  'c = connection.cursor()',
  'c.execute("SELECT e.id, e.name, b.name FROM gym_exercise e JOIN gym_base b ON b.id = e.base_id ORDER BY e.id")',
  'exercises = [list(r) for r in c.fetchall()]',
  'c.execute("SELECT id, path, hits FROM gym_visit ORDER BY id")',
  'visits = [list(r) for r in c.fetchall()]',
  'c.execute("SELECT name FROM gym_base ORDER BY id")',
  'bases = [r[0] for r in c.fetchall()]',
  'print(json.dumps({"exercises": exercises, "visits": visits, "bases": bases}))',
].join('\n');

interface Rows {
  exercises: Array<[number, string, string]>;
  visits: Array<[number, string, number]>;
  bases: string[];
}

describe('bulk rewrites of loops that delete while they save, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('keeps the rows a cascade would take from bulk_update(), and batches where none can', () => {
    const { original, fixed, read } = loopsFixedCopy(FILES, temps);
    const merged = read('gym/migrations/0003_merge_bases.py');
    assert.doesNotMatch(merged, /bulk_update/, 'the delete cascades to the exercise: no bulk_update');
    assert.match(merged, /with transaction\.atomic\(using=schema_editor\.connection\.alias\):[^]*exercise\.save\(\)/, 'committed in batches, each save() kept');
    const visits = read('gym/migrations/0004_merge_visits.py');
    assert.match(visits, /bulk_update\(batch, \["hits"\]\)/, 'no delete reaches a Visit: the template stays');

    const rows = (root: string) => rowsAfterMigrate<Rows>(root, ['gym'], READ_ROWS);
    const before = rows(original);
    // The original keeps every exercise, the variants moved to the main base (their old bases gone).
    assert.deepEqual(before.exercises.map(([, name, base]) => `${name}:${base}`), ['e0:main', 'e1:b1', 'e2:main', 'e3:b3', 'e4:main', 'e5:b5']);
    assert.equal(before.visits.length, 4);
    assert.deepEqual(rows(fixed), before);
  });
});

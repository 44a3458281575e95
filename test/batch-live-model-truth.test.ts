/**
 * Truth test of "Batch this loop" for a loop over a model imported from the project (`from
 * shop.models import Order`): when today's class, read from shop/models.py (never imported), has
 * no save(), delete() or manager of its own, the fix takes the historical model from
 * apps.get_model (runpython-model-import's fix) and batches the loop; when it has (Note.save()
 * counts), the loop stays. The CLI's --unsafe-fixes rewrites a copy of the project, and real Django
 * (Debian's python3-django, SQLite; .ci/run installs it) migrates the original and the copy to the
 * same rows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, TempDirs } from './helpers/cli';
import { projectAndCopy, rowsAfterMigrate, tableRowsScript } from './helpers/django';
import { pythonSyntaxError } from './helpers/python';

const FILES: Record<string, string> = {
  'shop/__init__.py': '',
  'shop/models.py': `from django.db import models


class Order(models.Model):
    name = models.CharField(max_length=20)
    total = models.IntegerField(default=0)

    def label(self):
        return self.name.upper()


class Note(models.Model):
    name = models.CharField(max_length=20)
    saves = models.IntegerField(default=0)

    def save(self, *args, **kwargs):
        self.saves += 1
        super().save(*args, **kwargs)
`,
  'shop/migrations/__init__.py': '',
  'shop/migrations/0001_initial.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20)), ("total", models.IntegerField(default=0))]),
        migrations.CreateModel(name="Note", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20)), ("saves", models.IntegerField(default=0))]),
    ]
`,
  'shop/migrations/0002_seed.py': `from django.db import migrations


def seed(apps, schema_editor):
    for model in ("Order", "Note"):
        Model = apps.get_model("shop", model)
        Model.objects.bulk_create([Model(name="%s%d" % (model[0].lower(), i)) for i in range(30)])


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'shop/migrations/0003_loops.py': `from django.db import migrations

from shop.models import Note, Order


def totals(apps, schema_editor):
    for order in Order.objects.filter(pk__gt=5):
        order.total = len(order.name) * order.pk
        order.save()


def notes(apps, schema_editor):
    for note in Note.objects.all():
        note.name = note.name.upper()
        note.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_seed")]
    operations = [
        migrations.RunPython(totals, migrations.RunPython.noop),
        migrations.RunPython(notes, migrations.RunPython.noop),
    ]
`,
};

const READ_ROWS = tableRowsScript(["shop_order", "shop_note"]);

describe('"Batch this loop" over a model imported from the project, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('takes the historical model and batches when today\'s class has no save() of its own, to the same rows; keeps the loop when it has', () => {
    const { original, fixed } = projectAndCopy(FILES, temps);
    // A plain run says what the fix run does: the file is linted again with the project view, which reads the classes.
    const plain = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], original);
    const messages = (JSON.parse(plain.stdout) as Array<{ line: number; message: string }>).map((f) => `${f.line}: ${f.message}`);
    assert.equal(messages.length, 2, plain.stdout);
    assert.doesNotMatch(messages[0] ?? '', /No (?:bulk )?rewrite/);
    // Committing Note's loop in batches would take the other RunPython's writes out of the migration's transaction too.
    assert.match(messages[1] ?? '', /No rewrite is offered: the loop uses Note, imported from shop\.models: today's model, which defines Note\.save\(\).*; nor is committing it in batches: the migration does other work/);
    const run = runCli(['check', '--fix', '--unsafe-fixes', '--select', 'unbatched-save-loop', '.'], fixed);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /No rewrite is offered: the loop uses Note, imported from shop\.models: today's model, which defines Note\.save\(\)/);
    const text = readFileSync(join(fixed, 'shop/migrations/0003_loops.py'), 'utf8');
    assert.equal(pythonSyntaxError(text), null, text);
    assert.match(text, /^from shop\.models import Note\n/m, 'Note is still imported: its loop stays');
    assert.match(text, /def totals\(apps, schema_editor\):\n {4}Order = apps\.get_model\("shop", "Order"\)\n/);
    assert.match(text, /Order\.objects\.filter\(pk__gt=5\)\.update\(|bulk_update\(/);
    assert.match(text, /for note in Note\.objects\.all\(\):\n {8}note\.name = note\.name\.upper\(\)\n {8}note\.save\(\)\n/);

    const rows = (root: string) => rowsAfterMigrate<Record<string, unknown[][]>>(root, ['shop'], READ_ROWS);
    const before = rows(original);
    assert.deepEqual(rows(fixed), before);
    // What the loops did, so equal rows are not equal by doing nothing.
    assert.deepEqual(before.shop_order?.[5], [6, 'o5', 12]);
    assert.deepEqual(before.shop_note?.[0], [1, 'N0', 1]);
  });
});

/**
 * Truth test of "Batch this loop" for models whose migrations give them a mixin
 * (`bases=(shop.mixins.Described, models.Model)`): the historical model inherits the mixin, so a
 * save() or delete() it defines runs for each row of the loop and bulk writes would skip it. The
 * mixin's module is read from the project (never imported): a mixin that takes no part in the
 * loop's writes gets the template, one that does is refused. The CLI's --unsafe-fixes rewrites a
 * copy of a small project, and real Django (Debian's python3-django, SQLite) migrates the original
 * and the fixed copy to the same rows (like split-django.test.ts, it needs Debian's Django, which
 * .ci/run installs). With them, a field save() computes: `token.save(update_fields=["checksum"])`
 * on a field class whose pre_save fills it in (django-oauth-toolkit's TokenChecksumField, ephios
 * `api/0005`), which the batch must compute too.
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
  // Described and Tidy take no part in save(); Counted's save() counts; Tidy.delete() keeps the row.
  'shop/mixins.py': `class Described:
    def describe(self):
        return "%s #%s" % (self.name, self.pk)


class Counted(object):
    def save(self, *args, **kwargs):
        self.saves += 1
        super().save(*args, **kwargs)


class Tidy:
    def delete(self, *args, **kwargs):
        self.name = "deleted"
        super().save()
`,
  'shop/fields.py': `import hashlib

from django.db import models


class ChecksumField(models.CharField):
    def pre_save(self, model_instance, add):
        value = hashlib.sha256(model_instance.name.encode()).hexdigest()
        setattr(model_instance, self.attname, value)
        return value
`,
  'shop/migrations/__init__.py': '',
  'shop/migrations/0001_initial.py': `import shop.fields
import shop.mixins
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Course",
            fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))],
            bases=(shop.mixins.Described, models.Model),
        ),
        migrations.CreateModel(
            name="Note",
            fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20)), ("saves", models.IntegerField(default=0))],
            bases=(shop.mixins.Counted, models.Model),
        ),
        migrations.CreateModel(
            name="Tag",
            fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))],
            bases=(shop.mixins.Tidy, models.Model),
        ),
        migrations.CreateModel(
            name="Token",
            fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20)), ("checksum", shop.fields.ChecksumField(default="", max_length=64))],
        ),
    ]
`,
  'shop/migrations/0002_seed.py': `from django.db import migrations


def seed(apps, schema_editor):
    for model in ("Course", "Note", "Tag", "Token"):
        Model = apps.get_model("shop", model)
        Model.objects.bulk_create([Model(name="%s%d" % (model[0].lower(), i)) for i in range(30)])


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'shop/migrations/0003_loops.py': `from django.db import migrations


def rename(apps, schema_editor):
    Course = apps.get_model("shop", "Course")
    Note = apps.get_model("shop", "Note")
    Tag = apps.get_model("shop", "Tag")
    for course in Course.objects.order_by("pk"):
        course.name = course.describe().upper()
        course.save()
    for note in Note.objects.order_by("pk"):
        note.name = note.name.upper()
        note.save()
    for tag in Tag.objects.order_by("pk"):
        tag.name = tag.name.upper()
        tag.save()


def checksums(apps, schema_editor):
    Token = apps.get_model("shop", "Token")
    for token in Token.objects.all():
        token.save(update_fields=["checksum"])


def purge(apps, schema_editor):
    Tag = apps.get_model("shop", "Tag")
    for tag in Tag.objects.filter(pk__lte=10):
        tag.delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_seed")]
    operations = [
        migrations.RunPython(rename, migrations.RunPython.noop),
        migrations.RunPython(checksums, migrations.RunPython.noop),
        migrations.RunPython(purge, migrations.RunPython.noop),
    ]
`,
};

const READ_ROWS = tableRowsScript(["shop_course", "shop_note", "shop_tag", "shop_token"]);

describe('"Batch this loop" and the mixins migrations give models, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('batches the loops whose mixin takes no part in their writes, to the same rows, and refuses the others', () => {
    const { original, fixed } = projectAndCopy(FILES, temps);
    const plain = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], original);
    const messages = (JSON.parse(plain.stdout) as Array<{ line: number; message: string }>).map((f) => `${f.line}: ${f.message}`);
    assert.equal(messages.length, 5, plain.stdout);
    assert.doesNotMatch(messages[0] ?? '', /No (?:bulk )?rewrite/, 'Described defines no save()');
    // Nor are they committed in batches: the migration's other RunPython operations write too.
    assert.match(messages[1] ?? '', /No rewrite is offered: Note's migrations give it the base class shop\.mixins\.Counted, and it defines Counted\.save\(\), which the historical model runs and bulk writes would skip; nor is committing it in batches: the migration does other work/);
    assert.doesNotMatch(messages[2] ?? '', /No (?:bulk )?rewrite/, 'Tidy defines delete(), and this loop saves');
    assert.doesNotMatch(messages[3] ?? '', /No (?:bulk )?rewrite/, 'a field save() computes is computed by the batch');
    assert.match(messages[4] ?? '', /No rewrite is offered: Tag's migrations give it the base class shop\.mixins\.Tidy, and it defines Tidy\.delete\(\)/);

    const run = runCli(['check', '--fix', '--unsafe-fixes', '--select', 'unbatched-save-loop', '.'], fixed);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const text = readFileSync(join(fixed, 'shop/migrations/0003_loops.py'), 'utf8');
    assert.equal(pythonSyntaxError(text), null, text);
    assert.match(text, /Course\.objects\.bulk_update\(batch, \["name"\]\)/);
    assert.match(text, /Tag\.objects\.bulk_update\(batch\w*, \["name"\]\)/);
    assert.match(text, /for note in Note\.objects\.order_by\("pk"\):\n {8}note\.name = note\.name\.upper\(\)\n {8}note\.save\(\)\n/, 'Counted.save() runs per row: the loop stays');
    assert.match(text, /for tag in Tag\.objects\.filter\(pk__lte=10\):\n {8}tag\.delete\(\)\n/, 'Tidy.delete() runs per row: the loop stays');
    assert.match(text, /setattr\(token, token\._meta\.get_field\("checksum"\)\.attname, token\._meta\.get_field\("checksum"\)\.pre_save\(token, False\)\)/);

    const rows = (root: string) => rowsAfterMigrate<Record<string, unknown[][]>>(root, ['shop'], READ_ROWS);
    const before = rows(original);
    assert.deepEqual(rows(fixed), before);
    // What the loops did, so equal rows are not equal by doing nothing.
    assert.deepEqual(before.shop_course?.[0], [1, 'C0 #1']);
    assert.deepEqual(before.shop_note?.[0], [1, 'N0', 1]);
    assert.deepEqual(before.shop_tag?.slice(9, 11), [[10, 'deleted'], [11, 'T10']]);
    assert.match(String(before.shop_token?.[0]?.[2]), /^[0-9a-f]{64}$/);
  });
});

/**
 * Truth test of "Batch this loop" for a loop whose rows are of several models (`itertools.chain` of
 * two querysets; a polymorphic queryset of live models is the same, blind review 22's bluebottle
 * `pages/0019`): the model cannot be named, and a bulk_update() through the first row's model would
 * write the other model's values into its own rows of the same keys. The batch is written model by
 * model. The CLI's --unsafe-fixes rewrites a copy of a small project, and real Django (Debian's
 * python3-django, SQLite) migrates the original and the fixed copy: the same rows in both.
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
        migrations.CreateModel("Page", [("id", models.AutoField(primary_key=True)), ("title", models.CharField(max_length=20))]),
        migrations.CreateModel("Post", [("id", models.AutoField(primary_key=True)), ("title", models.CharField(max_length=20))]),
    ]
`,
  'shop/migrations/0002_seed.py': `from django.db import migrations


def seed(apps, schema_editor):
    Page = apps.get_model("shop", "Page")
    Post = apps.get_model("shop", "Post")
    # The same keys in both tables.
    Page.objects.bulk_create([Page(pk=i, title="page %d" % i) for i in range(1, 31)])
    Post.objects.bulk_create([Post(pk=i, title="post %d" % i) for i in range(1, 31)])


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'shop/migrations/0003_titles.py': `import itertools

from django.db import migrations


def shout(apps, schema_editor):
    Page = apps.get_model("shop", "Page")
    Post = apps.get_model("shop", "Post")
    for obj in itertools.chain(Page.objects.order_by("pk"), Post.objects.order_by("pk")):
        obj.title = obj.title.upper()
        obj.save()


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("shop", "0002_seed")]
    operations = [migrations.RunPython(shout, migrations.RunPython.noop)]
`,
};

const READ_ROWS = [
  'import json',
  'from django.db import connection',
  'c = connection.cursor()',
  'c.execute("SELECT id, title FROM shop_page ORDER BY id")',
  'pages = c.fetchall()',
  'c.execute("SELECT id, title FROM shop_post ORDER BY id")',
  'print(json.dumps({"pages": pages, "posts": c.fetchall()}))',
].join('\n');

describe('"Batch this loop" over rows of several models, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('writes each model its own rows, as the saves did', () => {
    const { original, fixed, read } = loopsFixedCopy(FILES, temps, 'shop/migrations/0003_titles.py');
    const text = read('shop/migrations/0003_titles.py');
    assert.match(text, /bulk_update\(/, text);
    type Rows = { pages: Array<[number, string]>; posts: Array<[number, string]> };
    const before = rowsAfterMigrate<Rows>(original, ['shop'], READ_ROWS);
    assert.equal(before.pages.length, 30);
    assert.ok(before.pages.every(([i, t]) => t === `PAGE ${i}`) && before.posts.every(([i, t]) => t === `POST ${i}`), JSON.stringify(before));
    assert.deepEqual(rowsAfterMigrate<Rows>(fixed, ['shop'], READ_ROWS), before);
  });
});

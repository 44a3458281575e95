/**
 * "Batch this loop" for `row.field.set(values)` (a many-to-many field whose join table Django made):
 * per batch, the batch's rows' links are deleted and the given ones inserted. The CLI's --unsafe-fixes
 * rewrites a copy of a small project, and real Django (Debian's python3-django, SQLite) migrates the
 * original and the fixed copy: the links must be the same — links set() keeps, drops and adds, a key
 * given twice, an empty list. A set() with keywords (`clear=True`) is left as written.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TempDirs } from './helpers/cli';
import { loopsFixedCopy, rowsAfterMigrate } from './helpers/django';

const FILES: Record<string, string> = {
  'blog/__init__.py': '',
  'blog/migrations/__init__.py': '',
  'blog/migrations/0001_initial.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Person", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))]),
        migrations.CreateModel(
            name="Post",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("title", models.CharField(max_length=20)),
                ("authors", models.ManyToManyField(related_name="posts", to="blog.person")),
                ("readers", models.ManyToManyField(related_name="read", to="blog.person")),
            ],
        ),
    ]
`,
  'blog/migrations/0002_seed.py': `from django.db import migrations


def seed(apps, schema_editor):
    Person = apps.get_model("blog", "Person")
    Post = apps.get_model("blog", "Post")
    people = [Person.objects.create(name="p%d" % i) for i in range(5)]
    for i in range(7):
        post = Post.objects.create(title="t%d" % i)
        post.authors.add(*people[i % 3 : i % 3 + 2])
        post.readers.add(people[i % 5])


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'blog/migrations/0003_reset_authors.py': `from django.db import migrations


def reset_authors(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    Person = apps.get_model("blog", "Person")
    people = list(Person.objects.order_by("pk"))
    for post in Post.objects.order_by("pk"):
        if post.pk % 3 == 0:
            chosen = []
        else:
            chosen = [people[post.pk % 5], people[(post.pk + 1) % 5], people[post.pk % 5]]
        post.authors.set(chosen)


def reset_readers(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    for post in Post.objects.order_by("pk"):
        post.readers.set([], clear=True)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("blog", "0002_seed")]
    operations = [
        migrations.RunPython(reset_authors, migrations.RunPython.noop),
        migrations.RunPython(reset_readers, migrations.RunPython.noop),
    ]
`,
  // Two fields of one model set in turn (review 56: seed 0213 moved labels to and_labels, or_labels or
  // exclude_labels by a flag, and the batches went into one join table).
  'blog/migrations/0004_split_by_parity.py': `from django.db import migrations


def split(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    Person = apps.get_model("blog", "Person")
    people = list(Person.objects.order_by("pk"))
    for post in Post.objects.order_by("pk"):
        if post.pk % 2 == 0:
            post.authors.set(people[:2])
        else:
            post.readers.set(people[2:4])


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("blog", "0003_reset_authors")]
    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
`,
};

const READ_ROWS = [
  'import json',
  'from django.db import connection',
  'c = connection.cursor()',
  'c.execute("SELECT post_id, person_id FROM blog_post_authors ORDER BY post_id, person_id")',
  'authors = [list(r) for r in c.fetchall()]',
  'c.execute("SELECT post_id, person_id FROM blog_post_readers ORDER BY post_id, person_id")',
  'readers = [list(r) for r in c.fetchall()]',
  'print(json.dumps({"authors": authors, "readers": readers}))',
].join('\n');

describe('"Batch this loop" for set() of a many-to-many field, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('replaces the links a batch at a time, and the links are the ones set() leaves', () => {
    const { original, fixed, read } = loopsFixedCopy(FILES, temps);
    const text = read('blog/migrations/0003_reset_authors.py');
    assert.match(text, /PostAuthors = Post\.authors\.through\n/, text);
    assert.match(text, /PostAuthors\.objects\.filter\(post_id__in=\[\w+ for \w+, _ in links\]\)\.delete\(\)/, text);
    assert.match(text, /PostAuthors\.objects\.bulk_create\(\[PostAuthors\(post_id=\w+, person_id=\w+\) for \w+, \w+ in links for \w+ in \w+\], ignore_conflicts=True\)/, text);
    assert.doesNotMatch(text, /post\.authors\.set\(/, text);
    // clear=True is kept as written (the loop is committed in batches instead, or left).
    assert.match(text, /post\.readers\.set\(\[\], clear=True\)/, text);
    const split = read('blog/migrations/0004_split_by_parity.py');
    assert.match(split, /PostAuthors\.objects\.bulk_create\(\[PostAuthors\(/, split);
    assert.match(split, /PostReaders\.objects\.bulk_create\(\[PostReaders\(/, split);
    const rows = (root: string) => rowsAfterMigrate<{ authors: number[][]; readers: number[][] }>(root, ['blog'], READ_ROWS);
    const before = rows(original);
    assert.ok(before.authors.length > 0 && before.authors.some(([post]) => post === 1), JSON.stringify(before));
    assert.ok(before.readers.length > 0 && before.readers.every(([post]) => (post as number) % 2 === 1), JSON.stringify(before));
    assert.deepEqual(rows(fixed), before);
  });
});

/**
 * "Drop post.save()" (review 20: zds `tutorialv2/0009`, where the bulk template wrote
 * `bulk_update(rows, [])`, which raises): a loop whose save() of its own row changes no field of it
 * (its real work is a many-to-many add) writes back only what it read, and dropping the save()
 * (then batching the add()s as rows of the join table) changes no data — when the project view says
 * save() gives no field a value of its own. A model with an auto_now field keeps its save(): that
 * stamp is data. The CLI's --unsafe-fixes rewrites a
 * copy of a small project, and real Django (Debian's python3-django, SQLite) migrates the original
 * and the fixed copy: the rows must be the same.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TempDirs } from './helpers/cli';
import { loopsFixedCopy, rowsAfterMigrate } from './helpers/django';
import { pythonSyntaxError } from './helpers/python';

const LINK_AUTHORS = `from django.db import migrations


def link_authors(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    Person = apps.get_model("blog", "Person")
    for post in Post.objects.filter(writer__isnull=False).order_by("pk"):
        # The writer becomes one of the authors.
        post.authors.add(Person.objects.get(pk=post.writer_id))
        post.save()


class Migration(migrations.Migration):
    dependencies = [("blog", "0002_seed")]
    operations = [migrations.RunPython(link_authors, migrations.RunPython.noop)]
`;

const FILES: Record<string, string> = {
  'blog/__init__.py': '',
  'blog/migrations/__init__.py': '',
  'blog/migrations/0001_initial.py': `import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Person",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
            ],
        ),
        migrations.CreateModel(
            name="Post",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("title", models.CharField(max_length=20)),
                ("writer", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to="blog.person")),
                ("authors", models.ManyToManyField(related_name="posts", to="blog.person")),
            ],
        ),
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("text", models.CharField(max_length=20)),
                ("updated", models.DateTimeField(auto_now=True)),
                ("readers", models.ManyToManyField(related_name="notes", to="blog.person")),
            ],
        ),
    ]
`,
  'blog/migrations/0002_seed.py': `from django.db import migrations


def seed(apps, schema_editor):
    Person = apps.get_model("blog", "Person")
    Post = apps.get_model("blog", "Post")
    Note = apps.get_model("blog", "Note")
    people = [Person.objects.create(name="p%d" % i) for i in range(3)]
    for i in range(6):
        Post.objects.create(title="t%d" % i, writer=people[i % 3] if i % 2 == 0 else None)
        Note.objects.create(text="n%d" % i)


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'blog/migrations/0003_link_authors.py': LINK_AUTHORS,
  // save() stamps 'updated' (auto_now): it writes a value the loop did not set, so it stays.
  'blog/migrations/0004_share_notes.py': `from django.db import migrations


def share_notes(apps, schema_editor):
    Note = apps.get_model("blog", "Note")
    Person = apps.get_model("blog", "Person")
    first = Person.objects.order_by("pk").first()
    for note in Note.objects.order_by("pk"):
        note.readers.add(first)
        note.save()


class Migration(migrations.Migration):
    dependencies = [("blog", "0003_link_authors")]
    operations = [migrations.RunPython(share_notes, migrations.RunPython.noop)]
`,
};

const READ_ROWS = [
  'import json',
  'from django.db import connection',
  'c = connection.cursor()',
  'c.execute("SELECT id, title, writer_id FROM blog_post ORDER BY id")',
  'posts = [list(r) for r in c.fetchall()]',
  'c.execute("SELECT post_id, person_id FROM blog_post_authors ORDER BY post_id, person_id")',
  'authors = [list(r) for r in c.fetchall()]',
  'c.execute("SELECT note_id, person_id FROM blog_note_readers ORDER BY note_id, person_id")',
  'readers = [list(r) for r in c.fetchall()]',
  'print(json.dumps({"posts": posts, "authors": authors, "readers": readers}))',
].join('\n');

interface Rows {
  posts: Array<[number, string, number | null]>;
  authors: Array<[number, number]>;
  readers: Array<[number, number]>;
}

describe('"Drop this save()" for a row the loop changes no field of, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('drops a save() that writes back only what it read, keeps one that stamps auto_now, and the rows stay the same', () => {
    const { original, fixed } = loopsFixedCopy(FILES, temps);
    const linked = readFileSync(join(fixed, 'blog/migrations/0003_link_authors.py'), 'utf8');
    // The save() goes; the links the loop adds are then built as rows of the join table, inserted in batches.
    assert.doesNotMatch(linked, /post\.save\(\)|post\.authors\.add\(/, linked);
    assert.match(linked, /PostAuthors = Post\.authors\.through\n/, linked);
    assert.match(linked, /links\.append\(PostAuthors\(post_id=post\.pk, person_id=Person\.objects\.get\(pk=post\.writer_id\)\.pk\)\)/, linked);
    assert.match(linked, /PostAuthors\.objects\.bulk_create\(links, ignore_conflicts=True\)/, linked);
    assert.equal(pythonSyntaxError(linked), null, linked);
    const shared = readFileSync(join(fixed, 'blog/migrations/0004_share_notes.py'), 'utf8');
    // auto_now: save() writes the stamp, so the save is not dropped; the batch stamps and writes it.
    assert.match(shared, /pre_save\(note, False\)[^]*bulk_update\(batch, \["updated"\]\)/, shared);
    assert.doesNotMatch(shared, /bulk_update\(\w+, \[\]\)|fields = \[\]/, 'never an empty field list');

    const rows = (root: string) => rowsAfterMigrate<Rows>(root, ['blog'], READ_ROWS);
    const before = rows(original);
    assert.deepEqual(before.authors, [[1, 1], [3, 3], [5, 2]], 'the writers became authors');
    assert.equal(before.readers.length, 6);
    assert.deepEqual(rows(fixed), before);
  });
});

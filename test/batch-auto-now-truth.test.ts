/**
 * Truth test of "Batch this loop" for models with auto_now fields (EvaP's `Course.last_modified_time`,
 * found by a blind review): save() stamps such a field with the time, bulk_update writes only the
 * fields it is given. With the project view the template stamps the field as save() did
 * (`field.pre_save(row, False)`) and lists it; a save(update_fields=[…]) that leaves the field out
 * did not stamp it, and the batched loop does not either. The CLI's --unsafe-fixes rewrites a copy
 * of a small project, and real Django (Debian's python3-django, SQLite) migrates the original and
 * the fixed copy: in both, every row the first loop saved has a new time, and no row the second
 * loop saved has (like split-django.test.ts, it needs Debian's Django, which .ci/run installs).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TempDirs } from './helpers/cli';
import { loopsFixedCopy, rowsAfterMigrate } from './helpers/django';
import { skipReason } from './helpers/skip';

const FILES: Record<string, string> = {
  'shop/__init__.py': '',
  'shop/migrations/__init__.py': '',
  'shop/migrations/0001_initial.py': `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Course",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
                ("modified", models.DateTimeField(auto_now=True)),
                ("day", models.DateField(auto_now=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("label", models.CharField(max_length=20)),
                ("touched", models.DateTimeField(auto_now=True)),
            ],
        ),
    ]
`,
  'shop/migrations/0002_seed.py': `import datetime

from django.db import migrations

OLD = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def seed(apps, schema_editor):
    Course = apps.get_model("shop", "Course")
    Tag = apps.get_model("shop", "Tag")
    Course.objects.bulk_create([Course(name="c%d" % i) for i in range(40)])
    Tag.objects.bulk_create([Tag(label="t%d" % i) for i in range(40)])
    # bulk_create stamps auto_now fields too; a queryset update() does not.
    Course.objects.update(modified=OLD, day=OLD.date())
    Tag.objects.update(touched=OLD)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
  'shop/migrations/0003_touch.py': `from django.db import migrations


def rename_courses(apps, schema_editor):
    Course = apps.get_model("shop", "Course")
    for course in Course.objects.order_by("pk"):
        course.name = course.name.upper()
        course.save()


def rename_tags(apps, schema_editor):
    Tag = apps.get_model("shop", "Tag")
    for tag in Tag.objects.order_by("pk"):
        tag.label = tag.label.upper()
        tag.save(update_fields=["label"])


def mark_tags(apps, schema_editor):
    Course = apps.get_model("shop", "Course")
    Tag = apps.get_model("shop", "Tag")
    for course in Course.objects.filter(pk__lte=2).order_by("pk"):
        tags = Tag.objects.filter(pk__lte=5).order_by("pk")
        for tag in tags:
            tag.label = tag.label + "!"
            tag.save()


def shout_tags(apps, schema_editor):
    Tag = apps.get_model("shop", "Tag")
    # Loaded with only(): save() writes the loaded fields and the ones set, and stamps nothing left out.
    tags = Tag.objects.only("label").filter(pk__gt=35)
    for tag in tags:
        tag.label = tag.label + "?"
        tag.save()


def tag_courses(apps, schema_editor):
    Course = apps.get_model("shop", "Course")
    Tag = apps.get_model("shop", "Tag")
    for course in Course.objects.filter(pk__gt=30).order_by("pk"):
        tag = Tag.objects.create(label="for %s" % course.name)
        # (The tag's label, not its key: Django 3.2 on SQLite gives bulk_create's rows no keys.)
        course.name = "%s/%s" % (course.name, len(tag.label))
        course.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_seed")]
    operations = [
        migrations.RunPython(rename_courses, migrations.RunPython.noop),
        migrations.RunPython(rename_tags, migrations.RunPython.noop),
        migrations.RunPython(mark_tags, migrations.RunPython.noop),
        migrations.RunPython(shout_tags, migrations.RunPython.noop),
        migrations.RunPython(tag_courses, migrations.RunPython.noop),
    ]
`,
};

const READ_ROWS = [
  'import json',
  'from django.db import connection',
  'c = connection.cursor()',
  'c.execute("SELECT name, modified, day FROM shop_course ORDER BY id")',
  'courses = [[n, str(m), str(d)] for n, m, d in c.fetchall()]',
  'c.execute("SELECT label, touched FROM shop_tag ORDER BY id")',
  'tags = [[l, str(t)] for l, t in c.fetchall()]',
  'print(json.dumps({"courses": courses, "tags": tags}))',
].join('\n');

interface Rows {
  courses: Array<[string, string, string]>;
  tags: Array<[string, string]>;
}

describe('"Batch this loop" and auto_now fields, on Django', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('stamps the fields save() stamped, and only those, as save() did', () => {
    const { original, fixed, read } = loopsFixedCopy(FILES, temps);
    const text = read('shop/migrations/0003_touch.py');
    assert.match(text, /course\._meta\.get_field\("modified"\)\.pre_save\(course, False\)/);
    assert.match(text, /course\._meta\.get_field\("day"\)\.pre_save\(course, False\)/);
    assert.match(text, /bulk_update\(batch, \["name", "modified", "day"\]\)/);
    assert.doesNotMatch(text.slice(text.indexOf('def rename_tags'), text.indexOf('def mark_tags')), /get_field\("touched"\)/, 'save(update_fields=["label"]) stamped nothing');
    assert.match(text, /bulk_update\(batch(_\d)?, \["label"\]\)/);
    // A loop over a name an outer loop binds to a query (`tags = Tag.objects.filter(…)`, DefectDojo `0131`): its model is known too.
    assert.match(text, /tag\._meta\.get_field\("touched"\)\.pre_save\(tag, False\)/);
    assert.match(text, /bulk_update\(batch(_\w+)?, \["label", "touched"\]\)/);
    // Rows loaded with only("label") (lookit-api `studies/0080`, review 45): save() did not stamp `touched`, nor does the batch.
    const shout = text.slice(text.indexOf('def shout_tags'), text.indexOf('def tag_courses'));
    assert.doesNotMatch(shout, /get_field\("touched"\)/);
    assert.match(shout, /bulk_update\(batch(_\w+)?, \["label"\]\)/);
    // A loop split where its create stands, whose rest saves the row: the split stamps it before that save.
    assert.match(text, /def flush_rows\(\w+\):[^]*course\.modified = course\._meta\.get_field\("modified"\)\.pre_save\(course, False\)[^]*course\.day = course\._meta\.get_field\("day"\)\.pre_save\(course, False\)/);

    const rows = (root: string) => rowsAfterMigrate<Rows>(root, ['shop'], READ_ROWS);
    for (const [which, got] of [['original', rows(original)], ['fixed', rows(fixed)]] as const) {
      assert.equal(got.courses.length, 40, which);
      for (const [name, modified, day] of got.courses) {
        assert.match(name, /^C\d+(\/\d+)?$/, which);
        assert.ok(!modified.startsWith('2000-'), `${which}: ${name} keeps the old time ${modified}`);
        assert.ok(!day.startsWith('2000-'), `${which}: ${name} keeps the old day ${day}`);
      }
      for (const [label, touched] of got.tags) {
        assert.match(label, /^T\d+(!!|\?)?$|^for C\d+$/, which);
        // mark_tags saved the first five (twice), tag_courses created some: stamped; rename_tags' save(update_fields=["label"]) stamped none.
        if (label.endsWith('!!') || label.startsWith('for ')) assert.ok(!touched.startsWith('2000-'), `${which}: ${label} keeps the old time ${touched}`);
        else assert.ok(touched.startsWith('2000-01-01'), `${which}: ${label} was stamped ${touched}`);
      }
      assert.equal(got.tags.filter(([label]) => label.endsWith('!!')).length, 5, which);
      assert.equal(got.tags.filter(([label]) => label.endsWith('?')).length, 5, which);
      assert.equal(got.courses.filter(([name]) => name.includes('/')).length, 10, which);
      // tag_courses saved its courses after rename_courses saved them all: stamped later than the others.
      const latest = (rows: Array<[string, string, string]>) => rows.map(([, m]) => m).sort();
      const renamed = latest(got.courses.filter(([name]) => name.includes('/')));
      const others = latest(got.courses.filter(([name]) => !name.includes('/')));
      assert.ok((others[others.length - 1] ?? '') < (renamed[0] ?? ''), `${which}: tag_courses stamped ${renamed[0]}, not after ${others[others.length - 1]}`);
    }
  });

  // django-model-utils' field stamps on every save() without auto_now (TimeStampedModel's `modified`): the
  // template stamps it through its own pre_save() as it does auto_now fields (edx-enterprise, second blind review).
  const noModelUtils = skipReason(existsSync('/usr/lib/python3/dist-packages/model_utils/__init__.py') ? null : "Debian's python3-django-model-utils is not installed");
  it('stamps django-model-utils\' AutoLastModifiedField as save() did', { skip: noModelUtils ?? false }, () => {
    const files: Record<string, string> = {
      'shop/__init__.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0001_initial.py': `import django.utils.timezone
import model_utils.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Page",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("title", models.CharField(max_length=20)),
                ("modified", model_utils.fields.AutoLastModifiedField(default=django.utils.timezone.now, editable=False, verbose_name="modified")),
            ],
        ),
    ]
`,
      'shop/migrations/0002_seed.py': `import datetime

from django.db import migrations

OLD = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def seed(apps, schema_editor):
    Page = apps.get_model("shop", "Page")
    Page.objects.bulk_create([Page(title="p%d" % i) for i in range(30)])
    Page.objects.update(modified=OLD)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
      'shop/migrations/0003_titles.py': `from django.db import migrations


def upper_titles(apps, schema_editor):
    Page = apps.get_model("shop", "Page")
    for page in Page.objects.filter(pk__lte=20).order_by("pk"):
        page.title = page.title.upper()
        page.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_seed")]
    operations = [migrations.RunPython(upper_titles, migrations.RunPython.noop)]
`,
    };
    const { original, fixed } = loopsFixedCopy(files, temps);
    const text = readFileSync(join(fixed, 'shop/migrations/0003_titles.py'), 'utf8');
    assert.match(text, /page\._meta\.get_field\("modified"\)\.pre_save\(page, False\)/, text);
    assert.match(text, /bulk_update\(batch, \["title", "modified"\]\)/, text);
    const script = ['import json', 'from django.db import connection', 'c = connection.cursor()', 'c.execute("SELECT title, modified FROM shop_page ORDER BY id")', 'print(json.dumps([[t, str(m)] for t, m in c.fetchall()]))'].join('\n');
    for (const root of [original, fixed]) {
      const rows = rowsAfterMigrate<Array<[string, string]>>(root, ['shop', 'model_utils'], script);
      assert.equal(rows.length, 30);
      for (const [title, modified] of rows) {
        // The 20 pages saved get a new time; the other 10 keep the seed's.
        if (title === title.toUpperCase()) assert.ok(!modified.startsWith('2000-'), `${root === fixed ? 'fixed' : 'original'}: ${title} keeps the old time ${modified}`);
        else assert.ok(modified.startsWith('2000-01-01'), `${title} was stamped ${modified}`);
      }
      assert.equal(rows.filter(([t]) => t === t.toUpperCase()).length, 20);
    }
  });
  // save() of a child of multi-table inheritance saves its parent's row too, stamping the parent's
  // auto_now field; bulk_update() writes a parent's field only when it is listed (bluebottle's
  // `updated` on activities.contribution, blind review 22).
  it("stamps a multi-table parent's auto_now field as the child's save() did", () => {
    const files: Record<string, string> = {
      'shop/__init__.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0001_initial.py': `import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="Post",
            fields=[
                ("entry_ptr", models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to="shop.entry")),
                ("title", models.CharField(max_length=20)),
            ],
            bases=("shop.entry",),
        ),
    ]
`,
      'shop/migrations/0002_seed.py': `import datetime

from django.db import migrations

OLD = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def seed(apps, schema_editor):
    Post = apps.get_model("shop", "Post")
    Entry = apps.get_model("shop", "Entry")
    for i in range(30):
        Post.objects.create(title="p%d" % i)
    Entry.objects.update(updated=OLD)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
`,
      'shop/migrations/0003_titles.py': `from django.db import migrations


def upper_titles(apps, schema_editor):
    Post = apps.get_model("shop", "Post")
    for post in Post.objects.filter(pk__lte=20).order_by("pk"):
        post.title = post.title.upper()
        post.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_seed")]
    operations = [migrations.RunPython(upper_titles, migrations.RunPython.noop)]
`,
    };
    const { original, fixed, read } = loopsFixedCopy(files, temps, 'shop/migrations/0003_titles.py');
    const text = read('shop/migrations/0003_titles.py');
    assert.match(text, /post\._meta\.get_field\("updated"\)\.pre_save\(post, False\)/, text);
    assert.match(text, /bulk_update\(batch, \["title", "updated"\]\)/, text);
    const script = ['import json', 'from django.db import connection', 'c = connection.cursor()', 'c.execute("SELECT p.title, e.updated FROM shop_post p JOIN shop_entry e ON e.id = p.entry_ptr_id ORDER BY e.id")', 'print(json.dumps([[t, str(u)] for t, u in c.fetchall()]))'].join('\n');
    for (const root of [original, fixed]) {
      const which = root === fixed ? 'fixed' : 'original';
      const rows = rowsAfterMigrate<Array<[string, string]>>(root, ['shop'], script);
      assert.equal(rows.length, 30, which);
      for (const [title, updated] of rows) {
        if (title === title.toUpperCase()) assert.ok(!updated.startsWith('2000-'), `${which}: ${title} keeps the old time ${updated}`);
        else assert.ok(updated.startsWith('2000-01-01'), `${which}: ${title} was stamped ${updated}`);
      }
      assert.equal(rows.filter(([t]) => t === t.toUpperCase()).length, 20, which);
    }
  });
});

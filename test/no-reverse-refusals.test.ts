/**
 * runpython-no-reverse offers no reverse that does nothing where one would hurt (review 25): the
 * authors explain at the operation why it has no reverse, or the code inserts rows that migrating
 * forward again after such a rollback would insert a second time.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TempDirs, writeFileIn } from './helpers/cli';
import { applyEdits } from './helpers/apply-edits';
import { lint, lintProject } from './helpers/lint';

const temps = new TempDirs();
after(() => temps.removeAll());
import { pythonSyntaxError } from './helpers/python';

const migration = (body: string, opts: { above?: string; ops?: string } = {}) => `from django.db import migrations, models


def forwards(apps, schema_editor):
    Tag = apps.get_model("blog", "Tag")
    Post = apps.get_model("blog", "Post")
${body}


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [
${opts.ops ?? ''}${opts.above ?? ''}        migrations.RunPython(forwards),
    ]
`;

async function noReverse(source: string) {
  const f = (await lint(source)).findings.find((x) => x.rule === 'runpython-no-reverse');
  assert.ok(f, source);
  return f;
}

describe('runpython-no-reverse: no no-op reverse where it would hurt', () => {
  it('offers none where the code reads a field the migration then removes (review 64: tethys `tethys_apps/0008`)', async () => {
    const moves = (field: string) => `from django.db import migrations, models


def forwards(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    for post in Post.objects.all():
        if getattr(post, "legacy_author_id", None):
            post.author_name = str(post.legacy_author_id)
            post.save()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [
        migrations.AddField(model_name="post", name="author_name", field=models.CharField(max_length=50, null=True)),
        migrations.RunPython(forwards),
        migrations.RemoveField(model_name="post", name="${field}"),
    ]
`;
    const f = await noReverse(moves('legacy_author'));
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /No fix is offered: it reads post\.legacy_author, which the RemoveField at line 18 then drops: rolled back with a reverse that does nothing, the field comes back empty and the values it held are lost/);
    // A field removed that the code never reads: the no-op stands.
    const other = await noReverse(moves('summary'));
    assert.ok(other.fixes.some((x) => /RunPython\.noop/.test(x.edits.map((e) => e.newText).join(''))), JSON.stringify(other.fixes.map((x) => x.title)));
  });

  it('offers none for code that inserts rows, and says why', async () => {
    const f = await noReverse(migration('    for post in Post.objects.all():\n        Tag.objects.create(name=post.title)'));
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /No fix is offered: it inserts rows \(line 8\): with a reverse that does nothing, migrating forward again after a rollback would insert them a second time, so write one that deletes them\.$/);
    const bulk = await noReverse(migration('    Tag.objects.bulk_create([Tag(name=p.title) for p in Post.objects.all()])'));
    assert.deepEqual(bulk.fixes, []);
    // Built, bound to a name, then saved (review 28: tock hours/0031), also through a name get_model gave.
    const bound = await noReverse(migration('    note = Tag(name="When to submit")\n    note.used = True\n    note.save()'));
    assert.deepEqual(bound.fixes, []);
    assert.match(bound.message, /it inserts rows \(line 9\)/);
    const viaName = await noReverse(migration('    tag_model = apps.get_model("blog", "Tag")\n    note = tag_model(name="When to submit")\n    note.save()'));
    assert.deepEqual(viaName.fixes, []);
    // A row fetched, or a parameter, is saved as an update.
    for (const body of ['    note = Tag.objects.get(name="When to submit")\n    note.used = True\n    note.save()', '    note = Tag(name="x")\n    note = Tag.objects.first()\n    note.save()']) {
      assert.equal((await noReverse(migration(body))).fixes.length, 2, body);
    }
  });

  it('offers none where the code copies rows (pk = None, then save()), also inside a helper that unlinks first (review 39: pulp_rpm 0017, saleor plugins/0008)', async () => {
    const cloned = await noReverse(migration('    for post in Post.objects.all():\n        post.pk = None\n        post.title = post.title + " (copy)"\n        post.save()'));
    assert.deepEqual(cloned.fixes, []);
    assert.match(cloned.message, /No fix is offered: it inserts rows \(line 10\)/);
    const viaHelper = await noReverse(
      migration('    for post in Post.objects.all():\n        copy_post(post)').replace(
        'def forwards(apps, schema_editor):',
        'def copy_post(post):\n    post.tags.clear()\n    post.id = None\n    post.save()\n\n\ndef forwards(apps, schema_editor):',
      ),
    );
    assert.deepEqual(viaHelper.fixes, []);
    assert.match(viaHelper.message, /No fix is offered: it inserts rows/);
    // A row given a new key of its own is an update of that row no longer: but one fetched and saved as it is stays an update.
    const updated = await noReverse(migration('    for post in Post.objects.all():\n        post.title = post.title.strip()\n        post.save()'));
    assert.equal(updated.fixes.length, 2);
  });

  it("offers none where a file field's save() saves the object the code builds (review 35: ureport assets/0002)", async () => {
    const body = '    for post in Post.objects.all():\n        tag = Tag()\n        tag.name = post.title\n        tag.icon.save(post.slug + ".png", post.cover, save=True)';
    const f = await noReverse(migration(body));
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /No fix is offered: it inserts rows \(line 10: a file field's save\(\) saves its new object too\)/);
    // save= defaults to True; told False, or on a row fetched (an update), the offer stands; a storage's save() writes a file only.
    assert.deepEqual((await noReverse(migration(body.replace(', save=True', '')))).fixes, []);
    for (const other of [body.replace('save=True', 'save=False'), body.replace('tag = Tag()', 'tag = Tag.objects.get(name=post.title)'), '    for post in Post.objects.all():\n        default_storage.save(post.slug + ".png", post.cover)']) {
      assert.equal((await noReverse(migration(other))).fixes.length, 2, other);
    }
  });

  it('offers it where inserting again finds what the first run made, or the rows go with the rollback', async () => {
    const cases = [
      // Looked up first: a second run finds the row.
      '    for post in Post.objects.all():\n        Tag.objects.get_or_create(name=post.title)',
      '    for post in Post.objects.all():\n        tag = Tag.objects.filter(name=post.title).first()\n        if tag:\n            tag.used = True\n            tag.save()\n        else:\n            Tag.objects.create(name=post.title)',
      '    for post in Post.objects.all():\n        if not Tag.objects.filter(name=post.title).exists():\n            Tag.objects.create(name=post.title)',
      '    Tag.objects.bulk_create([Tag(name=p.title) for p in Post.objects.all()], ignore_conflicts=True)',
      // Updates only.
      '    Post.objects.filter(title="").update(title="untitled")',
      // An early return when the table holds rows (review 45: umap 0003, 0004), also inside a loop.
      '    if Tag.objects.count():\n        return\n    Tag(name="Positron").save()',
      '    if Tag.objects.filter(name="Positron").exists():\n        # seeded already\n        return\n    Tag.objects.create(name="Positron")',
      '    for post in Post.objects.all():\n        if Tag.objects.filter(name=post.title).exists():\n            continue\n        Tag.objects.create(name=post.title)',
    ];
    for (const body of cases) {
      const f = await noReverse(migration(body));
      assert.equal(f.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', body);
    }
    // A look-up of another table first finds nothing of the rows made (review 31: seed 0005, a row per building no canonical one matches).
    const other = await noReverse(migration('    for post in Post.objects.all():\n        if not Post.objects.filter(parent=post).exists():\n            Tag.objects.create(name=post.title)'));
    assert.deepEqual(other.fixes, []);
    assert.match(other.message, /No fix is offered: it inserts rows \(line 9\)/);
    // An early return on another table's rows, on no look-up at all, or one that returns when nothing is found, guards nothing.
    for (const body of [
      '    if Post.objects.count():\n        return\n    Tag(name="Positron").save()',
      '    if settings.DEBUG:\n        return\n    Tag(name="Positron").save()',
      '    if not Tag.objects.exists():\n        return\n    Tag(name="Positron").save()',
      '    if Tag.objects.count():\n        print("seeded")\n    Tag(name="Positron").save()',
    ]) {
      assert.deepEqual((await noReverse(migration(body))).fixes, [], body);
    }
    // Into a table this migration creates: rolling back drops it, rows and all.
    const created = await noReverse(
      migration('    for post in Post.objects.all():\n        Tag.objects.create(name=post.title)', { ops: '        migrations.CreateModel(name="Tag", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=50))]),\n' }),
    );
    assert.equal(created.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop');
    // Also an object built, then saved (review 56: TWLight's squashed users/0001 makes a profile per user).
    const built = await noReverse(
      migration('    UserProfile = apps.get_model("blog", "UserProfile")\n    for post in Post.objects.all():\n        profile = UserProfile()\n        profile.post = post\n        profile.save()', { ops: '        migrations.CreateModel(name="UserProfile", fields=[("id", models.AutoField(primary_key=True))]),\n' }),
    );
    assert.equal(built.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', built.message);
  });

  it('offers none where a comment at the operation, or in the code, speaks of its reverse (casepro statistics/0008)', async () => {
    const commented = await noReverse(
      migration('    Post.objects.filter(title="").update(title="untitled")', { above: '        # the reverse is commented out: it would remove rows made after this migration ran\n        # migrations.RunPython(forwards, backwards),\n' }),
    );
    assert.deepEqual(commented.fixes, []);
    assert.match(commented.message, /No fix is offered: the comment at line 14 speaks of undoing it, and the choice is the authors'/);
    const inCode = await noReverse(migration('    # Irreversible: the old titles are not kept anywhere.\n    Post.objects.filter(title="").update(title="untitled")'));
    assert.deepEqual(inCode.fixes, []);
    // A comment about something else changes nothing.
    const other = await noReverse(migration('    # Give every post a title.\n    Post.objects.filter(title="").update(title="untitled")'));
    assert.equal(other.fixes.length, 2);
    // A blank line between the comment and the operation is passed; code between them ends the comments.
    const gap = await noReverse(migration('    Post.objects.filter(title="").update(title="untitled")', { above: '        # no way back: rolling back would not restore the titles\n\n' }));
    assert.match(gap.message, /the comment at line 14 speaks of undoing it/);
    const beforeCode = await noReverse(
      migration('    Post.objects.filter(title="").update(title="untitled")', { above: '        # rolling back this one is fine\n        migrations.RunSQL("SELECT 1", migrations.RunSQL.noop),\n' }),
    );
    assert.equal(beforeCode.fixes.length, 2);
    // An operation that does not start its line: the comments above belong to what does.
    const inline = await noReverse(migration('    Post.objects.filter(title="").update(title="untitled")', { above: '        # rolling back the SQL is fine\n        migrations.RunSQL("SELECT 1", migrations.RunSQL.noop), ' }).replace(', \n        migrations.RunPython', ', migrations.RunPython'));
    assert.equal(inline.fixes.length, 2);
  });

  it('takes reverse_code=migrations.RunPython, the class, for the noop it was meant to be (review 28: mitxpro users/0014)', async () => {
    const given = migration('    Post.objects.filter(title="").update(title="untitled")').replace('migrations.RunPython(forwards),', 'migrations.RunPython(forwards, reverse_code=migrations.RunPython),');
    const f = await noReverse(given);
    assert.match(f.message, /passes reverse_code=migrations\.RunPython, the operation's class, not a function: Django takes it \(a class is callable\), but rolling back calls migrations\.RunPython\(apps, schema_editor\), which stops with ValueError/);
    assert.equal(f.range.start.line, 13, "on the reverse_code value");
    assert.equal(f.range.start.character, 52);
    const fix = f.fixes[0];
    assert.equal(fix?.title, 'Use reverse_code=migrations.RunPython.noop');
    const fixed = applyEdits(given, fix?.edits ?? []);
    assert.match(fixed, /migrations\.RunPython\(forwards, reverse_code=migrations\.RunPython\.noop\),/);
    assert.equal((await lint(fixed)).findings.filter((x) => x.rule === 'runpython-no-reverse').length, 0);
    const stub = applyEdits(given, f.fixes[1]?.edits ?? []);
    assert.match(stub, /migrations\.RunPython\(forwards, reverse_code=backwards\),/);
    assert.equal(await pythonSyntaxError(stub), null);
    // Inserting code: no no-op, as for a missing reverse.
    const inserting = await noReverse(
      migration('    for post in Post.objects.all():\n        Tag.objects.create(name=post.title)').replace('migrations.RunPython(forwards),', 'migrations.RunPython(forwards, migrations.RunPython),'),
    );
    assert.deepEqual(inserting.fixes, []);
    assert.match(inserting.message, /No fix is offered: it inserts rows/);
  });

  it('offers no no-op for an explicit None, the authors\' choice to stop a rollback (review 26: tilavarauspalvelu 0114)', async () => {
    const none = await noReverse(migration('    Post.objects.filter(title="").update(title="untitled")').replace('migrations.RunPython(forwards),', 'migrations.RunPython(forwards, None),'));
    assert.deepEqual(none.fixes, []);
    assert.match(none.message, /passes reverse_code=None: .*If None is on purpose \(the change cannot be undone\), say why in a suppression/);
    const sql = (text: string) => `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [
        migrations.RunSQL(${JSON.stringify(text)}, reverse_sql=None),
    ]
`;
    const dml = (await lint(sql("DELETE FROM blog_tag WHERE name = ''"))).findings.find((f) => f.rule === 'runsql-no-reverse');
    assert.deepEqual(dml?.fixes, []);
    assert.match(dml?.message ?? '', /If None is on purpose/);
    // A statement with a known inverse still gets it.
    const index = (await lint(sql('CREATE INDEX blog_tag_name ON blog_tag (name)'))).findings.find((f) => f.rule === 'runsql-no-reverse');
    assert.deepEqual(index?.fixes.map((f) => f.title), ['Add reverse_sql: DROP INDEX IF EXISTS blog_tag_name;']);
  });

  it('offers no RunSQL no-op where migrating forward again would fail or insert twice (review 37: les-emplois approvals/0006)', async () => {
    const sql = (text: string, ops = '') => `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [
${ops}        migrations.RunSQL(${JSON.stringify(text)}),
    ]
`;
    const titles = async (text: string, ops?: string) => {
      const f = (await lint(sql(text, ops))).findings.find((x) => x.rule === 'runsql-no-reverse');
      assert.ok(f, text);
      return { titles: f.fixes.map((x) => x.title), message: f.message };
    };
    const dropped = await titles('DROP TABLE blog_legacy');
    assert.deepEqual(dropped.titles, []);
    assert.match(dropped.message, /A no-op reverse is not offered: migrating forward again after such a rollback would run `DROP TABLE blog_legacy` a second time, while what the first run did is still there: it fails, or does the work twice\.$/);
    for (const once of ['ALTER TABLE blog_post ADD COLUMN score integer', 'ALTER TABLE blog_post RENAME COLUMN title TO headline', 'CREATE TRIGGER t AFTER INSERT ON blog_post FOR EACH ROW EXECUTE FUNCTION f()', 'CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french)', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql',
      // Review 59: Geotrek renames its sequences, netbox its indexes.
      'ALTER SEQUENCE o_b_blog_id_seq RENAME TO blog_post_id_seq;', 'ALTER INDEX blog_post_old RENAME TO blog_post_new', 'ALTER VIEW blog_old RENAME TO blog_recent']) {
      assert.ok(!(await titles(once)).titles.some((t) => t.endsWith('.noop')), once);
    }
    assert.match((await titles("INSERT INTO blog_tag (name) VALUES ('news')")).message, /it inserts its rows again\.$/);
    // Statements that can run again keep the offer; so do those on a table the same migration creates (its rollback drops it).
    for (const again of ['DROP TABLE IF EXISTS blog_legacy', "UPDATE blog_post SET title = '' WHERE title IS NULL", 'CREATE OR REPLACE VIEW blog_recent AS SELECT 1', 'ALTER TABLE IF EXISTS blog_old RENAME TO blog_new', 'ALTER SEQUENCE IF EXISTS o_b_blog_id_seq RENAME TO blog_post_id_seq',
      // Review 59: sapl inserts its content type only where none is there yet.
      "INSERT INTO blog_tag (name) SELECT 'news' WHERE NOT EXISTS (SELECT id FROM blog_tag WHERE name = 'news')", "INSERT INTO blog_tag (name) VALUES ('news') ON CONFLICT (name) DO NOTHING", 'CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql',
      // Review 40: ureport's trigger files drop each trigger IF EXISTS before creating it; les-emplois drops a column IF EXISTS.
      'DROP TRIGGER IF EXISTS t ON blog_post; CREATE TRIGGER t AFTER INSERT ON blog_post FOR EACH ROW EXECUTE FUNCTION f()', 'ALTER TABLE blog_post DROP COLUMN IF EXISTS legacy', 'ALTER TABLE blog_post ADD COLUMN IF NOT EXISTS score integer']) {
      assert.ok((await titles(again)).titles.includes('Add reverse_sql=migrations.RunSQL.noop'), again);
    }
    // An index or a constraint dropped stays dropped on a rollback that does nothing: the release before runs
    // without it, and a unique one no longer guards its rows (review 80: osis attribution/0032, base/0249).
    for (const [guard, what] of [['DROP INDEX CONCURRENTLY IF EXISTS blog_post_old', 'index blog_post_old'], ['DROP INDEX IF EXISTS "blog_post_slug_uniq"', 'index blog_post_slug_uniq'], ['ALTER TABLE blog_post DROP CONSTRAINT IF EXISTS blog_post_slug_key', 'constraint blog_post_slug_key']] as const) {
      const found = await titles(guard);
      assert.deepEqual(found.titles, [], guard);
      assert.match(found.message, new RegExp(`Give it the inverse SQL: the statement that made the ${what.split(' ')[0]} \\(migrations\\.RunSQL\\.noop would leave ${what} dropped after a rollback, and the release before runs without it\\)\\.$`), guard);
    }
    const created = '        migrations.CreateModel(name="Note", fields=[("id", models.AutoField(primary_key=True))]),\n';
    assert.ok((await titles('CREATE TRIGGER t AFTER INSERT ON blog_note FOR EACH ROW EXECUTE FUNCTION f()', created)).titles.includes('Add reverse_sql=migrations.RunSQL.noop'));
  });

  it('offers none for code that moves a row\'s values between fields it names at run time (review 59: sapl sessao/0067)', async () => {
    const shift = (value: string) =>
      migration(`    order = Ordering.objects.get_or_create()[0]
    names = [f.name for f in Ordering._meta.get_fields()]
    for i, name in enumerate(names[:-1]):
        setattr(order, name, ${value})
    order.save()`);
    const moved = await noReverse(shift('getattr(order, names[i + 1])'));
    assert.deepEqual(moved.fixes, []);
    assert.match(moved.message, /No fix is offered: it sets fields of order named at run time from its other fields \(line 10\): with a reverse that does nothing, migrating forward again after a rollback would move those values a second time/);
    // Set to a constant, the same again on a second run: the no-op stays on offer.
    assert.equal((await noReverse(shift('""'))).fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop');
  });

  it('offers none for code that rebuilds a value from itself, which a second run would rebuild again (review 27: fiduswriter usermedia/0004)', async () => {
    const wrapped = await noReverse(migration('    for post in Post.objects.all().iterator():\n        post.title = "[" + post.title + "]"\n        post.save()'));
    assert.deepEqual(wrapped.fixes, []);
    assert.match(wrapped.message, /No fix is offered: it sets post\.title from its own value \(line 8\): with a reverse that does nothing, migrating forward again after a rollback would change those rows a second time/);
    // Unless it also sets a field its own query then leaves out: a second run skips the rows done (review 79: pontoon `base/0082`).
    for (const [query, mark] of [
      ['Post.objects.exclude(subtitle="")', 'post.subtitle = \'\''],
      ['Post.objects.filter(state="draft")', 'post.state = "merged"'],
    ]) {
      const done = await noReverse(migration(`    posts = ${query}\n    for post in posts:\n        post.title = post.title + " " + post.subtitle\n        ${mark}\n    Post.objects.bulk_update(posts, ["title", "subtitle", "state"])`));
      assert.equal(done.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', done.message);
    }
    // Set to the value its filter asks for, the row still matches: a second run changes it again.
    const still = await noReverse(migration('    for post in Post.objects.filter(state="draft"):\n        post.title = post.title + "!"\n        post.state = "draft"\n        post.save()'));
    assert.deepEqual(still.fixes, [], still.message);
    // A local dict filled from the row's fields is no field of the row (djangocms `cms/0018` builds nodes keyed by page).
    const local = await noReverse(migration('    make = Tag.objects.create\n    nodes = {}\n    for post in Post.objects.all():\n        node = make(name=post.title, slug=post.slug)\n        nodes[post.pk] = node'));
    assert.doesNotMatch(local.message, /which the loop changes too/);
    // …and the manager's create() bound to a name inserts: no no-op reverse (djangocms `cms/0018`).
    assert.deepEqual(local.fixes, []);
    assert.match(local.message, /No fix is offered: it inserts rows \(line \d+, through make, a manager's create\(\)\)/);
    // Into a table the same migration creates, the rollback drops the rows with it (djangocms `cms/0018`'s TreeNode).
    const fresh = await noReverse(
      migration('    make = Tag.objects.create\n    for post in Post.objects.all():\n        make(name=post.title)', { ops: '        migrations.CreateModel(name="Tag", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=50))]),\n' }),
    );
    assert.equal(fresh.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', fresh.message);
    // Cut to a fixed length, or made lower case: the same again, so a no-op reverse is fine.
    for (const value of ['post.title[:50]', 'post.title.lower()']) {
      const same = await noReverse(migration(`    for post in Post.objects.all():\n        post.title = ${value}\n        post.save()`));
      assert.equal(same.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', value);
    }
    // Rebuilt by a function of the file that is handed the row and reads that field (review 29: pootle virtualfolder/0013).
    const helper = (reads: string) => `from django.db import migrations


def parse_rules(post):
    return ",".join(part.strip() + "/*" for part in ${reads}.split(","))


def forwards(apps, schema_editor):
    Post = apps.get_model("blog", "Post")
    for post in Post.objects.all():
        rules = parse_rules(post)
        post.title = rules
        post.save()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [
        migrations.RunPython(forwards),
    ]
`;
    const viaHelper = await noReverse(helper('post.title'));
    assert.deepEqual(viaHelper.fixes, []);
    assert.match(viaHelper.message, /it sets post\.title from its own value/);
    // The helper reads another field: set from that one, the same again.
    assert.equal((await noReverse(helper('post.slug'))).fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop');
  });

  it('offers none where the code writes a field an AlterField before it changed (review 49: karrot subscriptions/0005, jumpserver authentication/0008)', async () => {
    const alter = '        migrations.AlterField(model_name="tag", name="kind", field=models.CharField(default="plain", max_length=100)),\n';
    const updated = await noReverse(migration('    Tag.objects.filter(kind="1").update(kind="plain")', { ops: alter }));
    assert.deepEqual(updated.fixes, []);
    assert.match(updated.message, /No fix is offered: it writes Tag\.kind after the AlterField of that field at line 14: rolled back with a reverse that does nothing, the AlterField is undone on the values this code wrote/);
    const saved = await noReverse(migration('    for tag in Tag.objects.all():\n        tag.kind = tag.kind.upper()\n        tag.save(update_fields=["kind"])', { ops: alter }));
    assert.deepEqual(saved.fixes, []);
    // Another field of the model, or the AlterField after the code: the no-op stands.
    const other = await noReverse(migration('    Tag.objects.filter(used=False).update(used=True)', { ops: alter }));
    assert.equal(other.fixes.length, 2, other.message);
    const after = migration('    Tag.objects.filter(kind="1").update(kind="plain")').replace('        migrations.RunPython(forwards),\n', `        migrations.RunPython(forwards),\n${alter}`);
    assert.equal((await noReverse(after)).fixes.length, 2);
  });

  it('with the project view, offers it where the AlterField leaves the column as it was (review 50: plane 0042, 0076)', async () => {
    const root = temps.make();
    writeFileIn(join(root, 'blog/__init__.py'), '');
    writeFileIn(join(root, 'blog/migrations/__init__.py'), '');
    writeFileIn(
      join(root, 'blog/migrations/0001_initial.py'),
      'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Tag", fields=[("id", models.AutoField(primary_key=True)), ("kind", models.CharField(max_length=100, default="plain")), ("used", models.BooleanField(default=False))])]\n',
    );
    const choices = '        migrations.AlterField(model_name="tag", name="kind", field=models.CharField(choices=[("plain", "Plain"), ("rich", "Rich")], default="rich", max_length=100)),\n';
    writeFileIn(join(root, 'blog/migrations/0002_kind.py'), migration('    Tag.objects.filter(kind="1").update(kind="plain")', { ops: choices }));
    const longer = choices.replace('max_length=100', 'max_length=20');
    writeFileIn(join(root, 'blog/migrations/0003_kind.py'), migration('    Tag.objects.filter(kind="2").update(kind="plain")', { ops: longer }).replace('("blog", "0001_initial")', '("blog", "0002_kind")'));
    // plane 0063: a field this migration adds, set on rows found by a value the update moves them off.
    const added = '        migrations.AddField(model_name="tag", name="is_rich", field=models.BooleanField(default=False)),\n';
    writeFileIn(join(root, 'blog/migrations/0004_rich.py'), migration('    Tag.objects.filter(kind="rich", used=True).update(kind="plain", is_rich=True)', { ops: added }).replace('("blog", "0001_initial")', '("blog", "0003_kind")'));
    const results = await lintProject(root);
    const finding = (name: string) => results.get(join(root, 'blog/migrations', name))?.findings.find((f) => f.rule === 'runpython-no-reverse');
    assert.equal(finding('0002_kind.py')?.fixes.length, 2, finding('0002_kind.py')?.message);
    assert.deepEqual(finding('0003_kind.py')?.fixes, []);
    assert.match(finding('0003_kind.py')?.message ?? '', /it writes Tag\.kind after the AlterField of that field/);
    assert.deepEqual(finding('0004_rich.py')?.fixes, []);
    assert.match(finding('0004_rich.py')?.message ?? '', /it sets is_rich, which this migration adds, on the rows it finds by kind and moves out of that filter \(line \d+\)/);
  });

  it('offers it where the filter is on the column the migration adds: the rollback drops it, and it comes back empty (review 54: experimenter 0049)', async () => {
    const added = '        migrations.AddField(model_name="tag", name="is_rich", field=models.BooleanField(null=True, default=None)),\n';
    const f = await noReverse(migration('    Tag.objects.filter(kind="rich").filter(is_rich=None).update(is_rich=False)', { ops: added }));
    assert.equal(f.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', f.message);
    assert.doesNotMatch(f.message, /moves out of that filter/);
  });

  it('offers none where get_or_create() looks rows up by a field the migration adds (review 56: seed 0125, 0222)', async () => {
    const added = '        migrations.AddField(model_name="tag", name="kind", field=models.CharField(max_length=20, default="")),\n';
    const keyed = await noReverse(migration('    for post in Post.objects.all():\n        Tag.objects.get_or_create(name=post.title, kind="auto")', { ops: added }));
    assert.deepEqual(keyed.fixes, []);
    assert.match(keyed.message, /it looks rows up by kind, which this migration adds, and inserts those it does not find \(line 8\): after a rollback with a reverse that does nothing, kind is dropped and added back at its default/);
    // Through the dicts it splats, where the file writes the key.
    const splat = await noReverse(`RULES = [{"name": "a", "kind": "auto"}]\n${migration('    for rule in RULES:\n        Tag.objects.get_or_create(**rule)', { ops: added })}`);
    assert.deepEqual(splat.fixes, []);
    // The added field only in defaults: the look-up finds the rows again.
    const defaults = await noReverse(migration('    for post in Post.objects.all():\n        Tag.objects.get_or_create(name=post.title, defaults={"kind": "auto"})', { ops: added }));
    assert.equal(defaults.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', defaults.message);
    // By the value the column comes back with (review 58: seed 0100 looks measures up by the AddField's default,
    // through a parameter its one call leaves at its default): the re-run finds its rows.
    const helper = (call: string) =>
      `def make(Tag, name, kind=""):\n    Tag.objects.get_or_create(name=name, kind=kind)\n\n\n${migration(`    for post in Post.objects.all():\n        ${call}`, { ops: added })}`;
    for (const call of ['make(Tag, post.title)', 'make(Tag, post.title, "")', 'Tag.objects.get_or_create(name=post.title, kind="")']) {
      const f = await noReverse(call.startsWith('make') ? helper(call) : migration(`    for post in Post.objects.all():\n        ${call}`, { ops: added }));
      assert.equal(f.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', `${call}: ${f.message}`);
    }
    // A parameter its calls give another literal (seed 0125's create_rule(rule, "not_null")): refused.
    const other = await noReverse(helper('make(Tag, post.title, kind="auto")'));
    assert.deepEqual(other.fixes, [], other.message);
  });

  it('offers none where the code inserts into a table whose unique fields the migration changed first (review 56: seed 0243)', async () => {
    const widened = '        migrations.AlterUniqueTogether(name="tag", unique_together={("name", "version")}),\n';
    const f = await noReverse(migration('    for post in Post.objects.all():\n        Tag.objects.get_or_create(name=post.title, version=2)', { ops: widened }));
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /it inserts Tag rows \(line 8\) after the operation at line 15 changes what must be unique in that table/);
    // Another model's unique fields: nothing to break.
    const other = await noReverse(migration('    for post in Post.objects.all():\n        Tag.objects.get_or_create(name=post.title, version=2)', { ops: widened.replace('name="tag"', 'name="post"') }));
    assert.equal(other.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', other.message);
    // A table the migration creates goes with the rollback (taiga users/0007, plane 0077).
    const made = '        migrations.CreateModel(name="Tag", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=50))]),\n';
    const fresh = await noReverse(migration('    for post in Post.objects.all():\n        Tag.objects.create(name=post.title)', { ops: made + widened }));
    assert.equal(fresh.fixes[0]?.title, 'Add reverse_code=migrations.RunPython.noop', fresh.message);
  });

  it('offers none where the code looks a row up by a value it then changes (review 49: ChiefOnboarding organization/0006)', async () => {
    const f = await noReverse(migration('    tag = Tag.objects.get(name="news")\n    tag.name = "updates"\n    tag.save()'));
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /it looks a row up by name \(line 7\) and changes name: after a rollback with a reverse that does nothing, migrating forward again finds no such row and stops with DoesNotExist/);
    // Looked up by one field, another changed: running again finds the row.
    assert.equal((await noReverse(migration('    tag = Tag.objects.get(name="news")\n    tag.used = True\n    tag.save()'))).fixes.length, 2);
  });

  it('offers none for code it cannot read: a method of an object built in the list, a function of another module (review 32: signals 0075)', async () => {
    const source = (ops: string, head = '') => `from django.db import migrations
${head}

class Mutation:
    def __init__(self, rows):
        self.rows = rows

    def run(self, apps, schema_editor):
        Tag = apps.get_model("blog", "Tag")
        for name in self.rows:
            Tag.objects.create(name=name)


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [${ops}]
`;
    for (const [ops, head, shown] of [
      ['migrations.RunPython(Mutation(["a", "b"]).run)', '', 'Mutation(["a", "b"]).run'],
      ['migrations.RunPython(tags.create_defaults)', 'from blog.migration_utils import tags', 'tags.create_defaults'],
    ] as const) {
      const f = (await lint(source(ops, head))).findings.find((x) => x.rule === 'runpython-no-reverse');
      assert.ok(f, ops);
      assert.deepEqual(f.fixes, [], ops);
      assert.ok(f.message.includes(`No fix is offered: the code it runs (\`${shown}\`) is no function of this file the linter follows (`), f.message);
    }
  });
});

describe('runpython-no-reverse: a reverse that cannot take (apps, schema_editor) (review 46: shynet 0006, 0009)', () => {
  const source = (reverse: string) => migration('    Post.objects.filter(title="").update(title="untitled")', { ops: '' }).replace('migrations.RunPython(forwards),', `migrations.RunPython(forwards, ${reverse}),`);
  it('is reported, and a lambda is given the parameters Django passes', async () => {
    for (const [reverse, fixed] of [
      ['lambda: ()', 'lambda apps, schema_editor: ()'],
      ['lambda apps: None', 'lambda apps, schema_editor: None'],
      ['lambda schema_editor: None', 'lambda schema_editor, apps: None'],
    ] as const) {
      const text = source(reverse);
      const f = await noReverse(text);
      assert.match(f.message, /rolling back calls it with \(apps, schema_editor\) and stops with TypeError/, reverse);
      assert.equal(f.fixes.length, 1, reverse);
      const after = applyEdits(text, f.fixes[0]?.edits ?? []);
      assert.ok(after.includes(`migrations.RunPython(forwards, ${fixed}),`), after);
      assert.equal(await pythonSyntaxError(after), null);
      assert.deepEqual((await lint(after)).findings.filter((x) => x.rule === 'runpython-no-reverse'), [], reverse);
    }
  });
  it('names a function of the file that takes too few or too many, with no fix', async () => {
    const text = source('undo').replace('class Migration', 'def undo(apps):\n    pass\n\n\nclass Migration');
    const f = await noReverse(text);
    assert.match(f.message, /reverse_code=undo\(\), but it takes one argument/);
    assert.deepEqual(f.fixes, []);
  });
});

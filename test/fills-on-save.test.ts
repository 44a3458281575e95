/**
 * A save loop over a model with a field whose save() fills in another (markupfield's MarkupField
 * renders its text into `_<name>_rendered`, review 21: pythondotorg `downloads/0005`): bulk_update()
 * of the text alone would leave the rendering stale, so no bulk rewrite is offered — in the CLI's
 * plain run too, which lints such a file again with the project view. A model without one keeps
 * its template.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';

const INITIAL = `import markupfield.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Release",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=50)),
                ("content", markupfield.fields.MarkupField(default="", rendered_field=True)),
                ("content_markup_type", models.CharField(default="markdown", max_length=30)),
                ("_content_rendered", models.TextField(editable=False)),
            ],
        ),
        migrations.CreateModel(
            name="Mirror",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=50)),
            ],
        ),
    ]
`;

const LOOPS = `from django.db import migrations


def retitle(apps, schema_editor):
    Release = apps.get_model("downloads", "Release")
    for release in Release.objects.all():
        release.content = "Moved: " + release.name
        release.save()


def rename(apps, schema_editor):
    Mirror = apps.get_model("downloads", "Mirror")
    for mirror in Mirror.objects.all():
        mirror.name = mirror.name.strip()
        mirror.save()


class Migration(migrations.Migration):
    dependencies = [("downloads", "0001_initial")]
    operations = [migrations.RunPython(retitle, migrations.RunPython.noop), migrations.RunPython(rename, migrations.RunPython.noop)]
`;

describe('a field whose save() fills in another', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('gets no bulk rewrite of a loop that writes it, from the CLI without and with --diff', () => {
    const root = temps.make();
    writeFileIn(join(root, 'downloads/__init__.py'), '');
    writeFileIn(join(root, 'downloads/migrations/__init__.py'), '');
    writeFileIn(join(root, 'downloads/migrations/0001_initial.py'), INITIAL);
    writeFileIn(join(root, 'downloads/migrations/0002_loops.py'), LOOPS);
    const run = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root);
    const found = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop');
    assert.equal(found.length, 2, run.stdout + run.stderr);
    const [release, mirror] = found.sort((a, b) => a.line - b.line);
    assert.match(release?.message ?? '', /its save\(\) fills in _content_rendered from content \(MarkupField\), which bulk_update\(\) of content would leave as it was/);
    assert.doesNotMatch(mirror?.message ?? '', /No rewrite is offered|renders/);
    const diff = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--unsafe-fixes', '--diff', '.'], root);
    assert.match(diff.stdout, /Mirror\.objects\.bulk_update\(batch, \["name"\]\)|Mirror\.objects\.filter/, diff.stdout + diff.stderr);
    assert.doesNotMatch(diff.stdout, /Release\.objects\.bulk_update/, diff.stdout);
  });
  it("gets no bulk rewrite of a loop that assigns an AutoSlugField of django-autoslug, whose save() remakes the slug (review 54: squarelet `organizations/0023`)", () => {
    const root = temps.make();
    writeFileIn(join(root, 'organizations/__init__.py'), '');
    writeFileIn(join(root, 'organizations/migrations/__init__.py'), '');
    writeFileIn(join(root, 'organizations/migrations/0001_initial.py'), `import autoslug.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Entitlement",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=255)),
                ("slug", autoslug.fields.AutoSlugField(editable=False, populate_from="name", unique=True)),
                ("description", models.TextField(default="")),
            ],
        ),
    ]
`);
    writeFileIn(join(root, 'organizations/migrations/0002_loops.py'), `from django.db import migrations
from django.utils.text import slugify


def redo_slugs(apps, schema_editor):
    Entitlement = apps.get_model("organizations", "Entitlement")
    for entitlement in Entitlement.objects.all():
        entitlement.slug = slugify(entitlement.name)
        entitlement.save()


def describe(apps, schema_editor):
    Entitlement = apps.get_model("organizations", "Entitlement")
    for entitlement in Entitlement.objects.all():
        entitlement.description = entitlement.name.title()
        entitlement.save()


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(redo_slugs, migrations.RunPython.noop), migrations.RunPython(describe, migrations.RunPython.noop)]
`);
    const run = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root);
    const [slugs, described] = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop').sort((a, b) => a.line - b.line);
    assert.match(slugs?.message ?? '', /its save\(\) slugifies it, crops it to max_length and makes it unique \(slug is an AutoSlugField of autoslug\), and bulk_update\(\) would write slug as the loop assigns it/, run.stdout);
    assert.doesNotMatch(described?.message ?? '', /No rewrite is offered|slugifies/);
    const diff = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--unsafe-fixes', '--diff', '.'], root);
    assert.match(diff.stdout, /bulk_update\(batch, \["description"\]\)/, diff.stdout + diff.stderr);
    assert.doesNotMatch(diff.stdout, /bulk_update\(batch, \["slug"\]\)/, diff.stdout);
  });
  it("gets no bulk rewrite of a loop that sets a searchable encrypted field, whose save() fills in the encrypted one (review 55: open-city-profile profiles/0037)", () => {
    const root = temps.make();
    writeFileIn(join(root, 'profiles/__init__.py'), '');
    writeFileIn(join(root, 'profiles/migrations/__init__.py'), '');
    writeFileIn(join(root, 'profiles/migrations/0001_initial.py'), `import encrypted_fields.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Person",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("ssn", models.CharField(max_length=20, blank=True)),
                ("_ssn_data", encrypted_fields.fields.EncryptedCharField(blank=True, max_length=1024)),
                ("ssn_search", encrypted_fields.fields.SearchField(encrypted_field_name="_ssn_data", hash_key="k", max_length=66, null=True)),
            ],
        ),
    ]
`);
    writeFileIn(join(root, 'profiles/migrations/0002_copy.py'), `from django.db import migrations


def copy(apps, schema_editor):
    Person = apps.get_model("profiles", "Person")
    for person in Person.objects.all():
        person.ssn_search = person.ssn
        person.save()


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]
    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
`);
    const run = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root);
    const [loop] = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop');
    assert.match(loop?.message ?? '', /its save\(\) fills in _ssn_data from ssn_search \(SearchField\), which bulk_update\(\) of ssn_search would leave as it was/, run.stdout);
    const diff = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--unsafe-fixes', '--diff', '.'], root);
    assert.doesNotMatch(diff.stdout, /bulk_update/, diff.stdout);
  });

  it("gets no bulk rewrite of a loop that creates, saves or deletes rows of a model with django-positions' PositionField, whose receivers renumber the other rows (review 63: dissemin `osf/0003`)", () => {
    const root = temps.make();
    writeFileIn(join(root, 'deposit/__init__.py'), '');
    writeFileIn(join(root, 'deposit/migrations/__init__.py'), '');
    writeFileIn(join(root, 'deposit/migrations/0001_initial.py'), `import positions.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Repository",
            fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=50))],
        ),
        migrations.CreateModel(
            name="Choice",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("label", models.CharField(max_length=50)),
                ("repository", models.ForeignKey(on_delete=models.CASCADE, to="deposit.repository")),
                ("position", positions.fields.PositionField(default=-1)),
            ],
        ),
    ]
`);
    writeFileIn(join(root, 'deposit/migrations/0002_loops.py'), `from django.db import migrations


def add_choices(apps, schema_editor):
    Repository = apps.get_model("deposit", "Repository")
    Choice = apps.get_model("deposit", "Choice")
    for repo in Repository.objects.all():
        Choice.objects.create(repository=repo, label="cc-by")


def relabel(apps, schema_editor):
    Choice = apps.get_model("deposit", "Choice")
    for choice in Choice.objects.all():
        choice.label = choice.label.upper()
        choice.save()


def drop_unnamed(apps, schema_editor):
    Choice = apps.get_model("deposit", "Choice")
    for choice in Choice.objects.filter(label=""):
        choice.delete()


def rename_repositories(apps, schema_editor):
    Repository = apps.get_model("deposit", "Repository")
    for repo in Repository.objects.all():
        repo.name = repo.name.strip()
        repo.save()


class Migration(migrations.Migration):
    dependencies = [("deposit", "0001_initial")]
    operations = [
        migrations.RunPython(add_choices, migrations.RunPython.noop),
        migrations.RunPython(relabel, migrations.RunPython.noop),
        migrations.RunPython(drop_unnamed, migrations.RunPython.noop),
        migrations.RunPython(rename_repositories, migrations.RunPython.noop),
    ]
`);
    for (const jobs of ['1', '2']) {
      const run = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '--jobs', jobs, '.'], root);
      const found = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop').sort((a, b) => a.line - b.line);
      assert.equal(found.length, 4, run.stdout + run.stderr);
      const [created, saved, deleted, other] = found;
      for (const f of [created, saved, deleted]) {
        assert.match(f?.message ?? '', /No rewrite is offered: Choice's field position is a PositionField \(positions\.fields\.PositionField\), which numbers each row from the rows saved before it and shifts the others/, `--jobs ${jobs}: ${f?.message}`);
      }
      // A model without such a field keeps its rewrite.
      assert.doesNotMatch(other?.message ?? '', /No rewrite is offered/);
    }
    const diff = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--unsafe-fixes', '--diff', '.'], root);
    assert.match(diff.stdout, /Repository\.objects\.bulk_update\(batch, \["name"\]\)|update\(name=/, diff.stdout + diff.stderr);
    assert.doesNotMatch(diff.stdout, /Choice\.objects\.bulk_(create|update)|Choice\.objects\.filter\(pk__in/, diff.stdout);
  });
});

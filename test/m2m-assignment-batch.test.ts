/**
 * A save loop that assigns a many-to-many field (`note.tags = [...]`, then `note.save()`; review 52:
 * seqr `0003`, written for Django 1.11, where the assignment set the links at once): bulk_update()
 * of that name raises ("can only be used with concrete fields"), so no bulk rewrite is offered for
 * it — the many-to-many field added by an AddField earlier in the same migration included. A loop
 * that assigns a foreign key beside it keeps its template.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Variant", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=50))]),
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("text", models.TextField()),
                ("variant", models.ForeignKey(null=True, on_delete=models.CASCADE, to="genes.variant")),
            ],
        ),
    ]
`;

const LOOPS = `from django.db import migrations, models


def link_notes(apps, schema_editor):
    Note = apps.get_model("genes", "Note")
    for note in Note.objects.all():
        variant = note.variant
        note.variants = [] if variant is None else [variant]
        note.save()


def first_variant(apps, schema_editor):
    Note = apps.get_model("genes", "Note")
    Variant = apps.get_model("genes", "Variant")
    for note in Note.objects.all():
        note.variant = Variant.objects.filter(name=note.text).first()
        note.save()


class Migration(migrations.Migration):
    dependencies = [("genes", "0001_initial")]
    operations = [
        migrations.AddField(model_name="note", name="variants", field=models.ManyToManyField(to="genes.variant", related_name="notes")),
        migrations.RunPython(link_notes, migrations.RunPython.noop),
        migrations.RunPython(first_variant, migrations.RunPython.noop),
    ]
`;

describe('a save loop that assigns a many-to-many field', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('gets no bulk_update() of that field; a loop that assigns a foreign key keeps its rewrite', () => {
    const root = temps.make();
    writeFileIn(join(root, 'genes/__init__.py'), '');
    writeFileIn(join(root, 'genes/migrations/__init__.py'), '');
    writeFileIn(join(root, 'genes/migrations/0001_initial.py'), INITIAL);
    writeFileIn(join(root, 'genes/migrations/0002_links.py'), LOOPS);
    const run = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root);
    const found = jsonFindings(run).filter((f) => f.rule === 'unbatched-save-loop');
    assert.equal(found.length, 2, run.stdout + run.stderr);
    const [links, fk] = found.sort((a, b) => a.line - b.line);
    assert.match(links?.message ?? '', /it assigns variants, a many-to-many field/);
    assert.doesNotMatch(fk?.message ?? '', /No rewrite is offered|many-to-many/);
    const diff = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--unsafe-fixes', '--diff', '.'], root);
    assert.doesNotMatch(diff.stdout, /bulk_update\([^)]*"variants"/, diff.stdout);
    assert.match(diff.stdout, /bulk_update\(batch, \["variant"\]\)/, diff.stdout + diff.stderr);
  });
});

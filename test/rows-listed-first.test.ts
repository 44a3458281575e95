/**
 * Rows listed into a name before the loop (`experiments = list(Model.objects.filter(…))`, then `for
 * experiment in experiments:`) are rows of that model: the template names the model, so it stamps the
 * auto_now fields save() would have set (review 54: experimenter `0288`, whose template only asked
 * the author to check them in a marked line).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, TempDirs, writeFileIn } from './helpers/cli';

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Experiment",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("links", models.TextField(null=True)),
                ("opt_in", models.BooleanField(default=False)),
                ("_updated_date_time", models.DateTimeField(auto_now=True)),
            ],
        ),
    ]
`;

const LOOP = `import json

from django.db import migrations


def normalize_links(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    experiments = list(Experiment.objects.filter(opt_in=True))
    for experiment in experiments:
        experiment.links = json.loads(experiment.links or "null")
        experiment.save()


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("experiments", "0001_initial")]
    operations = [migrations.RunPython(normalize_links, migrations.RunPython.noop)]
`;

describe('rows listed into a name before the loop', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('name their model: the template stamps its auto_now field and lists it', () => {
    const root = temps.make();
    writeFileIn(join(root, 'experiments/__init__.py'), '');
    writeFileIn(join(root, 'experiments/migrations/__init__.py'), '');
    writeFileIn(join(root, 'experiments/migrations/0001_initial.py'), INITIAL);
    writeFileIn(join(root, 'experiments/migrations/0002_links.py'), LOOP);
    const diff = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--unsafe-fixes', '--diff', '.'], root).stdout;
    assert.match(diff, /\+\s+experiment\._meta\.get_field\("_updated_date_time"\)\.pre_save\(experiment, False\)/, diff);
    assert.match(diff, /bulk_update\(batch, \["links", "_updated_date_time"\]\)/, diff);
    assert.doesNotMatch(diff, /are not known here/, diff);
  });
});

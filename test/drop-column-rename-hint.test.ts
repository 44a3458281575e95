/**
 * drop-column on a RemoveField that an AddField of the same migration seems to replace under a new
 * name (review 63: dissemin `hal/0002` turned `on_behalf_on` into `on_behalf_of`): the pair loses every
 * value the column held, where a RenameField keeps them; the finding says so. Not where code in the
 * migration may copy the values over, nor where the pair is not one for one or the names are unlike.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';

const temps = new TempDirs();
after(() => temps.removeAll());

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Preference",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("on_behalf_on", models.CharField(max_length=128, null=True)),
                ("label", models.CharField(max_length=20, default="")),
            ],
        ),
    ]
`;

function dropColumn(ops: string): string {
  const root = temps.make();
  writeFileIn(join(root, 'hal/__init__.py'), '');
  writeFileIn(join(root, 'hal/migrations/__init__.py'), '');
  writeFileIn(join(root, 'hal/migrations/0001_initial.py'), INITIAL);
  writeFileIn(
    join(root, 'hal/migrations/0002_rename.py'),
    `from django.db import migrations, models


def copy(apps, schema_editor):
    Preference = apps.get_model("hal", "Preference")
    Preference.objects.update(on_behalf_of=models.F("on_behalf_on"))


class Migration(migrations.Migration):
    dependencies = [("hal", "0001_initial")]
    operations = [
${ops}
    ]
`,
  );
  const run = runCli(['check', '--no-cache', '--format', 'json', '--select', 'drop-column', '.'], root);
  const found = jsonFindings(run).filter((f) => f.rule === 'drop-column');
  assert.equal(found.length >= 1, true, run.stdout + run.stderr);
  return found.map((f) => f.message).join('\n');
}

const REMOVE = `        migrations.RemoveField(model_name="preference", name="on_behalf_on"),`;
const ADD = `        migrations.AddField(model_name="preference", name="on_behalf_of", field=models.CharField(max_length=128, null=True)),`;

describe('drop-column: a field removed and one like it added under a new name', () => {
  it('says the values are lost and a RenameField would keep them', () => {
    assert.match(dropColumn(`${REMOVE}\n${ADD}`), /This migration also adds 'on_behalf_of', a CharField like it: if that is this field renamed, the values 'on_behalf_on' holds are lost — a RenameField keeps them/);
  });

  it('says nothing of it where code in the migration may copy the values, or the pair is not one for one, or the names are unlike', () => {
    assert.doesNotMatch(dropColumn(`${ADD}\n        migrations.RunPython(copy, migrations.RunPython.noop),\n${REMOVE}`), /also adds/);
    assert.doesNotMatch(dropColumn(`${REMOVE}\n        migrations.RemoveField(model_name="preference", name="label"),\n${ADD}`), /also adds/);
    assert.doesNotMatch(dropColumn(`${REMOVE}\n        migrations.AddField(model_name="preference", name="account", field=models.CharField(max_length=128, null=True)),`), /also adds/);
    // Another kind of field is no rename of it.
    assert.doesNotMatch(dropColumn(`${REMOVE}\n        migrations.AddField(model_name="preference", name="on_behalf_of", field=models.IntegerField(null=True)),`), /also adds/);
  });
});

/**
 * A batched save() loop stamps the auto_now fields the model has where its RunPython runs, not
 * those it has anywhere in the migration (review 36: actionpopulaire `activity/0012` fills uuids
 * in a RunPython and only then adds `modified = DateTimeField(auto_now=True)`; the template
 * stamped `modified` and put it in bulk_update(), which raises FieldDoesNotExist on the first row).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyEdits } from './helpers/apply-edits';
import { TempDirs, writeFileIn } from './helpers/cli';
import { lintProject } from './helpers/lint';
import { pythonSyntaxError } from './helpers/python';

const temps = new TempDirs();
after(() => temps.removeAll());

/** Announcement gets `modified` (auto_now) in 0001 when `before`, and in 0002 around its RunPython as `around` says. */
function project(before: boolean, around: { added?: 'after'; removed?: 'after' }): string {
  const root = temps.make();
  writeFileIn(join(root, 'activity/__init__.py'), '');
  writeFileIn(join(root, 'activity/migrations/__init__.py'), '');
  const modified = '("modified", models.DateTimeField(auto_now=True))';
  writeFileIn(
    join(root, 'activity/migrations/0001_initial.py'),
    `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Announcement", fields=[("id", models.AutoField(primary_key=True)), ("uuid", models.UUIDField(null=True))${before ? `, ${modified}` : ''}]),
    ]
`,
  );
  const later = [
    around.added === 'after' ? 'migrations.AddField(model_name="announcement", name="modified", field=models.DateTimeField(auto_now=True)),' : '',
    around.removed === 'after' ? 'migrations.RemoveField(model_name="announcement", name="modified"),' : '',
  ].filter((l) => l !== '');
  writeFileIn(
    join(root, 'activity/migrations/0002_fill_uuids.py'),
    `import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    Announcement = apps.get_model("activity", "Announcement")
    for obj in Announcement.objects.all():
        obj.uuid = uuid.uuid4()
        obj.save()


class Migration(migrations.Migration):
    dependencies = [("activity", "0001_initial")]
    operations = [
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        ${later.join('\n        ')}
    ]
`,
  );
  return root;
}

async function fixedLoop(root: string): Promise<string> {
  const file = join(root, 'activity/migrations/0002_fill_uuids.py');
  const loop = (await lintProject(root)).get(file)?.findings.find((f) => f.rule === 'unbatched-save-loop');
  assert.ok(loop?.fixes[0], loop?.message ?? 'no finding');
  const after = applyEdits(readFileSync(file, 'utf8'), loop.fixes[0].edits);
  assert.equal(await pythonSyntaxError(after), null);
  return after;
}

describe('auto_now fields as the RunPython sees the model', () => {
  it('does not stamp a field the migration adds after the RunPython', async () => {
    const after = await fixedLoop(project(false, { added: 'after' }));
    assert.doesNotMatch(after, /get_field\("modified"\)/);
    assert.match(after, /bulk_update\(batch, \["uuid"\]\)/);
  });

  it('stamps one the model has there, even when the migration removes it afterwards', async () => {
    for (const around of [{}, { removed: 'after' as const }]) {
      const after = await fixedLoop(project(true, around));
      assert.match(after, /\n {8}obj\._meta\.get_field\("modified"\)\.pre_save\(obj, False\)/, JSON.stringify(around));
      assert.match(after, /bulk_update\(batch, \["uuid", "modified"\]\)/, JSON.stringify(around));
    }
  });
});

/**
 * "Batch this loop" refuses a model whose migrations give it a mixin with a save() of its own
 * wherever the model is reached (review 32: opencraft's ValidateModelMixin.save() runs full_clean()):
 * picked per name from a fixed list, walked through a generator of get_model() calls, an object
 * reached from the row by a relation, and in a migration a squash replaced (no node of its own in
 * the graph: the squash's bases stand for it). The CLI lints without the view first and again with
 * it where a rule asked, as a user runs it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';

const temps = new TempDirs();
after(() => temps.removeAll());

const loop = (deps: string, body: string, extra = '') => `from django.db import migrations


def forwards(apps, schema_editor):
${body}


class Migration(migrations.Migration):
    dependencies = [${deps}]
${extra}
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;

describe('a mixin save() found wherever the loop reaches the model', () => {
  it('refuses the bulk rewrite for models picked from a list, a generator, a relation, and inside a squash', () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop/__init__.py'), '');
    writeFileIn(join(root, 'shop/mixins.py'), 'class Validated(object):\n    def save(self, *args, **kwargs):\n        self.full_clean()\n        super().save(*args, **kwargs)\n');
    writeFileIn(join(root, 'shop/migrations/__init__.py'), '');
    writeFileIn(
      join(root, 'shop/migrations/0001_initial.py'),
      `import django.db.models.deletion
import shop.mixins
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Server", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))], bases=(shop.mixins.Validated, models.Model)),
        migrations.CreateModel(name="Host", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))]),
        migrations.CreateModel(name="Site", fields=[("id", models.AutoField(primary_key=True)), ("active_server", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, to="shop.server"))]),
    ]
`,
    );
    writeFileIn(join(root, 'shop/migrations/0002_by_name.py'), loop('("shop", "0001_initial")', '    for name in ("Host", "Server"):\n        model = apps.get_model("shop", name)\n        for row in model.objects.all():\n            row.name = row.name.strip()\n            row.save()'));
    writeFileIn(join(root, 'shop/migrations/0003_generator.py'), loop('("shop", "0002_by_name")', '    models = (apps.get_model("shop", n) for n in ["Server"])\n    for model in models:\n        for row in model.objects.all():\n            row.name = row.name.lower()\n            row.save()'));
    writeFileIn(join(root, 'shop/migrations/0004_related.py'), loop('("shop", "0003_generator")', '    Site = apps.get_model("shop", "Site")\n    for site in Site.objects.all():\n        if site.active_server:\n            site.active_server.name = "main"\n            site.active_server.save()'));
    writeFileIn(join(root, 'shop/migrations/0005_plain.py'), loop('("shop", "0004_related")', '    Host = apps.get_model("shop", "Host")\n    for host in Host.objects.all():\n        host.name = host.name.upper()\n        host.save()'));
    writeFileIn(join(root, 'shop/migrations/0006_servers.py'), loop('("shop", "0005_plain")', '    Server = apps.get_model("shop", "Server")\n    for server in Server.objects.all():\n        server.name = server.name.upper()\n        server.save()'));
    // A squash of 0005 and 0006: the originals have no node of their own in the graph.
    writeFileIn(
      join(root, 'shop/migrations/0005_squashed_0006.py'),
      loop('("shop", "0004_related")', '    pass', '    replaces = [("shop", "0005_plain"), ("shop", "0006_servers")]\n'),
    );
    const run = runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root);
    const byFile = new Map(jsonFindings(run).map((f) => [f.path.split('/').pop() ?? '', f.message]));
    const refused = /migrations give it the base class shop\.mixins\.Validated, and it defines Validated\.save\(\), which the historical model runs and bulk writes would skip/;
    for (const file of ['0002_by_name.py', '0003_generator.py', '0004_related.py', '0006_servers.py']) assert.match(byFile.get(file) ?? '', refused, `${file}: ${byFile.get(file)}`);
    assert.match(byFile.get('0002_by_name.py') ?? '', /Server's migrations/);
    // Host has no mixin: its loop keeps its rewrite.
    assert.doesNotMatch(byFile.get('0005_plain.py') ?? '', /No (?:bulk )?rewrite is offered/);
  });
});

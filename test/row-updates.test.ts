/**
 * "Batch this loop" for a loop of queryset updates of each row (fixes/row-updates.ts): what it
 * refuses, each refusal a loop whose batch would leave other rows than the loop. The rewrites
 * themselves: test/fixtures/fixes/unbatched-save-loop/row-updates-*.py (text) and
 * test/fixtures/batch-truth loops 0052–0055, marked 0003 (rows, on PostgreSQL).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { LintOptions } from '../server/src/analysis/engine';
import { applyEdits } from './helpers/apply-edits';
import { lint } from './helpers/lint';
import { pythonSyntaxError } from './helpers/python';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';
import { join } from 'node:path';

const wrap = (body: string, head = 'from django.db import migrations') => `${head}


def forwards(apps, schema_editor):
    Ticket = apps.get_model("support", "Ticket")
${body}


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;

const on = (djangoVersion: [number, number]): LintOptions => ({ commitInBatches: false, target: { vendor: 'postgresql', postgresqlVersion: 14, djangoVersion } });

async function loopOf(body: string, options: LintOptions = on([4, 2]), head?: string) {
  const source = wrap(body, head);
  const f = (await lint(source, options)).findings.find((x) => x.rule === 'unbatched-save-loop');
  assert.ok(f, body);
  return { f, source };
}

describe('row updates batched with bulk_update()', () => {
  it('writes a plain F() only where bulk_update() keeps it (Django 4.1+, ticket #33463)', async () => {
    const body = '    for t in Ticket.objects.all():\n        Ticket.objects.filter(pk=t.pk).update(title=F("subject"))';
    const head = 'from django.db import migrations\nfrom django.db.models import F';
    const old = await loopOf(body, on([3, 2]), head);
    assert.deepEqual(old.f.fixes, []);
    assert.match(old.f.message, /No rewrite is offered: update\(\) sets title to F\("subject"\), a plain F\(\), which bulk_update\(\) writes correctly only from Django 4\.1 \(the project runs 3\.2\)/);
    const now = await loopOf(body, on([4, 2]), head);
    const fixed = applyEdits(now.source, now.f.fixes[0]?.edits ?? []);
    assert.match(fixed, /\n {8}t\.title = F\("subject"\)\n {8}updated_rows\.append\(t\)\n/);
    assert.equal(await pythonSyntaxError(fixed), null);
    // Combined with a number it is an expression every bulk_update() keeps.
    const combined = await loopOf(body.replace('F("subject")', 'F("subject") + "!"'), on([3, 2]), head);
    assert.ok(combined.f.fixes[0], combined.f.message);
  });

  it('refuses a value from the stored one where the loop may meet a row twice', async () => {
    const head = 'from django.db import migrations\nfrom django.db.models import F';
    const repeated = await loopOf('    for t in Ticket.objects.filter(tags__name="urgent"):\n        Ticket.objects.filter(pk=t.pk).update(hits=F("hits") + 1)', on([4, 2]), head);
    assert.deepEqual(repeated.f.fixes, []);
    assert.match(repeated.f.message, /update\(\) sets hits from the row's stored value \(F\(\)\), and the loop may meet a row twice/);
    // A list of keys may hold one twice too; distinct() rows may not.
    const keys = await loopOf('    for pk in ticket_keys:\n        Ticket.objects.filter(pk=pk).update(hits=F("hits") + 1)', on([4, 2]), head);
    assert.deepEqual(keys.f.fixes, []);
    const distinct = await loopOf('    for t in Ticket.objects.filter(tags__name="urgent").distinct():\n        Ticket.objects.filter(pk=t.pk).update(hits=F("hits") + 1)', on([4, 2]), head);
    assert.match(distinct.f.fixes[0]?.title ?? '', /^Batch this loop/, distinct.f.message);
    // Without F(), a row met twice gets the same value each time: the batch keeps its last copy.
    const plain = await loopOf('    for t in Ticket.objects.filter(tags__name="urgent"):\n        Ticket.objects.filter(pk=t.pk).update(hits=t.hits + 1)');
    assert.match(applyEdits(plain.source, plain.f.fixes[0]?.edits ?? []), /bulk_update\(list\(\{row\.pk: row for row in updated_rows\}\.values\(\)\), \["hits"\]\)/);
  });

  it('refuses what bulk_update() cannot write, or cannot write in the loop\'s order', async () => {
    const cases: Array<[string, RegExp]> = [
      ['Ticket.objects.filter(pk=t.pk).update(pk=t.pk + 1000)', /update\(\) sets pk, the primary key/],
      ['Ticket.objects.filter(pk=t.pk).update(owner__name="x")', /update\(\) sets owner__name, which is not a field/],
      ['Ticket.objects.filter(pk=t.pk).filter(pk=t.pk).update(state="closed")', /a queryset the loop picks per row/],
      ['Ticket.objects.filter(pk=t.pk).update(state="a")\n        Ticket.objects.filter(pk=t.pk).update(state="b", hits=0)', /two updates of Ticket set the same field with different fields beside it/],
    ];
    for (const [line, why] of cases) {
      const { f } = await loopOf(`    changes = {}\n    for t in Ticket.objects.all():\n        ${line}`);
      assert.deepEqual(f.fixes, [], line);
      assert.match(f.message, why, line);
    }
  });

  it('updates of one set of fields through one queryset share one batch', async () => {
    const { f, source } = await loopOf('    for t in Ticket.objects.all():\n        if t.hits:\n            Ticket.objects.filter(pk=t.pk).update(state="hot")\n        else:\n            Ticket.objects.filter(pk=t.pk).update(state="cold")');
    const fixed = applyEdits(source, f.fixes[0]?.edits ?? []);
    assert.equal(fixed.match(/updated_rows = \[\]/g)?.length, 1, fixed);
    assert.match(fixed, /\n {12}t\.state = "hot"\n {12}updated_rows\.append\(t\)\n/);
    assert.match(fixed, /\n {12}t\.state = "cold"\n {12}updated_rows\.append\(t\)\n/);
    assert.equal(await pythonSyntaxError(fixed), null);
  });

  it('goes through a queryset bound to a name, once (djangocms cms/0019, cms/0024)', async () => {
    const named = await loopOf('    drafts = Ticket.objects.using(alias).filter(draft=True)\n    for t in Ticket.objects.filter(state="new"):\n        drafts.filter(pk=t.pk).update(state="seen")'.replace('    drafts', '    alias = schema_editor.connection.alias\n    drafts'));
    const fixed = applyEdits(named.source, named.f.fixes[0]?.edits ?? []);
    assert.match(fixed, /\n {12}drafts\.bulk_update\(updated_rows, \["state"\]\)\n/, fixed);
    assert.equal(await pythonSyntaxError(fixed), null);
    // Also queried in the loop: the batch would hide what waits in it.
    const queried = await loopOf('    drafts = Ticket.objects.filter(draft=True)\n    for t in Ticket.objects.all():\n        if drafts.filter(state="seen").count() < 10:\n            drafts.filter(pk=t.pk).update(state="seen")');
    assert.deepEqual(queried.f.fixes, []);
    assert.match(queried.f.message, /the loop also queries drafts, the queryset it updates through/);
    // Of a model the code does not name, bound in an enclosing loop: batched only where the loop calls nothing that may read it.
    const related = (call: string) => `    for owner in Owner.objects.all():\n        tickets = owner.ticket_set.filter(open=True)\n        for pk in tickets.values_list("pk", flat=True):\n            ${call}\n            tickets.filter(pk=pk).update(rank=len(str(pk)))`;
    const plain = await loopOf(related('pass'));
    const after = applyEdits(plain.source, plain.f.fixes[0]?.edits ?? []);
    assert.match(after, /updated_rows\.append\(tickets\.model\(pk=pk, rank=len\(str\(pk\)\)\)\)/, after);
    assert.equal(await pythonSyntaxError(after), null);
    const helper = await loopOf(related('renumber(Ticket, pk)'));
    assert.deepEqual(helper.f.fixes, []);
    assert.match(helper.f.message, /it updates through tickets, whose model the template cannot name, and the loop calls renumber\(\)/);
  });

  it('leaves the batched updates as readable to missing-atomic-false as the updates were: no atomic = False where a run again changes committed rows', async () => {
    const batched = (value: string) => `from django.db import migrations


def forwards(apps, schema_editor):
    Ticket = apps.get_model("support", "Ticket")
    updated_rows = []
    for t in Ticket.objects.all().iterator(chunk_size=100):
        updated_rows.append(Ticket(pk=t.pk, title=${value}))
        if len(updated_rows) >= 100:
            Ticket.objects.bulk_update(list({row.pk: row for row in updated_rows}.values()), ["title"])
            updated_rows.clear()
    if updated_rows:
        Ticket.objects.bulk_update(list({row.pk: row for row in updated_rows}.values()), ["title"])


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;
    const atomicOf = async (value: string) => (await lint(batched(value), {})).findings.find((f) => f.rule === 'missing-atomic-false');
    const prefixed = await atomicOf('"Re: " + t.title');
    assert.deepEqual(prefixed?.fixes, []);
    assert.match(prefixed?.message ?? '', /First make it safe to run again: it sets t\.title from its own value/);
    // The same value again on a second run: atomic = False is offered, the dedupe flush read as the loop's own.
    const same = await atomicOf('t.title.strip()');
    assert.deepEqual(same?.fixes.map((f) => f.title), ['Set atomic = False on the migration']);
  });

  it('counts an update keyed by another primary key the view names, read off the row by that name (review 31: ocw-studio websites/0031)', () => {
    const temps = new TempDirs();
    after(() => temps.removeAll());
    const root = temps.make();
    writeFileIn(join(root, 'sites/__init__.py'), '');
    writeFileIn(join(root, 'sites/migrations/__init__.py'), '');
    writeFileIn(
      join(root, 'sites/migrations/0001_initial.py'),
      'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Site", fields=[("uuid", models.UUIDField(primary_key=True)), ("name", models.CharField(max_length=40)), ("slug", models.CharField(max_length=40, null=True))])]\n',
    );
    const body = (key: string) => `from django.db import migrations


def fill_slugs(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    for site in Site.objects.values("uuid", "name"):
        Site.objects.filter(${key}=site["${key}"]).update(slug=site["name"][:40].lower())


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial")]
    operations = [migrations.RunPython(fill_slugs, migrations.RunPython.noop)]
`;
    writeFileIn(join(root, 'sites/migrations/0002_fill_slugs.py'), body('uuid'));
    const found = jsonFindings(runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root));
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.match(found[0]?.message ?? '', /one UPDATE per row/);
    // By a column that is not unique, an update may write many rows: a batch of its own, no finding.
    writeFileIn(join(root, 'sites/migrations/0002_fill_slugs.py'), body('name'));
    assert.deepEqual(jsonFindings(runCli(['check', '--no-cache', '--select', 'unbatched-save-loop', '--format', 'json', '.'], root)), []);
  });
});

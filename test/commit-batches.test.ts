/**
 * "Commit this loop in batches" (fixes/commit-batches.ts): offered for a save loop no bulk rewrite
 * fits, never next to one; refused, with the reason in the finding's message, where the rows would
 * not commit per batch or the loop's control flow would change. What it writes parses, keeps the
 * file's line endings, and leaves no unbatched-save-loop or missing-atomic-false finding behind.
 * The fixed text of whole files: test/fixtures/fixes/unbatched-save-loop/commit-*.py; the rows it
 * leaves on PostgreSQL: test/fixtures/batch-truth/loops (batch-template-truth.test.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyEdits } from './helpers/apply-edits';
import { TempDirs, writeFileIn } from './helpers/cli';
import { lint, lintProject } from './helpers/lint';
import { pythonSyntaxError } from './helpers/python';

const RULE = 'unbatched-save-loop';
const TITLE = 'Commit this loop in batches';

/** A migration whose function holds `body` (indented by four), with `ops` after its RunPython and `head` as the class's first lines. */
function migration(body: string, opts: { head?: string; ops?: string; runPython?: string; decorator?: string; imports?: string } = {}): string {
  return [
    opts.imports ?? 'from django.db import migrations',
    '',
    '',
    ...(opts.decorator ? [opts.decorator] : []),
    'def forwards(apps, schema_editor):',
    '    Ticket = apps.get_model("desk", "Ticket")',
    '    Reply = apps.get_model("desk", "Reply")',
    ...body.split('\n').map((l) => (l ? `    ${l}` : l)),
    '',
    '',
    'class Migration(migrations.Migration):',
    ...(opts.head ? [`    ${opts.head}`] : []),
    '    dependencies = [("desk", "0004_reply")]',
    `    operations = [migrations.RunPython(${opts.runPython ?? 'forwards, migrations.RunPython.noop'})${opts.ops ?? ''}]`,
    '',
  ].join('\n');
}

/** A loop no bulk rewrite fits: each reply it creates is the parent of the next (a value kept from row to row). */
const CHAINED = ['last = None', 'for ticket in Ticket.objects.all():', '    last = Reply.objects.create(ticket=ticket, parent=last)'].join('\n');

async function finding(source: string) {
  const { findings } = await lint(source, {});
  const f = findings.find((x) => x.rule === RULE);
  assert.ok(f, `no ${RULE} finding in:\n${source}`);
  return f;
}

describe('commit this loop in batches', () => {
  it('is offered for a loop no bulk rewrite fits, and its result parses and passes the rules', async () => {
    const source = migration(CHAINED);
    const f = await finding(source);
    const fix = f.fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(fix, `offered: ${f.fixes.map((x) => x.title).join(' | ')}`);
    assert.match(f.message, /No bulk rewrite is offered: .*; the quick fix commits it in batches of 1000 instead\.$/);
    assert.equal(fix.safe, false, 'an unsafe fix: never applied by --fix');
    const after = applyEdits(source, fix.edits);
    assert.equal(pythonSyntaxError(after), null, after);
    assert.match(after, /^from django\.db import migrations, transaction$/m);
    assert.match(after, /^from itertools import islice$/m);
    assert.match(after, /^ {4}atomic = False$/m);
    assert.match(after, /with transaction\.atomic\(using=schema_editor\.connection\.alias\):\n {12}for ticket in chunk:\n {16}last = Reply\.objects\.create\(ticket=ticket, parent=last\)/);
    const left = (await lint(after, {})).findings.filter((x) => x.rule === RULE || x.rule === 'missing-atomic-false' || x.rule === 'syntax-error');
    assert.deepEqual(left.map((x) => `${x.rule}:${x.range.start.line + 1}`), []);
  });

  it('keeps a file written with CRLF line endings in CRLF', async () => {
    const source = migration(CHAINED).replace(/\n/g, '\r\n');
    const fix = (await finding(source)).fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(fix);
    const after = applyEdits(source, fix.edits);
    assert.equal(pythonSyntaxError(after), null);
    assert.ok(!/[^\r]\n/.test(after), 'every line break is CRLF');
  });

  it("names the migration's database through the schema editor a helper is given, and through a local bound to its alias", async () => {
    const helper = [
      'from django.db import migrations',
      '',
      '',
      'def chain(Ticket, Reply, editor):',
      '    last = None',
      '    for ticket in Ticket.objects.all():',
      '        last = Reply.objects.create(ticket=ticket, parent=last)',
      '',
      '',
      'def forwards(apps, schema_editor):',
      '    chain(apps.get_model("desk", "Ticket"), apps.get_model("desk", "Reply"), schema_editor)',
      '',
      '',
      'class Migration(migrations.Migration):',
      '    dependencies = [("desk", "0004_reply")]',
      '    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]',
      '',
    ].join('\n');
    const viaHelper = (await finding(helper)).fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(viaHelper);
    assert.match(applyEdits(helper, viaHelper.edits), /with transaction\.atomic\(using=editor\.connection\.alias\):/);
    const local = migration(`alias = schema_editor.connection.alias\n${CHAINED}`);
    const viaLocal = (await finding(local)).fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(viaLocal);
    assert.match(applyEdits(local, viaLocal.edits), /with transaction\.atomic\(using=alias\):/);
  });

  it('commits the outer loop of a loop over each row\'s children, and marks a loop that creates rows', async () => {
    const nested = migration(['for ticket in Ticket.objects.all():', '    for reply in ticket.replies.all():', '        reply.seen = True', '        reply.save(force_update=True)'].join('\n'));
    const f = await finding(nested);
    assert.equal(f.range.start.line, 7, "the finding stays on the inner loop (line 8)");
    const fix = f.fixes.find((x) => x.title.startsWith('Commit the loop at line 7 in batches of 1000'));
    assert.ok(fix, f.fixes.map((x) => x.title).join(' | '));
    const after = applyEdits(nested, fix.edits);
    assert.match(after, /rows = iter\(Ticket\.objects\.all\(\)\)[^]*for ticket in chunk:\n {16}for reply in ticket\.replies\.all\(\):\n {20}reply\.seen = True/);
    assert.doesNotMatch(after, /it creates rows/, 'an update loop gets no line about rows created again');
    assert.deepEqual((await lint(after, {})).findings.filter((x) => x.rule === RULE), [], 'the inner loop is committed a batch of tickets at a time');
    const creates = (await finding(migration(CHAINED))).fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(creates);
    const created = applyEdits(migration(CHAINED), creates.edits);
    assert.match(created, /# TODO\(migration-guard\): it creates rows: a run after a failure creates them again unless it skips rows already done/);
  });

  it('is offered in a migration already atomic = False whatever else it writes: nothing else changes transaction', async () => {
    const source = migration(`Reply.objects.filter(ticket=None).delete()\n${CHAINED}`, { head: 'atomic = False' });
    const fix = (await finding(source)).fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(fix);
    assert.equal(fix.title, 'Commit this loop in batches of 1000, each in its own transaction');
    assert.doesNotMatch(applyEdits(source, fix.edits), /Each batch of the data migration commits on its own/);
  });

  it('is not offered where a bulk rewrite is', async () => {
    const f = await finding(migration(['for ticket in Ticket.objects.all():', '    ticket.state = "open"', '    ticket.save()'].join('\n')));
    assert.ok(f.fixes.length > 0);
    assert.ok(!f.fixes.some((x) => x.title.startsWith(TITLE)), f.fixes.map((x) => x.title).join(' | '));
  });

  const refusals: Array<[string, string, Parameters<typeof migration>[1]]> = [
    ['a break of the loop', `${CHAINED}\n    if last.pk > 100:\n        break`, {}],
    ['an else clause', `${CHAINED}\nelse:\n    print("done")`, {}],
    ['a migration that also changes the schema', CHAINED, { ops: ', migrations.AddField("ticket", "closed", models.BooleanField(default=False))', imports: 'from django.db import migrations, models' }],
    ['a function decorated @transaction.atomic', CHAINED, { decorator: '@transaction.atomic', imports: 'from django.db import migrations, transaction' }],
    ['RunPython(atomic=True)', CHAINED, { runPython: 'forwards, migrations.RunPython.noop, atomic=True' }],
    ['an atomic block around the loop', `with transaction.atomic():\n${CHAINED.replace(/^/gm, '    ')}`, { imports: 'from django.db import migrations, transaction' }],
    ['a computed atomic', CHAINED, { head: 'atomic = not True' }],
    ['a write before the loop, in an atomic migration', `Reply.objects.filter(ticket=None).delete()\n${CHAINED}`, {}],
    ['a sibling loop that writes, in an atomic migration', `${CHAINED}\nfor reply in Reply.objects.all():\n    reply.seen = True\n    reply.save(update_fields=["seen"])`, {}],
    ['a many-to-many clear() after the loop, in an atomic migration', `${CHAINED}\nlast.tickets.clear()`, {}],
    ['another RunPython that writes, in an atomic migration', CHAINED, { ops: ', migrations.RunPython(forwards, migrations.RunPython.noop)' }],
    ['a write before the loop, in a migration that also changes the schema', `Reply.objects.filter(ticket=None).delete()\n${CHAINED}`, { ops: ', migrations.AddField("ticket", "closed", models.BooleanField(default=False))', imports: 'from django.db import migrations, models' }],
    ['a try that catches Exception around the writes', CHAINED.replace('    last = Reply', '    try:\n        last = Reply').concat('\n    except Exception:\n        pass'), {}],
    // arches 6020: a helper's loop over one row's items, called once per row.
    ['a loop in a helper called once per row', 'for ticket in Ticket.objects.all():\n    close_replies(ticket)', { head: 'atomic = False', imports: 'from django.db import migrations\n\n\ndef close_replies(ticket):\n    for reply in ticket.replies.all():\n        reply.closed = True\n        reply.save(update_fields=["closed"])\n        if reply.pk == 0:\n            return reply' }],
    // rapidpro knowledge/0002: apply_manual() calls the function with schema_editor=None.
    ['a call of the function from the file itself', CHAINED, { head: 'atomic = False', imports: 'from django.db import migrations\n\n\ndef apply_manual():\n    from django.apps import apps\n\n    forwards(apps, None)' }],
  ];
  const why: Record<string, RegExp> = {
    'a break of the loop': /breaks out early/,
    'an else clause': /`else:` clause/,
    'a migration that also changes the schema': /also changes the schema.*Split Migration/,
    'a function decorated @transaction.atomic': /decorated @transaction\.atomic/,
    'RunPython(atomic=True)': /RunPython\(atomic=True\) runs it in one transaction/,
    'an atomic block around the loop': /inside a transaction\.atomic\(\) block already/,
    'a computed atomic': /atomic is computed/,
    'a write before the loop, in an atomic migration': /also writes outside the loop \(line 7\), which atomic = False would take out of the migration's transaction/,
    'a sibling loop that writes, in an atomic migration': /also writes outside the loop \(line 12\)/,
    'a many-to-many clear() after the loop, in an atomic migration': /also writes outside the loop \(line 10\)/,
    'another RunPython that writes, in an atomic migration': /the migration does other work, which atomic = False would take out of its transaction: .*RunPython at line 14 writes too/,
    // Not "split first": after a split, the write before the loop would still stand in the way.
    'a write before the loop, in a migration that also changes the schema': /nor is committing it in batches: the function also writes outside the loop \(line 7\)/,
    'a try that catches Exception around the writes': /catches database errors \(line 9\): inside a batch's transaction, a caught error would throw the whole batch away/,
    'a loop in a helper called once per row': /close_replies\(\) is called once per row of the loop at line \d+: its batches would commit once per call/,
    'a call of the function from the file itself': /the file also calls forwards\(\) itself \(line 7\), where the schema editor the batches take their database from may not be one/,
  };
  for (const [name, body, opts] of refusals) {
    it(`is refused, saying why, for ${name}`, async () => {
      const source = migration(body, opts);
      assert.equal(pythonSyntaxError(source), null, source);
      const f = await finding(source);
      assert.ok(!f.fixes.some((x) => x.title.startsWith(TITLE)), `offered for ${name}`);
      assert.match(f.message, /No rewrite is offered: .*; nor is committing it in batches: /);
      assert.match(f.message, why[name] as RegExp);
      assert.equal(f.splitFirst, name === 'a migration that also changes the schema' ? true : undefined, 'Split Migration is offered only where the schema alone stands in the way');
    });
  }
});

describe("missing-atomic-false: atomic = False offered only where nothing else would lose the transaction", () => {
  const BATCHED = ['while True:', '    ids = list(Ticket.objects.filter(state=None).values_list("pk", flat=True)[:1000])', '    if not ids:', '        break', '    Ticket.objects.filter(pk__in=ids).update(state="open")'].join('\n');
  const atomicFix = async (source: string) => {
    const f = (await lint(source, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(f, source);
    return { f, fix: f.fixes.find((x) => x.title === 'Set atomic = False on the migration') };
  };
  it('offers it for batching code alone, and for a loop flushing what it collected after it', async () => {
    assert.ok((await atomicFix(migration(BATCHED))).fix);
    const collected = ['batch = []', 'for ticket in Ticket.objects.iterator(chunk_size=1000):', '    ticket.state = "open"', '    batch.append(ticket)', '    if len(batch) >= 1000:', '        Ticket.objects.bulk_update(batch, ["state"])', '        batch.clear()', 'if batch:', '    Ticket.objects.bulk_update(batch, ["state"])'].join('\n');
    assert.ok((await atomicFix(migration(collected))).fix);
  });
  it('offers none, and says why, where the function or another operation writes too', async () => {
    const before = await atomicFix(migration(`Reply.objects.filter(ticket=None).delete()\n${BATCHED}`));
    assert.equal(before.fix, undefined);
    assert.match(before.f.message, /Move the batched work into a migration of its own and set atomic = False there: here it would also take the writes at line 7 outside the batching loop out of the transaction/);
    const other = await atomicFix(migration(BATCHED, { ops: ', migrations.RunSQL("UPDATE desk_reply SET seen = true", migrations.RunSQL.noop)' }));
    assert.equal(other.fix, undefined);
    assert.match(other.f.message, /here it would also take RunSQL at line \d+ out of the transaction/);
  });
  it('takes the writes of a second batching loop for batched work, not writes outside it (review 75: EveryElection elections/0090)', async () => {
    const lists = [
      'opened, closed = [], []',
      'for ticket in Ticket.objects.iterator(chunk_size=1000):',
      '    ticket.state = "open"',
      '    opened.append(ticket)',
      'for i in range(0, len(opened), 1000):',
      '    Ticket.objects.bulk_update(opened[i : i + 1000], ["state"])',
      'for i in range(0, len(closed), 1000):',
      '    Ticket.objects.bulk_update(closed[i : i + 1000], ["state"])',
    ].join('\n');
    const two = await atomicFix(migration(lists));
    assert.ok(two.fix, two.f.message);
    assert.doesNotMatch(two.f.message, /outside the batching loop|Move the batched work/);
    // The loop slices a list the code built: no windows of ids.
    assert.match(two.f.message, /\(the loop at line \d+ writes opened in slices, with range\(…, len\(opened\), step\)\)/);
    // A write outside every batching loop is still one.
    const more = await atomicFix(migration(`${lists}\nReply.objects.filter(ticket=None).delete()`));
    assert.equal(more.fix, undefined);
    assert.match(more.f.message, /the writes at line \d+ outside the batching loop/);
  });
});

describe('a loop that sets a field from its own value (review 21: kiwi testcases/0014)', () => {
  const saved = (lines: string[]) => ['for ticket in Ticket.objects.all():', ...lines.map((l) => `    ${l}`), '    ticket.save(force_update=True)'].join('\n');

  it('is not committed in batches where the loop replays rows against what it wrote, skipping some (review 29: pydis-site api/0044)', async () => {
    const replay = [
      'for ticket in Ticket.objects.order_by("created"):',
      '    if Reply.objects.filter(author=ticket.author, open=True).exists():',
      '        continue',
      '    last = Reply.objects.create(ticket=ticket, author=ticket.author, parent=last, open=True)',
      '    ticket.delete()',
    ].join('\n');
    const f = await finding(migration(`last = None\n${replay}`));
    assert.equal(f.fixes.find((x) => x.title.startsWith(TITLE)), undefined);
    assert.match(f.message, /nor is committing it in batches: the loop decides what to do with each row from Reply, which it writes too, and leaves some rows as they were \(`continue`\)/);
    // Without a row left as it was, every row is done the first time it is reached: offered.
    const every = await finding(migration(`last = None\n${replay.replace('        continue', '        last = None')}`));
    assert.ok(every.fixes.find((x) => x.title.startsWith(TITLE)), every.message);
  });

  it('is not committed in batches where a run after a failure would change the committed rows again', async () => {
    for (const lines of [['ticket.title = "Re: " + ticket.title'], ['ticket.title = f"Re: {ticket.title}"'], ['ticket.views += 1'], ['if ticket.title:', '    ticket.title = "[{}] {}".format(ticket.pk, ticket.title)']]) {
      const f = await finding(migration(saved(lines), { head: 'atomic = False' }));
      assert.equal(f.fixes.find((x) => x.title.startsWith(TITLE)), undefined, lines.join('; '));
      assert.match(f.message, /nor is committing it in batches: the loop sets ticket\.(title|views) from its own value \(line \d+\): run again after a failure, the rows already committed would be changed twice\.$/, lines.join('; '));
    }
  });

  it('is not committed in batches where the value is any other transform of its own, or moved from a field the loop changes (review 22)', async () => {
    const cases: Array<[string[], RegExp]> = [
      // bluebottle activities/0077: the text wrapped in JSON again on each run.
      [['ticket.title = json.dumps({"html": ticket.title, "delta": ""})'], /ticket\.title from its own value/],
      // adhocracy4 phases/0006: through a name computed from the field.
      [['parts = ticket.title.split(":")', 'ticket.title = ":".join([parts[0], parts[2]])'], /ticket\.title from its own value/],
      // adhocracy4 projects/0041: through an object built from it, tested only for being non-empty.
      [['soup = parse(ticket.title)', 'frames = soup.find_all("iframe")', 'if frames:', '    ticket.title = soup.prettify()'], /ticket\.title from its own value/],
      [['ticket.title = TITLES.get(ticket.title, ticket.title)'], /ticket\.title from its own value/],
      // mitxonline cms/0030: moved, then cleared.
      [['ticket.body = ticket.title', 'ticket.title = ""'], /ticket\.body from ticket\.title, which the loop changes too/],
      // Review 31, ocw-studio websites/0040: an entry of a JSON field bumped through a name bound to a part of it.
      [['for item in ticket.data["items"]:', '    item["weight"] += 10'], /ticket\.data from its own value, in place/],
      // ocw-studio websites/0052, backwards: a field moved into an entry of another, then cleared.
      [['ticket.data["description"] = ticket.body', 'ticket.body = ""'], /ticket\.data from ticket\.body, which the loop changes too/],
      // …and forwards: the test inside the value only picks its form, it skips no done row.
      [['ticket.body = ticket.data["d"] if ticket.body == "" else f"{ticket.body}\\n\\n{ticket.data[\'d\']}"', 'ticket.data["d"] = ""'], /ticket\.body from its own value/],
    ];
    for (const [lines, why] of cases) {
      const f = await finding(migration(saved(lines), { head: 'atomic = False' }));
      assert.equal(f.fixes.find((x) => x.title.startsWith(TITLE)), undefined, lines.join('; '));
      assert.match(f.message, why, lines.join('; '));
    }
  });

  it('is committed in batches where the value comes out the same again, or the loop tells done rows apart', async () => {
    for (const lines of [
      ['ticket.title = ticket.title.strip()'],
      ['ticket.title = ticket.title or "untitled"'],
      ['ticket.title = slugify(ticket.title.strip().lower())'],
      ['if not ticket.title.startswith("Re: "):', '    ticket.title = "Re: " + ticket.title'],
      ['parts = ticket.title.split(":")', 'if len(parts) == 3:', '    ticket.title = ":".join([parts[0], parts[2]])'],
      ['if ticket.title:', '    ticket.body = ticket.title', '    ticket.title = ""'],
      ['ticket.body = ticket.title'],
    ]) {
      const f = await finding(migration(saved(lines), { head: 'atomic = False' }));
      assert.ok(f.fixes.find((x) => x.title.startsWith(TITLE)), `${lines.join('; ')}: ${f.message}`);
    }
    const filtered = migration(['for ticket in Ticket.objects.exclude(title__startswith="Re: "):', '    ticket.title = "Re: " + ticket.title', '    ticket.save(force_update=True)'].join('\n'), { head: 'atomic = False' });
    assert.ok((await finding(filtered)).fixes.find((x) => x.title.startsWith(TITLE)));
    // A query that asks only whether a key of the field is set tells no done row apart (ocw-studio `metadata__leftnav__isnull=False`).
    const present = migration(['for ticket in Ticket.objects.filter(data__items__isnull=False):', '    for item in ticket.data["items"]:', '        item["weight"] += 10', '    ticket.save(force_update=True)'].join('\n'), { head: 'atomic = False' });
    const f = await finding(present);
    assert.equal(f.fixes.find((x) => x.title.startsWith(TITLE)), undefined, f.message);
    assert.match(f.message, /ticket\.data from its own value, in place/);
  });

  it('gets no atomic = False where a with transaction.atomic() block holds the batching, which it would leave in one transaction (review 31: ocw-studio 0056, 0064)', async () => {
    const flushLoop = ['batch = []', 'for ticket in Ticket.objects.all().iterator(chunk_size=500):', '    ticket.title = ticket.title.strip()', '    batch.append(ticket)', '    if len(batch) >= 500:', '        Ticket.objects.bulk_update(batch, ["title"])', '        batch.clear()', 'if batch:', '    Ticket.objects.bulk_update(batch, ["title"])'];
    const atomicOf = async (source: string) => (await lint(source, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    const imports = 'from django.db import migrations, transaction';
    const held = await atomicOf(migration(['with transaction.atomic():', ...flushLoop.map((l) => `    ${l}`)].join('\n'), { imports }));
    assert.deepEqual(held?.fixes, []);
    assert.match(held?.message ?? '', /Take the batching out of the `with transaction\.atomic\(\):` block at line 7 too: it keeps the batches in one transaction even then\./);
    // In a helper the function calls inside such a block.
    const helper = ['def strip_titles(Ticket):', ...flushLoop.map((l) => `    ${l}`), '', '', 'def forwards(apps, schema_editor):', '    Ticket = apps.get_model("desk", "Ticket")', '    with transaction.atomic():', '        strip_titles(Ticket)'].join('\n');
    const viaHelper = await atomicOf(`${imports}\n\n\n${helper}\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("desk", "0004_reply")]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n`);
    assert.deepEqual(viaHelper?.fixes, []);
    assert.match(viaHelper?.message ?? '', /Take the batching out of the `with transaction\.atomic\(\):` block at line 18 too/);
    // Two calls down: the function RunPython calls opens the block and calls the batching helper (review 33: ocw-studio 0061).
    const deeper = ['def strip_titles(Ticket):', ...flushLoop.map((l) => `    ${l}`), '', '', 'def update_all(apps):', '    Ticket = apps.get_model("desk", "Ticket")', '    with transaction.atomic():', '        strip_titles(Ticket)', '', '', 'def forwards(apps, schema_editor):', '    update_all(apps)'].join('\n');
    const twoDown = await atomicOf(`${imports}\n\n\n${deeper}\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("desk", "0004_reply")]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n`);
    assert.deepEqual(twoDown?.fixes, []);
    assert.match(twoDown?.message ?? '', /Take the batching out of the `with transaction\.atomic\(\):` block at line 18 too/);
    // Without the block: atomic = False is the fix.
    const free = await atomicOf(migration(flushLoop.join('\n')));
    assert.deepEqual(free?.fixes.map((f) => f.title), ['Set atomic = False on the migration']);
  });

  it('commits the row loop, not a loop over a few model classes around it, and keeps a reverse that writes in a transaction of its own (review 33: opencraft 0066, 0141)', async () => {
    const body = ['for model in (apps.get_model("desk", name) for name in ["Ticket", "Reply"]):', '    last = None', '    for row in model.objects.all():', '        last = Reply.objects.create(ticket_id=row.pk, parent=last)'].join('\n');
    const f = await finding(migration(body));
    const fix = f.fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(fix, f.message);
    assert.match(applyEdits(migration(body), fix.edits), /\n {8}rows = iter\(model\.objects\.all\(\)\)\n/);
    // Its reverse writes too: a migration of its own would still hold it.
    const reversed = [
      'from django.db import migrations',
      '',
      '',
      'def forwards(apps, schema_editor):',
      '    Ticket = apps.get_model("desk", "Ticket")',
      '    Reply = apps.get_model("desk", "Reply")',
      ...CHAINED.split('\n').map((l) => `    ${l}`),
      '',
      '',
      'def backwards(apps, schema_editor):',
      '    Reply = apps.get_model("desk", "Reply")',
      '    for reply in Reply.objects.all():',
      '        reply.delete()',
      '',
      '',
      'class Migration(migrations.Migration):',
      '    dependencies = [("desk", "0004_reply")]',
      '    operations = [migrations.RunPython(forwards, backwards)]',
      '',
    ].join('\n');
    // The reverse keeps a transaction of its own: wrapped in transaction.atomic(), as the migration's was.
    const r = await finding(reversed);
    const both = r.fixes.find((x) => x.title.startsWith(TITLE));
    assert.ok(both, r.message);
    assert.match(both.title, /\(atomic = False\); backwards\(\) in a transaction of its own$/);
    const fixed = applyEdits(reversed, both.edits);
    assert.equal(pythonSyntaxError(fixed), null, fixed);
    assert.match(fixed, /\ndef backwards\(apps, schema_editor\):\n {4}with transaction\.atomic\(using=schema_editor\.connection\.alias\):\n {8}Reply = apps\.get_model\("desk", "Reply"\)\n {8}for reply in Reply\.objects\.all\(\):\n {12}reply\.delete\(\)\n/);
    assert.match(fixed, /\n {4}atomic = False\n/);
    // The forward loop is committed in batches; the reverse's own loop runs in the reverse's transaction.
    const again = await lint(fixed, {});
    assert.equal(again.findings.filter((x) => x.rule === RULE && x.range.start.line < fixed.split('\n').findIndex((l) => l.startsWith('def backwards'))).length, 0, JSON.stringify(again.findings));
    assert.match(again.findings.find((x) => x.rule === RULE)?.message ?? '', /one DELETE per row, all inside the transaction\.atomic\(\) block around the loop\./);
    // A docstring stays the function's first statement.
    const documented = reversed.replace('def backwards(apps, schema_editor):\n', 'def backwards(apps, schema_editor):\n    """Remove the replies.\n\n    All of them.\n    """\n');
    const kept = applyEdits(documented, (await finding(documented)).fixes.find((x) => x.title.startsWith(TITLE))?.edits ?? []);
    assert.equal(pythonSyntaxError(kept), null, kept);
    assert.match(kept, /\n {4}All of them\.\n {4}"""\n {4}with transaction\.atomic\(using=schema_editor\.connection\.alias\):\n {8}Reply = /);
    // A reverse written as a lambda has no body to wrap: the reason is said.
    const lambda = reversed.replace('RunPython(forwards, backwards)', 'RunPython(forwards, lambda apps, schema_editor: apps.get_model("desk", "Reply").objects.all().delete())');
    const l = await finding(lambda);
    assert.equal(l.fixes.find((x) => x.title.startsWith(TITLE)), undefined);
    assert.match(l.message, /nor is committing it in batches: the code it runs in the other direction \(.*\) writes too, and with atomic = False it would run outside a transaction as well, and .* is not a function whose body can be wrapped/);
    assert.doesNotMatch(l.message, /move this RunPython into a migration of its own/);
  });

  it('names Django before 1.10 as the reason no loop is committed in batches there (review 33: cla_backend on 1.8)', async () => {
    const { findings } = await lint(migration(CHAINED), { target: { vendor: 'postgresql', postgresqlVersion: 12, djangoVersion: [1, 8] } });
    const f = findings.find((x) => x.rule === RULE);
    assert.equal(f?.fixes.find((x) => x.title.startsWith(TITLE)), undefined);
    assert.match(f?.message ?? '', /nor is committing it in batches: atomic = False, which it needs, came in Django 1\.10 \(the project runs 1\.8\): before, every migration runs in one transaction\.$/);
  });

  it("gets no atomic = False from missing-atomic-false for batching that would change committed rows again", async () => {
    const batched = (assign: string) =>
      migration(
        [
          'batch = []',
          'for ticket in Ticket.objects.all().iterator(chunk_size=500):',
          `    ${assign}`,
          '    batch.append(ticket)',
          '    if len(batch) >= 500:',
          '        Ticket.objects.bulk_update(batch, ["title"])',
          '        batch.clear()',
          'if batch:',
          '    Ticket.objects.bulk_update(batch, ["title"])',
        ].join('\n'),
      );
    const { findings } = await lint(batched('ticket.title = "Re: " + ticket.title'), {});
    const growing = findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(growing);
    assert.deepEqual(growing.fixes, []);
    assert.match(growing.message, /First make it safe to run again: it sets ticket\.title from its own value \(line \d+\)/);
    const same = (await lint(batched('ticket.title = ticket.title.strip()'), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.equal(same?.fixes.length, 1);
    // Review 22: the bulk rewrite of bluebottle's JSON wrapping, then atomic = False, would wrap committed rows again.
    const wrapped = (await lint(batched('ticket.title = json.dumps({"html": ticket.title})'), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.deepEqual(wrapped?.fixes, []);
    assert.match(wrapped?.message ?? '', /First make it safe to run again: it sets ticket\.title from its own value/);
  });

  it('gets no atomic = False for pages whose rows an inner loop changes from their own values (review 73: care facility/0381, 0429)', async () => {
    const paged = (change: string[]) =>
      migration(
        [
          'pages = Paginator(Ticket.objects.order_by("id"), 500)',
          'for number in pages.page_range:',
          '    batch = []',
          '    for ticket in pages.page(number).object_list:',
          ...change.map((line) => `        ${line}`),
          '        batch.append(ticket)',
          '    Ticket.objects.bulk_update(batch, ["title", "tags"])',
        ].join('\n'),
      ).replace('from django.db import', 'from django.core.paginator import Paginator\nfrom django.db import');
    const messageOf = async (change: string[]) => (await lint(paged(change), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    const fString = await messageOf(['if ticket.title:', '    ticket.title = f"{ticket.title} | {ticket.code}"']);
    assert.ok(fString, 'the paging is batching');
    assert.deepEqual(fString.fixes, []);
    assert.match(fString.message, /First make it safe to run again: it sets ticket\.title from its own value \(line \d+\)/);
    const doubled = await messageOf(['for tag in ticket.tags:', '    tag["weight"] *= 2']);
    assert.match(doubled?.message ?? '', /First make it safe to run again: it sets ticket\.tags from its own value, in place/);
    const fine = await messageOf(['ticket.title = ticket.code']);
    assert.doesNotMatch(fine?.message ?? '', /First make it safe to run again/);
    assert.equal(fine?.fixes.length, 1);
  });

  it('batches a loop of queryset updates of each row with bulk_update(), and commits it in batches where a batch would change what the loop reads, unless a value comes from its own', async () => {
    const loop = (value: string, read = '') =>
      migration(['for ticket in Ticket.objects.filter(state="").iterator():', ...(read ? [`    ${read}`] : []), `    Ticket.objects.filter(pk=ticket.pk).update(title=${value})`].join('\n'));
    // The template collects the rows (row-updates.ts); committing in batches is the fallback it leaves.
    const plain = await finding(loop('ticket.title.strip()'));
    assert.match(plain.fixes[0]?.title ?? '', /^Batch this loop: collect the rows, bulk_update every 1000/, plain.message);
    assert.doesNotMatch(plain.message, /No rewrite is offered/);
    // The loop counts rows by the field it writes: batched, the count would miss the rows waiting.
    const counted = await finding(loop('ticket.title.strip()', 'seen = Ticket.objects.filter(title="x").count()'));
    assert.ok(!counted.fixes.some((x) => x.title.startsWith('Batch this loop: collect')), counted.message);
    assert.match(counted.message, /No bulk rewrite is offered: the loop queries Ticket, which it writes/);
    assert.ok(counted.fixes.some((x) => x.title.startsWith(TITLE)), counted.message);
    const prefixed = await finding(loop('"Re: " + ticket.title', 'seen = Ticket.objects.filter(title="x").count()'));
    assert.ok(!prefixed.fixes.some((x) => x.title.startsWith(TITLE)), prefixed.message);
    assert.match(prefixed.message, /nor is committing it in batches: the loop sets ticket\.title from its own value/);
  });

  it('gets no atomic = False where the loop moves a key out of a JSON field it then pops, nor where the reverse does so (review 44: Argus 0004)', async () => {
    const batchedLoop = (lines: string[], fields: string) => [
      'batch = []',
      'for ticket in Ticket.objects.filter(kind="email").iterator(chunk_size=500):',
      ...lines.map((l) => `    ${l}`),
      '    batch.append(ticket)',
      '    if len(batch) >= 500:',
      `        Ticket.objects.bulk_update(batch, ${fields})`,
      '        batch.clear()',
      'if batch:',
      `    Ticket.objects.bulk_update(batch, ${fields})`,
    ];
    const atomicOf = async (source: string) => (await lint(source, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    // Run again after a failure, the committed rows have no "synced" key any more: managed becomes False.
    const moved = await atomicOf(migration(batchedLoop(['ticket.managed = ticket.settings.get("synced", False)', 'ticket.settings.pop("synced", None)'], '["managed", "settings"]').join('\n')));
    assert.deepEqual(moved?.fixes, []);
    assert.match(moved?.message ?? '', /First make it safe to run again: it sets ticket\.managed from ticket\.settings, which the loop changes too/);
    // Popping alone is the same on a second run: atomic = False as before.
    const popped = await atomicOf(migration(batchedLoop(['ticket.settings.pop("synced", None)'], '["settings"]').join('\n')));
    assert.equal(popped?.fixes.length, 1, popped?.message);
    // The forward loop is safe, its reverse is not: atomic = False would commit the reverse piece by piece too.
    const reverse = [
      '',
      '',
      'def backwards(apps, schema_editor):',
      '    Ticket = apps.get_model("desk", "Ticket")',
      ...batchedLoop(['ticket.settings["synced"] = ticket.managed', 'ticket.managed = None'], '["settings", "managed"]').map((l) => (l ? `    ${l}` : l)),
    ].join('\n');
    const both = migration(batchedLoop(['ticket.settings.pop("synced", None)'], '["settings"]').join('\n'), { runPython: 'forwards, backwards' }).replace('\n\n\nclass Migration', `${reverse}\n\n\nclass Migration`);
    const guarded = await atomicOf(both);
    assert.deepEqual(guarded?.fixes, [], guarded?.message);
    assert.match(guarded?.message ?? '', /First make its reverse code safe to run again too \(with atomic = False it commits piece by piece as well\): it sets ticket\.settings from ticket\.managed, which the loop changes too \(line \d+\)/);
  });

  it('gets no atomic = False where a field is chosen by another the loop then changes (review 25: data-hub-api task/0011)', async () => {
    const batched = (lines: string[], query = 'Ticket.objects.all()') =>
      migration(
        [
          'batch = []',
          `for ticket in ${query}.iterator(chunk_size=500):`,
          ...lines.map((l) => `    ${l}`),
          '    batch.append(ticket)',
          '    if len(batch) >= 500:',
          '        Ticket.objects.bulk_update(batch, ["state", "archived"])',
          '        batch.clear()',
          'if batch:',
          '    Ticket.objects.bulk_update(batch, ["state", "archived"])',
        ].join('\n'),
      );
    const atomicOf = async (source: string) => (await lint(source, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    // Run again after a failure, the committed rows read archived = False and all become "open".
    const chosen = await atomicOf(batched(['ticket.state = "done" if ticket.archived else "open"', 'ticket.archived = False']));
    assert.deepEqual(chosen?.fixes, []);
    assert.match(chosen?.message ?? '', /First make it safe to run again: it sets ticket\.state from ticket\.archived, which the loop changes too/);
    // Only the archived rows, whose query a second run no longer matches: atomic = False as before.
    const guarded = await atomicOf(batched(['ticket.state = "done" if ticket.archived else "open"', 'ticket.archived = False'], 'Ticket.objects.filter(archived=True)'));
    assert.equal(guarded?.fixes.length, 1, guarded?.message);
    // An `if` around the writes tells the done rows apart: the same.
    const skipped = await atomicOf(batched(['if ticket.archived:', '    ticket.state = "done"', '    ticket.archived = False']));
    assert.equal(skipped?.fixes.length, 1, skipped?.message);
  });

  it('gets no atomic = False for batching that changes a value inside a field from itself (review 23: arches 4273)', async () => {
    const batched = (inner: string[]) =>
      migration(
        [
          'batch = []',
          'for ticket in Ticket.objects.filter(meta__isnull=False).iterator(chunk_size=500):',
          '    for entry in ticket.meta.values():',
          ...inner.map((l) => `        ${l}`),
          '    batch.append(ticket)',
          '    if len(batch) >= 500:',
          '        Ticket.objects.bulk_update(batch, ["meta"])',
          '        batch.clear()',
          'if batch:',
          '    Ticket.objects.bulk_update(batch, ["meta"])',
        ].join('\n'),
      );
    // Parsed from one format, written in another: run again, the committed rows no longer parse.
    const reparsed = (await lint(batched(['at = datetime.strptime(entry["at"], "%Y-%m-%d %H:%M")', 'entry["at"] = at.isoformat()']), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.deepEqual(reparsed?.fixes, []);
    assert.match(reparsed?.message ?? '', /First make it safe to run again: it sets ticket\.meta from its own value, in place \(line \d+\)/);
    // Another entry computed from one the loop leaves alone (taiga projects/0012): the same again.
    const slug = (await lint(batched(['entry["slug"] = slugify(entry["name"])']), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.equal(slug?.fixes.length, 1, slug?.message);
  });

  it('gets no atomic = False where a field entry is rebuilt from itself through a list, whatever tests it is set (review 23: arches 6020)', async () => {
    const source = migration(
      [
        'for ticket in Ticket.objects.all():',
        '    for key in list(ticket.links.keys()):',
        '        if key.startswith("r") and ticket.links[key] is not None:',
        '            moved = []',
        '            for target in ticket.links[key]:',
        '                moved.append(Reply.objects.create(ticket=ticket, target=target).pk)',
        '            ticket.links[key] = moved',
        '            ticket.save()',
      ].join('\n'),
    );
    // Batched (the links written with bulk_update), it gets no atomic = False: a second run would rebuild committed links again.
    const f = await finding(source);
    const batched = applyEdits(source, f.fixes[0]?.edits ?? []);
    assert.notEqual(batched, source, f.message);
    const atomic = (await lint(batched, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(atomic, batched);
    assert.deepEqual(atomic.fixes, []);
    assert.match(atomic.message, /First make it safe to run again: it sets ticket\.links from its own value, in place/);
  });

  it('gets no atomic = False where the code swallows database errors around the batching (review 24: galaxy_ng 0060)', async () => {
    const BATCHED = ['while True:', '        ids = list(Ticket.objects.filter(state=None).values_list("pk", flat=True)[:1000])', '        if not ids:', '            break', '        Ticket.objects.filter(pk__in=ids).update(state="open")'];
    const swallowing = migration(['try:', ...BATCHED.map((l) => `    ${l.trimStart() === l ? l : l}`), 'except Exception:', '    print("run it by hand")'].join('\n'));
    const f = (await lint(swallowing, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(f, swallowing);
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /First stop catching database errors around the writes \(line \d+\): with atomic = False a failure halfway would be swallowed/);
    // The same batching, errors not caught: atomic = False as before.
    const plain = (await lint(migration(BATCHED.map((l) => l.replace(/^    /, '')).join('\n')), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.equal(plain?.fixes.length, 1, plain?.message);
    // A `try` around parsing only, whose handler reads a row to log it: every write's error still stops the run (review 79: pontoon `base/0111`).
    const parsing = migration(
      [
        'batch = []',
        'for ticket in Ticket.objects.all().iterator(chunk_size=1000):',
        '    try:',
        '        ticket.state = json.loads(ticket.raw)["state"]',
        '    except Exception:',
        '        print(ticket.pk, ticket.owner.name)',
        '        ticket.state = "open"',
        '    batch.append(ticket)',
        '    if len(batch) >= 1000:',
        '        Ticket.objects.bulk_update(batch, ["state"])',
        '        batch.clear()',
        'if batch:',
        '    Ticket.objects.bulk_update(batch, ["state"])',
      ].join('\n'),
    );
    const parsed = (await lint(parsing, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(parsed, parsing);
    assert.doesNotMatch(parsed.message, /stop catching database errors/);
    assert.equal(parsed.fixes.length, 1, parsed.message);
  });

  it('gets no atomic = False for batching that inserts rows a second run would insert again (review 23: pretalx event/0023)', async () => {
    const batched = (flush: string) =>
      migration(
        [
          'replies = []',
          'for ticket in Ticket.objects.all().iterator(chunk_size=500):',
          '    replies.append(Reply(ticket=ticket, text="opened"))',
          '    if len(replies) >= 500:',
          `        ${flush}`,
          '        replies.clear()',
          'if replies:',
          `    ${flush}`,
        ].join('\n'),
      );
    const inserting = (await lint(batched('Reply.objects.bulk_create(replies)'), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(inserting);
    assert.deepEqual(inserting.fixes, []);
    assert.match(inserting.message, /First make it safe to run again: it inserts rows \(line \d+\), and after a failure a second run would insert the committed ones again unless it skips the rows already done\./);
    // Conflicts skipped: a second run inserts nothing it inserted before.
    const skipping = (await lint(batched('Reply.objects.bulk_create(replies, ignore_conflicts=True)'), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.equal(skipping?.fixes.length, 1, skipping?.message);
  });

  it('gets atomic = False for batching that skips the rows an earlier run inserted (review 73: Thunderstore repository/0064)', async () => {
    const batched = (before: string[], test: string[]) =>
      migration(
        [
          ...before,
          'replies = []',
          'for ticket in Ticket.objects.all().iterator(chunk_size=500):',
          ...test.map((l) => `    ${l}`),
          '    replies.append(Reply(ticket=ticket, text="opened"))',
          '    if len(replies) >= 500:',
          '        Reply.objects.bulk_create(replies)',
          '        replies.clear()',
          'if replies:',
          '    Reply.objects.bulk_create(replies)',
        ].join('\n'),
      );
    const caveat = /it inserts rows/;
    const messageOf = async (before: string[], test: string[]) => (await lint(batched(before, test), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    const done = ['done = set(Reply.objects.values_list("ticket_id", flat=True))'];
    for (const [before, test] of [
      [done, ['if ticket.pk in done:', '    continue']],
      [[], ['if Reply.objects.filter(ticket=ticket).exists():', '    continue']],
    ] as const) {
      const f = await messageOf([...before], [...test]);
      assert.ok(f);
      assert.doesNotMatch(f.message, caveat, test.join(' '));
      assert.equal(f.fixes.length, 1, f.message);
    }
    // Keys read from another model, or a test that does not skip: the caveat stays.
    for (const [before, test] of [
      [['done = set(Ticket.objects.values_list("pk", flat=True))'], ['if ticket.pk in done:', '    continue']],
      [done, ['if ticket.pk in done:', '    print(ticket)']],
    ] as const) {
      const f = await messageOf([...before], [...test]);
      assert.match(f?.message ?? '', caveat, test.join(' '));
    }
  });
});

describe('a loop that batches some writes and makes others per row (review 26: normandy recipes/0007)', () => {
  const source = migration(
    [
      'batch = []',
      'for ticket in Ticket.objects.all().iterator(chunk_size=500):',
      '    if ticket.tags.count():',
      '        ticket.meta = ",".join(t.name for t in ticket.tags.all())',
      '        ticket.tags.set([])',
      '        batch.append(ticket)',
      '        if len(batch) >= 500:',
      '            Ticket.objects.bulk_update(batch, ["meta"])',
      '            batch.clear()',
      'if batch:',
      '    Ticket.objects.bulk_update(batch, ["meta"])',
    ].join('\n'),
  );

  it('gets no atomic = False: the per-row writes would commit apart from the batch', async () => {
    const f = (await lint(source, {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(f, source);
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /First batch the loop's other writes too \(line 11\): with atomic = False they would commit row by row, apart from the batched ones/);
  });

  it('is not committed in batches while it holds rows for a bulk write after it', async () => {
    const f = await finding(source);
    assert.equal(f.fixes.find((x) => x.title.startsWith(TITLE)), undefined, f.fixes.map((x) => x.title).join(' | '));
    assert.match(f.message, /holds rows in `batch` for a bulk write after it, which its batches would commit apart from the rest of each row's changes/);
  });
});

describe('a loop that fills two batches (review 56: money-to-prisoners-api transaction/0039)', () => {
  const twoBatches = (arms: boolean) =>
    migration(
      [
        'tickets = []',
        'replies = []',
        'for ticket in Ticket.objects.filter(state=None).iterator(chunk_size=500):',
        '    ticket.state = "open"',
        ...(arms ? ['    if ticket.pk % 2:'] : []),
        `${arms ? '    ' : ''}    tickets.append(ticket)`,
        `${arms ? '    ' : ''}    if len(tickets) >= 500:`,
        `${arms ? '    ' : ''}        Ticket.objects.bulk_update(tickets, ["state"])`,
        `${arms ? '    ' : ''}        tickets.clear()`,
        arms ? '    else:' : '    if ticket.last_reply_id:',
        '        reply = ticket.last_reply',
        '        reply.text = "opened"',
        '        replies.append(reply)',
        '        if len(replies) >= 500:',
        '            Reply.objects.bulk_update(replies, ["text"])',
        '            replies.clear()',
        'if tickets:',
        '    Ticket.objects.bulk_update(tickets, ["state"])',
        'if replies:',
        '    Reply.objects.bulk_update(replies, ["text"])',
      ].join('\n'),
    );

  it('gets no atomic = False where one iteration fills both: they would commit at different times', async () => {
    const f = (await lint(twoBatches(false), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(f);
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /First write the loop's batches together \(replies, tickets\), each flush in one transaction\.atomic\(\) block/);
  });

  it('gets it where the batches are filled in different arms of one if (saleor order/0111)', async () => {
    const f = (await lint(twoBatches(true), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.equal(f?.fixes.length, 1, f?.message);
  });
});

describe('rows locked with select_for_update() (review 25: data-hub-api investment/0021, company_list/0019)', () => {
  const locked = (qs: string) =>
    migration(
      [
        'batch = []',
        `for ticket in ${qs}.iterator(chunk_size=500):`,
        '    ticket.state = "open"',
        '    batch.append(ticket)',
        '    if len(batch) >= 500:',
        '        Ticket.objects.bulk_update(batch, ["state"])',
        '        batch.clear()',
        'if batch:',
        '    Ticket.objects.bulk_update(batch, ["state"])',
      ].join('\n'),
    );

  it('get no atomic = False: Django refuses select_for_update() outside a transaction', async () => {
    const f = (await lint(locked('Ticket.objects.select_for_update().filter(state=None)'), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.ok(f);
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /First lock the rows per batch: it reads them with select_for_update\(\) \(line 8\), which Django refuses outside a transaction/);
    // The same rows unlocked: atomic = False as before.
    const plain = (await lint(locked('Ticket.objects.filter(state=None)'), {})).findings.find((x) => x.rule === 'missing-atomic-false');
    assert.equal(plain?.fixes.length, 1, plain?.message);
  });

  it('are not committed in batches', async () => {
    const source = migration(CHAINED.replace('Ticket.objects.all()', 'Ticket.objects.select_for_update().filter(state=None)'));
    const f = await finding(source);
    assert.equal(f.fixes.find((x) => x.title.startsWith(TITLE)), undefined, f.fixes.map((x) => x.title).join(' | '));
    assert.match(f.message, /select_for_update\(\) \(line 8\), which Django refuses outside a transaction: the batches would read their rows before their own transaction opens\.$/);
    // Without the lock, the loop is committed in batches.
    const plain = await finding(source.replace('.select_for_update()', ''));
    assert.ok(plain.fixes.find((x) => x.title.startsWith(TITLE)), plain.fixes.map((x) => x.title).join(' | '));
  });
});

describe('a migration whose schema operations run no SQL is no schema change to atomic = False', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());
  const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Ticket",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("state", models.CharField(max_length=10, default="")),
            ],
        ),
    ]
`;
  /** The project's second migration: `field` for Ticket.state, then batching RunPython code. */
  const second = (field: string) => `from django.db import migrations, models


def forwards(apps, schema_editor):
    Ticket = apps.get_model("desk", "Ticket")
    while True:
        ids = list(Ticket.objects.filter(state="").values_list("pk", flat=True)[:1000])
        if not ids:
            break
        Ticket.objects.filter(pk__in=ids).update(state="open")


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]
    operations = [
        migrations.AlterField("ticket", "state", ${field}),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
`;
  async function missingAtomicFalse(field: string) {
    const root = temps.make();
    writeFileIn(join(root, 'desk', '__init__.py'), '');
    writeFileIn(join(root, 'desk', 'migrations', '__init__.py'), '');
    writeFileIn(join(root, 'desk', 'migrations', '0001_initial.py'), INITIAL);
    writeFileIn(join(root, 'desk', 'migrations', '0002_state.py'), second(field));
    const results = await lintProject(root);
    const found = [...results.entries()].find(([file]) => file.endsWith('0002_state.py'))?.[1].findings.find((f) => f.rule === 'missing-atomic-false');
    assert.ok(found, field);
    return found;
  }

  it('offers atomic = False beside an AlterField that changes only help_text (the SQL preview shows none)', async () => {
    const f = await missingAtomicFalse('models.CharField(max_length=10, default="", help_text="Where it is")');
    assert.deepEqual(f.fixes.map((x) => x.title), ['Set atomic = False on the migration']);
    assert.match(f.message, /Set atomic = False so each batch commits on its own\.$/);
  });

  it('asks for a split first beside an AlterField that changes the column', async () => {
    const f = await missingAtomicFalse('models.CharField(max_length=20, default="", help_text="Where it is")');
    assert.deepEqual(f.fixes, []);
    assert.match(f.message, /Move the data operations into a migration of their own \(this one also changes the schema\)/);
  });
});

/**
 * The batch rewrite refuses whatever it cannot rewrite without changing the loop's meaning: the
 * finding stays, with no rewrite offered. Each case is one loop that must get no template.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lint } from './helpers/lint';

const wrap = (body: string) => `from django.db import migrations


def forwards(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Line = apps.get_model("orders", "Line")
${body}


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;

const REFUSED: Record<string, string> = {
  'returns from inside the loop': `    for order in Order.objects.all():
        if order.total is None:
            return
        order.total = 0
        order.save()`,
  'calls something that may write or mutate': `    for order in Order.objects.all():
        order.total = recompute(order)
        notify(order)
        order.save()`,
  'changes a related object': `    for order in Order.objects.all():
        order.customer.name = order.customer.name.strip()
        order.save()`,
  'rebinds the loop variable': `    for order in Order.objects.all():
        order = Order.objects.get(pk=order.pk)
        order.total = 0
        order.save()`,
  'iterates something that is not a model queryset': `    orders = list(Order.objects.all())
    for order in orders:
        order.total = 0
        order.save()`,
  'prefetches related rows (iterator would drop them)': `    for order in Order.objects.prefetch_related("lines"):
        order.total = sum(line.amount for line in order.lines.all())
        order.save()`,
  'writes more than its own row': `    for order in Order.objects.all():
        order.total = 0
        order.save()
        Line.objects.create(order=order, amount=0)`,
  'saves with arguments it cannot keep': `    for order in Order.objects.all():
        order.total = 0
        order.save(force_update=True)`,
  'uses get_or_create (needs a look-up per row)': `    for order in Order.objects.all():
        Line.objects.get_or_create(order=order, amount=0)`,
  'has a for/else': `    for order in Order.objects.all():
        order.total = 0
        order.save()
    else:
        pass`,
  'assigns nothing it can name': `    for order in Order.objects.all():
        order.save()`,
};

describe('batch template refusals', () => {
  for (const [why, body] of Object.entries(REFUSED)) {
    it(`offers no rewrite when the loop ${why}`, async () => {
      const { findings } = await lint(wrap(body));
      const loops = findings.filter((f) => f.rule === 'unbatched-save-loop');
      assert.equal(loops.length, 1, 'the loop is still reported');
      assert.deepEqual(loops[0]?.fixes.map((f) => f.title), []);
    });
  }
});

/**
 * A project whose migrations hand RunPython functions of another module (`shop/migrations/_orders.py`,
 * as awx's `_rbac.py` and openwisp's migrations package are used): 0002 runs `orders.close_stale`
 * forwards and `orders.reopen` backwards, 0003 runs `archive` imported relatively, and 0004's own
 * RunPython code calls `stamp(apps, …)`, forwards through a helper and backwards directly; 0005 runs
 * `touch`, whose save loop (on a model named through a constant, saving only the field it sets) has a
 * rewrite. What those
 * functions do with models is the module's text, given by the test. For the CLI and the language
 * server's tests.
 */
import { join } from 'node:path';
import { writeFileIn } from './cli';

/**
 * close_stale() reaches today's Order through a helper and stamp() today's user model; reopen()
 * and archive() use the historical model, reopen() saving its rows one by one.
 */
export const LIVE_ORDERS = `from django.contrib.auth import get_user_model
from django.db.models import F

from shop.models import Order

ORDER = ("shop", "Order")


def _stale():
    return Order.objects.filter(total=F("paid"))


def close_stale(apps, schema_editor):
    _stale().update(closed=True)


def reopen(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.filter(closed=True):
        order.closed = False
        order.save()


def archive(apps, schema_editor):
    apps.get_model("shop", "Order").objects.filter(closed=True).delete()


def touch(apps, schema_editor):
    Order = apps.get_model(*ORDER)
    for order in Order.objects.all():
        order.paid = order.total
        order.save(update_fields=["paid"])


def stamp(apps, schema_editor, when):
    User = get_user_model()
    User.objects.filter(is_staff=True).update(last_login=when)
`;

/** The same functions, every one on the historical models (reopen() still saving row by row). */
export const HISTORICAL_ORDERS = `from django.db.models import F

ORDER = ("shop", "Order")


def _stale(apps):
    return apps.get_model("shop", "Order").objects.filter(total=F("paid"))


def close_stale(apps, schema_editor):
    _stale(apps).update(closed=True)


def reopen(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.filter(closed=True):
        order.closed = False
        order.save()


def archive(apps, schema_editor):
    apps.get_model("shop", "Order").objects.filter(closed=True).delete()


def touch(apps, schema_editor):
    Order = apps.get_model(*ORDER)
    for order in Order.objects.all():
        order.paid = order.total
        order.save(update_fields=["paid"])


def stamp(apps, schema_editor, when):
    User = apps.get_model("auth", "User")
    User.objects.filter(is_staff=True).update(last_login=when)
`;

/**
 * Writes the project into `root`, with `ordersModule` as shop/migrations/_orders.py; returns `root`.
 * With `stamped`, Order also has `updated`, an auto_now field every save() stamps.
 */
export function writeImportedCodeProject(root: string, ordersModule: string, options: { stamped?: boolean } = {}): string {
  writeFileIn(join(root, 'shop', '__init__.py'), '');
  writeFileIn(
    join(root, 'shop', 'models.py'),
    `from django.db import models


class Order(models.Model):
    total = models.IntegerField(default=0)
    paid = models.IntegerField(default=0)
    closed = models.BooleanField(default=False)
`,
  );
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '_orders.py'), ordersModule);
  writeFileIn(
    join(root, 'shop', 'migrations', '0001_initial.py'),
    `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("total", models.IntegerField(default=0)),
                ("paid", models.IntegerField(default=0)),
                ("closed", models.BooleanField(default=False)),${options.stamped ? '\n                ("updated", models.DateTimeField(auto_now=True)),' : ''}
            ],
        ),
    ]
`,
  );
  writeFileIn(
    join(root, 'shop', 'migrations', '0002_close_stale.py'),
    `from django.db import migrations

from shop.migrations import _orders as orders


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(orders.close_stale, orders.reopen),
    ]
`,
  );
  writeFileIn(
    join(root, 'shop', 'migrations', '0003_archive.py'),
    `from django.db import migrations

from ._orders import archive


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_close_stale")]

    operations = [
        migrations.RunPython(archive, migrations.RunPython.noop),
    ]
`,
  );
  writeFileIn(
    join(root, 'shop', 'migrations', '0004_stamp.py'),
    `from django.db import migrations
from django.utils import timezone

from shop.migrations._orders import stamp


def _stamp(apps, schema_editor):
    stamp(apps, schema_editor, timezone.now())


def forwards(apps, schema_editor):
    _stamp(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_archive")]

    operations = [migrations.RunPython(forwards, _stamp)]
`,
  );
  writeFileIn(
    join(root, 'shop', 'migrations', '0005_touch.py'),
    `from django.db import migrations

from shop.migrations import _orders


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_stamp")]

    operations = [migrations.RunPython(_orders.touch, migrations.RunPython.noop)]
`,
  );
  return root;
}

# Half right: the writes are batched (one UPDATE per 2,000 customers), but the migration is
# still atomic, so no batch commits until the last one does and every updated row stays
# locked until then. Needs `atomic = False`, as in listings/migrations/0003_backfill_category_v2.py.
from django.db import migrations
from django.db.models.functions import Lower

BATCH_SIZE = 2000


def lowercase_emails(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    customers = Customer.objects.using(schema_editor.connection.alias)
    while True:
        ids = list(
            customers.filter(email__regex=r"[A-Z]")
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            break
        customers.filter(pk__in=ids).update(email=Lower("email"))


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0002_mark_inactive_customers"),
    ]

    operations = [
        # The original capitalisation is not kept anywhere, so there is nothing to restore.
        migrations.RunPython(lowercase_emails, migrations.RunPython.noop),
    ]

# DANGEROUS (kept as written): the migration behind the 47-minute outage.
# It fixes missing currencies one save() at a time and, in the same file and therefore in
# the same transaction, makes the column NOT NULL. See listings/ for how to do this safely.
from django.db import migrations, models

DEFAULT_CURRENCY = "USD"


def fill_missing_currency(apps, schema_editor):
    """Orders from before multi-currency support have no currency; all of them were in dollars."""
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.filter(currency__isnull=True):
        order.currency = DEFAULT_CURRENCY
        order.save()


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(fill_missing_currency, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="currency",
            field=models.CharField(default=DEFAULT_CURRENCY, max_length=3),
        ),
    ]

# DANGEROUS: walks every customer and saves the stale ones one row at a time, all inside the
# migration's transaction, and offers no way back: `migrate customers 0001` would fail.
# users/migrations/0003_copy_display_name.py shows the batched, reversible shape.
from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def mark_inactive_customers(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    cutoff = timezone.now() - timedelta(days=365)
    for customer in Customer.objects.all():
        if customer.last_login is not None and customer.last_login < cutoff:
            customer.status = "inactive"
            customer.save()


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(mark_inactive_customers),
    ]

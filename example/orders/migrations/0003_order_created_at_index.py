# DANGEROUS: CREATE INDEX CONCURRENTLY cannot run inside a transaction, and Django runs this
# migration in one, so PostgreSQL rejects it at deploy time. The fix is `atomic = False`;
# listings/migrations/0005_listing_category_v2_index.py shows the complete pattern.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0002_backfill_currency"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_order_created_at_idx ON orders_order (created_at);",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS orders_order_created_at_idx;",
        ),
    ]

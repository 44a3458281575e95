# Safe step 3 of 4: schema only, after the backfill has committed. Django's state gets the
# final field definition; the database gets just the NOT NULL constraint, which PostgreSQL
# checks with one scan of the table without rewriting any row.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("listings", "0003_backfill_category_v2"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="listing",
                    name="category_v2",
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql="ALTER TABLE listings_listing ALTER COLUMN category_v2 SET NOT NULL;",
                    reverse_sql="ALTER TABLE listings_listing ALTER COLUMN category_v2 DROP NOT NULL;",
                ),
            ],
        ),
    ]

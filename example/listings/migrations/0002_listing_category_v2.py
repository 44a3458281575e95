# Safe step 1 of 4: add the new column as nullable. PostgreSQL only records it in the
# catalog; no row is rewritten and the lock lasts milliseconds.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("listings", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="category_v2",
            field=models.CharField(max_length=64, null=True),
        ),
    ]

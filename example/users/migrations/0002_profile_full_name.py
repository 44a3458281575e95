# Expand: add full_name next to display_name. Nullable, so adding it rewrites nothing, and code
# still running the previous release keeps working because it never sees the new column.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("users", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="full_name",
            field=models.CharField(blank=True, max_length=150, null=True),
        ),
    ]

# Creates a small lookup table and fills it in the same migration. Reported as information only:
# the only table touched is the one created here, so no live table is locked. The loop is not
# an unbatched-save-loop finding either: it walks a fixed list of three entries.
from django.db import migrations, models

TAX_CLASSES = [
    ("standard", "Standard rate"),
    ("reduced", "Reduced rate"),
    ("zero", "Zero rate"),
]


def create_tax_classes(apps, schema_editor):
    TaxClass = apps.get_model("catalog", "TaxClass")
    db_alias = schema_editor.connection.alias
    for code, name in TAX_CLASSES:
        TaxClass.objects.using(db_alias).create(code=code, name=name)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_delete_duplicate_skus"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaxClass",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=16, unique=True)),
                ("name", models.CharField(max_length=64)),
            ],
        ),
        # Reversing this migration drops the table (CreateModel runs backwards after this).
        migrations.RunPython(create_tax_classes, migrations.RunPython.noop),
    ]

/** A migration of the shape makemigrations writes, with the given operations, for the quick-reading tests. */
export const plainMigration = (body: string, imports = 'from django.db import migrations, models\n'): string => `${imports}

class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
${body}
    ]
`;

/** One AddField, indented as an element of `operations`. */
export const ADD_FIELD = '        migrations.AddField(model_name="order", name="note", field=models.TextField(default="")),';

/**
 * A project whose migration 0002 calls an operation class of its own (`shop.sql.InstallSQL`, a
 * RunSQL reading its SQL from a file, as ureport's do) between a CreateModel (0001) and an AddField
 * of a NOT NULL column (0003): add-field-not-null fires on 0003 only when the state is followed
 * past 0002. For the CLI and the language server's tests.
 */
import { join } from 'node:path';
import { writeFileIn } from './cli';

export const INSTALL_SQL = `import os

from django.db.migrations import RunSQL


class InstallSQL(RunSQL):
    def __init__(self, filename):
        path = os.path.join(os.path.dirname(__file__), "%s.sql" % filename)
        with open(path) as sql_file:
            super().__init__(sql_file.read(), "")
`;

/** The same class, now also telling Django's state something the linter cannot read. */
export const STATEFUL_SQL = `${INSTALL_SQL}
    def state_forwards(self, app_label, state):
        state.remove_model(app_label, "order")
`;

/** Writes the project into `root`, with `sqlModule` as shop/sql/__init__.py; returns `root`. */
export function writeOperationClassProject(root: string, sqlModule: string): string {
  writeFileIn(join(root, 'shop', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'sql', '__init__.py'), sqlModule);
  writeFileIn(join(root, 'shop', 'sql', 'shop_0002.sql'), 'CREATE OR REPLACE FUNCTION shop_total() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\n');
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  writeFileIn(
    join(root, 'shop', 'migrations', '0001_initial.py'),
    `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("name", models.TextField())]),
    ]
`,
  );
  writeFileIn(
    join(root, 'shop', 'migrations', '0002_install_triggers.py'),
    `from django.db import migrations

from shop.sql import InstallSQL


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [InstallSQL("shop_0002")]
`,
  );
  writeFileIn(
    join(root, 'shop', 'migrations', '0003_order_total.py'),
    `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_install_triggers")]

    operations = [
        migrations.AddField(model_name="order", name="total", field=models.IntegerField(default=0)),
    ]
`,
  );
  return root;
}


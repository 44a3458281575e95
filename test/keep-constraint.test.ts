/**
 * add-constraint-validates' "Keep the foreign key's constraint" (fixes/keep-constraint.ts), before and
 * after: a key made nullable keeps its constraint, the AlterField in Django's state only and the column
 * change alone in RunSQL; refused where the key points at another column (the constraint must change
 * with it, review 30: saleor's `to_field="number"` keys) and where it is made NOT NULL (alter-field-not-null's steps).
 * The truth of the fix on PostgreSQL is schema-fixes-truth.test.ts's (app `fkn`).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyEdits } from './helpers/apply-edits';
import { TempDirs, writeFileIn } from './helpers/cli';
import { lintProject } from './helpers/lint';
import { pythonSyntaxError } from './helpers/python';

const temps = new TempDirs();
after(() => temps.removeAll());

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(name="Customer", fields=[("id", models.AutoField(primary_key=True)), ("code", models.CharField(max_length=20, unique=True))]),
        migrations.CreateModel(
            name="Order",
            fields=[("id", models.AutoField(primary_key=True)), ("customer", models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.customer"))],
        ),
    ]
`;

const change = (field: string) => `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AlterField(
            model_name="order",
            name="customer",
            field=${field},
        ),
    ]
`;

async function finding(field: string) {
  const root = temps.make();
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), INITIAL);
  const file = join(root, 'shop', 'migrations', '0002_order_customer.py');
  writeFileIn(file, change(field));
  const f = (await lintProject(root)).get(file)?.findings.find((x) => x.rule === 'add-constraint-validates');
  assert.ok(f, field);
  return { f, source: change(field) };
}

describe("Keep the foreign key's constraint", () => {
  it('changes the index alone in RunSQL, both ways, with the AlterField in the state only', async () => {
    const { f, source } = await finding('models.ForeignKey(db_index=False, null=True, on_delete=models.CASCADE, to="shop.customer")');
    assert.equal(f.fixes[0]?.title, "Keep the foreign key's constraint: change the column in RunSQL, the AlterField in Django's state only");
    const text = applyEdits(source, f.fixes[0]?.edits ?? []);
    assert.match(text, /migrations\.SeparateDatabaseAndState\(\n\s+state_operations=\[\n\s+migrations\.AlterField\(/);
    assert.match(text, /sql='DROP INDEX IF EXISTS "shop_order_customer_id_[0-9a-f]+";'/);
    assert.match(text, /reverse_sql='CREATE INDEX "shop_order_customer_id_[0-9a-f]+" ON "shop_order" \("customer_id"\);'/);
    assert.doesNotMatch(text, /CONSTRAINT/);
    assert.equal(await pythonSyntaxError(text), null);
  });

  it('is refused where the key points at another column, or is made NOT NULL, and the advice says what instead', async () => {
    const moved = await finding('models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.customer", to_field="code")');
    assert.deepEqual(moved.f.fixes, []);
    assert.match(moved.f.message, /Instead, add the new constraint with `ADD CONSTRAINT … NOT VALID`.*\(No fix: it points the key at another column, so its constraint has to change too\.\)$/);
    const required = await finding('models.ForeignKey(on_delete=models.CASCADE, to="shop.customer")');
    assert.deepEqual(required.f.fixes, []);
    assert.match(required.f.message, /Instead, make it NOT NULL in steps \(alter-field-not-null's fix/);
  });

  it("says a change of the default alone belongs in Django's state only (review 60: Geotrek's keys lose their default)", async () => {
    const INITIAL_WITH_DEFAULT = INITIAL.replace('("customer", models.ForeignKey(null=True,', '("customer", models.ForeignKey(default=1, null=True,');
    const root = temps.make();
    writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
    writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), INITIAL_WITH_DEFAULT);
    const file = join(root, 'shop', 'migrations', '0002_order_customer.py');
    writeFileIn(file, change('models.ForeignKey(null=True, on_delete=models.CASCADE, to="shop.customer")'));
    const f = (await lintProject(root)).get(file)?.findings.find((x) => x.rule === 'add-constraint-validates');
    assert.ok(f, 'the constraint is dropped and added back');
    assert.match(f.message, /^AlterField 'customer' changes only the default of a foreign key of existing table "shop_order", yet Django drops its constraint/);
    assert.match(f.message, /Instead, make this change in Django's state only \(SeparateDatabaseAndState with this AlterField as its state side and no database operations\)/);
  });
});

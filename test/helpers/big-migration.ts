/**
 * A generated migration with many operations in alternating runs of schema and data work, as a
 * squashed or machine-written migration can have, for measuring that Split stays linear.
 */
export function bigMixedMigration(operations: number, runLength = 500): string {
  const lines: string[] = [];
  for (let i = 0; i < operations; i++) {
    const run = Math.floor(i / runLength);
    if (run % 2 === 0) lines.push(`        migrations.AddField(model_name="item", name="f${i}", field=models.IntegerField(null=True)),`);
    else lines.push(`        migrations.RunSQL("UPDATE shop_item SET f${i - runLength} = ${i}", migrations.RunSQL.noop),`);
  }
  return `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
${lines.join('\n')}
    ]
`;
}

/**
 * Migrations whose syntax trees are thousands of levels deep in the shapes Python allows (long
 * `+` chains, attribute and call chains, nested conditionals and lambdas), each also holding an
 * ordinary finding that must still be reported. Generated: the depth is the point.
 */
export interface DeepSource {
  name: string;
  text: string;
  /** The rule that must still be found in it. */
  expects: string;
}

const MIGRATION = (operations: string, prelude = ''): string => `from django.db import migrations

${prelude}
class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = ${operations}
`;

const SAVE_LOOP = (expression: string): string => `def forwards(apps, schema_editor):
    total = ${expression}
    Item = apps.get_model("shop", "Item")
    for item in Item.objects.all():
        item.total = total
        item.save()

`;

export function deepSources(n: number): DeepSource[] {
  const terms = (f: (i: number) => string, sep: string) => Array.from({ length: n }, (_, i) => f(i)).join(sep);
  return [
    { name: 'plus_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(terms((i) => `x${i}`, ' + '))), expects: 'unbatched-save-loop' },
    { name: 'attribute_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(`settings${'.a'.repeat(n)}`)), expects: 'unbatched-save-loop' },
    { name: 'call_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(`Item.objects${'.filter()'.repeat(n)}`)), expects: 'unbatched-save-loop' },
    { name: 'conditional_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(`${terms((i) => `${i} if c${i} else`, ' ')} 0`)), expects: 'unbatched-save-loop' },
    { name: 'not_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(`${'not '.repeat(n)}flag`)), expects: 'unbatched-save-loop' },
    { name: 'lambda_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(`${'lambda: '.repeat(n)}0`)), expects: 'unbatched-save-loop' },
    { name: 'plus_chain_of_operation_lists', text: MIGRATION(`${terms(() => '[migrations.RunSQL("SELECT 1")]', ' + ')}`), expects: 'runsql-no-reverse' },
    { name: 'conditional_operations', text: MIGRATION(`${terms((i) => `[migrations.RunSQL("SELECT ${i}")] if c${i} else`, ' ')} []`), expects: 'runsql-no-reverse' },
    { name: 'plus_chain_of_sql_strings', text: MIGRATION(`[migrations.RunSQL(${terms((i) => `"UPDATE t SET a = ${i}; "`, ' + ')})]`), expects: 'runsql-no-reverse' },
    { name: 'boolean_chain_in_runpython', text: MIGRATION('[migrations.RunPython(forwards)]', SAVE_LOOP(terms((i) => `a${i}`, ' and '))), expects: 'unbatched-save-loop' },
  ];
}

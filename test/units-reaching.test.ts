/**
 * unitsReaching: which RunPython functions a fix's look at its own text reads for a loop on a given
 * line — only the function holding it when nothing else can call that function, else all of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMigrationModel } from '../server/src/analysis/migration-model';
import { runPythonUnits, unitsReaching } from '../server/src/analysis/rules/runpython-units';
import { getParser } from './helpers/lint';

const loops = (extra = '', ops = 'migrations.RunPython(fill_a), migrations.RunPython(fill_b)') => `from django.db import migrations


def fill_a(apps, schema_editor):
    A = apps.get_model("shop", "A")
    for a in A.objects.all():
        a.n = 1
        a.save()


def fill_b(apps, schema_editor):
    B = apps.get_model("shop", "B")
    for b in B.objects.all():
        b.n = 1
        b.save()
${extra}

class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [${ops}]
`;

/** The names of the functions unitsReaching keeps for a loop on `line` (0-based). */
async function kept(source: string, line: number): Promise<string[]> {
  const tree = (await getParser()).parse(source);
  try {
    const model = buildMigrationModel(tree.rootNode);
    assert.ok(model);
    const units = runPythonUnits(model);
    return unitsReaching(units, [{ line, character: 4 }], source).map((u) => u.unit.node.childForFieldName('name')?.text ?? '?');
  } finally {
    tree.delete();
  }
}

describe('unitsReaching', () => {
  it('keeps only the function holding the loop when the file names it only where it is defined and run', async () => {
    assert.deepEqual(await kept(loops(), 12), ['fill_b']);
    assert.deepEqual(await kept(loops(), 5), ['fill_a']);
  });

  it('keeps every function when another one may call the one holding the loop', async () => {
    const calls = loops('\n\ndef fill_both(apps, schema_editor):\n    fill_b(apps, schema_editor)\n', 'migrations.RunPython(fill_a), migrations.RunPython(fill_b), migrations.RunPython(fill_both)');
    assert.deepEqual(await kept(calls, 12), ['fill_a', 'fill_b', 'fill_both']);
    // Called through another name: the alias is what the file calls.
    const alias = loops('\nrun_b = fill_b\n', 'migrations.RunPython(fill_a), migrations.RunPython(run_b)');
    assert.deepEqual(await kept(alias, 12), ['fill_a', 'fill_b']);
  });

  it('keeps every function when the loop is in a helper, or the line is in no function', async () => {
    const helper = loops('\n\ndef touch(rows):\n    for r in rows:\n        r.save()\n');
    assert.deepEqual(await kept(helper, 19), ['fill_a', 'fill_b']);
    assert.deepEqual(await kept(loops(), 0), ['fill_a', 'fill_b']);
  });

  it('keeps every function when one operation runs the function both ways', async () => {
    assert.deepEqual(await kept(loops('', 'migrations.RunPython(fill_a), migrations.RunPython(fill_b, fill_b)'), 12), ['fill_a', 'fill_b', 'fill_b']);
  });
});

/**
 * Fixes applied together (the CLI's --fix / --unsafe-fixes, the editor's fix-all): an edit two fixes
 * share is made once, and a fix overlapping one taken is skipped whole (review 35: every
 * CONCURRENTLY fix of ureport's `stats/0023` carried the same `atomic = False`, written nine times).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyFixEdits } from '../server/src/analysis/fixes/apply';
import type { TextEdit } from '../server/src/analysis/types';
import { runCli, TempDirs, writeFileIn } from './helpers/cli';
import { pythonSyntaxError } from './helpers/python';

const temps = new TempDirs();
after(() => temps.removeAll());

const at = (line: number, character: number, newText: string, endCharacter = character): TextEdit => ({ range: { start: { line, character }, end: { line, character: endCharacter } }, newText });

describe('applying several fixes at once', () => {
  it('makes an edit two fixes share once, and skips a fix that overlaps one taken', () => {
    const text = 'a\nb\nc\n';
    const shared = at(0, 0, '# top\n');
    const r = applyFixEdits(text, [[at(1, 0, 'B', 1), shared], [at(2, 0, 'C', 1), shared], [at(1, 0, 'X', 1)]]);
    assert.equal(r.text, '# top\na\nB\nC\n');
    assert.deepEqual([r.applied, r.skipped], [2, 1]);
    // Two different insertions at one place are both made (an import and a comment).
    assert.equal(applyFixEdits(text, [[at(0, 0, 'x\n')], [at(0, 0, 'y\n')]]).text.split('\n').slice(0, 2).sort().join(','), 'x,y');
  });

  it('writes atomic = False once for a migration of several DROP INDEX statements (the CLI)', () => {
    const root = temps.make();
    writeFileIn(join(root, 'stats/__init__.py'), '');
    writeFileIn(join(root, 'stats/migrations/__init__.py'), '');
    writeFileIn(join(root, 'stats/migrations/0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Activity", fields=[("id", models.AutoField(primary_key=True)), ("day", models.DateField())])]\n');
    const file = join(root, 'stats/migrations/0002_drop_indexes.py');
    writeFileIn(
      file,
      `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]

    operations = [
        migrations.RunSQL("DROP INDEX IF EXISTS stats_activity_day_a", migrations.RunSQL.noop),
        migrations.RunSQL("DROP INDEX IF EXISTS stats_activity_day_b", migrations.RunSQL.noop),
        migrations.RunSQL("DROP INDEX IF EXISTS stats_activity_day_c", migrations.RunSQL.noop),
    ]
`,
    );
    const run = runCli(['check', '.', '--no-cache', '--fix', '--unsafe-fixes'], root);
    const fixed = readFileSync(file, 'utf8');
    assert.equal(fixed.match(/DROP INDEX CONCURRENTLY IF EXISTS/g)?.length, 3, `${run.stdout}\n${run.stderr}\n${fixed}`);
    assert.equal(fixed.match(/^ {4}atomic = False$/gm)?.length, 1, fixed);
    assert.equal(pythonSyntaxError(fixed), null);
  });
});

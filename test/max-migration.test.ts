/**
 * django-linear-migrations' `max_migration.txt` (review 44: OpenCiviWiki): a fix that writes new
 * migrations into a folder that has one moves it on to the newest of them, and so does a split of
 * the migration it names — else the package's system check stops `migrate`. A folder without the
 * file gets none; a file that names a later migration is left alone.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { maxMigrationAfterSplit, maxMigrationUpdates } from '../server/src/workspace/max-migration';
import { runCli, TempDirs, writeFileIn } from './helpers/cli';
import { FIXTURES } from './helpers/paths';

const temps = new TempDirs();
after(() => temps.removeAll());

/** The schema-fix truth project's `idx` app, whose 0002 gets a follow-up 0003 from add-index-not-concurrent's fix. */
function idxApp(max: string | null): { root: string; maxFile: string } {
  const root = temps.make('mg-max-migration-');
  cpSync(join(FIXTURES, 'schema-fixes-truth'), root, { recursive: true });
  const maxFile = join(root, 'idx', 'migrations', 'max_migration.txt');
  if (max !== null) writeFileSync(maxFile, max);
  return { root, maxFile };
}

describe("django-linear-migrations' max_migration.txt", () => {
  it('moves on to the newest migration a fix writes, in --diff and when written; never where it is absent', () => {
    const { root, maxFile } = idxApp('0002_item_indexes\n');
    const diff = runCli(['check', 'idx', '--no-cache', '--unsafe-fixes', '--diff'], root);
    assert.match(diff.stdout, /^\+\+\+ b\/idx\/migrations\/0003_item_indexes_concurrently\.py$/m, diff.stdout);
    assert.match(diff.stdout, /^--- a\/idx\/migrations\/max_migration\.txt\n\+\+\+ b\/idx\/migrations\/max_migration\.txt\n@@ [^\n]+\n-0002_item_indexes\n\+0003_item_indexes_concurrently$/m, diff.stdout);
    assert.equal(readFileSync(maxFile, 'utf8'), '0002_item_indexes\n', '--diff writes nothing');
    const run = runCli(['check', 'idx', '--no-cache', '--fix', '--unsafe-fixes'], root);
    assert.ok(existsSync(join(root, 'idx', 'migrations', '0003_item_indexes_concurrently.py')), run.stderr);
    assert.equal(readFileSync(maxFile, 'utf8'), '0003_item_indexes_concurrently\n');
    const without = idxApp(null);
    runCli(['check', 'idx', '--no-cache', '--fix', '--unsafe-fixes'], without.root);
    assert.equal(existsSync(without.maxFile), false, 'no file is made where the project has none');
  });

  it('names the highest of several new migrations, and leaves a file that names a later one', () => {
    const root = temps.make('mg-max-migration-unit-');
    const dir = join(root, 'shop', 'migrations');
    writeFileIn(join(dir, 'max_migration.txt'), '0004_prices\n');
    const news = [join(dir, '0005_a.py'), join(dir, '0006_b.py'), join(dir, 'notes.txt')];
    assert.deepEqual(maxMigrationUpdates(news), [{ file: join(dir, 'max_migration.txt'), original: '0004_prices\n', text: '0006_b\n' }]);
    writeFileIn(join(dir, 'max_migration.txt'), '0007_later\n');
    assert.deepEqual(maxMigrationUpdates(news), []);
    // A split: only when the file named the migration split (then the leaf).
    assert.equal(maxMigrationAfterSplit(join(dir, '0004_prices.py'), join(dir, '0008_prices_data.py')), null);
    writeFileIn(join(dir, 'max_migration.txt'), '0004_prices\n');
    assert.deepEqual(maxMigrationAfterSplit(join(dir, '0004_prices.py'), join(dir, '0008_prices_data.py')), { file: join(dir, 'max_migration.txt'), original: '0004_prices\n', text: '0008_prices_data\n' });
  });

  it('split moves it on to the last part when it named the migration split', () => {
    const root = temps.make('mg-max-migration-split-');
    const dir = join(root, 'shop', 'migrations');
    writeFileIn(join(root, 'shop', '__init__.py'), '');
    writeFileIn(join(dir, '__init__.py'), '');
    writeFileIn(
      join(dir, '0001_initial.py'),
      'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n\n    operations = [\n        migrations.CreateModel(name="Item", fields=[("id", models.AutoField(primary_key=True)), ("name", models.TextField(default=""))]),\n    ]\n',
    );
    writeFileIn(
      join(dir, '0002_mixed.py'),
      [
        'from django.db import migrations, models',
        '',
        '',
        'def fill(apps, schema_editor):',
        '    apps.get_model("shop", "Item").objects.update(name="x")',
        '',
        '',
        'class Migration(migrations.Migration):',
        '    dependencies = [("shop", "0001_initial")]',
        '',
        '    operations = [',
        '        migrations.AddField(model_name="item", name="code", field=models.TextField(default="")),',
        '        migrations.RunPython(fill, migrations.RunPython.noop),',
        '    ]',
        '',
      ].join('\n'),
    );
    writeFileIn(join(dir, 'max_migration.txt'), '0002_mixed\n');
    const dry = runCli(['split', 'shop/migrations/0002_mixed.py', '--dry-run'], root);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+\+\+ b\/shop\/migrations\/max_migration\.txt$/m, dry.stdout);
    const run = runCli(['split', 'shop/migrations/0002_mixed.py'], root);
    assert.equal(run.code, 0, run.stderr);
    const parts = readdirSync(dir).filter((f) => /^\d{4}_.*\.py$/.test(f)).sort();
    assert.equal(parts.length, 3, parts.join(', '));
    assert.equal(readFileSync(join(dir, 'max_migration.txt'), 'utf8'), `${(parts[2] as string).replace(/\.py$/, '')}\n`);
  });
});

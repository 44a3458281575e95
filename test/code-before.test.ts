/**
 * The second step of a two-release removal done without SeparateDatabaseAndState: the model (or
 * the field) left the code in one release, the migration that drops its table (or column) came in
 * a later one. The code of the release before the migration's, read from git, no longer names it:
 * the old code still running during the deploy cannot query it (review 77: job-server `0013`,
 * openprescribing `0072`, bluebutton `0010`). Where the removal ships with the drop, or the code
 * cannot be read for certain, the finding stays.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fieldGoneBefore, modelGoneBefore, moduleBefore, type ModelsBefore } from '../server/src/analysis/project/code-before';

const modelsBefore = (...texts: string[]): ModelsBefore => ({ modules: texts.map(moduleBefore) });
import { jsonFindings, runCli, TempDirs } from './helpers/cli';
import { removalRepository, withHistory } from './helpers/release-repo';

const temps = new TempDirs();
after(() => temps.removeAll());

const MODELS = [
  'from django.db import models',
  'from billing.base import Stamped',
  '',
  '',
  '# Coupon went in 2023.',
  'class Order(models.Model):',
  '    """An order.',
  'class Phantom(models.Model):',
  '    """',
  '    status = models.CharField(max_length=20)',
  '',
  '    def __str__(self):',
  '        return self.status',
  '',
  '',
  'class Invoice(',
  '    Stamped,',
  '):',
  '    number = models.IntegerField()',
  '',
  '',
  'class Refund(Order):',
  '    reason = models.TextField()',
  '',
  'class Note(models.Model): text = models.TextField()',
  '',
].join('\n');

describe('the models of the release before, read from their text', () => {
  const before = modelsBefore(MODELS);

  it('reads the classes at the top of the module, their bases and the words of their bodies', () => {
    assert.deepEqual([...(before.modules[0]?.classes.keys() ?? [])].sort(), ['invoice', 'note', 'order', 'refund']);
    assert.deepEqual(before.modules[0]?.classes.get('invoice')?.bases, ['Stamped']);
    assert.ok(before.modules[0]?.classes.get('order')?.words.has('status'));
    assert.ok(before.modules[0]?.classes.get('note')?.words.has('text'));
  });

  it('takes a model for gone only when no word of the modules names it', () => {
    assert.equal(modelGoneBefore(before, 'Receipt'), true);
    assert.equal(modelGoneBefore(before, 'receipt'), true);
    assert.equal(modelGoneBefore(before, 'order'), false);
    // Named in a comment, or in a string: not for certain gone.
    assert.equal(modelGoneBefore(before, 'coupon'), false);
    assert.equal(modelGoneBefore(before, 'Phantom'), false);
    // Imported from elsewhere, or a module importing `*`: perhaps still there.
    assert.equal(modelGoneBefore(before, 'stamped'), false);
    assert.equal(modelGoneBefore(modelsBefore('from billing.legacy import *\n'), 'Receipt'), false);
  });

  it('takes a lower-case bare name for a variable, not the model; quoted, after a dot or as a class it names it (review 80: acceslibre stats/0020)', () => {
    const variable = modelsBefore('def track(request):\n    referer = request.headers.get("X-OriginUrl")\n    return urlparse(referer).netloc or referer\n');
    assert.equal(modelGoneBefore(variable, 'Referer'), true);
    for (const named of ['ref = apps.get_model("stats.referer")\n', "Link.objects.filter(referer__isnull=False)\nname = 'referer'\n", 'domain = link.referer.domain\n', 'class referer(models.Model):\n    pass\n', 'from stats.legacy import Referer\n']) {
      assert.equal(modelGoneBefore(modelsBefore(named), 'Referer'), false, named);
    }
  });

  it('takes a field for gone only when its class and every base of the module lack it', () => {
    assert.equal(fieldGoneBefore(before, 'order', 'legacy_code'), true);
    assert.equal(fieldGoneBefore(before, 'order', 'status'), false);
    assert.equal(fieldGoneBefore(before, 'refund', 'legacy_code'), true);
    assert.equal(fieldGoneBefore(before, 'refund', 'status'), false);
    // A base from another module may hold it.
    assert.equal(fieldGoneBefore(before, 'invoice', 'legacy_code'), false);
    // A model gone takes its fields with it.
    assert.equal(fieldGoneBefore(before, 'receipt', 'amount'), true);
    // Fields Django adds that no class body names (review 77's check on saleor: `order/0143` drops OrderLine's old `id`).
    for (const implicit of ['id', 'order_ptr', '_order']) assert.equal(fieldGoneBefore(before, 'refund', implicit), false, implicit);
  });
});

describe('drop-table and drop-column after the code of the release before dropped the model or field', () => {
  const run = (root: string) =>
    jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() }))
      .filter((f) => f.rule === 'drop-table' || f.rule === 'drop-column')
      .map((f) => `${f.path.replace(/\\/g, '/')}:${f.line} ${f.rule}`)
      .sort();

  const BOTH = ['shop/migrations/0003_drop.py:10 drop-table', 'shop/migrations/0003_drop.py:11 drop-column'];

  it('is silent when the removal shipped a release before the drop', () => {
    assert.deepEqual(run(removalRepository(temps.make(), 'apart')), []);
  });

  it('reports both when the removal ships with the drop, in one commit', () => {
    assert.deepEqual(run(removalRepository(temps.make(), 'together')), BOTH);
  });

  it('reads the release tag before the one that first held the drop, where releases are tagged', () => {
    // Both commits between v1.0 and v1.1: v1.0's code still has the model and the field.
    assert.deepEqual(run(removalRepository(temps.make(), 'tags-together')), BOTH);
    // Released apart: v1.1 stops using them, v1.2 drops them.
    assert.deepEqual(run(removalRepository(temps.make(), 'tags-apart')), []);
  });

  it('keeps both where a release of another line, tagged just before, still had them (review 78: djangocms 3.4.x users upgrade to 3.5.2)', () => {
    assert.deepEqual(run(removalRepository(temps.make(), 'tags-lines')), BOTH);
  });

  it('follows a rename the release made: the release before knew the model by its old name (review 78: mayan checkouts/0011)', () => {
    assert.deepEqual(run(removalRepository(temps.make(), 'renamed')), ['shop/migrations/0004_drop.py:10 drop-table']);
  });

  it('says nothing new of a drop not committed yet', () => {
    assert.deepEqual(run(removalRepository(temps.make(), 'uncommitted')), BOTH);
  });
});

/**
 * A rule that is off by default (runpython-no-db-alias) runs only when a setting names a severity
 * for it or `--select` names it; `default` keeps it off, and a suppression of it is then not
 * reported as unused (nothing was checked).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ruleById } from '../server/src/analysis/rules';
import type { RuleSetting } from '../server/src/analysis/types';
import { applyOverrides } from '../server/src/cli/project-config';
import { defaultSettings } from '../server/src/config/settings';
import { lint } from './helpers/lint';

const SOURCE = `from django.db import migrations


def forwards(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    Order.objects.filter(total=None).update(total=0)  # migration-guard: ignore[runpython-no-db-alias] -- one database


def backwards(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    Order.objects.filter(total=0).update(total=None)


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
`;

const ID = 'runpython-no-db-alias';

describe('a rule that is off by default', () => {
  it('is declared so, with a severity for when it is on', () => {
    assert.equal(ruleById(ID)?.meta.defaultOff, true);
    assert.equal(ruleById(ID)?.meta.defaultSeverity, 'warning');
  });

  it('does not run with no setting or `default`, and its suppression is not called unused', async () => {
    const settings: Array<Record<string, RuleSetting>> = [{}, { [ID]: 'default' }];
    for (const rules of settings) {
      const { findings } = await lint(SOURCE, { rules });
      assert.deepEqual(findings.map((f) => f.rule), []);
    }
  });

  it('runs when a setting gives it a severity; the suppression then applies', async () => {
    const { findings } = await lint(SOURCE, { rules: { [ID]: 'error' } });
    assert.deepEqual(findings.map((f) => `${f.range.start.line + 1}:${f.rule}/${f.severity}`), [`11:${ID}/error`]);
  });

  it('runs with its own severity when --select names it, and stays off when another rule is selected', () => {
    const all = defaultSettings().rules;
    assert.equal(applyOverrides(all, { select: [ID], ignore: [] })[ID], 'warning');
    assert.equal(applyOverrides({ ...all, [ID]: 'off' }, { select: [ID], ignore: [] })[ID], 'warning');
    assert.equal(applyOverrides(all, { select: ['unbatched-save-loop'], ignore: [] })[ID], 'off');
    assert.equal(applyOverrides(all, { select: [ID, 'unbatched-save-loop'], ignore: [] })['unbatched-save-loop'], 'default');
  });
});

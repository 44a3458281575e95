/**
 * The new migrations multi-file fixes write after the one they fix (fixes/follow-up.ts): numbered
 * past the app's highest number, chained, and refused where a new migration would be a second
 * leaf (Django refuses to migrate such a graph) or where the project is not known.
 */
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { planFollowUps, renderFollowUp, type FollowUpMigration } from '../server/src/analysis/fixes/follow-up';
import { TempDirs } from './helpers/cli';
import { getParser } from './helpers/lint';
import { FIXTURES } from './helpers/paths';
import { pythonSyntaxError } from './helpers/python';
import { loadProject } from '../server/src/workspace/project-loader';
import { mergeSettings } from '../server/src/config/settings';

const temps = new TempDirs();
after(() => temps.removeAll());

const step = (slug: string, atomic = true): FollowUpMigration => ({
  slug,
  atomic,
  why: `test step ${slug}.`,
  operations: ["        migrations.RunSQL('SELECT 1', migrations.RunSQL.noop)"],
});

/** The schema-base project, plus `extra` migration files (name → text) in shop/migrations. */
async function project(extra: Record<string, string> = {}) {
  const root = temps.make();
  cpSync(join(FIXTURES, 'schema-base'), root, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(root, 'shop/migrations', name), text);
  return { root, loaded: await loadProject(root, await getParser(), mergeSettings({})) };
}

const migration = (deps: string) => `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${deps}]\n    operations = []\n`;

describe('follow-up migrations', () => {
  it('numbers them past the highest number of the app and chains their dependencies', async () => {
    const { root, loaded } = await project({ '0002_second.py': migration("('shop', '0001_initial')") });
    const file = join(root, 'shop/migrations/0002_second.py');
    const plan = planFollowUps(loaded.view, file, [step('backfill', false), step('set_not_null')]);
    assert.ok(plan.ok, plan.ok ? '' : plan.reason);
    assert.deepEqual(plan.names, ['0003_backfill', '0004_set_not_null']);
    assert.deepEqual(plan.creates.map((c) => c.file), [join(root, 'shop/migrations/0003_backfill.py'), join(root, 'shop/migrations/0004_set_not_null.py')]);
    const [first, second] = plan.creates.map((c) => c.text);
    assert.match(first ?? '', /\n    atomic = False\n/);
    assert.match(first ?? '', /\("shop", "0002_second"\)/);
    assert.doesNotMatch(second ?? '', /atomic/);
    assert.match(second ?? '', /\("shop", "0003_backfill"\)/);
    for (const c of plan.creates) assert.equal(pythonSyntaxError(c.text), null);
  });

  it('refuses after a migration that is not the latest of its app', async () => {
    const { root, loaded } = await project({ '0002_second.py': migration("('shop', '0001_initial')") });
    const plan = planFollowUps(loaded.view, join(root, 'shop/migrations/0001_initial.py'), [step('later')]);
    assert.equal(plan.ok, false);
    assert.match(plan.ok ? '' : plan.reason, /not the latest migration of 'shop'.*second leaf/);
  });

  it('refuses when two leaves exist already, and without a project', async () => {
    const { root, loaded } = await project({
      '0002_a.py': migration("('shop', '0001_initial')"),
      '0002_b.py': migration("('shop', '0001_initial')"),
    });
    const plan = planFollowUps(loaded.view, join(root, 'shop/migrations/0002_a.py'), [step('x')]);
    assert.equal(plan.ok, false);
    assert.equal(planFollowUps(null, null, [step('x')]).ok, false);
  });

  it('refuses a slug that is not a migration name', async () => {
    const { root, loaded } = await project();
    const plan = planFollowUps(loaded.view, join(root, 'shop/migrations/0001_initial.py'), [step('Bad-Name')]);
    assert.equal(plan.ok, false);
  });

  it('writes module-level code and imports before the class', async () => {
    const text = renderFollowUp('shop', '0001_initial', { ...step('fill'), imports: ['from django.db import models', 'from django.db import migrations'], preamble: 'def forwards(apps, schema_editor):\n    pass\n' });
    assert.equal(text.match(/from django\.db import migrations/g)?.length, 1);
    assert.ok(text.indexOf('def forwards') < text.indexOf('class Migration'));
    assert.equal(pythonSyntaxError(text), null);
  });
});

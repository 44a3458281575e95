/**
 * runsql-no-reverse offers no no-op reverse for a `CREATE OR REPLACE VIEW` that reads a table or a
 * column an earlier operation of the same migration creates: rolling that operation back drops the
 * table or column with CASCADE, which drops the view too, and a no-op would let the rollback finish
 * with the release before left without its view (review 54: signals `0109`, `0136`). A view over
 * what existed before keeps the no-op.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lint } from './helpers/lint';

const VIEW = (columns: string) => `CREATE OR REPLACE VIEW signals_history_view AS SELECT s.id, ${columns} FROM signals_signal s LEFT JOIN signals_directingdepartments d ON d.signal_id = s.id;`;

const migration = (operations: string) => `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("signals", "0108_signal_text")]
    operations = [
${operations}
    ]
`;

const CREATE = `        migrations.CreateModel(
            name="DirectingDepartments",
            fields=[("id", models.AutoField(primary_key=True)), ("signal_id", models.IntegerField())],
        ),`;
const ADD = `        migrations.AddField("signal", "stored_message", models.TextField(null=True)),`;

async function reverseOf(source: string) {
  const found = (await lint(source)).findings.filter((f) => f.rule === 'runsql-no-reverse');
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
  const [f] = found;
  return { message: f?.message ?? '', titles: (f?.fixes ?? []).map((x) => x.title) };
}

describe('a view a rollback drops with what the migration created', () => {
  it('gets no no-op reverse when it reads a table the migration creates', async () => {
    const { message, titles } = await reverseOf(migration(`${CREATE}\n        migrations.RunSQL(${JSON.stringify(VIEW('d.id AS department'))}),`));
    assert.deepEqual(titles.filter((t) => /noop/.test(t)), []);
    assert.match(message, /rolling back then drops table signals_directingdepartments with CASCADE, which takes the view signals_history_view along/);
  });

  it('gets no no-op reverse when it reads a column the migration adds', async () => {
    const view = 'CREATE OR REPLACE VIEW signals_history_view AS SELECT s.id, s.stored_message FROM signals_signal s;';
    const { message, titles } = await reverseOf(migration(`${ADD}\n        migrations.RunSQL(${JSON.stringify(view)}),`));
    assert.deepEqual(titles.filter((t) => /noop/.test(t)), []);
    assert.match(message, /drops column stored_message with CASCADE/);
  });

  it('keeps the no-op for a view over tables that existed before, and for one that reads none of what the migration adds', async () => {
    const view = 'CREATE OR REPLACE VIEW signals_history_view AS SELECT s.id, s.text FROM signals_signal s;';
    const alone = await reverseOf(migration(`        migrations.RunSQL(${JSON.stringify(view)}),`));
    assert.ok(alone.titles.some((t) => /noop/.test(t)), alone.titles.join(' | '));
    // An unmanaged model over the view itself has no table for a rollback to drop (signals `reporting/0002`).
    const unmanaged = await reverseOf(migration(`        migrations.RunSQL(${JSON.stringify('CREATE OR REPLACE VIEW signals_ext_tdo AS SELECT s.id FROM signals_signal s;')}),
        migrations.CreateModel(name="TDOSignal", fields=[("id", models.IntegerField(primary_key=True))], options={"db_table": "signals_ext_tdo", "managed": False}),`));
    assert.ok(unmanaged.titles.some((t) => /noop/.test(t)), unmanaged.titles.join(' | '));
    const unrelated = await reverseOf(migration(`${ADD}\n        migrations.RunSQL(${JSON.stringify(view)}),`));
    assert.ok(unrelated.titles.some((t) => /noop/.test(t)), unrelated.titles.join(' | '));
  });
});

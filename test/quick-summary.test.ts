/**
 * The quick summary (read from the text of plain makemigrations files) must be the full
 * analysis's summary on every file it accepts, and give the same findings: the per-file rules
 * cannot fire on what it accepts, and the project rules (the schema hazards among them) read
 * only summaries, so the two paths must agree with the project view around them. Checked on the 3,000 generated benchmark migrations and on
 * shapes that must send a file to the full analysis.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateCorpus } from '../bench/corpus';
import { analyzeFile, finalizeFindings, projectFindings, type FileAnalysis } from '../server/src/analysis/engine';
import { ValueInterner } from '../server/src/analysis/interner';
import { quickSummary } from '../server/src/analysis/project/quick-summary';
import type { MigrationSummary } from '../server/src/analysis/project/summary';
import { ProjectView } from '../server/src/analysis/project/view';
import { mergeSettings } from '../server/src/config/settings';
import { getParser } from './helpers/lint';
import { ADD_FIELD, plainMigration } from './helpers/plain-migration';

const RULES = mergeSettings({}).rules;

/** Both readings of one file: [quick, full summary, full findings]. */
async function both(text: string, name = '0002_x', interners?: [ValueInterner, ValueInterner]) {
  const parser = await getParser();
  const tree = parser.parse(text);
  try {
    const quick = quickSummary(tree.rootNode, text, name, interners?.[0] ?? null);
    const full = analyzeFile(tree, text, { rules: RULES, batchSize: 1000, name, ...(interners ? { interner: interners[1] } : {}) }).analysis;
    return { quick, full };
  } finally {
    tree.delete();
  }
}

const plain = plainMigration;
const ADD = ADD_FIELD;

describe('quick summary', () => {
  it('gives the full path\'s summary and findings, with the project view, on every generated migration it accepts', async () => {
    const corpus = generateCorpus(20240611);
    const interners: [ValueInterner, ValueInterner] = [new ValueInterner(), new ValueInterner()];
    const read: Array<{ file: string; app: string; quick: MigrationSummary | null; full: FileAnalysis }> = [];
    for (const f of corpus.files) {
      const name = f.rel.split('/').pop()?.replace(/\.py$/, '') ?? '';
      const { quick, full } = await both(f.text, name, interners);
      read.push({ file: `/corpus/${f.rel}`, app: f.rel.split('/')[0] as string, quick, full });
    }
    // One project seen through the full analysis of every file, one through the quick path where it is taken.
    const fullView = new ProjectView({ migrations: read.flatMap((r) => (r.full.summary ? [{ file: r.file, app: r.app, summary: r.full.summary }] : [])) });
    const quickView = new ProjectView({ migrations: read.flatMap((r) => { const s = r.quick ?? r.full.summary; return s ? [{ file: r.file, app: r.app, summary: s }] : []; }) });
    let accepted = 0;
    let withSchemaFindings = 0;
    for (const r of read) {
      if (!r.quick || !r.full.summary) continue;
      accepted++;
      // Through JSON: the same data, whichever objects the two interners shared.
      assert.deepEqual(JSON.parse(JSON.stringify(r.quick)), JSON.parse(JSON.stringify(r.full.summary)), r.file);
      const viaFull = finalizeFindings([...r.full.findings, ...projectFindings(r.full.summary, { rules: RULES, project: { view: fullView, file: r.file } })], r.full.suppressions, { rules: RULES });
      const viaQuick = finalizeFindings(projectFindings(r.quick, { rules: RULES, project: { view: quickView, file: r.file } }), [], { rules: RULES });
      assert.deepEqual(JSON.parse(JSON.stringify(viaQuick)), JSON.parse(JSON.stringify(viaFull)), `${r.file}: the two paths disagree`);
      if (viaFull.length > 0) withSchemaFindings++;
    }
    const schema = corpus.files.filter((f) => f.kind === 'schema' || f.kind === 'initial').length;
    assert.ok(accepted >= schema * 0.9, `only ${accepted} of ${corpus.files.length} files (${schema} schema migrations) read quickly`);
    // The comparison means something only if findings occur on quickly read files.
    assert.ok(withSchemaFindings > accepted / 10, `only ${withSchemaFindings} of ${accepted} quickly read files have a finding`);
  });

  it('a quickly read file that adds a NOT NULL column to an existing table gets add-field-not-null', async () => {
    const initial = plain('        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))]),').replace('dependencies = [("shop", "0001_initial")]', 'initial = True\n    dependencies = []');
    const second = plain(ADD.replace('default=""', 'default="", max_length=10').replace('TextField', 'CharField'));
    const a = await both(initial, '0001_initial');
    const b = await both(second, '0002_x');
    assert.ok(a.quick && b.quick, 'both plain');
    const view = new ProjectView({ migrations: [{ file: '/p/shop/migrations/0001_initial.py', app: 'shop', summary: a.quick }, { file: '/p/shop/migrations/0002_x.py', app: 'shop', summary: b.quick }] });
    const found = projectFindings(b.quick, { rules: RULES, project: { view, file: '/p/shop/migrations/0002_x.py' } });
    assert.deepEqual(found.map((f) => f.rule), ['add-field-not-null']);
  });

  it('reads the plain shape: imports, docstrings, comments, initial, replaces, run_before, swappable dependencies', async () => {
    const text = `"""Generated."""
# a comment
from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """The class docstring."""

    initial = True
    replaces = [("shop", "0001_a"), ("shop", "0002_b")]
    run_before = [("billing", "0001_initial")]
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),  # the user model
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL))], options={"db_table": "orders"}),
        # between operations
        migrations.AddField("order", "paid", models.BooleanField(default=False)),
        migrations.AddIndex(model_name="order", index=models.Index(fields=["paid"], name="paid_idx")),
        migrations.AlterUniqueTogether(name="order", unique_together={("user", "paid")}),
        migrations.AddField(model_name="order", name="tags", field=models.ManyToManyField(to="shop.Tag")),
        migrations.CreateModel(name="Proxy", fields=[], options={"proxy": True}, bases=("shop.order",)),
    ]
`;
    const { quick, full } = await both(text);
    assert.ok(quick, 'read quickly');
    assert.deepEqual(JSON.parse(JSON.stringify(quick)), JSON.parse(JSON.stringify(full.summary)));
    assert.equal(quick.initial, true);
    assert.deepEqual(quick.dependencies.entries.map((e) => e.kind), ['swappable', 'key']);
    assert.deepEqual(quick.operations.map((o) => [o.specName, o.targetModel, o.createsModel, o.isSchema, o.touchesExistingTable]), [
      ['CreateModel', null, 'order', true, false],
      ['AddField', 'order', null, true, true],
      ['AddIndex', 'order', null, true, true],
      ['AlterUniqueTogether', 'order', null, true, true],
      ['AddField', 'order', null, true, false],
      ['CreateModel', null, null, false, false],
    ]);
  });

  const toFull: Array<[string, string]> = [
    ['a RunPython', plain('        migrations.RunPython(migrations.RunPython.noop),')],
    ['a RunSQL', plain('        migrations.RunSQL("SELECT 1", "SELECT 1"),')],
    ['SeparateDatabaseAndState', plain('        migrations.SeparateDatabaseAndState(state_operations=[]),')],
    ['an operation outside a transaction', plain('        AddIndexConcurrently(model_name="order", index=models.Index(fields=["x"], name="x")),', 'from django.contrib.postgres.operations import AddIndexConcurrently\nfrom django.db import migrations, models\n')],
    ['atomic', plain(ADD).replace('    dependencies', '    atomic = False\n    dependencies')],
    ['a suppression comment', plain(`${ADD}  # migration-guard: ignore[mixed-data-and-schema]`)],
    ['a syntax error', plain(`${ADD}\n        migrations.AddField(model_name="order",`)],
    ['a module-level assignment', `X = 1\n${plain(ADD)}`],
    ['a function', `def f(apps, schema_editor):\n    pass\n\n${plain(ADD)}`],
    ['a second class', `${plain(ADD)}\n\nclass Other:\n    pass\n`],
    ['operations built with +', plain(ADD).replace('operations = [', 'operations = [] + [')],
    ['operations extended later', `${plain(ADD)}    operations += []\n`],
    ['an attribute set twice', plain(ADD).replace('    operations', '    dependencies = []\n    operations')],
    ['an operation of another library', plain('        CustomOp(name="x"),', 'from django.db import migrations, models\nfrom lib import CustomOp\n')],
    ['an operation with *args', plain('        migrations.AddField(*ARGS),')],
    ['an unknown keyword', plain('        migrations.AddField(model_name="order", name="x", field=models.TextField(), bogus=1),')],
    ['a conditional operation', plain(`${ADD.replace('),', ') if True else None,')}`)],
  ];
  for (const [what, text] of toFull) {
    it(`leaves a file with ${what} to the full analysis`, async () => {
      const { quick, full } = await both(text);
      assert.equal(quick, null);
      assert.ok(full.summary || what === 'a syntax error', 'the full analysis reads it');
    });
  }

  it('is exercised by the fixtures of every other shape: a plain file with one schema operation is read', async () => {
    const { quick } = await both(plain(ADD));
    assert.ok(quick);
  });
});

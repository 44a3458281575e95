/**
 * The summary read from the text alone, before any parse, must be the summary read from the tree
 * whenever it is given — and it may only be given for text tree-sitter parses without an error.
 * Checked on every generated benchmark migration, on thousands of damaged copies of them (a
 * character deleted, inserted or doubled, lines swapped …), and on shapes that must or must not
 * be read this way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateCorpus } from '../bench/corpus';
import { analyzeFile } from '../server/src/analysis/engine';
import { quickSummary } from '../server/src/analysis/project/quick-summary';
import { textSummary } from '../server/src/analysis/project/text-summary';
import { mergeSettings } from '../server/src/config/settings';
import { getParser } from './helpers/lint';
import { ADD_FIELD, plainMigration } from './helpers/plain-migration';

/** Both readings: from the text, and from the tree (null when the tree has an error). */
async function both(text: string, name = '0002_x') {
  const parser = await getParser();
  const tree = parser.parse(text);
  try {
    return { text: textSummary(text, name, null), tree: tree.rootNode.hasError ? null : quickSummary(tree.rootNode, text, name, null), hasError: tree.rootNode.hasError };
  } finally {
    tree.delete();
  }
}

const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

/** A small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const INSERTS = ['(', ')', '[', ']', '{', '}', ',', ':', '=', '.', '"', "'", '\\', '#', ' ', '\t', '\n', '\r', 'x', '1', '-', '*', 'if ', 'lambda ', '"""', 'f"', 'r"', '0', 'é', ';', '@', '+'];

function mutate(text: string, rand: () => number): string {
  const at = Math.floor(rand() * text.length);
  const kind = Math.floor(rand() * 5);
  switch (kind) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + (INSERTS[Math.floor(rand() * INSERTS.length)] as string) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.charAt(at) + text.slice(at);
    case 3: {
      const lines = text.split('\n');
      const i = Math.floor(rand() * (lines.length - 1));
      [lines[i], lines[i + 1]] = [lines[i + 1] as string, lines[i] as string];
      return lines.join('\n');
    }
    default: {
      // Re-indent one line by one space.
      const lines = text.split('\n');
      const i = Math.floor(rand() * lines.length);
      lines[i] = rand() < 0.5 ? ` ${lines[i]}` : (lines[i] as string).replace(/^ /, '');
      return lines.join('\n');
    }
  }
}

const plain = plainMigration;
const ADD = ADD_FIELD;

describe('summary read from the text', () => {
  it('equals the tree reading on every generated migration, and reads nearly all the plain ones', async () => {
    const corpus = generateCorpus(20240611);
    let treeRead = 0;
    let textRead = 0;
    for (const f of corpus.files) {
      const name = f.rel.split('/').pop()?.replace(/\.py$/, '') ?? '';
      const r = await both(f.text, name);
      if (r.tree) treeRead++;
      if (!r.text) continue;
      textRead++;
      assert.ok(r.tree, `${f.rel}: read from the text, but the tree reading refuses it`);
      assert.deepEqual(json(r.text), json(r.tree), f.rel);
    }
    assert.ok(textRead >= treeRead * 0.97, `the text reading took ${textRead} of the ${treeRead} files the tree reading takes`);
  });

  it('accepts no damaged file the tree reading refuses or reads otherwise (6,000 mutations)', async () => {
    const corpus = generateCorpus(20240611);
    const sources = corpus.files.filter((f) => f.kind === 'schema' || f.kind === 'initial').slice(0, 300);
    const rand = rng(7);
    let accepted = 0;
    let broken = 0;
    for (let i = 0; i < 6000; i++) {
      const base = sources[i % sources.length]?.text as string;
      let text = mutate(base, rand);
      if (rand() < 0.3) text = mutate(text, rand);
      const r = await both(text);
      if (r.hasError) broken++;
      if (!r.text) continue;
      accepted++;
      assert.equal(r.hasError, false, `accepted text tree-sitter cannot parse:\n${text}`);
      assert.ok(r.tree, `accepted text the tree reading refuses:\n${text}`);
      assert.deepEqual(json(r.text), json(r.tree), text);
    }
    // The mutations must exercise both sides: many broken files, many still read.
    assert.ok(broken > 1000, `${broken} broken`);
    assert.ok(accepted > 1000, `${accepted} accepted`);
  });

  it('reads the shapes makemigrations writes, with positions in UTF-16 columns', async () => {
    const shapes = [
      plain(ADD),
      plain(ADD).replace(/\n/g, '\r\n'),
      `# -*- coding: utf-8 -*-\n"""Docstring."""\nfrom __future__ import unicode_literals\n\n${plain(ADD)}`,
      ` # a file that starts with a space\n${plain(ADD)}`,
      plain('        migrations.AddField("order", "note", models.CharField(max_length=10, default="é😀", help_text=("a" "b"))),'),
      plain(ADD, 'from django.db import (\n    migrations,\n    models,\n)\nimport django.db.models.deletion as deletion\nfrom django.conf import settings\n'),
      plain('        migrations.AlterUniqueTogether(name="order", unique_together={("a", "b")}),\n        migrations.AlterModelOptions(name="order", options={"ordering": ("-id",)}),'),
      plain('        migrations.AddField(model_name="order", name="n", field=models.DecimalField(max_digits=10, decimal_places=2, default=-1.5e3)),'),
      plain('')
        .replace('    dependencies = [("shop", "0001_initial")]', '    """Its docstring."""\n\n    initial = True\n\n    dependencies = [\n        ("shop", "0001_initial"),  # a comment\n        migrations.swappable_dependency(settings.AUTH_USER_MODEL),\n    ]\n    replaces = [("shop", "0001_a"), ("shop", "0002_b")]')
        .replace('from django.db', 'from django.conf import settings\nfrom django.db'),
    ];
    for (const text of shapes) {
      const r = await both(text);
      assert.ok(r.text, `not read from the text:\n${text}`);
      assert.deepEqual(json(r.text), json(r.tree), text);
    }
  });

  it('leaves every other shape to the parser', async () => {
    const shapes = [
      plain('        migrations.RunPython(forwards),'),
      plain(ADD).replace('class Migration', 'if True:\n    pass\n\nclass Migration'),
      plain('        migrations.AddField("order", "n", models.IntegerField(default=1 + 1)),'),
      plain('        migrations.AddField("order", "n", models.IntegerField(default=VALUES[0])),'),
      plain('        migrations.AddField("order", "n", models.IntegerField(default=lambda: 1)),'),
      plain('        migrations.AddField("order", "n", models.CharField(default=f"x{1}")),'),
      plain('        migrations.AddField("order", "n", models.IntegerField(**KWARGS)),'),
      plain(ADD).replace('    operations = [', '    operations = \\\n    ['),
      plain(ADD).replace('\n    operations', '\n\toperations'),
      plain(ADD).replace('    dependencies = [("shop", "0001_initial")]', '    dependencies = [("shop", "0001_initial")]\n    run_before = dependencies'),
      plain(ADD).replace('class Migration(migrations.Migration):', 'class Migration(migrations.Migration): pass\nclass Other:'),
      plain(ADD).replace('"note"', '"note\\\n"'),
      plain(ADD) + '\nclass Another(migrations.Migration):\n    pass\n',
      plain(ADD).replace('dependencies =', 'dependencies: list ='),
      plain(ADD).replace('default=""', 'default=007'),
      plain(ADD).replace('default=""', 'default=1j'),
      plain(ADD).replace('"order"', '"order" "x" if True else "y"'),
    ];
    for (const text of shapes) {
      const r = await both(text);
      assert.equal(r.text, null, `read from the text, but should be left to the parser:\n${text}`);
    }
  });

  it("reads django-safemigrate's `safe` phase as the full analysis does", async () => {
    const withSafe = (value: string, imports: string): string => plain(ADD, `from django.db import migrations, models\n${imports}`).replace('    operations = [', `    safe = ${value}\n\n    operations = [`);
    const cases: Array<[string, string, string | undefined]> = [
      ['Safe.after_deploy()', 'from django_safemigrate import Safe\n', 'after-deploy'],
      ['Safe.before_deploy', 'from django_safemigrate import Safe\n', 'before-deploy'],
      ['django_safemigrate.Safe.always()', 'import django_safemigrate\n', 'always'],
      ['Safe.after_deploy(delay=None)', 'from django_safemigrate.models import Safe\n', 'after-deploy'],
      // Not django-safemigrate's Safe, or not a marker: no phase, and still read from the text.
      ['Safe.after_deploy()', 'from myapp.safety import Safe\n', undefined],
      ['Safe.after_deploy()', '', undefined],
      ['True', 'from django_safemigrate import Safe\n', undefined],
      ['(Safe.always())', 'from django_safemigrate import Safe\n', undefined],
    ];
    const parser = await getParser();
    for (const [value, imports, phase] of cases) {
      const text = withSafe(value, imports);
      const r = await both(text);
      assert.ok(r.text, `not read from the text:\n${text}`);
      assert.deepEqual(json(r.text), json(r.tree), text);
      assert.equal(r.text?.deployPhase, phase, text);
      const tree = parser.parse(text);
      try {
        const full = analyzeFile(tree, text, { rules: mergeSettings({}).rules, batchSize: 1000, name: '0002_x' }).analysis.summary;
        assert.deepEqual(json(r.text), json(full), text);
      } finally {
        tree.delete();
      }
    }
    // Written twice, the attribute is left to the full analysis.
    assert.equal((await both(withSafe('Safe.always()\n    safe = Safe.always()', 'from django_safemigrate import Safe\n'))).text, null);
  });

  it('reads a file that starts with spaces at the right offsets (the tree readings too)', async () => {
    const text = `  # a first line indented by two spaces\n${plain(ADD)}`;
    const parser = await getParser();
    const tree = parser.parse(text);
    try {
      assert.ok(tree.rootNode.startIndex > 0, 'tree-sitter starts the module at its first token');
      const full = analyzeFile(tree, text, { rules: mergeSettings({}).rules, batchSize: 1000, name: '0002_x' }).analysis.summary;
      assert.deepEqual(full?.dependencies.entries.map((e) => (e.kind === 'key' ? `${e.app}.${e.name}` : e.kind)), ['shop.0001_initial']);
      assert.equal(full?.operations[0]?.args?.kind, 'AddField');
      assert.deepEqual(json(textSummary(text, '0002_x', null)), json(full));
    } finally {
      tree.delete();
    }
  });
});

describe('the minute makemigrations wrote a file', () => {
  it('is read from the header, after other comment lines, the same by the text and the tree readings', async () => {
    const body = plainMigration(ADD_FIELD);
    const cases = [
      ['# Generated by Django 4.2.7 on 2024-01-31 12:05\n\n', '2024-01-31 12:05'],
      ['# -*- coding: utf-8 -*-\n# Generated by Django 1.11.1 on 2017-06-07 18:00\nfrom __future__ import unicode_literals\n', '2017-06-07 18:00'],
      ['# Generated by Django 5.0.dev20230101 on 2023-01-01 00:00\r\n', '2023-01-01 00:00'],
      ['', undefined],
      ['"""Doc."""\n# Generated by Django 4.2 on 2024-01-31 12:05\n', undefined],
      ['# Written by hand on 2024-01-31 12:05\n', undefined],
    ] as const;
    const p = await getParser();
    for (const [head, want] of cases) {
      const text = head + body;
      const fromText = textSummary(text, '0002_x', null);
      const tree = p.parse(text);
      try {
        const fromTree = quickSummary(tree.rootNode, text, '0002_x', null) ?? analyzeFile(tree, text, { name: '0002_x' }).analysis.summary;
        assert.equal(fromTree?.generated, want, JSON.stringify(head));
        if (fromText) assert.equal(fromText.generated, want, JSON.stringify(head));
      } finally {
        tree.delete();
      }
    }
  });
});

/**
 * Incremental re-parsing: after any sequence of LSP range edits (multi-line, non-ASCII, deletes),
 * the tree kept for an open document must equal a fresh parse of the same text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OpenDocuments } from '../../server/src/protocol/open-documents';
import { getParser } from '../helpers/lint';

const BASE = `from django.db import migrations

# café ☕ — non-ASCII before the code, surrogate pairs too: 😀


def forwards(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.all():
        order.note = "naïve"
        order.save()


class Migration(migrations.Migration):
    operations = [migrations.RunPython(forwards)]
`;

/** A small deterministic PRNG so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SNIPPETS = ['x', '\n', '    ', 'é', '😀', 'def f():\n    pass\n', ')', '"', '', 'operations = []\n', '\r\n'];

describe('incremental parsing of open documents', () => {
  it('matches a fresh parse after 300 random edits', async () => {
    const parser = await getParser();
    const docs = new OpenDocuments(parser);
    const uri = 'untitled:t';
    const doc = docs.open(uri, 1, BASE);
    docs.treeOf(doc);
    const rand = rng(42);
    for (let v = 2; v < 302; v++) {
      const text = doc.document.getText();
      const a = Math.floor(rand() * (text.length + 1));
      const b = Math.min(text.length, a + Math.floor(rand() * 12));
      // Never split a surrogate pair: editors do not.
      const safe = (i: number) => (i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i] as string) ? i - 1 : i);
      const start = doc.document.positionAt(safe(a));
      const end = doc.document.positionAt(Math.max(safe(a), safe(b)));
      const insert = SNIPPETS[Math.floor(rand() * SNIPPETS.length)] as string;
      docs.change(uri, v, [{ range: { start, end }, text: insert }]);
      const incremental = docs.treeOf(doc);
      const fresh = parser.parse(doc.document.getText());
      try {
        assert.equal(incremental.rootNode.toString(), fresh.rootNode.toString(), `edit ${v} diverged`);
      } finally {
        fresh.delete();
      }
    }
    docs.dispose();
  });

  it('handles several changes in one notification and a full-text replacement', async () => {
    const parser = await getParser();
    const docs = new OpenDocuments(parser);
    const doc = docs.open('untitled:u', 1, 'a = 1\nb = 2\n');
    docs.treeOf(doc);
    docs.change('untitled:u', 2, [
      { range: { start: { line: 1, character: 4 }, end: { line: 1, character: 5 } }, text: '3' },
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# c\n' },
    ]);
    assert.equal(doc.document.getText(), '# c\na = 1\nb = 3\n');
    assert.equal(docs.treeOf(doc).rootNode.toString(), parser.parse(doc.document.getText()).rootNode.toString());
    docs.change('untitled:u', 3, [{ text: 'class Migration: pass\n' }]);
    assert.equal(docs.treeOf(doc).rootNode.firstNamedChild?.type, 'class_definition');
    docs.dispose();
  });

  it('keeps the trees of the documents parsed last only, and parses a dropped one whole again', async () => {
    const parser = await getParser();
    const docs = new OpenDocuments(parser);
    const opened = Array.from({ length: 20 }, (_, i) => docs.open(`untitled:d${i}`, 1, BASE.replace('naïve', `note ${i}`)));
    for (const doc of opened) docs.treeOf(doc);
    assert.equal(docs.treeCount(), 8, 'eight trees kept, not twenty');
    assert.equal(opened[0]?.tree, null, 'the oldest tree was dropped');
    assert.notEqual(opened[19]?.tree, null);
    // An edit to a document without a tree: the next tree is a whole parse of the new text.
    const first = opened[0]!;
    docs.change(first.uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' }]);
    const tree = docs.treeOf(first);
    const fresh = parser.parse(first.document.getText());
    try {
      assert.equal(tree.rootNode.toString(), fresh.rootNode.toString());
      assert.match(tree.rootNode.text, /^# edited\n/);
    } finally {
      fresh.delete();
    }
    assert.equal(docs.treeCount(), 8);
    // Large documents: fewer trees, by the text they span.
    const big = BASE.repeat(2_000);
    const bigDocs = Array.from({ length: 4 }, (_, i) => docs.open(`untitled:big${i}`, 1, big));
    for (const doc of bigDocs) docs.treeOf(doc);
    assert.ok(bigDocs.filter((d) => d.tree).length < 4, 'at most ~400 k characters of trees besides the current one');
    assert.notEqual(bigDocs[3]?.tree, null, 'the tree just parsed is kept');
    docs.dispose();
    assert.equal(docs.treeCount(), 0);
  });
});

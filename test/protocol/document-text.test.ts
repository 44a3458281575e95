/**
 * The open-document text buffer must agree with vscode-languageserver-textdocument (the LSP's
 * reference model) on the text, every offset <-> position mapping and clamping, after any
 * sequence of range edits — including edits that join or split `\r\n` pairs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentText } from '../../server/src/protocol/document-text';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SNIPPETS = ['x', '\n', '\r', '\r\n', '\n\r', '', 'é😀', 'two\nlines', 'cr\rline', '    ', 'end\r'];
const START = 'a = 1\r\nb = 2\rc = 3\n\nd = "é"\r\n';

function agree(mine: DocumentText, ref: TextDocument, label: string): void {
  const text = ref.getText();
  assert.equal(mine.getText(), text, `${label}: text`);
  assert.equal(mine.lineCount, ref.lineCount, `${label}: line count`);
  for (let o = -1; o <= text.length + 1; o++) assert.deepEqual(mine.positionAt(o), ref.positionAt(o), `${label}: positionAt(${o})`);
  for (let line = -1; line <= ref.lineCount; line++) {
    for (let character = -1; character <= 12; character++) {
      assert.equal(mine.offsetAt({ line, character }), ref.offsetAt({ line, character }), `${label}: offsetAt(${line}:${character})`);
    }
  }
}

describe('DocumentText (the open-document buffer)', () => {
  it('agrees with the reference text document after 2,000 random edits', () => {
    const rand = rng(7);
    let ref = TextDocument.create('untitled:x', 'python', 1, START);
    const mine = new DocumentText(START, 1);
    agree(mine, ref, 'start');
    for (let v = 2; v < 2002; v++) {
      const lines = ref.lineCount;
      const pos = () => ({ line: Math.floor(rand() * (lines + 1)), character: Math.floor(rand() * 9) });
      const range = { start: pos(), end: pos() }; // sometimes reversed, sometimes past the end
      const text = SNIPPETS[Math.floor(rand() * SNIPPETS.length)] as string;
      ref = TextDocument.update(ref, [{ range, text }], v);
      mine.replace(range, text);
      if (v % 50 === 0 || v < 100) agree(mine, ref, `edit ${v}`);
      else assert.equal(mine.getText(), ref.getText(), `edit ${v}: text`);
    }
  });

  it('agrees with it when the text is asked for only now and then (edits spliced into the last text, or joined from the lines)', () => {
    const rand = rng(11);
    let ref = TextDocument.create('untitled:x', 'python', 1, START);
    const mine = new DocumentText(START, 1);
    for (let v = 2; v < 3002; v++) {
      const lines = ref.lineCount;
      const pos = () => ({ line: Math.floor(rand() * (lines + 1)), character: Math.floor(rand() * 9) });
      const range = { start: pos(), end: pos() };
      const text = SNIPPETS[Math.floor(rand() * SNIPPETS.length)] as string;
      ref = TextDocument.update(ref, [{ range, text }], v);
      mine.replace(range, text);
      // One, two or several edits between looks, as keystrokes and bursts come.
      if (rand() < 0.4) assert.equal(mine.getText(), ref.getText(), `edit ${v}: text`);
      if (v % 100 === 0) agree(mine, ref, `edit ${v}`);
    }
    mine.setText('x\r\ny');
    mine.replace({ start: { line: 1, character: 0 }, end: { line: 1, character: 1 } }, 'z');
    assert.equal(mine.getText(), 'x\r\nz');
  });

  it('joins a lone \\r and a \\n brought next to it into one line break', () => {
    const mine = new DocumentText('a\rX\nb', 1);
    assert.equal(mine.lineCount, 3);
    mine.replace({ start: { line: 1, character: 0 }, end: { line: 1, character: 1 } }, '');
    assert.equal(mine.getText(), 'a\r\nb');
    assert.equal(mine.lineCount, 2);
    assert.deepEqual(mine.positionAt(3), { line: 1, character: 0 });
  });
});

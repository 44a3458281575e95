/**
 * Reading Python source as Python does (PEP 263) and writing it back byte for byte: declarations
 * on line 1 or 2, a BOM, aliases, undecodable bytes, and characters an encoding cannot hold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSource, encodeSource, EncodingError } from '../server/src/workspace/source-encoding';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('decoding Python source', () => {
  it('reads UTF-8 when nothing is declared, and round-trips it', () => {
    const b = Buffer.from('x = "£é€"\n', 'utf8');
    const d = decodeSource(b);
    assert.deepEqual([d.text, d.encoding, d.readOnly, d.problem], ['x = "£é€"\n', { name: 'utf-8', bom: false }, null, null]);
    assert.deepEqual(encodeSource(d.text, d.encoding), b);
  });

  it('honours a coding line on line 1, or on line 2 after a comment line, but not after code', () => {
    assert.equal(decodeSource(bytes('# -*- coding: latin-1 -*-\nx = "', [0xa3], '"\n')).text, '# -*- coding: latin-1 -*-\nx = "£"\n');
    assert.equal(decodeSource(bytes('#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\nx = "', [0xa4], '"\n')).text.endsWith('x = "€"\n'), true);
    const late = decodeSource(bytes('import os\n# coding: latin-1\nx = "', [0xa3], '"\n'));
    assert.equal(late.encoding.name, 'utf-8', 'a declaration after code does not count');
    assert.notEqual(late.problem, null);
  });

  it('maps Python codec names (cp1252, latin1, utf8) and round-trips single-byte encodings', () => {
    for (const [declared, name] of [['cp1252', 'windows-1252'], ['latin1', 'latin-1'], ['UTF8', 'utf-8'], ['iso8859_15', 'iso-8859-15'], ['koi8_r', 'koi8-r']]) {
      const b = bytes(`# coding: ${declared}\ns = "`, [0xe9, 0xc0], '"\n');
      const d = decodeSource(b);
      assert.equal(d.encoding.name, name, declared);
      if (name === 'utf-8') assert.notEqual(d.problem, null);
      else assert.deepEqual(encodeSource(d.text, d.encoding), b, declared);
    }
  });

  it('keeps a BOM aside and writes it back', () => {
    const b = bytes([0xef, 0xbb, 0xbf], 'x = 1\r\n');
    const d = decodeSource(b);
    assert.deepEqual([d.text, d.encoding.bom], ['x = 1\r\n', true]);
    assert.deepEqual(encodeSource(d.text, d.encoding), b);
  });

  it('marks undecodable text read-only and says where Python stops', () => {
    const d = decodeSource(bytes('a = 1\nb = "', [0xff], '"\n'));
    assert.match(d.readOnly ?? '', /not valid UTF-8 and declares no encoding/);
    assert.deepEqual([d.problem?.line, d.problem?.character], [1, 5]);
    assert.match(decodeSource(bytes('# coding: klingon\nx = 1\n')).problem?.message ?? '', /unknown encoding 'klingon'/);
    // Names the codec registry normalises to one it knows (Python reads all three; `utf-8.` it does not).
    for (const name of ['utf-', 'utf--8', 'latin--1']) assert.equal(decodeSource(bytes(`# -*- coding: ${name}\nx = 1\n`)).problem, null, name);
    assert.match(decodeSource(bytes('# coding: utf-8.\nx = 1\n')).problem?.message ?? '', /unknown encoding 'utf-8\.'/);
    assert.match(decodeSource(bytes([0xef, 0xbb, 0xbf], '# coding: latin-1\n')).readOnly ?? '', /byte-order mark/);
    assert.match(decodeSource(bytes('# coding: ascii\nx = "', [0xe9], '"\n')).readOnly ?? '', /not valid ascii/);
  });

  it('reads multi-byte encodings but refuses to write them', () => {
    const d = decodeSource(Buffer.concat([Buffer.from('# coding: shift_jis\nx = "'), Buffer.from([0x82, 0xa0]), Buffer.from('"\n')]));
    assert.equal(d.text, '# coding: shift_jis\nx = "あ"\n');
    assert.match(d.readOnly ?? '', /writing shift_jis is not supported/);
  });
});

describe('encoding Python source', () => {
  it('refuses a character the encoding cannot hold instead of replacing it', () => {
    assert.throws(() => encodeSource('x = "€"\n', { name: 'latin-1', bom: false }), EncodingError);
    assert.throws(() => encodeSource('x = "é"\n', { name: 'ascii', bom: false }), EncodingError);
    assert.throws(() => encodeSource('x = "\ud800"\n', { name: 'utf-8', bom: false }), EncodingError);
    assert.throws(() => encodeSource('x = "あ"\n', { name: 'windows-1252', bom: false }), /line 1/);
  });
});

/**
 * Errors of whole statements that tree-sitter's grammar reads without an error and Python's
 * compiler refuses (statement-errors.ts): a misplaced or unknown `from __future__` import, an
 * annotated assignment inside a chain (`del` of a literal: argument-errors.test.ts). Judged against
 * Debian's python3, message and all; on a migration the CLI reports syntax-error and writes no fix.
 * (Found by damaging real migrations: `import x` added above `from __future__ import
 * unicode_literals`, and a stray colon in `settings[KEY] = saved_views`.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { argumentError } from '../server/src/analysis/argument-errors';
import { parsesAsPython } from '../server/src/analysis/indentation';
import { afterUnsafeFixes, SAVE_LOOP_MIGRATION, TempDirs } from './helpers/cli';
import { DJANGO_PYTHON } from './helpers/django';
import { getParser } from './helpers/lint';

const temps = new TempDirs();
after(() => temps.removeAll());

const CASES: Record<string, string> = {
  'future after an import': 'import os\nfrom __future__ import unicode_literals\n',
  'future after a statement on its line': 'x = 1; from __future__ import division\n',
  'future inside a function': 'def f():\n    from __future__ import division\n',
  'future after a second string': '"""doc"""\n"""more"""\nfrom __future__ import division\n',
  'future after a bytes string': 'b"doc"\nfrom __future__ import division\n',
  'future after an f-string': 'f"doc"\nfrom __future__ import division\n',
  'future after a later statement, the first one fine': 'from __future__ import division\nimport os\nfrom __future__ import print_function\n',
  'future of braces': 'from __future__ import braces\n',
  'future of an unknown feature, aliased': 'from __future__ import division as d, nope\n',
  'fine: docstring, comments, blank lines and futures': '# -*- coding: utf-8 -*-\n\n"""doc"""  # note\n# more\nfrom __future__ import absolute_import\nfrom __future__ import (print_function,\n    unicode_literals)\nimport os\n',
  'fine: a parenthesized docstring': '("doc")\nfrom __future__ import division\n',
  'fine: a concatenated docstring': '"a" "b"\nfrom __future__ import annotations\n',
  'fine: futures then a statement on their line': 'from __future__ import division; x = 1\n',
  'fine: a future import spelled in a string and a comment later': 'import os\nx = "from __future__ import division"\n# from __future__ import division\ny = """\nfrom __future__ import division\n"""\n',
  'fine: every feature': 'from __future__ import nested_scopes, generators, division, absolute_import, with_statement, print_function, unicode_literals, generator_stop, annotations\n',
  'annotation in a chain (a stray colon)': 'settings = {}\nsettings["k"] = save:d_views_settings\n',
  'annotation in a chain with a value': 'a = b: int = 3\n',
  'annotation after an augmented assignment': 'a += b: c\n',
  'annotation at the end of a longer chain': 'a = b = c: int\n',
  'annotation as the value of an annotation': 'x: int = a: int\n',
  'annotation in a chain, in a loop': 'for x in y:\n    a = b: c\n',
  'fine: a name in brackets, an attribute, an item': '(a): int = 1\na.b: int = 1\na.b[0]: str\n',
  'fine: lambdas, dicts, slices, one-line blocks': 'x = lambda: 0\ny = lambda a, b: a\nd = {a: b}\ns = x[1:2]\nif x: y = z\nwhile a >= b: pass\nf(a=b)\nz = y  # note: z\nt = "a = b: c"\n',
  'fine: annotations': 'x: int = 1\ny: "Model"\nz: list[int] = []\n',
  'fine: a walrus': 'if (n := 10) > 5: pass\n',
  // A file cut short: an import that ends with a comma, a try block with no handler.
  'an import cut after a comma': 'from django.db import migrations, \n',
  'an import cut after a comma, a comment after it': 'import os,  # more\nx = 1\n',
  'a try with no handler': 'def f():\n    try:\n        x = 1\n    y = 2\n',
  'a try cut at the end of the file': 'try:\n    x = 1\n',
  'fine: imports in brackets, continued, or in a string': 'from os import (path,\n    sep,)\nfrom os import path, \\\n    sep\nx = "import a,"\ny = \"\"\"\nimport b,\n\"\"\"\n',
  'a return dedented out of its function': 'def f(apps, schema_editor):\n    x = 1\nreturn x\n',
  'a yield at module level': 'x = 1\nyield x\n',
  'fine: return and yield in functions, and words in strings': 'def f():\n    return 1\n\n\ndef g():\n    yield 1\n\n\ns = \"\"\"\nreturn 1\n\"\"\"\n',
  'fine: try with except, finally, or both, and one on a line': 'try:\n    x = 1\nexcept Exception:\n    pass\ntry:\n    x = 1\nfinally:\n    pass\ntry: x = 1\nexcept: pass\n',
  'fine: comparisons before a colon': 'if a == b: pass\nif a >= b: pass\nif a != b: pass\nif a <= b: pass\n',
};

/** What Debian's python3 says of each case: null when it compiles, else its SyntaxError's message. */
function pythonMessages(cases: Readonly<Record<string, string>>): Record<string, string | null> {
  const script = [
    'import json, sys, warnings',
    'warnings.simplefilter("ignore")',
    'out = {}',
    'for name, src in json.load(sys.stdin).items():',
    '    try:',
    '        compile(src, name, "exec")',
    '        out[name] = None',
    '    except SyntaxError as e:',
    '        out[name] = e.msg',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(DJANGO_PYTHON, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string | null>;
}

describe('statement errors', () => {
  it('refuses exactly what Python refuses, with its message, where tree-sitter reads the text without an error', async () => {
    const parser = await getParser();
    const python = pythonMessages(CASES);
    const refused = Object.values(python).filter((v) => v !== null).length;
    assert.ok(refused >= 15 && refused < Object.keys(CASES).length, 'both kinds of case are present');
    for (const [name, src] of Object.entries(CASES)) {
      const tree = parser.parse(src);
      try {
        assert.equal(tree.rootNode.hasError, false, `${name}: tree-sitter itself reads it`);
        const ours = argumentError(tree.rootNode);
        const expected = python[name] ?? null;
        assert.equal(ours?.message ?? null, expected === null ? null : `SyntaxError: ${expected}`, name);
        assert.equal(parsesAsPython(tree.rootNode), ours === null, name);
      } finally {
        tree.delete();
      }
    }
  });

  it('points at the statement Python refuses', async () => {
    const parser = await getParser();
    const at = (src: string) => {
      const tree = parser.parse(src);
      try {
        const p = argumentError(tree.rootNode);
        return p && [p.line, p.character];
      } finally {
        tree.delete();
      }
    };
    assert.deepEqual(at(CASES['future after an import'] as string), [1, 0]);
    assert.deepEqual(at(CASES['future inside a function'] as string), [1, 4]);
    assert.deepEqual(at(CASES['annotation in a chain (a stray colon)'] as string), [1, 16]);
    // Leading blank lines (the module's node starts at its first token) keep their place.
    assert.deepEqual(at(`\n\n${CASES['future after an import'] as string}`), [3, 0]);
  });

  it('makes check report syntax-error and write no fix to such a migration', () => {
    const fine = `# -*- coding: utf-8 -*-\nfrom __future__ import unicode_literals\n\n${SAVE_LOOP_MIGRATION}`;
    const bad = `# -*- coding: utf-8 -*-\nimport os\nfrom __future__ import unicode_literals\n\n${SAVE_LOOP_MIGRATION}`;
    const broken = afterUnsafeFixes(temps, bad);
    assert.ok(broken.syntax, broken.rules.join(', '));
    assert.match(broken.syntax.message, /from __future__ imports must occur at the beginning of the file/);
    assert.equal(broken.syntax.line, 3);
    assert.equal(broken.after, bad, 'nothing written');
    const compiling = afterUnsafeFixes(temps, fine);
    assert.equal(compiling.syntax, undefined);
    assert.notEqual(compiling.after, fine, 'the fixes are written when it compiles');
  });
});

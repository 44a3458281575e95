/**
 * Errors in a call's arguments that tree-sitter's grammar lets through
 * and Python's compiler refuses (a keyword given twice is what a duplicated line of an operation
 * makes). Judged against Debian's python3: we refuse exactly what it refuses; on a migration the
 * CLI reports syntax-error and writes no fix.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { argumentError } from '../server/src/analysis/argument-errors';
import { parsesAsPython } from '../server/src/analysis/indentation';
import { afterUnsafeFixes, SAVE_LOOP_MIGRATION, TempDirs } from './helpers/cli';
import { compileVerdicts } from './helpers/django';
import { getParser } from './helpers/lint';

const temps = new TempDirs();
after(() => temps.removeAll());

const CASES: Record<string, string> = {
  'keyword repeated': 'f(name="a", name="b")\n',
  'keyword repeated across lines, in an operation': 'ops = [\n    AddField(\n        model_name="item",\n        model_name="item",\n        name="size",\n    ),\n]\n',
  'positional after keyword': 'f(a=1, 2)\n',
  'positional after **': 'f(**k, 2)\n',
  '* after **': 'f(**k, *a)\n',
  'keyword repeated in a class header': 'class A(B, metaclass=M, metaclass=N):\n    pass\n',
  'positional after keyword in a decorator': '@d(x=1, y)\ndef f():\n    pass\n',
  'nested call keyword repeated': 'f(g(x=1, x=2), y=3)\n',
  'fine: keywords, * after a keyword, ** last': 'f(1, *a, b=2, *c, **d)\n',
  'fine: the same keyword in two calls': 'f(name="a")\ng(name="a")\nf(x=g(x=1))\n',
  'fine: keyword-only parameters without defaults after *': 'def f(a=1, *, b, c=2, d):\n    pass\n',
  'fine: *args then keyword-only': 'def f(a=1, *args, b, **kw):\n    pass\n',
  'fine: positional-only marker': 'def f(a, /, b=1, *, c):\n    pass\n',
  'fine: a lambda with defaults': 'g = lambda x, y=1, *a, z, **k: 0\n',
  'fine: comments between arguments': 'f(\n    a=1,  # one\n    # between\n    b=2,\n)\n',
  'fine: a two-parameter lambda given by keyword': 'RunPython(code=lambda apps, schema_editor: None, reverse_code=lambda a, b: None)\n',
  'fine: keywords inside strings and nested calls': 'f(a="b=1, b=2", g(b=1), b=[x for x in y], c={"a": 1, "a": 2})\n',
  'fine: a parenthesized condition and a def': 'if (a == b):\n    pass\n\n\ndef f(a=1, *, b):\n    return (a, b)\n',
  'keyword repeated after a lambda keyword': 'f(key=lambda a, b: 0, key=1)\n',
  'positional after keyword, across lines, after a comment': 'f(\n    a=1,\n    # note\n    2,\n)\n',
  'fine: == inside a call': 'f(a == 1, b=2)\n',
  // A line cut in two: `apps.get_mo` / `del("news", "Topic")` (review 56's session: the damaged-input test).
  'del of literals': 'Topic = apps.get_mo\ndel("news", "Topic")\n',
  'del of a call': 'del f(x)\n',
  'del of an expression': 'del a + b\n',
  'fine: del of names, attributes, items and their tuples': 'del a\ndel a.b, c[0], (d, e), [f]\n',
  'del of a call after a colon': 'if x: del f()\n',
  'del of a literal after a semicolon': 'x = 1; del 2\n',
  'fine: the word del in strings and comments': 'x = "Nombre del producto"  # del 1\ny = """\ndel 1\n"""\n',
};

describe('argument errors', () => {
  it('refuses exactly what Python refuses, where tree-sitter reads the text without an error', async () => {
    const parser = await getParser();
    const python = compileVerdicts(CASES);
    const refused = Object.values(python).filter((v) => v !== null).length;
    assert.ok(refused >= 10 && refused < Object.keys(CASES).length, 'both kinds of case are present');
    for (const [name, src] of Object.entries(CASES)) {
      const tree = parser.parse(src);
      try {
        assert.equal(tree.rootNode.hasError, false, `${name}: tree-sitter itself reads it`);
        const ours = argumentError(tree.rootNode);
        assert.equal(ours ? 'SyntaxError' : null, python[name], `${name}: ours ${ours?.message ?? 'none'}, Python ${python[name] ?? 'compiles'}`);
        assert.equal(parsesAsPython(tree.rootNode), ours === null, name);
      } finally {
        tree.delete();
      }
    }
  });

  it('points at the offending argument and says what Python says', async () => {
    const parser = await getParser();
    const at = (src: string) => {
      const tree = parser.parse(src);
      try {
        return argumentError(tree.rootNode);
      } finally {
        tree.delete();
      }
    };
    assert.deepEqual(at(CASES['keyword repeated across lines, in an operation'] as string), { line: 3, character: 8, message: 'SyntaxError: keyword argument repeated: model_name' });
    assert.deepEqual(at(CASES['positional after keyword'] as string), { line: 0, character: 7, message: 'SyntaxError: positional argument follows keyword argument' });
  });

  it('makes check report syntax-error and write no fix to such a migration', () => {
    // A duplicated line in the operation's call: tree-sitter reads it, Python does not.
    const bad = SAVE_LOOP_MIGRATION.replace('migrations.RunPython(forwards),', 'migrations.RunPython(forwards, elidable=True, elidable=True),');
    assert.notEqual(bad, SAVE_LOOP_MIGRATION);
    const broken = afterUnsafeFixes(temps, bad);
    assert.ok(broken.syntax, broken.rules.join(', '));
    assert.match(broken.syntax.message, /keyword argument repeated: elidable/);
    assert.equal(broken.after, bad, 'nothing written');
    const compiling = afterUnsafeFixes(temps, SAVE_LOOP_MIGRATION);
    assert.equal(compiling.syntax, undefined);
    assert.notEqual(compiling.after, SAVE_LOOP_MIGRATION, 'the fixes are written when it compiles');
  });
});

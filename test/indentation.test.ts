/**
 * Indentation errors tree-sitter's grammar lets through, judged against Python's own compiler
 * (Debian's python3): every case here must be refused by Python exactly when we refuse it, and on a
 * migration the CLI reports syntax-error and writes no fix.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { indentationProblem } from '../server/src/analysis/indentation';
import { SAVE_LOOP_MIGRATION, TempDirs, writeFileIn } from './helpers/cli';
import { compileVerdicts } from './helpers/django';
import { DIST } from './helpers/paths';

const temps = new TempDirs();
after(() => temps.removeAll());

const CASES: Record<string, string> = {
  'body at the header column': 'def f(x):\nreturn x\n',
  'body after a comment line, not indented': 'if True:\n    # note\npass\n',
  'header at the end of the file': 'x = 1\nfor y in z:\n',
  'unexpected indent at the top': '    import os\n',
  'unexpected indent after a simple line': 'x = 1\n    y = 2\n',
  'unexpected indent after a one-line compound': 'if x: pass\n    y = 2\n',
  'unindent to no outer level': 'def f():\n        x = 1\n    return x\n',
  'tab against eight spaces, inconsistent': 'if x:\n\ty = 1\n        z = 2\n',
  'fine: nested blocks and dedent': 'class A:\n    def f(self):\n        if self:\n            return 1\n        return 2\n\n\nx = A()\n',
  'fine: brackets across lines at any column': 'x = [\n1,\n        2,\n  3]\ny = f(a,\n  b)\n',
  'fine: backslash continuation': 'x = 1 + \\\n        2\nif x:\n    y = 3 \\\n+ 4\n',
  'fine: triple-quoted string with odd indentation': 'def f():\n    s = """\nnot indented\n        more\n"""\n    return s\n',
  'fine: colons inside brackets and strings': 'x = {1: 2,\n     3: 4}\ny = x[1:]\nz = "a:"\nw = lambda: 0\n',
  'fine: comments and blank lines anywhere': 'def f():\n# at column 0\n\n        # deep\n    return 1\n',
  'fine: a one-line compound statement': 'if x: y = 1\nelse: y = 2\n',
  'fine: decorators and a class body': '@dec\nclass A:\n    x: int = 1\n\n    @property\n    def p(self):\n        return self.x\n',
  'fine: CRLF line ends': 'def f():\r\n    return 1\r\n',
  'fine: a string with an escaped quote and a colon': "x = 'it\\'s:'\nif x:\n    pass\n",
  'fine: an f-string with a format spec': 'x = f"{y:>10}"\nif x:\n    pass\n',
  'fine: tabs used the same way throughout': 'if x:\n\ty = 1\n\tif y:\n\t\tz = 2\n',
  'fine: the first line after blank lines': '\n\nimport os\n',
  // A logical line cut where an operand must follow: the grammar reads on across the line break, Python does not.
  'line cut after =': 'x =\ny = 1\n',
  'line cut after an operator, before a comment': 'x = a +  # more\ny\n',
  'line cut after and': 'x = a and\ny\n',
  'import alone': 'import\nos\n',
  'conditional cut after else': 'x = a if b else\nc\n',
  'line cut after a minus, at the end': 'x = 1 -\n',
  'line cut after a closing bracket and an operator': 'x = [1,\n2] +\n3\n',
  'fine: a float with a trailing dot, a star import, a trailing comma': 'x = 1.\nfrom os import *\ny = 1,\n',
  'fine: an operator before a bracket or a backslash': 'x = a + (\n  b)\ny = a and \\\n  b\nz = [1,\n2] + [\n3]\n',
  'fine: statements that end with a keyword, names like keywords': 'def f():\n    return\nfor x in y:\n    break\nis_ = 1\nx = y.is_in\nelse_ = 2\n',
  'a string cut by a line break': 'x = f(name=\'\n  doc\')\n',
  'a bytes string cut by a line break': 'x = b"a\nb"\n',
  'fine: a backslash before the line break in a string': 'x = "a\\\nb"\n',
  'fine: an operator at the end of a string or a comment': 'x = "a ="  # b =\ny = """c +\n"""\n',
};

describe('indentation errors', () => {
  it('refuses exactly what Python refuses, as the same error', () => {
    const python = compileVerdicts(CASES);
    const refused = Object.values(python).filter((v) => v !== null).length;
    assert.ok(refused >= 8 && refused < Object.keys(CASES).length, 'both kinds of case are present');
    for (const [name, src] of Object.entries(CASES)) {
      const ours = indentationProblem(src);
      const kind = ours ? ours.message.split(':')[0] : null;
      assert.equal(kind, python[name], `${name}: ours ${ours?.message ?? 'none'}, Python ${python[name] ?? 'compiles'}`);
    }
  });

  it('points at the offending line', () => {
    assert.deepEqual(indentationProblem(CASES['body at the header column'] as string), { line: 1, character: 0, message: "IndentationError: expected an indented block after the line 1 ends with ':'" });
    assert.deepEqual(indentationProblem(CASES['unindent to no outer level'] as string), { line: 2, character: 4, message: 'IndentationError: unindent does not match any outer indentation level' });
    assert.equal(indentationProblem(CASES['unexpected indent at the top'] as string)?.line, 0);
  });

  it('is reported on a migration of the plain shape too (read without a parse)', () => {
    const plain = (indent: string) => `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

${indent}operations = [
        migrations.AddField("item", "size", models.IntegerField(null=True)),
    ]
`;
    for (const [indent, broken] of [['    ', false], ['      ', true], ['  ', true]] as const) {
      const root = temps.make();
      writeFileIn(join(root, 'shop', 'migrations', '0002_size.py'), plain(indent));
      writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
      const run = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--no-cache', '--format', 'json', '.'], { cwd: root, encoding: 'utf8' });
      const rules = (JSON.parse(run.stdout) as Array<{ rule: string }>).map((f) => f.rule);
      assert.equal(rules.includes('syntax-error'), broken, `indent ${indent.length}: ${rules.join(', ')}`);
    }
  });

  it('makes check report syntax-error and write no fix to such a migration', () => {
    const good = SAVE_LOOP_MIGRATION;
    // The same file with the loop's body one level too shallow: tree-sitter reads it, Python does not.
    const bad = good.replace('        item.flag = True\n        item.save()\n', '    item.flag = True\n    item.save()\n');
    assert.notEqual(bad, good);
    for (const [text, broken] of [[good, false], [bad, true]] as const) {
      const root = temps.make();
      const file = join(root, 'shop', 'migrations', '0002_flag.py');
      writeFileIn(file, text);
      writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
      const run = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--no-cache', '--fix', '--unsafe-fixes', '--format', 'json', '.'], { cwd: root, encoding: 'utf8' });
      const rules = (JSON.parse(run.stdout) as Array<{ rule: string; message: string }>).map((f) => f.rule);
      if (broken) {
        assert.ok(rules.includes('syntax-error'), rules.join(', '));
        assert.equal(readFileSync(file, 'utf8'), bad, 'nothing written');
      } else {
        assert.ok(!rules.includes('syntax-error'));
        assert.notEqual(readFileSync(file, 'utf8'), good, 'the fixes are written when it parses');
      }
    }
  });
});

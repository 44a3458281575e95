/**
 * The values built from python-subset-reader's expressions (subset-values.ts) must be the values
 * literal-text.ts reads from the same text, interning included: the text summary of a plain
 * migration uses the first, every other reading the second, and the project view compares them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateCorpus } from '../bench/corpus';
import { ValueInterner } from '../server/src/analysis/interner';
import { Reader, type Expr } from '../server/src/analysis/project/python-subset-reader';
import { SubsetValues } from '../server/src/analysis/project/subset-values';
import { Scope } from '../server/src/analysis/scope';
import type { Node } from '../server/src/analysis/syntax';
import { Evaluator, type Value } from '../server/src/analysis/values';

const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

function scopeWithImports(): Scope {
  const scope = new Scope(null);
  const node = null as unknown as Node;
  scope.bind('models', { kind: 'import', node, importedFrom: 'django.db', importedName: 'models' }, true);
  scope.bind('migrations', { kind: 'import', node, importedFrom: 'django.db', importedName: 'migrations' }, true);
  scope.bind('settings', { kind: 'import', node, importedFrom: 'django.conf', importedName: 'settings' }, true);
  return scope;
}

/** Both readings of one expression written alone. */
function both(text: string, shared?: { interner: ValueInterner; imports: string }): { fromText: Value; fromExpr: Value } {
  const expr: Expr = new Reader(text).expression(true);
  assert.equal(expr.end, text.length, `the reader took all of ${text}`);
  const fromText = new Evaluator(scopeWithImports(), undefined, shared).evalSpan(text, 0, text.length);
  const fromExpr = new SubsetValues(text, new Evaluator(scopeWithImports(), undefined, shared).textEnv).valueOf(expr);
  return { fromText, fromExpr };
}

const CASES = [
  `'plain'`,
  `"double"`,
  `''`,
  `'it\\'s'`,
  `"a\\nb\\t\\\\c"`,
  `r'raw\\d+'`,
  `u'unicode'`,
  `b'bytes'`,
  `'''triple ' quoted'''`,
  `"""doc"""`,
  `('implicit' 'concatenation')`,
  `('across'\n 'lines')`,
  `'é ünïcode 漢字'`,
  `0`,
  `255`,
  `-1`,
  `- 42`,
  `+7`,
  `1_000`,
  `0x1F`,
  `0o17`,
  `0b101`,
  `1.5`,
  `.5`,
  `1e3`,
  `99999999999999999999`,
  `True`,
  `False`,
  `None`,
  `models.CASCADE`,
  `settings.AUTH_USER_MODEL`,
  `unknown_name`,
  `migrations.swappable_dependency(settings.AUTH_USER_MODEL)`,
  `models.CharField(max_length=255, verbose_name='name', help_text='long help', choices=[('a', 'A')])`,
  `models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='shop.order')`,
  `models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12)`,
  `[1, 2, 3,]`,
  `(1,)`,
  `()`,
  `((1))`,
  `{1, 2}`,
  `{}`,
  `{'a': 1, 'help_text': 'skipped', 'choices': [1], 2: 'b',}`,
  `set()`,
  `set([1, 2])`,
  `tuple(['a'])`,
  `dict()`,
  `frozenset({1})`,
  `''.join(x)`,
  `"abc".upper`,
  `f(a)(b)`,
  `f(a).b`,
  `None.x`,
  `migrations.AddField(model_name='order', name='total', field=models.IntegerField(default=0), preserve_default=False)`,
  `[('shop', '0001_initial'), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]`,
  `models.Index(fields=['a', '-b'], name='a_idx', condition=models.Q(('state', 'open')))`,
  `partial(f, x, y=other)`,
  `models.Q(('a', 1), ('b', 2), ('c', 3), _connector='OR')`,
];

describe('values of the subset reader', () => {
  it('are the values literal-text.ts reads, on every kind of literal', () => {
    for (const text of CASES) {
      const { fromText, fromExpr } = both(text);
      assert.deepEqual(json(fromExpr), json(fromText), text);
    }
  });

  it('share interned calls as literal-text.ts does: the same object for the same text under the same imports', () => {
    const interner = new ValueInterner();
    const shared = { interner, imports: 'from django.db import models' };
    const text = `models.CharField(max_length=255)`;
    const first = both(text, shared);
    const again = both(text, shared);
    assert.equal(again.fromExpr, first.fromText, 'the call read from the expression is the one interned from the text');
    assert.equal(again.fromText, first.fromText);
    // A call that looks up a bare name of the file is this file's: never interned.
    const local = both(`models.CharField(default=some_name)`, shared);
    assert.notEqual(both(`models.CharField(default=some_name)`, shared).fromExpr, local.fromExpr);
  });

  it('are the values literal-text.ts reads on every operation of the generated corpus', () => {
    const corpus = generateCorpus(20240611);
    let compared = 0;
    for (const f of corpus.files) {
      const at = f.text.indexOf('operations = [');
      if (at === -1) continue;
      const start = at + 'operations = '.length;
      let expr: Expr;
      try {
        const reader = new Reader(f.text);
        reader.pos = start;
        expr = reader.expression(true);
      } catch {
        continue; // not of the plain shape: the parser reads it
      }
      const fromText = new Evaluator(scopeWithImports()).evalSpan(f.text, expr.start, expr.end);
      const fromExpr = new SubsetValues(f.text, new Evaluator(scopeWithImports()).textEnv).valueOf(expr);
      assert.deepEqual(json(fromExpr), json(fromText), f.rel);
      compared++;
    }
    assert.ok(compared > 1000, `compared ${compared} files' operations`);
  });
});

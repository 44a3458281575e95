/**
 * The literal evaluator, FieldSpec and typed operation arguments: what a migration file's values
 * read as, and where reading stops (unknown, never guessed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgsCache } from '../server/src/analysis/args-cache';
import { constraintSpec, fieldColumn, fieldSpec, indexSpec, normalizeTogether } from '../server/src/analysis/fields';
import { buildMigrationModel } from '../server/src/analysis/migration-model';
import { ValueInterner } from '../server/src/analysis/interner';
import { moduleScope, Scope } from '../server/src/analysis/scope';
import type { Node } from '../server/src/analysis/syntax';
import { Evaluator, showValue, type Value } from '../server/src/analysis/values';
import { getParser } from './helpers/lint';

/** Evaluates the right side of the last `x = ...` statement of `source`. */
async function evaluate(source: string): Promise<Value> {
  const parser = await getParser();
  const tree = parser.parse(source);
  try {
    const root = tree.rootNode;
    const last = root.namedChildren[root.namedChildren.length - 1];
    const right = last?.firstNamedChild?.childForFieldName('right');
    return new Evaluator(moduleScope(root)).eval(right);
  } finally {
    tree.delete();
  }
}

const IMPORTS = 'import uuid\nimport django.utils.timezone\nfrom django.conf import settings\nfrom django.db import migrations, models\nfrom django.db.models import CASCADE as C\n';

describe('literal evaluator', () => {
  it('reads literals, implicit and + concatenation, negative and underscored numbers', async () => {
    assert.deepEqual(await evaluate("x = 'ab' \"cd\" + 'e'"), { kind: 'str', value: 'abcde' });
    assert.deepEqual(await evaluate('x = -1_000'), { kind: 'int', value: -1000 });
    assert.deepEqual(await evaluate('x = 0x1F'), { kind: 'int', value: 31 });
    assert.deepEqual(await evaluate('x = 1.5'), { kind: 'float', value: 1.5 });
    assert.deepEqual(await evaluate('x = (True, False, None)'), { kind: 'tuple', items: [{ kind: 'bool', value: true }, { kind: 'bool', value: false }, { kind: 'none' }] });
    assert.deepEqual(await evaluate("x = {'a': [1], 'b': {2}}"), {
      kind: 'dict',
      entries: [
        [{ kind: 'str', value: 'a' }, { kind: 'list', items: [{ kind: 'int', value: 1 }] }],
        [{ kind: 'str', value: 'b' }, { kind: 'set', items: [{ kind: 'int', value: 2 }] }],
      ],
    });
  });

  it('resolves dotted references through the imports, and builtins', async () => {
    assert.deepEqual(await evaluate(`${IMPORTS}x = models.CASCADE`), { kind: 'ref', text: 'models.CASCADE', path: 'django.db.models.CASCADE' });
    assert.deepEqual(await evaluate(`${IMPORTS}x = C`), { kind: 'ref', text: 'C', path: 'django.db.models.CASCADE' });
    assert.deepEqual(await evaluate(`${IMPORTS}x = settings.AUTH_USER_MODEL`), { kind: 'ref', text: 'settings.AUTH_USER_MODEL', path: 'django.conf.settings.AUTH_USER_MODEL' });
    assert.deepEqual(await evaluate(`${IMPORTS}x = django.utils.timezone.now`), { kind: 'ref', text: 'django.utils.timezone.now', path: 'django.utils.timezone.now' });
    assert.deepEqual(await evaluate(`${IMPORTS}x = uuid.uuid4`), { kind: 'ref', text: 'uuid.uuid4', path: 'uuid.uuid4' });
    assert.deepEqual(await evaluate('x = dict'), { kind: 'ref', text: 'dict', path: 'builtins.dict' });
    assert.deepEqual(await evaluate('def dict(): pass\nx = dict'), { kind: 'ref', text: 'dict', path: null }, 'a name defined in the file is not the builtin');
  });

  it('keeps calls as data and builds the collections of set() / tuple([...])', async () => {
    const v = await evaluate(`${IMPORTS}x = models.CharField(max_length=3, null=True)`);
    assert.equal(v.kind, 'call');
    assert.equal(showValue(v), 'models.CharField(max_length=3, null=True)');
    assert.deepEqual(await evaluate('x = set()'), { kind: 'set', items: [] });
    assert.deepEqual(await evaluate("x = tuple(['a'])"), { kind: 'tuple', items: [{ kind: 'str', value: 'a' }] });
  });

  it('follows names bound once to a literal in the file, not ambiguous ones', async () => {
    assert.deepEqual(await evaluate("TABLE = 'shop_order'\nx = TABLE"), { kind: 'str', value: 'shop_order' });
    assert.deepEqual(await evaluate("if flag:\n    TABLE = 'a'\nelse:\n    TABLE = 'b'\nx = TABLE"), { kind: 'ref', text: 'TABLE', path: null });
  });

  it('decodes string literals as Python does: escapes, raw strings, triple quotes, continuations', async () => {
    const cases: Array<[string, string]> = [
      ["'a\\nb'", 'a\nb'],
      ["r'a\\nb'", 'a\\nb'],
      ['"""x\n"y"""', 'x\n"y'],
      ["'it\\'s'", "it's"],
      ["'a\\\nb'", 'ab'],
      ["'''one ''two'' three'''", "one ''two'' three"],
    ];
    for (const [literal, value] of cases) assert.deepEqual(await evaluate(`x = ${literal}`), { kind: 'str', value }, literal);
  });

  it('answers unknown for what it cannot know', async () => {
    for (const expr of ["f'{a}'", "b'x'", "'a' if c else 'b'", 'a[0]', 'lambda: 1', '2 * 3', '1j']) {
      assert.equal((await evaluate(`x = ${expr}`)).kind, 'unknown', expr);
    }
  });
});

async function field(expr: string) {
  return fieldSpec(await evaluate(`${IMPORTS}x = ${expr}`));
}

describe('numbers read from the text (the reading without tree nodes)', () => {
  const cases: Array<[string, Value]> = [
    ['255', { kind: 'int', value: 255 }],
    ['0', { kind: 'int', value: 0 }],
    ['007', { kind: 'int', value: 7 }],
    ['123456789012345', { kind: 'int', value: 123456789012345 }],
    ['9007199254740993', { kind: 'unknown' }],
    ['12345678901234567890', { kind: 'unknown' }],
    ['1_000', { kind: 'int', value: 1000 }],
    ['1e3', { kind: 'float', value: 1000 }],
    ['10.', { kind: 'unknown' }], // not read (a literal it leaves unknown, never guessed)
    ['.5', { kind: 'float', value: 0.5 }],
    ['0x1f', { kind: 'int', value: 31 }],
    ['0o17', { kind: 'int', value: 15 }],
    ['0b101', { kind: 'int', value: 5 }],
    ['3j', { kind: 'unknown' }],
    ['-42', { kind: 'int', value: -42 }],
  ];
  for (const [written, value] of cases) {
    it(`reads ${written} in a call's arguments as ${JSON.stringify(value)}`, () => {
      const text = `f(max_length=${written}, other=1)`;
      const read = new Evaluator(new Scope(null)).evalSpan(text, 0, text.length);
      assert.equal(read.kind, 'call');
      if (read.kind === 'call') assert.deepEqual(read.kwargs['max_length'], value);
    });
  }
});

describe('values shared across files (ValueInterner)', () => {
  it('shares a call read before under the same imports (known() finds it), and never one that used a name of its file', () => {
    const interner = new ValueInterner();
    const imports = 'from django.db import models';
    const scope = new Scope(null);
    scope.bind('models', { kind: 'import', node: null as unknown as Node, importedFrom: 'django.db', importedName: 'models' }, true);
    const ev = new Evaluator(scope, undefined, { interner, imports });
    const text = 'x = models.CharField(max_length=3, default=LIMIT)\ny = models.BigAutoField(primary_key=True, serialize=False)';
    const at = (needle: string): [number, number] => {
      const start = text.indexOf(needle);
      return [start, start + needle.length];
    };
    const first = ev.evalSpan(text, ...at('models.BigAutoField(primary_key=True, serialize=False)'));
    assert.equal(interner.known(imports, 'models.BigAutoField(primary_key=True, serialize=False)'), first);
    // Another file, same imports, the same call written the same way: the very same value.
    const again = 'id = models.BigAutoField(primary_key=True, serialize=False)  # (another file)';
    const start = again.indexOf('models');
    assert.equal(new Evaluator(scope, undefined, { interner, imports }).evalSpan(again, start, again.indexOf('  #')), first);
    // Under other imports, or with a name looked up in the file: read, not shared.
    assert.equal(interner.known('import models', 'models.BigAutoField(primary_key=True, serialize=False)'), undefined);
    ev.evalSpan(text, ...at('models.CharField(max_length=3, default=LIMIT)'));
    assert.equal(interner.known(imports, 'models.CharField(max_length=3, default=LIMIT)'), undefined);
  });

  it('does not share a call longer than 4,096 characters, and keeps what it shares equal to what was read', () => {
    const interner = new ValueInterner();
    const imports = 'from django.db import models';
    const scope = new Scope(null);
    scope.bind('models', { kind: 'import', node: null as unknown as Node, importedFrom: 'django.db', importedName: 'models' }, true);
    const choices = Array.from({ length: 400 }, (_, i) => `("zone_${i}", "Zone number ${i}")`).join(', ');
    const long = `models.CharField(max_length=40, choices=[${choices}])`;
    const short = 'models.CharField(max_length=40, verbose_name="the migration guard zone name")';
    assert.ok(long.length > 4096);
    const ev = new Evaluator(scope, undefined, { interner, imports });
    const text = `a = ${long}\nb = ${short}\n`;
    const read = ev.evalSpan(text, text.indexOf(long), text.indexOf(long) + long.length);
    assert.equal(read.kind, 'call');
    assert.equal(interner.known(imports, long), undefined);
    const shared = ev.evalSpan(text, text.indexOf(short), text.indexOf(short) + short.length);
    // The shared value's strings are copies (detached from the file's text), equal to what was read.
    assert.equal(interner.known(imports, short), shared);
    assert.ok(shared.kind === 'call');
    assert.deepEqual(shared.callee, { kind: 'ref', text: 'models.CharField', path: 'django.db.models.CharField' });
    assert.deepEqual(shared.kwargs.max_length, { kind: 'int', value: 40 });
  });
});

describe('FieldSpec', () => {
  it("applies Django's own defaults to its field classes", async () => {
    const slug = await field('models.SlugField()');
    assert.equal(slug?.builtin, true);
    assert.equal(slug?.maxLength, 50);
    assert.equal(slug?.dbIndex, true);
    assert.equal(slug?.null, false);
    assert.equal(slug?.default, 'NOT_PROVIDED');
    const email = await field('models.EmailField(null=True)');
    assert.equal(email?.maxLength, 254);
    assert.equal(email?.null, true);
    const auto = await field('models.BigAutoField(primary_key=True, serialize=False)');
    assert.equal(auto?.unique, true);
    assert.equal(auto?.blank, true);
    const nb = await field('models.NullBooleanField(null=False)');
    assert.equal(nb?.null, true, 'NullBooleanField forces null=True');
    const date = await field('models.DateTimeField(auto_now_add=True)');
    assert.equal(date?.blank, true);
    assert.equal(date?.autoNow, true);
  });

  it('reads relations: to, on_delete, the _id column, OneToOne uniqueness', async () => {
    const fk = await field("models.ForeignKey('shop.Product', models.CASCADE, db_constraint=False)");
    assert.equal(fk?.relation?.kind, 'foreign-key');
    assert.deepEqual(fk?.relation?.to, { kind: 'str', value: 'shop.Product' });
    assert.equal(fk?.relation?.onDelete, 'django.db.models.CASCADE');
    assert.equal(fk?.relation?.dbConstraint, false);
    assert.equal(fk?.dbIndex, true);
    assert.equal(fieldColumn('product', fk!), 'product_id');
    const o2o = await field('models.OneToOneField(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL, db_column="uid")');
    assert.equal(o2o?.unique, true);
    assert.equal(fieldColumn('user', o2o!), 'uid');
    const m2m = await field("models.ManyToManyField(to='shop.Tag', through='shop.ProductTag')");
    assert.equal(fieldColumn('tags', m2m!), null);
    assert.equal(m2m?.relation?.through, 'shop.ProductTag');
  });

  it('reads defaults as written: constants, callables, preserve unknown', async () => {
    assert.deepEqual((await field("models.CharField(max_length=3, default='USD')"))?.default, { kind: 'str', value: 'USD' });
    assert.deepEqual((await field('models.DateTimeField(default=django.utils.timezone.now)'))?.default, { kind: 'ref', text: 'django.utils.timezone.now', path: 'django.utils.timezone.now' });
    const computed = (await field('models.IntegerField(default=compute())'))?.default;
    assert.equal(typeof computed === 'object' ? computed.kind : computed, 'call', 'a call default is kept as written');
    assert.equal((await field("models.IntegerField(default=f'{x}')"))?.default, undefined, 'an unreadable default is unknown');
  });

  it('knows nothing it was not told about a class it does not know', async () => {
    const custom = await field('money.MoneyField(max_digits=10, null=True)');
    assert.equal(custom?.builtin, false);
    assert.equal(custom?.null, true, 'a written keyword is taken as written');
    assert.equal(custom?.maxDigits, 10);
    assert.equal(custom?.dbIndex, undefined);
    assert.equal(custom?.unique, undefined);
    assert.equal(custom?.relation, undefined);
    const splat = await field('models.CharField(max_length=3, **extra)');
    assert.equal(splat?.null, undefined, 'with **kwargs an omitted keyword may be set');
  });

  it('reads indexes, constraints and together options', async () => {
    const { call, ...index } = indexSpec(await evaluate(`${IMPORTS}x = models.Index(fields=['-created', 'status'], name='ix', condition=models.Q(active=True))`)) ?? {};
    assert.equal(call?.kwargs.condition?.kind, 'call', 'the call is kept for what the spec does not carry');
    assert.deepEqual(index, {
      cls: 'Index',
      path: 'django.db.models.Index',
      name: 'ix',
      fields: ['-created', 'status'],
      expressions: false,
      partial: true,
    });
    const c = constraintSpec(await evaluate(`${IMPORTS}x = models.UniqueConstraint(fields=('a', 'b'), name='uq')`));
    assert.equal(c?.kind, 'unique');
    assert.deepEqual(c?.fields, ['a', 'b']);
    assert.equal(constraintSpec(await evaluate(`${IMPORTS}x = models.CheckConstraint(check=models.Q(x__gte=0), name='ck')`))?.kind, 'check');
    assert.deepEqual(normalizeTogether(await evaluate("x = ('a', 'b')")), [['a', 'b']]);
    assert.deepEqual(normalizeTogether(await evaluate("x = {('a', 'b'), ('c',)}")), [['a', 'b'], ['c']]);
    assert.deepEqual(normalizeTogether(await evaluate('x = set()')), []);
  });
});

async function operationsOf(source: string) {
  const parser = await getParser();
  const tree = parser.parse(source);
  const model = buildMigrationModel(tree.rootNode);
  assert.ok(model);
  return { model, dispose: () => tree.delete() };
}

describe('typed operation arguments', () => {
  it("binds positional and keyword arguments to Django's parameters", async () => {
    const { model, dispose } = await operationsOf(`${IMPORTS}
class Migration(migrations.Migration):
    operations = [
        migrations.AddField('order', 'currency', models.CharField(max_length=3, default='USD'), False),
        migrations.RenameField(model_name='order', old_name='cur', new_name='currency'),
        migrations.CreateModel('Shipment', [('id', models.AutoField(primary_key=True))], {'managed': False, 'db_table': 'ship'}),
        migrations.AddIndex('order', models.Index(fields=['currency'], name='ix_cur')),
        migrations.AddField('order', 'x', models.IntegerField(), bogus=1),
    ]
`);
    try {
      const [add, rename, create, index, bad] = model.operations.map((o) => o.args);
      assert.equal(add?.kind, 'AddField');
      if (add?.kind === 'AddField') {
        assert.equal(add.model, 'order');
        assert.equal(add.name, 'currency');
        assert.equal(add.preserveDefault, false);
        assert.equal(add.field?.maxLength, 3);
      }
      assert.deepEqual(rename, { kind: 'RenameField', model: 'order', oldName: 'cur', newName: 'currency' });
      assert.equal(create?.kind, 'CreateModel');
      if (create?.kind === 'CreateModel') {
        assert.equal(create.options.managed, false);
        assert.equal(create.options.proxy, false);
        assert.equal(create.options.dbTable, 'ship');
        assert.equal(create.fields?.[0]?.[0], 'id');
      }
      assert.equal(index?.kind === 'AddIndex' ? index.index?.name : null, 'ix_cur');
      assert.equal(bad, null, 'an unknown keyword: the call cannot be read with the catalog meaning');
    } finally {
      dispose();
    }
  });

  it("collects state_operations apart from the database side", async () => {
    const { model, dispose } = await operationsOf(`${IMPORTS}
class Migration(migrations.Migration):
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField('listing', 'cat', models.CharField(max_length=64))],
            database_operations=[migrations.RunSQL('ALTER TABLE listings_listing ALTER COLUMN cat SET NOT NULL;', migrations.RunSQL.noop)],
        ),
        migrations.RunSQL('CREATE TABLE t (id int);', 'DROP TABLE t;', state_operations=[migrations.CreateModel('T', [])]),
    ]
`);
    try {
      assert.deepEqual(model.operations.map((o) => o.name), ['SeparateDatabaseAndState', 'RunSQL', 'RunSQL'], 'state operations never join the list rules see');
      assert.deepEqual(model.operations[0]?.stateOperations?.map((o) => o.name), ['AlterField']);
      assert.deepEqual(model.operations[2]?.stateOperations?.map((o) => o.args?.kind), ['CreateModel']);
    } finally {
      dispose();
    }
  });
});

describe('typed arguments cached by operation text (the editor)', () => {
  const source = (table: string, note: string) => `from django.db import migrations, models

TABLE = ${JSON.stringify(table)}
NOTE = ${JSON.stringify(note)}


class Migration(migrations.Migration):
    operations = [
        migrations.AlterModelTable(name="order", table=TABLE),
        migrations.AddField("order", "note", models.TextField(default="")),
    ]
`;
  async function read(text: string, cache: ArgsCache) {
    const parser = await getParser();
    const tree = parser.parse(text);
    try {
      const model = buildMigrationModel(tree.rootNode, cache);
      assert.ok(model);
      return model.operations.map((o) => o.args);
    } finally {
      tree.delete();
    }
  }

  it('gives back the same arguments while the call and the names it uses are unchanged', async () => {
    const cache = new ArgsCache();
    const first = await read(source('shop_orders', 'a'), cache);
    const second = await read(source('shop_orders', 'b'), cache);
    assert.equal(second[0], first[0], 'NOTE is not used by AlterModelTable: same object');
    assert.equal(second[1], first[1]);
    const third = await read(source('orders_v2', 'b'), cache);
    assert.notEqual(third[0], first[0], 'TABLE changed: read again');
    assert.deepEqual(third[0], { kind: 'AlterModelTable', model: 'order', table: 'orders_v2' });
    assert.equal(third[1], first[1]);
  });

  it('keeps apart calls that share a short key (same length, same ends), as a squashed migration has them', async () => {
    // Two CreateModels of one length whose first and last 48 characters are the same: a key of
    // length and ends is theirs both (wagtail's test app has four such).
    const model = (name: string) => `        migrations.CreateModel(
            name="${name}",
            fields=[("id", models.AutoField(primary_key=True, serialize=False))],
            options={"abstract": False},
        ),
`;
    const text = `from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
${model('BusinessChild')}${model('BusinessIndex')}    ]
`;
    const cache = new ArgsCache();
    const first = await read(text, cache);
    const second = await read(text, cache);
    assert.deepEqual(first.map((a) => (a?.kind === 'CreateModel' ? a.model : null)), ['BusinessChild', 'BusinessIndex']);
    assert.equal(second[0], first[0], 'the first call: read once');
    assert.equal(second[1], first[1], 'the second call: read once');
  });
});

/**
 * Functions RunPython is handed from other modules of the project, read there (imported-code.ts,
 * through the workspace's module reader): the models they — and the helpers of their module they
 * call — use as imported, found as Python would find the module from the migration (absolute,
 * relative, re-exported by a package), and unknown, with why, where that cannot be read.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ImportedCodeReading } from '../server/src/analysis/project/imported-code';
import { BaseClassReader } from '../server/src/workspace/base-classes';
import { TempDirs } from './helpers/cli';
import { getParser } from './helpers/lint';

const temps = new TempDirs();
after(() => temps.removeAll());

/** A reading as `Model@line in function()` per use, or `unknown: why`. */
function brief(r: ImportedCodeReading): string[] | string {
  return r.kind === 'read' ? r.uses.map((u) => `${u.shown}@${u.range.start.line + 1} in ${u.inFunction}() from ${u.qualified}`) : `unknown: ${r.why}`;
}

async function project(files: Record<string, string>): Promise<{ reader: BaseClassReader; migration: string; root: string }> {
  const root = temps.make('mg-imported-code-unit-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return { reader: new BaseClassReader(await getParser()), migration: join(root, 'shop/migrations/0002_fill.py'), root };
}

describe('RunPython code imported from another module', () => {
  it('finds managers and instances of imported models, through same-module helpers, not shadowed names', async () => {
    const { reader, migration } = await project({
      'shop/__init__.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0002_fill.py': '',
      'shop/utils.py': `from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from shop.models import Order, OrderStatus, slugify_order


def fill(apps, schema_editor):
    for order in Order.objects.all():
        order.slug = slugify_order(order)
    _users()
    Order(total=1)


def _users():
    User = get_user_model()
    User.objects.filter(is_staff=True).update(is_active=True)


def shadowed(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    Order.objects.update(status=OrderStatus.OPEN)
    for group in apps.get_model("auth", "Group").objects.all():
        group.save()


def only_meta(apps, schema_editor):
    label = get_user_model()._meta.label
    apps.get_model(label).objects.update(is_active=True)


def groups(apps, schema_editor):
    Group.objects.get_or_create(name="staff")


def noop(apps, schema_editor):
    pass
`,
    });
    assert.deepEqual(brief(reader.importedCode('shop.utils.fill', migration)), [
      'Order@7 in fill() from shop.models.Order',
      'get_user_model()@14 in _users() from get_user_model',
    ]);
    assert.deepEqual(brief(reader.importedCode('shop.utils.shadowed', migration)), []);
    assert.deepEqual(brief(reader.importedCode('shop.utils.only_meta', migration)), []);
    assert.deepEqual(brief(reader.importedCode('shop.utils.groups', migration)), ['Group@31 in groups() from django.contrib.auth.models.Group']);
    assert.deepEqual(brief(reader.importedCode('shop.utils.noop', migration)), []);
  });

  it('resolves relative imports from the migrations package, and names a package re-exports', async () => {
    const live = 'from shop.models import Order\n\n\ndef close(apps, schema_editor):\n    Order.objects.update(closed=True)\n';
    const { reader, migration, root } = await project({
      'shop/__init__.py': '',
      'shop/migrations/__init__.py': 'from .helpers.orders import close\n',
      'shop/migrations/0002_fill.py': '',
      'shop/migrations/helpers/__init__.py': 'from . import orders\nfrom .orders import close as shut\n',
      'shop/migrations/helpers/orders.py': live,
      'shop/tools.py': live,
    });
    const expected = ['Order@5 in close() from shop.models.Order'];
    // `from . import close` (the migrations package's __init__ re-exports it from a subpackage).
    assert.deepEqual(brief(reader.importedCode('.close', migration)), expected);
    // `from .helpers import orders` … `orders.close`; `from .helpers import shut` (re-exported under another name).
    assert.deepEqual(brief(reader.importedCode('.helpers.orders.close', migration)), expected);
    assert.deepEqual(brief(reader.importedCode('.helpers.shut', migration)), expected);
    // `from .. import tools` … `tools.close`: the app's package.
    assert.deepEqual(brief(reader.importedCode('..tools.close', migration)), expected);
    // Absolute, found upward from the migration's folder.
    assert.deepEqual(brief(reader.importedCode('shop.tools.close', migration)), expected);
    const read = reader.importedCode('shop.tools.close', migration);
    assert.equal(read.kind === 'read' ? read.file : null, join(root, 'shop/tools.py'));
  });

  it('says why where it cannot read the function', async () => {
    const { reader, migration, root } = await project({
      'shop/__init__.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0002_fill.py': '',
      'shop/broken.py': 'from shop.models import Order\n\ndef close(apps, schema_editor:\n    Order.objects.update(closed=True)\n',
      'shop/values.py': 'from functools import partial\n\nclose = partial(print, 1)\n\nclass Closer:\n    pass\n',
      'shop/loop.py': 'from shop.loop2 import close\n',
      'shop/loop2.py': 'from shop.loop import close\n',
    });
    assert.equal(brief(reader.importedCode('thirdparty.migrations.close', migration)), 'unknown: thirdparty.migrations is not in the project');
    assert.equal(brief(reader.importedCode('shop.broken.close', migration)), 'unknown: its module does not parse');
    assert.equal(brief(reader.importedCode('shop.values.close', migration)), 'unknown: close is not a function defined there');
    assert.equal(brief(reader.importedCode('shop.values.Closer', migration)), 'unknown: Closer is not a function defined there');
    assert.equal(brief(reader.importedCode('shop.values.missing', migration)), 'unknown: its module binds no missing that can be read');
    assert.equal(brief(reader.importedCode('shop.loop.close', migration)), 'unknown: shop.loop.close is re-exported too many times');
    assert.ok(reader.files.includes(join(root, 'shop/broken.py')), 'the files read are what a cached answer depends on');
  });

  it('reads every function of a module in one pass, a finding going to each function that reaches it', async () => {
    const module = `def _reopen(apps):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.filter(closed=True):
        order.closed = False
        order.save()


def forwards(apps, schema_editor):
    _reopen(apps)


def backwards(apps, schema_editor):
    _reopen(apps)


def elsewhere(apps, schema_editor):
    apps.get_model("shop", "Order").objects.update(closed=True)
`;
    const files = { 'shop/__init__.py': '', 'shop/migrations/__init__.py': '', 'shop/migrations/0002_fill.py': '', 'shop/orders.py': module };
    const loops = (r: ImportedCodeReading) => (r.kind === 'read' ? (r.findings ?? []).map((f) => `${f.rule}@${f.range.start.line + 1}`) : r.why);
    const batched = await project(files);
    batched.reader.readAll(['forwards', 'backwards', 'elsewhere'].map((n) => ({ qualified: `shop.orders.${n}`, fromFile: batched.migration, atomic: true })));
    const one = await project(files);
    for (const name of ['forwards', 'backwards']) {
      assert.deepEqual(loops(batched.reader.importedCode(`shop.orders.${name}`, batched.migration)), ['unbatched-save-loop@3'], name);
      assert.deepEqual(loops(one.reader.importedCode(`shop.orders.${name}`, one.migration)), ['unbatched-save-loop@3'], `${name}, asked alone`);
    }
    assert.deepEqual(loops(batched.reader.importedCode('shop.orders.elsewhere', batched.migration)), []);
    // Read as a non-atomic migration runs it: each row commits on its own (another message, another reading).
    const nonAtomic = batched.reader.importedCode('shop.orders.forwards', batched.migration, false);
    assert.match(nonAtomic.kind === 'read' ? (nonAtomic.findings?.[0]?.message ?? '') : '', /each a round trip of its own/);
    const atomicOne = batched.reader.importedCode('shop.orders.forwards', batched.migration, true);
    assert.match(atomicOne.kind === 'read' ? (atomicOne.findings?.[0]?.message ?? '') : '', /all inside the migration's transaction/);
  });

  it('leaves out an arm of a helper the call rules out, and loops over what is not rows (review 42)', async () => {
    const module = `from django.conf import settings

from shop.models import Role
from shop.registry import registry


def _restore(apps, schema_editor, backward=False):
    Order = apps.get_model("shop", "Order")
    if not backward:
        ids = list(Role.objects.values_list("id", flat=True))
    else:
        ids = []
    for order in Order.objects.filter(role__in=ids):
        order.save()


def restore(apps, schema_editor):
    _restore(apps, schema_editor)


def restore_backward(apps, schema_editor):
    _restore(apps, schema_editor, backward=True)


def fallbacks(apps, schema_editor):
    Server = apps.get_model("shop", "Server")
    for entry in getattr(settings, "FALLBACK_SERVERS", []):
        Server(url=entry["url"]).save()
    for cls in registry.all_registered_models:
        Server(url=cls.__name__).save()


def _stale(apps):
    return apps.get_model("shop", "Server").objects.filter(url="")


def clean(apps, schema_editor):
    for server in _stale(apps):
        server.delete()
`;
    const { reader, migration } = await project({ 'shop/__init__.py': '', 'shop/migrations/__init__.py': '', 'shop/migrations/0002_fill.py': '', 'shop/roles.py': module });
    reader.readAll(['restore', 'restore_backward', 'fallbacks', 'clean'].map((n) => ({ qualified: `shop.roles.${n}`, fromFile: migration, atomic: true })));
    assert.deepEqual(brief(reader.importedCode('shop.roles.restore', migration)), ['Role@10 in _restore() from shop.models.Role']);
    // backward=True: the arm that reads today's Role never runs.
    assert.deepEqual(brief(reader.importedCode('shop.roles.restore_backward', migration)), []);
    const loops = (r: ImportedCodeReading) => (r.kind === 'read' ? (r.findings ?? []).map((f) => `${f.rule}@${f.range.start.line + 1}`) : r.why);
    assert.deepEqual(loops(reader.importedCode('shop.roles.restore', migration)), ['unbatched-save-loop@13']);
    // A settings list and a registry of classes: sizes the code fixes, not rows.
    assert.deepEqual(loops(reader.importedCode('shop.roles.fallbacks', migration)), []);
    // Rows a function of the module returns are rows (galaxy_ng's `get_all_mismatched_assignments(apps)`).
    assert.deepEqual(loops(reader.importedCode('shop.roles.clean', migration)), ['unbatched-save-loop@38']);
  });

  it('makes a rewrite in the module only where it needs no view: not for a bare save(), which may stamp fields (review 43)', async () => {
    const module = `LABEL = ("shop", "Order")


def stamp_all(apps, schema_editor):
    Order = apps.get_model(*LABEL)
    for order in Order.objects.all():
        order.paid = order.total
        order.save()


def stamp_paid(apps, schema_editor):
    Order = apps.get_model(*LABEL)
    for order in Order.objects.all():
        order.paid = order.total
        order.save(update_fields=["paid"])
`;
    const { reader, migration } = await project({ 'shop/__init__.py': '', 'shop/migrations/__init__.py': '', 'shop/migrations/0002_fill.py': '', 'shop/stamps.py': module });
    const fixes = (name: string) => {
      const r = reader.importedCode(`shop.stamps.${name}`, migration);
      return r.kind === 'read' ? (r.findings ?? []).map((f) => `${f.rule}@${f.range.start.line + 1}: ${(f.fixes ?? []).map((x) => x.title).join(' | ')}`) : r.why;
    };
    // save() would stamp an auto_now field (or model_utils' AutoLastModifiedField) bulk_update() skips.
    assert.deepEqual(fixes('stamp_all'), ['unbatched-save-loop@6: ']);
    assert.deepEqual(fixes('stamp_paid'), ['unbatched-save-loop@13: Batch with bulk_update(batch, ["paid"]) every 1000 rows']);
  });
});


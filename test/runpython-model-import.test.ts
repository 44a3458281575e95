/**
 * runpython-model-import's fix names the app: from the project view when the file is linted with
 * its project, else from a two-part import path only. Where the label cannot be known, the finding
 * stays and no fix is offered (never a guessed label).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mayImportModels } from '../server/src/analysis/rules/runpython-model-import';
import { applyEdits } from './helpers/apply-edits';
import { runCli, TempDirs, writeFileIn } from './helpers/cli';
import { lint, lintProject } from './helpers/lint';
import { FIXTURES } from './helpers/paths';
import { pythonSyntaxError } from './helpers/python';

const migration = (imports: string, use: string) => `from django.db import migrations
${imports}


def forwards(apps, schema_editor):
    ${use}


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;

async function fixTitles(source: string): Promise<string[][]> {
  const { findings } = await lint(source);
  return findings.filter((f) => f.rule === 'runpython-model-import').map((f) => f.fixes.map((x) => x.title));
}

describe('runpython-model-import: the app label of the fix', () => {
  it('takes a two-part path as the label when linted alone', async () => {
    assert.deepEqual(await fixTitles(migration('from shop.models import Order', 'Order.objects.update(total=0)')), [['Use Order = apps.get_model("shop", "Order")']]);
  });

  it("takes a package's options class for no model unless it is queried (review 29: MetaDeploy 0063's ParlerOptions)", async () => {
    const options = migration('from parler.models import ParlerOptions', 'Order = apps.get_model("shop", "Order")\n    Order._parler_meta = ParlerOptions(None, shared_model=Order)');
    assert.deepEqual(await fixTitles(options), []);
    const queried = migration('from shop.models import ShippingOptions', 'ShippingOptions.objects.update(active=True)');
    assert.deepEqual(await fixTitles(queried), [['Use ShippingOptions = apps.get_model("shop", "ShippingOptions")']]);
  });

  it("refuses when the code reads a constant of today's manager, which the historical plain Manager lacks (review 29: pootle pootle_score/0002)", async () => {
    const source = migration('from shop.models import User', 'Log.objects.exclude(user__username__in=User.objects.META_USERS).delete()');
    assert.deepEqual(await fixTitles(source), [[]]);
    const { findings } = await lint(source);
    assert.match(findings.find((f) => f.rule === 'runpython-model-import')?.message ?? '', /No fix is offered: the code reads `User\.objects\.META_USERS`, which the historical model's manager does not have/);
    // What every manager has is fine.
    assert.deepEqual(await fixTitles(migration('from shop.models import User', 'print(User.objects.model)\n    User.objects.update(active=True)')), [['Use User = apps.get_model("shop", "User")']]);
  });

  it('refuses when the code reads a class attribute the historical model lacks, and says so', async () => {
    const source = migration('from shop.models import Order', 'Order.objects.filter(total__gt=Order.LIMIT).update(total=0)');
    assert.deepEqual(await fixTitles(source), [[]]);
    const { findings } = await lint(source);
    assert.match(findings.find((f) => f.rule === 'runpython-model-import')?.message ?? '', /No fix is offered: the code reads `Order\.LIMIT`, which the historical model does not have/);
    // Managers, _meta and the exceptions are on the historical model too.
    const fine = migration('from shop.models import Order', 'Order.objects.filter(pk__in=[]).update(total=0)\n    print(Order._meta.label, Order.DoesNotExist)');
    assert.deepEqual(await fixTitles(fine), [['Use Order = apps.get_model("shop", "Order")']]);
  });

  it("refuses when the code calls a custom manager's method, which the historical model's manager does not have", async () => {
    for (const use of ['Order.objects.paid_last_week().update(total=0)', 'Order.objects.filter(total=0).stale().delete()']) {
      const source = migration('from shop.models import Order', use);
      assert.deepEqual(await fixTitles(source), [[]], use);
      const { findings } = await lint(source);
      assert.match(findings.find((f) => f.rule === 'runpython-model-import')?.message ?? '', /No fix is offered: the code calls `Order\.objects…\w+\(\)`, which the historical model's manager does not have/, use);
    }
    // Django's own manager and queryset methods, async ones included, are the historical manager's too.
    const plain = migration('from shop.models import Order', 'Order.objects.filter(total=0).exclude(pk=1).order_by("pk").update(total=1)\n    print(Order.objects.acount)');
    assert.deepEqual(await fixTitles(plain), [['Use Order = apps.get_model("shop", "Order")']]);
    // ContentTypeManager sets use_in_migrations: get_for_model is the historical manager's too (netbox extras/0101).
    const contrib = migration('from django.contrib.contenttypes.models import ContentType', 'print(ContentType.objects.get_for_model(ContentType).pk)');
    assert.deepEqual(await fixTitles(contrib), [['Use ContentType = apps.get_model("contenttypes", "ContentType")']]);
  });

  it('refuses when the code calls a method a row of the historical model lacks, or gives save() an argument it does not take', async () => {
    const rows = (body: string) => migration('from shop.models import Order', `for order in Order.objects.filter(paid=True):\n        ${body}`);
    const methods: Array<[string, RegExp]> = [
      ['order.total = order.compute_total()\n        order.save()', /No fix is offered: the code calls `order\.compute_total\(\)`, which the historical model does not have/],
      ['order.total = 0\n        order.save(log=False)', /No fix is offered: the code calls `order\.save\(log=False\)`, which the historical model's save\(\) does not take/],
      ['order.delete(notify=True)', /`order\.delete\(notify=True\)`, which the historical model's delete\(\) does not take/],
    ];
    for (const [body, why] of methods) {
      assert.deepEqual(await fixTitles(rows(body)), [[]], body);
      const { findings } = await lint(rows(body));
      assert.match(findings.find((f) => f.rule === 'runpython-model-import')?.message ?? '', why);
    }
    // A row bound from one query, not only a loop variable.
    assert.deepEqual(await fixTitles(migration('from shop.models import Order', 'order = Order.objects.filter(pk=1).first()\n    order.notify()')), [[]]);
    // What every model instance has, and save() with Django's own arguments, keep the fix.
    for (const body of ['order.total = 0\n        order.save(update_fields=["total"], using="default")', 'order.refresh_from_db()\n        order.full_clean()\n        print(order.get_status_display())', 'order.lines.all().delete()']) {
      assert.deepEqual(await fixTitles(rows(body)), [['Use Order = apps.get_model("shop", "Order")']], body);
    }
    // A method of something else (not a row of the model) is none of its business.
    assert.deepEqual(await fixTitles(migration('from shop.models import Order', 'for name in ["a"]:\n        name.upper()\n        Order.objects.filter(name=name).update(total=0)')), [['Use Order = apps.get_model("shop", "Order")']]);
  });

  it('still refuses once the loop is committed in batches (review 23: tendenci directories/0005)', async () => {
    // What "Commit this loop in batches" writes: the rows pass through two names before the loop.
    const batched = `rows = iter(Order.objects.raw("SELECT * FROM shop_order"))
    while True:
        chunk = list(islice(rows, 1000))
        if not chunk:
            break
        for order in chunk:
            order.total = 0
            order.save(log=False)`;
    assert.deepEqual(await fixTitles(migration('from itertools import islice\nfrom shop.models import Order', batched)), [[]]);
    assert.deepEqual(await fixTitles(migration('from itertools import islice\nfrom shop.models import Order', batched.replace('save(log=False)', 'save()'))), [['Use Order = apps.get_model("shop", "Order")']]);
  });

  it('refuses where a row or the class goes to code that expects today\'s class (review 24: ESP-Website users/0026, DefectDojo 0127)', async () => {
    // An imported controller given a row of the model.
    const controller = migration('from shop.billing import Ledger\nfrom shop.models import Order', 'for order in Order.objects.all():\n        Ledger(order).settle()');
    assert.deepEqual(await fixTitles(controller), [[]]);
    assert.match((await lint(controller)).findings.find((f) => f.rule === 'runpython-model-import')?.message ?? '', /hands Order or a row of it to Ledger\(\), which it imports/);
    // …also where the function imports it itself (review 39: pulp_container 0020 hands groups to guardian's assign_perm).
    const local = migration('from shop.models import Order', 'from shop.billing import Ledger\n    orders = Order.objects.all()\n    for order in orders:\n        Ledger(order).settle()');
    assert.deepEqual(await fixTitles(local), [[]]);
    assert.match((await lint(local)).findings.find((f) => f.rule === 'runpython-model-import')?.message ?? '', /hands Order or a row of it to Ledger\(\), which it imports/);
    // A function of the file that queries a model imported from a models module with it.
    const helper = `from django.db import migrations
from audit.models import Entry
from shop.models import Order


def forwards(apps, schema_editor):
    scrub(Order.objects.get(pk=1))


def scrub(order):
    Entry.objects.filter(order=order).delete()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
`;
    const found = (await lint(helper)).findings.find((f) => f.rule === 'runpython-model-import' && f.message.startsWith('`Order`'));
    assert.deepEqual(found?.fixes, []);
    assert.match(found?.message ?? '', /hands Order or a row of it to scrub\(\), which uses today's Entry/);
    // Another model class imported beside it, or Django's own helpers: swapped as before.
    assert.deepEqual(await fixTitles(migration('from shop.models import Line, Order', 'for order in Order.objects.all():\n        Line.objects.create(order=order)')), [['Use Order = apps.get_model("shop", "Order")'], ['Use Line = apps.get_model("shop", "Line")']]);
    assert.deepEqual(await fixTitles(migration('from django.utils.text import slugify\nfrom shop.models import Order', 'for order in Order.objects.all():\n        order.slug = slugify(order.name)\n        order.save()')), [['Use Order = apps.get_model("shop", "Order")']]);
  });

  it('swaps no model of a function where another stays today\'s: a historical row in a relation of a live one raises', async () => {
    const body = 'for order in Order.objects.all():\n        order.customer = Customer.objects.first()\n        order.save(log=False)';
    const titles = await fixTitles(migration('from shop.models import Customer, Order', body));
    assert.deepEqual(titles, [[], []]);
    const { findings } = await lint(migration('from shop.models import Customer, Order', body));
    assert.match(findings.map((f) => f.message).join('\n'), /keeps `Order` as today's model \(its swap is refused\)/);
    // Nothing refused: both swapped.
    assert.deepEqual(await fixTitles(migration('from shop.models import Customer, Order', body.replace('save(log=False)', 'save()'))), [['Use Order = apps.get_model("shop", "Order")'], ['Use Customer = apps.get_model("shop", "Customer")']]);
  });

  it('does not take django.contrib classes without a table for models (AnonymousUser, abstract bases)', async () => {
    assert.deepEqual(await fixTitles(migration('from django.contrib.auth.models import AnonymousUser', 'print(AnonymousUser().pk)')), []);
    assert.deepEqual(await fixTitles(migration('from django.contrib.auth.models import AbstractUser', 'print(AbstractUser.normalize_username("x"))')), []);
    assert.deepEqual(await fixTitles(migration('from django.contrib.auth.models import Permission', 'Permission.objects.filter(codename="x").delete()')), [['Use Permission = apps.get_model("auth", "Permission")']]);
  });

  it('takes an all-caps class used as a model for one (review 25: data-hub-api HVC), not an all-caps constant', async () => {
    assert.deepEqual(await fixTitles(migration('from shop.models import HVC', 'for code in ["E1", "E2"]:\n        HVC(code=code).save()')), [['Use HVC = apps.get_model("shop", "HVC")']]);
    assert.deepEqual(await fixTitles(migration('from shop.models import HVC', 'HVC.objects.filter(code="").delete()')), [['Use HVC = apps.get_model("shop", "HVC")']]);
    assert.deepEqual(await fixTitles(migration('from shop.models import MAX_ITEMS, DEFAULT', 'print(MAX_ITEMS, DEFAULT)')), []);
    assert.deepEqual(await fixTitles(migration('from shop.models import STATUS_CHOICES', 'print(STATUS_CHOICES(1))')), []);
  });

  it('takes the app from django.contrib.<app>.models', async () => {
    assert.deepEqual(await fixTitles(migration('from django.contrib.auth.models import Group', 'Group.objects.create(name="x")')), [['Use Group = apps.get_model("auth", "Group")']]);
  });

  it('refuses a deeper path, a relative import and a dotted use without a project', async () => {
    assert.deepEqual(await fixTitles(migration('from apps.shop.models import Order', 'Order.objects.update(total=0)')), [[]]);
    assert.deepEqual(await fixTitles(migration('from ..models import Order', 'Order.objects.update(total=0)')), [[]]);
    assert.deepEqual(await fixTitles(migration('import shop.models', 'shop.models.Order.objects.update(total=0)')), [[]]);
  });

  it('offers no fix for a function without a registry parameter to take the model from (`*args`, shuup xtheme/0004)', async () => {
    const star = migration('from shop.models import Order', 'Order.objects.update(total=0)').replace('def forwards(apps, schema_editor):', 'def forwards(*args):');
    assert.deepEqual(await fixTitles(star), [[]]);
    const keyword = star.replace('def forwards(*args):', 'def forwards(apps=None, *args):');
    assert.deepEqual(await fixTitles(keyword), [['Use Order = apps.get_model("shop", "Order")']]);
  });

  it('rewrites swapper.load_model() to the historical model the swappable setting names, only where get_model_name is reachable', async () => {
    assert.deepEqual(await fixTitles(migration('import swapper', 'swapper.load_model("config", "Device").objects.update(name="x")')), [['Use apps.get_model(swapper.get_model_name("config", "Device"))']]);
    assert.deepEqual(await fixTitles(migration('from swapper import get_model_name, load_model', 'load_model("config", "Device").objects.update(name="x")')), [['Use apps.get_model(get_model_name("config", "Device"))']]);
    // Found, not fixed: no name reaches get_model_name, or the arguments are not plain strings.
    assert.deepEqual(await fixTitles(migration('from swapper import load_model', 'load_model("config", "Device").objects.update(name="x")')), [[]]);
    assert.deepEqual(await fixTitles(migration('import swapper', 'swapper.load_model(APP, "Device").objects.update(name="x")')), [[]]);
    // Another package's load_model is not swapper's.
    assert.deepEqual(await fixTitles(migration('from keras.models import load_model', 'load_model("model.h5")')), []);
    const { findings } = await lint(migration('import swapper', 'swapper.load_model("config", "Device").objects.update(name="x")'));
    const fixed = findings.find((f) => f.rule === 'runpython-model-import');
    assert.match(fixed?.message ?? '', /returns today's swappable model/);
  });

  it('refuses get_user_model() when settings is not imported', async () => {
    assert.deepEqual(await fixTitles(migration('from django.contrib.auth import get_user_model', 'get_user_model().objects.update(is_active=True)')), [[]]);
  });

  it('reads the label from the project view, and refuses an app the project does not have', async () => {
    const dir = join(FIXTURES, 'rules', 'runpython-model-import', 'tricky-app-label-from-project');
    const results = await lintProject(dir);
    const file = [...results.keys()].find((f) => f.endsWith('0002_backfill.py'));
    assert.ok(file);
    const titles = (results.get(file)?.findings ?? []).filter((f) => f.rule === 'runpython-model-import').map((f) => f.fixes.map((x) => x.title));
    assert.deepEqual(titles, [['Use Order = apps.get_model("shop", "Order")'], ['Use Line = apps.get_model("shop", "Line")'], [], []]);
    const client = (results.get(file)?.findings ?? []).find((f) => f.rule === 'runpython-model-import' && f.message.startsWith('`Client`'));
    assert.match(client?.message ?? '', /No fix is offered: app shop's migrations make no model Client, so the name comes from another app's models/);
  });
});

describe('runpython-model-import: what today\'s class defines, read from the project', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  /** A project whose app `shop` has one initial migration making the models `creates` (CreateModel calls); returns its root. */
  const shopWith = (creates: string): string => {
    const root = temps.make();
    writeFileIn(join(root, 'shop/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/0001_initial.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [${creates}]
`);
    return root;
  };

  it('refuses the swap where a row reads a property or constant of today\'s class that is no field of the historical model', async () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop/__init__.py'), '');
    writeFileIn(join(root, 'shop/models.py'), `from django.db import models


class Order(models.Model):
    name = models.CharField(max_length=20)
    code = models.CharField(max_length=20, default="")
    LIMIT = 10

    @property
    def full_name(self):
        return "Order " + self.name
`);
    writeFileIn(join(root, 'shop/migrations/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/0001_initial.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))])]
`);
    const file = join(root, 'shop/migrations/0002_names.py');
    const verdicts: Array<[string, RegExp | null]> = [
      ['order.name = order.full_name', /No fix is offered: the code reads `order\.full_name`, which today's Order defines and the historical model does not have/],
      // `code` is a field of today's class that this migration's state does not have yet.
      ['order.code = "x"', /No fix is offered: the code reads `order\.code`/],
      ['order.name = order.name.upper()', null],
    ];
    for (const [body, why] of verdicts) {
      writeFileIn(file, migration('from shop.models import Order', `for order in Order.objects.all():\n        ${body}\n        order.save()`));
      const found = (await lintProject(root)).get(file)?.findings.find((f) => f.rule === 'runpython-model-import');
      assert.ok(found, body);
      if (why) {
        assert.deepEqual(found.fixes, [], body);
        assert.match(found.message, why);
      } else {
        assert.deepEqual(found.fixes.map((f) => f.title), ['Use Order = apps.get_model("shop", "Order")'], body);
      }
    }
  });

  it("follows the row's relations to today's class of the model they reach, in the editor and in check alike (review 28: mitxpro courses/0028)", async () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop/__init__.py'), '');
    writeFileIn(join(root, 'shop/models.py'), `from django.db import models


class Course(models.Model):
    title = models.CharField(max_length=20)

    @property
    def page(self):
        return None


class Run(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE)


class Certificate(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE)
    note = models.CharField(max_length=20)
`);
    writeFileIn(join(root, 'shop/migrations/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/0001_initial.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Course", fields=[("id", models.AutoField(primary_key=True)), ("title", models.CharField(max_length=20))]),
        migrations.CreateModel(name="Run", fields=[("id", models.AutoField(primary_key=True)), ("course", models.ForeignKey(on_delete=models.CASCADE, to="shop.course"))]),
        migrations.CreateModel(name="Certificate", fields=[("id", models.AutoField(primary_key=True)), ("run", models.ForeignKey(on_delete=models.CASCADE, to="shop.run")), ("note", models.CharField(max_length=20))]),
    ]
`);
    const file = join(root, 'shop/migrations/0002_notes.py');
    const verdicts: Array<[string, RegExp | null]> = [
      ['cert.note = cert.run.course.page or ""', /No fix is offered: the code reads `cert\.run\.course\.page`, which today's Course defines and the historical model does not have/],
      // Fields all the way, and a field's value read further (a str's method): the swap is fine.
      ['cert.note = cert.run.course.title.upper()', null],
    ];
    for (const [body, why] of verdicts) {
      writeFileIn(file, migration('from shop.models import Certificate', `for cert in Certificate.objects.all():\n        ${body}\n        cert.save()`));
      const found = (await lintProject(root)).get(file)?.findings.find((f) => f.rule === 'runpython-model-import');
      assert.ok(found, body);
      const run = runCli(['check', '--no-cache', '--select', 'runpython-model-import', '.'], root);
      const diff = runCli(['check', '--no-cache', '--select', 'runpython-model-import', '--unsafe-fixes', '--diff', '.'], root);
      if (why) {
        assert.deepEqual(found.fixes, [], body);
        assert.match(found.message, why);
        assert.match(run.stdout, why, 'check says so too');
        assert.doesNotMatch(diff.stdout, /get_model/, 'and writes no swap');
      } else {
        assert.deepEqual(found.fixes.map((f) => f.title), ['Use Certificate = apps.get_model("shop", "Certificate")'], body);
        assert.doesNotMatch(run.stdout, /No fix is offered/);
        assert.match(diff.stdout, /\+ +Certificate = apps\.get_model\("shop", "Certificate"\)/);
      }
    }
  });

  it('refuses the swap of a model built on django-parler (review 27: palvelutarjotin occurrences/0023)', async () => {
    const root = temps.make();
    writeFileIn(join(root, 'shop/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/__init__.py'), '');
    writeFileIn(join(root, 'shop/migrations/0001_initial.py'), `import parler.models
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Level", fields=[("id", models.AutoField(primary_key=True)), ("level", models.IntegerField())], bases=(parler.models.TranslatableModelMixin, models.Model)),
        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))]),
    ]
`);
    const file = join(root, 'shop/migrations/0002_levels.py');
    writeFileIn(file, migration('from shop.models import Level', 'for n in range(3):\n        Level.objects.create(level=n)'));
    const found = (await lintProject(root)).get(file)?.findings.find((f) => f.rule === 'runpython-model-import');
    assert.ok(found);
    assert.deepEqual(found.fixes, []);
    assert.match(found.message, /keeps `parler\.models\.TranslatableModelMixin` without the set-up today's class gets from its package/);
    writeFileIn(file, migration('from shop.models import Order', 'Order.objects.filter(id=0).delete()'));
    const plain = (await lintProject(root)).get(file)?.findings.find((f) => f.rule === 'runpython-model-import');
    assert.deepEqual(plain?.fixes.map((f) => f.title), ['Use Order = apps.get_model("shop", "Order")']);
  });

  it("swaps no model whose rows go to a function of a models module imported whole, nor the others (review 80: osis base/0058)", async () => {
    const root = shopWith('migrations.CreateModel(name="Person", fields=[("id", models.AutoField(primary_key=True))])');
    const file = join(root, 'shop/migrations/0002_groups.py');
    writeFileIn(file, migration('from django.contrib.auth.models import Group, User\n\nimport shop.models as mdl', 'staff = Group.objects.get(name="staff")\n    for user in User.objects.all():\n        if mdl.person.find_by_user(user):\n            user.groups.add(staff)'));
    const found = (await lintProject(root)).get(file)?.findings.filter((f) => f.rule === 'runpython-model-import') ?? [];
    assert.deepEqual(found.map((f) => f.fixes.length), [0, 0], found.map((f) => f.message).join('\n'));
    assert.match(found.find((f) => f.message.startsWith('`User`'))?.message ?? '', /No fix is offered: the code hands User or a row of it to mdl\.person\.find_by_user\(\), which it imports, where a historical instance is not today's class/);
    assert.match(found.find((f) => f.message.startsWith('`Group`'))?.message ?? '', /No fix is offered: the code keeps `User` as today's model \(its swap is refused\)/);
    // Handed to nothing of the project's: both are swapped.
    writeFileIn(file, migration('from django.contrib.auth.models import Group, User', 'staff = Group.objects.get(name="staff")\n    for user in User.objects.filter(is_staff=True):\n        user.groups.add(staff)'));
    const apart = (await lintProject(root)).get(file)?.findings.filter((f) => f.rule === 'runpython-model-import') ?? [];
    assert.deepEqual(apart.map((f) => f.fixes.length), [1, 1], apart.map((f) => f.message).join('\n'));
  });

  it('reports no class of a models module that the app\'s migrations never made a model (review 25: casepro msgs/0030)', async () => {
    const root = shopWith('migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("tests", models.TextField(default=""))])');
    const file = join(root, 'shop/migrations/0002_tests.py');
    writeFileIn(file, migration('from shop.models import ContainsTest, Order', 'for order in Order.objects.all():\n        order.tests = ContainsTest(["a"]).to_json()\n        order.save()'));
    const found = (await lintProject(root)).get(file)?.findings.filter((f) => f.rule === 'runpython-model-import') ?? [];
    assert.deepEqual(found.map((f) => f.message.slice(0, f.message.indexOf(' is imported'))), ['`Order`']);
    assert.deepEqual(found[0]?.fixes.map((f) => f.title), ['Use Order = apps.get_model("shop", "Order")']);
    // Of another app this migration does not depend on: the app's leaves say the same.
    writeFileIn(join(root, 'rules/__init__.py'), '');
    writeFileIn(join(root, 'rules/migrations/__init__.py'), '');
    writeFileIn(join(root, 'rules/migrations/0001_initial.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [migrations.CreateModel(name="Rule", fields=[("id", models.AutoField(primary_key=True))])]
`);
    writeFileIn(file, migration('from rules.models import ContainsTest, Rule', 'for rule in Rule.objects.all():\n        print(ContainsTest(rule.pk))'));
    const other = (await lintProject(root)).get(file)?.findings.filter((f) => f.rule === 'runpython-model-import') ?? [];
    assert.deepEqual(other.map((f) => f.message.slice(0, f.message.indexOf(' is imported'))), ['`Rule`']);
    writeFileIn(file, migration('from shop.models import ContainsTest, Order', 'for order in Order.objects.all():\n        order.tests = ContainsTest(["a"]).to_json()\n        order.save()'));
    // Alone, without the view, the class is taken for a model as before.
    const alone = (await lint(migration('from shop.models import ContainsTest, Order', 'for order in Order.objects.all():\n        order.tests = ContainsTest(["a"]).to_json()\n        order.save()'))).findings.filter((f) => f.rule === 'runpython-model-import');
    assert.equal(alone.length, 2);
  });
});

describe('runpython-model-import in check: models of a deeper path are swapped once the view names their app', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());
  it('does not take them for models no fix can swap in the run without the view (baserow database/0081)', () => {
    const root = temps.make();
    writeFileIn(join(root, 'apps/__init__.py'), '');
    writeFileIn(join(root, 'apps/shop/__init__.py'), '');
    writeFileIn(join(root, 'apps/shop/migrations/__init__.py'), '');
    writeFileIn(join(root, 'apps/shop/migrations/0001_initial.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))]),
        migrations.CreateModel(name="Line", fields=[("id", models.AutoField(primary_key=True)), ("order", models.ForeignKey(on_delete=models.CASCADE, to="shop.order"))]),
    ]
`);
    writeFileIn(join(root, 'apps/shop/migrations/0002_lines.py'), migration('from apps.shop.models import Line, Order', 'for order in Order.objects.all():\n        Line.objects.create(order=order)'));
    const run = runCli(['check', '--no-cache', '--format', 'json', '--select', 'runpython-model-import', '.'], root);
    const messages = (JSON.parse(run.stdout) as Array<{ message: string }>).map((f) => f.message);
    assert.equal(messages.length, 2, run.stderr);
    for (const m of messages) assert.doesNotMatch(m, /No fix is offered/, m);
  });
});

describe('runpython-model-import: a model no fix can swap, beside one it can (review 25: casepro profiles/0009)', () => {
  it('swaps neither where rows of one go to the other: DRF\'s Token given a historical User raises ValueError', async () => {
    const source = migration('from django.contrib.auth.models import User\nfrom rest_framework.authtoken.models import Token', 'for user in User.objects.all():\n        Token.objects.get_or_create(user=user)');
    const { findings } = await lint(source);
    const found = findings.filter((f) => f.rule === 'runpython-model-import');
    assert.deepEqual(found.map((f) => f.fixes.length), [0, 0]);
    assert.match(found.map((f) => f.message).join('\n'), /keeps `Token` as today's model \(no fix can swap it\), and an instance of a historical model assigned to a relation of today's raises ValueError/);
    // Nothing handed over: the one that can be swapped is.
    assert.deepEqual(await fixTitles(migration('from django.contrib.auth.models import User\nfrom rest_framework.authtoken.models import Token', 'Token.objects.filter(key="").delete()\n    User.objects.filter(email="").update(is_active=False)')), [[], ['Use User = apps.get_model("auth", "User")']]);
  });
});

describe('runpython-model-import: a user model the module binds once (review 46: linkding bookmarks/0013)', () => {
  const toast = (imports: string) =>
    migration(`from django.contrib.auth import get_user_model\nfrom shop.models import Toast\n${imports}\nUser = get_user_model()`, 'for user in User.objects.all():\n        Toast(key="hint", owner=user).save()');
  it('reports `User = get_user_model()` used by the code, and swaps no model whose rows go to it while it stays', async () => {
    const { findings } = await lint(toast(''));
    const found = findings.filter((f) => f.rule === 'runpython-model-import');
    assert.deepEqual(found.map((f) => f.message.slice(0, 30)), ['`User (get_user_model())` in R', '`Toast` is imported from `shop']);
    assert.match(found[0]?.message ?? '', /returns today's user model/);
    // No `settings` to name the user model by: User keeps today's model, so Toast(owner=user) must too.
    assert.deepEqual(found.map((f) => f.fixes.length), [0, 0]);
    assert.match(found[1]?.message ?? '', /keeps `User` as today's model \(no fix can swap it\), and an instance of a historical model assigned to a relation of today's raises ValueError/);
  });
  it('swaps both where settings names the user model, each at the top of the function', async () => {
    const source = toast('from django.conf import settings');
    assert.deepEqual(await fixTitles(source), [['Use User = apps.get_model(settings.AUTH_USER_MODEL)'], ['Use Toast = apps.get_model("shop", "Toast")']]);
    const { findings } = await lint(source);
    const fixed = applyEdits(source, findings.filter((f) => f.rule === 'runpython-model-import').flatMap((f) => f.fixes[0]?.edits ?? []));
    assert.match(fixed, /def forwards\(apps, schema_editor\):\n(?: {4}(?:User = apps\.get_model\(settings\.AUTH_USER_MODEL\)|Toast = apps\.get_model\("shop", "Toast"\))\n){2} {4}for user in User\.objects\.all\(\):/);
    assert.match(fixed, /\n {4}User = apps\.get_model/);
    assert.match(fixed, /\n {4}Toast = apps\.get_model/);
    assert.equal(await pythonSyntaxError(fixed), null);
    assert.deepEqual((await lint(fixed)).findings.filter((f) => f.rule === 'runpython-model-import'), [], 'nothing left to report');
  });
  it('swaps no inline get_user_model() whose rows a comprehension hands to a model left as today\'s (review 49: ChiefOnboarding users/0042)', async () => {
    const source = migration(
      'from django.conf import settings\nfrom django.contrib.auth import get_user_model\nfrom allauth.account.models import EmailAddress',
      'EmailAddress.objects.bulk_create([EmailAddress(user=user, email=user.email) for user in get_user_model().objects.all()], ignore_conflicts=True)',
    );
    const found = (await lint(source)).findings.filter((f) => f.rule === 'runpython-model-import');
    const user = found.find((f) => f.message.startsWith('`get_user_model()`'));
    assert.ok(user, found.map((f) => f.message).join('\n'));
    assert.deepEqual(user.fixes, []);
    assert.match(user.message, /No fix is offered: the code keeps `EmailAddress` as today's model \(no fix can swap it\), and an instance of a historical model assigned to a relation of today's raises ValueError/);
    // Rows not handed over: the inline call is swapped as before.
    const alone = migration('from django.conf import settings\nfrom django.contrib.auth import get_user_model\nfrom allauth.account.models import EmailAddress', 'EmailAddress.objects.filter(verified=False).delete()\n    get_user_model().objects.filter(email="").update(is_active=False)');
    assert.deepEqual((await fixTitles(alone)).find((t) => t.length > 0 && /AUTH_USER_MODEL/.test(t[0] ?? '')) !== undefined, true);
  });
  it('swaps no model whose rows come from an inline get_user_model() no fix can swap (no settings imported; review 80: acceslibre compte/0003)', async () => {
    const source = migration('from django.contrib.auth import get_user_model\nfrom shop.models import Preferences', 'users = get_user_model().objects.all()\n    for user in users:\n        Preferences.objects.create(user=user)');
    const found = (await lint(source)).findings.filter((f) => f.rule === 'runpython-model-import');
    assert.deepEqual(found.map((f) => f.fixes.length), [0, 0], found.map((f) => f.message).join('\n'));
    assert.match(found.find((f) => f.message.startsWith('`Preferences`'))?.message ?? '', /No fix is offered: the code keeps `get_user_model\(\)` as today's model \(no fix can swap it\), and an instance of a historical model assigned to a relation of today's raises ValueError/);
    // Nothing handed over: Preferences is swapped.
    const apart = migration('from django.contrib.auth import get_user_model\nfrom shop.models import Preferences', 'Preferences.objects.filter(theme="").delete()\n    get_user_model().objects.filter(email="").update(is_active=False)');
    assert.deepEqual((await fixTitles(apart)).filter((t) => t.length > 0), [['Use Preferences = apps.get_model("shop", "Preferences")']]);
  });
  it('leaves a name the module binds to something else alone', async () => {
    assert.deepEqual(await fixTitles(migration('from shop.helpers import get_user_model\nUser = get_user_model()', 'User.objects.update(is_active=True)')), []);
  });
});

describe('runpython-model-import: the text prefilter', () => {
  it('skips only files that import nothing a model can come from', () => {
    const skipped = [
      'from django.db import migrations, models\nimport django.db.models.deletion\n',
      'from __future__ import unicode_literals\nfrom django.db import (\n    migrations,\n)\nfrom django.conf import settings\n',
    ];
    for (const source of skipped) assert.equal(mayImportModels(source), false, source);
    const kept = [
      'from shop.models import Order\n',
      'from . import models\n',
      'from .models import Order\n',
      'import django.db.models.deletion\n\ndef f(apps, s):\n    django.contrib.auth.models.User.objects.all()\n',
      'from django.contrib.auth import get_user_model\n',
      'import uuid, shop.models\n',
      'import django.db, shop.models\n',
      'from django import apps as django_apps\nx = 1; from shop.models import Order\n',
      'def f(apps, s):\n    from shop.models import Order\n',
      'from django.db import migrations\nfrom \\\n    shop.models import Order\n',
      'from django.db import migrations\nOrder = __import__("shop.models").models.Order\n',
    ];
    for (const source of kept) assert.equal(mayImportModels(source), true, source);
  });
});

/**
 * The rule walks only the code units whose text could hold a use (a manager or a capitalised call
 * reached from a name some import binds, or get_user_model): each of these units holds exactly one
 * use, spelled in a way the text test must still see.
 */
describe('runpython-model-import: the per-unit text test misses no use', () => {
  const cases: Record<string, [string, string]> = {
    'a chain continued with a backslash': ['from shop.models import Order', 'Order \\\n        .objects.all().delete()'],
    'a chain over lines with comments between': ['from shop import models as shop_models', '(\n        shop_models  # the module\n        # then the class\n        .Order\n        .objects.count()\n    )'],
    'contrib reached through `import django.db…`': ['import django.db.models.deletion', 'django.contrib.auth.models.Group.objects.all()'],
    'a model class called': ['from shop.models import Order', 'Order(total=0).save()'],
    'get_user_model()': ['from django.contrib.auth import get_user_model', 'get_user_model().objects.all()'],
    'a model under a lower-case alias, called': ['from shop.models import Order as order_model', 'order_model(total=0).save()'],
  };
  for (const [what, [imports, body]] of Object.entries(cases)) {
    it(`sees ${what}`, async () => {
      const source = migration(imports, body);
      assert.equal(pythonSyntaxError(source), null, source);
      const { findings } = await lint(source);
      assert.equal(findings.filter((f) => f.rule === 'runpython-model-import').length, 1, source);
    });
  }
});

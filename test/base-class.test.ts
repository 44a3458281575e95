/**
 * The base classes migrations give models, read from the project's modules: which of them take
 * part in save() or delete() (so bulk writes would skip their code), and where reading stops —
 * a class outside the project, a decorator, a metaclass, attributes set from outside: unknown.
 */
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { baseWrites, type BaseWrites } from '../server/src/analysis/project/base-class';
import { BaseClassReader } from '../server/src/workspace/base-classes';
import { TempDirs } from './helpers/cli';
import { getParser } from './helpers/lint';
import { modules } from './helpers/module-classes';

/** A read answer without its member list (the cases below are about save and delete). */
function writesOf(r: BaseWrites): BaseWrites | { kind: 'read'; save: string | null; delete: string | null } {
  return r.kind === 'read' ? { kind: r.kind, save: r.save, delete: r.delete } : r;
}

describe('base classes and writes', () => {
  it('names the member that takes part in save() or delete(), through the classes it inherits from', async () => {
    const lookup = await modules({
      'shop.mixins': `from shop.base import Audited
from django.conf import settings


class Urls:
    def get_absolute_url(self):
        return "/x/%s" % self.pk

    @property
    def label(self):
        return str(self)


class Logged(Urls):
    if settings.DEBUG:
        def delete(self, *args, **kwargs):
            super().delete(*args, **kwargs)


class Stamped(Audited, object):
    pass


class Patched:
    pass


Patched.save = lambda self: None


class Typed:
    save: Callable
    delete: Callable = None
`,
      'shop.base': `class Audited:
    def save_base(self, *args, **kwargs):
        return super().save_base(*args, **kwargs)
`,
    });
    assert.deepEqual(writesOf(baseWrites('shop.mixins.Urls', lookup)), { kind: 'read', save: null, delete: null });
    assert.deepEqual(writesOf(baseWrites('shop.mixins.Logged', lookup)), { kind: 'read', save: null, delete: 'Logged.delete()' });
    assert.deepEqual(writesOf(baseWrites('shop.mixins.Stamped', lookup)), { kind: 'read', save: 'Audited.save_base()', delete: null });
    assert.deepEqual(writesOf(baseWrites('shop.mixins.Patched', lookup)), { kind: 'read', save: 'Patched.save()', delete: null });
    // An annotation alone binds nothing (review 50: jumpserver's AuthMixin declares `save: Callable`); with a value it does.
    assert.deepEqual(writesOf(baseWrites('shop.mixins.Typed', lookup)), { kind: 'read', save: null, delete: 'Typed.delete()' });
    // A package mixin that only counts writes (django-prometheus): known, though not in the project; another package's is not.
    assert.deepEqual(writesOf(baseWrites('django_prometheus.models.ExportModelOperationsMixin', lookup)), { kind: 'read', save: null, delete: null });
    assert.equal(baseWrites('django_extensions.db.models.TimeStampedModel', lookup).kind, 'unknown');
    // Package classes read from their sources, with no write method (review 67: django-simple-history's
    // base of every historical model, vng-api-common's APIMixin); what they define is listed.
    const history = baseWrites('simple_history.models.HistoricalChanges', lookup);
    assert.deepEqual(writesOf(history), { kind: 'read', save: null, delete: null });
    assert.ok(history.kind === 'read' && history.members.has('diff_against'));
    assert.deepEqual(writesOf(baseWrites('vng_api_common.models.APIMixin', lookup)), { kind: 'read', save: null, delete: null });
    assert.equal(baseWrites('simple_history.models.HistoricalRecords', lookup).kind, 'unknown', 'only the classes read');
  });

  it('follows a class a package re-exports, and relative imports of modules and packages', async () => {
    const lookup = await modules({
      'shop.mixins.__init__': 'from .ordering import Orderable\nfrom . import hooks\n',
      'shop.mixins.ordering': 'from ..helpers import Plain\nfrom . import hooks\n\n\nclass Orderable(Plain, hooks.Hooked):\n    order_field = "order"\n',
      'shop.mixins.hooks': 'class Hooked:\n    def post_save(self):\n        pass\n',
      'shop.helpers': 'class Plain:\n    pass\n',
    });
    // post_save is named like save: the answer errs towards "takes part".
    assert.deepEqual(writesOf(baseWrites('shop.mixins.Orderable', lookup)), { kind: 'read', save: 'Hooked.post_save()', delete: null });
    assert.deepEqual(writesOf(baseWrites('shop.helpers.Plain', lookup)), { kind: 'read', save: null, delete: null });
  });

  it('reads save and delete as words of a member\'s name, lists the members, and stops at Django\'s Model', async () => {
    const lookup = await modules({
      'shop.models': `from django.db import models


class Note(models.Model):
    saves = models.IntegerField(default=0)
    deleted = models.BooleanField(default=False)
    autosaved_at = models.DateTimeField(null=True)
    objects = models.Manager()


class Soft(Note):
    def soft_delete(self):
        self.deleted = True
`,
    });
    const note = baseWrites('shop.models.Note', lookup);
    assert.deepEqual(writesOf(note), { kind: 'read', save: null, delete: null });
    assert.deepEqual(note.kind === 'read' ? [...note.members].sort() : null, ['autosaved_at', 'deleted', 'objects', 'saves']);
    assert.deepEqual(writesOf(baseWrites('shop.models.Soft', lookup)), { kind: 'read', save: null, delete: 'Soft.soft_delete()' });
  });

  it('answers unknown where the class cannot all be seen', async () => {
    const lookup = await modules({
      'shop.mixins': `import six
from lifecycle import LifecycleMixin


def decorate(cls):
    return cls


@decorate
class Decorated:
    pass


class WithMeta(metaclass=type):
    pass


class Hooked:
    def __init_subclass__(cls, **kwargs):
        cls.save = None


class Set:
    pass


setattr(Set, "sa" + "ve", None)


class Third(LifecycleMixin):
    pass


class Computed(six.with_metaclass(type)):
    pass
`,
    });
    const why = (name: string) => {
      const r = baseWrites(name, lookup);
      return r.kind === 'unknown' ? r.why : `read: ${JSON.stringify(r)}`;
    };
    assert.equal(why('shop.mixins.Decorated'), 'it has a class decorator, which may give it methods out of sight');
    assert.equal(why('shop.mixins.WithMeta'), 'it has a metaclass, which may give it methods out of sight');
    assert.equal(why('shop.mixins.Hooked'), 'it has __init_subclass__, which may give it methods out of sight');
    assert.equal(why('shop.mixins.Set'), 'it has setattr() from its module, which may give it methods out of sight');
    assert.equal(why('shop.mixins.Third'), 'lifecycle.LifecycleMixin is not in the project');
    assert.equal(why('shop.mixins.Computed'), 'a base of it cannot be read');
    assert.equal(why('shop.mixins.Missing'), 'shop.mixins has no class Missing to read');
    assert.equal(why('django_lifecycle.mixins.LifecycleModelMixin'), 'it is not in the project');
  });

  it("reads typing's generic bases, written subscripted, as defining nothing (review 71: kausal-watch's PlanRelatedModel)", async () => {
    const lookup = await modules({
      'plans.utils': `import typing
from typing import Generic, TypeVar

M = TypeVar("M")


class PlanDefaults:
    def initialize_plan_defaults(self, plan):
        pass


class PlanRelated(PlanDefaults, Generic[M]):
    pass


class Typed(typing.Protocol[M]):
    def label(self):
        return "x"


class Saving(Generic[M]):
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)


class Other(Unknown[M]):
    pass
`,
    });
    assert.deepEqual(writesOf(baseWrites('plans.utils.PlanRelated', lookup)), { kind: 'read', save: null, delete: null });
    assert.deepEqual(writesOf(baseWrites('plans.utils.Typed', lookup)), { kind: 'read', save: null, delete: null });
    assert.deepEqual(writesOf(baseWrites('plans.utils.Saving', lookup)), { kind: 'read', save: 'Saving.save()', delete: null });
    // A subscripted base that is not typing's: not known.
    assert.deepEqual(baseWrites('plans.utils.Other', lookup), { kind: 'unknown', why: 'a base of it cannot be read' });
  });
});

describe('reading base classes from disk', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());

  it('finds the module above the migration as Python would, and reads it again when it changes', async () => {
    const root = temps.make();
    const write = (rel: string, text: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    };
    write('src/shop/__init__.py', '');
    write('src/shop/mixins.py', 'class Urls:\n    def url(self):\n        return "/"\n');
    write('src/orders/migrations/0001_initial.py', '');
    const reader = new BaseClassReader(await getParser());
    const migration = join(root, 'src/orders/migrations/0001_initial.py');
    assert.deepEqual(writesOf(reader.writes('shop.mixins.Urls', migration)), { kind: 'read', save: null, delete: null });
    assert.deepEqual(reader.files, [join(root, 'src/shop/mixins.py')]);
    write('src/shop/mixins.py', 'class Urls:\n    def save(self, *args, **kwargs):\n        super().save(*args, **kwargs)\n');
    // A new size is enough to see the change; the time too, for an edit of the same length.
    utimesSync(join(root, 'src/shop/mixins.py'), new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(writesOf(reader.writes('shop.mixins.Urls', migration)), { kind: 'read', save: 'Urls.save()', delete: null });
    assert.deepEqual(reader.writes('shop.other.Urls', migration), { kind: 'unknown', why: 'it is not in the project' });
    // A module that does not parse is not read: a save() may hide in what the parser could not make out.
    write('src/shop/broken.py', 'class Urls:\n    def url(self):\n        return "/"\n    def save(self, *args, **kwargs\n        pass\n');
    assert.deepEqual(reader.writes('shop.broken.Urls', migration), { kind: 'unknown', why: 'its module does not parse or is too large' });
    // Nor is a folder named like a module, nor bytes that are no text.
    mkdirSync(join(root, 'src/shop/folder.py'), { recursive: true });
    assert.deepEqual(reader.writes('shop.folder.Urls', migration), { kind: 'unknown', why: 'it is not in the project' });
    writeFileSync(join(root, 'src/shop/binary.py'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x81]));
    assert.equal(reader.writes('shop.binary.Urls', migration).kind, 'unknown');
  });
});

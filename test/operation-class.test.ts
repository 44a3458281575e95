/**
 * Operation classes a project defines for its migrations (a RunSQL that reads its SQL from a file,
 * an Operation whose state_forwards does nothing): read from the project's modules, they leave the
 * model state alone only when that is certain; anything else stays unknown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operationClassEffect } from '../server/src/analysis/project/operation-class';
import { modules } from './helpers/module-classes';

const kind = (lookup: Parameters<typeof operationClassEffect>[1], name: string): string => {
  const r = operationClassEffect(name, lookup);
  return r.kind === 'neutral' ? 'neutral' : `unknown: ${r.why}`;
};

describe('operation classes of the project', () => {
  it('a RunSQL or RunPython subclass that hands Django no state_operations leaves the state alone', async () => {
    const lookup = await modules({
      'ureport.sql.__init__': `import os
from django.db.migrations import RunSQL


class InstallSQL(RunSQL):
    """Reads the SQL from a file."""

    def __init__(self, filename):
        with open(os.path.join(os.path.dirname(__file__), "%s.sql" % filename)) as f:
            super().__init__(f.read(), "")
`,
      'shop.ops': `from django.db import migrations


class Fill(migrations.RunPython):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
`,
    });
    assert.equal(kind(lookup, 'ureport.sql.InstallSQL'), 'neutral');
    assert.equal(kind(lookup, 'shop.ops.Fill'), 'neutral');
  });

  it('an Operation whose state_forwards does nothing leaves the state alone; one with a body does not', async () => {
    const lookup = await modules({
      'app.db.extras': `from django.db.migrations.operations.base import Operation


class CreateFunction(Operation):
    reversible = True

    def state_forwards(self, app_label, state):
        """Functions are not part of the state."""
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute("CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql")


class Stub(Operation):
    def state_forwards(self, app_label, state):
        return None


class DropThing(Operation):
    def state_forwards(self, app_label, state):
        state.remove_model(app_label, "thing")


class NoState(Operation):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass
`,
    });
    assert.equal(kind(lookup, 'app.db.extras.CreateFunction'), 'neutral');
    assert.equal(kind(lookup, 'app.db.extras.Stub'), 'neutral');
    assert.match(kind(lookup, 'app.db.extras.DropThing'), /^unknown: app\.db\.extras\.DropThing defines state_forwards\(\)/);
    // Django's Operation.state_forwards raises NotImplementedError: nothing here says what it does.
    assert.match(kind(lookup, 'app.db.extras.NoState'), /^unknown: django\.db\.migrations\.operations\.base\.Operation is one of Django's classes/);
  });

  it('stays unknown for state_operations handed on, another of Django operations, a class out of the project or out of sight', async () => {
    const lookup = await modules({
      'app.ops': `from django.db import migrations
from django.db.migrations import AddField, RunSQL
from vendor.ops import Magic


class WithState(RunSQL):
    def __init__(self, sql, model):
        super().__init__(sql, state_operations=[migrations.DeleteModel(model)])


class Quiet(AddField):
    pass


class Wrapped(Magic):
    pass


def register(cls):
    return cls


@register
class Decorated(RunSQL):
    pass
`,
    });
    assert.match(kind(lookup, 'app.ops.WithState'), /names state_operations/);
    assert.match(kind(lookup, 'app.ops.Quiet'), /django\.db\.migrations\.AddField is one of Django's classes/);
    assert.match(kind(lookup, 'app.ops.Wrapped'), /vendor\.ops\.Magic is not in the project/);
    assert.match(kind(lookup, 'app.ops.Decorated'), /a class decorator/);
    assert.match(kind(lookup, 'vendor.ops.Magic'), /is not in the project/);
  });

  it('follows bases in order, through a package that re-exports the class', async () => {
    const lookup = await modules({
      'app.ops.__init__': `from .sql import InstallSQL, Careful
`,
      'app.ops.sql': `from django.db.migrations import RunSQL
from app.ops.mixins import Logged, Stateful


class InstallSQL(Logged, RunSQL):
    pass


class Careful(Stateful, RunSQL):
    pass
`,
      'app.ops.mixins': `class Logged:
    def describe(self):
        return "logged"


class Stateful:
    def state_forwards(self, app_label, state):
        state.models.clear()
`,
    });
    assert.equal(kind(lookup, 'app.ops.InstallSQL'), 'neutral');
    assert.match(kind(lookup, 'app.ops.Careful'), /app\.ops\.mixins\.Stateful defines state_forwards\(\)/);
  });
});

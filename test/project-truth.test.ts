/**
 * The project view against real Django: for every fixture project under test/fixtures/projects,
 * test/django/project_truth.py reports what Django 3.2's MigrationLoader / MigrationGraph /
 * ProjectState make of it (graph nodes and edges, leaves, conflicts, the plan, the error Django
 * raises, and the model state after every migration); the view built from the files alone must
 * say the same.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fieldColumn, type FieldSpec } from '../server/src/analysis/fields';
import { PythonParser } from '../server/src/analysis/parser';
import { keyId, type GraphNode } from '../server/src/analysis/project/graph';
import type { ModelState } from '../server/src/analysis/project/state';
import type { Value } from '../server/src/analysis/values';
import { readPyproject } from '../server/src/config/pyproject';
import { mergeSettings } from '../server/src/config/settings';
import type { ProjectView } from '../server/src/analysis/project/view';
import { loadProject, type LoadedProject } from '../server/src/workspace/project-loader';
import { DJANGO_PYTHON, DJANGO_SCRIPTS } from './helpers/django';
import { FIXTURES, GRAMMAR_PATHS } from './helpers/paths';

type Key = [string, string];

interface TruthField {
  path: string;
  column: string | null;
  null: boolean;
  blank: boolean;
  default: unknown;
  db_index: boolean;
  unique: boolean;
  primary_key: boolean;
  max_length: number | null;
  db_column: string | null;
  related_model: string | null;
}

interface TruthModel {
  name: string;
  db_table: string;
  managed: boolean;
  proxy: boolean;
  options_db_table: string | null;
  unique_together: string[][];
  index_together: string[][];
  indexes: string[];
  constraints: string[];
  fields: Record<string, TruthField>;
}

interface Truth {
  error: null | { type: string; message: string; node: Key | null; origin: Key | null };
  apps: string[];
  nodes: Key[];
  parents: Record<string, Key[]>;
  leaves: Key[];
  conflicts: Record<string, string[]>;
  plan: Key[];
  replacements: Record<string, Key[]>;
  states: Record<string, Record<string, TruthModel>>;
}

const PROJECTS = join(FIXTURES, 'projects');
const fixtures = readdirSync(PROJECTS).filter((f) => existsSync(join(PROJECTS, f, 'fixture.json')));

/** What Django makes of the fixture; with `applied`, on a database where those migrations are applied. */
function truthOf(fixture: string, applied: Key[] = []): Truth {
  const r = spawnSync(DJANGO_PYTHON, [join(DJANGO_SCRIPTS, 'project_truth.py'), join(PROJECTS, fixture)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1', PYTHONHASHSEED: '0', ...(applied.length ? { MIGRATION_GUARD_TRUTH_APPLIED: JSON.stringify(applied) } : {}) },
  });
  if (r.status !== 0) throw new Error(`project_truth.py failed for ${fixture}: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as Truth;
}

const id = (k: Key): string => `${k[0]}.${k[1]}`;
const ids = (nodes: Iterable<GraphNode>): string[] => [...nodes].map((n) => n.id);

/** Our default in project_truth.py's encoding. */
function encodeDefault(v: Value | 'NOT_PROVIDED' | undefined): unknown {
  if (v === undefined) return { $: 'UNKNOWN' };
  if (v === 'NOT_PROVIDED') return { $: 'NOT_PROVIDED' };
  switch (v.kind) {
    case 'str':
    case 'int':
    case 'float':
    case 'bool':
      return v.value;
    case 'none':
      return null;
    case 'ref':
      return { $callable: v.path ?? v.text };
    case 'call':
      if (/(^|\.)Decimal$/.test(v.callee.path ?? '') && v.args[0]?.kind === 'str') return { $decimal: v.args[0].value };
      return { $call: v.callee.path ?? v.callee.text };
    default:
      return { $: v.kind };
  }
}

function relatedModel(field: FieldSpec, app: string, authUserModel: string): string | null | undefined {
  const rel = field.relation;
  if (rel === undefined) return undefined;
  if (!rel) return null;
  const to = rel.to;
  const text = to.kind === 'str' ? to.value : to.kind === 'ref' && /settings\.AUTH_USER_MODEL$/.test(to.path ?? to.text) ? authUserModel : null;
  if (text === null) return undefined;
  const [a, m] = text.includes('.') ? (text.split('.') as [string, string]) : [app, text];
  return `${a}.${m.toLowerCase()}`;
}

function sorted(groups: string[][] | null): string[][] | null {
  return groups ? groups.map((g) => [...g].sort()).sort() : null;
}

/** Asserts the view's model state after `nodeId` is Django's (`state`); what it compared. */
function sameState(view: ProjectView, nodeId: string, state: Record<string, TruthModel>, authUserModel: string): { models: number; fields: number } {
  let models = 0;
  let fields = 0;
  const node = view.graph.nodes.get(nodeId);
  assert.ok(node?.migration, `no node ${nodeId}`);
  const app = node.key.app;
  const after = view.stateOf(node.migration.file, 'after', 'state');
  assert.ok(after, `no state after ${nodeId}`);
  const ourModels = [...after.models].filter(([, m]) => m !== 'absent');
  const theirs = Object.entries(state).filter(([k]) => k.startsWith(`${app}.`));
  assert.deepEqual(ourModels.map(([k]) => `${app}.${k}`).sort(), theirs.map(([k]) => k).sort(), `models of ${app} after ${nodeId}`);
  for (const [key, expected] of theirs) {
    const m = after.models.get(key.slice(app.length + 1)) as ModelState | 'unknown';
    const where = `${key} after ${nodeId}`;
    assert.notEqual(m, 'unknown', `${where}: unknown to the project view`);
    const model = m as ModelState;
    models++;
    assert.equal(model.name, expected.name, `${where}: name`);
    assert.equal(view.tableName(model, after), expected.db_table, `${where}: db_table`);
    assert.equal(model.options.dbTable, expected.options_db_table, `${where}: options db_table`);
    assert.equal(model.options.managed, expected.managed, `${where}: managed`);
    assert.equal(model.options.proxy, expected.proxy, `${where}: proxy`);
    assert.deepEqual(sorted(model.options.uniqueTogether), sorted(expected.unique_together), `${where}: unique_together`);
    assert.deepEqual(sorted(model.options.indexTogether), sorted(expected.index_together), `${where}: index_together`);
    assert.deepEqual(model.options.indexes?.map((i) => i.name), expected.indexes, `${where}: indexes`);
    assert.deepEqual(model.options.constraints?.map((c) => c.name), expected.constraints, `${where}: constraints`);
    assert.deepEqual([...model.fields.keys()], Object.keys(expected.fields), `${where}: field names and order`);
    for (const [name, f] of Object.entries(expected.fields)) {
      const spec = model.fields.get(name);
      const at = `${where}.${name}`;
      assert.ok(spec, `${at}: unreadable field`);
      fields++;
      assert.equal(spec.path, f.path, `${at}: class`);
      assert.equal(spec.null, f.null, `${at}: null`);
      assert.equal(spec.blank, f.blank, `${at}: blank`);
      assert.deepEqual(encodeDefault(spec.default), f.default, `${at}: default`);
      assert.equal(spec.dbIndex, f.db_index, `${at}: db_index`);
      assert.equal(spec.unique, f.unique, `${at}: unique`);
      assert.equal(spec.primaryKey, f.primary_key, `${at}: primary_key`);
      assert.equal(spec.maxLength, f.max_length, `${at}: max_length`);
      assert.equal(spec.dbColumn, f.db_column, `${at}: db_column`);
      if (spec.relation?.kind !== 'many-to-many') assert.equal(fieldColumn(name, spec), f.column, `${at}: column`);
      // A model renamed in another app is not followed into this app's relations.
      const related = relatedModel(spec, app, authUserModel);
      if (f.related_model === null || related?.startsWith(`${app}.`) || f.related_model.startsWith(`${app}.`)) {
        assert.equal(related, f.related_model, `${at}: related model`);
      }
    }
  }
  return { models, fields };
}

describe('project view = real Django (test/fixtures/projects)', () => {
  let parser: PythonParser;
  before(async () => {
    parser = await PythonParser.create(GRAMMAR_PATHS);
  });
  after(() => parser.dispose());

  for (const fixture of fixtures) {
    describe(fixture, () => {
      let truth: Truth;
      let ours: LoadedProject;
      let authUserModel = 'auth.User';
      before(async () => {
        truth = truthOf(fixture);
        const root = join(PROJECTS, fixture);
        const pyproject = join(root, 'pyproject.toml');
        const settings = mergeSettings(existsSync(pyproject) ? readPyproject(pyproject).settings : {});
        authUserModel = settings.authUserModel;
        ours = await loadProject(root, parser, settings);
      });

      it('has the same apps, nodes and edges', () => {
        const g = ours.view.graph;
        assert.deepEqual([...g.apps].sort(), [...truth.apps].sort());
        const nodes = [...g.nodes.values()].filter((n) => n.migration);
        assert.deepEqual(ids(nodes).sort(), truth.nodes.map(id).sort());
        for (const n of nodes) {
          const expected = (truth.parents[n.id] ?? []).filter((k) => truth.apps.includes(k[0])).map(id).sort();
          assert.deepEqual(ids(n.parents).sort(), expected, `parents of ${n.id}`);
        }
        const replacements = Object.fromEntries([...g.replacements].map(([k, v]) => [k, v.map(keyId).sort()]));
        assert.deepEqual(replacements, Object.fromEntries(Object.entries(truth.replacements).map(([k, v]) => [k, v.map(id).sort()])));
      });

      it('has the same leaves and conflicts', () => {
        const g = ours.view.graph;
        assert.deepEqual(ids(g.leaves()), truth.leaves.map(id));
        const conflicts = Object.fromEntries([...g.conflicts()].map(([app, leaves]) => [app, leaves.map((l) => l.key.name)]));
        assert.deepEqual(conflicts, truth.conflicts);
      });

      it('finds the error Django raises, and none where Django raises none', () => {
        const g = ours.view.graph;
        const unknown = g.unknownDependencies.map((u) => ({ node: keyId(u.missing), origin: keyId(u.origin.key) }));
        const cycles = g.cycles().map((c) => ids(c).sort());
        if (!truth.error) {
          assert.deepEqual(unknown, []);
          assert.deepEqual(cycles, []);
          return;
        }
        if (truth.error.type === 'NodeNotFoundError') {
          assert.ok(truth.error.node && truth.error.origin);
          assert.deepEqual(unknown, [{ node: id(truth.error.node), origin: id(truth.error.origin) }]);
          assert.deepEqual(cycles, []);
        } else if (truth.error.type === 'CircularDependencyError') {
          assert.deepEqual(cycles, [truth.error.message.split(', ').sort()]);
          assert.deepEqual(unknown, []);
        } else {
          assert.fail(`Django raised ${truth.error.type} (${truth.error.message}); the project view has no such finding`);
        }
      });

      it('plans the same order', (t) => {
        if (truth.error) return t.diagnostic('Django raised an error: no plan to compare');
        assert.deepEqual(ids(ours.view.graph.fullPlan()), truth.plan.map(id));
      });

      it('replays the same model state after every migration', (t) => {
        if (truth.error) return t.diagnostic('Django raised an error: no states to compare');
        let models = 0;
        let fields = 0;
        for (const [nodeId, state] of Object.entries(truth.states)) {
          const n = sameState(ours.view, nodeId, state, authUserModel);
          models += n.models;
          fields += n.fields;
        }
        t.diagnostic(`${models} model states, ${fields} fields compared`);
        assert.ok(Object.keys(truth.states).length === 0 || models > 0, 'nothing was compared');
      });
    });
  }
});

/**
 * A migration a squash replaced runs only on a database that applied part of its chain; Django's
 * loader then drops the squash and keeps the chain (remove_replacement_node). ProjectView.forFile
 * gives such a file a view of the project as that loader builds it: compared here with Django's
 * graph and states on a database where each chain's first migration is applied.
 */
describe('a squash\'s chain as Django keeps it once part of it is applied = real Django', () => {
  let parser: PythonParser;
  before(async () => {
    parser = await PythonParser.create(GRAMMAR_PATHS);
  });
  after(() => parser.dispose());

  // The fixtures with a squashed migration.
  const squashing = fixtures.filter((f) => readdirSync(join(PROJECTS, f), { recursive: true, encoding: 'utf8' }).some((p) => /migrations\/\w+\.py$/.test(p) && /^\s*replaces\s*=/m.test(readFileSync(join(PROJECTS, f, p), 'utf8'))));
  it('has fixtures to compare', () => assert.deepEqual(squashing, ['squashed-only', 'squashed-with-replaced']));

  for (const fixture of squashing) {
    it(fixture, async (t) => {
      const root = join(PROJECTS, fixture);
      const ours = await loadProject(root, parser, mergeSettings({}));
      const g = ours.view.graph;
      // Chains whose every file is there: the only ones a database can run.
      const kept = [...g.replacements].filter(([, keys]) => keys.every((k) => ours.view.migration(join(root, k.app, 'migrations', `${k.name}.py`))));
      if (kept.length === 0) {
        // The replaced files are gone: every file is answered by the project's own view.
        const files = [...g.nodes.values()].flatMap((n) => (n.migration ? [n.migration.file] : []));
        assert.ok(files.length > 0);
        for (const f of files) assert.equal(ours.view.forFile(f), ours.view, f);
        return t.diagnostic(`no squash whose chain is on disk; ${files.length} files answered by the project's view`);
      }
      const applied = kept.map(([, keys]) => [keys[0]?.app, keys[0]?.name] as Key);
      const truth = truthOf(fixture, applied);
      assert.equal(truth.error, null, 'Django refused the graph');
      let models = 0;
      let chainFiles = 0;
      for (const [squash, keys] of kept) {
        assert.ok(!truth.nodes.some((k) => id(k) === squash), `Django kept ${squash}`);
        for (const k of keys) {
          const file = join(root, k.app, 'migrations', `${k.name}.py`);
          assert.equal(ours.view.node(file), null, `${keyId(k)}: the squash stands for it in the project's own view`);
          const view = ours.view.forFile(file);
          // The chain's first migration never runs (applied wherever any of the chain is): no view of its own.
          if (k === keys[0]) {
            assert.equal(view, ours.view, `${keyId(k)} runs first in its chain`);
            continue;
          }
          assert.notEqual(view, ours.view);
          chainFiles++;
          // The whole graph as Django's loader has it on that database, seen from each file of the chain.
          const nodes = [...view.graph.nodes.values()].filter((n) => n.migration);
          assert.deepEqual(ids(nodes).sort(), truth.nodes.map(id).sort(), `${keyId(k)}: nodes`);
          for (const n of nodes) assert.deepEqual(ids(n.parents).sort(), (truth.parents[n.id] ?? []).map(id).sort(), `${keyId(k)}: parents of ${n.id}`);
          assert.deepEqual(ids(view.graph.leaves()), truth.leaves.map(id), `${keyId(k)}: leaves`);
          models += sameState(view, keyId(k), truth.states[keyId(k)] ?? {}, 'auth.User').models;
        }
      }
      t.diagnostic(`${chainFiles} files of kept chains, ${models} model states compared`);
      assert.ok(models > 0, 'nothing was compared');
    });
  }
});

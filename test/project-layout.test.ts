/**
 * Which files form the migration graph and under which app label: folders Django would load,
 * labels from apps.py (also through a config class imported from the project), MIGRATION_MODULES
 * overrides, and silence on labels two folders claim. Also the graph's own rules of caution:
 * apps not in view are never missing, an unreadable dependency list hides an app's leaves.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { appConfigLabel, configModule, moduleTail } from '../server/src/analysis/project/app-config';
import { MigrationGraph } from '../server/src/analysis/project/graph';
import type { MigrationSummary } from '../server/src/analysis/project/summary';
import { findPythonFiles } from '../server/src/workspace/find-files';
import { graphCandidates, isMigrationModuleName, ProjectLayout, projectRootOf, projectsOf } from '../server/src/workspace/project-layout';
import { readAppLabel } from '../server/src/workspace/project-loader';
import { getParser } from './helpers/lint';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mg-layout-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

async function labelOf(source: string): Promise<ReturnType<typeof appConfigLabel>> {
  const parser = await getParser();
  const t = parser.parse(source);
  try {
    return appConfigLabel(configModule(t.rootNode).classes, 'billing');
  } finally {
    t.delete();
  }
}

describe('app labels from apps.py', () => {
  it('reads a literal label, or the last part of the name', async () => {
    assert.deepEqual(await labelOf("from django.apps import AppConfig\nclass C(AppConfig):\n    name = 'shop.billing'\n    label = 'billing_core'\n"), { kind: 'label', label: 'billing_core' });
    assert.deepEqual(await labelOf("from django.apps import AppConfig\nclass C(AppConfig):\n    name = 'shop.invoices'\n"), { kind: 'label', label: 'invoices' });
    assert.deepEqual(await labelOf("from django.apps import AppConfig as Base\nclass C(Base):\n    name = 'shop.billing'\n"), { kind: 'none' }, 'aliased import of AppConfig; the label is the folder name');
    assert.deepEqual(await labelOf('x = 1\n'), { kind: 'none' });
  });

  it('picks the default config, and is unknown when it cannot tell', async () => {
    const two = "from django.apps import AppConfig\nclass A(AppConfig):\n    name = 'x.a'\n    label = 'one'\nclass B(AppConfig):\n    name = 'x.b'\n    label = 'two'\n";
    assert.deepEqual(await labelOf(two), { kind: 'unknown' });
    assert.deepEqual(await labelOf(two.replace("label = 'two'", "label = 'two'\n    default = True")), { kind: 'label', label: 'two' });
    assert.deepEqual(await labelOf("from django.apps import AppConfig\nclass A(AppConfig):\n    name = 'x'\n    label = get_label()\n"), { kind: 'unknown' });
    assert.deepEqual(await labelOf("from lib.apps import BaseConfig\nclass A(BaseConfig):\n    name = 'x.billing'\n"), { kind: 'unknown' }, 'a base from outside the project may set the label');
    // Marsha's core/apps.py: a subclass of the admin's config (the admin app's, by its inherited name) beside the app's own.
    const marsha = "from django.apps import AppConfig\nfrom django.contrib.admin.apps import AdminConfig\nclass SiteAdmin(AdminConfig):\n    default_site = 'x.Site'\nclass BillingConfig(AppConfig):\n    name = 'shop.billing'\n";
    assert.deepEqual(await labelOf(marsha), { kind: 'none' });
    assert.deepEqual(await labelOf(marsha.replace("name = 'shop.billing'", "name = 'shop.billing'\n    label = 'bills'")), { kind: 'label', label: 'bills' });
  });

  it('follows a config class imported from the project', async () => {
    const root = tree({
      'proj/core/apps.py': "from django.apps import AppConfig\nclass ProjConfig(AppConfig):\n    verbose = True\n",
      'proj/shop/apps.py': "from proj.core.apps import ProjConfig\nclass ShopConfig(ProjConfig):\n    name = 'proj.shop'\n    label = 'store'\n",
      'proj/cart/apps.py': "from proj.core.apps import ProjConfig\nclass CartConfig(ProjConfig):\n    name = 'proj.cart'\n",
    });
    const parser = await getParser();
    assert.deepEqual(readAppLabel(join(root, 'proj/shop'), parser), { kind: 'label', label: 'store' });
    assert.deepEqual(readAppLabel(join(root, 'proj/cart'), parser), { kind: 'none' }, 'the base sets no label: the name (= folder) decides');
    assert.deepEqual(readAppLabel(join(root, 'proj/nowhere'), parser), { kind: 'none' });
  });
});

describe('app labels from a name computed as the module\'s package', () => {
  it('reads `__name__.rpartition(".")[0]` and its spellings in an apps.py as the folder holding it (etools)', async () => {
    const parser = await getParser();
    const label = (source: string, file: string) => {
      const t = parser.parse(source);
      try {
        return appConfigLabel(configModule(t.rootNode, moduleTail(file)).classes, 'audit');
      } finally {
        t.delete();
      }
    };
    const config = (name: string, extra = '') => `from django.apps import AppConfig as BaseAppConfig\n\n\nclass AppConfig(BaseAppConfig):\n    name = ${name}\n${extra}`;
    for (const name of ["__name__.rpartition('.')[0]", '__name__.rpartition(".")[0]', "__name__.rsplit('.', 1)[0]", '__name__.rsplit(".", maxsplit=1)[0]', "'.'.join(__name__.split('.')[:-1])", '__package__']) {
      assert.deepEqual(label(config(name), '/src/etools/applications/audit/apps.py'), { kind: 'none' }, name);
    }
    assert.deepEqual(label(config("__name__.rpartition('.')[0]"), '/src/etools/applications/audit/config.py'), { kind: 'none' }, 'any module of the package');
    assert.deepEqual(label(config("__name__.rpartition('.')[0]", "    label = 'audit_core'\n"), '/src/etools/applications/audit/apps.py'), { kind: 'label', label: 'audit_core' }, 'a literal label still wins');
    assert.deepEqual(label(config("__name__.rpartition('.')[0]"), '/src/etools/applications/audit/__init__.py'), { kind: 'unknown' }, "in __init__.py it is the parent package, which the path alone does not tell");
    assert.deepEqual(label(config("__name__.split('.')[0]"), '/src/etools/applications/audit/apps.py'), { kind: 'unknown' }, 'another computation stays unknown');
    assert.deepEqual(label(config("__name__.rpartition('.')[0]"), 'apps.py'), { kind: 'unknown' }, 'no folder to name');
    assert.deepEqual(moduleTail('/a/b/apps.py'), ['b', 'apps']);
    assert.equal(moduleTail('/a/b/__init__.py'), null);
  });

  it('puts the app in the project view under its folder name', async () => {
    const root = tree({
      'etools/applications/audit/__init__.py': '',
      'etools/applications/audit/apps.py': "from django.apps import AppConfig as BaseAppConfig\n\n\nclass AppConfig(BaseAppConfig):\n    name = __name__.rpartition('.')[0]\n    verbose_name = 'Audit'\n",
    });
    assert.deepEqual(readAppLabel(join(root, 'etools/applications/audit'), await getParser()), { kind: 'none' });
  });
});

describe('app labels from a package\'s default_app_config', () => {
  it('reads the config class default_app_config names when the app has no apps.py config, also relative to __name__', async () => {
    const parser = await getParser();
    const base = 'import django.apps\nimport django.conf\n\n\nclass AppConfig(django.apps.AppConfig):\n    required = ()\n';
    const root = tree({
      'shop/__init__.py': '',
      'shop/apps/__init__.py': base,
      // The config in the package itself (shuup's core: label "shuup").
      'shop/core/__init__.py': 'from shop.apps import AppConfig\n\n\nclass CoreConfig(AppConfig):\n    name = "shop.core"\n    label = "shop"\n\n\ndefault_app_config = "shop.core.CoreConfig"\n',
      // Relative to the package's own name.
      'shop/cms/__init__.py': 'default_app_config = __name__ + ".apps.AppConfig"\n',
      'shop/cms/apps.py': 'import shop.apps\n\n\nclass AppConfig(shop.apps.AppConfig):\n    name = "shop.cms"\n    label = "shop_cms"\n',
      // Computed otherwise: not known.
      'shop/odd/__init__.py': 'default_app_config = get_config()\n',
      // An apps.py config that sets a label decides.
      'shop/plain/__init__.py': 'default_app_config = "shop.plain.Other"\n\nclass Other:\n    pass\n',
      'shop/plain/apps.py': 'from django.apps import AppConfig\n\n\nclass PlainConfig(AppConfig):\n    name = "shop.plain"\n    label = "plain_label"\n',
    });
    assert.deepEqual(readAppLabel(join(root, 'shop/core'), parser), { kind: 'label', label: 'shop' });
    assert.deepEqual(readAppLabel(join(root, 'shop/cms'), parser), { kind: 'label', label: 'shop_cms' });
    assert.deepEqual(readAppLabel(join(root, 'shop/odd'), parser), { kind: 'unknown' });
    assert.deepEqual(readAppLabel(join(root, 'shop/plain'), parser), { kind: 'label', label: 'plain_label' });
  });

  it('takes the apps.py config where default_app_config names a class that is not there (review 71: dsmr-reader dsmr_stats, mit-learn)', async () => {
    const parser = await getParser();
    const config = (name: string, label = '') => `from django.apps import AppConfig\n\n\nclass StatsAppConfig(AppConfig):\n    name = "${name}"\n${label}`;
    const root = tree({
      // Renamed in apps.py only.
      'stats/__init__.py': 'default_app_config = "stats.apps.DsmrStatsConfig"\n',
      'stats/apps.py': config('stats'),
      // A module misspelt.
      'search/__init__.py': 'default_app_config = "serach.apps.StatsAppConfig"\n',
      'search/apps.py': config('search', '    label = "site_search"\n'),
      // Pointing at a class that is there but no config, with no apps.py: not known, as before.
      'gone/__init__.py': 'default_app_config = "gone.apps.Missing"\n',
    });
    assert.deepEqual(readAppLabel(join(root, 'stats'), parser), { kind: 'none' });
    assert.deepEqual(readAppLabel(join(root, 'search'), parser), { kind: 'label', label: 'site_search' });
    assert.deepEqual(readAppLabel(join(root, 'gone'), parser), { kind: 'unknown' });
  });
});

describe('project layout', () => {
  it('takes files of migrations packages Django would list', () => {
    assert.ok(isMigrationModuleName('0001_initial.py'));
    for (const n of ['_draft.py', '~backup.py', '0003_copy.bak.py', '__init__.py', 'notes.txt']) assert.ok(!isMigrationModuleName(n), n);
  });

  it('names folders by apps.py or folder, honours migration-modules, and drops labels claimed twice', async () => {
    const root = tree({
      'shop/migrations/__init__.py': '',
      'shop/migrations/0001_initial.py': '',
      'billing/apps.py': "from django.apps import AppConfig\nclass B(AppConfig):\n    name = 'billing'\n    label = 'money'\n",
      'billing/migrations/__init__.py': '',
      'billing/migrations/0001_initial.py': '',
      'nopkg/migrations/0001_initial.py': '',
      'legacy/migrations/__init__.py': '',
      'legacy/migrations/0001_decoy.py': '',
      'legacy/db_migrations/__init__.py': '',
      'legacy/db_migrations/0001_initial.py': '',
      'a/reports/migrations/__init__.py': '',
      'a/reports/migrations/0001_initial.py': '',
      'b/reports/migrations/__init__.py': '',
      'b/reports/migrations/0001_initial.py': '',
    });
    const files = await findPythonFiles(root);
    const overrides = new Map([['legacy', join(root, 'legacy/db_migrations')]]);
    const candidates = graphCandidates(files, overrides, existsSync);
    const parser = await getParser();
    const layout = new ProjectLayout(candidates, (dir) => readAppLabel(dir, parser));
    assert.equal(layout.appOf(join(root, 'shop/migrations/0001_initial.py')), 'shop');
    assert.equal(layout.appOf(join(root, 'billing/migrations/0001_initial.py')), 'money');
    assert.equal(layout.appOf(join(root, 'nopkg/migrations/0001_initial.py')), null, 'no __init__.py: Django sees no migrations');
    assert.equal(layout.appOf(join(root, 'legacy/db_migrations/0001_initial.py')), 'legacy');
    assert.equal(layout.appOf(join(root, 'legacy/migrations/0001_decoy.py')), null, 'MIGRATION_MODULES replaces the default folder');
    assert.equal(layout.appOf(join(root, 'a/reports/migrations/0001_initial.py')), null);
    assert.equal(layout.folderOf(join(root, 'b/reports/migrations/0001_initial.py'))?.source, 'ambiguous');
  });
});

function summary(name: string, deps: Array<[string, string]>, extra: Partial<MigrationSummary> = {}): MigrationSummary {
  const r = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return {
    name,
    classRange: r,
    dependencies: { entries: deps.map(([app, n]) => ({ kind: 'key' as const, app, name: n, range: r })), complete: true },
    runBefore: { entries: [], complete: true },
    replaces: null,
    initial: null,
    atomic: true,
    operations: [],
    operationsComplete: true,
    ...extra,
  };
}

describe('migration graph caution', () => {
  it('never reports a dependency on an app it does not see', () => {
    const g = new MigrationGraph({
      migrations: [{ key: { app: 'shop', name: '0001_initial' }, file: '/p/shop/0001', summary: summary('0001_initial', [['auth', '0012_alter_user_first_name_max_length'], ['shop', '0000_missing']]) }],
      swappable: {},
    });
    assert.deepEqual(g.unknownDependencies.map((u) => `${u.missing.app}.${u.missing.name}`), ['shop.0000_missing']);
  });

  it('says nothing about the leaves of an app with an unreadable dependency list', () => {
    const r = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const migrations = [
      { key: { app: 'shop', name: '0001_initial' }, file: '/p/1', summary: summary('0001_initial', []) },
      { key: { app: 'shop', name: '0002_a' }, file: '/p/2', summary: summary('0002_a', [['shop', '0001_initial']]) },
      { key: { app: 'shop', name: '0003_b' }, file: '/p/3', summary: summary('0003_b', [], { dependencies: { entries: [{ kind: 'unknown', range: r }], complete: true } }) },
    ];
    const g = new MigrationGraph({ migrations, swappable: {} });
    assert.equal(g.leaves('shop').length, 2);
    assert.equal(g.conflicts().size, 0);
  });

  it('says nothing about an app whose migrations never depend on one another: they call the app by another label', () => {
    // shuup's core folder is the app "shuup": read as "core", each of its migrations would be a leaf.
    const migrations = ['0001_initial', '0002_a', '0003_b'].map((name, i, all) => ({
      key: { app: 'core', name },
      file: `/p/${name}`,
      summary: summary(name, i === 0 ? [] : [['shuup', all[i - 1] as string]]),
    }));
    assert.equal(new MigrationGraph({ migrations, swappable: {} }).conflicts().size, 0);
    const two = migrations.slice(0, 2);
    assert.equal(new MigrationGraph({ migrations: two, swappable: {} }).conflicts().size, 1, 'two leaves: a real conflict may look the same');
  });

  it('finds a migration that depends on itself', () => {
    const g = new MigrationGraph({ migrations: [{ key: { app: 'a', name: '0001' }, file: '/p/1', summary: summary('0001', [['a', '0001']]) }], swappable: {} });
    assert.deepEqual(g.cycles().map((c) => c.map((n) => n.id)), [['a.0001']]);
  });
});

describe('projects of a run (check given folders of several projects)', () => {
  // Folders that hold a project marker, as a set of paths the fake file system has.
  const fs = (...paths: string[]) => (p: string) => paths.includes(p);

  it('finds a folder\'s project by the nearest marker at or above it, else the folder itself', () => {
    const exists = fs('/w/a/manage.py', '/w/b/sub/pyproject.toml', '/w/c/.git');
    assert.equal(projectRootOf('/w/a/shop', exists), '/w/a');
    assert.equal(projectRootOf('/w/b/sub/x', exists), '/w/b/sub');
    assert.equal(projectRootOf('/w/c', exists), '/w/c');
    assert.equal(projectRootOf('/w/d/e', exists), '/w/d/e');
  });

  it('gives folders of different projects a project each, and one project to apps of one', () => {
    const exists = fs('/w/a/manage.py', '/w/b/setup.py');
    const two = projectsOf(['/w/a', '/w/b'], exists);
    assert.equal(two('/w/a/shop/migrations'), '/w/a');
    assert.equal(two('/w/b/shop/migrations'), '/w/b');
    assert.equal(two('/elsewhere/migrations'), '', 'a named file outside every named folder');
    const apps = projectsOf(['/w/a/shop', '/w/a/billing'], exists);
    assert.equal(apps('/w/a/shop/migrations'), '');
    assert.equal(apps('/w/a/billing/migrations'), '');
    const nested = projectsOf(['/w/a', '/w/a/shop', '/w/b'], exists);
    assert.equal(nested('/w/a/shop/migrations'), '/w/a', 'a folder named inside another is part of it');
    assert.equal(projectsOf(['/w/a'], exists)('/w/a/x'), '', 'one folder: one project');
  });

  it('counts a label claimed twice only within one project, and MIGRATION_MODULES only in its own', () => {
    const folders = ['/w/a/shop/migrations', '/w/b/shop/migrations', '/w/b/core/migrations', '/w/b/core2/migrations'];
    const files = folders.map((d) => `${d}/0001_initial.py`);
    const exists = (p: string) => p.endsWith('__init__.py');
    const projectOf = (dir: string) => (dir.startsWith('/w/a/') ? 'a' : 'b');
    // b names core2/migrations as the label core: its own core folder is replaced, a's shop is not touched.
    const candidates = graphCandidates(files, new Map([['core', '/w/b/core2/migrations']]), exists, projectOf);
    const layout = new ProjectLayout(candidates, () => ({ kind: 'none' }));
    assert.equal(layout.appOf('/w/a/shop/migrations/0001_initial.py'), 'shop');
    assert.equal(layout.appOf('/w/b/shop/migrations/0001_initial.py'), 'shop');
    assert.equal(layout.projectOf('/w/b/shop/migrations/0001_initial.py'), 'b');
    assert.equal(layout.appOf('/w/b/core/migrations/0001_initial.py'), null, 'replaced by migration-modules');
    assert.equal(layout.appOf('/w/b/core2/migrations/0001_initial.py'), 'core');
    const together = new ProjectLayout(graphCandidates(files.slice(0, 2), new Map(), exists), () => ({ kind: 'none' }));
    assert.equal(together.appOf('/w/a/shop/migrations/0001_initial.py'), null, 'one project: two folders claim shop');
  });
});

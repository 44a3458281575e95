/**
 * The Django version a project pins (config/django-pin.ts): read from its lock or requirements file
 * when `[tool.migration-guard]` sets none, for the CLI and the editor alike (review 26: courtlistener
 * runs Django 6.0, and the tool wrote a three-migration fix where `db_default` would do).
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DjangoPins, includedRequirements, isPinFile, pinnedIn, postgresImageIn, postgresServiceIn } from '../server/src/config/django-pin';
import { PyprojectCache } from '../server/src/config/pyproject';
import { runCli, TempDirs } from './helpers/cli';

const temps = new TempDirs();
after(() => temps.removeAll());

describe('the Django version a project pins', () => {
  it('reads uv.lock, poetry.lock, Pipfile.lock and == pins of requirements files, and nothing looser', () => {
    assert.deepEqual(pinnedIn('uv.lock', '[[package]]\nname = "dj-database-url"\nversion = "2.1.0"\n\n[[package]]\nname = "django"\nversion = "6.0.7"\n'), [6, 0]);
    assert.deepEqual(pinnedIn('poetry.lock', '[[package]]\nname = "Django"\nversion = "4.2.11"\ndescription = "…"\n'), [4, 2]);
    assert.deepEqual(pinnedIn('Pipfile.lock', '{"default": {"django": {"hashes": [], "index": "pypi", "version": "==3.2.25"}}}'), [3, 2]);
    assert.deepEqual(pinnedIn('requirements.txt', '# web\nDjango==5.1.4  # LTS soon\npsycopg[binary]==3.2\n'), [5, 1]);
    assert.deepEqual(pinnedIn('requirements.txt', 'django[argon2] == 5.2.1\n'), [5, 2]);
    assert.equal(pinnedIn('requirements.txt', 'Django>=4.2,<6\n'), null);
    // A range that admits one minor version is a pin of it (review 63: dissemin's `django>=2.2.0,<2.3.0`); a wider one is not.
    assert.deepEqual(pinnedIn('requirements.txt', 'celery[redis]\ndjango>=2.2.0,<2.3.0\ndjango-allauth\n'), [2, 2]);
    assert.deepEqual(pinnedIn('requirements.txt', 'Django >= 3.2, < 3.3  # LTS\n'), [3, 2]);
    assert.equal(pinnedIn('requirements.txt', 'Django>=3.2,<4.1\n'), null);
    assert.deepEqual(pinnedIn('requirements.txt', 'Django>=3.2.5,<3.3\n'), [3, 2]);
    assert.equal(pinnedIn('requirements.txt', 'Django>=3.2,<3.2.9\n'), null);
    assert.equal(pinnedIn('requirements.txt', 'Django<3.3\n'), null);
    // A compatible release of three parts stays within its minor version (review 29: pootle's `Django~=1.11.12`); of two it does not.
    assert.deepEqual(pinnedIn('requirements/base.txt', 'Django~=1.11.12  # LTS\n'), [1, 11]);
    assert.equal(pinnedIn('requirements.txt', 'Django~=4.2\n'), null);
    assert.equal(pinnedIn('requirements.txt', 'django-filter==24.2\n'), null);
    assert.equal(pinnedIn('uv.lock', '[[package]]\nname = "django-filter"\nversion = "24.2"\n'), null);
  });

  it("takes the nearest pin file above a migrations folder; a package's declared oldest Django wins over its lock", () => {
    const root = temps.make();
    mkdirSync(join(root, 'backend', 'shop', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'backend', 'poetry.lock'), '[[package]]\nname = "django"\nversion = "5.1.2"\n');
    writeFileSync(join(root, 'requirements.txt'), 'Django==3.2.1\n');
    const pins = new DjangoPins();
    assert.deepEqual(pins.forDirectory(join(root, 'backend', 'shop', 'migrations')), { version: [5, 1], from: join(root, 'backend', 'poetry.lock') });
    writeFileSync(join(root, 'backend', 'pyproject.toml'), '[project]\nname = "shop"\ndependencies = ["Django>=4.2,<6"]\n');
    const pin = new DjangoPins().forDirectory(join(root, 'backend', 'shop', 'migrations'));
    assert.deepEqual([...(pin?.version ?? [])], [4, 2]);
    assert.equal(pin?.from, join(root, 'backend', 'pyproject.toml'));
    // A django-version of [tool.migration-guard] wins over any pin.
    writeFileSync(join(root, 'backend', 'pyproject.toml'), '[project]\ndependencies = ["Django>=4.2"]\n\n[tool.migration-guard]\ndjango-version = "5.0"\n');
    const config = new PyprojectCache().configFor(join(root, 'backend', 'shop', 'migrations'), root);
    assert.deepEqual(config.settings.djangoVersion, [5, 0]);
    assert.equal(config.djangoFrom, undefined);
  });

  it("takes a package's declared oldest Django where nothing pins one (review 39: django-shop's setup.py, no lock file)", () => {
    const root = temps.make();
    mkdirSync(join(root, 'shop', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'setup.py'), "REQUIREMENTS = [\n    'Django>=2.1,<3.1',\n    'django-filter',\n]\nsetup(name='django-shop', install_requires=REQUIREMENTS)\n");
    const pin = new DjangoPins().forDirectory(join(root, 'shop', 'migrations'));
    assert.deepEqual([...(pin?.version ?? [])], [2, 1]);
    assert.equal(pin?.from, join(root, 'setup.py'));
    assert.ok(isPinFile(join(root, 'setup.py')) && isPinFile(join(root, 'setup.cfg')), 'a change to them re-reads the settings in the editor');
    // An application's [project] dependencies pin it exactly (review 70: bornhack's pyproject.toml).
    writeFileSync(join(root, 'setup.py'), '');
    writeFileSync(join(root, 'pyproject.toml'), '[project]\nname = "site"\ndependencies = [\n    "Django==5.2.16",\n    "django-allauth[mfa]==65.16.1",\n]\n');
    const pinned = new DjangoPins().forDirectory(join(root, 'shop', 'migrations'));
    assert.deepEqual([...(pinned?.version ?? [])], [5, 2]);
    assert.equal(pinned?.from, join(root, 'pyproject.toml'));
    rmSync(join(root, 'pyproject.toml'));
    // A range without a floor (`Django<4`), or none at all: nothing is taken.
    writeFileSync(join(root, 'setup.py'), "setup(name='x', install_requires=['Django<4'])\n");
    assert.equal(new DjangoPins().forDirectory(join(root, 'shop', 'migrations')), null);
    // The fixes follow it: no bulk_update() (Django 2.2) for a package that supports 2.1.
    writeFileSync(join(root, 'setup.py'), "setup(name='x', install_requires=['Django>=2.1'])\n");
    writeFileSync(join(root, 'shop', '__init__.py'), '');
    writeFileSync(join(root, 'shop', 'migrations', '__init__.py'), '');
    writeFileSync(
      join(root, 'shop', 'migrations', '0001_flags.py'),
      'from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    Item = apps.get_model("shop", "Item")\n    for item in Item.objects.all():\n        item.flag = item.name.upper()\n        item.save()\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n',
    );
    const run = runCli(['check', '.', '--no-cache'], root);
    assert.match(run.stdout, /No bulk rewrite is offered: it would use bulk_update\(\), which Django 2\.1 does not have \(it came in 2\.2\)/);
  });

  it('words the findings for the pinned Django in check, and says where the version comes from', () => {
    const root = temps.make();
    const dir = join(root, 'shop', 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'shop', '__init__.py'), '');
    writeFileSync(join(dir, '__init__.py'), '');
    writeFileSync(join(dir, '0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))])]\n');
    writeFileSync(join(dir, '0002_order_total.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.AddField("order", "total", models.IntegerField(default=0))]\n');
    const before = runCli(['check', '--no-cache', '--format', 'json', '.'], root);
    assert.match(before.stderr, /PostgreSQL 14 with Django 4\.2, the defaults/);
    assert.doesNotMatch(before.stdout, /db_default/);
    writeFileSync(join(root, 'uv.lock'), '[[package]]\nname = "django"\nversion = "6.0.2"\n');
    const pinned = runCli(['check', '--no-cache', '--format', 'json', '.'], root);
    assert.match(pinned.stderr, /PostgreSQL 14 \(the default\) with Django 6\.0 \(pinned in uv\.lock\)/);
    assert.match(pinned.stdout, /db_default/);
  });

  it("reads the PostgreSQL version of a Compose file's database image (review 28: codalab runs postgres:9.6.3)", () => {
    assert.equal(postgresImageIn('services:\n  db:\n    image: postgres:9.6.3\n  web:\n    image: python:3.8\n'), 9);
    assert.equal(postgresImageIn('services:\n  db:\n    image: "postgis/postgis:13-3.1"  # maps\n'), 13);
    assert.equal(postgresImageIn("services:\n  db:\n    image: 'bitnami/postgresql:15.4.0-debian-11-r0'\n  test-db:\n    image: postgres:16-alpine\n"), 15);
    assert.equal(postgresImageIn('services:\n  db:\n    image: registry.example.com:5000/library/postgres:12\n'), 12);
    // Pinned to a digest as well as a tag (review 77: job-server's `postgres:17@sha256:…  # v17 tag`).
    assert.equal(postgresImageIn(`services:\n  db:\n    image: postgres:17@sha256:${'a4'.repeat(32)} # v17 tag\n`), 17);
    // No version in the tag, another database, or only a word in a comment: nothing.
    assert.equal(postgresImageIn('services:\n  db:\n    image: postgres:latest\n  db2:\n    image: postgres:${PG_VERSION:-14}\n  cache:\n    image: postgres\n'), null);
    assert.equal(postgresImageIn('services:\n  db:\n    image: mysql:8.0\n    # image: postgres:14\n'), null);
    assert.equal(postgresImageIn('services:\n  db:\n    image: postgres-exporter:0.15\n'), null);

    const root = temps.make();
    mkdirSync(join(root, 'backend', 'shop', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:10\n');
    assert.deepEqual(new DjangoPins().postgresFor(join(root, 'backend', 'shop', 'migrations')), { version: 10, from: join(root, 'docker-compose.yml') });
    // The nearest Compose file answers, even when it runs no PostgreSQL.
    writeFileSync(join(root, 'backend', 'compose.yaml'), 'services:\n  cache:\n    image: redis:7\n');
    assert.equal(new DjangoPins().postgresFor(join(root, 'backend', 'shop', 'migrations')), null);
    // Settings win: a postgresql-version, or another database.
    writeFileSync(join(root, 'backend', 'compose.yaml'), 'services:\n  db:\n    image: postgres:11\n');
    assert.equal(new PyprojectCache().configFor(join(root, 'backend', 'shop', 'migrations'), root).settings.postgresqlVersion, 11);
    writeFileSync(join(root, 'backend', 'pyproject.toml'), '[tool.migration-guard]\npostgresql-version = 16\n');
    assert.equal(new PyprojectCache().configFor(join(root, 'backend', 'shop', 'migrations'), root).settings.postgresqlVersion, 16);
    writeFileSync(join(root, 'backend', 'pyproject.toml'), '[tool.migration-guard]\ndatabase = "mysql"\n');
    assert.equal(new PyprojectCache().configFor(join(root, 'backend', 'shop', 'migrations'), root).settings.postgresqlVersion, undefined);
  });

  it("reads the PostgreSQL of a CI configuration's database service where no Compose file names one (review 75: EveryElection's CircleCI)", () => {
    assert.equal(postgresServiceIn('jobs:\n  build:\n    docker:\n      - image: cimg/python:3.12-browsers\n      - image: cimg/postgres:16.3-postgis\n'), 16);
    assert.equal(postgresServiceIn('jobs:\n  test:\n    services:\n      postgres:\n        image: library/postgres:15-alpine\n'), 15);
    assert.equal(postgresServiceIn('test:\n  services:\n    - postgres:13\n    - name: postgis/postgis:12-3.1\n      alias: db\n'), 12);
    assert.equal(postgresServiceIn(`jobs:\n  test:\n    services:\n      postgres:\n        image: postgres:17@sha256:${'a4'.repeat(32)} # v17\n`), 17);
    assert.equal(postgresServiceIn(`test:\n  services:\n    - postgres:16@sha256:${'0f'.repeat(32)}\n`), 16);
    // Travis CI's add-on (review 80: osis), quoted or not, wherever it sits among the add-ons.
    assert.equal(postgresServiceIn('language: python\nservices:\n  - rabbitmq\naddons:\n  postgresql: "9.6"\n  apt:\n    packages:\n    - postgresql-9.6-postgis-2.4\n'), 9);
    assert.equal(postgresServiceIn('addons:\n  apt:\n    packages: [gettext]\n\n  postgresql: 12  # CI\n'), 12);
    assert.equal(postgresServiceIn('addons:\n  apt:\n    packages: [gettext]\nenv:\n  postgresql: 12\n'), null);
    // A version from a matrix, or none, or another database: nothing.
    assert.equal(postgresServiceIn('services:\n  postgres:\n    image: postgres:${{ matrix.pg }}\n  redis:\n    image: redis:7\n'), null);
    assert.equal(postgresServiceIn('steps:\n  - run: pip install psycopg2\n  - postgres-client\n'), null);

    const root = temps.make();
    const migrations = join(root, 'shop', 'migrations');
    mkdirSync(migrations, { recursive: true });
    mkdirSync(join(root, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(root, '.github', 'workflows', 'lint.yml'), 'jobs:\n  lint:\n    runs-on: ubuntu-latest\n');
    writeFileSync(join(root, '.github', 'workflows', 'test.yml'), 'jobs:\n  test:\n    services:\n      db:\n        image: postgres:13\n');
    assert.deepEqual(new DjangoPins().postgresFor(migrations), { version: 13, from: join(root, '.github', 'workflows', 'test.yml') });
    // The lowest of the CI files found.
    mkdirSync(join(root, '.circleci'));
    writeFileSync(join(root, '.circleci', 'config.yml'), 'jobs:\n  build:\n    docker:\n      - image: cimg/postgres:12.9\n');
    assert.deepEqual(new DjangoPins().postgresFor(migrations), { version: 12, from: join(root, '.circleci', 'config.yml') });
    // A Compose file that names one comes first.
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:16\n');
    assert.deepEqual(new DjangoPins().postgresFor(migrations), { version: 16, from: join(root, 'docker-compose.yml') });
    // A change to them re-reads the settings in the editor.
    assert.ok(isPinFile(join(root, '.github', 'workflows', 'test.yml')) && isPinFile(join(root, '.circleci', 'config.yml')) && isPinFile(join(root, '.gitlab-ci.yml')) && isPinFile(join(root, '.travis.yml')));
    assert.ok(!isPinFile(join(root, '.github', 'dependabot.yml')) && !isPinFile(join(root, 'config.yml')));
  });

  it('words the findings for the PostgreSQL of the Compose file in check, and says where it comes from', () => {
    const root = temps.make();
    const dir = join(root, 'shop', 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '__init__.py'), '');
    writeFileSync(join(dir, '0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))])]\n');
    writeFileSync(join(dir, '0002_order_total.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.AddField("order", "total", models.IntegerField(default=0))]\n');
    const before = runCli(['check', '--no-cache', '.'], root);
    assert.doesNotMatch(before.stdout, /rewrites the whole table/);
    writeFileSync(join(root, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:9.6.3\n');
    const pinned = runCli(['check', '--no-cache', '.'], root);
    assert.match(pinned.stderr, /PostgreSQL 9 \(the image in docker-compose\.yml\) with Django 4\.2 \(the default\)/);
    assert.match(pinned.stdout, /on PostgreSQL 9, ADD COLUMN with a default rewrites the whole table/);
    // Named by Travis CI's add-on where no Compose file names one (review 80: osis).
    rmSync(join(root, 'docker-compose.yml'));
    writeFileSync(join(root, '.travis.yml'), 'language: python\naddons:\n  postgresql: "10"\n');
    assert.match(runCli(['check', '--no-cache', '.'], root).stderr, /PostgreSQL 10 \(the add-on in \.travis\.yml\) with Django 4\.2 \(the default\)/);
  });

  it('finds a pin in a folder the walk listed (split requirements too), above the folder checked, and from cached listings', () => {
    const root = temps.make();
    const dir = join(root, 'shop', 'migrations');
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(root, 'requirements'));
    writeFileSync(join(root, 'requirements', 'base.txt'), 'Django==5.1.3\n');
    writeFileSync(join(dir, '__init__.py'), '');
    writeFileSync(join(dir, '0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True))])]\n');
    writeFileSync(join(dir, '0002_order_total.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.AddField("order", "total", models.IntegerField(default=0))]\n');
    const said = /with Django 5\.1 \(pinned in requirements[/\\]base\.txt\)/;
    assert.match(runCli(['check', '--no-cache', '.'], root).stderr, said);
    assert.match(runCli(['check', '--no-cache', 'shop'], root).stderr, said);
    // Listings are kept only for folders not changed in the last moments: age them.
    const old = new Date(Date.now() - 3_600_000);
    for (const d of [root, join(root, 'requirements'), join(root, 'shop'), dir]) utimesSync(d, old, old);
    const cache = temps.make();
    assert.match(runCli(['check', '--cache-dir', cache, '.'], root).stderr, said);
    assert.match(runCli(['check', '--cache-dir', cache, '.'], root).stderr, said, 'the second run walks the listings the first one kept');
  });

  it('reads the other requirements files of a requirements folder, and its subfolders, when the usual names pin nothing (review 31: cla_backend)', () => {
    const root = temps.make();
    mkdirSync(join(root, 'requirements', 'source'), { recursive: true });
    mkdirSync(join(root, 'requirements', 'generated'), { recursive: true });
    writeFileSync(join(root, 'requirements', 'source', 'requirements-base.in'), 'Django==1.8.19\npsycopg2==2.7\n');
    writeFileSync(join(root, 'requirements', 'generated', 'requirements-docs.txt'), 'django==2.2.1\n');
    writeFileSync(join(root, 'requirements', 'generated', 'requirements-production.txt'), 'django==1.8.19 \\\n    --hash=sha256:00\n');
    const pin = new DjangoPins().forDirectory(join(root, 'requirements', '..'));
    assert.deepEqual(pin?.version, [1, 8]);
    assert.match(pin?.from ?? '', /requirements-production\.txt$/, 'a production file first');
    assert.equal(isPinFile('requirements/source/requirements-base.in'), true);
    assert.equal(isPinFile('docs/source/conf.txt'), false);
    // The usual names still come first.
    writeFileSync(join(root, 'requirements.txt'), 'Django==4.2.3\n');
    assert.deepEqual(new DjangoPins().forDirectory(root)?.version, [4, 2]);
  });

  it('offers no fix whose code the pinned Django cannot run: atomic = False before 1.10 (review 31: cla_backend on Django 1.8)', () => {
    const root = temps.make();
    const dir = join(root, 'shop', 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '__init__.py'), '');
    writeFileSync(join(dir, '0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name="Order", fields=[("id", models.AutoField(primary_key=True)), ("total", models.IntegerField())])]\n');
    writeFileSync(join(dir, '0002_order_total_idx.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.RunSQL("CREATE INDEX order_total_idx ON shop_order (total);", "DROP INDEX order_total_idx;")]\n');
    const run = (pin: string) => {
      writeFileSync(join(root, 'requirements.txt'), `Django==${pin}\n`);
      return runCli(['check', '--no-cache', '--unsafe-fixes', '--diff', '.'], root);
    };
    // On 1.11 the index is built CONCURRENTLY, in a migration outside a transaction.
    const later = run('1.11.29');
    assert.match(later.stdout, /\+\s+atomic = False/);
    const old = run('1.8.19');
    assert.doesNotMatch(old.stdout, /atomic = False/);
    const text = runCli(['check', '--no-cache', '.'], root);
    assert.match(text.stdout, /\[add-index-not-concurrent\][^\n]*Django 1\.8 runs every migration in a transaction \(atomic = False came in 1\.10\), where CONCURRENTLY fails: run the build with CONCURRENTLY outside migrate/);
    // Any rule's fix that needs atomic = False is left out, and the message says so (missing-atomic-false here).
    writeFileSync(join(dir, '0003_batched.py'), 'from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n    Order = apps.get_model("shop", "Order")\n    ids = list(Order.objects.values_list("pk", flat=True))\n    for start in range(0, len(ids), 500):\n        Order.objects.filter(pk__in=ids[start:start + 500]).update(total=0)\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_order_total_idx")]\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n');
    const batched = runCli(['check', '--no-cache', '.'], root);
    assert.match(batched.stdout, /\[missing-atomic-false\][^\n]*The fix "Set atomic = False on the migration" is not offered: it would use atomic = False \(a migration outside a transaction\), which Django 1\.8 does not have \(it came in 1\.10\)\./);
  });
  it("takes the pinned Django over the older one that wrote a migration (review 54: signals `0014`, written by 2.1, runs on its pinned 4.2)", () => {
    const root = temps.make();
    const dir = join(root, 'orders', 'migrations');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '__init__.py'), '');
    writeFileSync(join(dir, '0001_initial.py'), 'from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [\n        migrations.CreateModel(name="Status", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=20))]),\n        migrations.CreateModel(name="StatusText", fields=[("id", models.AutoField(primary_key=True)), ("status", models.ForeignKey("orders.Status", models.CASCADE)), ("language", models.CharField(max_length=5)), ("name", models.CharField(max_length=20))], options={"unique_together": {("status", "language")}}),\n    ]\n');
    writeFileSync(join(dir, '0002_status_names.py'), '# Generated by Django 2.2.4 on 2019-08-01 10:00\nfrom django.db import migrations\n\n\ndef copy_status_names(apps, schema_editor):\n    Status = apps.get_model("orders", "Status")\n    StatusText = apps.get_model("orders", "StatusText")\n    for status in Status.objects.all():\n        StatusText.objects.update_or_create(status=status, language="en", defaults={"name": status.name})\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("orders", "0001_initial")]\n    operations = [migrations.RunPython(copy_status_names, migrations.RunPython.noop)]\n');
    const fixes = () => runCli(['check', '--no-cache', '--unsafe-fixes', '--diff', '--select', 'unbatched-save-loop', '.'], root).stdout;
    // Nothing pinned: the file's own Django 2.2 has no update_conflicts, and the loop is committed in batches as written.
    const unpinned = fixes();
    assert.doesNotMatch(unpinned, /update_conflicts/);
    assert.match(unpinned, /with transaction\.atomic\(/);
    writeFileSync(join(root, 'requirements.txt'), 'Django==4.2.30\n');
    assert.match(fixes(), /\+\s+StatusText\.objects\.bulk_create\([^\n]*update_conflicts=True/);
    // A version set in pyproject.toml counts as the project's too.
    writeFileSync(join(root, 'requirements.txt'), '');
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\ndjango-version = "5.0"\n');
    assert.match(fixes(), /update_conflicts=True/);
  });
  it("follows the files a requirements file includes with -r or -c (review 54: muckrock's requirements.txt is `-r pip/requirements.txt`)", () => {
    assert.deepEqual(includedRequirements('/p/requirements.txt', '-r pip/requirements.txt\n--requirement=base.in  # shared\n-c constraints.txt\n-rdev.txt\nDjango>=4.2\n'), ['/p/pip/requirements.txt', '/p/base.in', '/p/constraints.txt', '/p/dev.txt']);
    assert.deepEqual(includedRequirements('/p/uv.lock', '-r other.txt\n'), []);
    const root = temps.make();
    mkdirSync(join(root, 'pip'), { recursive: true });
    mkdirSync(join(root, 'app', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'requirements.txt'), '\n-r pip/requirements.txt\n');
    writeFileSync(join(root, 'pip', 'requirements.txt'), '# via -r pip/requirements.in\n-r ../requirements.txt\ncelery==5.4.0\ndjango==5.2.15\n');
    assert.deepEqual(new DjangoPins().forDirectory(join(root, 'app', 'migrations')), { version: [5, 2], from: join(root, 'pip', 'requirements.txt') });
    // An include that leads back, or nowhere, pins nothing and ends the search there.
    writeFileSync(join(root, 'pip', 'requirements.txt'), '-r ../requirements.txt\n-r missing.txt\n');
    assert.equal(new DjangoPins().forDirectory(join(root, 'app', 'migrations'), root), null);
  });
  it("reads the requirements files the project's Dockerfile installs from, where the usual places pin nothing (review 79: kpi's dependencies/pip/requirements.txt)", () => {
    const root = temps.make();
    mkdirSync(join(root, 'dependencies', 'pip'), { recursive: true });
    mkdirSync(join(root, 'kobo', 'apps', 'hook', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'pyproject.toml'), '[tool.ruff]\nline-length = 80\n');
    writeFileSync(join(root, 'dependencies', 'pip', 'dev_requirements.txt'), 'django==4.1.0\n');
    writeFileSync(join(root, 'dependencies', 'pip', 'requirements.txt'), '# via -r dependencies/pip/requirements.in\ndjango==5.2.14\n');
    const migrations = join(root, 'kobo', 'apps', 'hook', 'migrations');
    assert.equal(new DjangoPins().forDirectory(migrations, root), null, 'no Dockerfile: nothing names those files');
    // Paths inside the image (`/srv/requirements.txt`) and made of variables are not the project's files; a dev file comes last.
    writeFileSync(join(root, 'Dockerfile'), 'FROM python:3.12\nCOPY ./dependencies/pip/dev_requirements.txt /srv/requirements.txt\nCOPY ./dependencies/pip/requirements.txt "${TMP_DIR}/pip_dependencies.txt"\nRUN pip install -r /srv/requirements.txt\n');
    assert.deepEqual(new DjangoPins().forDirectory(migrations, root), { version: [5, 2], from: join(root, 'dependencies', 'pip', 'requirements.txt') });
    assert.equal(isPinFile('Dockerfile'), true);
    // Pinned where the usual names are, those win.
    writeFileSync(join(root, 'requirements.txt'), 'Django==4.2.3\n');
    assert.deepEqual(new DjangoPins().forDirectory(migrations, root)?.version, [4, 2]);
  });
});

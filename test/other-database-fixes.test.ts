/**
 * With no `database` set, the rules assume PostgreSQL. When the project's own Django settings name
 * another database (SQLite for its tests, MySQL as a default), its migrations run there too, and a
 * fix that writes PostgreSQL's SQL would stop them (review 52: oioioi's test suite migrates on
 * SQLite, Nitrate defaults to MySQL): such fixes are withheld, saying why and how to have them, and
 * setting `database` brings them back.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs, writeFileIn } from './helpers/cli';

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Ticket", fields=[("id", models.AutoField(primary_key=True)), ("code", models.CharField(max_length=20)), ("old", models.IntegerField(null=True))]),
    ]
`;

const SECOND = `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]
    operations = [
        migrations.AddIndex(model_name="ticket", index=models.Index(fields=["code"], name="ticket_code_idx")),
    ]
`;

const SQLITE_SETTINGS = `import os

DATABASES = {
    "default": {
        "ENGINE": os.environ.get("DESK_DB_ENGINE", "django.db.backends.sqlite3"),
        "NAME": "desk.db",
    }
}
`;

const POSTGRES_SETTINGS = `# DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "desk.db"}}
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "desk"}}
`;

const temps = new TempDirs();
after(() => temps.removeAll());

function project(settings: string, pyproject?: string): string {
  const root = temps.make('mg-other-db-');
  writeFileIn(join(root, 'desk/__init__.py'), '');
  writeFileIn(join(root, 'desk/migrations/__init__.py'), '');
  writeFileIn(join(root, 'desk/migrations/0001_initial.py'), INITIAL);
  writeFileIn(join(root, 'desk/migrations/0002_code_index.py'), SECOND);
  writeFileIn(join(root, 'deskproject/settings/__init__.py'), '');
  writeFileIn(join(root, 'deskproject/settings/test.py'), settings);
  if (pyproject) writeFileIn(join(root, 'pyproject.toml'), pyproject);
  return root;
}

const index = (root: string) => jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root)).find((f) => f.rule === 'add-index-not-concurrent');

describe('fixes when the project\'s settings name another database', () => {
  it('withholds the index fix (PostgreSQL only) and says why, in the finding and in the note', () => {
    const root = project(SQLITE_SETTINGS);
    assert.match(index(root)?.message ?? '', /\(PostgreSQL assumed; the project's settings also name SQLite \(test\.py\), where its migrations run too: no fix writing PostgreSQL's SQL is offered\./);
    const diff = runCli(['check', '--no-cache', '--unsafe-fixes', '--diff', '.'], root);
    assert.doesNotMatch(diff.stdout, /AddIndexConcurrently|CONCURRENTLY/, diff.stdout);
    const note = runCli(['check', '--no-cache', '.'], root).stderr;
    assert.match(note, /The project's Django settings also name SQLite \(deskproject\/settings\/test\.py\): its migrations run there too/);
  });

  it("does not read the settings of another repository beside the one checked (review 81: obico checked from a folder that also held junction)", () => {
    const parent = temps.make('mg-other-db-');
    const desk = project(POSTGRES_SETTINGS);
    const [a, b] = [join(parent, 'desk-repo'), join(parent, 'other-repo')];
    renameSync(desk, a);
    // A project whose settings package sits at its root (junction's settings/test_settings.py).
    writeFileIn(join(b, 'settings/__init__.py'), '');
    writeFileIn(join(b, 'settings/test_settings.py'), SQLITE_SETTINGS);
    writeFileIn(join(a, '.git/HEAD'), 'ref: refs/heads/main\n');
    writeFileIn(join(b, '.git/HEAD'), 'ref: refs/heads/main\n');
    // The migrations of desk-repo sit in desk-repo/desk/migrations: the walk up reaches desk-repo, a repository's root, and stops there.
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', 'desk-repo'], parent)).find((f) => f.rule === 'add-index-not-concurrent');
    assert.ok(found, 'the index finding stays');
    assert.doesNotMatch(found.message, /also name/);
    assert.doesNotMatch(runCli(['check', '--no-cache', 'desk-repo'], parent).stderr, /other-repo/);
    // Without the repository's root, the folder checked from is the project: both are looked at, as before.
    rmSync(join(a, '.git'), { recursive: true });
    assert.match(runCli(['check', '--no-cache', 'desk-repo'], parent).stderr, /also name SQLite \(other-repo\/settings\/test_settings\.py\)/);
  });

  it("reads the DATABASE_URL a Compose file gives the app, unless it runs PostgreSQL (review 81: obico's self-hosted default is SQLite)", () => {
    const urlOnly = 'import dj_database_url\n\nDATABASES = {"default": dj_database_url.config()}\n';
    const root = project(urlOnly);
    writeFileIn(join(root, '.git/HEAD'), 'ref: refs/heads/main\n');
    writeFileIn(join(root, 'docker-compose.yml'), "services:\n  web:\n    build: .\n    environment:\n      DATABASE_URL: '${DATABASE_URL-sqlite:////app/db.sqlite3}'\n");
    assert.match(index(root)?.message ?? '', /\(PostgreSQL assumed; the project's Compose file gives the app SQLite \(docker-compose\.yml\), where its migrations run too: no fix writing PostgreSQL's SQL is offered\./);
    const run = runCli(['check', '--no-cache', '.'], root);
    assert.match(run.stderr, /The project's Compose file gives the app SQLite \(docker-compose\.yml\): its migrations run there too/);
    assert.doesNotMatch(runCli(['check', '--no-cache', '--unsafe-fixes', '--diff', '.'], root).stdout, /CONCURRENTLY|AddIndexConcurrently/);
    // A Compose file that runs PostgreSQL beside it: the SQLite URL is a developer's fallback.
    const withPostgres = project(urlOnly);
    writeFileIn(join(withPostgres, 'docker-compose.yml'), "services:\n  db:\n    image: postgres:16\n  web:\n    environment:\n      DATABASE_URL: '${DATABASE_URL-sqlite:////app/db.sqlite3}'\n");
    assert.doesNotMatch(index(withPostgres)?.message ?? '', /PostgreSQL assumed/);
  });

  it('reads a database URL given as a default, in a config package (review 53: coldfront config/database.py)', () => {
    const root = project('');
    writeFileIn(join(root, 'deskproject/config/__init__.py'), '');
    writeFileIn(join(root, 'deskproject/config/database.py'), 'import environ\n\nENV = environ.Env()\nDATABASES = {"default": ENV.db_url(var="DB_URL", default="sqlite:///desk.db")}\n');
    assert.match(index(root)?.message ?? '', /the project's settings also name SQLite \(database\.py\)/);
  });

  it("takes no URL given only as an environment variable's fallback where the Compose file or CI runs PostgreSQL (review 79: pontoon's MySQL default; review 77: job-server's SQLite one)", () => {
    const fallback = 'import dj_database_url\n\nDATABASES = {"default": dj_database_url.config(default="mysql://root@localhost/desk")}\n';
    const alone = project(fallback.replace('mysql://root@localhost/desk', 'sqlite:///desk.db'));
    assert.match(index(alone)?.message ?? '', /the project's settings also name SQLite \(test\.py\)/, 'no PostgreSQL run anywhere: the default may be where it runs');
    const compose = project(fallback);
    writeFileIn(join(compose, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:15\n  web:\n    build: .\n');
    const found = index(compose);
    assert.ok(found, 'the index finding stays');
    assert.doesNotMatch(found.message, /also name/);
    assert.match(runCli(['check', '--no-cache', '--unsafe-fixes', '--diff', '.'], compose).stdout, /CONCURRENTLY|AddIndexConcurrently/);
    const ci = project(fallback.replace('mysql://root@localhost/desk', 'sqlite:///desk.db'));
    writeFileIn(join(ci, '.github/workflows/test.yml'), 'jobs:\n  test:\n    runs-on: ubuntu-latest\n    services:\n      postgres:\n        image: postgres:16\n    steps:\n      - run: pytest\n');
    assert.doesNotMatch(index(ci)?.message ?? '', /also name/);
    // An engine spelled out is a database the project configures, Compose or not.
    const spelled = project(SQLITE_SETTINGS);
    writeFileIn(join(spelled, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:15\n');
    assert.match(index(spelled)?.message ?? '', /the project's settings also name SQLite \(test\.py\)/);
  });

  it("reads an engine built from a name where the file spells another backend's name (review 54: oncall's settings/base.py)", () => {
    const built = `import os


class DatabaseTypes:
    MYSQL = "mysql"
    POSTGRESQL = "postgresql"


DATABASE_TYPE = os.getenv("DATABASE_TYPE", DatabaseTypes.MYSQL).lower()
DATABASES = {"default": {"ENGINE": f"django.db.backends.{DATABASE_TYPE}", "NAME": os.getenv("DATABASE_NAME")}}
`;
    assert.match(index(project(built))?.message ?? '', /the project's settings also name MySQL \(test\.py\)/);
    // Built from a name, but no other backend spelled in the file: nothing is said.
    assert.doesNotMatch(index(project(built.replace('MYSQL = "mysql"', 'MYSQL = "postgresql"')))?.message ?? '', /PostgreSQL assumed/);
  });

  it('judges a project whose settings name MySQL and never PostgreSQL as running on MySQL (review 55: enterprise-catalog, license-manager)', () => {
    const mysql = `DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "desk", "OPTIONS": {"connect_timeout": 10}}}\n`;
    const root = project(mysql);
    // MySQL builds the index without blocking writes: add-index-not-concurrent has nothing to say there.
    assert.equal(index(root), undefined);
    const note = runCli(['check', '--no-cache', '.'], root).stderr;
    assert.doesNotMatch(note, /PostgreSQL 14/);
    // PostgreSQL named in another settings file, or a Compose file's postgres image: PostgreSQL stays assumed, MySQL's fixes withheld.
    const both = project(mysql);
    writeFileIn(join(both, 'deskproject/settings/production.py'), 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "desk"}}\n');
    assert.match(index(both)?.message ?? '', /PostgreSQL assumed; the project's settings also name MySQL/);
    const composed = project(mysql);
    writeFileIn(join(composed, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:15\n');
    assert.match(index(composed)?.message ?? '', /PostgreSQL assumed; the project's settings also name MySQL/);
    // A PostgreSQL driver in the pinned requirements says so too.
    const driven = project(mysql);
    writeFileIn(join(driven, 'requirements.txt'), 'Django==4.2.11\npsycopg2-binary==2.9.9\n');
    assert.match(index(driven)?.message ?? '', /PostgreSQL assumed/);
  });

  it('says in the note that MySQL was read from the settings', () => {
    const root = project(`DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "desk"}}\n`);
    writeFileIn(join(root, 'desk/migrations/0003_code_not_null.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("desk", "0002_code_index")]
    operations = [migrations.AlterField(model_name="ticket", name="old", field=models.IntegerField(default=0))]
`);
    const run = runCli(['check', '--no-cache', '.'], root);
    assert.match(run.stdout, /\[alter-field-not-null\][^\n]*MySQL/);
    assert.match(run.stderr, /assumes? the project deploys to MySQL, the only database the project's Django settings name \(deskproject\/settings\/test\.py; neither they, a Compose file nor the pinned requirements name PostgreSQL\)/);
  });

  it('takes MySQL from pinned requirements that install its driver and no PostgreSQL one (review 81: mozillians pins mysqlclient, its settings read a DATABASE_URL)', () => {
    const urlOnly = 'import dj_database_url\n\nDATABASES = {"default": dj_database_url.config()}\n';
    const mysql = project(urlOnly);
    writeFileIn(join(mysql, 'requirements.txt'), 'Django==1.11.29 \\\n    --hash=sha256:00\nmysqlclient==1.4.4 \\\n    --hash=sha256:00\n');
    writeFileIn(join(mysql, 'desk/migrations/0003_code_not_null.py'), `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("desk", "0002_code_index")]
    operations = [migrations.AlterField(model_name="ticket", name="old", field=models.IntegerField(default=0))]
`);
    const run = runCli(['check', '--no-cache', '.'], mysql);
    assert.match(run.stdout, /\[alter-field-not-null\][^\n]*MySQL rebuilds the table/);
    assert.doesNotMatch(run.stdout, /add-index-not-concurrent/, 'MySQL builds the index online: no finding');
    assert.match(run.stderr, /assumes? the project deploys to MySQL, whose driver the pinned requirements install \(requirements\.txt; no PostgreSQL driver there, nor a PostgreSQL in a Compose file or CI\), with Django 1\.11/);
    // Not where a PostgreSQL driver is pinned beside it, a Compose file runs PostgreSQL, or the driver's line is commented out.
    const both = project(urlOnly);
    writeFileIn(join(both, 'requirements.txt'), 'Django==4.2.11\nmysqlclient==2.2.4\npsycopg2==2.9.9\n');
    assert.match(runCli(['check', '--no-cache', '.'], both).stderr, /deploys to PostgreSQL 14/);
    const composed = project(urlOnly);
    writeFileIn(join(composed, 'requirements.txt'), 'Django==4.2.11\nmysqlclient==2.2.4\n');
    writeFileIn(join(composed, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:15\n');
    assert.match(runCli(['check', '--no-cache', '.'], composed).stderr, /deploys to PostgreSQL 15/);
    const commented = project(urlOnly);
    writeFileIn(join(commented, 'requirements.txt'), 'Django==4.2.11\n# mysqlclient==2.2.4\n');
    assert.match(runCli(['check', '--no-cache', '.'], commented).stderr, /deploys to PostgreSQL 14/);
  });

  it('offers it once the project says it runs on PostgreSQL, or when the other engine is only in a comment', () => {
    for (const root of [project(SQLITE_SETTINGS, '[tool.migration-guard]\ndatabase = "postgresql"\n'), project(POSTGRES_SETTINGS)]) {
      assert.doesNotMatch(index(root)?.message ?? '', /PostgreSQL assumed/);
      const diff = runCli(['check', '--no-cache', '--unsafe-fixes', '--diff', '.'], root);
      assert.match(diff.stdout, /AddIndexConcurrently|CONCURRENTLY/, diff.stdout + diff.stderr);
    }
  });
});

/**
 * Truth test of the SQL preview: for every migration of test/fixtures/sql-preview/shop (every
 * operation shape the preview writes; a second app with foreign keys into the first), real Django 3.2 (Debian's python3-django) prints
 * `sqlmigrate` against a throwaway PostgreSQL cluster holding the migrations before it (Django
 * reads existing constraint names from the database), and each operation's SQL must equal ours,
 * whitespace-normalised — the deferred statements after the last operation, as Django runs them.
 * Without /usr/bin/python3 + Django or PostgreSQL the test is skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipReason } from './helpers/skip';
import { PythonParser } from '../server/src/analysis/parser';
import { previewFile } from '../server/src/analysis/sql-preview/from-view';
import type { MigrationPreview } from '../server/src/analysis/sql-preview/preview';
import type { TargetDatabase } from '../server/src/analysis/target-database';
import { loadProject, POSTGRES_NAMES } from '../server/src/workspace/project-loader';
import { djangoProject, manage, missingDjangoPostgres, type DjangoProject } from './helpers/django';
import { FIXTURES, GRAMMAR_PATHS } from './helpers/paths';
import { startPostgres, type PgCluster } from './helpers/postgres';

const ROOT = join(FIXTURES, 'sql-preview', 'shop');
/** The fixture's apps in an order Django can migrate them (billing's foreign keys point into shop). */
const APPS = ['shop', 'billing'];
/** Debian's Django is 3.2: the preview is asked for that version. */
const DJANGO_32: TargetDatabase = { vendor: 'postgresql', postgresqlVersion: 15, djangoVersion: [3, 2] };

const normalise = (s: string): string => s.replace(/\s+/g, ' ').trim();

interface Printed {
  transaction: boolean;
  /** The statements under each operation's header, in order. */
  chunks: string[];
}

/** sqlmigrate's output cut at its `--` / `-- description` / `--` headers. */
function parseSqlmigrate(out: string): Printed {
  const lines = out.split('\n');
  const transaction = lines.some((l) => l.trim() === 'BEGIN;');
  const chunks: string[] = [];
  let current: string[] | null = null;
  let inHeader = false;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (line === 'BEGIN;' || line === 'COMMIT;') continue;
    if (line.startsWith('--')) {
      if (!inHeader && line === '--') {
        inHeader = true;
        if (current) chunks.push(normalise(current.join('\n')));
        current = [];
      } else if (inHeader && line === '--') {
        inHeader = false;
      }
      continue;
    }
    current?.push(line);
  }
  if (current) chunks.push(normalise(current.join('\n')));
  return { transaction, chunks };
}

/** Our SQL per top-level operation (its database_operations included); the deferred after the last. */
function ourChunks(preview: MigrationPreview): string[] {
  const top = preview.operations.filter((op) => op.container === null);
  return top.map((op, i) => {
    const inner = preview.operations.filter((o) => o.container === op.index);
    const sql = [...op.statements, ...inner.flatMap((o) => o.statements)].map((s) => s.sql);
    if (i === top.length - 1) sql.push(...preview.deferred.map((s) => s.sql));
    return normalise(sql.join('\n'));
  });
}

describe('SQL preview equals Django sqlmigrate on PostgreSQL', () => {
  const reason = skipReason(missingDjangoPostgres());
  if (reason) {
    it('is skipped', (t) => {
      console.log(`SKIPPED sql-preview truth test: ${reason}`);
      t.skip(reason);
    });
    return;
  }
  const files = APPS.flatMap((app) =>
    readdirSync(join(ROOT, app, 'migrations'))
      .filter((f) => /^\d{4}_.*\.py$/.test(f))
      .sort()
      .map((f) => `${app}/migrations/${f}`),
  );
  let cluster: PgCluster;
  let project: DjangoProject;
  const printed = new Map<string, Printed>();
  const previews = new Map<string, MigrationPreview>();

  before(async () => {
    cluster = await startPostgres();
    const name = cluster.createDatabase();
    project = djangoProject(ROOT, { apps: APPS, database: { engine: 'postgres', cluster, name } });
    for (const f of files) {
      const [app = '', , base = ''] = f.split('/');
      const migration = base.replace(/\.py$/, '');
      printed.set(f, parseSqlmigrate(manage(project, ['sqlmigrate', app, migration]).stdout));
      // The next migration's sqlmigrate reads constraint names from a database that has this one.
      manage(project, ['migrate', app, migration]);
    }
    const parser = await PythonParser.create(GRAMMAR_PATHS);
    try {
      const loaded = await loadProject(ROOT, parser, { authUserModel: 'auth.User', migrationModules: {} });
      for (const f of files) {
        const p = previewFile(loaded.view, join(ROOT, f), DJANGO_32, POSTGRES_NAMES);
        assert.ok(p, `${f} is not in the project view`);
        previews.set(f, p);
      }
    } finally {
      parser.dispose();
    }
  });

  after(() => {
    project?.dispose();
    cluster?.stop();
  });

  it('covers every shape the fixture was written for', () => {
    assert.ok(files.length >= 12, `expected the fixture's migrations, found ${files.join(', ')}`);
    const names = new Set([...previews.values()].flatMap((p) => p.operations.map((o) => o.name)));
    for (const shape of [
      'CreateModel',
      'DeleteModel',
      'RenameModel',
      'AlterModelTable',
      'AddField',
      'RemoveField',
      'AlterField',
      'RenameField',
      'AddIndex',
      'RemoveIndex',
      'AddConstraint',
      'RemoveConstraint',
      'AlterUniqueTogether',
      'AddIndexConcurrently',
      'RemoveIndexConcurrently',
      'RunSQL',
      'RunPython',
      'SeparateDatabaseAndState',
    ]) {
      assert.ok(names.has(shape), `no ${shape} in the fixture`);
    }
  });

  for (const f of files) {
    it(`${f}: every operation's SQL and the transaction`, () => {
      const django = printed.get(f);
      const ours = previews.get(f);
      assert.ok(django && ours);
      for (const op of ours.operations) assert.equal(op.cannotPreview, null, `${f} ${op.label}: ${op.cannotPreview}`);
      assert.equal(ours.atomic === true, django.transaction, `${f}: BEGIN/COMMIT`);
      const mine = ourChunks(ours);
      assert.equal(mine.length, django.chunks.length, `${f}: number of operations`);
      mine.forEach((sql, i) => assert.equal(sql, django.chunks[i], `${f}, operation ${i + 1}`));
    });
  }
});

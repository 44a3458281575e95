/**
 * Truth test of what the schema-hazard rules say about locks, on a real PostgreSQL with real
 * Django: for each rule, its bad operation (test/fixtures/blocking/stock, one migration per case on
 * tables of 50,000 rows) is applied by Django 3.2's `migrate` (Debian's python3-django) while other
 * sessions watch it (test/django/blocking_probe.py observes, this file asserts):
 *
 * - the lock it holds on the table, read from pg_locks for the migration's backend, must be the
 *   strongest lock of the statements our SQL preview shows for it (the lock table, as the hover and
 *   `migration-guard explain` print it — the expectation is never written here);
 * - a concurrent read and a concurrent write must wait for a lock exactly when that lock table row
 *   says the lock blocks them (an ungranted request in pg_locks, or PostgreSQL's lock-timeout error);
 * - the table's file node must change exactly when a statement says "rewrite", and its sequential
 *   scan count (pg_stat) grow exactly when a statement says "scan" or "rewrite";
 * - what the rule's docs say the previous release breaks on (an INSERT without the new column, a
 *   SELECT of the old name) must fail after the migration — and keep working after the counterpart;
 * - the rule must fire on the bad migration and stay silent on its counterpart.
 *
 * Determinism on a loaded machine (no sleep that hopes): the migration is held still while it holds
 * its locks. An atomic migration's process waits, after Django ran every statement of it (the
 * deferred ones too) and before its transaction commits, for an advisory lock the probe holds (a
 * wrapper around the schema editor's transaction: Django's own code runs unchanged) — so every lock
 * the migration took is held for as long as the test wants. (django_migrations cannot serve: Django
 * 3.2 records a migration with deferred statements after its commit.) For atomic = False migrations
 * (CREATE / DROP INDEX CONCURRENTLY), a third session keeps a REPEATABLE READ transaction open,
 * which they wait for while holding their table lock. The probes run only once the migration's
 * backend is seen waiting at that point, and a blocked probe stays blocked until released: each
 * observation has one possible outcome, however slow the machine. The one timed claim — a nullable
 * AddField's lock is brief — is a write loop over an unheld migrate whose writes must never wait
 * 0.5 s. The cases run in order on one database (each migration applies on top of the previous
 * ones; every case's table is watched by its own oid).
 * Without /usr/bin/python3 + Django or PostgreSQL the test is skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipReason } from './helpers/skip';
import { lockFact, POSTGRESQL_KINDS, type Blocks, type LockFact } from '../server/src/analysis/locks/lock-table';
import { PythonParser } from '../server/src/analysis/parser';
import { RULES } from '../server/src/analysis/rules';
import { previewFile } from '../server/src/analysis/sql-preview/from-view';
import type { MigrationPreview } from '../server/src/analysis/sql-preview/preview';
import type { TargetDatabase } from '../server/src/analysis/target-database';
import { loadProject, POSTGRES_NAMES } from '../server/src/workspace/project-loader';
import { djangoProject, manage, missingDjangoPostgres, runScript, type DjangoProject } from './helpers/django';
import { lintProject } from './helpers/lint';
import { FIXTURES, GRAMMAR_PATHS } from './helpers/paths';
import { strongestMode } from './helpers/pg-locks';
import { startPostgres, type PgCluster } from './helpers/postgres';

const ROOT = join(FIXTURES, 'blocking');
const APP = 'stock';
const ROWS = 50_000;

const LOAD = `
INSERT INTO stock_owner (name) SELECT 'owner ' || g FROM generate_series(1, 100) g;
INSERT INTO stock_item (code, qty, note, label, sku) SELECT 'c' || g % 1000, g, 'note ' || g, 'label ' || g, 's' || g FROM generate_series(1, ${ROWS}) g;
INSERT INTO stock_tag (name) SELECT 'tag ' || g FROM generate_series(1, ${ROWS}) g;
INSERT INTO stock_memo (body) SELECT 'memo ' || g FROM generate_series(1, ${ROWS}) g;
ANALYZE;
`;

/** What the previous release runs (it knows the model as it was before the migration). */
interface OldCode {
  name: string;
  sql: string;
  /** The SQLSTATE it must fail with after the migration; null: it must still work. */
  fails: string | null;
}

interface Case {
  migration: string;
  rule: string;
  /** A bad migration the rule is about, or its counterpart the rule leaves alone. */
  kind: 'bad' | 'good';
  table: string;
  /** The table a foreign key references: its lock is the one a statement's note names. */
  referenced?: string;
  hold: 'commit' | 'snapshot' | 'none';
  oldCode?: OldCode[];
}

const OLD_INSERT = "INSERT INTO stock_item (code, qty, note, label, sku) VALUES ('x', 1, 'n', 'l', 's')";
const CASES: Case[] = [
  { migration: '0002_item_colour', rule: 'add-field-not-null', kind: 'bad', table: 'stock_item', hold: 'commit', oldCode: [{ name: 'INSERT without the new column', sql: OLD_INSERT, fails: '23502' }] },
  {
    migration: '0003_item_size',
    rule: 'add-field-not-null',
    kind: 'good',
    table: 'stock_item',
    hold: 'none',
    oldCode: [{ name: 'INSERT without the new column', sql: "INSERT INTO stock_item (code, qty, note, label, sku, colour) VALUES ('x', 1, 'n', 'l', 's', 'red')", fails: null }],
  },
  { migration: '0004_item_note_not_null', rule: 'alter-field-not-null', kind: 'bad', table: 'stock_item', hold: 'commit' },
  { migration: '0005_item_qty_bigint', rule: 'alter-field-type', kind: 'bad', table: 'stock_item', hold: 'commit' },
  { migration: '0006_item_code_wider', rule: 'alter-field-type', kind: 'good', table: 'stock_item', hold: 'commit' },
  { migration: '0007_item_qty_index', rule: 'add-index-not-concurrent', kind: 'bad', table: 'stock_item', hold: 'commit' },
  { migration: '0008_item_note_index_concurrently', rule: 'add-index-not-concurrent', kind: 'good', table: 'stock_item', hold: 'snapshot' },
  { migration: '0009_remove_sku_index', rule: 'remove-index-not-concurrent', kind: 'bad', table: 'stock_item', hold: 'commit' },
  { migration: '0010_remove_code_index_concurrently', rule: 'remove-index-not-concurrent', kind: 'good', table: 'stock_item', hold: 'snapshot' },
  { migration: '0011_item_qty_check', rule: 'add-constraint-validates', kind: 'bad', table: 'stock_item', hold: 'commit' },
  { migration: '0012_item_owner', rule: 'add-constraint-validates', kind: 'good', table: 'stock_item', referenced: 'stock_owner', hold: 'commit' },
  { migration: '0013_item_check_not_valid', rule: 'add-constraint-validates', kind: 'good', table: 'stock_item', hold: 'none' },
  { migration: '0014_item_check_validate', rule: 'add-constraint-validates', kind: 'good', table: 'stock_item', hold: 'commit' },
  { migration: '0015_remove_item_label', rule: 'drop-column', kind: 'bad', table: 'stock_item', hold: 'commit', oldCode: [{ name: 'SELECT of the column', sql: 'SELECT label FROM stock_item WHERE id = 1', fails: '42703' }] },
  { migration: '0016_rename_item_sku', rule: 'rename-column', kind: 'bad', table: 'stock_item', hold: 'commit', oldCode: [{ name: 'SELECT of the old name', sql: 'SELECT sku FROM stock_item WHERE id = 1', fails: '42703' }] },
  { migration: '0017_rename_tag', rule: 'rename-table', kind: 'bad', table: 'stock_tag', hold: 'commit', oldCode: [{ name: 'SELECT from the old name', sql: 'SELECT name FROM stock_tag WHERE id = 1', fails: '42P01' }] },
  { migration: '0018_delete_memo', rule: 'drop-table', kind: 'bad', table: 'stock_memo', hold: 'commit', oldCode: [{ name: 'SELECT from the table', sql: 'SELECT body FROM stock_memo WHERE id = 1', fails: '42P01' }] },
  { migration: '0019_item_ref_unique', rule: 'add-index-not-concurrent', kind: 'bad', table: 'stock_item', hold: 'commit' },
  { migration: '0020_item_maker', rule: 'add-constraint-validates', kind: 'good', table: 'stock_item', referenced: 'stock_owner', hold: 'commit' },
  // What add-field-not-null's "Add in steps" and alter-field-not-null's fix write after the nullable
  // AddField (0003): the batched backfill, then NOT NULL by a validated CHECK, each outside one long
  // transaction. Concurrent writes never wait 0.5 s.
  { migration: '0021_backfill_item_size', rule: 'add-field-not-null', kind: 'good', table: 'stock_item', hold: 'none' },
  { migration: '0022_item_size_not_null', rule: 'alter-field-not-null', kind: 'good', table: 'stock_item', hold: 'none' },
];

const readProbe = (table: string): string => `SELECT id FROM ${table} WHERE id = 1`;
const writeProbe = (table: string): string => `UPDATE ${table} SET id = id WHERE id = 1`;

interface ProbeResult {
  outcome: 'ok' | 'lock_timeout' | 'cancelled' | 'error';
  sqlstate: string | null;
  error: string | null;
  ms: number;
  blocked: boolean;
  waited_for: Array<{ locktype: string; table: string; mode: string }>;
}

interface TableStats {
  filenode: number | null;
  scans: number;
}

interface Report {
  held: boolean;
  waiting_at?: string;
  locks: Record<string, string[]>;
  during: Record<string, ProbeResult>;
  after: Record<string, ProbeResult>;
  before: Record<string, TableStats>;
  after_stats: Record<string, TableStats>;
  hammer?: { writes: number; failures: string[]; max_ms: number };
  migrate: { code: number; stdout: string; stderr: string };
}

/** What other sessions cannot do under a lock mode, as every lock-table row with that mode says it. */
function blocksOf(mode: string, target: TargetDatabase): Blocks {
  const answers = new Set(
    POSTGRESQL_KINDS.map((k) => lockFact(k, target))
      .filter((f) => f.lock === mode && f.kind !== 'create-table' && f.kind !== 'enum-add-value')
      .map((f) => f.blocks),
  );
  assert.equal(answers.size, 1, `the lock table gives one answer for what ${mode} blocks: ${[...answers].join(', ')}`);
  return [...answers][0] as Blocks;
}

function assertBlocking(report: Report, table: string, blocks: Blocks, what: string): void {
  const read = report.during[`read ${table}`];
  const write = report.during[`write ${table}`];
  assert.ok(read && write, `${what}: both probes ran`);
  for (const [probe, result, claimed] of [
    ['read', read, blocks === 'reads and writes'],
    ['write', write, blocks === 'reads and writes' || blocks === 'writes'],
  ] as const) {
    const seen = `${result.outcome} after ${result.ms} ms${result.error ? ` (${result.error})` : ''}, waited for ${JSON.stringify(result.waited_for)}`;
    assert.equal(result.blocked, claimed, `${what}: a concurrent ${probe} on ${table} ${claimed ? 'waits' : 'goes on'}, as the lock table says (${blocks}); seen: ${seen}`);
    if (claimed) {
      if (result.waited_for.length > 0) assert.ok(result.waited_for.some((w) => w.locktype === 'relation' && w.table === table), `${what}: the ${probe} waited for ${table}: ${seen}`);
    } else {
      assert.equal(result.outcome, 'ok', `${what}: the ${probe} succeeds without waiting 0.5 s: ${seen}`);
    }
  }
}

describe('the rules’ locks and blocking on PostgreSQL, with Django’s migrate', () => {
  const reason = skipReason(missingDjangoPostgres());
  if (reason) {
    it('is skipped', (t) => {
      console.log(`SKIPPED blocking truth test: ${reason}`);
      t.skip(reason);
    });
    return;
  }
  let cluster: PgCluster;
  let project: DjangoProject;
  let target: TargetDatabase;
  let database = '';
  const previews = new Map<string, MigrationPreview>();
  const findings = new Map<string, Array<{ rule: string; message: string }>>();
  const file = (c: Case): string => join(ROOT, APP, 'migrations', `${c.migration}.py`);

  before(async () => {
    cluster = await startPostgres();
    // Nothing but the test may take locks on the tables.
    cluster.sql('ALTER SYSTEM SET autovacuum = off');
    cluster.sql('SELECT pg_reload_conf()');
    database = cluster.createDatabase();
    project = djangoProject(ROOT, { apps: [APP], database: { engine: 'postgres', cluster, name: database } });
    manage(project, ['migrate', APP, '0001_initial']);
    cluster.sql(LOAD, database);
    const version = Math.floor(Number(cluster.sql('SHOW server_version_num', database)) / 10_000);
    target = { vendor: 'postgresql', postgresqlVersion: version, djangoVersion: [3, 2] };

    const parser = await PythonParser.create(GRAMMAR_PATHS);
    try {
      const loaded = await loadProject(ROOT, parser, { authUserModel: 'auth.User', migrationModules: {} });
      for (const c of CASES) {
        const p = previewFile(loaded.view, file(c), target, POSTGRES_NAMES);
        assert.ok(p, `${c.migration} is not in the project view`);
        previews.set(c.migration, p);
      }
    } finally {
      parser.dispose();
    }
    for (const [f, result] of await lintProject(ROOT, { target })) findings.set(f, result.findings);
  });

  after(() => {
    project?.dispose();
    cluster?.stop();
  });

  it('has a bad case for each schema rule, and each rule exists', () => {
    const schemaRules = ['add-field-not-null', 'alter-field-not-null', 'alter-field-type', 'add-index-not-concurrent', 'remove-index-not-concurrent', 'drop-column', 'drop-table', 'rename-column', 'rename-table', 'add-constraint-validates'];
    assert.deepEqual([...new Set(CASES.filter((c) => c.kind === 'bad').map((c) => c.rule))].sort(), [...schemaRules].sort());
    for (const id of schemaRules) assert.ok(RULES.some((r) => r.meta.id === id), id);
  });

  it(`loads ${ROWS} rows into each table the cases lock`, () => {
    for (const table of ['stock_item', 'stock_tag', 'stock_memo']) assert.equal(Number(cluster.sql(`SELECT count(*) FROM ${table}`, database)), ROWS, table);
  });

  for (const c of CASES) {
    it(`${c.rule}, ${c.kind === 'bad' ? 'its operation' : 'the counterpart'}: ${c.migration}`, () => {
      const fired = findings.get(file(c)) ?? [];
      const messages = fired.filter((f) => f.rule === c.rule).map((f) => f.message);
      if (c.kind === 'bad') assert.equal(messages.length, 1, `${c.rule} fires on ${c.migration}: ${fired.map((f) => f.rule).join(', ')}`);
      else assert.deepEqual(messages, [], `${c.rule} is silent on ${c.migration}`);

      const preview = previews.get(c.migration);
      assert.ok(preview);
      const statements = [...preview.operations.flatMap((o) => o.statements), ...preview.deferred];
      assert.ok(statements.length > 0, `${c.migration}: the preview shows its SQL`);
      for (const op of preview.operations) assert.equal(op.cannotPreview, null, `${c.migration}: ${op.cannotPreview}`);
      const facts: LockFact[] = statements.map((s) => s.lock);
      const expected = strongestMode(facts.map((f) => f.lock));
      const strongest = facts.find((f) => f.lock === expected) as LockFact;

      const tables = [c.table, ...(c.referenced ? [c.referenced] : [])];
      const spec = {
        app: APP,
        migration: c.migration,
        tables,
        hold: c.hold,
        snapshot_table: c.table,
        during: tables.flatMap((t) => [
          { name: `read ${t}`, sql: readProbe(t) },
          { name: `write ${t}`, sql: writeProbe(t) },
        ]),
        after: (c.oldCode ?? []).map((o) => ({ name: o.name, sql: o.sql })),
        hammer: c.hold === 'none' ? writeProbe(c.table) : null,
      };
      const run = runScript(project, 'blocking_probe.py', [JSON.stringify(spec)]);
      assert.equal(run.code, 0, `blocking_probe.py failed:\n${run.stderr}`);
      const report = JSON.parse(run.stdout) as Report;
      assert.equal(report.migrate.code, 0, `migrate ${c.migration} failed:\n${report.migrate.stdout}\n${report.migrate.stderr}`);
      const what = `${c.migration} (${statements.map((s) => s.kind).join(', ')})`;
      const applied = report.migrate.stdout.match(/Applying \S+/g) ?? [];
      assert.deepEqual(applied, [`Applying ${APP}.${c.migration}...`], `${what}: migrate applies this migration alone`);

      if (c.hold === 'none') {
        const hammer = report.hammer;
        assert.ok(hammer && hammer.writes > 0, `${what}: the write loop ran`);
        assert.deepEqual(hammer.failures, [], `${what}: no concurrent write waits 0.5 s (longest ${hammer.max_ms} ms)`);
      } else {
        assert.ok(report.held, `${what}: the migration was held while holding its locks`);
        const held = report.locks[c.table] ?? [];
        assert.equal(strongestMode(held), expected, `${what}: pg_locks shows ${held.join(', ')} on ${c.table}; the lock table says ${expected}`);
        assertBlocking(report, c.table, strongest.blocks, what);
        // The rule's message names the lock seen, and says what it blocks as the probes saw it.
        for (const m of messages) {
          assert.ok(m.includes(expected as string), `${what}: the message names ${expected}: ${m}`);
          if (m.includes('no reads, no writes')) assert.ok(report.during[`read ${c.table}`]?.blocked && report.during[`write ${c.table}`]?.blocked, `${what}: ${m}`);
          if (m.includes('reads go on')) assert.ok(!report.during[`read ${c.table}`]?.blocked, `${what}: ${m}`);
        }
        if (c.referenced) {
          const onReferenced = strongestMode(report.locks[c.referenced] ?? []);
          assert.ok(onReferenced, `${what}: a lock on ${c.referenced}`);
          assert.ok(
            facts.some((f) => f.note?.includes(`${onReferenced} on the referenced table`)),
            `${what}: pg_locks shows ${onReferenced} on ${c.referenced}; the lock table's notes say ${facts.map((f) => f.note).join(' / ')}`,
          );
          assertBlocking(report, c.referenced, blocksOf(onReferenced, target), `${what}, referenced table`);
          for (const m of messages) assert.ok(m.includes(`${onReferenced} lock on the referenced one`), `${what}: the message names ${onReferenced} on ${c.referenced}: ${m}`);
        }
      }

      const before = report.before[c.table];
      const afterStats = report.after_stats[c.table];
      assert.ok(before && afterStats);
      if (afterStats.filenode !== null) {
        const rewrite = facts.some((f) => f.work === 'rewrite');
        const scan = rewrite || facts.some((f) => f.work === 'scan');
        assert.equal(afterStats.filenode !== before.filenode, rewrite, `${what}: file node ${before.filenode} → ${afterStats.filenode}; the lock table says ${rewrite ? '' : 'no '}rewrite`);
        assert.equal(afterStats.scans > before.scans, scan, `${what}: sequential scans ${before.scans} → ${afterStats.scans}; the lock table says ${scan ? '' : 'no '}scan`);
        for (const m of messages) {
          if (/every row|rewrites? the whole table/.test(m)) assert.ok(afterStats.scans > before.scans, `${what}: the message claims a scan PostgreSQL did not make: ${m}`);
          if (/rewrites? the whole table/.test(m)) assert.notEqual(afterStats.filenode, before.filenode, `${what}: the message claims a rewrite: ${m}`);
        }
      } else {
        assert.equal(strongest.kind, 'drop-table', `${what}: only DROP TABLE removes the table`);
      }

      for (const o of c.oldCode ?? []) {
        const r = report.after[o.name];
        assert.ok(r, o.name);
        if (o.fails) assert.equal(r.sqlstate, o.fails, `${what}: the previous release's ${o.name} fails (${r.error})`);
        else assert.equal(r.outcome, 'ok', `${what}: the previous release's ${o.name} still works (${r.error})`);
      }
    });
  }
});

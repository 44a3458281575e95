/**
 * The seed-000 incident, reproduced on a real PostgreSQL, then fixed with our own tools.
 *
 * test/fixtures/incident/ is a Django project whose orders.0002 has the incident's shape: a
 * RunPython that saves every order without a currency one row at a time, then an AlterField on
 * the same table, in one atomic migration. The table gets 50,000 rows (one INSERT … SELECT
 * generate_series). While `migrate` applies it, a second connection keeps updating the first row
 * the loop touches and measures how long each write waits (test/django/incident_probe.py, on
 * time.monotonic, the same clock the migrate process stamps its migrations and RunPython with).
 *
 * Then the same migration on a fresh database, after `migration-guard split` and
 * `migration-guard check --unsafe-fixes` (the loop becomes a batched template, the data part
 * gets atomic = False). Before: the write waits for (nearly) the whole RunPython phase. After:
 * no write waits long. Both runs end with the same data. The figures are printed on a line
 * starting with `incident:`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { djangoProject, inspectMigrations, manage, runScript, type DjangoProject } from './helpers/django';
import { DIST, FIXTURES } from './helpers/paths';
import { startPostgres, type PgCluster } from './helpers/postgres';

const CLI = join(DIST, 'cli.js');
const ROWS = 50_000;
const MIGRATION = 'orders/migrations/0002_backfill_currency.py';

interface TimelineEvent {
  event: string;
  name: string;
  start?: number;
  end?: number;
  t?: number;
}

interface ProbeOutput {
  returncode: number;
  stdout: string;
  stderr: string;
  /** [monotonic start, wait in seconds, attempts] of every write. */
  writes: [number, number, number][];
  timeline: TimelineEvent[];
}

interface Experiment {
  /** The longest any single write waited, in seconds. */
  longestWait: number;
  longestWaitStart: number;
  writes: number;
  /** The backfill's RunPython: start, end, seconds. */
  runPython: { start: number; end: number; seconds: number };
  /** First migration start to last migration end (transactions committed), seconds. */
  migrationSeconds: number;
  /** Migrations applied during the run. */
  applied: string[];
  /** count(*), count(currency), USD, EUR, other, and the column's nullability. */
  data: string;
}

let pg: PgCluster | undefined;
const temps: string[] = [];
const projects: DjangoProject[] = [];
before(async () => {
  pg = await startPostgres();
});
after(() => {
  for (const p of projects) p.dispose();
  pg?.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function cluster(): PgCluster {
  assert.ok(pg, 'the PostgreSQL cluster did not start');
  return pg;
}

function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'migration-guard-incident-'));
  temps.push(dir);
  const root = join(dir, 'project');
  cpSync(join(FIXTURES, 'incident'), root, { recursive: true });
  return root;
}

function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh database with 50,000 orders (90% without currency), then migrate under the probe. */
function experiment(root: string): Experiment {
  const pgc = cluster();
  const db = pgc.createDatabase();
  try {
    const project = djangoProject(root, { apps: ['orders'], database: { engine: 'postgres', cluster: pgc, name: db } });
    projects.push(project);
    manage(project, ['migrate', 'orders', '0001_initial', '--no-input', '-v', '0']);
    pgc.sql(
      `INSERT INTO orders_order (number, currency, note)
       SELECT 'ORD-' || g, CASE WHEN g % 10 = 0 THEN 'EUR' END, '' FROM generate_series(1, ${ROWS}) AS g`,
      db,
    );
    pgc.sql('ANALYZE orders_order', db);
    const rowId = pgc.sql('SELECT min(id) FROM orders_order WHERE currency IS NULL', db);
    const dsn = `host=${pgc.host} port=${pgc.port} dbname=${db} user=${pgc.user}`;
    const timeline = join(project.settingsDir, 'timeline.jsonl');
    const r = runScript(project, 'incident_probe.py', [
      '--dsn', dsn, '--table', 'orders_order', '--row-id', rowId, '--timeline', timeline, '--deadline', '100',
      '--', 'orders', '--no-input', '-v', '1',
    ]);
    assert.equal(r.code, 0, `incident_probe.py failed:\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as ProbeOutput;
    assert.equal(out.returncode, 0, `migrate failed under the probe:\n${out.stdout}\n${out.stderr}`);
    assert.ok(out.writes.length > 0, 'the probe wrote while the migration ran');

    const longest = out.writes.reduce((a, b) => (b[1] > a[1] ? b : a));
    const rp = out.timeline.find((e) => e.event === 'runpython' && e.name.endsWith('.backfill_currency'));
    assert.ok(rp?.start !== undefined && rp.end !== undefined, `the backfill's RunPython ran: ${JSON.stringify(out.timeline)}`);
    const applies = out.timeline.filter((e) => e.event === 'apply');
    const data = pgc.sql(
      `SELECT count(*), count(currency), sum(CASE WHEN currency = 'USD' THEN 1 ELSE 0 END),
              sum(CASE WHEN currency = 'EUR' THEN 1 ELSE 0 END), sum(CASE WHEN currency NOT IN ('USD', 'EUR') THEN 1 ELSE 0 END),
              (SELECT is_nullable || ' ' || data_type || '(' || character_maximum_length || ')' FROM information_schema.columns
                WHERE table_name = 'orders_order' AND column_name = 'currency')
       FROM orders_order`,
      db,
    );
    return {
      longestWait: longest[1],
      longestWaitStart: longest[0],
      writes: out.writes.length,
      runPython: { start: rp.start, end: rp.end, seconds: rp.end - rp.start },
      migrationSeconds: Math.max(...applies.map((e) => e.end ?? 0)) - Math.min(...applies.map((e) => e.start ?? Infinity)),
      applied: applies.map((e) => e.name),
      data,
    };
  } finally {
    pgc.dropDatabase(db);
  }
}

const fmt = (s: number): string => `${s.toFixed(2)} s`;

describe('the seed-000 incident on PostgreSQL, before and after our fixes', { timeout: 240_000 }, () => {
  let original: Experiment | undefined;
  let fixed: Experiment | undefined;
  let fixedRoot = '';

  it('as written: a concurrent write to a backfilled row waits for the whole migration', () => {
    original = experiment(copyProject());
    assert.deepEqual(original.applied, ['orders.0002_backfill_currency']);
    assert.ok(
      original.longestWait >= 0.8 * original.runPython.seconds,
      `the longest write waited ${fmt(original.longestWait)}, less than 80% of the RunPython phase (${fmt(original.runPython.seconds)})`,
    );
    assert.ok(
      original.longestWaitStart + original.longestWait >= original.runPython.end,
      'the blocked write was released only after the RunPython had finished (at the commit)',
    );
  });

  it('split + check --unsafe-fixes turn it into a batched, non-atomic data migration and a schema migration', () => {
    fixedRoot = copyProject();
    const split = cli(['split', MIGRATION], fixedRoot);
    assert.equal(split.code, 0, `split exited ${split.code}:\n${split.stdout}\n${split.stderr}`);
    // The fixes of the seed-000 incident (the schema migration's own NOT NULL has a fix of its own, in steps).
    const fix = cli(['check', '--fix', '--unsafe-fixes', '--select', 'unbatched-save-loop,missing-atomic-false', 'orders/migrations'], fixedRoot);
    assert.notEqual(fix.code, 2, `check --unsafe-fixes failed:\n${fix.stdout}\n${fix.stderr}`);
    const project = djangoProject(fixedRoot, { apps: ['orders'] });
    projects.push(project);
    const plan = inspectMigrations(project).plan;
    const ops = plan.map((m) => `${m.name}: ${m.operations.map((o) => o.op).join(', ')}${m.atomic ? '' : ' (atomic = False)'}`);
    assert.equal(plan.length, 3, ops.join('\n'));
    assert.equal(ops[0], '0001_initial: CreateModel');
    assert.equal(ops[1], '0002_backfill_currency: RunPython (atomic = False)');
    assert.match(ops[2], /^0003_\w+: AlterField$/);
    const data = readFileSync(join(fixedRoot, MIGRATION), 'utf8');
    assert.doesNotMatch(data, /\.save\(\)/, `the row-by-row loop is gone:\n${data}`);
  });

  it('fixed: no write waits long, and the data ends up the same', () => {
    assert.ok(original, 'the first experiment ran');
    assert.ok(fixedRoot, 'the fixes were applied');
    fixed = experiment(fixedRoot);
    console.log(
      `incident: ${ROWS} rows; as written: longest write wait ${fmt(original.longestWait)}, RunPython ${fmt(original.runPython.seconds)}, ` +
        `migration ${fmt(original.migrationSeconds)}; after split + --unsafe-fixes: longest write wait ${fmt(fixed.longestWait)}, ` +
        `RunPython ${fmt(fixed.runPython.seconds)}, migrations ${fmt(fixed.migrationSeconds)} (${fixed.writes} writes probed)`,
    );
    assert.equal(fixed.applied.length, 2, `two migrations applied: ${fixed.applied.join(', ')}`);
    assert.ok(fixed.longestWait < 2, `the longest write waited ${fmt(fixed.longestWait)} (limit 2 s)`);
    assert.ok(
      fixed.longestWait < 0.25 * original.longestWait,
      `the longest write waited ${fmt(fixed.longestWait)}, not under 25% of the original ${fmt(original.longestWait)}`,
    );
    const expected = `${ROWS}|${ROWS}|${ROWS * 0.9}|${ROWS * 0.1}|0|NO character varying(3)`;
    assert.equal(original.data, expected, 'as written: every row backfilled, the column NOT NULL');
    assert.equal(fixed.data, original.data, 'fixed: the same data');
  });
});

/**
 * dist/server.js, dist/cli.js and dist/cli-worker.js start their bundle through V8's code cache
 * (code-cache.ts): a run with no usable cache writes one (the server when it exits, a worker after
 * its first answer), a later run uses it as it is, a cache V8 rejects is replaced, and a folder
 * other users could write to is never used. Every run must give the same answers whatever the
 * cache's state.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { DIST } from '../helpers/paths';
import { TestClient } from './lsp-client';

const MIGRATION = `from django.db import migrations


def backfill(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    for order in Order.objects.all():
        order.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(backfill)]
`;

/** One editor session: opens the migration, returns its diagnostic codes, then shuts the server down and waits for it to exit. */
async function session(dir: string, file: string): Promise<string[]> {
  process.env['MIGRATION_GUARD_CODE_CACHE_DIR'] = dir;
  const client = await TestClient.start();
  try {
    const ds = await client.open(pathToFileURL(file).href, MIGRATION);
    return ds.map((d) => String(d.code)).sort();
  } finally {
    const exited = new Promise<void>((resolve) => client.process.once('exit', () => resolve()));
    await client.connection.sendRequest('shutdown');
    await client.connection.sendNotification('exit');
    await exited;
    client.connection.dispose();
  }
}

const cacheFiles = (dir: string, prefix = 'server-core-'): string[] => readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.v8cache'));

describe('the server start-up code cache', () => {
  let root: string;
  let file: string;
  const saved = process.env['MIGRATION_GUARD_CODE_CACHE_DIR'];
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'migration-guard-code-cache-'));
    file = join(root, 'project', 'shop', 'migrations', '0002_backfill.py');
    mkdirSync(join(root, 'project', 'shop', 'migrations'), { recursive: true });
    writeFileSync(file, MIGRATION);
  });
  after(() => {
    if (saved === undefined) delete process.env['MIGRATION_GUARD_CODE_CACHE_DIR'];
    else process.env['MIGRATION_GUARD_CODE_CACHE_DIR'] = saved;
    rmSync(root, { recursive: true, force: true });
  });

  it('is written by the first session, private, and used as it is by the next', async () => {
    const dir = join(root, 'cache');
    const first = await session(dir, file);
    assert.ok(first.includes('unbatched-save-loop'), `diagnostics of the first session: ${first.join(', ')}`);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const [name, ...more] = cacheFiles(dir);
    assert.ok(name, 'no cache written');
    assert.deepEqual(more, []);
    const written = readFileSync(join(dir, name));
    const mtime = statSync(join(dir, name)).mtimeMs;
    assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600);
    assert.deepEqual(await session(dir, file), first);
    // Accepted: not written again.
    assert.equal(statSync(join(dir, name)).mtimeMs, mtime);
    assert.deepEqual(readFileSync(join(dir, name)), written);
  });

  it('replaces a cache V8 rejects, and the session is unchanged', async () => {
    const dir = join(root, 'corrupt');
    const expected = await session(dir, file);
    const [name] = cacheFiles(dir);
    assert.ok(name);
    const garbage = Buffer.alloc(4096, 7);
    writeFileSync(join(dir, name), garbage);
    assert.deepEqual(await session(dir, file), expected);
    assert.notDeepEqual(readFileSync(join(dir, name)), garbage);
    assert.deepEqual(await session(dir, file), expected);
  });

  it('never uses a folder others can write to', async () => {
    const dir = join(root, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const codes = await session(dir, file);
    assert.ok(codes.includes('unbatched-save-loop'));
    assert.deepEqual(cacheFiles(dir), []);
  });

  it('serves the CLI worker threads too, with the same output', () => {
    const project = join(root, 'many');
    // More files than the CLI lints in-process: the pool's worker threads take part.
    for (let i = 1; i <= 240; i++) {
      const dir = join(project, `app${i % 4}`, 'migrations');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${String(i).padStart(4, '0')}_step.py`), MIGRATION.replace('"0001_initial"', `"${String(i).padStart(4, '0')}_prev"`));
    }
    const dir = join(root, 'cli');
    const check = (): string => {
      const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--format', 'json', '--jobs', '2', '--no-cache', project], { encoding: 'utf8', env: { ...process.env, MIGRATION_GUARD_CODE_CACHE_DIR: dir } });
      assert.equal(r.status, 1, r.stderr);
      return r.stdout;
    };
    const first = check();
    assert.equal((JSON.parse(first) as unknown[]).length >= 240, true);
    const [name] = cacheFiles(dir, 'cli-worker-core-');
    assert.ok(name, 'the worker wrote no cache');
    const mtime = statSync(join(dir, name)).mtimeMs;
    assert.equal(check(), first);
    assert.equal(statSync(join(dir, name)).mtimeMs, mtime, 'a usable cache is not written again');
    writeFileSync(join(dir, name), Buffer.alloc(4096, 7));
    assert.equal(check(), first);
    assert.notDeepEqual(readFileSync(join(dir, name)), Buffer.alloc(4096, 7));
  });

  /** Migrations enough for the workspace scan to count as a long run (V8 tuned for it: v8-tuning.ts). */
  function bigWorkspace(name: string, files: number): string {
    const ws = join(root, name);
    for (let i = 1; i <= files; i++) {
      const dir = join(ws, `app${i % 10}`, 'migrations');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${String(i).padStart(4, '0')}_step.py`), MIGRATION.replace('"0001_initial"', `"${String(i).padStart(4, '0')}_prev"`));
    }
    return ws;
  }

  /**
   * A session on a workspace folder. `whenScanned`: shut down once the scan says it is done; else
   * the editor goes away at once, in the middle of the scan, without a shutdown (its end of the
   * pipe closes): the server exits with the scan suspended, its own clean-up never run.
   */
  async function workspaceSession(dir: string, ws: string, whenScanned: boolean): Promise<{ scanned: boolean }> {
    process.env['MIGRATION_GUARD_CODE_CACHE_DIR'] = dir;
    const client = await TestClient.start({ workspaceFolders: [ws], progress: true });
    const done = (): boolean => client.logs.some((l) => /^checked \d+ migrations/.test(l));
    const exited = new Promise<void>((resolve) => client.process.once('exit', () => resolve()));
    try {
      if (whenScanned) {
        await client.waitFor(done, 'the end of the workspace scan', 60_000);
        await client.connection.sendRequest('shutdown');
        await client.connection.sendNotification('exit');
      } else {
        // The scan reports progress from its loop over the files, once it has been tuned for them.
        await client.waitFor(() => client.progress.some((p) => /^\d+\/\d+ files$/.test(p.message ?? '')), 'the scan to report its progress', 30_000);
        client.process.stdin?.end();
      }
      const scanned = done();
      await exited;
      return { scanned };
    } finally {
      client.connection.dispose();
    }
  }

  it('is written under V8\'s default flags after a long workspace scan, so the next start takes it', async () => {
    const ws = bigWorkspace('scanned', 600);
    const dir = join(root, 'after-scan');
    assert.equal((await workspaceSession(dir, ws, true)).scanned, true);
    const [name] = cacheFiles(dir);
    assert.ok(name, 'no cache written');
    const written = readFileSync(join(dir, name));
    await workspaceSession(dir, ws, true);
    assert.deepEqual(readFileSync(join(dir, name)), written, 'the next start refused the cache and wrote another');
  });

  it('is written under V8\'s default flags when the session ends in the middle of a long scan', async () => {
    const ws = bigWorkspace('mid-scan', 4000);
    const dir = join(root, 'mid-scan-cache');
    assert.equal((await workspaceSession(dir, ws, false)).scanned, false, 'the scan ended before the session: nothing was tested');
    const [name] = cacheFiles(dir);
    assert.ok(name, 'no cache written');
    const written = readFileSync(join(dir, name));
    await session(dir, join(ws, 'app1', 'migrations', '0001_step.py'));
    assert.deepEqual(readFileSync(join(dir, name)), written, 'the next start refused the cache and wrote another');
  });

  it("is off when MIGRATION_GUARD_CODE_CACHE_DIR is ''", async () => {
    const codes = await session('', file);
    assert.ok(codes.includes('unbatched-save-loop'));
  });
});

describe('the CLI code cache', () => {
  let root: string;
  let project: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'migration-guard-cli-code-cache-'));
    project = join(root, 'project');
    mkdirSync(join(project, 'shop', 'migrations'), { recursive: true });
    writeFileSync(join(project, 'shop', 'migrations', '0002_backfill.py'), MIGRATION);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const check = (dir: string): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--format', 'json', '--no-cache', project], { encoding: 'utf8', env: { ...process.env, MIGRATION_GUARD_CODE_CACHE_DIR: dir } });

  it('is written by the first run, taken as it is by the next, replaced when V8 rejects it; output and exit code unchanged', () => {
    const dir = join(root, 'cache');
    // A run that reads no migration compiles little of what checking needs: it writes no cache.
    for (const args of [['--help'], ['check', '--no-such-option'], ['rules']]) {
      spawnSync(process.execPath, [join(DIST, 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, MIGRATION_GUARD_CODE_CACHE_DIR: dir } });
      assert.deepEqual(cacheFiles(dir, 'cli-core-'), [], `after ${args.join(' ')}`);
    }
    const first = check(dir);
    assert.equal(first.status, 1, first.stderr);
    assert.match(first.stdout, /unbatched-save-loop/);
    const [name, ...more] = cacheFiles(dir, 'cli-core-');
    assert.ok(name, 'the CLI wrote no cache');
    assert.deepEqual(more, []);
    assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600);
    const written = readFileSync(join(dir, name));
    // The run tuned V8 for a long run: the cache was still made under the defaults the next start has.
    const second = check(dir);
    assert.deepEqual([second.status, second.stdout], [1, first.stdout]);
    assert.deepEqual(readFileSync(join(dir, name)), written, 'the next run refused the cache and wrote another');
    const garbage = Buffer.alloc(4096, 7);
    writeFileSync(join(dir, name), garbage);
    const third = check(dir);
    assert.deepEqual([third.status, third.stdout], [1, first.stdout]);
    assert.notDeepEqual(readFileSync(join(dir, name)), garbage);
  });

  it('removes the caches other builds wrote more than 30 days ago, and temporary files a killed run left', () => {
    const dir = join(root, 'stale');
    mkdirSync(dir, { mode: 0o700 });
    const old = (Date.now() - 40 * 24 * 3600 * 1000) / 1000;
    const files = {
      oldBuild: 'cli-core-0123456789abcdef0123456789abcdef.v8cache',
      recentBuild: 'cli-core-fedcba9876543210fedcba9876543210.v8cache',
      leftTmp: 'cli-core-0123456789abcdef0123456789abcdef.v8cache.999.x1.tmp',
      otherBundle: 'server-core-0123456789abcdef0123456789abcdef.v8cache',
      notOurs: 'notes.txt',
    };
    for (const f of Object.values(files)) writeFileSync(join(dir, f), 'x');
    for (const f of [files.oldBuild, files.otherBundle, files.notOurs]) utimesSync(join(dir, f), old, old);
    const twoHoursAgo = (Date.now() - 2 * 3600 * 1000) / 1000;
    utimesSync(join(dir, files.leftTmp), twoHoursAgo, twoHoursAgo);
    assert.equal(check(dir).status, 1);
    const left = readdirSync(dir).sort();
    const own = cacheFiles(dir, 'cli-core-').filter((f) => f !== files.recentBuild);
    assert.equal(own.length, 1, `files: ${left.join(', ')}`);
    // Only the CLI's own bundle is pruned by its runs; another bundle's caches are that bundle's to prune.
    assert.deepEqual(left, [...own, files.recentBuild, files.notOurs, files.otherBundle].sort());
  });
});

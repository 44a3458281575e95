/**
 * A throwaway PostgreSQL cluster for the truth tests: initdb into a temporary folder, started on
 * loopback only (TCP on 127.0.0.1 and a Unix socket in the same folder) on a free port, with trust
 * authentication for the `postgres` user. PostgreSQL refuses to run as root, so when the tests run
 * as root the server binaries run as the `postgres` system user (runuser) and the folder is handed
 * to it. `stop()` stops the server and deletes the folder; a process exit stops whatever is still
 * running, so a failing or interrupted test leaves no server behind.
 *
 * Needs Debian's `postgresql` package (the binaries under /usr/lib/postgresql/<version>/bin, or
 * the folder named by PG_BINDIR).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgCluster {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The temporary folder holding the data directory, the socket and the server log. */
  readonly dir: string;
  /** Runs SQL with psql (-At: unaligned, tuples only) and returns its output; throws on an error. */
  sql(sql: string, database?: string): string;
  /** Creates an empty database (a fresh name unless one is given) and returns its name. */
  createDatabase(name?: string): string;
  dropDatabase(name: string): void;
  /** Stops the server and removes its folder. Safe to call more than once. */
  stop(): void;
}

const running = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const stopAll = (): void => {
    for (const stop of [...running]) stop();
  };
  process.on('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** The newest /usr/lib/postgresql/<version>/bin, or PG_BINDIR. */
export function postgresBinDir(): string | null {
  const fromEnv = process.env.PG_BINDIR;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : null;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(base, versions[0], 'bin') : null;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export async function startPostgres(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL server binaries not found (install Debian\'s postgresql package, or set PG_BINDIR): ' +
        'the split and incident truth tests need a real PostgreSQL',
    );
  }
  installExitHook();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'migration-guard-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const log = join(dir, 'server.log');
  mkdirSync(socketDir);
  if (asRoot) {
    const uid = Number(check(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }), 'id -u postgres').trim());
    const gid = Number(check(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }), 'id -g postgres').trim());
    for (const p of [dir, socketDir]) chownSync(p, uid, gid);
  }
  /** A server binary, as the postgres user when we are root. */
  const server = (tool: string, args: string[]): SpawnSyncReturns<string> => {
    const command = asRoot ? 'runuser' : join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args;
    return spawnSync(command, argv, { encoding: 'utf8', cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  };

  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    running.delete(stop);
    if (existsSync(join(data, 'postmaster.pid'))) server('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(stop);

  try {
    check(server('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']), 'initdb');
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${socketDir}`,
        '-c listen_addresses=127.0.0.1',
        // A throwaway cluster: durability is not what is measured.
        '-c fsync=off',
        '-c full_page_writes=off',
        '-c synchronous_commit=off',
      ].join(' ');
      const r = server('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', options]);
      if (r.status === 0) break;
      if (attempt >= 3) {
        const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '';
        throw new Error(`pg_ctl start failed:\n${r.stdout}\n${r.stderr}\n${serverLog}`);
      }
    }
    const host = '127.0.0.1';
    const user = 'postgres';
    const sql = (text: string, database = 'postgres'): string =>
      check(
        spawnSync(
          join(bin, 'psql'),
          ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', user, '-d', database, '-c', text],
          // A whole database's rows as JSON outgrow spawnSync's 1 MB default.
          { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } },
        ),
        `psql ${JSON.stringify(text.slice(0, 80))}`,
      ).trimEnd();
    let counter = 0;
    return {
      host,
      port,
      user,
      dir,
      sql,
      createDatabase(name?: string): string {
        const db = name ?? `mg_${process.pid}_${++counter}_${Date.now() % 100000}`;
        sql(`CREATE DATABASE "${db}"`);
        return db;
      },
      dropDatabase(name: string): void {
        sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      },
      stop,
    };
  } catch (e) {
    stop();
    throw e;
  }
}

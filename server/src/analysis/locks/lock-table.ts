/**
 * What each kind of schema statement does to a live table: the lock it takes, what that lock
 * blocks, whether the table is rewritten or scanned, and whether it may run inside a transaction —
 * per database, with the version conditions that change the answer. One table of data with its
 * sources, read by the SQL preview, the hover and `migration-guard explain`; rules ask it rather
 * than restating it. Written from the PostgreSQL manual's "Explicit Locking" (table-level lock
 * modes and which commands take them), "ALTER TABLE" (rewrite / scan notes per sub-command) and
 * "CREATE INDEX" (CONCURRENTLY) and "ALTER INDEX" pages, and MySQL's "Online DDL Operations" chapter.
 */
import type { DatabaseVendor, TargetDatabase } from '../target-database';

export type StatementKind =
  | 'create-table'
  | 'drop-table'
  | 'rename-table'
  | 'add-column'
  | 'add-column-default'
  | 'add-column-fk'
  | 'add-column-computed'
  | 'add-column-check'
  | 'drop-column'
  | 'rename-column'
  | 'alter-column-type'
  | 'alter-column-type-widen'
  | 'set-not-null'
  | 'drop-not-null'
  | 'set-default'
  | 'drop-default'
  | 'add-check'
  | 'add-check-not-valid'
  | 'add-foreign-key'
  | 'add-foreign-key-not-valid'
  | 'add-unique'
  | 'add-primary-key'
  | 'drop-constraint'
  | 'drop-foreign-key'
  | 'validate-constraint'
  | 'create-index'
  | 'create-unique-index'
  | 'create-index-concurrently'
  | 'drop-index'
  | 'drop-index-concurrently'
  | 'rename-index'
  | 'enum-add-value'
  | 'update'
  | 'insert'
  | 'delete'
  | 'select'
  | 'other';

export type LockMode =
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE'
  | 'none';

/** What other sessions cannot do on the table while the lock is held. */
export type Blocks = 'nothing' | 'writes' | 'reads and writes' | 'unknown';

export type TableWork = 'none' | 'scan' | 'rewrite' | 'unknown';

export interface LockFact {
  kind: StatementKind;
  /** The lock mode's name on PostgreSQL; for MySQL/SQLite a short description of the lock. */
  lock: LockMode | string;
  blocks: Blocks;
  work: TableWork;
  /** False when the database refuses the statement inside a transaction block. */
  transactional: boolean;
  /** One sentence for the reader: the condition that decided the row, or what else it locks. */
  note: string | null;
  source: string;
}

interface Row {
  lock: LockMode | string;
  blocks: Blocks;
  work: TableWork;
  transactional?: boolean;
  note?: string;
  /** Applies only when the target passes; otherwise the next row of the same kind is tried. */
  when?: (target: TargetDatabase) => boolean;
}

const PG_LOCKING = 'https://www.postgresql.org/docs/current/explicit-locking.html';
const PG_ALTER_TABLE = 'https://www.postgresql.org/docs/current/sql-altertable.html';
const PG_CREATE_INDEX = 'https://www.postgresql.org/docs/current/sql-createindex.html';
const PG_ALTER_INDEX = 'https://www.postgresql.org/docs/current/sql-alterindex.html';
const PG_ALTER_TYPE = 'https://www.postgresql.org/docs/current/sql-altertype.html';
const MYSQL_ONLINE_DDL = 'https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html';
const SQLITE_ALTER = 'https://www.sqlite.org/lang_altertable.html';

const pg = (major: number) => (t: TargetDatabase) => t.postgresqlVersion >= major;

/** PostgreSQL, per statement kind; the first row whose `when` passes applies. */
const POSTGRESQL: Record<StatementKind, { source: string; rows: Row[] }> = {
  'create-table': { source: PG_LOCKING, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'nothing', work: 'none', note: 'the lock is on the new table, which nobody uses yet' }] },
  'drop-table': { source: PG_LOCKING, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none' }] },
  'rename-table': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'brief, but queued behind every running query on the table' }] },
  'add-column': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'a catalog change only: brief once granted' }] },
  'add-column-default': {
    source: PG_ALTER_TABLE,
    rows: [
      { when: pg(11), lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'since PostgreSQL 11 a constant default is stored in the catalog: no rewrite' },
      { lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'rewrite', note: 'before PostgreSQL 11 a column with a default rewrites the whole table' },
    ],
  },
  'add-column-computed': {
    source: PG_ALTER_TABLE,
    rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'rewrite', note: 'a serial or identity column, a stored generated one or a volatile default is computed for every row: the whole table is rewritten' }],
  },
  'add-column-check': {
    source: PG_ALTER_TABLE,
    rows: [
      {
        lock: 'ACCESS EXCLUSIVE',
        blocks: 'reads and writes',
        work: 'scan',
        note: "the column's CHECK is checked against every row while the lock is held, even while the new column is all NULL (PostgreSQL 15, 3,000,000 rows: 130 ms against 1 ms without the CHECK)",
      },
    ],
  },
  'add-column-fk': {
    source: PG_ALTER_TABLE,
    rows: [
      {
        lock: 'ACCESS EXCLUSIVE',
        blocks: 'reads and writes',
        work: 'none',
        note: 'also SHARE ROW EXCLUSIVE on the referenced table (blocks its writes); without a default the new column is all NULL, so no row is checked (with one, every row is)',
      },
    ],
  },
  'drop-column': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'the column is only hidden; its space is reclaimed by later updates' }] },
  'rename-column': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none' }] },
  'alter-column-type': {
    source: PG_ALTER_TABLE,
    rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'rewrite', note: 'the table and its indexes are rewritten while every query waits' }],
  },
  'alter-column-type-widen': {
    source: PG_ALTER_TABLE,
    rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'a longer varchar limit is binary-compatible: no rewrite, no scan' }],
  },
  'set-not-null': {
    source: PG_ALTER_TABLE,
    rows: [
      {
        lock: 'ACCESS EXCLUSIVE',
        blocks: 'reads and writes',
        work: 'scan',
        note: 'the whole table is scanned to check for NULLs while every query waits (from PostgreSQL 12 a valid CHECK (col IS NOT NULL) skips the scan)',
      },
    ],
  },
  'drop-not-null': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none' }] },
  'set-default': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'applies to future rows only' }] },
  'drop-default': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none' }] },
  'add-check': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'scan', note: 'every row is checked while the lock is held (NOT VALID + VALIDATE avoids it)' }] },
  'add-check-not-valid': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'existing rows are not checked: brief' }] },
  'add-foreign-key': {
    source: PG_ALTER_TABLE,
    rows: [{ lock: 'SHARE ROW EXCLUSIVE', blocks: 'writes', work: 'scan', note: 'on both tables; every row is checked against the referenced table (NOT VALID + VALIDATE avoids it)' }],
  },
  'add-foreign-key-not-valid': { source: PG_ALTER_TABLE, rows: [{ lock: 'SHARE ROW EXCLUSIVE', blocks: 'writes', work: 'none', note: 'on both tables; existing rows are not checked: brief' }] },
  'add-unique': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'scan', note: 'builds a unique index while the lock is held (CREATE UNIQUE INDEX CONCURRENTLY + USING INDEX avoids it)' }] },
  'add-primary-key': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'scan', note: 'builds an index and checks for NULLs' }] },
  'drop-constraint': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none' }] },
  'drop-foreign-key': { source: PG_ALTER_TABLE, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'also ACCESS EXCLUSIVE on the referenced table, whose triggers it drops: no reads of either until the transaction ends' }] },
  'validate-constraint': {
    source: PG_ALTER_TABLE,
    rows: [{ lock: 'SHARE UPDATE EXCLUSIVE', blocks: 'nothing', work: 'scan', note: 'scans the table without blocking reads or writes (a foreign key also takes ROW SHARE on the referenced table)' }],
  },
  'create-index': { source: PG_CREATE_INDEX, rows: [{ lock: 'SHARE', blocks: 'writes', work: 'scan', note: 'reads go on; every INSERT, UPDATE and DELETE waits for the whole build' }] },
  'create-unique-index': { source: PG_CREATE_INDEX, rows: [{ lock: 'SHARE', blocks: 'writes', work: 'scan', note: 'reads go on; every INSERT, UPDATE and DELETE waits for the whole build' }] },
  'create-index-concurrently': {
    source: PG_CREATE_INDEX,
    rows: [{ lock: 'SHARE UPDATE EXCLUSIVE', blocks: 'nothing', work: 'scan', transactional: false, note: 'two scans of the table; waits for running transactions; cannot run inside a transaction' }],
  },
  'drop-index': { source: PG_LOCKING, rows: [{ lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'on the index’s table, queued behind every running query on it' }] },
  'drop-index-concurrently': { source: PG_LOCKING, rows: [{ lock: 'SHARE UPDATE EXCLUSIVE', blocks: 'nothing', work: 'none', transactional: false, note: 'cannot run inside a transaction' }] },
  'rename-index': {
    source: PG_ALTER_INDEX,
    rows: [
      { when: pg(12), lock: 'SHARE UPDATE EXCLUSIVE', blocks: 'nothing', work: 'none', note: 'on the index, since PostgreSQL 12' },
      { lock: 'ACCESS EXCLUSIVE', blocks: 'reads and writes', work: 'none', note: 'before PostgreSQL 12 renaming an index locks it like its table' },
    ],
  },
  'enum-add-value': {
    source: PG_ALTER_TYPE,
    rows: [
      { when: pg(12), lock: 'ACCESS EXCLUSIVE', blocks: 'nothing', work: 'none', note: 'on the type; the new value cannot be used until the transaction commits' },
      { lock: 'ACCESS EXCLUSIVE', blocks: 'nothing', work: 'none', transactional: false, note: 'before PostgreSQL 12, ALTER TYPE … ADD VALUE cannot run inside a transaction' },
    ],
  },
  update: { source: PG_LOCKING, rows: [{ lock: 'ROW EXCLUSIVE', blocks: 'writes', work: 'unknown', note: 'blocks writes to the rows it changes until the transaction ends' }] },
  insert: { source: PG_LOCKING, rows: [{ lock: 'ROW EXCLUSIVE', blocks: 'nothing', work: 'none' }] },
  delete: { source: PG_LOCKING, rows: [{ lock: 'ROW EXCLUSIVE', blocks: 'writes', work: 'unknown', note: 'blocks writes to the rows it deletes until the transaction ends' }] },
  select: { source: PG_LOCKING, rows: [{ lock: 'ACCESS SHARE', blocks: 'nothing', work: 'unknown' }] },
  other: { source: PG_LOCKING, rows: [{ lock: 'unknown', blocks: 'unknown', work: 'unknown' }] },
};

/** MySQL (InnoDB, 8.0): only the kinds the Online DDL chapter states plainly. */
const MYSQL: Partial<Record<StatementKind, { source: string; rows: Row[] }>> = {
  'add-column': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'metadata lock (INSTANT from 8.0.12)', blocks: 'nothing', work: 'none', note: 'DDL is never transactional on MySQL: it commits on its own' }] },
  'add-column-default': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'metadata lock (INSTANT from 8.0.12)', blocks: 'nothing', work: 'none', note: 'DDL is never transactional on MySQL' }] },
  'drop-column': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'metadata lock (INPLACE)', blocks: 'nothing', work: 'rewrite', note: 'the table is rebuilt in place; concurrent DML is allowed' }] },
  'alter-column-type': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'shared (ALGORITHM=COPY)', blocks: 'writes', work: 'rewrite', note: 'the table is copied; writes wait for the whole copy' }] },
  'set-not-null': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'metadata lock (INPLACE)', blocks: 'nothing', work: 'rewrite', note: 'the table is rebuilt in place' }] },
  'create-index': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'metadata lock (INPLACE)', blocks: 'nothing', work: 'scan', note: 'concurrent DML is allowed while the index is built' }] },
  'drop-index': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'metadata lock (INPLACE)', blocks: 'nothing', work: 'none' }] },
  'add-foreign-key': { source: MYSQL_ONLINE_DDL, rows: [{ lock: 'shared (ALGORITHM=COPY with foreign_key_checks)', blocks: 'writes', work: 'rewrite' }] },
};

/** SQLite: one writer per database file; Django rebuilds the table for most ALTERs. */
const SQLITE: Partial<Record<StatementKind, { source: string; rows: Row[] }>> = {
  'add-column': { source: SQLITE_ALTER, rows: [{ lock: 'database write lock', blocks: 'writes', work: 'none' }] },
  'rename-column': { source: SQLITE_ALTER, rows: [{ lock: 'database write lock', blocks: 'writes', work: 'none' }] },
  'rename-table': { source: SQLITE_ALTER, rows: [{ lock: 'database write lock', blocks: 'writes', work: 'none' }] },
  'create-index': { source: SQLITE_ALTER, rows: [{ lock: 'database write lock', blocks: 'writes', work: 'scan' }] },
};

const TABLES: Record<DatabaseVendor, Partial<Record<StatementKind, { source: string; rows: Row[] }>>> = { postgresql: POSTGRESQL, mysql: MYSQL, sqlite: SQLITE };

/** The facts of one statement kind on the target database (unknown when the table has no row). */
export function lockFact(kind: StatementKind, target: TargetDatabase): LockFact {
  const entry = TABLES[target.vendor][kind];
  const row = entry?.rows.find((r) => !r.when || r.when(target));
  if (!entry || !row) return { kind, lock: 'unknown', blocks: 'unknown', work: 'unknown', transactional: true, note: `no ${target.vendor} entry for this statement`, source: '' };
  return { kind, lock: row.lock, blocks: row.blocks, work: row.work, transactional: row.transactional ?? true, note: row.note ?? null, source: entry.source };
}

/** Every PostgreSQL kind with its source, for the docs and the tests. */
export const POSTGRESQL_KINDS: readonly StatementKind[] = Object.keys(POSTGRESQL) as StatementKind[];

/**
 * The statements of a RunSQL that the schema-hazard rules judge, found where they are written:
 * each with its range inside the Python string literal (the statement, or the ALTER TABLE action
 * at fault), the table it names and the edit of its mechanical fix. Read from the tree while the
 * file is summarized, so the result is plain data the project rules (which see summaries only)
 * can judge against the model state. Strings are followed through implicit and `+`
 * concatenation, names bound in the file, lists and tuples of statements and `(sql, params)`
 * pairs. Statements are classified by locks/statement-kind.ts, the lock table's own classifier.
 */
import { alterAction, alterTableActions, kindOfCode } from './locks/statement-kind';
import type { StatementKind } from './locks/lock-table';
import { scanSql } from './sql';
import type { Scope } from './scope';
import type { Node } from './syntax';
import { executedStrings } from './sql-strings';
import type { Range, TextEdit } from './types';

/** The rules a RunSQL statement can be a finding of. */
export type SqlRuleId =
  | 'add-index-not-concurrent'
  | 'remove-index-not-concurrent'
  | 'alter-field-not-null'
  | 'alter-field-type'
  | 'add-field-not-null'
  | 'drop-column'
  | 'drop-table'
  | 'rename-column'
  | 'rename-table'
  | 'add-constraint-validates'
  | 'enum-value-in-transaction'
  | 'blocking-sql';

export interface SqlHazardSite {
  rule: SqlRuleId;
  /** What the statement (or clause) does, for messages: `CREATE INDEX "x" ON "t"`, `DROP COLUMN "c"`. */
  what: string;
  range: Range;
  /** The table it changes (last dotted part, unquoted, lower-cased unless quoted), or null. */
  table: string | null;
  /** The index a CREATE / DROP INDEX names; the constraint an ADD CONSTRAINT names (as written); the value ALTER TYPE adds; the column a column action names. */
  name: string | null;
  /** The only statement of its Python string: Django executes it on its own (outside a transaction when atomic = False). */
  alone: boolean;
  /** The edits of the statement's own mechanical fix (CONCURRENTLY, NOT VALID), when there is one. */
  edits?: TextEdit[];
  /** The table as written in the statement (schema and quotes kept), for generated SQL. */
  tableSql?: string;
  /** The statement's index in its operation's `literals`. */
  statement: number;
  /** The line the Python string starts on, when the range starts on a later one (where a suppression comment can go). */
  stringLine?: number;
  /** Written `IF EXISTS` (`IF NOT EXISTS` for CREATE INDEX): the author was not sure whether the object is there. */
  ifExists?: true;
  /** Run by a RunPython's code through this call (`cursor.execute()`), not by a RunSQL: no fix edits its string. */
  via?: string;
}

export interface SqlSites {
  hazards: SqlHazardSite[];
  /** Tables the SQL creates (CREATE TABLE, CREATE MATERIALIZED VIEW, SELECT … INTO), in order. */
  createdTables: string[];
  /** Those of them that are materialized views: nothing writes one but REFRESH MATERIALIZED VIEW. */
  createdMatviews?: string[];
  /** Indexes the SQL creates. */
  createdIndexes: string[];
  /** `CHECK (col IS NOT NULL)` constraints added (valid at once, or NOT VALID), and constraints validated: they spare SET NOT NULL its scan. */
  notNullChecks: Array<{ table: string; column: string; name: string | null; valid: boolean }>;
  validated: Array<{ table: string; name: string }>;
  /** The string literals each statement uses (not those in comments or function bodies), in order. */
  literals: string[][];
  /**
   * Every statement is an index build or drop (CONCURRENTLY or not) or an enum ADD VALUE, alone
   * in its Python string: the operation runs as it should with atomic = False.
   */
  nonAtomicReady: boolean;
}

/** `"Shop_Order"` → Shop_Order; `public.shop_order` → shop_order; unquoted names fold to lower case. */
export function sqlName(written: string): string {
  const last = /(?:"(?:[^"]|"")*"|[^."\s]+)\s*$/.exec(written.trim())?.[0].trim() ?? written.trim();
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last.toLowerCase();
}

/** A table name, or null when it is a template's hole (`"{table}"`, `%s`) filled in by `.format()` or `%`. */
function tableName(written: string): string | null {
  return /[{}%]/.test(written) ? null : sqlName(written);
}

const NAME = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))*`;
const IF_EXISTS = String.raw`(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`;

/** One line, at most 60 characters. */
function short(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 59)}…` : one;
}

/** What one statement contributes: hazards (range offsets in the string), creations. */
interface StatementFacts {
  hazards: Array<{ rule: SqlRuleId; what: string; from: number; to: number; table: string | null; name: string | null; insert?: { at: number; text: string }; tableSql?: string; ifExists?: true }>;
  createdTable: string | null;
  /** createdTable is a materialized view. */
  matview?: true;
  createdIndex: string | null;
  /** `ALTER TABLE a RENAME TO b`. */
  renamedTable: { from: string; to: string } | null;
  kind: StatementKind;
  notNullChecks: SqlSites['notNullChecks'];
  validated: SqlSites['validated'];
}

const ROUTINE = /^\s*(?:CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|TRIGGER|RULE|VIEW|MATERIALIZED)\b/i;

/** Volatile defaults (and serial, stored generated columns) make ADD COLUMN rewrite the table. */
const REWRITING_ADD = /\b(?:DEFAULT\s+(?:[\w.]+\.)?(?:random|gen_random_uuid|uuid_generate_v[14]\w*|clock_timestamp|timeofday|nextval)\s*\(|(?:SMALL|BIG)?SERIAL\d?\b|GENERATED\s+ALWAYS\s+AS\s*\(|GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\b)/i;

/** Reads one statement: `mask` is the statement's slice of the scan mask, `base` its offset. */
function statementFacts(code: string, raw: string, mask: string, base: number): StatementFacts {
  const kind = kindOfCode(code);
  const facts: StatementFacts = { hazards: [], createdTable: null, createdIndex: null, renamedTable: null, kind, notNullChecks: [], validated: [] };
  const lead = mask.length - mask.trimStart().length;
  const stmtFrom = base + lead;
  const stmtTo = base + mask.trimEnd().length;
  const whole = (rule: SqlRuleId, what: string, table: string | null, name: string | null, insert?: { at: number; text: string }, ifExists = false) =>
    facts.hazards.push({ rule, what, from: stmtFrom, to: stmtTo, table, name, ...(insert ? { insert } : {}), ...(ifExists ? { ifExists: true as const } : {}) });
  const m = mask.slice(lead);
  // A materialized view is a relation of its own too: an index on one created just before is on a new relation (review 23, arches 5475).
  const created = new RegExp(String.raw`^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP\s+|TEMPORARY\s+|UNLOGGED\s+)?(?:TABLE|MATERIALIZED\s+VIEW)\s+${IF_EXISTS}(${NAME})`, 'i').exec(m);
  if (created?.[1]) {
    facts.createdTable = sqlName(created[1]);
    if (/\bMATERIALIZED\s+VIEW\b/i.test(created[0])) facts.matview = true;
  }
  if (ROUTINE.test(m)) return facts;
  const index = new RegExp(String.raw`^CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?${IF_EXISTS}(${NAME}\s+)?ON\s+(?:ONLY\s+)?(${NAME})`, 'i').exec(m);
  if (index) {
    const name = index[3] ? sqlName(index[3]) : null;
    facts.createdIndex = name;
    if (!index[2]) {
      const at = stmtFrom + (/^CREATE\s+(?:UNIQUE\s+)?INDEX/i.exec(m)?.[0].length ?? 0);
      // ON ONLY builds an index of a partitioned table's parent, which PostgreSQL cannot build CONCURRENTLY.
      const fix = /\bON\s+ONLY\b/i.test(index[0]) ? undefined : { at, text: ' CONCURRENTLY' };
      whole('add-index-not-concurrent', short(`CREATE ${index[1] ? 'UNIQUE ' : ''}INDEX ${index[3] ?? ''} ON ${index[4]}`), tableName(index[4] as string), name, fix, /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\b/i.test(m));
    }
    return facts;
  }
  const drop = new RegExp(String.raw`^DROP\s+INDEX\s+(CONCURRENTLY\s+)?${IF_EXISTS}(${NAME})`, 'i').exec(m);
  if (drop) {
    const at = stmtFrom + (/^DROP\s+INDEX/i.exec(m)?.[0].length ?? 0);
    if (!drop[1]) whole('remove-index-not-concurrent', short(`DROP INDEX ${drop[2]}`), null, sqlName(drop[2] as string), { at, text: ' CONCURRENTLY' }, /^DROP\s+INDEX\s+IF\s+EXISTS\b/i.test(m));
    return facts;
  }
  const dropTable = new RegExp(String.raw`^DROP\s+TABLE\s+${IF_EXISTS}(${NAME}(?:\s*,\s*${NAME})*)`, 'i').exec(m);
  if (dropTable?.[1]) {
    for (const t of dropTable[1].split(',')) whole('drop-table', short(`DROP TABLE ${t.trim()}`), tableName(t), null);
    return facts;
  }
  const enumValue = new RegExp(String.raw`^ALTER\s+TYPE\s+(${NAME})\s+ADD\s+VALUE\b`, 'i').exec(m);
  if (enumValue) {
    const value = /\bADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'((?:[^']|'')*)'/i.exec(raw);
    whole('enum-value-in-transaction', short(`ALTER TYPE ${enumValue[1]} ADD VALUE`), null, value ? (value[1] as string) : null);
    return facts;
  }
  const blocking = blockingStatement(m);
  if (blocking) {
    // A view this RunSQL made a statement before (dropped and made again, then refreshed: review 73, frepple
    // `forecast/0009`) is no one else's until the commit: its REFRESH keeps no query waiting.
    const refreshed = new RegExp(String.raw`^REFRESH\s+MATERIALIZED\s+VIEW\s+(${NAME})`, 'i').exec(m);
    whole('blocking-sql', blocking, refreshed?.[1] ? tableName(refreshed[1]) : null, null);
    return facts;
  }
  const alter = new RegExp(String.raw`^ALTER\s+TABLE\s+${IF_EXISTS}(?:ONLY\s+)?(${NAME})`, 'i').exec(m);
  const actions = alter ? alterTableActions(m) : null;
  if (!alter || !actions) return facts;
  const table = tableName(alter[1] as string);
  for (const a of actions) {
    const text = a.text.trim();
    if (!text) continue;
    const from = stmtFrom + a.start + (a.text.length - a.text.trimStart().length);
    const to = from + text.length;
    const push = (rule: SqlRuleId, what: string, name: string | null = null, insert?: { at: number; text: string }) =>
      facts.hazards.push({ rule, what: short(what), from, to, table, name, ...(insert ? { insert } : {}) });
    const action = alterAction(text);
    const check = /^ADD\s+(?:CONSTRAINT\s+("(?:[^"]|"")*"|[\w$]+)\s+)?CHECK\s*\(\s*\(?\s*("(?:[^"]|"")*"|[\w$]+)\s*\)?\s+IS\s+NOT\s+NULL\s*\)/i.exec(text);
    if (check && table) facts.notNullChecks.push({ table, column: sqlName(check[2] as string), name: check[1] ? sqlName(check[1]) : null, valid: !/\bNOT\s+VALID\b/i.test(text) });
    const validate = /^VALIDATE\s+CONSTRAINT\s+("(?:[^"]|"")*"|[\w$]+)/i.exec(text);
    if (validate && table) facts.validated.push({ table, name: sqlName(validate[1] as string) });
    const column = /^(?:ADD|DROP|ALTER|RENAME)\s+(?:COLUMN\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?("(?:[^"]|"")*"|[\w$]+)/i.exec(text)?.[1] ?? '';
    switch (action) {
      case 'set-not-null':
        push('alter-field-not-null', `ALTER COLUMN ${column} SET NOT NULL`, sqlName(column));
        break;
      case 'alter-column-type':
        push('alter-field-type', short(text), sqlName(column));
        break;
      case 'add-column':
      case 'add-column-fk':
      case 'add-column-check':
        if (/\bNOT\s+NULL\b/i.test(text) && !/\bPRIMARY\s+KEY\b/i.test(text) && !REWRITING_ADD.test(text) && !(action === 'add-column-check' && /\bDEFAULT\b/i.test(text))) push('add-field-not-null', `ADD COLUMN ${column} … NOT NULL`);
        // A column's CHECK cannot be NOT VALID: every row is checked, NULL or not (the constraint added
        // apart, NOT VALID, and validated later avoids it).
        if (action === 'add-column-check') push('add-constraint-validates', `ADD COLUMN ${column} … CHECK`);
        // Every existing row holds the new column's default: without one (or with NULL) PostgreSQL has
        // no row to check against the referenced table, as for Django's own AddField of a nullable key.
        if (action === 'add-column-fk' && /\bDEFAULT\s+(?!NULL\b)/i.test(text)) push('add-constraint-validates', `ADD COLUMN ${column} … REFERENCES`);
        if (REWRITING_ADD.test(text)) push('blocking-sql', `ADD COLUMN ${column} with a default computed per row`);
        break;
      case 'add-column-default':
      case 'add-column-computed':
        if (REWRITING_ADD.test(text)) push('blocking-sql', `ADD COLUMN ${column} with a default computed per row`);
        break;
      case 'drop-column':
        push('drop-column', `DROP COLUMN ${column}`, sqlName(column));
        break;
      case 'rename-table': {
        push('rename-table', `RENAME TO ${/^RENAME\s+TO\s+(\S+)/i.exec(text)?.[1] ?? ''}`);
        const target = new RegExp(String.raw`^RENAME\s+TO\s+(${NAME})`, 'i').exec(text)?.[1];
        const renamed = target ? tableName(target) : null;
        if (table && renamed) facts.renamedTable = { from: table, to: renamed };
        break;
      }
      case 'rename-column':
        if (!/^RENAME\s+CONSTRAINT\b/i.test(text)) push('rename-column', `RENAME COLUMN ${column}`, sqlName(column));
        break;
      case 'add-check':
      case 'add-foreign-key': {
        const name = /^ADD\s+CONSTRAINT\s+("(?:[^"]|"")*"|[\w$]+)/i.exec(text)?.[1];
        push('add-constraint-validates', `ADD ${name ? `CONSTRAINT ${name} ` : ''}${action === 'add-check' ? 'CHECK' : 'FOREIGN KEY'}`, name ?? null, { at: to, text: ' NOT VALID' });
        (facts.hazards[facts.hazards.length - 1] as { tableSql?: string }).tableSql = (alter[1] as string).trim();
        break;
      }
      case 'add-unique':
      case 'add-primary-key':
        if (!/\bUSING\s+INDEX\b/i.test(text)) push('add-index-not-concurrent', short(text));
        break;
      default:
        // An exclusion constraint builds its index under the ALTER's ACCESS EXCLUSIVE lock, with no concurrent way (review 36: actionpopulaire `elus/0008`).
        if (/^ADD\s+(?:CONSTRAINT\s+(?:"(?:[^"]|"")*"|[\w$]+)\s+)?EXCLUDE\b/i.test(text)) push('add-index-not-concurrent', short(text));
        if (/^SET\s+(?:TABLESPACE|LOGGED|UNLOGGED)\b/i.test(text)) push('blocking-sql', `ALTER TABLE … ${short(text)}`);
    }
  }
  return facts;
}

/** Statements that hold a lock blocking reads or writes for as long as they take, and that no other rule names. */
function blockingStatement(m: string): string | null {
  if (/^VACUUM\s*\(?[^;]*\bFULL\b/i.test(m)) return 'VACUUM FULL';
  if (/^CLUSTER\b/i.test(m)) return 'CLUSTER';
  if (/^REINDEX\b/i.test(m) && !/^REINDEX\s*(?:\([^)]*\)\s*)?\w+\s+CONCURRENTLY\b/i.test(m) && !/^REINDEX\s*\([^)]*\bCONCURRENTLY\b/i.test(m)) return short(m.split(/\s+/).slice(0, 3).join(' '));
  const lock = /^LOCK\s+(?:TABLE\s+)?[\s\S]*?(?:\bIN\s+([A-Z ]+?)\s+MODE\b|$)/i.exec(m);
  if (lock && /^LOCK\b/i.test(m)) {
    const mode = (lock[1] ?? 'ACCESS EXCLUSIVE').replace(/\s+/g, ' ').toUpperCase();
    if (mode === 'ACCESS SHARE' || mode === 'ROW SHARE' || mode === 'ROW EXCLUSIVE' || mode === 'SHARE UPDATE EXCLUSIVE') return null;
    return `LOCK TABLE … IN ${mode} MODE`;
  }
  if (/^REFRESH\s+MATERIALIZED\s+VIEW\b/i.test(m) && !/^REFRESH\s+MATERIALIZED\s+VIEW\s+CONCURRENTLY\b/i.test(m)) return 'REFRESH MATERIALIZED VIEW';
  if (/^ALTER\s+DOMAIN\b[\s\S]*\bADD\b/i.test(m) && !/\bNOT\s+VALID\b/i.test(m)) return 'ALTER DOMAIN … ADD CONSTRAINT';
  return null;
}

const NON_ATOMIC_READY = new Set<StatementKind>(['create-index', 'create-unique-index', 'create-index-concurrently', 'drop-index', 'drop-index-concurrently', 'enum-add-value']);

/** The hazard sites of a RunSQL's forward `sql` argument. */
export function sqlSites(sqlNode: Node, scope: Scope): SqlSites {
  const out: SqlSites = { hazards: [], createdTables: [], createdIndexes: [], notNullChecks: [], validated: [], literals: [], nonAtomicReady: true };
  const createdTables = new Set<string>();
  const createdIndexes = new Set<string>();
  /** DROP TABLE sites by table: a table built here and renamed to that name makes the drop a rebuild. */
  const drops = new Map<string, SqlHazardSite[]>();
  for (const str of executedStrings(sqlNode, scope)) {
    const { statements, mask } = scanSql(str.text);
    const alone = statements.length === 1;
    for (const st of statements) {
      const raw = str.text.slice(st.start, st.end);
      const stMask = mask.slice(st.start, st.end);
      const facts = statementFacts(st.code, raw, stMask, st.start);
      const statement = out.literals.length;
      out.literals.push([...stMask.matchAll(/'[^']*'/g)].map((m) => raw.slice((m.index as number) + 1, (m.index as number) + m[0].length - 1)));
      if (!alone || !NON_ATOMIC_READY.has(facts.kind)) out.nonAtomicReady = false;
      for (const h of facts.hazards) {
        if (h.table && createdTables.has(h.table)) continue; // created by an earlier statement of this RunSQL
        if (h.rule === 'remove-index-not-concurrent' && h.name && createdIndexes.has(h.name)) continue;
        const range = { start: str.at(h.from), end: str.at(h.to, true) };
        const site: SqlHazardSite = { rule: h.rule, what: h.what, range, table: h.table, name: h.name, alone, statement, ...(h.tableSql ? { tableSql: h.tableSql } : {}), ...(range.start.line !== str.line ? { stringLine: str.line } : {}), ...(h.ifExists ? { ifExists: true as const } : {}) };
        if (h.insert && !str.filled(h.insert.at)) {
          const p = str.at(h.insert.at, true);
          site.edits = [{ range: { start: p, end: p }, newText: h.insert.text }];
        }
        out.hazards.push(site);
        if (h.rule === 'drop-table' && h.table) drops.set(h.table, [...(drops.get(h.table) ?? []), site]);
      }
      out.notNullChecks.push(...facts.notNullChecks);
      out.validated.push(...facts.validated);
      if (facts.createdTable) createdTables.add(facts.createdTable);
      if (facts.createdTable && facts.matview) (out.createdMatviews ??= []).push(facts.createdTable);
      // A table rebuilt under its own name (CREATE TABLE t_new …; INSERT … SELECT; DROP TABLE t;
      // ALTER TABLE t_new RENAME TO t), as SQLite needs for most changes: the name never goes away
      // for the code still running, and what follows is on a table this RunSQL built.
      const renamed = facts.renamedTable;
      if (renamed && createdTables.has(renamed.from)) {
        createdTables.add(renamed.to);
        const dropped = drops.get(renamed.to) ?? [];
        out.hazards = out.hazards.filter((h) => !dropped.includes(h));
      }
      if (facts.createdIndex) createdIndexes.add(facts.createdIndex);
    }
  }
  out.createdTables = [...createdTables];
  out.createdIndexes = [...createdIndexes];
  return out;
}

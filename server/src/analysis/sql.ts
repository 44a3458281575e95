/**
 * Reads the SQL text of RunSQL far enough to classify it: which statements change data (DML,
 * including DML inside `WITH` and `DO` blocks), which change schema, and which PostgreSQL refuses
 * to run inside a transaction. Function and trigger bodies are definitions, not executed DML.
 */

export type StatementClass =
  | 'dml'
  | 'ddl-existing' // changes an object that existed before (ALTER TABLE, CREATE INDEX ON t, ...)
  | 'ddl-new' // creates an object that did not exist (CREATE TABLE, CREATE FUNCTION, ...)
  | 'other' // SELECT, SET, GRANT, COMMENT, ...
  | 'unknown';

export interface SqlStatement {
  /** The statement with comments removed and string/dollar-quoted bodies blanked. */
  code: string;
  /** The statement as written (comments removed), for messages and reverse generation. */
  text: string;
  cls: StatementClass;
  /** Why PostgreSQL refuses it inside a transaction block, or null. */
  nonTransactional: string | null;
}

/**
 * Splits on top-level semicolons. Returns two parallel views of each statement: `code`, where
 * quoted text is replaced by spaces so keywords inside literals are never matched, and `text`.
 */
export function splitStatements(sql: string): Array<{ code: string; text: string }> {
  return scanSql(sql).statements;
}

/** A statement of `splitStatements` with where it stands in the text: `sql.slice(start, end)`, comments included. */
export interface ScannedStatement {
  code: string;
  text: string;
  start: number;
  end: number;
}

/**
 * `splitStatements` with positions, and `mask`: the text with comments, string literals and
 * dollar-quoted bodies blanked (same length, line breaks kept), so a pattern matched on the mask
 * never matches a keyword inside them and its offsets are offsets in the text.
 */
export function scanSql(sql: string): { statements: ScannedStatement[]; mask: string } {
  const out: ScannedStatement[] = [];
  let code = '';
  let text = '';
  let mask = '';
  let start = -1;
  let end = 0;
  let i = 0;
  let blockDepth = 0; // BEGIN ... END inside CREATE TRIGGER / FUNCTION bodies written without quotes
  const blank = (from: number, to: number) => {
    mask += sql.slice(from, to).replace(/[^\n]/g, ' ');
  };
  const keep = (from: number, to: number) => {
    mask += sql.slice(from, to);
    if (start < 0) start = from;
    end = to;
  };
  const flush = () => {
    if (code.trim()) out.push({ code: code.trim(), text: text.trim(), start, end });
    code = '';
    text = '';
    start = -1;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const stop = sql.indexOf('\n', i);
      blank(i, stop === -1 ? sql.length : stop);
      i = stop === -1 ? sql.length : stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const stop = sql.indexOf('*/', i + 2);
      blank(i, stop === -1 ? sql.length : stop + 2);
      i = stop === -1 ? sql.length : stop + 2;
      code += ' ';
      text += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        if (sql[j] === '\\' && c === "'") j++;
        j++;
      }
      const literal = sql.slice(i, j + 1);
      // Identifiers in double quotes keep their text in `code`: they are names, not data.
      code += c === "'" ? "''" : literal;
      const close = Math.min(j + 1, sql.length);
      if (c === "'") {
        keep(i, i + 1);
        blank(i + 1, Math.max(i + 1, close - 1));
        if (close - 1 > i) keep(close - 1, close);
      } else keep(i, close);
      text += literal;
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        const stop = end === -1 ? sql.length : end + tag.length;
        const body = sql.slice(i, stop);
        keep(i, i + tag.length);
        blank(i + tag.length, end === -1 ? stop : end);
        if (end !== -1) keep(end, stop);
        code += ` $BODY(${body.length}) `;
        text += body;
        i = stop;
        continue;
      }
    }
    if (c === ';' && blockDepth === 0) {
      flush();
      mask += ';';
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c) && (i === 0 || !/[A-Za-z0-9_]/.test(sql[i - 1] as string))) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i, i + 64));
      const word = m ? m[0] : c;
      const upper = word.toUpperCase();
      if ((upper === 'BEGIN' || upper === 'CASE' || upper === 'END') && isRoutineDefinition(code)) {
        if (upper === 'END') blockDepth = Math.max(0, blockDepth - 1);
        else blockDepth++;
      }
      code += word;
      text += word;
      keep(i, i + word.length);
      i += word.length;
      continue;
    }
    code += c;
    text += c;
    if (/\s/.test(c)) mask += c;
    else keep(i, i + 1);
    i++;
  }
  flush();
  return { statements: out, mask };
}

function isRoutineDefinition(code: string): boolean {
  return /^\s*CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?(TRIGGER|FUNCTION|PROCEDURE|RULE)\b/i.test(code);
}

const DML_START = /^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY|UPSERT|REPLACE)\b/i;
/**
 * A write anywhere in a statement (a CTE, a DO block's body). UPDATE may name `ONLY` the table, and
 * an alias with or without AS (`UPDATE shop_order o SET …`).
 */
const DML_ANYWHERE = /\b(INSERT\s+INTO|UPDATE\s+(?:ONLY\s+)?[A-Za-z_"`.][A-Za-z0-9_"`.]*\s*\*?\s+(?:(?:AS\s+)?(?!SET\b)[A-Za-z_][A-Za-z0-9_]*\s+)?SET|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE)\b/i;

function nonTransactionalReason(code: string): string | null {
  if (/^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/i.test(code)) return 'CREATE INDEX CONCURRENTLY';
  if (/^\s*DROP\s+INDEX\s+CONCURRENTLY\b/i.test(code)) return 'DROP INDEX CONCURRENTLY';
  if (/^\s*REINDEX\b[^;]*\bCONCURRENTLY\b/i.test(code)) return 'REINDEX CONCURRENTLY';
  if (/^\s*ALTER\s+TABLE\b[^;]*\bDETACH\s+PARTITION\b[^;]*\bCONCURRENTLY\b/i.test(code)) return 'DETACH PARTITION CONCURRENTLY';
  if (/^\s*VACUUM\b/i.test(code)) return 'VACUUM';
  if (/^\s*(CREATE|DROP)\s+(DATABASE|TABLESPACE)\b/i.test(code)) return code.trim().split(/\s+/).slice(0, 2).join(' ').toUpperCase();
  if (/^\s*ALTER\s+SYSTEM\b/i.test(code)) return 'ALTER SYSTEM';
  return null;
}

export function classifyStatement(code: string): StatementClass {
  const c = code.trim();
  if (DML_START.test(c)) return 'dml';
  if (/^\s*WITH\b/i.test(c)) return DML_ANYWHERE.test(c) ? 'dml' : 'other';
  if (/^\s*DO\b/i.test(c)) return 'unknown'; // an anonymous block; body handled by the caller
  if (/^\s*SELECT\b/i.test(c)) return /\bINTO\s+(TEMP|TEMPORARY|UNLOGGED|TABLE\s+)?\s*[A-Za-z_"]/i.test(c) && !/\bINTO\s+STRICT\b/i.test(c) ? 'ddl-new' : 'other';
  if (/^\s*CREATE\s+(OR\s+REPLACE\s+)?(GLOBAL\s+|LOCAL\s+)?(TEMP\s+|TEMPORARY\s+|UNLOGGED\s+)?(TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|DOMAIN|EXTENSION|FUNCTION|PROCEDURE|SCHEMA|COLLATION|AGGREGATE|OPERATOR|TEXT\s+SEARCH|LANGUAGE|ROLE|USER|SERVER|FOREIGN\s+DATA|CAST|PUBLICATION|SUBSCRIPTION|STATISTICS)\b/i.test(c)) return 'ddl-new';
  if (/^\s*(CREATE|ALTER|DROP|RENAME|REINDEX|CLUSTER|VACUUM|LOCK|REFRESH)\b/i.test(c)) return 'ddl-existing';
  if (/^\s*(SET|RESET|GRANT|REVOKE|COMMENT|ANALYZE|ANALYSE|EXPLAIN|SHOW|NOTIFY|LISTEN|BEGIN|COMMIT|START|SAVEPOINT|RELEASE|ROLLBACK|PRAGMA|CALL|EXECUTE|PREPARE|DEALLOCATE|DISCARD|CHECKPOINT)\b/i.test(c)) return 'other';
  return 'unknown';
}

export function analyseSql(sql: string): SqlStatement[] {
  return splitStatements(sql).map(({ code, text }) => {
    let cls = classifyStatement(code);
    if (cls === 'unknown' && /^\s*DO\b/i.test(code)) {
      // DO runs its body now: look inside the quoted body for writes.
      cls = DML_ANYWHERE.test(text) ? 'dml' : /\b(ALTER|CREATE|DROP)\s+(TABLE|INDEX)\b/i.test(text) ? 'ddl-existing' : 'unknown';
    }
    return { code, text, cls, nonTransactional: nonTransactionalReason(code) };
  });
}

/** A table name as SQL writes it: bare, "double-quoted" or `backquoted` (MySQL, ClickHouse) parts, dotted. */
const TABLE_NAME = String.raw`((?:"[^"]*"|\`[^\`]*\`|[A-Za-z0-9_.])+)`;
const DDL_TABLE = [
  new RegExp(String.raw`^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${TABLE_NAME}`, 'i'),
  new RegExp(String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b[\s\S]*?\bON\s+(?:ONLY\s+)?${TABLE_NAME}`, 'i'),
  new RegExp(String.raw`^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\b[\s\S]*?\bON\s+${TABLE_NAME}`, 'i'),
  new RegExp(String.raw`^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${TABLE_NAME}`, 'i'),
];

/** The first table an existing-object DDL statement names, unquoted and lower-cased, or null. */
export function ddlTable(code: string): string | null {
  for (const re of DDL_TABLE) {
    const m = re.exec(code);
    if (m?.[1]) return m[1].replace(/["`]/g, '').toLowerCase();
  }
  return null;
}

/**
 * Inverse statements for the SQL shapes whose undo is unambiguous: CREATE [UNIQUE] INDEX
 * [CONCURRENTLY] [IF NOT EXISTS] name, ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] c (one clause),
 * ALTER TABLE t ADD CONSTRAINT c, CREATE TABLE [IF NOT EXISTS] t, CREATE [MATERIALIZED] VIEW v (not OR
 * REPLACE: what it replaced is unknown), CREATE SEQUENCE s, CREATE TEXT SEARCH CONFIGURATION / DICTIONARY c,
 * ALTER TABLE / SEQUENCE / INDEX / [MATERIALIZED] VIEW old RENAME TO new, ALTER TABLE t RENAME [COLUMN |
 * CONSTRAINT] a TO b. Anything else: null.
 */
import type { SqlStatement } from '../sql';

const NAME = String.raw`((?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)`;

const CREATE_INDEX = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?${NAME}\s+ON\b`, 'i');
const ADD_COLUMN = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${NAME}\s+ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?${NAME}\s`, 'i');
const ADD_CONSTRAINT = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${NAME}\s+ADD\s+CONSTRAINT\s+${NAME}\s`, 'i');
// Not `CREATE OR REPLACE`: what it replaced is not known.
const CREATE_VIEW = new RegExp(String.raw`^CREATE\s+(?:TEMP(?:ORARY)?\s+)?(MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}[\s(]`, 'i');
const CREATE_SEQUENCE = new RegExp(String.raw`^CREATE\s+SEQUENCE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}(?:\s|;|$)`, 'i');
const CREATE_TEXT_SEARCH = new RegExp(String.raw`^CREATE\s+TEXT\s+SEARCH\s+(CONFIGURATION|DICTIONARY)\s+${NAME}\s*\(`, 'i');
const CREATE_TABLE = new RegExp(String.raw`^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}\s*\(`, 'i');
const BARE = String.raw`("[^"]+"|[A-Za-z_][\w$]*)`;
/** `ALTER SEQUENCE [IF EXISTS] old RENAME TO new` (a table, an index, a view too): the new name takes no schema. */
const RENAME_TO = new RegExp(String.raw`^ALTER\s+(TABLE|SEQUENCE|INDEX|VIEW|MATERIALIZED\s+VIEW)\s+(IF\s+EXISTS\s+)?${NAME}\s+RENAME\s+TO\s+${BARE}\s*;?$`, 'i');
/** `ALTER TABLE t RENAME [COLUMN] a TO b`, `… RENAME CONSTRAINT a TO b`. */
const RENAME_PART = new RegExp(String.raw`^ALTER\s+TABLE\s+((?:IF\s+EXISTS\s+)?(?:ONLY\s+)?)${NAME}\s+RENAME\s+(?:(COLUMN|CONSTRAINT)\s+)?${BARE}\s+TO\s+${BARE}\s*;?$`, 'i');

/** True when `code` has a comma outside parentheses: several clauses in one ALTER TABLE. */
function hasTopLevelComma(code: string): boolean {
  let depth = 0;
  for (const c of code) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) return true;
  }
  return false;
}

export function inverseStatement(statement: SqlStatement): string | null {
  const code = statement.code.trim();
  let m = CREATE_INDEX.exec(code);
  if (m) return `DROP INDEX ${m[1] ? 'CONCURRENTLY ' : ''}IF EXISTS ${m[2]};`;
  m = ADD_CONSTRAINT.exec(code);
  if (m && !hasTopLevelComma(code)) return `ALTER TABLE ${m[1]} DROP CONSTRAINT IF EXISTS ${m[2]};`;
  m = ADD_COLUMN.exec(code);
  if (m && !hasTopLevelComma(code) && !/^CONSTRAINT$/i.test(m[2] ?? '')) return `ALTER TABLE ${m[1]} DROP COLUMN IF EXISTS ${m[2]};`;
  m = CREATE_TABLE.exec(code);
  if (m) return `DROP TABLE IF EXISTS ${m[1]};`;
  // Renamed back (review 59: Geotrek renames its sequences so).
  m = RENAME_TO.exec(code);
  if (m) {
    const old = /^(?:(.+)\.)?("[^"]+"|[A-Za-z_][\w$]*)$/.exec(m[3] as string);
    if (!old) return null;
    return `ALTER ${(m[1] as string).replace(/\s+/g, ' ').toUpperCase()} ${m[2] ? 'IF EXISTS ' : ''}${old[1] ? `${old[1]}.` : ''}${m[4]} RENAME TO ${old[2]};`;
  }
  m = RENAME_PART.exec(code);
  if (m) return `ALTER TABLE ${(m[1] as string).replace(/\s+/g, ' ').toUpperCase()}${m[2]} RENAME ${(m[3] ?? 'COLUMN').toUpperCase()} ${m[5]} TO ${m[4]};`;
  m = CREATE_VIEW.exec(code);
  if (m) return `DROP ${m[1] ? 'MATERIALIZED ' : ''}VIEW IF EXISTS ${m[2]};`;
  m = CREATE_SEQUENCE.exec(code);
  if (m) return `DROP SEQUENCE IF EXISTS ${m[1]};`;
  // Review 37: les-emplois `utils/0001` creates its search configuration so.
  m = CREATE_TEXT_SEARCH.exec(code);
  if (m) return `DROP TEXT SEARCH ${(m[1] as string).toUpperCase()} IF EXISTS ${m[2]};`;
  return null;
}

/** The inverse of every statement, in reverse order, or null if any one is not recognised. */
export function inverseStatements(statements: readonly SqlStatement[]): string[] | null {
  if (statements.length === 0) return null;
  const out: string[] = [];
  for (const st of [...statements].reverse()) {
    const inv = inverseStatement(st);
    if (!inv) return null;
    out.push(inv);
  }
  return out;
}

/**
 * Which row of the lock table a SQL statement is: read from the statement's text (Django's own
 * statements and RunSQL's alike). An ALTER TABLE with several actions is the most demanding of
 * them. Quoted names and literals are never matched as keywords (sql.ts blanks them).
 */
import { splitStatements } from '../sql';
import type { StatementKind } from './lock-table';

/** Most demanding first: the kind an ALTER TABLE with several actions is shown as. */
const RANK: readonly StatementKind[] = [
  'alter-column-type',
  'add-column-computed',
  'add-primary-key',
  'add-unique',
  'set-not-null',
  'add-check',
  'add-column-check',
  'add-foreign-key',
  'add-column-default',
  'add-column-fk',
  'drop-foreign-key',
  'drop-column',
  'drop-constraint',
  'add-check-not-valid',
  'add-foreign-key-not-valid',
  'rename-column',
  'alter-column-type-widen',
  'add-column',
  'drop-not-null',
  'set-default',
  'drop-default',
  'validate-constraint',
];

/** A new column whose value is computed for each row: serial, identity, stored generated, a volatile default. */
const COMPUTED_PER_ROW = /\b(?:DEFAULT\s+(?:[\w.]+\.)?(?:random|gen_random_uuid|uuid_generate_v[14]\w*|clock_timestamp|timeofday|nextval)\s*\(|(?:SMALL|BIG)?SERIAL\d?\b|GENERATED\s+ALWAYS\s+AS\s*\(|GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\b)/i;

/** One ALTER TABLE action (`ADD COLUMN "x" integer DEFAULT 0 NOT NULL`) → its kind. */
export function alterAction(action: string): StatementKind | null {
  const a = action.trim();
  if (/^ADD\s+(COLUMN\s+)?(?!CONSTRAINT\b|CHECK\b|UNIQUE\b|PRIMARY\b|FOREIGN\b)/i.test(a)) {
    if (/\bREFERENCES\b/i.test(a)) return 'add-column-fk';
    if (COMPUTED_PER_ROW.test(a)) return 'add-column-computed';
    // A column constraint CHECK (…) (Django's for PositiveIntegerField): every row is checked.
    if (/\bCHECK\s*\(/i.test(a)) return 'add-column-check';
    if (/\bDEFAULT\b/i.test(a)) return 'add-column-default';
    return 'add-column';
  }
  if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?FOREIGN\s+KEY\b/i.test(a)) return /\bNOT\s+VALID\b/i.test(a) ? 'add-foreign-key-not-valid' : 'add-foreign-key';
  if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?CHECK\b/i.test(a)) return /\bNOT\s+VALID\b/i.test(a) ? 'add-check-not-valid' : 'add-check';
  if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?UNIQUE\b/i.test(a)) return 'add-unique';
  if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?PRIMARY\s+KEY\b/i.test(a)) return 'add-primary-key';
  if (/^DROP\s+(COLUMN\b|(?!CONSTRAINT\b)\S+\s*(CASCADE|RESTRICT)?$)/i.test(a)) return 'drop-column';
  if (/^DROP\s+CONSTRAINT\b/i.test(a)) return 'drop-constraint';
  if (/^VALIDATE\s+CONSTRAINT\b/i.test(a)) return 'validate-constraint';
  if (/^RENAME\s+TO\b/i.test(a)) return 'rename-table';
  if (/^RENAME\b/i.test(a)) return 'rename-column';
  if (/^ALTER\s+(COLUMN\s+)?(?!COLUMN\s)\S+\s+(SET\s+DATA\s+)?TYPE\b/i.test(a)) return 'alter-column-type';
  if (/^ALTER\s+(COLUMN\s+)?(?!COLUMN\s)\S+\s+SET\s+NOT\s+NULL\b/i.test(a)) return 'set-not-null';
  if (/^ALTER\s+(COLUMN\s+)?(?!COLUMN\s)\S+\s+DROP\s+NOT\s+NULL\b/i.test(a)) return 'drop-not-null';
  if (/^ALTER\s+(COLUMN\s+)?(?!COLUMN\s)\S+\s+SET\s+DEFAULT\b/i.test(a)) return 'set-default';
  if (/^ALTER\s+(COLUMN\s+)?(?!COLUMN\s)\S+\s+DROP\s+DEFAULT\b/i.test(a)) return 'drop-default';
  return null;
}

/** Splits `a, b, c` at top-level commas (not inside parentheses), with where each part starts. */
function topLevelParts(text: string): Array<{ text: string; start: number }> {
  const out: Array<{ text: string; start: number }> = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push({ text: text.slice(start, i), start });
      start = i + 1;
    }
  }
  out.push({ text: text.slice(start), start });
  return out;
}

const ALTER_TABLE = /^(\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+\s+)([\s\S]*)$/i;

/**
 * The actions of an ALTER TABLE statement (code, or a mask of the same length as its text), each
 * with its offset in `code`; null for any other statement.
 */
export function alterTableActions(code: string): Array<{ text: string; start: number }> | null {
  const m = ALTER_TABLE.exec(code);
  if (!m?.[2]) return null;
  const head = (m[1] as string).length;
  return topLevelParts(m[2]).map((p) => ({ text: p.text, start: head + p.start }));
}

/** The kind of one statement, given its code (quoted text blanked). */
export function kindOfCode(code: string): StatementKind {
  const c = code.trim();
  if (/^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/i.test(c)) return 'create-index-concurrently';
  if (/^CREATE\s+UNIQUE\s+INDEX\b/i.test(c)) return 'create-unique-index';
  if (/^CREATE\s+INDEX\b/i.test(c)) return 'create-index';
  if (/^DROP\s+INDEX\s+CONCURRENTLY\b/i.test(c)) return 'drop-index-concurrently';
  if (/^DROP\s+INDEX\b/i.test(c)) return 'drop-index';
  if (/^ALTER\s+INDEX\b[\s\S]*\bRENAME\s+TO\b/i.test(c)) return 'rename-index';
  if (/^CREATE\s+(UNLOGGED\s+)?TABLE\b/i.test(c)) return 'create-table';
  if (/^DROP\s+TABLE\b/i.test(c)) return 'drop-table';
  if (/^ALTER\s+TYPE\b[\s\S]*\bADD\s+VALUE\b/i.test(c)) return 'enum-add-value';
  if (/^UPDATE\b/i.test(c)) return 'update';
  if (/^INSERT\b/i.test(c)) return 'insert';
  if (/^DELETE\b/i.test(c)) return 'delete';
  if (/^SELECT\b/i.test(c)) return 'select';
  const actions = alterTableActions(c);
  if (actions) {
    const kinds = actions.map((a) => alterAction(a.text));
    if (kinds.some((k) => k === null)) return 'other';
    const found = kinds as StatementKind[];
    if (found.includes('rename-table')) return 'rename-table';
    return RANK.find((k) => found.includes(k)) ?? 'other';
  }
  return 'other';
}

/**
 * The kind of a statement as Django prints it. `SET CONSTRAINTS … IMMEDIATE; ALTER TABLE … DROP
 * CONSTRAINT …` (how Django drops a foreign key on PostgreSQL) is one foreign-key drop; an ADD
 * COLUMN with an inline REFERENCES followed by its SET CONSTRAINTS is one column add.
 */
export function statementKind(sql: string): StatementKind {
  const parts = splitStatements(sql).map((p) => p.code);
  const main = parts.filter((p) => !/^SET\s+CONSTRAINTS\b/i.test(p.trim()));
  if (main.length === 0) return 'other';
  const kind = kindOfCode(main[0] as string);
  if (kind === 'drop-constraint' && parts.length > main.length) return 'drop-foreign-key';
  return kind;
}

/**
 * Fixes for RunPython without reverse_code and RunSQL without reverse_sql: the `noop` reverse,
 * a named reverse function stub beside the forward one, and the inverse SQL where the forward
 * statements have an unambiguous undo.
 */
import { fieldColumn } from '../fields';
import type { Operation } from '../operations';
import type { SqlStatement } from '../sql';
import type { Scope } from '../scope';
import type { Node } from '../syntax';
import type { Fix, TextEdit } from '../types';
import { addKeywordAfter, eolOf, indentOf, insertAfter, pythonString, replaceNode } from './edits';
import { inverseStatements } from './inverse-sql';

/** Passes `value` as the reverse argument: replaces an explicit None, else adds the keyword. */
function setReverse(code: Node, reverse: Node | null, keyword: string, value: string, source: string): TextEdit {
  return reverse ? replaceNode(reverse, value) : addKeywordAfter(code, keyword, value, source);
}

function stubName(forward: string, scope: Scope): string {
  const base = /^forwards?(_|$)/.test(forward) ? forward.replace(/^forward/, 'backward') : `reverse_${forward}`;
  let name = base;
  for (let i = 2; scope.has(name); i++) name = `${base}_${i}`;
  return name;
}

export function runPythonReverseFixes(op: Operation, source: string, moduleScope: Scope): Fix[] {
  const rp = op.runPython;
  // `reverse_code=None` written out: the authors chose to stop a rollback here (see runSqlReverseFixes).
  if (!rp?.code || rp.reverseState === 'none') return [];
  const noop = `${(op.classCallee ?? op.callee).text}.noop`;
  const fixes: Fix[] = [
    { title: `${rp.reverse ? 'Use' : 'Add'} reverse_code=${noop}`, edits: [setReverse(rp.code, rp.reverse, 'reverse_code', noop, source)], isPreferred: true, safe: false },
  ];
  const target = rp.forward;
  // A stub only beside a module-level function: a method or a lambda has nowhere obvious to put it.
  if (target.kind === 'function' && target.def.parent?.type === 'module') {
    const def = target.def;
    const forward = def.childForFieldName('name')?.text;
    const params = def.childForFieldName('parameters')?.text ?? '(apps, schema_editor)';
    if (forward) {
      const name = stubName(forward, moduleScope);
      const eol = eolOf(source);
      const indent = indentOf(def.childForFieldName('body') ?? def, source) || '    ';
      const stub =
        `${eol}${eol}${eol}def ${name}${params}:${eol}` +
        `${indent}"""Reverse of ${forward}."""${eol}` +
        `${indent}# Undo what ${forward} changed; as written, rolling back changes nothing.`;
      fixes.push({
        title: `Add a reverse function ${name}() beside ${forward}()`,
        edits: [insertAfter(def, stub), setReverse(rp.code, rp.reverse, 'reverse_code', name, source)],
        isPreferred: false,
        safe: false,
      });
    }
  }
  return fixes;
}

const OBJECT = String.raw`(?:TABLE|INDEX|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|SCHEMA|EXTENSION|TRIGGER|DOMAIN|FUNCTION|PROCEDURE|AGGREGATE|COLLATION|TEXT\s+SEARCH\s+(?:CONFIGURATION|DICTIONARY|PARSER|TEMPLATE))`;
const DROP_ONCE = new RegExp(String.raw`^DROP\s+${OBJECT}\s+(?!(?:CONCURRENTLY\s+)?IF\s+EXISTS\b)`, 'i');
const CREATE_ONCE = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?${OBJECT}\s+(?!(?:CONCURRENTLY\s+)?IF\s+NOT\s+EXISTS\b)`, 'i');
/** ALTER TABLE actions a second run stops on: the column or constraint is there already, or gone. */
const ALTER_ONCE = /^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+\s+(?:ADD\s+(?!(?:COLUMN\s+)?IF\s+NOT\s+EXISTS\b)(?!(?:CONSTRAINT|CHECK|UNIQUE|PRIMARY|FOREIGN)\b)|ADD\s+CONSTRAINT\b|DROP\s+(?!(?:COLUMN\s+)?IF\s+EXISTS\b)(?!CONSTRAINT\b)|DROP\s+CONSTRAINT\s+(?!IF\s+EXISTS\b)|RENAME\b)/i;
/** `ALTER SEQUENCE old RENAME TO new` (an index, a view, a type …): a second run finds no `old`; with IF EXISTS it passes. */
const RENAME_ONCE = new RegExp(String.raw`^ALTER\s+(?!TABLE\b)${OBJECT}\s+(?!IF\s+EXISTS\b)[^;]*?\bRENAME\b`, 'i');
/** `CREATE [UNIQUE] <kind> [CONCURRENTLY] name`: the kind and the name it creates. */
const CREATED = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?(${OBJECT})\s+(?:CONCURRENTLY\s+)?"?([\w$.]+)"?`, 'i');

/** Whether an earlier statement drops, IF EXISTS, what `code` creates (`DROP TRIGGER IF EXISTS t ON …` then `CREATE TRIGGER t`). */
function droppedBefore(code: string, earlier: readonly SqlStatement[]): boolean {
  const m = CREATED.exec(code);
  if (!m) return false;
  const kind = (m[1] as string).replace(/\s+/g, ' ').toUpperCase();
  const name = (m[2] as string).toLowerCase();
  return earlier.some((st) => {
    const d = new RegExp(String.raw`^DROP\s+${kind.replace(/ /g, '\\s+')}\s+(?:CONCURRENTLY\s+)?IF\s+EXISTS\s+"?([\w$.]+)"?`, 'i').exec(st.code.trim());
    return !!d && (d[1] as string).toLowerCase() === name;
  });
}

/**
 * The first statement that, run again after a rollback that undid nothing, fails or writes its rows
 * twice: `DROP TABLE x` (gone already), `CREATE INDEX x` (there already), `ADD COLUMN`, `RENAME`, an
 * INSERT (review 37: les-emplois `approvals/0006` dropped a table with no IF EXISTS, and the no-op
 * reverse made a rollback seem to work while the next migrate failed). Null when each can run again.
 */
export function notRerunnable(statements: readonly SqlStatement[], created: ReadonlySet<string> = new Set()): SqlStatement | null {
  return statements.find((st) => {
    const code = st.code.trim();
    // A table this migration's CreateModel makes goes with the rollback, and its indexes and triggers with it.
    const table = /^(?:CREATE\b[^;]*?\bON\s+(?:ONLY\s+)?|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?|INSERT\s+INTO\s+)"?([\w$.]+)"?/i.exec(code)?.[1]?.toLowerCase();
    if (table && [...created].some((m) => table === m || table.endsWith(`_${m}`))) return false;
    // ALTER TABLE IF EXISTS old RENAME TO new: the second run finds no `old`, and does nothing.
    if (/^ALTER\s+TABLE\s+IF\s+EXISTS\s+\S+\s+RENAME\s+TO\b/i.test(code)) return false;
    if (CREATE_ONCE.test(code) && droppedBefore(code, statements.slice(0, statements.indexOf(st)))) return false;
    // An INSERT that skips what is there (`… WHERE NOT EXISTS (…)`, `ON CONFLICT DO NOTHING`) inserts nothing twice (review 59: sapl `parlamentares/0029`).
    const guarded = /\bWHERE\s+NOT\s+EXISTS\s*\(|\bON\s+CONFLICT\b[^;]*\bDO\s+NOTHING\b/i.test(code);
    return DROP_ONCE.test(code) || CREATE_ONCE.test(code) || ALTER_ONCE.test(code) || RENAME_ONCE.test(code) || (/^INSERT\b/i.test(code) && !guarded);
  }) ?? null;
}

const VIEW_CREATED = /^CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w$.]+)"?/i;

/**
 * A view `statements` create that reads a table or a column another operation of the migration
 * creates (an earlier one: the view could not read it otherwise), and so what a rollback of that operation drops with the view: PostgreSQL's schema editor
 * drops tables and columns with CASCADE, which takes the view along. With a no-op reverse the
 * rollback goes through and leaves the release before without its view, where without one it stops
 * (review 54: signals `0109` and `0136`, whose history view reads a table and a column they add).
 */
export function viewDroppedOnRollback(statements: readonly SqlStatement[], others: readonly Operation[]): { view: string; drops: string } | null {
  for (const st of statements) {
    const view = VIEW_CREATED.exec(st.code.trim())?.[1];
    if (!view) continue;
    const words = new Set(st.code.toLowerCase().match(/[a-z_][\w$]*/g) ?? []);
    const names = [...words];
    // A model's table as Django names it (`app_model`) or as db_table sets it.
    const tableOf = (model: string, dbTable: string | null | undefined): string | null =>
      typeof dbTable === 'string' ? (words.has(dbTable.toLowerCase()) ? dbTable.toLowerCase() : null) : (names.find((w) => w.endsWith(`_${model.toLowerCase()}`)) ?? null);
    const bare = view.toLowerCase().split('.').pop() as string;
    for (const op of others) {
      const args = op.args;
      // An unmanaged model (signals `reporting/0002`'s model over the view itself) or a proxy has no table to drop.
      if (args?.kind === 'CreateModel' && args.model && args.options.managed === true && args.options.proxy === false) {
        const table = tableOf(args.model, args.options.dbTable);
        if (table && table !== bare) return { view, drops: `table ${table}` };
      } else if (args?.kind === 'AddField' && args.model && args.name && args.field) {
        const column = fieldColumn(args.name, args.field);
        if (column && words.has(column.toLowerCase()) && tableOf(args.model, undefined)) return { view, drops: `column ${column}` };
      }
    }
  }
  return null;
}

/** The models (lower-case) the migration's operations create, whose tables a rollback drops. */
export function createdModels(ops: readonly Operation[]): Set<string> {
  return new Set(ops.flatMap((o) => (o.createsModel ? [o.createsModel.toLowerCase()] : [])));
}

/**
 * @param once what rules the no-op out: the statement that cannot run a second time (notRerunnable), a view the
 * rollback drops (viewDroppedOnRollback), or an index or constraint it would leave dropped (droppedGuard: review 80,
 * osis `base/0249`, `attribution/0032` — the release before runs without it, a unique one no longer guarding its rows)
 */
export function runSqlReverseFixes(op: Operation, source: string, once: SqlStatement | { view: string } | { guard: string } | null = null): Fix[] {
  const rs = op.runSql;
  const sqlNode = rs?.sql?.node;
  if (!rs || !sqlNode) return [];
  const reverse = rs.reverseState === 'none' ? rs.reverseNode : null;
  const noop = `${(op.classCallee ?? op.callee).text}.noop`;
  const fixes: Fix[] = [];
  const inverse = rs.sql?.state === 'known' && rs.sql.complete ? inverseStatements(rs.sql.statements) : null;
  if (inverse) {
    const value = inverse.length === 1 ? pythonString(inverse[0] as string) : `[${inverse.map(pythonString).join(', ')}]`;
    fixes.push({ title: `Add reverse_sql: ${inverse.join(' ')}`, edits: [setReverse(sqlNode, reverse, 'reverse_sql', value, source)], isPreferred: true, safe: false });
  }
  // `reverse_sql=None` written out is the authors' choice to stop a rollback here (review 26,
  // tilavarauspalvelu 0114: a rollback past it would drop a view through a CASCADE): no no-op for it.
  // Nor where migrating forward again after such a rollback would fail or insert twice, or where the
  // rollback drops the view the statement made.
  // Nor where an index or constraint is dropped (droppedGuard).
  if (!reverse && !once) fixes.push({ title: `Add reverse_sql=${noop}`, edits: [setReverse(sqlNode, reverse, 'reverse_sql', noop, source)], isPreferred: !inverse, safe: false });
  return fixes;
}

/** What a statement drops that the release before may rely on: an index or a constraint, named; else null. */
export function droppedGuard(code: string): string | null {
  const index = /^\s*DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?"?([\w$.]+)"?/i.exec(code);
  if (index) return `index ${index[1]}`;
  const constraint = /^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+\s+DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?"?([\w$.]+)"?/i.exec(code);
  return constraint ? `constraint ${constraint[1]}` : null;
}

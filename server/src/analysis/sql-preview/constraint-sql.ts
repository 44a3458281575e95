/**
 * The SQL text of indexes and constraints as Django's PostgreSQL schema editor writes it: CREATE
 * INDEX, a unique constraint's columns, DEFERRABLE, and a CHECK or an index's WHERE from a Q(...).
 * Plain functions of the spec and the model's columns; schema-editor.ts runs them.
 */
import type { ConstraintSpec, FieldSpec, IndexSpec } from '../fields';
import type { Value } from '../values';
import { cannot, checkSql, quoteName, requireAbsent } from './columns';

/** A field of the model by name: its column and its spec (null when the state does not have it). */
export type ColumnsOf = (name: string) => { column: string; field: FieldSpec | null };

export function createIndexSql(table: string, name: string, columnsSql: string, concurrently = false, unique = false, where = ''): string {
  return `CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${quoteName(name)} ON ${quoteName(table)} (${columnsSql})${where};`;
}

export function uniqueColumnsSql(c: ConstraintSpec, columnsOf: ColumnsOf): string {
  if (!c.fields || c.fields.length === 0) cannot('a unique constraint on expressions is not modelled');
  requireAbsent(c.call, ['include', 'opclasses', 'nulls_distinct', 'violation_error_code'], 'UniqueConstraint');
  return c.fields.map((f) => quoteName(columnsOf(f).column)).join(', ');
}

export function deferrableSql(c: ConstraintSpec): string {
  if (!c.deferrable) return '';
  const v = c.call?.kwargs.deferrable;
  const path = v?.kind === 'ref' ? (v.path ?? v.text) : '';
  if (/DEFERRED$/.test(path)) return ' DEFERRABLE INITIALLY DEFERRED';
  if (/IMMEDIATE$/.test(path)) return ' DEFERRABLE INITIALLY IMMEDIATE';
  cannot('deferrable= is not a Deferrable member');
}

/** A Q(...) over the model's fields, as SQL. */
export function conditionSql(columnsOf: ColumnsOf, q: Value | undefined): string {
  return checkSql(q, columnsOf);
}

/** A CheckConstraint's condition (`check=`, or `condition=` in newer Django), as SQL. */
export function checkConstraintSql(c: ConstraintSpec, columnsOf: ColumnsOf): string {
  return conditionSql(columnsOf, c.call?.kwargs.check ?? c.call?.kwargs.condition);
}

/** An Index's name, its columns as CREATE INDEX lists them (`-field` descending) and its WHERE. */
export function indexParts(index: IndexSpec, columnsOf: ColumnsOf): { name: string; columnsSql: string; where: string } {
  if (index.cls !== 'Index') cannot(`${index.cls} (an index type other than B-tree) is not modelled`);
  if (!index.name) cannot('the index has no readable name');
  if (index.expressions || !index.fields) cannot('an index on expressions is not modelled');
  requireAbsent(index.call, ['opclasses', 'include', 'db_tablespace'], 'Index');
  const where = index.partial ? ` WHERE ${conditionSql(columnsOf, index.call?.kwargs.condition)}` : '';
  const columnsSql = index.fields
    .map((f) => {
      const desc = f.startsWith('-');
      return `${quoteName(columnsOf(desc ? f.slice(1) : f).column)}${desc ? ' DESC' : ''}`;
    })
    .join(', ');
  return { name: index.name, columnsSql, where };
}

/** A conditional UniqueConstraint: Django makes it a partial unique index. */
export function partialUniqueSql(table: string, c: ConstraintSpec, name: string, columnsOf: ColumnsOf): string {
  if (c.deferrable) cannot('a deferrable conditional unique constraint');
  return createIndexSql(table, name, uniqueColumnsSql(c, columnsOf), false, true, ` WHERE ${conditionSql(columnsOf, c.call?.kwargs.condition)}`);
}

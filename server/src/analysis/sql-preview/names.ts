/**
 * Django's names for what it creates without a name: `<table>_<columns>_<digest><suffix>`, the
 * digest being the first 8 hex digits of an md5 over the table and column names, shortened to the
 * database's identifier limit the way Django's `_create_index_name` does (the digest and suffix
 * keep at most a third; table and columns share the rest).
 */
import type { DatabaseNames } from '../project/view';

export function namesDigest(names: DatabaseNames, parts: readonly string[], length: number): string {
  return names.digest(parts.join('')).slice(0, length);
}

/** Django's `_create_index_name(table, columns, suffix)`. */
export function createIndexName(names: DatabaseNames, table: string, columns: readonly string[], suffix = ''): string {
  const bare = table.includes('"') ? table.replace(/^.*"\."/, '').replace(/"/g, '') : table;
  let hashSuffix = `${namesDigest(names, [bare, ...columns], 8)}${suffix}`;
  const maxLength = names.maxNameLength ?? 200;
  const joined = columns.join('_');
  let name = `${bare}_${joined}_${hashSuffix}`;
  if (name.length <= maxLength) return name;
  if (hashSuffix.length > maxLength / 3) hashSuffix = hashSuffix.slice(0, Math.floor(maxLength / 3));
  const other = Math.floor((maxLength - hashSuffix.length) / 2) - 1;
  name = `${bare.slice(0, other)}_${joined.slice(0, other)}_${hashSuffix}`;
  if (name.startsWith('_') || /^\d/.test(name)) name = `D${name.slice(0, -1)}`;
  return name;
}

/** The name Django gives a foreign key constraint: the index name with `_fk_<to table>_<to column>`. */
export function foreignKeyName(names: DatabaseNames, table: string, column: string, toTable: string, toColumn: string): string {
  return createIndexName(names, table, [column], `_fk_${toTable}_${toColumn}`);
}

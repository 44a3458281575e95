/**
 * Reads RunSQL's `sql` / `reverse_sql` arguments: a string, a list or tuple of strings or of
 * `(sql, params)` pairs, names bound in the file, `RunSQL.noop`; then splits and classifies the
 * statements. Computed SQL reads as unknown.
 */
import type { Scope } from './scope';
import { analyseSql, type SqlStatement } from './sql';
import { dottedName, sequenceElements, staticString, unparen, type Node, type StaticString } from './syntax';

export interface SqlValue {
  node: Node;
  /** 'noop' for RunSQL.noop / '' ; 'unknown' when not statically readable. */
  state: 'known' | 'noop' | 'unknown';
  statements: SqlStatement[];
  /** False when part of the text is computed (f-string holes, `%`). */
  complete: boolean;
  /** Some statement is a `(sql, params)` pair: its text has placeholders Django fills in. */
  params?: boolean;
}


export function nameResolver(scope: Scope): (name: string) => Node | null {
  return (name) => {
    const b = scope.lookup(name);
    return b?.kind === 'value' ? b.node : null;
  };
}

export function readSql(node: Node, scope: Scope): SqlValue {
  const n = unparen(node);
  const name = dottedName(n);
  if (name && /(^|\.)RunSQL\.noop$/.test(name)) return { node, state: 'noop', statements: [], complete: true };
  const resolve = nameResolver(scope);
  const parts: StaticString[] = [];
  let params = false;
  const readOne = (el: Node): boolean => {
    const s = staticString(el, resolve);
    if (s) {
      parts.push(s);
      return true;
    }
    // (sql, params) pairs inside a list.
    const pair = sequenceElements(el);
    if (pair && pair.length === 2 && pair[0]) {
      const first = staticString(pair[0], resolve);
      if (first) {
        parts.push({ text: first.text, complete: first.complete });
        params = true;
        return true;
      }
    }
    return false;
  };
  let elements = sequenceElements(n);
  if (!elements && n.type === 'identifier') {
    const b = scope.lookup(n.text);
    if (b?.kind === 'value') elements = sequenceElements(b.node);
  }
  const ok = elements ? elements.every(readOne) : readOne(n);
  if (!ok) return { node, state: 'unknown', statements: [], complete: false };
  const statements = parts.flatMap((p) => analyseSql(p.text));
  if (statements.length === 0) return { node, state: 'noop', statements, complete: parts.every((p) => p.complete) };
  return { node, state: 'known', statements, complete: parts.every((p) => p.complete), ...(params ? { params } : {}) };
}


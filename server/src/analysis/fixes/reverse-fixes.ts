/**
 * Fixes for RunPython without reverse_code and RunSQL without reverse_sql: the `noop` reverse,
 * a named reverse function stub beside the forward one, and the inverse SQL where the forward
 * statements have an unambiguous undo.
 */
import type { Operation } from '../operations';
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
  const noop = `${op.callee.text}.noop`;
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

export function runSqlReverseFixes(op: Operation, source: string): Fix[] {
  const rs = op.runSql;
  const sqlNode = rs?.sql?.node;
  if (!rs || !sqlNode) return [];
  const reverse = rs.reverseState === 'none' ? rs.reverseNode : null;
  const noop = `${op.callee.text}.noop`;
  const fixes: Fix[] = [];
  const inverse = rs.sql?.state === 'known' && rs.sql.complete ? inverseStatements(rs.sql.statements) : null;
  if (inverse) {
    const value = inverse.length === 1 ? pythonString(inverse[0] as string) : `[${inverse.map(pythonString).join(', ')}]`;
    fixes.push({ title: `Add reverse_sql: ${inverse.join(' ')}`, edits: [setReverse(sqlNode, reverse, 'reverse_sql', value, source)], isPreferred: true, safe: false });
  }
  // `reverse_sql=None` written out is the authors' choice to stop a rollback here (review 26,
  // tilavarauspalvelu 0114: a rollback past it would drop a view through a CASCADE): no no-op for it.
  if (!reverse) fixes.push({ title: `Add reverse_sql=${noop}`, edits: [setReverse(sqlNode, reverse, 'reverse_sql', noop, source)], isPreferred: !inverse, safe: false });
  return fixes;
}

/**
 * SQL a RunPython runs itself — `cursor.execute("CREATE INDEX …")`, `schema_editor.execute(…)` with
 * a string written in the file — read as RunSQL's is (sql-sites.ts), so the schema-hazard rules
 * judge it too (review 31: cla_backend `legalaid/0018` builds seven GiST indexes on its biggest
 * tables that way, and nothing was said). Only statements the code runs for certain on the
 * migration's database: none under an `if` that tests the database vendor for another backend, none in a
 * function the RunPython does not reach, and none at all where the code also runs SQL it builds at run
 * time. No fix is written for them (the code around is the
 * authors'): the message says what to do.
 */
import { unitOf } from './code-flow';
import type { CodeIndex } from './code-facts';
import type { Operation } from './operations';
import type { Scope } from './scope';
import { sqlSites, type SqlSites } from './sql-sites';
import { callArguments, staticString, type Node } from './syntax';

/** An `if` around `call` (inside its function) that picks a database vendor other than PostgreSQL. */
function otherVendorOnly(call: Node): boolean {
  for (let p = call.parent; p && p.type !== 'function_definition'; p = p.parent) {
    if (p.type !== 'if_statement' && p.type !== 'elif_clause') continue;
    const condition = p.childForFieldName('condition')?.text ?? '';
    if (/vendor|engine|ENGINE/.test(condition) && !/postgres/i.test(condition)) return true;
  }
  return false;
}

/** The sites of the DDL a RunPython's forward code executes from strings of the file, or null when there is none. */
export function runPythonSqlSites(op: Operation, index: CodeIndex, scope: Scope): SqlSites | null {
  const unit = op.runPython ? unitOf(op.runPython.forward) : null;
  if (!unit) return null;
  const reach = index.reachable(unit);
  const executes = reach.flatMap((f) => f.unit.node.descendantsOfType('call').filter((c) => /\.execute(?:many)?$/.test(c.childForFieldName('function')?.text ?? '')));
  if (executes.length === 0) return null;
  // SQL built at run time beside it (awx `main/0144` renames and rebuilds its event tables in f-strings):
  // what the readable statements act on is not known, so none is judged. A name of the file bound to a
  // string (`cursor.execute(CREATE_SQL)`) is read as sqlSites reads it.
  const argOf = (c: Node) => callArguments(c).positional[0] ?? null;
  const readable = (c: Node) => {
    const first = argOf(c);
    const bound = first?.type === 'identifier' ? scope.lookup(first.text) : null;
    const value = bound?.kind === 'value' ? bound.node : first;
    return !!value && !!staticString(value)?.complete;
  };
  if (!executes.every(readable)) return null;
  const out: SqlSites = { hazards: [], createdTables: [], createdIndexes: [], notNullChecks: [], validated: [], literals: [], nonAtomicReady: false };
  for (const call of executes.sort((a, b) => a.startIndex - b.startIndex)) {
    if (otherVendorOnly(call)) continue;
    const first = argOf(call);
    if (!first) continue;
    const sites = sqlSites(first, scope);
    const via = `${call.childForFieldName('function')?.text ?? 'execute'}()`;
    // Earlier statements' tables are this operation's too (a table created, then indexed).
    const created = new Set(out.createdTables);
    for (const h of sites.hazards) {
      if (h.table && created.has(h.table)) continue;
      // No edit of the authors' code: the site keeps no fix.
      const site = { ...h, statement: h.statement + out.literals.length, via };
      delete site.edits;
      out.hazards.push(site);
    }
    out.createdTables.push(...sites.createdTables);
    out.createdIndexes.push(...sites.createdIndexes);
    out.notNullChecks.push(...sites.notNullChecks);
    out.validated.push(...sites.validated);
    out.literals.push(...sites.literals);
  }
  return out.hazards.length > 0 || out.createdTables.length > 0 || out.createdIndexes.length > 0 ? out : null;
}

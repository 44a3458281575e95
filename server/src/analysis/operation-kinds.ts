/**
 * What each operation does to the database, as the mixed rule and the split see it: data (rows
 * change), schema (DDL), must run outside a transaction, or neither. A RunPython is judged by the
 * code it runs when that code is in the file: only DDL through the schema editor is schema work.
 */
import { unitOf } from './code-flow';
import type { CodeIndex } from './code-facts';
import type { Operation } from './operations';
import { unitWrites } from './other-writes';
import type { Node } from './syntax';
import { mentions } from './fixes/loop-reading';
import { parameterNames } from './runpython-code';

/** 'read': code that only queries (a precondition check that counts rows and raises). */
export type RunPythonEffect = 'data' | 'schema' | 'both' | 'read' | 'none';

export function runPythonEffect(op: Operation, index: CodeIndex): RunPythonEffect {
  const unit = op.runPython ? unitOf(op.runPython.forward) : null;
  if (!unit) return op.isData ? 'data' : 'none';
  const reach = index.reachable(unit);
  const writes = reach.some((f) => f.directWrites.length > 0 || f.loops.some((l) => l.allWrites.length > 0));
  const schemaCalls = reach.flatMap((f) => f.schemaCalls);
  const opaque = reach.some((f) => f.opaqueSites.length > 0);
  // Writes and DDL on existing tables in one function: both, in one transaction (taiga `history/0011`).
  if (writes || opaque) return schemaCalls.some((c) => c.ddl && c.call.childForFieldName('function')?.childForFieldName('attribute')?.text?.startsWith('execute')) ? 'both' : 'data';
  if (schemaCalls.length === 0) return unitWrites(index, unit) ? 'data' : usesDatabase(reach.map((f) => f.unit.node)) ? 'read' : 'none';
  return schemaCalls.some((c) => c.ddl) ? 'schema' : 'none';
}

/** What reaches the database: a manager, a connection, a cursor, a historical model. */
const DATABASE_WORDS = /\b(?:objects|_default_manager|_base_manager|connections?|cursor|get_model|raw|transaction)\b/;

/**
 * Whether code can reach the database at all: a manager, a connection, a cursor, or the RunPython's
 * own arguments (the historical apps, the schema editor). Code that only warns or prints (review 39:
 * pulp_container `0038` tells the admin to run a command) cannot, and locks nothing.
 */
function usesDatabase(fns: readonly Node[]): boolean {
  return fns.some((fn) => {
    const body = fn.childForFieldName('body')?.text ?? fn.text;
    if (DATABASE_WORDS.test(body)) return true;
    return parameterNames(fn).some((name) => mentions(name, body) > 0);
  });
}

export interface OperationKinds {
  isData(op: Operation): boolean;
  isSchema(op: Operation): boolean;
  /** Schema work on a table that existed before this migration (RunPython DDL included). */
  touchesExistingTable(op: Operation): boolean;
}

/**
 * Memoised kinds for one migration's operations. Code that only reads is data where a schema change
 * runs before it in the same migration (`all`, in order): the DDL's lock is then held through the
 * reads. Before every schema change it locks nothing anyone waits for (review 26: tilavarauspalvelu's
 * `0117`–`0123` count the NULLs and raise before their AlterField).
 */
export function operationKinds(index: CodeIndex, all: readonly Operation[] = []): OperationKinds {
  const effects = new Map<Operation, RunPythonEffect>();
  const effect = (o: Operation): RunPythonEffect | undefined => {
    if (!o.runPython || !o.isData) return undefined;
    let e = effects.get(o);
    if (!e) {
      e = runPythonEffect(o, index);
      effects.set(o, e);
    }
    return e;
  };
  const afterSchema = (o: Operation): boolean => {
    const at = all.indexOf(o);
    return at < 0 || all.slice(0, at).some((p) => p.isSchema || effect(p) === 'schema');
  };
  return {
    isData: (o) => {
      if (!o.runPython || !o.isData) return o.isData;
      const e = effect(o);
      return e === 'data' || e === 'both' || (e === 'read' && afterSchema(o));
    },
    isSchema: (o) => o.isSchema || effect(o) === 'schema' || effect(o) === 'both',
    touchesExistingTable: (o) => o.touchesExistingTable || effect(o) === 'schema' || effect(o) === 'both',
  };
}

/**
 * What each operation does to the database, as the mixed rule and the split see it: data (rows
 * change), schema (DDL), must run outside a transaction, or neither. A RunPython is judged by the
 * code it runs when that code is in the file: only DDL through the schema editor is schema work.
 */
import { unitOf } from './code-flow';
import type { CodeIndex } from './code-facts';
import type { Operation } from './operations';

export type RunPythonEffect = 'data' | 'schema' | 'none';

export function runPythonEffect(op: Operation, index: CodeIndex): RunPythonEffect {
  const unit = op.runPython ? unitOf(op.runPython.forward) : null;
  if (!unit) return op.isData ? 'data' : 'none';
  const reach = index.reachable(unit);
  const writes = reach.some((f) => f.directWrites.length > 0 || f.loops.some((l) => l.allWrites.length > 0));
  const schemaCalls = reach.flatMap((f) => f.schemaCalls);
  const opaque = reach.some((f) => f.opaqueCalls > 0);
  if (writes || opaque || schemaCalls.length === 0) return 'data';
  return schemaCalls.some((c) => c.ddl) ? 'schema' : 'none';
}

export interface OperationKinds {
  isData(op: Operation): boolean;
  isSchema(op: Operation): boolean;
  /** Schema work on a table that existed before this migration (RunPython DDL included). */
  touchesExistingTable(op: Operation): boolean;
}

/** Memoised kinds for one migration's operations. */
export function operationKinds(index: CodeIndex): OperationKinds {
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
  return {
    isData: (o) => (o.runPython && o.isData ? effect(o) === 'data' : o.isData),
    isSchema: (o) => o.isSchema || effect(o) === 'schema',
    touchesExistingTable: (o) => o.touchesExistingTable || effect(o) === 'schema',
  };
}

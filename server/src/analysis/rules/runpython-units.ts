/** The code units a migration's RunPython operations run, forward and reverse, deduplicated. */
import { unitOf, type CodeUnit } from '../code-flow';
import type { MigrationModel } from '../migration-model';
import type { Operation } from '../operations';

export interface RunPythonUnit {
  op: Operation;
  unit: CodeUnit;
  direction: 'forward' | 'reverse';
}

export function runPythonUnits(model: MigrationModel): RunPythonUnit[] {
  const out: RunPythonUnit[] = [];
  for (const op of model.operations) {
    const rp = op.runPython;
    if (!rp) continue;
    const forward = unitOf(rp.forward);
    if (forward) out.push({ op, unit: forward, direction: 'forward' });
    const reverse = rp.reverseTarget ? unitOf(rp.reverseTarget) : null;
    if (reverse) out.push({ op, unit: reverse, direction: 'reverse' });
  }
  return out;
}

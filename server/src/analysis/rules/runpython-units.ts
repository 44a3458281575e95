/** The code units a migration's RunPython operations run, forward and reverse, deduplicated. */
import { unitOf, type CodeUnit } from '../code-flow';
import type { MigrationModel } from '../migration-model';
import type { Operation } from '../operations';
import type { Position } from '../types';

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

/** How often `name` occurs in `text` as a whole word. */
function wordCount(text: string, name: string): number {
  let n = 0;
  const re = new RegExp(`(?<!\\w)${name}(?!\\w)`, 'g');
  while (re.exec(text)) n++;
  return n;
}

/**
 * Of `units`, the ones through which a loop starting on one of the lines of `at` can be reached,
 * when the text tells that at a glance: each position inside the lines of exactly one named
 * function that the file names only in its definition and in the one operation that runs it (so
 * no other unit calls it as a helper). Else all of them. What a fix's look at its own text reads,
 * instead of every RunPython function of the file once per loop it fixes.
 */
export function unitsReaching(units: readonly RunPythonUnit[], at: readonly Position[], source: string): readonly RunPythonUnit[] {
  const keep = new Set<RunPythonUnit>();
  for (const p of at) {
    const holders = units.filter((u) => u.unit.node.startPosition.row <= p.line && p.line <= u.unit.node.endPosition.row);
    const only = holders[0];
    if (!only || holders.length !== 1 || only.unit.node.type !== 'function_definition') return units;
    const name = only.unit.node.childForFieldName('name')?.text;
    if (!name || wordCount(source, name) !== 2 || wordCount(only.op.call.text, name) !== 1) return units;
    keep.add(only);
  }
  return units.filter((u) => keep.has(u));
}

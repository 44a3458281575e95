/**
 * Writes a migration makes besides the ones a rule is about: what `atomic = False` would take out of
 * the migration's transaction along with them (commit-batches.ts refuses its fix then, and
 * missing-atomic-false offers none). Written calls as code-facts.ts knows them, plus many-to-many
 * `add()`/`remove()`/`clear()`/`set()` on a relation and `call_command()`.
 */
import type { CodeIndex, UnitFacts, WriteCall } from './code-facts';
import { unitOf, type CodeUnit } from './code-flow';
import type { MigrationModel } from './migration-model';
import type { Operation } from './operations';
import { walk, within, type Node } from './syntax';

/** Writes of a function's code (its own, and those of the same-file helpers it reaches). */
export function unitWrites(index: CodeIndex, unit: CodeUnit): boolean {
  return index.reachable(unit).some((f) => f.directWrites.length > 0 || f.loops.some((l) => l.allWrites.length > 0) || f.schemaCalls.length > 0 || mutatesOutside(f.unit.node, null));
}

/** `row.tags.add(…)`, `.remove`, `.clear`, `.set` on a relation, and `call_command(…)`: writes code-facts does not count. */
const M2M = new Set(['add', 'remove', 'clear', 'set']);
function mutatesOutside(fn: Node, inside: Node | null): Node | null {
  let hit: Node | null = null;
  walk(fn.childForFieldName('body') ?? fn, (n) => {
    if (hit || (inside && n.id === inside.id) || (n !== fn && (n.type === 'function_definition' || n.type === 'class_definition'))) return false;
    if (n.type === 'call') {
      const f = n.childForFieldName('function');
      const method = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : null;
      if ((method && M2M.has(method) && f?.childForFieldName('object')?.type === 'attribute') || f?.text === 'call_command' || /\.call_command$/.test(f?.text ?? '')) hit = n;
    }
    return !hit;
  });
  return hit;
}

/** The line of a write `fn` makes outside `loopNode` (directly, or through a helper it calls there), or null. */
export function writeOutside(facts: UnitFacts, index: CodeIndex, loopNode: Node, ignore?: (w: WriteCall) => boolean): number | null {
  const writes = [...facts.directWrites, ...facts.loops.flatMap((l) => l.writes)];
  const out = writes.find((w) => !within(w.call, loopNode) && !ignore?.(w));
  if (out) return out.call.startPosition.row + 1;
  const helper = facts.helperCalls.find((h) => !within(h.call, loopNode) && unitWrites(index, h.target));
  if (helper) return helper.call.startPosition.row + 1;
  const m2m = mutatesOutside(facts.unit.node, loopNode);
  return m2m ? m2m.startPosition.row + 1 : null;
}

/** Another operation of the migration that writes: a RunSQL with SQL, or a RunPython whose code (either direction) writes. */
export function otherWritingOperation(model: MigrationModel, op: Operation, index: CodeIndex): Operation | null {
  return (
    model.operations.find((o) => {
      if (o === op) return false;
      if (o.runSql?.sql) return true;
      const rp = o.runPython;
      return !!rp && [rp.forward, rp.reverseTarget].some((t) => {
        const u = t ? unitOf(t) : null;
        return u !== null && unitWrites(index, u);
      });
    }) ?? null
  );
}

/**
 * Plans a split: groups the elements of the `operations` list into consecutive runs of the same
 * kind (schema, data, or must-run-outside-a-transaction), decides each part's `atomic`, and names
 * the parts (the first keeps the file name; later ones take the app's next free numbers).
 */
import type { CodeIndex } from '../code-facts';
import { unitOf } from '../code-flow';
import type { MigrationModel } from '../migration-model';
import { argsModel } from '../operation-args';
import { operationKinds } from '../operation-kinds';
import type { Operation } from '../operations';
import { batchingEvidence } from '../rules/missing-atomic-false';
import type { Node } from '../syntax';
import { snakeCase } from '../snake-case';

export type PartKind = 'schema' | 'data' | 'non-atomic';

export interface PlannedElement {
  /** The element of the operations list (usually an operation call). */
  node: Node;
  /** Comments inside the list just before the element, kept with it. */
  comments: Node[];
  /** Operations this element resolves to (a SeparateDatabaseAndState counts with its inner ones). */
  operations: Operation[];
  kind: PartKind | null;
}

export interface PlannedPart {
  kind: PartKind;
  elements: PlannedElement[];
  /** The part must not run in a transaction. */
  nonAtomic: boolean;
  /** Migration name (file stem) of the part. */
  name: string;
}

function elementKind(ops: Operation[], isData: (o: Operation) => boolean, isSchema: (o: Operation) => boolean): PartKind | null {
  if (ops.some((o) => o.nonTransactional)) return 'non-atomic';
  if (ops.some(isData)) return 'data';
  if (ops.some(isSchema)) return 'schema';
  return null; // state-only, noop, unknown: joins its neighbours
}

/** The list's elements with the comments that precede each one. */
function listElements(list: Node): Array<{ node: Node; comments: Node[] }> {
  const out: Array<{ node: Node; comments: Node[] }> = [];
  let pending: Node[] = [];
  for (const child of list.namedChildren) {
    if (child.type === 'comment') pending.push(child);
    else {
      out.push({ node: child, comments: pending });
      pending = [];
    }
  }
  return out;
}

/** Django-like name fragment of one operation (`alter_order_currency`, `add_order_region`). */
function fragment(op: Operation): string | null {
  const name = op.specName ?? op.name;
  const args = op.args;
  const model = op.targetModel ?? op.createsModel ?? argsModel(args);
  const field = args && (args.kind === 'AddField' || args.kind === 'AlterField' || args.kind === 'RemoveField') ? args.name : null;
  switch (name) {
    case 'CreateModel':
      return model;
    case 'DeleteModel':
      return model ? `delete_${model}` : null;
    case 'AddField':
      return model && field ? `${model}_${field}` : null;
    case 'AlterField':
      return model && field ? `alter_${model}_${field}` : null;
    case 'RemoveField':
      return model && field ? `remove_${model}_${field}` : null;
    case 'RunPython': {
      const code = op.runPython?.forward;
      const unit = code ? unitOf(code) : null;
      const fn = unit?.node.type === 'function_definition' ? unit.node.childForFieldName('name')?.text : null;
      return fn ? snakeCase(fn) : 'run_python';
    }
    case 'RunSQL':
      return 'run_sql';
    case 'AlterModelOptions':
      return model ? `alter_${model}_options` : null;
    case 'AlterModelManagers':
      return model ? `alter_${model}_managers` : null;
    default:
      return model ? `${snakeCase(name)}_${model}` : snakeCase(name);
  }
}

function partName(part: { kind: PartKind; elements: PlannedElement[] }): string {
  const fragments = [...new Set(part.elements.flatMap((e) => e.operations.filter((o) => !o.container).map(fragment)).filter((f): f is string => !!f))];
  let name = fragments.join('_');
  if (!name || name.length > 52) name = fragments[0] ? `${fragments[0]}_and_more` : part.kind === 'data' ? 'data' : 'schema';
  if (part.kind === 'non-atomic' && !name.includes('concurrently')) name = `${name}_concurrently`;
  return snakeCase(name).slice(0, 60) || 'auto';
}

/**
 * For each list element (in source order), the operations written inside it, then the inner
 * operations of its SeparateDatabaseAndState containers (which may be written elsewhere, in a
 * class-level list), each in model order. Offsets are read once and matched by binary search,
 * so a migration with tens of thousands of operations costs n log n, not n².
 */
function operationsPerElement(model: MigrationModel, nodes: Node[]): Operation[][] {
  const ops = model.operations;
  const order = new Map(ops.map((o, i) => [o, i]));
  const spans = ops.map((o, i) => ({ i, start: o.call.startIndex, end: o.call.endIndex })).sort((a, b) => a.start - b.start || a.i - b.i);
  const children = new Map<Operation, Operation[]>();
  for (const o of ops) if (o.container) children.set(o.container, [...(children.get(o.container) ?? []), o]);
  return nodes.map((node) => {
    const start = node.startIndex;
    const end = node.endIndex;
    let lo = 0;
    let hi = spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((spans[mid] as { start: number }).start < start) lo = mid + 1;
      else hi = mid;
    }
    const inside: number[] = [];
    for (let k = lo; k < spans.length && (spans[k] as { start: number }).start <= end; k++) {
      const span = spans[k] as { i: number; end: number };
      if (span.end <= end) inside.push(span.i);
    }
    const operations = inside.sort((a, b) => a - b).map((i) => ops[i] as Operation);
    if (children.size === 0) return operations;
    // Descendants through containers, taken in model order as long as their container is taken.
    const taken = new Set(operations);
    const seen = new Set<Operation>();
    for (let queue = [...operations]; queue.length > 0; ) {
      for (const child of children.get(queue.pop() as Operation) ?? []) {
        if (!seen.has(child)) {
          seen.add(child);
          queue.push(child);
        }
      }
    }
    const candidates = [...seen];
    candidates.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    for (const o of candidates) {
      if (!taken.has(o) && o.container && taken.has(o.container)) {
        operations.push(o);
        taken.add(o);
      }
    }
    return operations;
  });
}

/** Groups the operations; `null` when there is only one kind (nothing to split). */
export function planParts(model: MigrationModel, list: Node, index: CodeIndex): PlannedPart[] | null {
  const kinds = operationKinds(index, model.operations);
  const listed = listElements(list);
  const perElement = operationsPerElement(model, listed.map((e) => e.node));
  const elements: PlannedElement[] = listed.map(({ node, comments }, i) => {
    const operations = perElement[i] as Operation[];
    return { node, comments, operations, kind: elementKind(operations, kinds.isData, kinds.isSchema) };
  });
  const runs: Array<{ kind: PartKind; elements: PlannedElement[] }> = [];
  let leading: PlannedElement[] = [];
  for (const el of elements) {
    const last = runs[runs.length - 1];
    if (el.kind === null) {
      if (last) last.elements.push(el);
      else leading.push(el);
    } else if (last && last.kind === el.kind) last.elements.push(el);
    else {
      runs.push({ kind: el.kind, elements: [...leading, el] });
      leading = [];
    }
  }
  if (runs.length < 2) return null;
  const atomicOff = model.atomic.value === false;
  return runs.map((run) => ({
    ...run,
    nonAtomic: atomicOff || run.kind === 'non-atomic' || (run.kind === 'data' && batches(run.elements, index)),
    name: partName(run),
  }));
}

/** A data part whose RunPython code batches its writes needs atomic = False to commit batches. */
function batches(elements: PlannedElement[], index: CodeIndex): boolean {
  for (const op of elements.flatMap((e) => e.operations)) {
    const unit = op.runPython ? unitOf(op.runPython.forward) : null;
    if (!unit) continue;
    for (const facts of index.reachable(unit)) if (facts.loops.some((l) => batchingEvidence(l, facts, index))) return true;
  }
  return false;
}

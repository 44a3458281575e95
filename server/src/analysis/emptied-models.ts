/**
 * The models a RunPython's forward code empties outright: a statement of the function's own body
 * (not inside a condition, loop or try) that deletes every row, `Model.objects.all().delete()` or
 * `Model.objects.using(alias).all().delete()`, the model taken from `apps.get_model(...)`. A column
 * or index the migration adds to such a table afterwards meets no row (review 52: seqr
 * `reference_data/0007` deletes every OMIM row "so there's no need to provide a default value").
 */
import type { CodeIndex } from './code-facts';
import { unitOf } from './code-flow';
import { historicalModelRef } from './historical-models';
import type { Operation } from './operations';
import { unparen, type Node } from './syntax';

/** `X.objects`, `X.objects.using(a)`, then `.all()`, then `.delete()`: X, or null. */
function deletesEveryRow(call: Node): Node | null {
  const method = (n: Node | null | undefined, name: string): Node | null => {
    const fn = n?.type === 'call' ? n.childForFieldName('function') : null;
    return fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === name ? fn.childForFieldName('object') : null;
  };
  const all = method(call, 'delete');
  if (!all || (call.childForFieldName('arguments')?.namedChildCount ?? 0) > 0) return null;
  let manager = all.type === 'call' && (all.childForFieldName('arguments')?.namedChildCount ?? 0) === 0 ? method(all, 'all') : null;
  manager = manager ? (method(manager, 'using') ?? manager) : null;
  if (manager?.type !== 'attribute' || manager.childForFieldName('attribute')?.text !== 'objects') return null;
  return manager.childForFieldName('object');
}

/** `{app, model}` of each model the forward code empties before anything else can stop it; [] when none is known. */
export function emptiedModels(op: Operation, code: CodeIndex): Array<{ app: string; model: string }> {
  const unit = op.runPython ? unitOf(op.runPython.forward) : null;
  const body = unit?.node.type === 'function_definition' ? unit.node.childForFieldName('body') : null;
  if (!unit || !body) return [];
  const facts = code.facts(unit);
  const out: Array<{ app: string; model: string }> = [];
  for (const stmt of body.namedChildren) {
    // A condition, loop, try or return before it may leave the table as it was: only the straight start counts.
    if (stmt.type !== 'expression_statement') break;
    const call = stmt.firstNamedChild ? unparen(stmt.firstNamedChild) : null;
    const model = call?.type === 'call' ? deletesEveryRow(call) : null;
    const ref = model ? historicalModelRef(model, facts.locals) : null;
    if (ref) out.push({ app: ref.app, model: ref.model.toLowerCase() });
  }
  return out;
}

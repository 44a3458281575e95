/**
 * How RunPython code names Django's historical models: the managers rows are queried through, and
 * `apps.get_model(...)` — written inline, or bound once to a name of any case (`bug_model = …`).
 */
import type { Scope } from './scope';
import { callArguments, staticString, unparen, type Node } from './syntax';

/** The manager attributes of a model class (`Order.objects`, `Order._default_manager`, …). */
export const MANAGERS: ReadonlySet<string> = new Set(['objects', '_default_manager', '_base_manager']);

/** `apps.get_model(...)` (or any `….get_model(...)`) itself. */
export function isGetModelCall(node: Node | null | undefined): boolean {
  return node?.type === 'call' && /(^|\.)get_model$/.test(node.childForFieldName('function')?.text ?? '');
}

/** `name` is bound once, in `scope`, to `apps.get_model(...)`: a model class whatever its case. */
export function isHistoricalModel(name: string, scope: Scope): boolean {
  const b = scope.lookup(name);
  return b?.kind === 'value' && isGetModelCall(b.node);
}

/**
 * `Model(…)`: a call of a capitalised name (`Order`, `shop.models.Order`), or of a name of any case bound
 * to `apps.get_model(…)` (review 73: frepple's `columnmodel(…).save()` inserts a row).
 */
export function isModelCall(call: Node, scope: Scope): boolean {
  const fn = call.childForFieldName('function');
  if (!fn) return false;
  if (/^[A-Z]/.test(fn.text.split('.').pop() ?? '')) return true;
  return fn.type === 'identifier' && isHistoricalModel(fn.text, scope);
}

const MODEL_NAMES = new WeakMap<Node, Map<string, boolean>>();

/**
 * `name` is assigned in `fn` (a function's node), and every assignment of it there is an
 * `apps.get_model(...)` call: a model class, also when it is bound in a loop's body, where the
 * scope does not take it for certain (hypha `funds/0038`: `model = apps.get_model("funds", name)`
 * inside a loop over model names, then `model(**values).save()` inserts). Memoised per function.
 */
export function onlyModelsAssigned(name: string, fn: Node): boolean {
  let names = MODEL_NAMES.get(fn);
  if (!names) MODEL_NAMES.set(fn, (names = new Map()));
  let answer = names.get(name);
  if (answer === undefined) {
    const assigned = fn.descendantsOfType('assignment').filter((a) => a.childForFieldName('left')?.text === name);
    answer = assigned.length > 0 && assigned.every((a) => a.childForFieldName('left')?.type === 'identifier' && isGetModelCall(a.childForFieldName('right')));
    names.set(name, answer);
  }
  return answer;
}

/**
 * The app label and model name a model class expression names: `apps.get_model("shop", "Order")`
 * or `apps.get_model("shop.Order")`, inline or bound once to a name. Null when not literal.
 */
export function historicalModelRef(expr: Node, scope: Scope): { app: string; model: string } | null {
  let n = unparen(expr);
  if (n.type === 'identifier') {
    const b = scope.lookup(n.text);
    if (b?.kind !== 'value') return null;
    n = unparen(b.node);
  }
  if (!isGetModelCall(n)) return null;
  const args = callArguments(n);
  const texts = [...args.positional, ...['app_label', 'model_name'].flatMap((k) => args.keywords.get(k) ?? [])].map((a) => staticString(a)?.text ?? null);
  if (texts.some((t) => t === null) || args.hasSplat) return null;
  const [first, second] = texts as string[];
  if (texts.length === 2 && first && second) return { app: first, model: second };
  const dotted = texts.length === 1 && first ? /^(\w+)\.(\w+)$/.exec(first) : null;
  return dotted ? { app: dotted[1] as string, model: dotted[2] as string } : null;
}

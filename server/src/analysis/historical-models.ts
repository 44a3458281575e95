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

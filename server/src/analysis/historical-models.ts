/**
 * How RunPython code names Django's historical models: the managers rows are queried through, and
 * `apps.get_model(...)` — written inline, or bound once to a name of any case (`bug_model = …`).
 */
import type { Scope } from './scope';
import type { Node } from './syntax';

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

/**
 * A loop over rows a filter can never match: `Order.objects.filter(price__isnull=True)` (or
 * `price=None`) where the project view shows `price` NOT NULL when the migration runs (review 55:
 * berth-reservations `payments/0018`, whose `price` had been NOT NULL since `0003`). The loop runs no
 * iteration, whatever it writes per row. Only where no operation of the migration before the code
 * changes the field (an AlterField making it nullable first).
 */
import type { LoopFacts } from '../code-facts';
import type { ModelFields } from '../project/view';
import type { Operation } from '../operations';
import type { Scope } from '../scope';
import { callArguments, unparen, type Node } from '../syntax';
import { iterableChain } from '../fixes/loop-chain';

/** A cheap look at the loop's header: it asks for NULL somewhere (`__isnull=True`, `=None`). */
export function asksForNull(loop: LoopFacts): boolean {
  const text = loop.iterable?.text ?? '';
  return /__isnull\s*=\s*True|=\s*None\b/.test(text);
}

/** The NOT NULL field the loop's queryset asks to be NULL, or null. */
export function neverMatchingFilter(loop: LoopFacts, locals: Scope, fields: (model: string) => ModelFields | null, before: readonly Operation[]): string | null {
  const walked = iterableChain(loop.iterable, locals);
  if (!walked) return null;
  const known = fields(walked.chain.model);
  if (!known) return null;
  for (let n: Node | null = unparen(walked.chain.expr); n?.type === 'call'; ) {
    const fn: Node | null = n.childForFieldName('function');
    if (fn?.type !== 'attribute') break;
    if (fn.childForFieldName('attribute')?.text === 'filter') {
      const args = callArguments(n);
      if (args.hasSplat) return null;
      for (const [key, value] of args.keywords) {
        const isNull = key.endsWith('__isnull') ? value.text === 'True' : value.text === 'None';
        const name = key.endsWith('__isnull') ? key.slice(0, -'__isnull'.length) : key;
        if (!isNull || name.includes('__')) continue;
        const spec = known.fields.get(name);
        // A many-to-many "isnull" asks for rows without links; a relation's or a field's NULL only where allowed.
        if (!spec || spec.null !== false || spec.relation === undefined || spec.relation?.kind === 'many-to-many' || spec.primaryKey === true) continue;
        if (before.some((op) => op.args && 'name' in op.args && op.args.name === name)) continue;
        return name;
      }
    }
    n = fn.childForFieldName('object');
  }
  return null;
}

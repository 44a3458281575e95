/**
 * What a delete template must do about the loop's own queries: rows it deleted earlier in the batch
 * are still in the table until the flush, so the loop's queries of that model leave them out
 * (hideDoomed), and the queries through related managers, whose model cannot be told here, are
 * named for the author to check (relatedQueries).
 */
import { QUERYSET_METHODS } from '../querysets';
import type { Scope } from '../scope';
import { walk, type Node } from '../syntax';
import type { TextEdit } from '../types';
import { insertAfter } from './edits';
import { relatedManager } from './loop-reading';
import { oneLine } from './loop-chain';

/**
 * The related managers the body queries (`order.lines` in `order.lines.filter(…)`): a lower-case
 * name that is no model class, then a lower-case attribute that is no class's own manager, then a
 * queryset method. Their model cannot be told from here. Not inside `skip` (the writes' receivers).
 */
export function relatedQueries(body: Node, locals: Scope, skip: readonly Node[]): string[] {
  const out = new Set<string>();
  walk(body, (n) => {
    if (skip.some((s) => n.startIndex >= s.startIndex && n.endIndex <= s.endIndex)) return false;
    if (n.type !== 'attribute') return true;
    const use = n.parent;
    const method = use?.type === 'attribute' && use.childForFieldName('object')?.id === n.id ? (use.childForFieldName('attribute')?.text ?? '') : '';
    if (QUERYSET_METHODS.has(method) && use?.parent?.type === 'call' && relatedManager(n, locals)) {
      out.add(oneLine(n.text));
    }
    return true;
  });
  return [...out];
}

/**
 * `Model.objects.filter(…)` -> `Model.objects.exclude(pk__in=[…doomed]).filter(…)` for each read:
 * the rows the loop deleted earlier in this batch stay hidden from its queries until the flush
 * deletes them. Refused when a read is not followed by a method the queryset shares, or stands
 * inside a statement the template rewrites.
 */
export function hideDoomed(reads: readonly Node[], batch: string, rewritten: readonly Node[]): TextEdit[] | string {
  const edits: TextEdit[] = [];
  for (const read of reads) {
    const use = read.parent;
    const method = use?.type === 'attribute' && use.childForFieldName('object')?.id === read.id ? use.childForFieldName('attribute')?.text ?? '' : '';
    if (!QUERYSET_METHODS.has(method)) return `the loop deletes rows of a model it reads through ${oneLine(read.text)}${method ? `.${method}` : ''}, which cannot leave out the rows not deleted yet`;
    if (rewritten.some((st) => read.startIndex >= st.startIndex && read.endIndex <= st.endIndex)) return 'a query of the rows the loop deletes stands inside a write the template rewrites';
    edits.push(insertAfter(read, `.exclude(pk__in=[row.pk for row in ${batch}])`));
  }
  return edits;
}

/**
 * Ranges whose number of passes the code fixes: `range(12)`, `range(1, 13)`, `range(0, 100, 5)` of
 * integer literals, and a walk over the calendar's years from a year the code names
 * (`range(2010, end.year + 1)`). A loop over one writes a bounded number of rows, not a table's.
 */
import type { Node } from './syntax';
import { unparen } from './syntax';

/** More passes than this over a literal range are a table's worth of writes, batched or not. */
const FEW_PASSES = 10_000;

/** How many values `range(…)` of these integer literals gives; null when any bound is not one. */
function literalRangeLength(bounds: readonly Node[]): number | null {
  const values: number[] = [];
  for (const b of bounds) {
    const negative = b.type === 'unary_operator' && b.childForFieldName('operator')?.text === '-';
    const digits = negative ? b.childForFieldName('argument') : b;
    if (digits?.type !== 'integer' || !/^\d+$/.test(digits.text.replace(/_/g, ''))) return null;
    values.push((negative ? -1 : 1) * Number(digits.text.replace(/_/g, '')));
  }
  if (values.length < 1 || values.length > 3) return null;
  const [start, stop, step] = values.length === 1 ? [0, values[0] as number, 1] : [values[0] as number, values[1] as number, values[2] ?? 1];
  if (step === 0) return null;
  return Math.max(0, Math.ceil((stop - start) / step));
}

/** `d.year`, `d.year + 1`, `timezone.now().year - 1`: a year read from a date. */
function calendarYear(n: Node): boolean {
  const v = unparen(n);
  if (v.type === 'binary_operator') {
    const op = v.childForFieldName('operator')?.text;
    const right = v.childForFieldName('right');
    return (op === '+' || op === '-') && right?.type === 'integer' && Number(right.text) <= 2 && calendarYear(v.childForFieldName('left') as Node);
  }
  return v.type === 'attribute' && v.childForFieldName('attribute')?.text === 'year';
}

/**
 * Whether `range(…)` of these (unparenthesized) arguments has few passes the code fixes: true or
 * false for integer literals (at most FEW_PASSES), true for the calendar's years from a fixed year,
 * null when the bounds say nothing of that.
 */
export function fewPasses(bounds: readonly Node[]): boolean | null {
  const passes = literalRangeLength(bounds);
  if (passes !== null) return passes <= FEW_PASSES;
  // Review 77: openprescribing `frontend/0006` seeds one log row per month since 2010. A few hundred passes at most.
  if (bounds.length === 2 && bounds[0]?.type === 'integer' && /^(?:1[89]|2\d)\d\d$/.test(bounds[0].text) && calendarYear(bounds[1] as Node)) return true;
  return null;
}

/**
 * A `get_or_create()` whose result the loop uses (`depot, _ = Address.objects.get_or_create(street=…)`,
 * `site = Site.objects.get_or_create(…)[0]`), made to run once per distinct look-up instead of once
 * per row: the look-up values become a key, a dict filled on a miss holds what get_or_create
 * returned, and the statement reads the dict. The database sees the same rows: get_or_create finds
 * the row the first call created (its `defaults` are ignored for a row that exists), so a repeated
 * look-up can only return it again, with `created` False (the form that says so is written when the
 * function reads the flag). What is refused: the flag read as `[1]`, a manager the loop picks per
 * row (the key would have to name it), look-ups that are not plain keywords or whose values are
 * lists or dicts (not hashable).
 */
import type { LoopFacts } from '../code-facts';
import type { Node } from '../syntax';
import { snakeCase } from '../snake-case';
import { chainOf, keywordTexts, oneLine, ownLine, usesLoopNames } from './loop-reading';

export interface MemoRewrite {
  /** The statement replaced. */
  stmt: Node;
  /** The dict's name, declared `{}` above the loop. */
  dict: string;
  /** The statement's replacement, its lines joined by `eol + indent`. */
  lines: string[];
}

/** `StockLocation` -> `stock_location`; the model named in an inline `apps.get_model("shop", "Depot")` -> `depot`. */
function modelSlug(model: string): string {
  const named = /^[A-Za-z_][\w.]*$/.test(model) ? model.split('.').pop() : /["'](\w+)["']\s*\)\s*$/.exec(model)?.[1];
  return snakeCase(named ?? '') || 'row';
}

/** `name` is read in `scope` more than once, counting where it is bound (a word match: cheap, and errs on refusing). */
function readElsewhere(name: string, scope: Node): boolean {
  return (scope.text.match(new RegExp(`(?<![\\w.])${name}\\b`, 'g')) ?? []).length > 1;
}

/** The rewrite, or why there is none (a phrase). `fresh` names a new local. */
export function memoizeLookup(call: Node, loop: LoopFacts, body: Node, scope: Node, source: string, fresh: (base: string) => string): MemoRewrite | string {
  const used = 'the loop uses what the write returns';
  const fn = call.childForFieldName('function');
  const receiver = fn?.childForFieldName('object');
  if (fn?.childForFieldName('attribute')?.text !== 'get_or_create' || !receiver) return used;
  const chain = chainOf(receiver);
  if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, body)) return 'it creates through a related manager or a model the loop picks per row';
  const kw = keywordTexts(call);
  const lookup = kw?.filter(([k]) => k !== 'defaults') ?? [];
  if (!kw || lookup.length === 0) return 'get_or_create() takes arguments that cannot be read as a look-up';
  if (lookup.some(([, v]) => /^[[{]/.test(v))) return 'get_or_create() looks up a list or a dict, which cannot key a cache';
  // The value the statement reads: the call, or `call[0]`.
  let value: Node = call;
  while (value.parent?.type === 'subscript' && value.parent.childForFieldName('value')?.id === value.id) {
    const index = value.parent.childForFieldName('subscript');
    if (index?.text !== '0') return "the loop reads get_or_create()'s created flag";
    value = value.parent;
  }
  const assign = value.parent?.type === 'assignment' && value.parent.childForFieldName('right')?.id === value.id ? value.parent : null;
  const stmt = assign?.parent;
  const left = assign?.childForFieldName('left');
  if (!assign || !left || stmt?.type !== 'expression_statement' || stmt.firstNamedChild?.id !== assign.id || assign.childForFieldName('type')) return used;
  if (!ownLine(stmt, source)) return 'the write shares its line with other code';
  // `obj, created = …`: when the function reads the flag, a repeated look-up must say False, as get_or_create would.
  let flagged: { object: string; flag: string } | null = null;
  if (value.id === call.id && ['pattern_list', 'tuple_pattern'].includes(left.type)) {
    const [object, flag] = left.namedChildren;
    if (left.namedChildCount !== 2 || !object || flag?.type !== 'identifier') return used;
    if (flag.text !== '_' && readElsewhere(flag.text, scope)) flagged = { object: object.text, flag: flag.text };
  }
  const dict = fresh(`known_${modelSlug(chain.model)}`);
  const key = fresh('lookup');
  const values = lookup.map(([, v]) => oneLine(v));
  const tuple = values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
  const read = `${source.slice(value.startIndex, call.startIndex)}${dict}[${key}]${source.slice(call.endIndex, value.endIndex)}`;
  // The call moves one block in: its continuation lines follow, unless a string spans lines (its text would change).
  const multiLineString = call.descendantsOfType('string').some((n) => n.startPosition.row !== n.endPosition.row);
  const moved = multiLineString ? call.text : call.text.replace(/\r?\n/g, (eol) => `${eol}%STEP%`);
  const lines = flagged
    ? [`${key} = ${tuple}`, `if ${key} in ${dict}:`, `%STEP%${flagged.object}, ${flagged.flag} = ${dict}[${key}][0], False`, 'else:', `%STEP%${left.text} = ${dict}[${key}] = ${moved}`]
    : [`${key} = ${tuple}`, `if ${key} not in ${dict}:`, `%STEP%${dict}[${key}] = ${moved}`, `${left.text} = ${read}`];
  return { stmt, dict, lines };
}

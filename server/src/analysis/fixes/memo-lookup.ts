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
import { classifyWrite, type LoopFacts, type WriteCall } from '../code-facts';
import { callArguments, type Node } from '../syntax';
import type { Scope } from '../scope';
import { snakeCase } from '../snake-case';
import { keywordTexts, MARK, mentions, ownLine, relatedManager, usesLoopNames } from './loop-reading';
import { chainOf, oneLine } from './loop-chain';

/** How the refusal of a get_or_create keyed by the loop's own row starts (deferred-create.ts batches those). */
export const BY_OWN_ROW = "get_or_create() looks up by the loop's own row";

export interface MemoRewrite {
  /** The statement replaced. */
  stmt: Node;
  /** The dict's name, declared `{}` above the loop. */
  dict: string;
  /** The statement's replacement, its lines joined by `eol + indent`. */
  lines: string[];
  /** A marked line to put above the loop. */
  note?: string;
  /** What runs once per key, for the fix's title (`get_or_create` when unset). */
  what?: string;
}

/** `StockLocation` -> `stock_location`; the model named in an inline `apps.get_model("shop", "Depot")` -> `depot`. */
function modelSlug(model: string): string {
  const named = /^[A-Za-z_][\w.]*$/.test(model) ? model.split('.').pop() : /["'](\w+)["']\s*\)\s*$/.exec(model)?.[1];
  return snakeCase(named ?? '') || 'row';
}

/** `name` is read in `scope` more than once, counting where it is bound (a word match: cheap, and errs on refusing). */
function readElsewhere(name: string, scope: Node): boolean {
  return mentions(name, scope.text) > 1;
}

/** `(a,)` / `(a, b)`: the key of the values a call is cached under. */
function keyTuple(values: readonly string[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

/**
 * The call's text moved one block in (`%STEP%` after each line break): its continuation lines
 * follow, unless a string spans lines (its text would change).
 */
function movedCall(call: Node): string {
  const multiLineString = call.descendantsOfType('string').some((n) => n.startPosition.row !== n.endPosition.row);
  return multiLineString ? call.text : call.text.replace(/\r?\n/g, (eol) => `${eol}%STEP%`);
}

/** The rewrite, or why there is none (a phrase). `fresh` names a new local. */
export function memoizeLookup(call: Node, loop: LoopFacts, body: Node, scope: Node, locals: Scope, source: string, fresh: (base: string) => string): MemoRewrite | string {
  const used = 'the loop uses what the write returns';
  const fn = call.childForFieldName('function');
  const receiver = fn?.childForFieldName('object');
  if (fn?.childForFieldName('attribute')?.text !== 'get_or_create' || !receiver) return used;
  const chain = chainOf(receiver);
  // `row.tags.get_or_create(…)`: a related manager of the loop's own row, keyed by the row too.
  const owner = receiver.type === 'attribute' ? receiver.childForFieldName('object') : null;
  if (!chain && owner && loop.targets.includes(owner.text) && relatedManager(receiver, locals)) {
    return `${BY_OWN_ROW} (through ${oneLine(receiver.text)}): once per look-up would still be once per row`;
  }
  if (!chain || chain.manager !== oneLine(receiver.text) || usesLoopNames(receiver, loop, body)) return 'it creates through a related manager or a model the loop picks per row';
  const kw = keywordTexts(call);
  const lookup = kw?.filter(([k]) => k !== 'defaults') ?? [];
  if (!kw || lookup.length === 0) return 'get_or_create() takes arguments that cannot be read as a look-up';
  if (lookup.some(([, v]) => /^[[{]/.test(v))) return 'get_or_create() looks up a list or a dict, which cannot key a cache';
  // Keyed by the loop's own row, once per look-up is once per row: nothing would be saved.
  const own = lookup.find(([, v]) => loop.targets.some((t) => new RegExp(`^${t}(?:\\.(?:pk|id))?$`).test(oneLine(v))));
  if (own) return `${BY_OWN_ROW} (${own[0]}=${oneLine(own[1])}): once per look-up would still be once per row`;
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
  const tuple = keyTuple(values);
  const read = `${source.slice(value.startIndex, call.startIndex)}${dict}[${key}]${source.slice(call.endIndex, value.endIndex)}`;
  const moved = movedCall(call);
  const lines = flagged
    ? [`${key} = ${tuple}`, `if ${key} in ${dict}:`, `%STEP%${flagged.object}, ${flagged.flag} = ${dict}[${key}][0], False`, 'else:', `%STEP%${left.text} = ${dict}[${key}] = ${moved}`]
    : [`${key} = ${tuple}`, `if ${key} not in ${dict}:`, `%STEP%${dict}[${key}] = ${moved}`, `${left.text} = ${read}`];
  return { stmt, dict, lines };
}

/**
 * A same-file helper whose one write is a `get_or_create()` and whose result the loop uses
 * (`job = _get_job(Job, row.path)`), made to run once per distinct arguments, as a get_or_create
 * the loop makes itself does (above). That the helper gives the same row again for the same
 * arguments is its author's to check: a marked line says so. Null when the helper writes in any
 * other way, calls another helper of the file, or its call is not assigned on a line of its own.
 */
export function memoizeHelper(w: WriteCall, source: string, fresh: (base: string) => string): MemoRewrite | null {
  const helper = w.helper?.node;
  const inner = w.inner;
  if (!helper || helper.type !== 'function_definition' || inner?.kind !== 'create') return null;
  if (inner.call.childForFieldName('function')?.childForFieldName('attribute')?.text !== 'get_or_create') return null;
  const module = helper.parent;
  const siblings = new Set(module?.type === 'module' ? module.namedChildren.filter((n) => n.type === 'function_definition').map((n) => n.childForFieldName('name')?.text ?? '') : []);
  for (const call of helper.descendantsOfType('call')) {
    const kind = classifyWrite(call);
    if (kind && call.id !== inner.call.id) return null;
    const fn = call.childForFieldName('function');
    if (fn?.type === 'identifier' && siblings.has(fn.text)) return null;
  }
  const assign = w.call.parent?.type === 'assignment' && w.call.parent.childForFieldName('right')?.id === w.call.id ? w.call.parent : null;
  const stmt = assign?.parent;
  const left = assign?.childForFieldName('left');
  if (!assign || !left || stmt?.type !== 'expression_statement' || stmt.firstNamedChild?.id !== assign.id || assign.childForFieldName('type') || !ownLine(stmt, source)) return null;
  const args = callArguments(w.call);
  if (args.hasSplat) return null;
  const values = [...args.positional, ...args.keywords.values()];
  if (values.some((v) => ['list', 'dictionary', 'set', 'list_comprehension', 'dictionary_comprehension', 'set_comprehension'].includes(v.type))) return null;
  const name = helper.childForFieldName('name')?.text ?? 'helper';
  const dict = fresh(`known_${snakeCase(name.replace(/^_+/, '')) || 'result'}`);
  const key = fresh('lookup');
  const texts = values.map((v) => oneLine(v.text));
  const tuple = keyTuple(texts);
  const moved = movedCall(w.call);
  return {
    stmt,
    dict,
    lines: [`${key} = ${tuple}`, `if ${key} not in ${dict}:`, `%STEP%${dict}[${key}] = ${moved}`, `${left.text} = ${dict}[${key}]`],
    what: `${name}()`,
    note: `${MARK} ${name}() now runs once per distinct arguments, not once per row: it must give the same row again for the same arguments (its get_or_create does) and do nothing else that matters`,
  };
}

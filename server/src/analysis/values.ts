/**
 * A small evaluator for the literal values migration files are made of: strings (with implicit
 * and `+` concatenation), numbers, booleans, None, lists, tuples, sets, dicts, dotted references
 * resolved through the file's imports (`models.CASCADE` -> `django.db.models.CASCADE`), calls kept
 * as data (`models.CharField(max_length=3)`), and names bound to such values in the same file.
 * Everything else is `unknown`, never guessed. Values are plain data: no tree nodes.
 */
import type { Scope } from './scope';
import { callArguments, staticString, unparen, type Node } from './syntax';

export type Value =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'list' | 'tuple' | 'set'; items: Value[] }
  | { kind: 'dict'; entries: Array<[Value, Value]> }
  | RefValue
  | CallValue
  | { kind: 'unknown' };

/** A dotted name. `path` is its qualified name through the file's imports, null when unresolved. */
export interface RefValue {
  kind: 'ref';
  text: string;
  path: string | null;
}

export interface CallValue {
  kind: 'call';
  callee: RefValue;
  args: Value[];
  kwargs: Record<string, Value>;
  /** `*args` / `**kwargs` present: the arguments are not all known. */
  hasSplat: boolean;
}

export const UNKNOWN: Value = Object.freeze({ kind: 'unknown' }) as Value;

/** Python's builtins that migration files use as values or callables (`default=dict`). */
const BUILTINS = new Set(['dict', 'list', 'set', 'tuple', 'str', 'int', 'float', 'bool', 'bytes', 'frozenset', 'object', 'len', 'print']);

const MAX_DEPTH = 24;

const COLLECTIONS: ReadonlyMap<string, 'list' | 'tuple' | 'set' | 'dict'> = new Map([
  ['builtins.list', 'list'],
  ['builtins.tuple', 'tuple'],
  ['builtins.set', 'set'],
  ['builtins.frozenset', 'set'],
  ['builtins.dict', 'dict'],
] as const);

/**
 * The qualified name of a dotted reference: its head looked up in the file's scope (an import
 * gives the module path; a builtin gives `builtins.X`). Null when the head is unbound, defined in
 * the file, or ambiguous.
 */
export function qualifiedName(dotted: string, scope: Scope): string | null {
  const dot = dotted.indexOf('.');
  const head = dot === -1 ? dotted : dotted.slice(0, dot);
  const rest = dot === -1 ? '' : dotted.slice(dot);
  const b = scope.lookup(head);
  if (!b) return scope.has(head) ? null : BUILTINS.has(head) ? `builtins.${head}${rest}` : null;
  if (b.kind !== 'import' || b.importedFrom === undefined) return null;
  // `import a.b.c` binds `a`; `import a.b as c` binds c -> a.b; `from m import x` binds x -> m.x.
  const base = b.importedName !== undefined ? `${b.importedFrom}.${b.importedName}` : b.importedFrom;
  return `${base}${rest}`;
}

function dottedText(node: Node): string | null {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const obj = node.childForFieldName('object');
    const attr = node.childForFieldName('attribute');
    if (!obj || !attr) return null;
    const left = dottedText(unparen(obj));
    return left === null ? null : `${left}.${attr.text}`;
  }
  return null;
}

function intValue(text: string): number | null {
  const t = text.replace(/_/g, '').toLowerCase();
  let n: number;
  if (/^0x[0-9a-f]+$/.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^0o[0-7]+$/.test(t)) n = parseInt(t.slice(2), 8);
  else if (/^0b[01]+$/.test(t)) n = parseInt(t.slice(2), 2);
  else if (/^[0-9]+$/.test(t)) n = Number(t);
  else return null;
  return Number.isSafeInteger(n) ? n : null;
}

export class Evaluator {
  constructor(private readonly scope: Scope) {}

  /** The value of an expression, or `unknown`. */
  eval(node: Node | null | undefined, depth = 0): Value {
    if (!node || depth > MAX_DEPTH) return UNKNOWN;
    const n = unparen(node);
    switch (n.type) {
      case 'string':
      case 'concatenated_string': {
        if (/^[A-Za-z]*[bB]/.test(n.text)) return UNKNOWN; // bytes
        const s = staticString(n);
        return s?.complete ? { kind: 'str', value: s.text } : UNKNOWN;
      }
      case 'integer': {
        const v = intValue(n.text);
        return v === null ? UNKNOWN : { kind: 'int', value: v };
      }
      case 'float': {
        const v = Number(n.text.replace(/_/g, ''));
        return Number.isFinite(v) && !/[jJ]$/.test(n.text) ? { kind: 'float', value: v } : UNKNOWN;
      }
      case 'true':
        return { kind: 'bool', value: true };
      case 'false':
        return { kind: 'bool', value: false };
      case 'none':
        return { kind: 'none' };
      case 'unary_operator': {
        const op = n.childForFieldName('operator')?.text;
        const inner = this.eval(n.childForFieldName('argument'), depth + 1);
        if ((inner.kind === 'int' || inner.kind === 'float') && (op === '-' || op === '+')) {
          return { kind: inner.kind, value: op === '-' ? -inner.value : inner.value };
        }
        return UNKNOWN;
      }
      case 'binary_operator': {
        if (n.childForFieldName('operator')?.text !== '+') return UNKNOWN;
        const a = this.eval(n.childForFieldName('left'), depth + 1);
        const b = this.eval(n.childForFieldName('right'), depth + 1);
        if (a.kind === 'str' && b.kind === 'str') return { kind: 'str', value: a.value + b.value };
        if ((a.kind === 'list' && b.kind === 'list') || (a.kind === 'tuple' && b.kind === 'tuple')) return { kind: a.kind, items: [...a.items, ...b.items] };
        return UNKNOWN;
      }
      case 'list':
      case 'tuple':
      case 'set':
        return this.sequence(n, n.type, depth);
      case 'dictionary':
        return this.dictionary(n, depth);
      case 'identifier':
      case 'attribute':
        return this.reference(n, depth);
      case 'call':
        return this.call(n, depth);
      default:
        return UNKNOWN;
    }
  }

  private sequence(n: Node, kind: 'list' | 'tuple' | 'set', depth: number): Value {
    const items: Value[] = [];
    for (const child of n.namedChildren) {
      if (child.type === 'comment') continue;
      if (child.type === 'list_splat') {
        const inner = this.eval(child.firstNamedChild, depth + 1);
        if (inner.kind !== 'list' && inner.kind !== 'tuple') return UNKNOWN;
        items.push(...inner.items);
        continue;
      }
      items.push(this.eval(child, depth + 1));
    }
    return { kind, items };
  }

  private dictionary(n: Node, depth: number): Value {
    const entries: Array<[Value, Value]> = [];
    for (const child of n.namedChildren) {
      if (child.type === 'comment') continue;
      if (child.type !== 'pair') return UNKNOWN; // `**other`
      entries.push([this.eval(child.childForFieldName('key'), depth + 1), this.eval(child.childForFieldName('value'), depth + 1)]);
    }
    return { kind: 'dict', entries };
  }

  private reference(n: Node, depth: number): Value {
    const text = dottedText(n);
    if (text === null) return UNKNOWN;
    if (n.type === 'identifier') {
      const b = this.scope.lookup(text);
      if (b?.kind === 'value') return this.eval(b.node, depth + 1);
    }
    return { kind: 'ref', text, path: qualifiedName(text, this.scope) };
  }

  private call(n: Node, depth: number): Value {
    const fn = n.childForFieldName('function');
    const text = fn ? dottedText(unparen(fn)) : null;
    if (text === null) return UNKNOWN;
    const a = callArguments(n);
    const path = qualifiedName(text, this.scope);
    // `set()`, `tuple([...])`, `dict()`: the collections they build.
    const builtin = path && COLLECTIONS.get(path);
    if (builtin && !a.hasSplat && a.keywords.size === 0 && a.positional.length <= 1) {
      if (a.positional.length === 0) return builtin === 'dict' ? { kind: 'dict', entries: [] } : { kind: builtin, items: [] };
      const inner = this.eval(a.positional[0], depth + 1);
      if (builtin !== 'dict' && (inner.kind === 'list' || inner.kind === 'tuple' || inner.kind === 'set')) return { kind: builtin, items: inner.items };
      if (builtin === 'dict' && inner.kind === 'dict') return inner;
      return UNKNOWN;
    }
    const kwargs: Record<string, Value> = {};
    for (const [k, v] of a.keywords) kwargs[k] = this.eval(v, depth + 1);
    return {
      kind: 'call',
      callee: { kind: 'ref', text, path },
      args: a.positional.map((p) => this.eval(p, depth + 1)),
      kwargs,
      hasSplat: a.hasSplat,
    };
  }
}

// --- Reading values -------------------------------------------------------------------------

export function asString(v: Value | undefined): string | null {
  return v?.kind === 'str' ? v.value : null;
}

export function asBool(v: Value | undefined): boolean | null {
  return v?.kind === 'bool' ? v.value : null;
}

export function asInt(v: Value | undefined): number | null {
  return v?.kind === 'int' ? v.value : null;
}

/** The items of a list, tuple or set value; null for anything else. */
export function asItems(v: Value | undefined): Value[] | null {
  return v && (v.kind === 'list' || v.kind === 'tuple' || v.kind === 'set') ? v.items : null;
}

/** A list of strings (`['a', 'b']`), or null when any item is not a known string. */
export function asStrings(v: Value | undefined): string[] | null {
  const items = asItems(v);
  if (!items) return null;
  const out: string[] = [];
  for (const item of items) {
    if (item.kind !== 'str') return null;
    out.push(item.value);
  }
  return out;
}

/** The entry of a dict value whose key is the string `key`. */
export function dictGet(v: Value | undefined, key: string): Value | undefined {
  if (v?.kind !== 'dict') return undefined;
  for (const [k, value] of v.entries) if (k.kind === 'str' && k.value === key) return value;
  return undefined;
}

/** True when the dict's keys are all known strings (so a missing key is really missing). */
export function dictKeysKnown(v: Value): boolean {
  return v.kind === 'dict' && v.entries.every(([k]) => k.kind === 'str');
}

/** The path of a reference or of a call's callee, else its text; null for other values. */
export function refPath(v: Value | undefined): string | null {
  if (v?.kind === 'ref') return v.path ?? v.text;
  if (v?.kind === 'call') return v.callee.path ?? v.callee.text;
  return null;
}

/** True when a value, all the way down, holds nothing unknown. */
export function isFullyKnown(v: Value): boolean {
  switch (v.kind) {
    case 'unknown':
      return false;
    case 'list':
    case 'tuple':
    case 'set':
      return v.items.every(isFullyKnown);
    case 'dict':
      return v.entries.every(([k, x]) => isFullyKnown(k) && isFullyKnown(x));
    case 'call':
      return !v.hasSplat && v.args.every(isFullyKnown) && Object.values(v.kwargs).every(isFullyKnown);
    default:
      return true;
  }
}

/** Python-like rendering of a value, for messages. */
export function showValue(v: Value): string {
  switch (v.kind) {
    case 'str':
      return JSON.stringify(v.value);
    case 'int':
    case 'float':
      return String(v.value);
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
      return `[${v.items.map(showValue).join(', ')}]`;
    case 'tuple':
      return `(${v.items.map(showValue).join(', ')}${v.items.length === 1 ? ',' : ''})`;
    case 'set':
      return `{${v.items.map(showValue).join(', ')}}`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${showValue(k)}: ${showValue(x)}`).join(', ')}}`;
    case 'ref':
      return v.text;
    case 'call': {
      const args = [...v.args.map(showValue), ...Object.entries(v.kwargs).map(([k, x]) => `${k}=${showValue(x)}`)];
      return `${v.callee.text}(${args.join(', ')})`;
    }
    case 'unknown':
      return '…';
  }
}

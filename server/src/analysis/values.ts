/**
 * A small evaluator for the literal values migration files are made of: strings (with implicit
 * and `+` concatenation), numbers, booleans, None, lists, tuples, sets, dicts, dotted references
 * resolved through the file's imports (`models.CASCADE` -> `django.db.models.CASCADE`), calls kept
 * as data (`models.CharField(max_length=3)`), and names bound to such values in the same file.
 * Everything else is `unknown`, never guessed. Values are plain data: no tree nodes.
 */
import { LiteralText, type TextEnv } from './literal-text';
import type { ValueInterner } from './interner';
import type { Scope } from './scope';
import type { Node } from './syntax';

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

/**
 * Keyword arguments of fields and options that can be long (choices lists, help texts) and that
 * no rule reads: recorded as written-but-unknown without evaluating them.
 */
const UNREAD_KEYWORDS = new Set(['choices', 'help_text', 'verbose_name', 'verbose_name_plural', 'validators', 'error_messages', 'limit_choices_to', 'permissions', 'default_permissions', 'ordering']);

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



/** The source text a node was parsed from (the whole file), cached per tree. */
const sources = new WeakMap<object, string>();
function sourceOf(node: Node): string {
  const tree = node.tree as object;
  let text = sources.get(tree);
  if (text === undefined) {
    // The root node starts at the first token: a file that begins with spaces would shift every
    // index read from it. Pad it back so indices into the file are indices into this text.
    const root = node.tree.rootNode;
    text = root.startIndex > 0 ? ' '.repeat(root.startIndex) + root.text : root.text;
    sources.set(tree, text);
  }
  return text;
}

/** Evaluates expressions of one file, resolving names through `scope` (see literal-text.ts). */
export class Evaluator {
  private readonly env: TextEnv;

  /**
   * @param onName told of every bare name looked up, and the text it is bound to (null: not a value).
   * @param shared where calls read the same way in other files are shared, with this file's imports.
   */
  constructor(
    private readonly scope: Scope,
    onName?: (name: string, boundTo: string | null) => void,
    shared?: { interner: ValueInterner; imports: string },
  ) {
    this.env = {
      name: (identifier, depth) => {
        const b = this.scope.lookup(identifier);
        onName?.(identifier, b?.kind === 'value' ? b.node.text : null);
        return b?.kind === 'value' ? this.eval(b.node, depth + 1) : null;
      },
      qualify: (dotted) => qualifiedName(dotted, this.scope),
      builtinCall: (path, args, hasKwargs) => {
        const builtin = path ? COLLECTIONS.get(path) : undefined;
        if (!builtin) return undefined;
        if (hasKwargs || args.length > 1) return UNKNOWN;
        if (args.length === 0) return builtin === 'dict' ? { kind: 'dict', entries: [] } : { kind: builtin, items: [] };
        const inner = args[0] as Value;
        if (builtin !== 'dict' && (inner.kind === 'list' || inner.kind === 'tuple' || inner.kind === 'set')) return { kind: builtin, items: inner.items };
        if (builtin === 'dict' && inner.kind === 'dict') return inner;
        return UNKNOWN;
      },
      skipKeyword: (key) => UNREAD_KEYWORDS.has(key),
      ...(shared
        ? {
            intern: (text: string, value: CallValue) => shared.interner.intern(shared.imports, text, value),
            known: (text: string) => shared.interner.known(shared.imports, text),
          }
        : {}),
    };
  }

  /** How names, calls and interning are read here: for readers of values other than literal-text.ts. */
  get textEnv(): TextEnv {
    return this.env;
  }

  /** The value of an expression, or `unknown`. */
  eval(node: Node | null | undefined, depth = 0): Value {
    if (!node || depth > MAX_DEPTH) return UNKNOWN;
    return new LiteralText(sourceOf(node), node.startIndex, node.endIndex, this.env, depth).read();
  }

  /** The value of the expression at `start`..`end` of `source` (read without a tree). */
  evalSpan(source: string, start: number, end: number): Value {
    return new LiteralText(source, start, end, this.env, 0).read();
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

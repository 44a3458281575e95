/**
 * Building blocks of the benchmark corpus generator: a seeded PRNG, a tiny expression model, and a
 * formatter that writes it the way Django's migration writer does (one line per field, single
 * quotes) or the way black reformats that output (double quotes, wrapped at 88 columns, magic
 * trailing commas). Everything here is deterministic for a given seed.
 */

/** mulberry32: small, fast, good enough for test data, identical on every platform. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }

  /** Up to `n` distinct items, in list order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const idx = items.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, n).sort((a, b) => a - b).map((i) => items[i] as T);
  }
}

/** How a file is written: Django's own writer output, or that output after black. */
export interface Style {
  black: boolean;
  /** Quote character for string literals. */
  q: "'" | '"';
}

export interface Call {
  kind: 'call';
  fn: string;
  args: Arg[];
}
export interface Arg {
  key: string | null;
  value: Expr;
}
export interface Seq {
  kind: 'seq';
  open: '[' | '(' | '{';
  items: Expr[];
}
export interface Pair {
  kind: 'pair';
  key: Expr;
  value: Expr;
}
export type Expr = string | Call | Seq | Pair;

export function call(fn: string, ...args: (Expr | [string, Expr])[]): Call {
  return { kind: 'call', fn, args: args.map((a) => (Array.isArray(a) ? { key: a[0], value: a[1] } : { key: null, value: a })) };
}
export const list = (...items: Expr[]): Seq => ({ kind: 'seq', open: '[', items });
export const tuple = (...items: Expr[]): Seq => ({ kind: 'seq', open: '(', items });
export const dict = (...pairs: [Expr, Expr][]): Seq => ({ kind: 'seq', open: '{', items: pairs.map(([key, value]) => ({ kind: 'pair', key, value })) });

const CLOSE = { '[': ']', '(': ')', '{': '}' } as const;

/** A Python string literal in the style's quotes. */
export function str(style: Style, text: string): string {
  const q = text.includes(style.q) ? (style.q === '"' ? "'" : '"') : style.q;
  return q + text.replace(/\\/g, '\\\\') + q;
}

export function inline(e: Expr): string {
  if (typeof e === 'string') return e;
  if (e.kind === 'pair') return `${inline(e.key)}: ${inline(e.value)}`;
  if (e.kind === 'call') return `${e.fn}(${e.args.map((a) => (a.key ? `${a.key}=${inline(a.value)}` : inline(a.value))).join(', ')})`;
  const body = e.items.map(inline).join(', ');
  return e.open + body + (e.open === '(' && e.items.length === 1 ? ',' : '') + CLOSE[e.open];
}

const WIDTH = 88;

/** Children of an explodable expression, each with the prefix it is written after. */
function parts(e: Call | Seq | Pair): { head: string; tail: string; children: [string, Expr][] } {
  if (e.kind === 'call') return { head: `${e.fn}(`, tail: ')', children: e.args.map((a) => [a.key ? `${a.key}=` : '', a.value]) };
  if (e.kind === 'pair') return { head: `${inline(e.key)}: `, tail: '', children: [] };
  return { head: e.open, tail: CLOSE[e.open], children: e.items.map((i) => ['', i]) };
}

/**
 * Lines for `prefix + e + suffix` at `indent` spaces. Black style wraps what does not fit, one
 * element per line with a trailing comma; Django style writes it on one line.
 */
export function render(e: Expr, indent: number, style: Style, prefix = '', suffix = '', force = false): string[] {
  const pad = ' '.repeat(indent);
  const one = pad + prefix + inline(e) + suffix;
  if (typeof e === 'string' || (!force && (!style.black || one.length <= WIDTH))) return [one];
  if (e.kind === 'pair') {
    // Black wraps a too-long dict value in its own brackets only for calls/seqs; keep it simple.
    return render(e.value, indent, style, `${prefix}${inline(e.key)}: `, suffix);
  }
  const { head, tail, children } = parts(e);
  if (children.length === 0) return [one];
  const out = [pad + prefix + head];
  for (const [p, child] of children) out.push(...render(child, indent + 4, style, p, ','));
  out.push(pad + tail + suffix);
  return out;
}

/**
 * One migration operation as Django's OperationWriter writes it: one keyword argument per line;
 * list, tuple and dict arguments one element per line; everything else inline (then black).
 */
export function renderOperation(op: Call, indent: number, style: Style): string[] {
  const pad = ' '.repeat(indent);
  const out = [`${pad}${op.fn}(`];
  for (const a of op.args) {
    const key = a.key ? `${a.key}=` : '';
    const v = a.value;
    if (typeof v !== 'string' && v.kind === 'seq' && v.items.length > 0) {
      out.push(`${pad}    ${key}${v.open}`);
      for (const item of v.items) out.push(...render(item, indent + 8, style, '', ','));
      out.push(`${pad}    ${CLOSE[v.open]},`);
    } else {
      out.push(...render(v, indent + 4, style, key, ','));
    }
  }
  out.push(`${pad}),`);
  return out;
}

/** Django's import block: plain imports first, then from-imports, each group sorted by module. */
export function importBlock(imports: Iterable<string>): string[] {
  return [...new Set(imports)].sort((a, b) => {
    const fa = a.startsWith('from ') ? 1 : 0;
    const fb = b.startsWith('from ') ? 1 : 0;
    return fa - fb || a.split(' ')[1]!.localeCompare(b.split(' ')[1]!);
  });
}

export interface MigrationParts {
  header?: string;
  imports: Iterable<string>;
  /** Module-level code between the imports and the class (helper functions, constants). */
  preamble?: string[];
  /** Class attributes written before `dependencies` (initial, atomic, replaces …). */
  attributes?: string[];
  dependencies: Expr[];
  operations: string[];
  /** Class body after `operations` (e.g. methods). */
  trailer?: string[];
}

/** Assembles a whole migration module. */
export function migrationModule(p: MigrationParts, style: Style): string {
  const out: string[] = [];
  if (p.header) out.push(p.header, '');
  out.push(...importBlock(p.imports));
  if (p.preamble?.length) out.push('', '', ...p.preamble);
  out.push('', '', 'class Migration(migrations.Migration):', '');
  if (p.attributes?.length) out.push(...p.attributes, '');
  if (p.dependencies.length === 0) out.push('    dependencies = []');
  else {
    out.push('    dependencies = [');
    for (const d of p.dependencies) out.push(...render(d, 8, style, '', ','));
    out.push('    ]');
  }
  out.push('', '    operations = [', ...p.operations, '    ]');
  if (p.trailer?.length) out.push('', ...p.trailer);
  return out.join('\n') + '\n';
}

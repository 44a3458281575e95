/**
 * The values of expressions python-subset-reader.ts has read, built from its expressions rather
 * than from the text again: the reader has already found every call's arguments, every element
 * and every entry, so only the leaves (a string, a number) are looked at once more. The values are
 * the ones literal-text.ts reads from the same span, interned the same way (the text-summary tests
 * compare the summaries built from them with the tree's on every file of the corpora).
 */
import { own } from '../text-cursor';
import { LiteralText, type TextEnv } from '../literal-text';
import { UNKNOWN, type CallValue, type Value } from '../values';
import type { Expr } from './python-subset-reader';

export class SubsetValues {
  /** Bare names looked up so far: a call that looked none up means the same in every file. */
  private lookups = 0;

  constructor(
    private readonly src: string,
    private readonly env: TextEnv,
  ) {}

  valueOf(e: Expr): Value {
    switch (e.kind) {
      case 'paren':
        return e.items?.[0] ? this.valueOf(e.items[0]) : UNKNOWN;
      case 'list':
      case 'tuple':
      case 'set':
        return { kind: e.kind, items: (e.items ?? []).map((x) => this.valueOf(x)) };
      case 'dict':
        return {
          kind: 'dict',
          entries: (e.entries ?? []).map(([k, v]): [Value, Value] => {
            const key = this.valueOf(k);
            return [key, key.kind === 'str' && this.env.skipKeyword(key.value) ? UNKNOWN : this.valueOf(v)];
          }),
        };
      case 'call':
        return this.call(e);
      default:
        if (e.leaf) return this.leaf(e);
        // A dotted name; anything else here (an attribute of a call or of a string) is no literal.
        return e.callee && e.callee.end === e.end ? this.name(e.callee.dotted) : UNKNOWN;
    }
  }

  private name(dotted: string): Value {
    if (!dotted.includes('.')) {
      this.lookups++;
      const bound = this.env.name(dotted, 0);
      if (bound) return bound;
    }
    return { kind: 'ref', text: dotted, path: this.env.qualify(dotted) };
  }

  /** A string, a number or a constant: one plain string or integer here, the rest as literal-text.ts reads it. */
  private leaf(e: Expr): Value {
    const s = this.src;
    const q = s.charCodeAt(e.start);
    if ((q === 39 || q === 34) && e.end - e.start >= 2 && s.charCodeAt(e.end - 1) === q) {
      const body = s.slice(e.start + 1, e.end - 1);
      // No quote inside (neither a triple-quoted string nor two side by side) and no escape.
      if (!body.includes(q === 39 ? "'" : '"') && !body.includes('\\')) return { kind: 'str', value: own(body) };
    }
    const text = s.slice(e.start, e.end);
    if (/^\d{1,15}$/.test(text) && (text.length === 1 || q !== 48)) return { kind: 'int', value: Number(text) };
    if (text === 'True' || text === 'False') return { kind: 'bool', value: text === 'True' };
    if (text === 'None') return { kind: 'none' };
    return new LiteralText(s, e.start, e.end, this.env, 0).read();
  }

  private call(e: Expr): Value {
    const callee = e.callee;
    if (!callee) return UNKNOWN;
    const text = this.env.known || this.env.intern ? this.src.slice(e.start, e.end) : '';
    const hit = this.env.known?.(text);
    if (hit) return hit;
    const before = this.lookups;
    const args = (e.args ?? []).map((a) => this.valueOf(a));
    const kwargs = Object.create(null) as Record<string, Value>;
    for (const [key, value] of e.keywords ?? []) kwargs[key] = this.env.skipKeyword(key) ? UNKNOWN : this.valueOf(value);
    const path = this.env.qualify(callee.dotted);
    const built = this.env.builtinCall(path, args, (e.keywords?.length ?? 0) > 0);
    if (built) return built;
    const value: CallValue = { kind: 'call', callee: { kind: 'ref', text: callee.dotted, path }, args, kwargs, hasSplat: false };
    return this.env.intern && this.lookups === before ? this.env.intern(text, value) : value;
  }
}

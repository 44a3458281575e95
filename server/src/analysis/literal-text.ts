/**
 * Reads a Python expression of the literal kind migration files are made of straight from its
 * source text — strings, numbers, booleans, None, lists, tuples, sets, dicts, dotted names and
 * calls — into a Value, without visiting tree nodes (each of which costs a crossing into the
 * parser's WebAssembly). The text is a span tree-sitter already parsed, so it is well formed;
 * whatever is not of this kind (lambda, comprehension, f-string, operator, subscript, …) reads as
 * `unknown` and is skipped up to the end of its expression.
 */
import { isIdentStart, TextCursor, Unreadable } from './text-cursor';
import type { CallValue, Value } from './values';

export interface TextEnv {
  /** The value a bare name is bound to in the file, or null (then it is a reference). */
  name(identifier: string, depth: number): Value | null;
  /** The qualified name of a dotted reference (`models.CASCADE` -> `django.db.models.CASCADE`). */
  qualify(dotted: string): string | null;
  /** What a call to `path` builds (`set()`, `tuple([...])`), or undefined for a call kept as data. */
  builtinCall(path: string | null, args: Value[], hasKwargs: boolean): Value | undefined;
  /** Keyword arguments not worth reading (long choices lists, help texts). */
  skipKeyword(key: string): boolean;
  /** A call that used no name of the file, with its text: the shared equal value, if any (see interner.ts). */
  intern?(text: string, value: CallValue): CallValue;
  /** The shared value of a call with this text, when one was interned: the call is then not read again. */
  known?(text: string): CallValue | undefined;
}

const UNKNOWN: Value = Object.freeze({ kind: 'unknown' }) as Value;

export class LiteralText extends TextCursor {
  /** Bare names looked up so far: a call that looked none up means the same in every file. */
  private lookups = 0;

  constructor(
    src: string,
    start: number,
    end: number,
    private readonly env: TextEnv,
    private readonly depth: number,
  ) {
    super(src, start, end);
  }

  /** The value of the whole span. */
  read(): Value {
    try {
      const v = this.expression();
      this.space();
      return this.pos >= this.end ? v : UNKNOWN;
    } catch (e) {
      if (e instanceof Unreadable) return UNKNOWN;
      throw e;
    }
  }

  /**
   * One element of a list, argument, dict value…: an unknown one is skipped to its end. A
   * comprehension (`x for x in y` at this level) makes the whole container unknown instead.
   */
  private element(): Value {
    const start = this.pos;
    try {
      return this.expression();
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      this.pos = start;
      if (this.skipExpression()) throw new Unreadable();
      return UNKNOWN;
    }
  }

  private expression(): Value {
    let v = this.unary();
    for (;;) {
      const c = this.peek();
      if (c === 43 && this.src.charCodeAt(this.pos + 1) !== 61) {
        this.pos++;
        const w = this.unary();
        if (v.kind === 'str' && w.kind === 'str') v = { kind: 'str', value: v.value + w.value };
        else if ((v.kind === 'list' && w.kind === 'list') || (v.kind === 'tuple' && w.kind === 'tuple')) v = { kind: v.kind, items: [...v.items, ...w.items] };
        else throw new Unreadable();
        continue;
      }
      // Any other operator, `if`/`for`/`and`/`or`/`not`/`in`/`is`: not a literal.
      if (c === -1 || c === 44 || c === 41 || c === 93 || c === 125 || c === 58 || c === 61) return v;
      throw new Unreadable();
    }
  }

  private unary(): Value {
    const c = this.peek();
    if (c === 45 || c === 43) {
      this.pos++;
      const v = this.unary();
      if (v.kind !== 'int' && v.kind !== 'float') throw new Unreadable();
      return c === 45 ? { kind: v.kind, value: -v.value } : v;
    }
    return this.postfix();
  }

  private postfix(): Value {
    const c = this.peek();
    if (isIdentStart(c)) {
      const save = this.pos;
      const lookupsBefore = this.lookups;
      const word = this.identifier();
      // A string with a prefix (r'', b'', f'', u'', rb'' …).
      const q = this.pos < this.end ? this.src.charCodeAt(this.pos) : -1;
      if ((q === 39 || q === 34) && word.length <= 2 && /^[rRbBuUfF]+$/.test(word)) {
        this.pos = save;
        return this.strings();
      }
      if (word === 'True') return { kind: 'bool', value: true };
      if (word === 'False') return { kind: 'bool', value: false };
      if (word === 'None') return { kind: 'none' };
      if (word === 'lambda' || word === 'not' || word === 'await' || word === 'yield') throw new Unreadable();
      let dotted = word;
      while (this.peek() === 46) {
        this.pos++;
        this.space();
        if (!isIdentStart(this.peek())) throw new Unreadable();
        dotted += `.${this.identifier()}`;
      }
      if (this.peek() === 40) {
        // The call's text, taken once: looked up, then (read, on a miss) interned under the same string.
        let text: string | null = null;
        if (this.env.known) {
          const end = this.groupEnd();
          if (end !== -1) {
            text = this.src.slice(save, end);
            const hit = this.env.known(text);
            if (hit) {
              this.pos = end;
              return hit;
            }
          }
        }
        this.pos++;
        const value = this.call(dotted);
        if (value.kind === 'call' && this.env.intern && this.lookups === lookupsBefore) {
          return this.env.intern(text !== null && save + text.length === this.pos ? text : this.src.slice(save, this.pos), value);
        }
        return value;
      }
      if (this.peek() === 91) throw new Unreadable(); // subscript
      if (!dotted.includes('.')) {
        this.lookups++;
        const bound = this.env.name(dotted, this.depth);
        if (bound) return bound;
      }
      return { kind: 'ref', text: dotted, path: this.env.qualify(dotted) };
    }
    if (c === 39 || c === 34) return this.strings();
    if ((c >= 48 && c <= 57) || c === 46) return this.number();
    if (c === 40) return this.parenthesized();
    if (c === 91) {
      this.pos++;
      return { kind: 'list', items: this.items(93) };
    }
    if (c === 123) {
      this.pos++;
      return this.braces();
    }
    throw new Unreadable();
  }

  private number(): Value {
    // A plain decimal integer (max_length=255): read without the regular expression below.
    const s = this.src;
    let p = this.pos;
    while (p < this.end && isDigitCode(s.charCodeAt(p))) p++;
    if (p > this.pos && !(p < this.end && NUMBER_GOES_ON.has(s.charCodeAt(p)))) {
      const text = s.slice(this.pos, p);
      this.pos = p;
      return safeInt(Number(text));
    }
    const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?[jJ]?)/.exec(this.src.slice(this.pos, Math.min(this.end, this.pos + 64)));
    if (!m?.[0]) throw new Unreadable();
    const text = m[0].replace(/_/g, '');
    this.pos += m[0].length;
    if (/[jJ]$/.test(text)) throw new Unreadable();
    if (/^0[xX]/.test(text)) return safeInt(parseInt(text.slice(2), 16));
    if (/^0[oO]/.test(text)) return safeInt(parseInt(text.slice(2), 8));
    if (/^0[bB]/.test(text)) return safeInt(parseInt(text.slice(2), 2));
    if (/^\d+$/.test(text)) return safeInt(Number(text));
    const f = Number(text);
    if (!Number.isFinite(f)) throw new Unreadable();
    return { kind: 'float', value: f };
  }

  /** One string literal or several written side by side (implicit concatenation). */
  private strings(): Value {
    let out = '';
    let known = true;
    let any = false;
    for (;;) {
      const c = this.peek();
      let prefix = '';
      if (isIdentStart(c)) {
        const save = this.pos;
        prefix = this.identifier().toLowerCase();
        const q = this.pos < this.end ? this.src.charCodeAt(this.pos) : -1;
        if (!(q === 39 || q === 34) || !/^[rbuf]{1,2}$/.test(prefix)) {
          this.pos = save;
          break;
        }
      } else if (c !== 39 && c !== 34) break;
      const body = this.stringBody(prefix.includes('r'));
      any = true;
      if (prefix.includes('b') || prefix.includes('f')) known = false;
      out += body;
    }
    if (!any) throw new Unreadable();
    return known ? { kind: 'str', value: out } : UNKNOWN;
  }

  private parenthesized(): Value {
    this.pos++;
    if (this.eat(41)) return { kind: 'tuple', items: [] };
    const first = this.expression();
    if (this.eat(41)) return first; // (x): just parentheses
    if (!this.eat(44)) throw new Unreadable(); // a generator expression, `yield`, …
    const rest = this.items(41);
    return { kind: 'tuple', items: [first, ...rest] };
  }

  /** Comma-separated elements up to `close` (a trailing comma allowed; `*x` spliced in). */
  private items(close: number): Value[] {
    const out: Value[] = [];
    for (;;) {
      if (this.eat(close)) return out;
      if (this.peek() === 42) {
        this.pos++;
        const inner = this.expression();
        if (inner.kind !== 'list' && inner.kind !== 'tuple') throw new Unreadable();
        out.push(...inner.items);
      } else out.push(this.element());
      if (this.eat(close)) return out;
      this.expect(44);
    }
  }

  private braces(): Value {
    if (this.eat(125)) return { kind: 'dict', entries: [] };
    if (this.peek() === 42) throw new Unreadable(); // `**other`
    const first = this.element();
    if (this.eat(58)) {
      const entries: Array<[Value, Value]> = [[first, this.dictValue(first)]];
      for (;;) {
        if (this.eat(125)) return { kind: 'dict', entries };
        this.expect(44);
        if (this.eat(125)) return { kind: 'dict', entries };
        if (this.peek() === 42) throw new Unreadable();
        const key = this.element();
        this.expect(58);
        entries.push([key, this.dictValue(key)]);
      }
    }
    if (this.eat(125)) return { kind: 'set', items: [first] };
    this.expect(44);
    return { kind: 'set', items: [first, ...this.items(125)] };
  }

  private dictValue(key: Value): Value {
    if (key.kind === 'str' && this.env.skipKeyword(key.value)) {
      this.skipExpression();
      return UNKNOWN;
    }
    return this.element();
  }

  private call(dotted: string): Value {
    const args: Value[] = [];
    // A table without a prototype: V8 keeps it as a dictionary from the start. Keyword names vary from
    // call to call (max_length, verbose_name, on_delete…), and plain objects built key by key gave every
    // combination a hidden class of its own (14,000 of them on the 21 trees) and their readers
    // megamorphic look-ups: the text reading of plain migrations is 2–6% faster this way.
    const kwargs = Object.create(null) as Record<string, Value>;
    let hasSplat = false;
    for (;;) {
      if (this.eat(41)) break;
      const c = this.peek();
      if (c === 42) {
        // *args / **kwargs
        hasSplat = true;
        this.pos++;
        this.eat(42);
        this.element();
      } else if (isIdentStart(c)) {
        const save = this.pos;
        const word = this.identifier();
        if (this.peek() === 61 && this.src.charCodeAt(this.pos + 1) !== 61) {
          this.pos++;
          if (this.env.skipKeyword(word)) {
            this.skipExpression();
            kwargs[word] = UNKNOWN;
          } else kwargs[word] = this.element();
        } else {
          this.pos = save;
          args.push(this.element());
        }
      } else args.push(this.element());
      if (this.eat(41)) break;
      this.expect(44);
    }
    const path = this.env.qualify(dotted);
    const built = this.env.builtinCall(path, args, Object.keys(kwargs).length > 0 || hasSplat);
    if (built) return built;
    return { kind: 'call', callee: { kind: 'ref', text: dotted, path }, args, kwargs, hasSplat };
  }
}

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
/** After digits, what makes the number more than a plain integer: `.5`, `1_000`, `1e3`, `1j`, `0x1f`, `0o7`, `0b1`. */
const NUMBER_GOES_ON = new Set([46, 95, 101, 69, 106, 74, 120, 88, 111, 79, 98, 66]);

function safeInt(n: number): Value {
  if (!Number.isSafeInteger(n)) throw new Unreadable();
  return { kind: 'int', value: n };
}

/**
 * A strict reader of the small part of Python that plain makemigrations files are made of: names,
 * dotted names, calls, strings, numbers, lists, tuples, sets and dicts, line by line. It throws
 * GiveUp on anything else, and on the line breaks tree-sitter refuses where Python takes them
 * (text-summary.ts builds the summary on top of it; giving up sends the file to the parser).
 */
import { lineStarts, positionAt } from '../line-index';
import type { Position, Range } from '../types';

export class GiveUp extends Error {}
const GIVE_UP = new GiveUp();
export function giveUp(): never {
  throw GIVE_UP;
}

/** Python's keywords and the soft ones (never read as a name here). */
const KEYWORDS = new Set([
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global',
  'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'match', 'case', 'type',
  'print', 'exec', '_',
]);
const CONSTANTS = new Set(['True', 'False', 'None']);

/** An expression read: its span, and what the summary needs of its shape. */
export interface Expr {
  start: number;
  end: number;
  kind: 'list' | 'tuple' | 'set' | 'dict' | 'paren' | 'call' | 'other';
  /** list / tuple / set: the elements; paren: the one inside. */
  items?: Expr[];
  /** call: the callee's span and dotted text, when it is a plain dotted name. */
  callee?: { start: number; end: number; dotted: string; identifier: boolean } | null;
  /** call: the positional arguments, then the keyword ones (subset-values.ts reads their values from these). */
  args?: Expr[];
  keywords?: Array<[string, Expr]>;
  /** dict: its entries. */
  entries?: Array<[Expr, Expr]>;
  /** other: a string, a number or True / False / None, with nothing after it. */
  leaf?: true;
}

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNamePart = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHexDigit = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isOctalDigit = (c: number): boolean => c >= 48 && c <= 55;
const isBinaryDigit = (c: number): boolean => c === 48 || c === 49;

export class Reader {
  pos = 0;
  /** Bare names read as values (looked up in the file's scope). */
  readonly lookups = new Set<string>();
  private starts: number[] | null = null;

  constructor(readonly src: string) {}

  private code(at = this.pos): number {
    return at < this.src.length ? this.src.charCodeAt(at) : -1;
  }

  /** Spaces and tabs; inside brackets also line breaks and comments. */
  ws(bracketed: boolean): void {
    for (;;) {
      const c = this.code();
      if (c === 32 || c === 9) this.pos++;
      else if (bracketed && c === 10) this.pos++;
      else if (c === 13 && this.code(this.pos + 1) === 10) {
        if (!bracketed) return;
        this.pos += 2;
      }
      else if (bracketed && c === 35) this.skipComment();
      else if (c === 92 || c === 12 || c === 13) giveUp(); // continuation, form feed, lone CR
      else return;
    }
  }

  /**
   * Spaces and tabs only: after `=` of a keyword argument, `:` of a dict, a sign and a dot,
   * tree-sitter refuses a line break (or a comment) that Python takes inside brackets.
   */
  sameLine(): void {
    while (this.code() === 32 || this.code() === 9) this.pos++;
  }

  private skipComment(): void {
    const nl = this.src.indexOf('\n', this.pos);
    this.pos = nl === -1 ? this.src.length : nl;
    if (this.src.charCodeAt(this.pos - 1) === 13) this.pos--;
  }

  /** The end of a logical line: spaces, an optional comment, a line break or the end. */
  endOfLine(): void {
    this.ws(false);
    if (this.code() === 35) this.skipComment();
    const c = this.code();
    if (c === -1) return;
    if (c === 10) this.pos++;
    else if (c === 13 && this.code(this.pos + 1) === 10) this.pos += 2;
    else giveUp();
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  /** At a line's start: its indentation in spaces, or -1 for a blank or comment-only line (skipped). */
  indentation(): number {
    let p = this.pos;
    while (this.code(p) === 32) p++;
    const c = this.code(p);
    if (c === 9 || c === 12) giveUp();
    if (c === 10 || c === 13 || c === 35 || c === -1) {
      this.pos = p;
      this.endOfLine();
      return -1;
    }
    const indent = p - this.pos;
    this.pos = p;
    return indent;
  }

  peekName(): string | null {
    if (!isNameStart(this.code())) return null;
    let p = this.pos + 1;
    while (isNamePart(this.code(p))) p++;
    // A name running into non-ASCII text: not read here.
    if (this.code(p) > 127) giveUp();
    return this.src.slice(this.pos, p);
  }

  name(): string {
    const n = this.peekName();
    if (n === null) giveUp();
    this.pos += n.length;
    return n;
  }

  /** A name that is not a keyword. */
  identifier(): string {
    const n = this.name();
    if (KEYWORDS.has(n) || CONSTANTS.has(n)) giveUp();
    return n;
  }

  /** `a.b.c` (no spaces around the dots). */
  dotted(): string {
    let out = this.identifier();
    while (this.code() === 46 && isNameStart(this.code(this.pos + 1))) {
      this.pos++;
      out += `.${this.identifier()}`;
    }
    return out;
  }

  eat(ch: string): boolean {
    if (this.src.startsWith(ch, this.pos)) {
      this.pos += ch.length;
      return true;
    }
    return false;
  }

  expect(ch: string): void {
    if (!this.eat(ch)) giveUp();
  }

  /** A string literal with an optional r / u / b prefix; true when one was read. */
  string(): boolean {
    let p = this.pos;
    let raw = false;
    let bytes = false;
    for (let k = 0; k < 2 && isNameStart(this.code(p)); k++, p++) {
      const c = this.code(p) | 32; // lower case
      if (c === 114 && !raw) raw = true;
      else if (c === 98 && !bytes) bytes = true;
      else if (c === 117 && k === 0 && this.code(p + 1) !== 114 && this.code(p + 1) !== 82) {
        p++;
        break;
      } else return false;
    }
    const q = this.code(p);
    if (q !== 34 && q !== 39) return false;
    const tripled = (at: number): boolean => this.code(at) === q && this.code(at + 1) === q && this.code(at + 2) === q;
    const triple = tripled(p);
    p += triple ? 3 : 1;
    for (;;) {
      const c = this.code(p);
      if (c === -1) giveUp();
      if (c === 92) {
        // Any escaped character, raw or not, does not end the string; an escaped line break is
        // a continuation inside the string, left to the parser.
        const next = this.code(p + 1);
        if (next === 10 || next === 13 || next === -1) giveUp();
        p += 2;
        continue;
      }
      if (!triple && (c === 10 || c === 13)) giveUp();
      if (bytes && c > 127) giveUp();
      if (c === q && (!triple || tripled(p))) {
        p += triple ? 3 : 1;
        break;
      }
      p++;
    }
    if (isNamePart(this.code(p))) giveUp();
    this.pos = p;
    return true;
  }

  /** One or more adjacent string literals (implicit concatenation); how many were read. */
  strings(bracketed: boolean): number {
    let n = 0;
    for (;;) {
      const before = this.pos;
      if (n > 0) this.ws(bracketed);
      if (!this.string()) {
        this.pos = before;
        return n;
      }
      n++;
    }
  }

  /** A decimal, hexadecimal, octal or binary integer, or a decimal float; no imaginary numbers. */
  number(): void {
    const s = this.src;
    const start = this.pos;
    const digits = (ok: (c: number) => boolean): void => {
      if (!ok(this.code())) giveUp();
      while (ok(this.code()) || (this.code() === 95 && ok(this.code(this.pos + 1)))) this.pos++;
    };
    const base = this.code() === 48 ? this.code(this.pos + 1) | 32 : -1; // lower case: x, o or b
    if (base === 120 || base === 111 || base === 98) {
      this.pos += 2;
      digits(base === 120 ? isHexDigit : base === 111 ? isOctalDigit : isBinaryDigit);
    } else {
      if (isDigit(this.code())) digits(isDigit);
      const intEnd = this.pos;
      let isFloat = false;
      if (this.code() === 46) {
        isFloat = true;
        this.pos++;
        if (isDigit(this.code())) digits(isDigit);
        else if (intEnd === start) giveUp();
      }
      if (this.code() === 101 || this.code() === 69) {
        isFloat = true;
        this.pos++;
        if (this.code() === 43 || this.code() === 45) this.pos++;
        digits(isDigit);
      }
      // 007 is not Python 3.
      if (!isFloat && s.charCodeAt(start) === 48 && /[1-9_]/.test(s.slice(start, intEnd).replace(/^0+/, '').slice(0, 1) || '')) giveUp();
      if (intEnd === start && !isFloat) giveUp();
    }
    if (isNamePart(this.code()) || this.code() === 46) giveUp();
  }

  /** An expression of the literal kind; `bracketed` when inside brackets (line breaks are spaces). */
  expression(bracketed: boolean): Expr {
    const start = this.pos;
    const c = this.code();
    let e: Expr;
    if (c === 45 || c === 43) {
      // A signed number.
      this.pos++;
      this.sameLine();
      if (!isDigit(this.code()) && this.code() !== 46) giveUp();
      this.number();
      return { start, end: this.pos, kind: 'other', leaf: true };
    }
    if (isDigit(c) || (c === 46 && isDigit(this.code(this.pos + 1)))) {
      this.number();
      e = { start, end: this.pos, kind: 'other', leaf: true };
    } else if (this.strings(bracketed) > 0) {
      e = { start, end: this.pos, kind: 'other', leaf: true };
    } else if (c === 91) {
      this.pos++;
      e = { start, end: 0, kind: 'list', items: this.elements(']') };
      e.end = this.pos;
    } else if (c === 40) {
      this.pos++;
      this.ws(true);
      if (this.eat(')')) e = { start, end: this.pos, kind: 'tuple', items: [] };
      else {
        const first = this.expression(true);
        this.ws(true);
        if (this.eat(')')) e = { start, end: this.pos, kind: 'paren', items: [first] };
        else {
          this.expect(',');
          const rest = this.elements(')');
          e = { start, end: this.pos, kind: 'tuple', items: [first, ...rest] };
        }
      }
    } else if (c === 123) {
      this.pos++;
      e = this.braces(start);
    } else if (isNameStart(c)) {
      const n = this.name();
      if (KEYWORDS.has(n)) giveUp();
      if (!CONSTANTS.has(n)) this.lookups.add(n);
      e = { start, end: this.pos, kind: 'other' };
      if (!CONSTANTS.has(n)) e.callee = { start, end: this.pos, dotted: n, identifier: true };
      else e.leaf = true;
    } else giveUp();
    return this.trailers(e);
  }

  /** `.name` and `(arguments)` after an atom. */
  private trailers(atom: Expr): Expr {
    let e = atom;
    for (;;) {
      const save = this.pos;
      // Only spaces before a call's parenthesis, and nothing around a dot: tree-sitter refuses a
      // line break there that Python takes inside brackets.
      this.sameLine();
      if (this.code() === 46 && this.pos === save) {
        this.pos++;
        const n = this.identifier();
        const dotted = e.callee && e.kind === 'other' ? e.callee : null;
        e = { start: e.start, end: this.pos, kind: 'other', callee: dotted && dotted.end === save ? { start: dotted.start, end: this.pos, dotted: `${dotted.dotted}.${n}`, identifier: false } : null };
      } else if (this.code() === 40) {
        this.pos++;
        const args: Expr[] = [];
        const keywords: Array<[string, Expr]> = [];
        this.arguments(args, keywords);
        const callee = e.kind === 'other' && e.callee && e.callee.end === e.end ? e.callee : null;
        e = { start: e.start, end: this.pos, kind: 'call', callee, args, keywords };
      } else if (this.code() === 91) {
        giveUp();
      } else {
        this.pos = save;
        return e;
      }
    }
  }

  /** Call arguments up to `)`: positional ones first, then keywords; no `*` or `**`. */
  private arguments(args: Expr[], keywords: Array<[string, Expr]>): void {
    for (;;) {
      this.ws(true);
      if (this.eat(')')) return;
      if (this.code() === 42) giveUp();
      const n = this.peekName();
      let keyword = false;
      if (n !== null && !KEYWORDS.has(n) && !CONSTANTS.has(n)) {
        const save = this.pos;
        this.pos += n.length;
        this.ws(true);
        if (this.code() === 61 && this.code(this.pos + 1) !== 61) {
          this.pos++;
          if (keywords.some(([k]) => k === n)) giveUp();
          keyword = true;
        } else this.pos = save;
      }
      if (!keyword && keywords.length > 0) giveUp();
      if (keyword) this.sameLine();
      else this.ws(true);
      const value = this.expression(true);
      if (keyword) keywords.push([n as string, value]);
      else args.push(value);
      this.ws(true);
      if (this.eat(')')) return;
      this.expect(',');
    }
  }

  /** Elements up to `close`, comma-separated, a trailing comma allowed. */
  private elements(close: string): Expr[] {
    const out: Expr[] = [];
    for (;;) {
      this.ws(true);
      if (this.eat(close)) return out;
      if (this.code() === 42) giveUp();
      out.push(this.expression(true));
      this.ws(true);
      if (this.eat(close)) return out;
      this.expect(',');
    }
  }

  /** `{}` (a dict), `{k: v, …}` or `{a, …}`. */
  private braces(start: number): Expr {
    this.ws(true);
    if (this.eat('}')) return { start, end: this.pos, kind: 'dict', entries: [] };
    if (this.code() === 42) giveUp();
    const first = this.expression(true);
    this.ws(true);
    if (this.code() !== 58) {
      const items = [first];
      if (!this.eat('}')) {
        this.expect(',');
        items.push(...this.elements('}'));
      }
      return { start, end: this.pos, kind: 'set', items };
    }
    const entries: Array<[Expr, Expr]> = [];
    let key = first;
    for (;;) {
      // After a key: `: value`, then `,` or `}`.
      this.expect(':');
      this.sameLine();
      entries.push([key, this.expression(true)]);
      this.ws(true);
      if (this.eat('}')) return { start, end: this.pos, kind: 'dict', entries };
      this.expect(',');
      this.ws(true);
      if (this.eat('}')) return { start, end: this.pos, kind: 'dict', entries };
      if (this.code() === 42) giveUp();
      key = this.expression(true);
      this.ws(true);
    }
  }

  /** Row and UTF-16 column of an offset, as tree-sitter reports them for a JS string. */
  position(offset: number): Position {
    this.starts ??= lineStarts(this.src);
    return positionAt(this.starts, offset);
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }
}

/** `x`, `(x)`, `((x))` -> the expression inside the parentheses. */
export function unparen(e: Expr): Expr {
  let x = e;
  while (x.kind === 'paren' && x.items?.[0]) x = x.items[0];
  return x;
}

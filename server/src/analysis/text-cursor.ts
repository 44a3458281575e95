/**
 * The lexical layer of literal-text.ts: a position in a span of Python source that tree-sitter
 * already parsed, and the moves over it — whitespace and comments, brackets balanced to their
 * end, names, string bodies with their escapes — without building any value.
 */

/** Thrown to abandon an expression we do not read; caught where the expression ends. */
export class Unreadable extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

export function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/**
 * A string that does not keep the file's whole text alive: V8 represents a long slice as a view
 * into its parent, and summaries of every migration outlive the file's text in the editor.
 */
export function own(text: string): string {
  return text.length < 13 ? text : (` ${text}`).slice(1);
}

export abstract class TextCursor {
  protected pos: number;

  constructor(
    protected readonly src: string,
    start: number,
    protected readonly end: number,
  ) {
    this.pos = start;
  }

  protected space(): void {
    const s = this.src;
    while (this.pos < this.end) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) this.pos++;
      else if (c === 92 && (s.charCodeAt(this.pos + 1) === 10 || s.charCodeAt(this.pos + 1) === 13)) this.pos += 2;
      else if (c === 35) {
        const nl = s.indexOf('\n', this.pos);
        this.pos = nl === -1 || nl > this.end ? this.end : nl + 1;
      } else break;
    }
  }

  protected peek(): number {
    this.space();
    return this.pos < this.end ? this.src.charCodeAt(this.pos) : -1;
  }

  protected eat(c: number): boolean {
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  protected expect(c: number): void {
    if (!this.eat(c)) throw new Unreadable();
  }

  /** At an opening bracket: the offset just past its closing one (strings and comments skipped), or -1. Moves nothing. */
  protected groupEnd(): number {
    const s = this.src;
    const save = this.pos;
    let depth = 0;
    let end = -1;
    let p = this.pos;
    while (p < this.end) {
      const c = s.charCodeAt(p);
      if (c === 39 || c === 34) {
        // A string: skipped by the string reader (escapes, triple quotes, prefixes already passed).
        this.pos = p;
        this.skipString();
        p = this.pos;
        continue;
      }
      if (c === 35) {
        const nl = s.indexOf('\n', p);
        p = nl === -1 || nl > this.end ? this.end : nl + 1;
        continue;
      }
      p++;
      if (c === 40 || c === 91 || c === 123) depth++;
      else if ((c === 41 || c === 93 || c === 125) && --depth === 0) {
        end = p;
        break;
      }
    }
    this.pos = save;
    return end;
  }

  /**
   * Skips to the next `,` `:` or closing bracket at this level (strings and brackets balanced).
   * Returns whether a `for` was met at this level: the element was a comprehension's.
   */
  protected skipExpression(): boolean {
    let depth = 0;
    let lambdas = 0;
    let comprehension = false;
    while (this.pos < this.end) {
      const c = this.peek();
      if (c === -1) break;
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && c === 44) break;
      else if (depth === 0 && c === 58) {
        if (lambdas === 0) break;
        lambdas--;
      } else if (c === 39 || c === 34) {
        this.skipString();
        continue;
      } else if (isIdentStart(c)) {
        const word = this.identifier();
        if (depth === 0 && word === 'lambda') lambdas++;
        if (depth === 0 && word === 'for') comprehension = true;
        continue;
      }
      this.pos++;
    }
    return comprehension;
  }

  protected identifier(): string {
    const s = this.src;
    const start = this.pos;
    while (this.pos < this.end && isIdentPart(s.charCodeAt(this.pos))) this.pos++;
    return own(s.slice(start, this.pos));
  }

  protected stringBody(raw: boolean): string {
    const s = this.src;
    const quote = s.charCodeAt(this.pos);
    const triple = s.charCodeAt(this.pos + 1) === quote && s.charCodeAt(this.pos + 2) === quote;
    this.pos += triple ? 3 : 1;
    // Runs of plain characters are taken as slices, escapes decoded between them; most strings have
    // no escape and are one slice, with no array built.
    let chunks: string[] | null = null;
    let run = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw new Unreadable();
      const c = s.charCodeAt(this.pos);
      if (c === quote && (!triple || (s.charCodeAt(this.pos + 1) === quote && s.charCodeAt(this.pos + 2) === quote))) {
        const last = s.slice(run, this.pos);
        this.pos += triple ? 3 : 1;
        if (!chunks) return own(last);
        chunks.push(last);
        return own(chunks.join(''));
      }
      if (c === 92) {
        chunks ??= [];
        chunks.push(s.slice(run, this.pos));
        const next = s[this.pos + 1] ?? '';
        if (raw) chunks.push(`\\${next}`);
        else if (next === '\r') {
          if (s[this.pos + 2] === '\n') this.pos++;
        } else if (next !== '\n') chunks.push(ESCAPES[next] ?? `\\${next}`); // a backslash-newline continues the line
        this.pos += 2;
        run = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  /** Moves past a string literal without reading its value (to the end when it does not close). */
  protected skipString(): void {
    const s = this.src;
    const quote = s.charCodeAt(this.pos);
    const triple = s.charCodeAt(this.pos + 1) === quote && s.charCodeAt(this.pos + 2) === quote;
    this.pos += triple ? 3 : 1;
    while (this.pos < this.end) {
      const c = s.charCodeAt(this.pos);
      if (c === 92) this.pos += 2;
      else if (c === quote && (!triple || (s.charCodeAt(this.pos + 1) === quote && s.charCodeAt(this.pos + 2) === quote))) {
        this.pos += triple ? 3 : 1;
        return;
      } else this.pos++;
    }
    this.pos = this.end;
  }
}

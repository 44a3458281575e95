/**
 * The text of an open document, kept as lines so an incremental change costs what it touches,
 * not the document's size. (Splicing one flat string copies all of it: on a 1.6 MB migration
 * that is about 1.5 ms a keystroke, so a burst of 2,000 edits took seconds before any lint.)
 * Positions follow the LSP and `vscode-languageserver-textdocument`: UTF-16 columns, `\n`,
 * `\r\n` and `\r` all end a line, and a column past the end of a line means its end.
 */
import type { Position, Range } from 'vscode-languageserver';

function isEol(code: number): boolean {
  return code === 10 || code === 13;
}

/** Splits text into lines that keep their terminators; the last one has none (and may be ''). */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isEol(c)) continue;
    if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  out.push(text.slice(start));
  return out;
}

/** Length of a line's terminator (0, 1 or 2). */
function eolLength(line: string): number {
  const n = line.length;
  if (n === 0 || !isEol(line.charCodeAt(n - 1))) return 0;
  return n >= 2 && line.charCodeAt(n - 1) === 10 && line.charCodeAt(n - 2) === 13 ? 2 : 1;
}

export class DocumentText {
  private lines: string[];
  private starts: number[];
  private length: number;
  private flat: string | null;
  /**
   * Whether `flat` is a splice made since the text was last handed out. One splice of a whole
   * string is three pieces V8 joins lazily (no copy); slicing a splice again would copy all of it
   * first, so a second change before the next getText() drops the flat text for the lines'.
   */
  private spliced = false;

  constructor(
    text: string,
    public version: number,
  ) {
    this.lines = splitLines(text);
    this.starts = [];
    this.length = 0;
    this.flat = text;
    this.reindexFrom(0);
  }

  getText(): string {
    if (this.flat === null) this.flat = this.lines.join('');
    this.spliced = false;
    return this.flat;
  }

  /** The text's length in UTF-16 code units. */
  get size(): number {
    return this.length;
  }

  get lineCount(): number {
    return this.lines.length;
  }

  offsetAt(position: Position): number {
    if (position.line >= this.lines.length) return this.length;
    if (position.line < 0) return 0;
    const start = this.starts[position.line] as number;
    if (position.character <= 0) return start;
    const line = this.lines[position.line] as string;
    return start + Math.min(position.character, line.length - eolLength(line));
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.length));
    const line = this.lineOf(clamped);
    const text = this.lines[line] as string;
    return { line, character: Math.min(clamped - (this.starts[line] as number), text.length - eolLength(text)) };
  }

  /** Replaces a range (as the LSP gives it, possibly reversed) with `text`. */
  replace(range: Range, text: string): void {
    const [a, b] = range.start.line > range.end.line || (range.start.line === range.end.line && range.start.character > range.end.character) ? [range.end, range.start] : [range.start, range.end];
    const startOffset = this.offsetAt(a);
    const endOffset = this.offsetAt(b);
    let first = this.lineOf(startOffset);
    let last = this.lineOf(endOffset);
    // A lone '\r' before the change may pair with a '\n' the change brings to the front, and one
    // the change leaves at its end may pair with the next line's '\n': take those lines in too.
    if (first > 0 && (this.lines[first - 1] as string).endsWith('\r')) first--;
    const base = this.starts[first] as number;
    let piece = this.lines.slice(first, last + 1).join('');
    piece = piece.slice(0, startOffset - base) + text + piece.slice(endOffset - base);
    if (piece.endsWith('\r') && last + 1 < this.lines.length) piece += this.lines[++last] as string;
    const replacement = splitLines(piece);
    // The piece ends with line `last`'s terminator unless `last` is the final line; then splitting
    // leaves an empty tail that is not a line of its own.
    if (last < this.lines.length - 1) replacement.pop();
    this.lines.splice(first, last - first + 1, ...replacement);
    this.reindexFrom(first);
    // A keystroke between two lints: the text handed out last, spliced (joining a 4,000-line
    // migration's lines again took 0.4 ms a keystroke); a burst of changes: the lines, joined once.
    if (this.flat !== null && !this.spliced) {
      this.flat = this.flat.slice(0, startOffset) + text + this.flat.slice(endOffset);
      this.spliced = true;
    } else this.flat = null;
  }

  /** Replaces the whole text. */
  setText(text: string): void {
    this.lines = splitLines(text);
    this.flat = text;
    this.spliced = false;
    this.reindexFrom(0);
  }

  private lineOf(offset: number): number {
    let low = 0;
    let high = this.lines.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.starts[mid] as number) > offset) high = mid;
      else low = mid + 1;
    }
    return Math.max(0, low - 1);
  }

  private reindexFrom(line: number): void {
    const { lines, starts } = this;
    starts.length = lines.length;
    let offset = line === 0 ? 0 : (starts[line - 1] as number) + (lines[line - 1] as string).length;
    for (let i = line; i < lines.length; i++) {
      starts[i] = offset;
      offset += (lines[i] as string).length;
    }
    this.length = offset;
  }
}

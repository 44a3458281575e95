/**
 * Text edits on a migration's source for the project rules' fixes, which have the file's summary
 * (ranges into the text) but not its tree: an operation's call text re-indented for another list,
 * its removal from the operations list, `atomic = False` on the Migration class, a missing import,
 * and the import lines a moved call needs. Every helper answers null where the text is not laid
 * out the way it expects, and the fix is then left out — never a guessed edit.
 */
import { lineStarts, offsetAt, positionAt } from '../line-index';
import type { MigrationSummary, OperationSummary } from '../project/summary';
import type { Position, Range, TextEdit } from '../types';
import { eolOf } from './edits';

export class MigrationText {
  private readonly starts: number[];
  readonly eol: string;

  constructor(
    readonly source: string,
    readonly summary: MigrationSummary,
  ) {
    this.starts = lineStarts(source);
    this.eol = eolOf(source);
  }

  offset(p: Position): number {
    return offsetAt(this.starts, this.source.length, p);
  }

  position(offset: number): Position {
    return positionAt(this.starts, offset);
  }

  text(range: Range): string {
    return this.source.slice(this.offset(range.start), this.offset(range.end));
  }

  /** The whitespace before the call on its line, or null when something else precedes it there. */
  private indentBefore(range: Range): string | null {
    const start = this.offset(range.start);
    const lineStart = this.source.lastIndexOf('\n', start - 1) + 1;
    const before = this.source.slice(lineStart, start);
    return /^[ \t]*$/.test(before) ? before : null;
  }

  /**
   * The operation's call as it would be written at `indent` (its continuation lines shifted by the
   * same amount), with its callee replaced by `callee` when given. Null when the call does not
   * start its own line.
   */
  callAt(op: OperationSummary, indent: string, callee?: string): string | null {
    const own = this.indentBefore(op.callRange);
    if (own === null) return null;
    const start = this.offset(op.callRange.start);
    const calleeStart = this.offset(op.range.start) - start;
    const calleeEnd = this.offset(op.range.end) - start;
    let text = this.text(op.callRange);
    if (callee !== undefined) text = text.slice(0, calleeStart) + callee + text.slice(calleeEnd);
    const lines = text.split(/\r?\n/);
    return lines
      .map((line, i) => {
        if (i === 0) return indent + line;
        if (line.trim() === '') return '';
        return line.startsWith(own) ? indent + line.slice(own.length) : indent + line.trimStart();
      })
      .join('\n');
  }

  /**
   * Removes the operation from its list: its lines, with the comma after it. Null when the call
   * shares a line with something else (the list on one line).
   */
  removeOperation(op: OperationSummary): TextEdit | null {
    if (this.indentBefore(op.callRange) === null) return null;
    const start = this.offset(op.callRange.start);
    const lineStart = this.source.lastIndexOf('\n', start - 1) + 1;
    const rest = /^[ \t]*,?[ \t]*(?:#[^\n]*)?\r?\n/.exec(this.source.slice(this.offset(op.callRange.end)));
    if (!rest) return null;
    const end = this.offset(op.callRange.end) + rest[0].length;
    return { range: { start: this.position(lineStart), end: this.position(end) }, newText: '' };
  }

  /** Replaces the whole call (from its first character to its closing parenthesis). */
  replaceCall(op: OperationSummary, text: string): TextEdit {
    return { range: op.callRange, newText: text };
  }

  /** The indentation of the line the call starts on (the operations list's), or null. */
  indentOf(op: OperationSummary): string | null {
    return this.indentBefore(op.callRange);
  }

  /** The Migration class: its body from the class line to the end of the file. */
  private classBody(): { start: number; text: string } {
    const start = this.offset(this.summary.classRange.start);
    return { start, text: this.source.slice(start) };
  }

  /**
   * `atomic = False` for the migration: nothing when it is already false, the literal flipped when
   * it is `atomic = True`, else inserted above the first of the class's usual attributes with a
   * comment saying why. Null when atomic is computed or the class is not laid out as expected.
   */
  atomicFalse(why: string): TextEdit[] | null {
    if (this.summary.atomic === false) return [];
    if (this.summary.atomic !== true) return null;
    const body = this.classBody();
    const first = /^([ \t]+)(initial|replaces|dependencies|run_before|operations|atomic)[ \t]*[=:]/m.exec(body.text);
    if (!first) return null;
    const indent = first[1] as string;
    // An explicit `atomic = True` among the class's attributes (same indentation) is flipped.
    const flip = new RegExp(`^${indent}atomic[ \\t]*=[ \\t]*True\\b`, 'm').exec(body.text);
    if (flip) {
      const at = body.start + flip.index + flip[0].length - 4;
      return [{ range: { start: this.position(at), end: this.position(at + 4) }, newText: 'False' }];
    }
    if (first[2] === 'atomic') return null; // written in a way this does not read
    const at = this.position(body.start + first.index);
    return [{ range: { start: at, end: at }, newText: `${indent}# ${why}${this.eol}${indent}atomic = False${this.eol}${this.eol}` }];
  }

  /** The module's top-level import statements (a parenthesised one whole), with their names. */
  imports(): Array<{ text: string; names: string[]; end: number }> {
    const out: Array<{ text: string; names: string[]; end: number }> = [];
    const head = this.source.slice(0, this.offset(this.summary.classRange.start));
    const re = /^(from[ \t]+[\w.]+[ \t]+import[ \t]+(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)/gm;
    for (let m = re.exec(head); m; m = re.exec(head)) {
      const text = (m[1] as string).trimEnd();
      out.push({ text, names: boundNames(text), end: m.index + text.length });
    }
    return out;
  }

  /**
   * An import line added among the top-level imports, before the first `from` import of a module
   * that sorts after its own (isort's order), unless `name` is bound by one already.
   */
  addImport(line: string, name: string): TextEdit | null {
    const imports = this.imports();
    if (imports.some((i) => i.names.includes(name))) return null;
    const moduleOf = (text: string) => /^from\s+([\w.]+)/.exec(text)?.[1] ?? null;
    const own = moduleOf(line) ?? '';
    const next = imports.find((i) => {
      const m = moduleOf(i.text);
      return m !== null && m > own;
    });
    if (next) {
      const at = this.position(next.end - next.text.length);
      return { range: { start: at, end: at }, newText: `${line}${this.eol}` };
    }
    const last = imports[imports.length - 1];
    const at = this.position(last ? last.end : 0);
    return { range: { start: at, end: at }, newText: last ? `${this.eol}${line}` : `${line}${this.eol}` };
  }

  /**
   * `from <module> import <name>`: added to a one-line import of that module when there is one
   * (`from django.db import migrations` → `from django.db import migrations, models`), else as a line.
   */
  addFromImport(module: string, name: string): TextEdit | null {
    const imports = this.imports();
    if (imports.some((i) => i.names.includes(name))) return null;
    const same = imports.find((i) => i.text.startsWith(`from ${module} import `) && /^[\w, ]+$/.test(i.text.slice(`from ${module} import `.length)));
    if (same) {
      const at = this.position(same.end);
      return { range: { start: at, end: at }, newText: `, ${name}` };
    }
    return this.addImport(`from ${module} import ${name}`, name);
  }

  /**
   * The file's import lines that bind a name `code` uses (for code moved to a new migration), on
   * one line each; `migrations` left out (a new migration imports it first).
   */
  importsFor(code: string): string[] {
    const used = new Set(code.match(/(?<![\w.'"])[A-Za-z_]\w*/g) ?? []);
    const out: string[] = [];
    for (const i of this.imports()) {
      const names = i.names.filter((n) => used.has(n) && n !== 'migrations');
      if (names.length === 0) continue;
      const from = /^from\s+([\w.]+)\s+import\b/.exec(i.text);
      const line = from ? `from ${from[1]} import ${i.text.slice(from[0].length).replace(/[()\s]+/g, ' ').split(',').map((x) => x.trim()).filter((x) => x !== '' && !x.startsWith('#') && names.includes(x.replace(/^.*\bas\s+/, ''))).join(', ')}` : i.text;
      if (!out.includes(line)) out.push(line);
    }
    return out;
  }
}

/** The names an import statement binds (`import a.b` binds `a`; `from x import y as z` binds `z`). */
function boundNames(text: string): string[] {
  const from = /^from\s+[\w.]+\s+import\s+\(?([^)]*)\)?/s.exec(text);
  const items = from ? (from[1] as string) : text.replace(/^import\s+/, '');
  return items
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'))
    .map((s) => {
      const alias = /\bas\s+(\w+)$/.exec(s);
      if (alias) return alias[1] as string;
      return from ? s : (s.split('.')[0] as string);
    });
}

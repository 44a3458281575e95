/**
 * The Python strings a RunSQL executes, read with where each character of their value is written in
 * the source: implicit and `+` concatenation, `textwrap.dedent`, names bound in the file, lists and
 * tuples of statements, `(sql, params)` pairs, f-string holes naming a string the file binds. What
 * sql-sites.ts needs to put a finding's range, and a fix's edit, inside the string literal.
 */
import { nameResolver } from './sql-arguments';
import type { Scope } from './scope';
import { callArguments, dottedName, sequenceElements, SIMPLE_ESCAPES, staticString, STRING_START, unparen, type Node } from './syntax';
import type { Position } from './types';

/** A Python string's value, with where each of its characters is written. */
export interface Located {
  text: string;
  /** The line the string (its first literal) starts on. */
  line: number;
  /** Where the character at `offset` is written; `end` for an offset that ends a range (it stays in the part it ends). */
  at: (offset: number, end?: boolean) => Position;
  /** Whether `offset` falls inside text an f-string hole put there (no edit can be made there). */
  filled: (offset: number) => boolean;
}

interface Segment {
  node: Node;
  /** Offset in the node's text of each character of the value, and one past the last. */
  raw: number[];
  /** Value offsets [from, to) of the text f-string holes were filled with (each written at its hole's `{`). */
  fills: Array<[number, number]>;
}

/**
 * A string literal node read as literalString reads it, an f-string's `{NAME}` holes filled with
 * the string the file binds the name to (treeherder perf/0050 names its constraint so); null for
 * bytes and for f-strings with any other hole.
 */
function segmentOf(node: Node, resolve: ReturnType<typeof nameResolver>, depth: number): { text: string; segment: Segment } | null {
  const src = node.text;
  const m = STRING_START.exec(src);
  if (!m) return null;
  const prefix = (m[1] as string).toLowerCase();
  const quote = m[2] as string;
  if (prefix.includes('b') || !src.endsWith(quote) || src.length < m[0].length + quote.length) return null;
  const bodyEnd = src.length - quote.length;
  let text = '';
  const raw: number[] = [];
  const fills: Array<[number, number]> = [];
  for (let i = m[0].length; i < bodyEnd; ) {
    const c = src[i] as string;
    if (prefix.includes('f') && (c === '{' || c === '}')) {
      if (src[i + 1] !== c) {
        const hole = c === '{' ? /^\{\s*([A-Za-z_]\w*)\s*\}/.exec(src.slice(i, bodyEnd)) : null;
        const bound = hole && depth < 8 ? resolve(hole[1] as string) : null;
        const value = bound ? staticString(bound, (name) => resolve(name), depth + 1) : null;
        if (!hole || !value?.complete) return null; // a computed hole: positions after it are not worth guessing
        fills.push([text.length, text.length + value.text.length]);
        text += value.text;
        for (let k = 0; k < value.text.length; k++) raw.push(i);
        i += hole[0].length;
        continue;
      }
      text += c;
      raw.push(i);
      i += 2;
      continue;
    }
    if (c === '\\' && !prefix.includes('r') && i + 1 < bodyEnd) {
      const e = src[i + 1] as string;
      const decoded = SIMPLE_ESCAPES[e] ?? (e === '\n' ? '' : `\\${e}`);
      for (const ch of decoded) {
        text += ch;
        raw.push(i);
      }
      i += 2;
      continue;
    }
    text += c;
    raw.push(i);
    i++;
  }
  raw.push(bodyEnd);
  return { text, segment: { node, raw, fills } };
}

function positionIn(node: Node, offset: number): Position {
  const src = node.text;
  const start = node.startPosition;
  const before = src.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  if (nl === -1) return { line: start.row, character: start.column + offset };
  let lines = 0;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) lines++;
  return { line: start.row + lines, character: offset - nl - 1 };
}

function located(parts: Array<{ text: string; segment: Segment }>): Located {
  const starts: number[] = [];
  let text = '';
  for (const p of parts) {
    starts.push(text.length);
    text += p.text;
  }
  return {
    text,
    line: parts[0]?.segment.node.startPosition.row ?? 0,
    at(offset, end = false) {
      let k = parts.length - 1;
      while (k > 0 && ((starts[k] as number) > offset || (end && starts[k] === offset))) k--;
      const part = parts[k] as { segment: Segment };
      const raw = part.segment.raw[Math.min(offset - (starts[k] as number), part.segment.raw.length - 1)] as number;
      return positionIn(part.segment.node, raw);
    },
    filled(offset) {
      return parts.some((p, k) => p.segment.fills.some(([from, to]) => offset > (starts[k] as number) + from && offset < (starts[k] as number) + to));
    },
  };
}

/** The literal parts of a string-valued expression, as staticString folds it; null when computed. */
function stringParts(node: Node, resolve: ReturnType<typeof nameResolver>, depth = 0): Array<{ text: string; segment: Segment }> | null {
  if (depth > 8) return null;
  const n = unparen(node);
  switch (n.type) {
    case 'string': {
      const s = segmentOf(n, resolve, depth);
      return s ? [s] : null;
    }
    case 'concatenated_string': {
      const out: Array<{ text: string; segment: Segment }> = [];
      for (const part of n.namedChildren) {
        const s = part.type === 'string' ? segmentOf(part, resolve, depth) : null;
        if (!s) return null;
        out.push(s);
      }
      return out;
    }
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.text;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return null;
      const a = stringParts(left, resolve, depth + 1);
      if (op === '%') return a;
      const b = op === '+' ? stringParts(right, resolve, depth + 1) : null;
      return a && b ? [...a, ...b] : null;
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      if (!fn) return null;
      const name = dottedName(fn);
      if (name === 'dedent' || name === 'textwrap.dedent') {
        const first = callArguments(n).positional[0];
        return first ? stringParts(first, resolve, depth + 1) : null;
      }
      const obj = fn.type === 'attribute' ? fn.childForFieldName('object') : null;
      const method = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : null;
      return obj && method === 'format' ? stringParts(obj, resolve, depth + 1) : null;
    }
    case 'identifier': {
      const bound = resolve(n.text);
      return bound ? stringParts(bound, resolve, depth + 1) : null;
    }
    default:
      return null;
  }
}

/** The strings Django executes one by one: the elements of a list or tuple (the SQL of a `(sql, params)` pair), or the one string. */
export function executedStrings(node: Node, scope: Scope): Located[] {
  const resolve = nameResolver(scope);
  let n = unparen(node);
  if (n.type === 'identifier') n = unparen(resolve(n.text) ?? n);
  const elements = sequenceElements(n);
  const out: Located[] = [];
  for (const el of elements ?? [n]) {
    let parts = stringParts(el, resolve);
    if (!parts && elements) {
      const pair = sequenceElements(el);
      if (pair && pair.length === 2 && pair[0]) parts = stringParts(pair[0], resolve);
    }
    if (parts) out.push(located(parts));
  }
  return out;
}

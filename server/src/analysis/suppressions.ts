/**
 * Suppression comments: `# migration-guard: ignore[rule, ...] -- reason` on a finding's line (a
 * trailing comment) or on its own line(s) just above; `# migration-guard: ignore-file[rule]`
 * anywhere. A bare `ignore` / `ignore-file` covers every rule. Only real comments count (checked
 * against the tree), never text inside strings.
 */
import type { Tree } from './parser';
import type { Finding, Range, TextEdit } from './types';

export interface Suppression {
  kind: 'line' | 'file';
  /** Rule ids listed, or null for all rules. */
  rules: string[] | null;
  /** The 0-based line the comment covers (line suppressions). */
  target: number;
  /** Where the comment is. */
  range: Range;
  /** The `[...]` list's position inside the comment, for edits that add a rule. */
  listRange: Range | null;
  used: Set<string>;
}

const MARKER = /#\s*migration-guard:\s*(ignore-file|ignore)\b(\[([^\]]*)\])?/;

export function parseSuppressions(source: string, tree: Tree): Suppression[] {
  if (!source.includes('migration-guard')) return [];
  const lines = source.split(/\r\n|\r|\n/);
  const found: Suppression[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const m = MARKER.exec(line);
    if (!m) continue;
    const col = m.index;
    const node = tree.rootNode.descendantForPosition({ row: i, column: col });
    if (node?.type !== 'comment') continue;
    const rules = m[3] === undefined ? null : m[3].split(',').map((r) => r.trim()).filter(Boolean);
    const ownLine = line.slice(0, col).trim() === '';
    let target = i;
    if (ownLine) {
      // Applies to the next line holding code, skipping further comment lines.
      target = i + 1;
      while (target < lines.length && /^\s*(#.*)?$/.test(lines[target] as string)) target++;
    }
    const listStart = m[2] ? col + m[0].length - (m[2] as string).length : -1;
    found.push({
      kind: m[1] === 'ignore-file' ? 'file' : 'line',
      rules,
      target,
      range: { start: { line: i, character: col }, end: { line: i, character: line.length } },
      listRange: listStart >= 0 ? { start: { line: i, character: listStart + 1 }, end: { line: i, character: listStart + (m[2] as string).length - 1 } } : null,
      used: new Set(),
    });
  }
  return found;
}

/** Marks and returns the suppression that covers `finding`, if any. */
export function suppressionFor(finding: Finding, suppressions: Suppression[]): Suppression | null {
  for (const s of suppressions) {
    if (s.kind === 'line' && s.target !== (finding.suppressionLine ?? finding.range.start.line)) continue;
    if (s.rules && !s.rules.includes(finding.rule)) continue;
    s.used.add(finding.rule);
    return s;
  }
  return null;
}

/** The edit that suppresses `rule` on `line`: extends a comment already there, or adds one above. */
/** The text of one line of `source` (without its line break), without splitting all of it. */
export class LineReader {
  private starts: number[] | null = null;

  constructor(private readonly source: string) {}

  line(n: number): string | undefined {
    if (!this.starts) {
      const starts = [0];
      const s = this.source;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 10) starts.push(i + 1);
        else if (c === 13) {
          if (s.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
      this.starts = starts;
    }
    const start = this.starts[n];
    if (start === undefined) return undefined;
    const next = this.starts[n + 1];
    return this.source.slice(start, next === undefined ? this.source.length : next).replace(/\r?\n$|\r$/, '');
  }
}

export function suppressionEdit(source: string, lines: LineReader, line: number, rule: string, suppressions: Suppression[]): TextEdit {
  const existing = suppressions.find((s) => s.kind === 'line' && s.target === line && s.rules && s.listRange);
  if (existing?.listRange) {
    const list = [...(existing.rules ?? []), rule].join(', ');
    return { range: existing.listRange, newText: list };
  }
  const text = lines.line(line) ?? '';
  const indent = /^\s*/.exec(text)?.[0] ?? '';
  const previous = line > 0 ? (lines.line(line - 1) ?? '') : '';
  if (previous.trimEnd().endsWith('\\')) {
    // The line continues the previous one: a comment line in between would break it.
    const end = text.length;
    return { range: { start: { line, character: end }, end: { line, character: end } }, newText: `  # migration-guard: ignore[${rule}]` };
  }
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  return { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}# migration-guard: ignore[${rule}]${eol}` };
}

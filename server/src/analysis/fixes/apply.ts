/**
 * Applies text edits to source text, and picks which fixes of a set of findings to apply: the
 * safe ones (what `--fix` and fix-all do) or the preferred one of each finding (`--unsafe-fixes`).
 * Edits that overlap an edit already taken are skipped, never merged.
 */
import { lineStarts, offsetAt } from '../line-index';
import type { Finding, Position, TextEdit } from '../types';


export interface AppliedEdits {
  text: string;
  applied: number;
  skipped: number;
}

/**
 * Applies edits as a group per fix: a fix whose edits overlap a previous one is skipped whole. An
 * edit equal to one taken already (the `atomic = False` every CONCURRENTLY fix of a migration
 * carries, beside its own statement's edit) is made once (review 35: ureport `stats/0023` got the
 * line nine times from the CLI).
 */
export function applyFixEdits(text: string, groups: readonly (readonly TextEdit[])[]): AppliedEdits {
  const starts = lineStarts(text);
  const offset = (p: Position) => offsetAt(starts, text.length, p);
  const taken: Array<[number, number]> = [];
  const accepted: Array<{ start: number; end: number; newText: string }> = [];
  let applied = 0;
  let skipped = 0;
  for (const group of groups) {
    const spans = group
      .map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), newText: e.newText }))
      .filter((s) => !accepted.some((a) => a.start === s.start && a.end === s.end && a.newText === s.newText));
    const clash = spans.some((s) => taken.some(([a, b]) => s.start < b && a < s.end || (s.start === s.end && s.start > a && s.start < b) || (a === b && a > s.start && a < s.end)));
    if (clash) {
      skipped++;
      continue;
    }
    for (const s of spans) {
      taken.push([s.start, s.end]);
      accepted.push(s);
    }
    applied++;
  }
  accepted.sort((x, y) => y.start - x.start || y.end - x.end);
  let out = text;
  for (const s of accepted) out = out.slice(0, s.start) + s.newText + out.slice(s.end);
  return { text: out, applied, skipped };
}

export type FixSelection = 'safe' | 'preferred';

/** The edit groups to apply for `findings` under `selection`. */
export function selectFixes(findings: readonly Finding[], selection: FixSelection): TextEdit[][] {
  const groups: TextEdit[][] = [];
  // Several findings may offer the very same edits (`atomic = False` for each loop of a migration):
  // applied once. Two insertions at one place do not overlap, so applyFixEdits would take both.
  const seen = new Set<string>();
  for (const f of findings) {
    const fix = selection === 'safe' ? f.fixes.find((x) => x.safe) : (f.fixes.find((x) => x.isPreferred) ?? f.fixes[0]);
    if (!fix) continue;
    const key = JSON.stringify(fix.edits);
    if (seen.has(key)) continue;
    seen.add(key);
    groups.push(fix.edits);
  }
  return groups;
}

/** `offset` in `text` once `edits` (made on `text`) are applied: moved by each edit that ends at or before it. */
export function shiftedOffset(text: string, edits: readonly TextEdit[], offset: number): number {
  const starts = lineStarts(text);
  const at = (p: Position) => offsetAt(starts, text.length, p);
  let delta = 0;
  for (const e of edits) if (at(e.range.end) <= offset) delta += e.newText.length - (at(e.range.end) - at(e.range.start));
  return offset + delta;
}

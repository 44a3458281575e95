/**
 * Hover on a migration: over an operation (its call), the SQL it runs, the lock each statement takes,
 * what that blocks, rewrite / scan and the transaction; over the Migration class name, every
 * operation in order. Only turns the analysis' Markdown into an LSP Hover; null elsewhere.
 */
import type { Hover, Position } from 'vscode-languageserver';
import { migrationHover, operationHover } from '../analysis/sql-preview/explain';
import type { MigrationPreview } from '../analysis/sql-preview/preview';
import type { MigrationSummary } from '../analysis/project/summary';
import type { TargetDatabase } from '../analysis/target-database';
import type { Range } from '../analysis/types';

function contains(range: Range, p: Position): boolean {
  const { start, end } = range;
  if (p.line < start.line || p.line > end.line) return false;
  if (p.line === start.line && p.character < start.character) return false;
  if (p.line === end.line && p.character > end.character) return false;
  return true;
}

/** A rough size of a range, to order nested ones. */
function size(r: Range): number {
  return (r.end.line - r.start.line) * 10_000 + (r.end.character - r.start.character);
}

export function hoverAt(summary: MigrationSummary, preview: MigrationPreview, position: Position, target: TargetDatabase): Hover | null {
  if (contains(summary.classRange, position) && summary.classRange.end.character > 0) {
    return { contents: { kind: 'markdown', value: migrationHover(preview, target) }, range: summary.classRange };
  }
  // The innermost call holding the position: an operation inside SeparateDatabaseAndState wins.
  const op = preview.operations.filter((o) => contains(o.callRange, position)).sort((a, b) => size(a.callRange) - size(b.callRange))[0];
  if (!op) return null;
  return { contents: { kind: 'markdown', value: operationHover(preview, op, target) }, range: op.callRange };
}

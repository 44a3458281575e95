/**
 * Hover on a migration: over an operation's name, the SQL it runs, the lock each statement takes,
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

export function hoverAt(summary: MigrationSummary, preview: MigrationPreview, position: Position, target: TargetDatabase): Hover | null {
  if (contains(summary.classRange, position) && summary.classRange.end.character > 0) {
    return { contents: { kind: 'markdown', value: migrationHover(preview, target) }, range: summary.classRange };
  }
  const op = preview.operations.find((o) => contains(o.range, position));
  if (!op) return null;
  return { contents: { kind: 'markdown', value: operationHover(preview, op, target) }, range: op.range };
}

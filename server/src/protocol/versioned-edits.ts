/**
 * Quick-fix edits bound to the document version their finding was computed on. A diagnostic
 * carries that version; a fix is offered only while the document is still at it, and is sent as a
 * versioned document edit, so an editor that has moved on refuses it instead of applying offsets
 * that now point into other text (which once turned a fix into an IndentationError).
 */
import type { TextEdit, WorkspaceEdit } from 'vscode-languageserver';

export interface EditContext {
  /** The version of an open document as the server last saw it, or null when it is not open. */
  versionOf(uri: string): number | null;
  /** The client applies `documentChanges` (and checks their version). */
  documentChanges: boolean;
}

/**
 * The edit for `edits` computed on version `computedOn` of `uri`, or null when that is not the
 * document's current version (stale, or found by the disk scan before the file was opened).
 */
export function versionedEdit(uri: string, computedOn: number | undefined, edits: TextEdit[], context: EditContext): WorkspaceEdit | null {
  const current = context.versionOf(uri);
  if (computedOn === undefined || current === null || computedOn !== current) return null;
  if (!context.documentChanges) return { changes: { [uri]: edits } };
  return { documentChanges: [{ textDocument: { uri, version: computedOn }, edits }] };
}

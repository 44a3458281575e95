/**
 * Code actions for our diagnostics, decoded from the data each diagnostic carries: the rule's fixes
 * (quickfix; the preferred one marked) and "Disable <rule> for this line".
 */
import { pathToFileURL } from 'node:url';
import { CodeActionKind, type CodeAction, type CodeActionParams, type CreateFile, type TextDocumentEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type { Fix } from '../analysis/types';
import { DIAGNOSTIC_SOURCE, isDiagnosticData } from './diagnostics';

/** The client's command: confirms (git), then asks the server to split. */
export const SPLIT_CLIENT_COMMAND = 'migrationGuard.splitMigration';

/** Applies every fix that cannot change what the migration does (editor.codeActionsOnSave). */
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.migrationGuard`;

/** True when the requested kinds include ours: `source`, `source.fixAll` or the exact kind. */
export function wantsFixAll(only: readonly string[] | undefined): boolean {
  return !!only && only.some((k) => FIX_ALL_KIND === k || FIX_ALL_KIND.startsWith(`${k}.`));
}

/**
 * A fix as a workspace edit: its edits to the file, and the files it creates — created, never
 * over an existing file, then filled — as one edit, so one undo takes it all back.
 */
function fixEdit(uri: string, fix: Fix): WorkspaceEdit {
  if (!fix.creates?.length) return { changes: { [uri]: fix.edits } };
  const changes: Array<CreateFile | TextDocumentEdit> = [];
  for (const c of fix.creates) {
    const target = pathToFileURL(c.file).href;
    const start = { line: 0, character: 0 };
    changes.push({ kind: 'create', uri: target, options: { overwrite: false, ignoreIfExists: false } });
    changes.push({ textDocument: { uri: target, version: null }, edits: [{ range: { start, end: start }, newText: c.text }] });
  }
  if (fix.edits.length > 0) changes.push({ textDocument: { uri, version: null }, edits: fix.edits });
  return { documentChanges: changes };
}

export function codeActions(params: CodeActionParams): CodeAction[] {
  const uri = params.textDocument.uri;
  const only = params.context.only;
  if (only && !only.some((k: string) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)) return [];
  const actions: CodeAction[] = [];
  const suppressed = new Set<string>();
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE || !isDiagnosticData(diagnostic.data)) continue;
    const data = diagnostic.data;
    for (const fix of data.fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.isPreferred,
        edit: fixEdit(uri, fix),
      });
    }
    if (data.rule === 'mixed-data-and-schema') {
      actions.push({
        title: 'Split migration into separate data and schema migrations',
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: true,
        command: { title: 'Split Migration', command: SPLIT_CLIENT_COMMAND, arguments: [uri] },
      });
    }
    // One "disable" action per rule and line, however many diagnostics share them.
    const key = `${data.rule}:${diagnostic.range.start.line}`;
    if (data.suppression && !suppressed.has(key)) {
      suppressed.add(key);
      actions.push({
        title: `Disable ${data.rule} for this line`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: { changes: { [uri]: [data.suppression] } },
      });
    }
  }
  return actions;
}

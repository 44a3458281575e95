/**
 * Code actions for our diagnostics, decoded from the data each diagnostic carries: the rule's fixes
 * (quickfix; the preferred one marked) and "Disable <rule> for this line".
 */
import { pathToFileURL } from 'node:url';
import { CodeActionKind, type CodeAction, type CodeActionParams, type CreateFile, type TextDocumentEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type { Fix } from '../analysis/types';
import { DIAGNOSTIC_SOURCE, isDiagnosticData } from './diagnostics';
import { versionedEdit, type EditContext } from './versioned-edits';
import { maxMigrationUpdates } from '../workspace/max-migration';
import { endOf } from '../analysis/line-index';

/** The client's command: confirms (git), then asks the server to split. */
export const SPLIT_CLIENT_COMMAND = 'migrationGuard.splitMigration';

/** Applies every fix that cannot change what the migration does (editor.codeActionsOnSave). */
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.migrationGuard`;

/** True when the requested kinds include ours: `source`, `source.fixAll` or the exact kind. */
export function wantsFixAll(only: readonly string[] | undefined): boolean {
  return !!only && only.some((k) => FIX_ALL_KIND === k || FIX_ALL_KIND.startsWith(`${k}.`));
}

/**
 * A fix that creates files (a merge migration) as one workspace edit — each file created, never
 * over an existing one, then filled, and the fix's own edits versioned — so one undo takes it
 * all back. Null when the finding is stale or the client cannot create files.
 */
function creatingEdit(uri: string, computedOn: number | undefined, fix: Fix, context: EditContext): WorkspaceEdit | null {
  const current = context.versionOf(uri);
  if (computedOn === undefined || current === null || computedOn !== current || !context.documentChanges) return null;
  const changes: Array<CreateFile | TextDocumentEdit> = [];
  for (const c of fix.creates ?? []) {
    const target = pathToFileURL(c.file).href;
    const start = { line: 0, character: 0 };
    changes.push({ kind: 'create', uri: target, options: { overwrite: false, ignoreIfExists: false } });
    changes.push({ textDocument: { uri: target, version: null }, edits: [{ range: { start, end: start }, newText: c.text }] });
  }
  if (fix.edits.length > 0) changes.push({ textDocument: { uri, version: computedOn }, edits: fix.edits });
  // django-linear-migrations' max_migration.txt moved on to the newest migration written (as on disk now).
  for (const m of maxMigrationUpdates((fix.creates ?? []).map((c) => c.file))) {
    changes.push({ textDocument: { uri: pathToFileURL(m.file).href, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: endOf(m.original) }, newText: m.text }] });
  }
  return { documentChanges: changes };
}

/**
 * A fix made to another file (the module a migration takes its RunPython code from), computed on
 * that file as it is on disk: offered only while the finding is current and the module is not open
 * in the editor (an open buffer may differ from the disk; saving it publishes the finding again).
 */
function elsewhereEdit(uri: string, computedOn: number | undefined, fix: Fix, context: EditContext): WorkspaceEdit | null {
  const other = fix.elsewhere;
  const current = context.versionOf(uri);
  if (!other || computedOn === undefined || current === null || computedOn !== current) return null;
  const target = pathToFileURL(other.file).href;
  if (context.versionOf(target) !== null) return null;
  if (!context.documentChanges) return { changes: { [target]: other.edits } };
  return { documentChanges: [{ textDocument: { uri: target, version: null }, edits: other.edits }] };
}

export function codeActions(params: CodeActionParams, context: EditContext): CodeAction[] {
  const uri = params.textDocument.uri;
  const only = params.context.only;
  if (only && !only.some((k: string) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)) return [];
  const actions: CodeAction[] = [];
  const suppressed = new Set<string>();
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE || !isDiagnosticData(diagnostic.data)) continue;
    const data = diagnostic.data;
    for (const fix of data.fixes) {
      const edit = fix.elsewhere ? elsewhereEdit(uri, data.version, fix, context) : fix.creates?.length ? creatingEdit(uri, data.version, fix, context) : versionedEdit(uri, data.version, fix.edits, context);
      if (!edit) continue; // computed on another version of the text: never offered, never misapplied
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.isPreferred,
        edit,
      });
    }
    // The schema and data operations apart; an unbatched loop whose fix needs the data on its own too.
    if (data.rule === 'mixed-data-and-schema' || data.splitFirst) {
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
    const suppression = data.suppression ? versionedEdit(uri, data.version, [data.suppression], context) : null;
    if (suppression && !suppressed.has(key)) {
      suppressed.add(key);
      actions.push({
        title: `Disable ${data.rule} for this line`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: suppression,
      });
    }
  }
  return actions;
}

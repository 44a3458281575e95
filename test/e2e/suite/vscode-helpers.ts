/**
 * What the end-to-end tests do through VS Code's API: find the fixture files in the opened copy
 * of test/fixtures/e2e-workspace, open them, read our diagnostics, run the code actions VS Code
 * offers, revert edits, and change settings.
 */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { waitFor } from './harness';

export const SOURCE = 'migration-guard';
export const EXTENSION_ID = 'django-migration-guard.django-migration-guard';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder open: run.mjs opens a copy of test/fixtures/e2e-workspace');
  return folder.uri;
}

export function fileUri(relative: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...relative.split('/'));
}

/** A file's text on disk (not through VS Code, so the file is not opened). */
export function diskText(relative: string): string {
  return readFileSync(fileUri(relative).fsPath, 'utf8');
}

/** The rule id of a diagnostic: `code` is `{ value, target }` because each carries a docs link. */
export function ruleOf(d: vscode.Diagnostic): string | undefined {
  const code = d.code;
  if (code === undefined) return undefined;
  return typeof code === 'object' ? String(code.value) : String(code);
}

/** Our diagnostics for a file, optionally of one rule. */
export function diagnostics(uri: vscode.Uri, rule?: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE && (!rule || ruleOf(d) === rule));
}

export function describeDiagnostics(uri: vscode.Uri): string {
  const all = diagnostics(uri);
  return all.length === 0 ? 'none' : all.map((d) => `${ruleOf(d)}@${d.range.start.line + 1}:${d.range.start.character + 1}`).join(', ');
}

/** Waits until the file carries exactly `count` diagnostics of `rule`, and returns them. */
export function waitForDiagnostics(uri: vscode.Uri, rule: string, count = 1, timeout?: number): Promise<vscode.Diagnostic[]> {
  return waitFor(
    `${count} ${rule} diagnostic(s) on ${vscode.workspace.asRelativePath(uri)}`,
    () => {
      const found = diagnostics(uri, rule);
      return found.length === count && found;
    },
    { describe: () => describeDiagnostics(uri), ...(timeout ? { timeout } : {}) },
  );
}

/** Waits until the file carries no diagnostic of `rule`. */
export async function waitForNoDiagnostics(uri: vscode.Uri, rule: string): Promise<void> {
  await waitFor(`no ${rule} diagnostic on ${vscode.workspace.asRelativePath(uri)}`, () => diagnostics(uri, rule).length === 0, {
    describe: () => describeDiagnostics(uri),
  });
}

/** Opens a fixture file in an editor (which sends didOpen to the language server). */
export async function openEditor(relative: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(fileUri(relative));
  return vscode.window.showTextDocument(doc, { preview: false });
}

/** The 0-based line of the first line containing `needle`; throws when there is none. */
export function lineOf(text: string, needle: string): number {
  const line = text.split('\n').findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`no line contains ${JSON.stringify(needle)}`);
  return line;
}

/** The code actions VS Code collects for a range, the way the light bulb and Ctrl+. do. */
export async function codeActionsAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const all = await vscode.commands.executeCommand<Array<vscode.CodeAction | vscode.Command>>('vscode.executeCodeActionProvider', uri, range);
  // A bare Command has `command: string`; a CodeAction's `command`, when any, is a Command object.
  return (all ?? []).filter((a): a is vscode.CodeAction => typeof (a as { command?: unknown }).command !== 'string');
}

/** Finds our code action whose title satisfies `match` for a diagnostic. */
export async function findAction(uri: vscode.Uri, diagnostic: vscode.Diagnostic, match: (title: string) => boolean): Promise<vscode.CodeAction> {
  const actions = await codeActionsAt(uri, diagnostic.range);
  const action = actions.find((a) => match(a.title));
  if (!action) throw new Error(`no matching code action for ${ruleOf(diagnostic)}; offered: ${actions.map((a) => JSON.stringify(a.title)).join(', ') || 'none'}`);
  return action;
}

/** Applies a code action as the editor would: its edit first, then its command. */
export async function applyAction(action: vscode.CodeAction): Promise<void> {
  if (action.edit) {
    const applied = await vscode.workspace.applyEdit(action.edit);
    if (!applied) throw new Error(`VS Code refused the edit of ${JSON.stringify(action.title)}`);
  }
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}

/** Throws unless `text` contains `needle`, quoting the text when it does not. */
export function assertContains(text: string, needle: string, what: string): void {
  if (!text.includes(needle)) throw new Error(`${what} should contain ${JSON.stringify(needle)}; it is:\n${text}`);
}

export function assertNotContains(text: string, needle: string, what: string): void {
  if (text.includes(needle)) throw new Error(`${what} should not contain ${JSON.stringify(needle)}; it is:\n${text}`);
}

export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Puts a document back to its text on disk (File: Revert File) and waits until it is. */
export async function revert(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc, { preview: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
  const disk = readFileSync(doc.uri.fsPath, 'utf8');
  await waitFor(`${vscode.workspace.asRelativePath(doc.uri)} reverted`, () => !doc.isDirty && doc.getText() === disk);
}

/** Sets `migrationGuard.<key>` in the workspace's settings (undefined removes it). */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('migrationGuard').update(key, value, vscode.ConfigurationTarget.Workspace);
}

/** Edits a document through the editor, as typing would (one undo stop), and checks VS Code took it. */
export async function edit(editor: vscode.TextEditor, change: (builder: vscode.TextEditorEdit) => void): Promise<void> {
  const ok = await editor.edit(change);
  if (!ok) throw new Error(`the editor refused an edit of ${vscode.workspace.asRelativePath(editor.document.uri)}`);
}

/** No editors and a collapsed explorer, before a README picture (dirty documents are reverted first, so no save dialog). */
export async function tidyWorkbench(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isDirty && d.uri.scheme === 'file')) await revert(doc);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('workbench.files.action.collapseExplorerFolders');
}

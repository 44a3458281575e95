/**
 * The server side of "Split Migration": plans the split of a document and applies it as one
 * workspace edit (new files created without overwriting, the original rewritten, dependants
 * pointed at the last part), so a single undo reverts it. Refusals are shown, nothing changes.
 */
import { maxMigrationAfterSplit } from '../workspace/max-migration';
import { endOf } from '../analysis/line-index';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connection, CreateFile, TextDocumentEdit, WorkspaceEdit } from 'vscode-languageserver';
import type { PythonParser } from '../analysis/parser';
import { planSplit, type SplitPlan } from '../workspace/split-files';
import type { LintService } from './lint-service';
import { uriToPath } from './lint-service';
import type { OpenDocuments } from './open-documents';
import type { WorkspaceLinter } from './workspace-linter';

/** The command the server executes; the client's palette command calls it after confirming. */
export const APPLY_SPLIT_COMMAND = 'migrationGuard.applySplit';

export interface SplitOutcome {
  applied: boolean;
  message: string;
  files?: string[];
}

/**
 * The editor writes the files of a workspace edit in its own encoding (UTF-8 unless told
 * otherwise), not in the one a PEP 263 line declares: refuse when that would change bytes.
 */
function editorUnsafeEncoding(plan: Extract<SplitPlan, { ok: true }>): string | null {
  const files = [{ file: plan.original, text: plan.source, encoding: plan.encoding }, ...plan.dependants.map((d) => ({ file: d.file, text: d.before, encoding: d.encoding }))];
  const risky = files.find((f) => f.encoding.name !== 'utf-8' && /[^\x00-\x7f]/.test(f.text));
  return risky ? `${risky.file} is encoded in ${risky.encoding.name}, which the editor would not keep; run \`migration-guard split\` on the command line, which keeps each file's encoding. Nothing was changed.` : null;
}

export async function splitDocument(
  uri: string,
  deps: { connection: Connection; parser: PythonParser; documents: OpenDocuments; service: LintService; linter: WorkspaceLinter },
): Promise<SplitOutcome> {
  const { connection, parser, documents, service, linter } = deps;
  const file = uriToPath(uri);
  if (!file) return { applied: false, message: 'Split Migration works on files saved to disk.' };
  const open = documents.get(uri);
  const root = service.folderOf(file) ?? dirname(dirname(dirname(file)));
  const resolved = service.settingsFor(file);
  const project = linter.projectOf(file);
  // Dependants open in the editor are split from their buffers, as the user sees them.
  const readText = (other: string) => documents.get(pathToFileURL(other).href)?.document.getText() ?? null;
  const plan = await planSplit(file, parser, { root, settings: resolved.settings, readText, ...(project ? { project } : {}), ...(open ? { text: open.document.getText() } : {}) });
  if (!plan.ok) {
    void connection.window.showErrorMessage(`Split Migration: ${plan.reason}`);
    return { applied: false, message: plan.reason };
  }
  const foreign = editorUnsafeEncoding(plan);
  if (foreign) {
    void connection.window.showErrorMessage(`Split Migration: ${foreign}`);
    return { applied: false, message: foreign };
  }
  const changes: Array<CreateFile | TextDocumentEdit> = [];
  for (const part of plan.parts.slice(1)) {
    const partUri = pathToFileURL(part.file).href;
    changes.push({ kind: 'create', uri: partUri, options: { overwrite: false, ignoreIfExists: false } });
    changes.push({ textDocument: { uri: partUri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: part.text }] });
  }
  const original = plan.parts[0];
  changes.push({ textDocument: { uri, version: open ? open.document.version : null }, edits: [{ range: { start: { line: 0, character: 0 }, end: endOf(plan.source) }, newText: original?.text ?? '' }] });
  for (const d of plan.dependants) {
    const dUri = pathToFileURL(d.file).href;
    const dOpen = documents.get(dUri);
    changes.push({ textDocument: { uri: dUri, version: dOpen ? dOpen.document.version : null }, edits: d.edits });
  }
  // django-linear-migrations: the leaf's name moves on to the last part.
  const lastPart = plan.parts[plan.parts.length - 1];
  const max = lastPart ? maxMigrationAfterSplit(plan.original, lastPart.file) : null;
  if (max) changes.push({ textDocument: { uri: pathToFileURL(max.file).href, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: endOf(max.original) }, newText: max.text }] });
  const edit: WorkspaceEdit = { documentChanges: changes };
  const result = await connection.workspace.applyEdit({ label: 'Split migration', edit });
  if (!result.applied) {
    const reason = result.failureReason ?? 'the editor did not apply the edit';
    void connection.window.showErrorMessage(`Split Migration: ${reason}`);
    return { applied: false, message: reason };
  }
  const names = plan.parts.map((p) => p.fileName);
  const message = `Split into ${names.join(', ')}${plan.dependants.length > 0 ? `; ${plan.dependants.length} dependent migration(s) now depend on ${plan.parts[plan.parts.length - 1]?.name}` : ''}.`;
  void connection.window.showInformationMessage(message);
  return { applied: true, message, files: plan.parts.map((p) => p.file) };
}

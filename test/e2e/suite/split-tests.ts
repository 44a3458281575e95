/**
 * End-to-end: "Django Migrations: Split Migration" on seed 000's mixed migration creates the schema
 * part as a new file, keeps the data part in place, and points the dependants (one in the same
 * app, one in another app) at the new last part — as one edit VS Code applies. Runs last: it adds
 * a file to the workspace.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { screenshot, test, waitFor } from './harness';
import { assertContains, assertNotContains, fileUri, openEditor, tidyWorkbench, waitForDiagnostics, waitForNoDiagnostics } from './vscode-helpers';

const MIXED = 'orders/migrations/0002_backfill_currency.py';
const NEW_PART = 'orders/migrations/0004_alter_order_currency.py';
const DEPENDANT_SAME_APP = 'orders/migrations/0003_order_number_index.py';
const DEPENDANT_OTHER_APP = 'shipping/migrations/0001_initial.py';

async function documentText(relative: string): Promise<string> {
  return (await vscode.workspace.openTextDocument(fileUri(relative))).getText();
}

test('Split Migration creates the new part and rewrites the dependant in another app', async () => {
  const editor = await openEditor(MIXED);
  const uri = editor.document.uri;
  await waitForDiagnostics(uri, 'mixed-data-and-schema');
  const migrations = fileUri('orders/migrations').fsPath;
  const before = readdirSync(migrations).sort();

  // The workspace copy is not a git repository, so the command asks nothing before splitting.
  await vscode.commands.executeCommand('migrationGuard.splitMigration', uri);

  await waitFor(`${NEW_PART} on disk`, () => existsSync(fileUri(NEW_PART).fsPath), { describe: () => readdirSync(migrations).join(', ') });
  const added = readdirSync(migrations).filter((f) => !before.includes(f));
  if (added.length !== 1) throw new Error(`expected one new migration, got ${JSON.stringify(added)}`);

  const newPart = await waitFor(`the text of ${NEW_PART}`, async () => {
    const text = await documentText(NEW_PART);
    return text.includes('migrations.AlterField(') && text;
  });
  assertContains(newPart, '("orders", "0002_backfill_currency")', NEW_PART);
  assertNotContains(newPart, 'RunPython', NEW_PART);

  const dataPart = editor.document.getText();
  assertContains(dataPart, 'migrations.RunPython(backfill_currency, migrations.RunPython.noop)', MIXED);
  assertNotContains(dataPart, 'AlterField', MIXED);

  assertContains(await documentText(DEPENDANT_OTHER_APP), '("orders", "0004_alter_order_currency")', DEPENDANT_OTHER_APP);
  assertNotContains(await documentText(DEPENDANT_OTHER_APP), '0002_backfill_currency', DEPENDANT_OTHER_APP);
  assertContains(await documentText(DEPENDANT_SAME_APP), '("orders", "0004_alter_order_currency")', DEPENDANT_SAME_APP);

  // The data part is no longer mixed; its save loop is still reported.
  await waitForNoDiagnostics(uri, 'mixed-data-and-schema');
  await waitForDiagnostics(uri, 'unbatched-save-loop');

  // Saved, the files on disk say the same (files.autoSave is off in these runs).
  // `workspace.saveAll` saves editors only; the split's other files are open documents without one.
  for (const file of [MIXED, NEW_PART, DEPENDANT_SAME_APP, DEPENDANT_OTHER_APP]) {
    const doc = await vscode.workspace.openTextDocument(fileUri(file));
    if (doc.isDirty && !(await doc.save())) throw new Error(`saving ${file} failed`);
  }
  for (const [file, needle] of [[DEPENDANT_OTHER_APP, '("orders", "0004_alter_order_currency")'], [NEW_PART, 'migrations.AlterField(']] as const) {
    await waitFor(`${file} saved`, () => readFileSync(fileUri(file).fsPath, 'utf8').includes(needle), { describe: () => readFileSync(fileUri(file).fsPath, 'utf8') });
  }
});

test('screenshot: the explorer and editor after the split', async () => {
  await tidyWorkbench();
  await openEditor(MIXED);
  await openEditor(NEW_PART);
  await vscode.commands.executeCommand('workbench.files.action.showActiveFileInExplorer');
  await screenshot('split', ['.explorer-folders-view .monaco-list-row.selected >> text=0004_alter_order_currency.py', '.monaco-editor .view-lines >> text=AlterField']);
});

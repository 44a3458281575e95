/**
 * End-to-end: each quick fix, collected through `vscode.executeCodeActionProvider` exactly as the
 * light bulb does and applied through `workspace.applyEdit`, rewrites the document as expected and
 * clears its diagnostic; every test reverts its document afterwards. Also opens the real quick-fix
 * menu on the save loop for the README screenshot.
 */
import * as vscode from 'vscode';
import { screenshot, test } from './harness';
import {
  applyAction,
  assertContains,
  assertNotContains,
  diagnostics,
  findAction,
  lineOf,
  openEditor,
  revert,
  tidyWorkbench,
  waitForDiagnostics,
  waitForNoDiagnostics,
} from './vscode-helpers';

/** Opens `file`, applies the action matching `title` on its `rule` diagnostic, and returns the new text. */
async function applyFix(file: string, rule: string, title: (t: string) => boolean): Promise<{ doc: vscode.TextDocument; text: string }> {
  const editor = await openEditor(file);
  const doc = editor.document;
  const [diagnostic] = await waitForDiagnostics(doc.uri, rule);
  const before = doc.getText();
  await applyAction(await findAction(doc.uri, diagnostic as vscode.Diagnostic, title));
  if (doc.getText() === before) throw new Error(`the fix did not change ${file}`);
  await waitForNoDiagnostics(doc.uri, rule);
  return { doc, text: doc.getText() };
}

test('quick fix: reverse_code=migrations.RunPython.noop', async () => {
  const file = 'customers/migrations/0002_deactivate_customers.py';
  const { doc, text } = await applyFix(file, 'runpython-no-reverse', (t) => t === 'Add reverse_code=migrations.RunPython.noop');
  assertContains(text, 'migrations.RunPython(deactivate_customers, reverse_code=migrations.RunPython.noop),', file);
  await revert(doc);
  await waitForDiagnostics(doc.uri, 'runpython-no-reverse');
});

test('quick fix: the inverse SQL of ADD COLUMN', async () => {
  const file = 'catalog/migrations/0002_product_sku.py';
  const { doc, text } = await applyFix(file, 'runsql-no-reverse', (t) => t.startsWith('Add reverse_sql: '));
  assertContains(text, 'reverse_sql="ALTER TABLE catalog_product DROP COLUMN IF EXISTS sku;"', file);
  await revert(doc);
  await waitForDiagnostics(doc.uri, 'runsql-no-reverse');
});

test('quick fix: atomic = False for CREATE INDEX CONCURRENTLY', async () => {
  const file = 'orders/migrations/0003_order_number_index.py';
  const { doc, text } = await applyFix(file, 'missing-atomic-false', (t) => t.includes('atomic = False'));
  assertContains(text, '    atomic = False\n', file);
  if (lineOf(text, 'atomic = False') > lineOf(text, 'dependencies = [')) throw new Error(`atomic = False should come before dependencies:\n${text}`);
  await revert(doc);
  await waitForDiagnostics(doc.uri, 'missing-atomic-false');
});

test('quick fix: the save loop becomes a batched update (batch size from pyproject.toml)', async () => {
  const file = 'orders/migrations/0002_backfill_currency.py';
  const { doc, text } = await applyFix(file, 'unbatched-save-loop', (t) => t.startsWith('Update in batches of'));
  assertContains(text, 'pks = list(Order.objects.filter(currency__isnull=True).values_list("pk", flat=True))', file);
  assertContains(text, 'for start in range(0, len(pks), 500):', file);
  assertContains(text, 'Order.objects.filter(pk__in=pks[start : start + 500]).update(currency="USD")', file);
  assertNotContains(text, 'order.save()', file);
  // The fix changes the loop only: the migration is still mixed, so that finding stays.
  if (diagnostics(doc.uri, 'mixed-data-and-schema').length !== 1) throw new Error('mixed-data-and-schema should survive the loop rewrite');
  await revert(doc);
  await waitForDiagnostics(doc.uri, 'unbatched-save-loop');
});

test('quick fix: "Disable runpython-no-reverse for this line" writes a suppression comment', async () => {
  const file = 'customers/migrations/0002_deactivate_customers.py';
  const { doc, text } = await applyFix(file, 'runpython-no-reverse', (t) => t === 'Disable runpython-no-reverse for this line');
  assertContains(text, '# migration-guard: ignore[runpython-no-reverse]', file);
  if (diagnostics(doc.uri).length !== 0) throw new Error(`the suppression should leave no diagnostic (not even unused-suppression), found ${diagnostics(doc.uri).length}`);
  await revert(doc);
  await waitForDiagnostics(doc.uri, 'runpython-no-reverse');
});

test('quick fix: mixed-data-and-schema offers Split Migration (and the menu opens on a save loop)', async () => {
  const file = 'orders/migrations/0002_backfill_currency.py';
  await tidyWorkbench();
  const editor = await openEditor(file);
  await vscode.commands.executeCommand('workbench.files.action.showActiveFileInExplorer');
  const [mixed] = await waitForDiagnostics(editor.document.uri, 'mixed-data-and-schema');
  const split = await findAction(editor.document.uri, mixed as vscode.Diagnostic, (t) => t.startsWith('Split migration'));
  if (split.command?.command !== 'migrationGuard.splitMigration') throw new Error(`the split action runs ${JSON.stringify(split.command)}`);
  // The real menu, for the README picture: cursor on the loop, Ctrl+. (editor.action.quickFix).
  const [loop] = await waitForDiagnostics(editor.document.uri, 'unbatched-save-loop');
  const at = (loop as vscode.Diagnostic).range.start.translate(0, 4);
  editor.selection = new vscode.Selection(at, at);
  await vscode.commands.executeCommand('editor.action.quickFix');
  try {
    await screenshot('quick-fix', ['.action-widget .monaco-list-row']);
  } finally {
    await vscode.commands.executeCommand('hideCodeActionWidget');
  }
});

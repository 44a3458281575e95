/**
 * End-to-end: a suppression comment silences its rule (and removing it brings the finding back),
 * turning a rule off in the workspace settings removes its diagnostics from open and unopened
 * migrations alike (and turning it back restores them), a severity set there reaches the editor,
 * and a garbage document does not take the server down.
 */
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { describeDiagnostics, diagnostics, edit, fileUri, lineOf, openEditor, revert, setSetting, waitForDiagnostics, waitForNoDiagnostics } from './vscode-helpers';

test('a suppression comment silences its rule; deleting the comment brings the finding back', async () => {
  const editor = await openEditor('customers/migrations/0003_lowercase_emails.py');
  const doc = editor.document;
  const line = lineOf(doc.getText(), '# migration-guard: ignore[runpython-no-reverse]');
  const text = doc.lineAt(line).text;
  const comment = new vscode.Range(line, text.indexOf('  #'), line, text.length);
  await edit(editor, (b) => b.delete(comment));
  const [finding] = await waitForDiagnostics(doc.uri, 'runpython-no-reverse');
  if (finding?.range.start.line !== line) throw new Error(`the finding should be on line ${line + 1}, is on ${(finding?.range.start.line ?? -2) + 1}`);
  await revert(doc);
  await waitForNoDiagnostics(doc.uri, 'runpython-no-reverse');
  if (diagnostics(doc.uri).length !== 0) throw new Error('a used suppression must not be reported as unused');
});

// The start-up scan and an open editor must agree: a settings change used to clear open files.
test('a settings change re-lints an open migration and keeps its other findings', async () => {
  // orders/0002 was linted by the start-up scan before it was opened: the case the race clears.
  const open = (await openEditor('orders/migrations/0002_backfill_currency.py')).document.uri;
  const unopened = fileUri('legacy/migrations/0002_archive_orders.py');
  await waitForDiagnostics(open, 'mixed-data-and-schema');
  const isError = (uri: vscode.Uri) => diagnostics(uri, 'unbatched-save-loop').some((d) => d.severity === vscode.DiagnosticSeverity.Error);
  await setSetting('rules.unbatched-save-loop', 'error');
  try {
    await waitFor('unbatched-save-loop as an error on the unopened migration', () => isError(unopened));
    await waitFor('unbatched-save-loop as an error, and mixed-data-and-schema still there, on the open migration', () => isError(open) && diagnostics(open, 'mixed-data-and-schema').length === 1, {
      describe: () => describeDiagnostics(open),
      timeout: 5000, // the unopened file above shows the server is done; this only allows for delivery
    });
  } finally {
    await setSetting('rules.unbatched-save-loop', undefined);
  }
  await waitFor('unbatched-save-loop back to a warning', () => !isError(open) && !isError(unopened) && diagnostics(open, 'unbatched-save-loop').length === 1);
});

test('turning a rule off in the settings removes its diagnostics; turning it back restores them', async () => {
  const open = (await openEditor('orders/migrations/0002_backfill_currency.py')).document.uri;
  const unopened = fileUri('legacy/migrations/0002_archive_orders.py');
  await waitForDiagnostics(open, 'unbatched-save-loop');
  await waitForDiagnostics(unopened, 'unbatched-save-loop');
  await setSetting('rules.unbatched-save-loop', 'off');
  try {
    await waitForNoDiagnostics(open, 'unbatched-save-loop');
    await waitForNoDiagnostics(unopened, 'unbatched-save-loop');
  } finally {
    await setSetting('rules.unbatched-save-loop', undefined);
  }
  await waitForDiagnostics(open, 'unbatched-save-loop');
  await waitForDiagnostics(unopened, 'unbatched-save-loop');
  await waitForDiagnostics(open, 'mixed-data-and-schema');
});

test('the server survives a garbage document: a real migration still gets diagnostics', async () => {
  const garbage = await openEditor('catalog/migrations/0003_broken.py');
  const junk = ['\u0000\u0001 class Migration(migrations.Migration):\n', '    operations = [[[[[[ (((( {{{{ \n', '"""', "'''", '\\', 'def (:\n', '\t\t\u00ff\ufffd\n'];
  for (const piece of junk) {
    await edit(garbage, (b) => b.insert(new vscode.Position(garbage.document.lineCount, 0), piece));
    await edit(garbage, (b) => b.insert(new vscode.Position(0, 0), piece));
  }
  await edit(garbage, (b) => b.delete(new vscode.Range(1, 0, 3, 0)));
  // The real migration is linted after the garbage (the server handles messages in order).
  const real = await openEditor('catalog/migrations/0002_product_sku.py');
  const line = lineOf(real.document.getText(), 'migrations.RunSQL(');
  await edit(real, (b) => b.insert(new vscode.Position(line, 0), '        migrations.RunSQL("CREATE TABLE catalog_tag (id bigint)"),\n'));
  await waitForDiagnostics(real.document.uri, 'runsql-no-reverse', 2);
  await revert(real.document);
  await waitForDiagnostics(real.document.uri, 'runsql-no-reverse', 1);
  await revert(garbage.document);
});

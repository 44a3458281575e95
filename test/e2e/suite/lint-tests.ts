/**
 * End-to-end: the extension activates on the workspace, the workspace-wide lint fills the Problems
 * panel for migrations nobody opened, and an opened migration shows each rule with its code,
 * source, severity, documentation link and range. Expected ranges come from the fixture's text.
 */
import * as vscode from 'vscode';
import { log, screenshot, test, waitFor } from './harness';
import { assertEqual, diagnostics, diskText, EXTENSION_ID, fileUri, lineOf, openEditor, ruleOf, SOURCE, tidyWorkbench, waitForDiagnostics } from './vscode-helpers';

interface Expected {
  file: string;
  rule: string;
  severity: vscode.DiagnosticSeverity;
  /** The exact text the diagnostic's range covers. */
  text: string;
}

const { Warning, Error: ErrorSeverity } = vscode.DiagnosticSeverity;

/** Every finding in the fixture workspace (the suppressed RunPython in customers/0003 has none). */
export const EXPECTED: Expected[] = [
  { file: 'orders/migrations/0002_backfill_currency.py', rule: 'unbatched-save-loop', severity: Warning, text: 'for order in Order.objects.filter(currency__isnull=True)' },
  { file: 'orders/migrations/0002_backfill_currency.py', rule: 'mixed-data-and-schema', severity: Warning, text: 'migrations.RunPython' },
  { file: 'orders/migrations/0002_backfill_currency.py', rule: 'alter-field-not-null', severity: Warning, text: 'migrations.AlterField' },
  { file: 'orders/migrations/0003_order_number_index.py', rule: 'missing-atomic-false', severity: ErrorSeverity, text: 'migrations.RunSQL' },
  { file: 'customers/migrations/0002_deactivate_customers.py', rule: 'runpython-no-reverse', severity: Warning, text: 'migrations.RunPython' },
  { file: 'catalog/migrations/0002_product_sku.py', rule: 'runsql-no-reverse', severity: Warning, text: 'migrations.RunSQL' },
  { file: 'legacy/migrations/0002_archive_orders.py', rule: 'unbatched-save-loop', severity: Warning, text: 'for row in ArchivedOrder.objects.all()' },
];

/** The range `text` covers on its (first) line in `source`. */
function rangeOf(source: string, text: string): vscode.Range {
  const line = lineOf(source, text);
  const start = (source.split('\n')[line] as string).indexOf(text);
  return new vscode.Range(line, start, line, start + text.length);
}

function checkDiagnostic(e: Expected, d: vscode.Diagnostic, source: string): void {
  const where = `${e.file} ${e.rule}`;
  assertEqual(d.source, SOURCE, `${where} source`);
  assertEqual(d.severity, e.severity, `${where} severity`);
  const expected = rangeOf(source, e.text);
  if (!d.range.isEqual(expected)) {
    throw new Error(`${where} range: expected ${JSON.stringify(expected)} (${JSON.stringify(e.text)}), got ${JSON.stringify(d.range)}`);
  }
  const target = typeof d.code === 'object' ? d.code.target.toString() : '';
  if (!target.endsWith(`/docs/rules/${e.rule}.md`)) throw new Error(`${where} documentation link is ${JSON.stringify(target)}`);
  if (!d.message) throw new Error(`${where} has no message`);
}

test('the extension under test activates on the Django workspace', async () => {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed`);
  await waitFor('the extension to activate (workspaceContains:**/migrations/*.py)', () => extension.isActive);
  // run.mjs says which copy must be running: the repository (development) or the installed .vsix.
  const expected = process.env.MIGRATION_GUARD_E2E_EXTENSION_PATH;
  if (expected && extension.extensionPath !== expected) throw new Error(`running ${extension.extensionPath}, expected ${expected}`);
  // Test edits must stay in memory: the runners' user settings turn the web workbench's auto save off.
  assertEqual(vscode.workspace.getConfiguration('files').get('autoSave'), 'off', 'files.autoSave');
  log(`       extension ${extension.packageJSON.version} from ${extension.extensionPath}`);
});

test('the workspace-wide lint fills diagnostics for migrations that were never opened', async () => {
  for (const e of EXPECTED) {
    const uri = fileUri(e.file);
    const [d] = await waitForDiagnostics(uri, e.rule);
    checkDiagnostic(e, d as vscode.Diagnostic, diskText(e.file));
  }
  const opened = vscode.workspace.textDocuments.filter((doc) => EXPECTED.some((e) => doc.uri.toString() === fileUri(e.file).toString()));
  assertEqual(opened.length, 0, 'fixture migrations opened before this test');
  for (const clean of ['orders/migrations/0001_initial.py', 'orders/migrations/__init__.py', 'shipping/migrations/0001_initial.py']) {
    assertEqual(diagnostics(fileUri(clean)).length, 0, `diagnostics on ${clean}`);
  }
});

test('an opened migration shows every rule with its code, source, severity, link and range', async () => {
  for (const file of [...new Set(EXPECTED.map((e) => e.file))].filter((f) => !f.startsWith('legacy/'))) {
    const editor = await openEditor(file);
    const expectedHere = EXPECTED.filter((e) => e.file === file);
    await waitFor(
      `exactly the expected rules on ${file}`,
      () => {
        const rules = diagnostics(editor.document.uri).map(ruleOf).sort();
        return JSON.stringify(rules) === JSON.stringify(expectedHere.map((e) => e.rule).sort());
      },
      { describe: () => diagnostics(editor.document.uri).map(ruleOf).join(', ') },
    );
    for (const e of expectedHere) checkDiagnostic(e, diagnostics(editor.document.uri, e.rule)[0] as vscode.Diagnostic, editor.document.getText());
  }
  // The mixed migration points at the schema operation it conflicts with.
  const orders = fileUri('orders/migrations/0002_backfill_currency.py');
  const mixed = diagnostics(orders, 'mixed-data-and-schema')[0] as vscode.Diagnostic;
  const related = (mixed.relatedInformation ?? []).map((r) => r.location.range.start.line);
  if (!related.includes(lineOf(diskText('orders/migrations/0002_backfill_currency.py'), 'migrations.AlterField'))) {
    throw new Error(`mixed-data-and-schema should point at the AlterField; related lines: ${JSON.stringify(related)}`);
  }
});

test('screenshot: a migration with squiggles and the Problems panel', async () => {
  await tidyWorkbench();
  const editor = await openEditor('orders/migrations/0002_backfill_currency.py');
  const [loop] = await waitForDiagnostics(editor.document.uri, 'unbatched-save-loop');
  const at = loop.range.start.translate(0, 4);
  editor.selection = new vscode.Selection(at, at);
  await vscode.commands.executeCommand('workbench.files.action.showActiveFileInExplorer');
  await vscode.commands.executeCommand('workbench.actions.view.problems');
  // The hover closes if focus moves while the workbench settles, so it is opened again before each try.
  const openHover = async () => {
    await vscode.window.showTextDocument(editor.document); // focus back in the editor, for the hover
    editor.selection = new vscode.Selection(at, at);
    await vscode.commands.executeCommand('editor.action.showHover');
  };
  const shown = ['.monaco-editor .squiggly-warning', '.markers-panel .monaco-list-row', '.monaco-hover >> text=unbatched-save-loop'];
  await screenshot('diagnostics', shown, { prepare: openHover, attempts: 3, hover: '.monaco-editor .squiggly-warning' });
  await vscode.commands.executeCommand('workbench.action.closePanel');
});

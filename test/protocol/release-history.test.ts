/**
 * The language server asks git which migrations shipped together only in a trusted workspace (the
 * client says so at start, and when trust is granted later); then it says what `check` says of a
 * table an earlier migration of the same commit made. Untrusted, git is never run and the finding
 * stays, as `check` with `git-history = false` gives it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver';
import { jsonFindings, runCli } from '../helpers/cli';
import { git, releaseRepository, removalRepository, withHistory } from '../helpers/release-repo';
import { TestClient } from './lsp-client';

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function repo(): string {
  const root = mkdtempSync(join(tmpdir(), 'mg-release-lsp-'));
  temps.push(root);
  return releaseRepository(root).root;
}

const rules = (ds: readonly Diagnostic[] | undefined) => (ds ?? []).map((d) => String(d.code)).sort();

async function scanned(root: string, initializationOptions: unknown): Promise<{ client: TestClient; of: (name: string) => Diagnostic[] | undefined }> {
  const client = await TestClient.start({ workspaceFolders: [root], settings: () => ({}), initializationOptions, env: withHistory() });
  await client.waitFor(() => client.logs.some((l) => /checked \d+ migrations/.test(l)), 'the workspace scan');
  return { client, of: (name) => client.diagnostics.get(pathToFileURL(join(root, 'shop', 'migrations', `${name}.py`)).href)?.diagnostics };
}

describe('language server: the release history', () => {
  it('in a trusted workspace, says nothing of a table or column made earlier in the same release', async () => {
    const { client, of } = await scanned(repo(), { trusted: true });
    try {
      assert.ok(!rules(of('0003_item_price')).includes('add-field-not-null'), JSON.stringify(of('0003_item_price')));
      assert.ok(!rules(of('0006_remove_item_sku')).includes('drop-column'), JSON.stringify(of('0006_remove_item_sku')));
      assert.ok(rules(of('0004_order_total')).includes('add-field-not-null'), JSON.stringify(of('0004_order_total')));
    } finally {
      await client.stop();
    }
  });

  it('gives the findings check gives, file by file', async () => {
    const root = repo();
    const cli = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')}:${f.line} ${f.rule}`).sort();
    const { client } = await scanned(root, { trusted: true });
    try {
      const editor = [...client.diagnostics].flatMap(([uri, p]) => p.diagnostics.map((d) => `${relative(root, fileURLToPath(uri)).split(sep).join('/')}:${d.range.start.line + 1} ${String(d.code)}`)).sort();
      assert.deepEqual(editor, cli);
      assert.ok(cli.some((f) => f.includes('0004_order_total')), 'the comparison has findings to compare');
    } finally {
      await client.stop();
    }
  });

  it('says nothing of a drop whose model and field the release before had stopped using, as check does (review 77)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mg-release-lsp-'));
    temps.push(root);
    removalRepository(root, 'apart');
    const cli = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).filter((f) => f.path.endsWith('0003_drop.py'));
    const trusted = await scanned(root, { trusted: true });
    try {
      assert.deepEqual(rules(trusted.of('0003_drop')).filter((r) => r.startsWith('drop-')), []);
      assert.deepEqual(cli.map((f) => f.rule).filter((r) => r.startsWith('drop-')), []);
    } finally {
      await trusted.client.stop();
    }
    // Untrusted, git is not asked: the drops stay findings.
    const untrusted = await scanned(root, { trusted: false });
    try {
      assert.deepEqual(rules(untrusted.of('0003_drop')).filter((r) => r.startsWith('drop-')), ['drop-column', 'drop-table']);
    } finally {
      await untrusted.client.stop();
    }
  });

  it('untrusted, keeps the findings until trust is granted, then publishes them again', async () => {
    const { client, of } = await scanned(repo(), { trusted: false });
    try {
      assert.ok(rules(of('0003_item_price')).includes('add-field-not-null'), JSON.stringify(of('0003_item_price')));
      assert.ok(rules(of('0006_remove_item_sku')).includes('drop-column'), JSON.stringify(of('0006_remove_item_sku')));
      await client.connection.sendNotification('migrationGuard/workspaceTrusted');
      await client.waitFor(
        () => !rules(of('0003_item_price')).includes('add-field-not-null') && !rules(of('0006_remove_item_sku')).includes('drop-column'),
        'the findings published again with the history',
      );
      assert.ok(rules(of('0004_order_total')).includes('add-field-not-null'));
    } finally {
      await client.stop();
    }
  });

  it('reads the history again after a commit (git\'s files changed), and publishes what changed', async () => {
    const root = repo();
    const { client, of } = await scanned(root, { trusted: true });
    try {
      assert.ok(!rules(of('0006_remove_item_sku')).includes('drop-column'), JSON.stringify(of('0006_remove_item_sku')));
      // 0005 (staged) and 0006 committed apart: two releases now, and 0006 drops a column an earlier release made.
      git(root, 'commit', '-qm', 'sku');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'drop sku');
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(root, '.git', 'logs', 'HEAD')).href, type: 2 }] });
      await client.waitFor(() => rules(of('0006_remove_item_sku')).includes('drop-column'), 'the drop reported once its column shipped in a release of its own');
    } finally {
      await client.stop();
    }
  });

  it('reads the history again when a release tag is made, and groups what the tag first held', async () => {
    const root = repo();
    const { client, of } = await scanned(root, { trusted: true });
    try {
      // A release before the two commits; each commit its own release until a tag holds both.
      git(root, 'tag', 'v1.0');
      git(root, 'commit', '-qm', 'sku');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'drop sku');
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(root, '.git', 'logs', 'HEAD')).href, type: 2 }] });
      await client.waitFor(() => rules(of('0006_remove_item_sku')).includes('drop-column'), 'the drop reported: its column shipped in a commit of its own');
      git(root, 'tag', 'v1.1');
      await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(root, '.git', 'refs', 'tags', 'v1.1')).href, type: 1 }] });
      await client.waitFor(() => !rules(of('0006_remove_item_sku')).includes('drop-column'), 'the drop silent again: v1.1 first held both');
    } finally {
      await client.stop();
    }
  });

  it('a client that says nothing of trust gets no git', async () => {
    const { client, of } = await scanned(repo(), undefined);
    try {
      assert.ok(rules(of('0003_item_price')).includes('add-field-not-null'), JSON.stringify(of('0003_item_price')));
    } finally {
      await client.stop();
    }
  });
});

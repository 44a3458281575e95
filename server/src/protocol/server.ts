/**
 * The language server core: takes a connection, declares capabilities, and wires documents,
 * settings, the workspace-wide scan and code actions to the analysis engine. Every handler is
 * fenced: a failure on one document is logged and never takes the server down.
 */
import { pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver';
import { isPinFile, PIN_FILE_GLOBS } from '../config/django-pin';
import { PythonParser, type CompiledGrammar, type GrammarPaths } from '../analysis/parser';
import { codeActions, FIX_ALL_KIND, wantsFixAll } from './code-actions';
import { DEFAULT_TARGET_DATABASE, type TargetDatabase } from '../analysis/target-database';
import { targetOf } from '../config/settings';
import { hoverAt } from './hover';
import { applyFixEdits, selectFixes } from '../analysis/fixes/apply';
import { toDiagnostic } from './diagnostics';
import { versionedEdit, type EditContext } from './versioned-edits';
import { LintService, uriToPath } from './lint-service';
import { OpenDocuments, type OpenDocument } from './open-documents';
import { findPythonFiles } from '../workspace/find-files';
import { decoded, readFileBytes, readSourceFileAsync, type ReadOutcome } from '../workspace/read-source';
import { MIGRATION_WORD } from '../config/file-matcher';
import type { DecodedSource } from '../workspace/source-encoding';
import { APPLY_SPLIT_COMMAND, splitDocument } from './split-command';
import { WorkspaceLinter } from './workspace-linter';
import { MemoryRelease } from './memory-release';
import { endLongRun, tuneForLongRun } from '../v8-tuning';

/** The client's notification that the workspace became trusted (client/src/extension.ts sends it by this name). */
const WORKSPACE_TRUSTED = 'migrationGuard/workspaceTrusted';
/** git's files that move with a commit, a checkout or a `git add` (what release-history.ts reads depends on them). */
// What moves the release history: HEAD, the index, and the tags (a release tag groups what it first held).
const GIT_STATE_GLOBS = ['**/.git/HEAD', '**/.git/index', '**/.git/logs/HEAD', '**/.git/packed-refs', '**/.git/refs/tags/**'];
const GIT_STATE = /[\\/]\.git[\\/](?:HEAD|index|logs[\\/]HEAD|packed-refs|refs[\\/]tags[\\/].+)$/;

export interface ServerOptions {
  grammar: GrammarPaths;
  /** The grammar being compiled since start-up (compileGrammar); without it, `initialize` compiles it. */
  compiled?: Promise<CompiledGrammar>;
}

export const SERVER_NAME = 'django-migration-guard';

export function startServer(connection: Connection, options: ServerOptions): void {
  const service = new LintService();
  service.baselines.warn = (message) => connection.console.warn(message);
  let parser: PythonParser | undefined;
  /** Settles when the parser (and the open-documents store built on it) exists. */
  let parserReady: Promise<void> | undefined;
  let documents: OpenDocuments | undefined;
  let supportsConfiguration = false;
  let supportsProgress = false;
  let supportsWatchRegistration = false;
  let supportsFolderEvents = false;
  let supportsDocumentChanges = false;
  let scanGeneration = 0;
  /** The client says the workspace is trusted: only then is git asked which migrations shipped together. */
  let trusted = false;
  let releasesTimer: ReturnType<typeof setTimeout> | undefined;
  const refreshReleasesSoon = (): void => {
    if (releasesTimer) clearTimeout(releasesTimer);
    releasesTimer = setTimeout(() => {
      releasesTimer = undefined;
      void linter.refreshReleases(trusted).catch((e) => fail('reading the release history', e));
    }, 500);
  };

  const log = (message: string) => connection.console.log(message);
  const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
  // After documents close and the server is idle for a second, a grown heap is collected and compacted.
  const memory = new MemoryRelease(1000, () => scansRunning === 0, (r) =>
    log(`gave memory back after documents closed: heap ${mb(r.heapBefore)} → ${mb(r.heapAfter)}, RSS ${mb(r.rssBefore)} → ${mb(r.rssAfter)} (${Math.round(r.ms)} ms)`),
  );
  const fail = (what: string, e: unknown) => connection.console.error(`${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);

  connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
    const caps = params.capabilities;
    supportsConfiguration = !!caps.workspace?.configuration;
    supportsProgress = !!caps.window?.workDoneProgress;
    supportsWatchRegistration = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    supportsFolderEvents = !!caps.workspace?.workspaceFolders;
    supportsDocumentChanges = !!caps.workspace?.workspaceEdit?.documentChanges;
    const folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
    if (folders.length === 0 && params.rootUri) {
      const root = uriToPath(params.rootUri);
      if (root) folders.push(root);
    }
    service.setWorkspaceFolders(folders);
    const init = params.initializationOptions as { settings?: unknown; trusted?: unknown } | undefined;
    trusted = init?.trusted === true;
    if (init?.settings !== undefined) reportProblems(service.setEditorSettings('', init.settings));
    parserReady = (async () => {
      parser = await PythonParser.create(options.grammar, options.compiled ? await options.compiled : undefined);
      documents = new OpenDocuments(parser);
    })();
    await parserReady;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        executeCommandProvider: { commands: [APPLY_SPLIT_COMMAND] },
        hoverProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: SERVER_NAME, version: '0.1.0' },
    };
  });

  // The workspace became trusted while the server runs: git may be asked now.
  connection.onNotification(WORKSPACE_TRUSTED, () => {
    if (trusted) return;
    trusted = true;
    refreshReleasesSoon();
  });

  connection.onInitialized(() => {
    // Only legal once the client has said it sends these events.
    if (supportsFolderEvents) watchWorkspaceFolders();
    if (supportsConfiguration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: 'migrationGuard' }).catch((e) => fail('register configuration', e));
    }
    if (supportsWatchRegistration) {
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.py' }, { globPattern: '**/pyproject.toml' }, ...PIN_FILE_GLOBS.map((globPattern) => ({ globPattern })), ...GIT_STATE_GLOBS.map((globPattern) => ({ globPattern }))] })
        .catch((e) => fail('register file watchers', e));
    }
    // A client that sends `initialized` before the initialize result arrived must still get a
    // whole scan: it waits for the parser (files read without it would count as no migration).
    void (parserReady ?? Promise.resolve())
      .then(() => refreshSettings())
      .then(() => scanWorkspace())
      .catch((e) => fail('startup scan', e));
  });

  function reportProblems(problems: string[]): void {
    for (const p of problems) connection.console.warn(p);
  }

  async function refreshSettings(): Promise<void> {
    if (!supportsConfiguration) return;
    const folders = service.folders();
    const scopes = ['', ...folders];
    try {
      const values = await connection.workspace.getConfiguration(scopes.map((f) => (f ? { scopeUri: pathToFileURL(f).href, section: 'migrationGuard' } : { section: 'migrationGuard' })));
      service.clearEditorSettings();
      scopes.forEach((f, i) => reportProblems(service.setEditorSettings(f, values[i])));
    } catch (e) {
      fail('reading settings', e);
    }
  }

  const linter = new WorkspaceLinter({
    service,
    parser: () => parser,
    documents: () => documents,
    publish: (uri, findings, version) => void connection.sendDiagnostics({ uri, ...(version !== undefined ? { version } : {}), diagnostics: findings.map((f) => toDiagnostic(f, uri, version)) }),
    fail,
  });

  function lintOpen(doc: OpenDocument): void {
    linter.lintOpen(doc);
  }

  /**
   * A file's text as Python would decode it, or null when it is gone, unreadable, not a regular
   * file or larger than max-file-size (the last two are said in the output: they are skipped).
   */
  async function readDisk(file: string): Promise<DecodedSource | null> {
    return outcomeOf(file, await readSourceFileAsync(file, service.settingsFor(file).settings.maxFileSize));
  }

  /** What the scan reads files into (none is kept: each is decoded, or dropped, before the next). */
  const scanBuffer = Buffer.allocUnsafe(1 << 20);

  /**
   * The scan's reading and linting of one file, synchronously (async reads cost several times more
   * CPU). A file the settings leave out is not read; one that can only be a migration by its
   * content is not decoded when its bytes do not name `Migration` (most Python files of a
   * project). Returns whether it is a migration.
   */
  function scanFile(file: string): boolean {
    const kind = linter.scanKind(file);
    if (kind === 'skip') {
      linter.notMigration(file);
      return false;
    }
    const read = readFileBytes(file, service.settingsFor(file).settings.maxFileSize, scanBuffer);
    if (read.ok && kind === 'bytes' && !read.data.includes(MIGRATION_WORD)) {
      linter.notMigration(file);
      return false;
    }
    return linter.analyzeDisk(file, outcomeOf(file, decoded(read)), false);
  }

  function outcomeOf(file: string, read: ReadOutcome): DecodedSource | null {
    if (read.ok) return read.source;
    if (read.kind !== 'io') connection.console.warn(`${file}: ${read.reason}`);
    return null;
  }

  /** Lints a file from disk (not open in the editor). Returns whether it is a migration. */
  async function lintFromDisk(file: string): Promise<boolean> {
    return linter.analyzeDisk(file, await readDisk(file));
  }

  /** Python files from which a scan counts as a long run (a `check` of 200 files does; most of a scan's files are not migrations). */
  const LONG_SCAN_FILES = 500;
  /** Scans under way. */
  let scansRunning = 0;

  async function scanWorkspace(): Promise<void> {
    const generation = ++scanGeneration;
    const folders = service.folders();
    if (folders.length === 0) return;
    const started = Date.now();
    const progress = supportsProgress ? await connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    progress?.begin('Django Migration Guard', 0, 'Looking for migrations…', false);
    const cancelled = () => generation !== scanGeneration;
    const settings = service.scanning();
    let tuned = false;
    scansRunning++;
    try {
      const perFolder = await Promise.all(folders.map((f) => findPythonFiles(f, cancelled)));
      const files = [...new Set(perFolder.flat())];
      // A newer scan took over: this file list may be partial, so it must not decide anything.
      if (cancelled()) return;
      linter.resetProjects(new Map(folders.map((f, i) => [f, perFolder[i] ?? []])));
      // git's answer comes while the files are read; the findings wait for it (no flicker after).
      const releases = linter.refreshReleases(trusted, false).catch((e) => fail('reading the release history', e));
      // A scan of many files is a long burst: V8 tuned for it while it lasts (see v8-tuning.ts).
      if (files.length > LONG_SCAN_FILES) {
        tuneForLongRun();
        tuned = true;
      }
      // Synchronous reads (regular files only, never blocking on a FIFO: see read-source.ts), and
      // a turn of the event loop every few milliseconds so editor requests get through.
      let migrations = 0;
      let turn = performance.now();
      for (let i = 0; i < files.length; i++) {
        if (cancelled()) return;
        const file = files[i] as string;
        if (scanFile(file)) migrations++;
        if (performance.now() - turn > 10) {
          progress?.report(Math.round((100 * i) / files.length), `${i}/${files.length} files`);
          await new Promise((r) => setImmediate(r));
          turn = performance.now();
        }
      }
      if (cancelled()) return;
      await releases;
      if (cancelled()) return;
      // The whole project is read: findings that depend on it can be published now.
      for (const f of files) linter.publishDisk(f);
      for (const doc of documents?.all() ?? []) lintOpen(doc);
      const seen = new Set(files);
      // Files that had diagnostics and are gone from the workspace now.
      for (const uri of linter.publishedUris()) {
        const file = uriToPath(uri);
        if (file && !seen.has(file) && !documents?.get(uri)) linter.forgetPublished(uri);
      }
      log(`checked ${migrations} migrations in ${Date.now() - started} ms (${linter.publishedUris().length} with findings)`);
      for (const note of linter.viewNotes()) log(note);
      memory.settled();
    } finally {
      scansRunning--;
      if (tuned) endLongRun();
      settings.done();
      progress?.done();
    }
  }

  function relintOpen(): void {
    for (const doc of documents?.all() ?? []) lintOpen(doc);
  }

  connection.onDidOpenTextDocument(({ textDocument }) => {
    if (!documents) return;
    memory.busy();
    try {
      // From now on the editor's buffer speaks for this file, not the scan of the disk.
      linter.handOver(textDocument.uri);
      lintOpen(documents.open(textDocument.uri, textDocument.version, textDocument.text));
    } catch (e) {
      fail(`opening ${textDocument.uri}`, e);
    }
  });

  /** Documents changed and not linted yet, with the version each had at the last look. */
  const unlinted = new Map<string, number>();

  /**
   * Lints a changed document once the edits queued behind this one are applied, so a burst of
   * edits is linted once, at its newest version. The connection handles one queued message per
   * turn of the event loop: the lint waits until a whole turn passes without a newer version.
   */
  function lintWhenQuiet(uri: string, version: number): void {
    if (unlinted.has(uri)) return;
    unlinted.set(uri, version);
    const look = (): void => {
      const doc = documents?.get(uri);
      const seen = unlinted.get(uri);
      if (!doc || seen === undefined) {
        unlinted.delete(uri);
        return;
      }
      if (doc.document.version !== seen) {
        unlinted.set(uri, doc.document.version);
        setImmediate(look);
        return;
      }
      unlinted.delete(uri);
      try {
        lintOpen(doc);
      } catch (e) {
        fail(`linting ${uri}`, e);
      }
    };
    // Two turns: the first lets the connection take the next queued message, if there is one.
    setImmediate(() => setImmediate(look));
  }

  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    memory.busy();
    try {
      const doc = documents?.change(textDocument.uri, textDocument.version, contentChanges);
      if (doc) lintWhenQuiet(doc.uri, doc.document.version);
    } catch (e) {
      fail(`updating ${textDocument.uri}`, e);
    }
  });

  connection.onDidCloseTextDocument(({ textDocument }) => {
    try {
      documents?.close(textDocument.uri);
      linter.closed(textDocument.uri);
      memory.closed();
      void connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
      // A workspace migration goes back to what is on disk, so the Problems panel stays whole.
      const file = uriToPath(textDocument.uri);
      if (file && service.folderOf(file)) void lintFromDisk(file).catch((e) => fail(`re-reading ${file}`, e));
    } catch (e) {
      fail(`closing ${textDocument.uri}`, e);
    }
  });

  connection.onDidChangeConfiguration(() => {
    void refreshSettings()
      .then(() => {
        relintOpen();
        return scanWorkspace();
      })
      .catch((e) => fail('applying settings', e));
  });

  connection.onDidChangeWatchedFiles(({ changes }) => {
    let configChanged = false;
    const files: string[] = [];
    for (const change of changes) {
      const file = uriToPath(change.uri);
      if (!file) continue;
      // The settings, or a file the Django version is read from (config/django-pin.ts).
      // A commit, a checkout or a `git add`: which migrations are committed, and by which commit, may differ.
      if (GIT_STATE.test(file)) {
        if (trusted) refreshReleasesSoon();
        continue;
      }
      if (file.endsWith('pyproject.toml') || isPinFile(file)) configChanged = true;
      else if (file.endsWith('.py')) {
        if (change.type === FileChangeType.Deleted) linter.analyzeDisk(file, null);
        else files.push(file);
        // A migration created or deleted changes which files are not committed yet.
        if (change.type !== FileChangeType.Changed) refreshReleasesSoon();
        // A module migrations take RunPython code from: their findings are read again.
        linter.moduleChanged(file);
      }
    }
    if (configChanged) {
      service.clearProjectSettings();
      relintOpen();
      void scanWorkspace().catch((e) => fail('re-scanning after pyproject.toml change', e));
      return;
    }
    void (async () => {
      for (const f of files) if (service.folderOf(f)) await lintFromDisk(f);
    })().catch((e) => fail('re-reading changed files', e));
  });

  function watchWorkspaceFolders(): void {
    connection.workspace.onDidChangeWorkspaceFolders((event) => {
      const current = new Set(service.folders());
      for (const r of event.removed) {
        const p = uriToPath(r.uri);
        if (p) current.delete(p);
      }
      for (const a of event.added) {
        const p = uriToPath(a.uri);
        if (p) current.add(p);
      }
      service.setWorkspaceFolders([...current]);
      void refreshSettings().then(() => scanWorkspace()).catch((e) => fail('re-scanning workspace folders', e));
    });
  }

  const editContext: EditContext = {
    versionOf: (uri) => documents?.get(uri)?.document.version ?? null,
    get documentChanges() {
      return supportsDocumentChanges;
    },
  };

  /** Every safe fix of the whole document, as one edit (source.fixAll.migrationGuard). */
  function fixAll(uri: string): CodeAction | null {
    const doc = documents?.get(uri);
    if (!doc || !documents) return null;
    const file = uriToPath(uri);
    const text = doc.document.getText();
    const resolved = service.settingsFor(file);
    const tree = documents.treeOf(doc);
    if (!service.isMigration(file, text, () => tree, resolved)) return null;
    const groups = selectFixes(service.lint(tree, text, resolved), 'safe');
    if (groups.length === 0) return null;
    const { text: fixed } = applyFixEdits(text, groups);
    const end = doc.document.positionAt(text.length);
    const edit = versionedEdit(uri, doc.document.version, [{ range: { start: { line: 0, character: 0 }, end }, newText: fixed }], editContext);
    return edit ? { title: 'Django Migration Guard: apply all safe fixes', kind: FIX_ALL_KIND, edit } : null;
  }

  connection.onCodeAction((params) => {
    try {
      const actions: CodeAction[] = codeActions(params, editContext);
      if (wantsFixAll(params.context.only)) {
        const all = fixAll(params.textDocument.uri);
        if (all) actions.push(all);
      }
      return actions;
    } catch (e) {
      fail('code actions', e);
      return [];
    }
  });

  connection.onHover(({ textDocument, position }) => {
    try {
      const file = uriToPath(textDocument.uri);
      // The database and Django version the file's settings name (`database`, `postgresql-version`, `django-version`).
      const target: TargetDatabase = file ? targetOf(service.settingsFor(file).settings) : DEFAULT_TARGET_DATABASE;
      const found = linter.preview(file, target);
      return found ? hoverAt(found.summary, found.preview, position, target) : null;
    } catch (e) {
      fail(`hover in ${textDocument.uri}`, e);
      return null;
    }
  });

  connection.onExecuteCommand(async (params) => {
    const uri = params.arguments?.[0];
    if (params.command !== APPLY_SPLIT_COMMAND || typeof uri !== 'string' || !parser || !documents) return null;
    try {
      return await splitDocument(uri, { connection, parser, documents, service, linter });
    } catch (e) {
      fail(`splitting ${uri}`, e);
      void connection.window.showErrorMessage(`Split Migration failed: ${e instanceof Error ? e.message : String(e)}`);
      return { applied: false, message: String(e) };
    }
  });

  connection.onShutdown(() => {
    scanGeneration++;
    memory.dispose();
    linter.dispose();
    documents?.dispose();
    parser?.dispose();
  });

  connection.listen();
}

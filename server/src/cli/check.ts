/**
 * The `check` command: resolve settings, find the files, lint them (in-process, or on worker
 * threads for large runs), print the chosen format on stdout and problems on stderr, and decide
 * the exit status: 2 when a path or file could not be checked, else 1 when a finding reaches
 * --fail-on, else 0.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { discover } from './discover';
import { formatGithub } from './format-github';
import { formatJson } from './format-json';
import { formatSarif } from './format-sarif';
import { formatText } from './format-text';
import { applyBaselines, writeBaseline } from './baseline-run';
import { selectTasks } from './changed-since';
import { DEFAULT_CACHE_DIR, RunCache } from './run-cache';
import { releasesOf, type ReleaseNotes } from '../workspace/release-history';
import { ListingCache } from './listing-cache';
import { PyprojectCache } from '../config/pyproject';
import type { CheckOptions } from './options';
import { ConfigResolver } from './project-config';
import { fillFingerprints, lintProject, planProject, viewNotes } from './project-run';
import { lostStateNote } from '../workspace/project-layout';
import { POOL_THRESHOLD, startWorkersEarly } from './lint-all';
import { startedWorkers, type EarlyWorkers } from './worker-pool';
import { replay, RunRecorder, runKey } from './run-memo';
import { assumedDatabaseNote, findingsExitCode } from './report';
import type { FileReport, RunReport } from './types';
import { diffPath, unifiedDiff } from './unified-diff';
import { maxMigrationUpdates } from '../workspace/max-migration';
import { writeSourceFile } from '../workspace/write-source';

export interface CheckIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

function render(report: RunReport, options: CheckOptions): string {
  switch (options.format) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report);
    case 'github':
      return formatGithub(report);
    case 'text':
      return formatText(report, { quiet: options.quiet });
  }
}

/**
 * The run's cache, or null: --no-cache, fixes asked for (files are rewritten: read them all), or a
 * folder that cannot be made (said only when the user named it).
 */
function openCache(options: CheckOptions, resolver: ConfigResolver, cwd: string, warn: (message: string) => void): RunCache | null {
  if (options.noCache || resolver.configs.some((c) => c.fix !== 'none')) return null;
  const named = namedCacheDir(options);
  const dir = cacheFolder(options, resolver.resolved.find((r) => r.file !== null)?.file ?? null, cwd);
  const cache = RunCache.open(dir);
  if (!cache && named) warn(`cannot use the cache folder ${dir}; checking without a cache`);
  return cache;
}

/** The cache folder --cache-dir or MIGRATION_GUARD_CACHE_DIR names, or null. */
function namedCacheDir(options: CheckOptions): string | null {
  const named = options.cacheDir ?? process.env['MIGRATION_GUARD_CACHE_DIR'] ?? null;
  return named === '' ? null : named;
}

/** The cache folder: the one named, else beside the settings' pyproject.toml, else in the current directory. */
function cacheFolder(options: CheckOptions, configFile: string | null, cwd: string): string {
  const named = namedCacheDir(options);
  return named !== null ? resolve(cwd, named) : join(configFile ? dirname(configFile) : cwd, DEFAULT_CACHE_DIR);
}

/**
 * The folder listings an earlier run kept, for a run that will use the cache; null otherwise. The
 * cache folder is only known once the walk has found the settings, so it is guessed here from the
 * first path's nearest pyproject.toml (what the walk finds first in all but odd layouts); listings
 * are only written back when the guess was right (see check).
 */
function openListings(options: CheckOptions, cwd: string): { dir: string; listings: ListingCache } | null {
  const dir = guessedCacheDir(options, cwd);
  return dir === null ? null : { dir, listings: ListingCache.in(dir) };
}

/** The cache folder of a run that will use the cache, guessed before the walk (see openListings); null when it will not. */
function guessedCacheDir(options: CheckOptions, cwd: string): string | null {
  if (options.noCache || options.fix !== 'none' || options.paths.length === 0) return null;
  let configFile: string | null = options.config;
  if (configFile === null) {
    const first = resolve(cwd, options.paths[0] as string);
    let folder: boolean;
    try {
      folder = statSync(first).isDirectory();
    } catch {
      return null;
    }
    configFile = new PyprojectCache().find(folder ? first : dirname(first));
  }
  return cacheFolder(options, configFile, cwd);
}

/**
 * Whether this run will likely read its files with no cache to answer from: then the pool's
 * workers start as soon as discovery has found more files than the pool takes (see
 * startWorkersEarly), and are ready when the first files are read. A guess made before the walk:
 * more than one job, no --changed-since (it picks a few files after the walk), and the cache off or
 * its folder not made yet. A wrong guess costs a worker's start-up, on another core.
 */
function likelyColdRun(options: CheckOptions, cwd: string): boolean {
  if (options.jobs < 2 || options.changedSince !== null) return false;
  if (options.noCache || options.fix !== 'none') return true;
  const named = namedCacheDir(options);
  return !existsSync(named !== null ? resolve(cwd, named) : join(cwd, DEFAULT_CACHE_DIR));
}

/** The workers a run started early, if it did (ended when the run ends, unless a pool took them); the cache folder it used. */
interface EarlyStart {
  workers: EarlyWorkers | null;
  cacheDir: string | null;
}

let replayed = false;
/** Whether this process's `check` printed a remembered run (run-memo.ts) rather than checking. */
export const checkReplayed = (): boolean => replayed;

export async function runCheck(options: CheckOptions, io: CheckIo): Promise<number> {
  // A run the cache can answer may have been made before with the same files: then it is printed again.
  const dir = options.writeBaseline === null ? guessedCacheDir(options, io.cwd) : null;
  const key = dir === null ? '' : runKey(options, io.cwd);
  if (dir !== null) {
    const again = await replay(dir, key);
    if (again) {
      replayed = true;
      for (const p of again.printed) (p.stream === 0 ? io.stdout : io.stderr)(p.text);
      return again.code;
    }
  }
  const recorder = dir === null ? null : new RunRecorder(dir);
  const runIo: CheckIo = recorder
    ? {
        cwd: io.cwd,
        stdout: (text) => {
          recorder.printed.push({ stream: 0, text });
          io.stdout(text);
        },
        stderr: (text) => {
          recorder.printed.push({ stream: 1, text });
          io.stderr(text);
        },
      }
    : io;
  const early: EarlyStart = { workers: null, cacheDir: null };
  const workers = startedWorkers();
  let code: number;
  recorder?.start();
  try {
    code = await checkWith(options, runIo, early);
  } finally {
    recorder?.stop();
    early.workers?.release();
  }
  // Remembered only in the folder it was looked for in, and only by a run that read on this thread alone.
  if (recorder && dir !== null && early.cacheDir === dir) {
    if (startedWorkers() !== workers) recorder.refused ??= 'it started worker threads';
    recorder.save(dir, key, code);
  }
  return code;
}

/**
 * Of the folders of migrations outside any app's migrations package, those beside an app's own one
 * (`facility/migrations_old`): migrations retired there when the app was squashed or reset, which Django
 * never loads unless MIGRATION_MODULES names the folder (review 73: care's 451, whose 56 findings no
 * deploy meets). What to say of them, with the exclude glob that leaves them out ('' when there are none).
 */
function retiredFoldersNote(outside: readonly string[], cwd: string): string {
  const retired = [...new Set(outside.map(dirname))].filter((d) => basename(d) !== 'migrations' && existsSync(join(resolve(cwd, dirname(d)), 'migrations', '__init__.py')));
  const [first] = retired;
  if (first === undefined) return '';
  const one = retired.length === 1;
  const glob = one ? `${first.replace(/\\/g, '/')}/**` : `**/${basename(first)}/**`;
  return (
    ` ${one ? `${first} sits` : `${retired.length} of these folders (${first}, …) sit`} beside an app's own migrations package, which is what Django loads: ` +
    `if nothing loads ${one ? 'it' : 'them'} (migrations retired by a squash or a reset), leave ${one ? 'it' : 'them'} out with exclude = ["${glob}"] in [tool.migration-guard].`
  );
}

async function checkWith(options: CheckOptions, io: CheckIo, early: EarlyStart): Promise<number> {
  const warn = (message: string): void => {
    if (!options.quiet) io.stderr(`migration-guard: warning: ${message}\n`);
  };
  const error = (message: string): void => io.stderr(`migration-guard: error: ${message}\n`);
  const info = (message: string): void => {
    if (!options.quiet) io.stderr(`migration-guard: ${message}\n`);
  };

  const resolver = new ConfigResolver(
    options.config,
    { select: options.select, ignore: options.ignore, fix: options.fix, fingerprints: options.writeBaseline !== null || options.baseline !== null, ...(options.maxFileSize ? { maxFileSize: options.maxFileSize } : {}) },
    warn,
  );
  const startWorkers = (): void => {
    try {
      early.workers ??= startWorkersEarly(options.jobs);
    } catch {
      // No grammar or worker bundle beside the CLI: the run says so where it loads them.
    }
  };
  const known = openListings(options, io.cwd);
  const found = discover(options.paths, resolver, io.cwd, likelyColdRun(options, io.cwd) ? { at: POOL_THRESHOLD + 1, reached: startWorkers } : undefined, known?.listings);
  for (const w of found.warnings) warn(w);
  for (const e of found.errors) error(e);

  // Which of the discovered files to lint and report: all, or those --changed-since selects.
  const selection = await selectTasks(found.tasks, { changedSince: options.changedSince, cwd: io.cwd });
  if (!selection.ok) {
    error(selection.error);
    return 2;
  }
  if (selection.note) info(selection.note);
  const tasks = selection.tasks;
  // The project view needs every migration of the folders walked (linted or not), and the apps' labels.
  const project = planProject(found.python, tasks, resolver, found.roots);
  const all = [...tasks, ...project.extra];

  const cache = openCache(options, resolver, io.cwd, warn);
  early.cacheDir = cache?.dir ?? null;
  // Which migrations shipped together, from git (release-history.ts), unless the settings say not to.
  // Read beside the files (git is another process), awaited when the project step needs it.
  const releaseNotes: ReleaseNotes = { shallow: [], tagsBefore: new Map() };
  project.tagsBefore = releaseNotes.tagsBefore;
  if (resolver.resolved[0]?.settings.gitHistory !== false && process.env['MIGRATION_GUARD_GIT_HISTORY'] !== '0') {
    const base = options.changedSince ?? resolver.resolved[0]?.settings.releaseBase ?? null;
    project.releasesPending = releasesOf(project.candidates.files, cache?.dir ?? null, base, releaseNotes, resolver.resolved[0]?.settings.releaseTags !== false);
  }
  // Listings read before the walk go back only to the cache folder they were read from.
  const warm = cache && known && cache.dir === known.dir ? known : null;
  const authUserModel = resolver.resolved[0]?.settings.authUserModel ?? 'auth.User';
  let run: Awaited<ReturnType<typeof lintProject>>;
  try {
    run = await lintProject(project, all, resolver.configs, options.jobs, authUserModel, cache, early.workers);
  } catch (e) {
    // Only the parser's own setup can land here (per-file problems are results).
    error(`cannot start the Python parser: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  warm?.listings.save();
  const { outcome } = run;
  if (releaseNotes.shallow.length > 0) {
    info(
      `${releaseNotes.shallow.length === 1 ? 'the repository is a shallow clone' : `${releaseNotes.shallow.length} repositories are shallow clones`}: which migrations shipped together ` +
        `(one commit, one pull request) is known only for the commits fetched, so a table or column an earlier migration of the same release made may be judged as an old one. ` +
        `Fetch the whole history (actions/checkout: fetch-depth: 0) to have it judged as new, or set git-history = false to leave the history out.`,
    );
  }
  const namespaces = outcome.namespaceFolders;
  if (namespaces.length > 0) {
    const n = namespaces.length;
    info(
      `${n === 1 ? `${namespaces[0]} has` : `${n} migrations folders have`} no __init__.py${n > 1 ? ` (${namespaces[0]}, …)` : ''}: Django takes such a folder for a namespace package ` +
        `and its app for one without migrations, so \`migrate\` never runs ${n === 1 ? 'its migrations' : 'theirs'}. Add an empty __init__.py. ` +
        `Until then they are checked alone, without the migration graph and the model state.`,
    );
  }
  const outside = outcome.outsideApps.filter((p) => !namespaces.includes(dirname(p)));
  if (outside.length > 0) {
    const n = outside.length;
    info(
      `${n === 1 ? '1 migration is' : `${n} migrations are`} in no app's migrations folder (${outside[0]}${n > 1 ? ', …' : ''}): ` +
        `checked alone, without the migration graph and the model state, so the rules that need them say nothing there. ` +
        `If MIGRATION_MODULES puts an app's migrations in that folder, name it in [tool.migration-guard.migration-modules].` +
        retiredFoldersNote(outside, io.cwd),
    );
  }
  for (const note of viewNotes(outcome.ambiguousLabels, outcome.unlabelledApps)) info(note);
  for (const lost of outcome.lostStates ?? []) info(lostStateNote(lost.app, lost.path, lost.after, lost.why));
  const unloadable = outcome.unloadable;
  if (unloadable.length > 0) {
    const n = unloadable.length;
    info(
      `${n === 1 ? '1 file' : `${n} files`} in migrations folders ${n === 1 ? 'has a name' : 'have names'} Django's loader skips (${unloadable[0]}${n > 1 ? ', …' : ''}: ` +
        `a dot or a leading _ or ~ in the module name), so Django never runs ${n === 1 ? 'it' : 'them'}: checked alone, without the migration graph and the model state.`,
    );
  }
  const results = run.statuses.slice(0, tasks.length);

  const files: FileReport[] = [];
  let checked = 0;
  let failed = 0;
  let fixedProblems = 0;
  let fixedFiles = 0;
  const diffs: string[] = [];
  const order = tasks.map((_, i) => i).sort((a, b) => (tasks[a].path < tasks[b].path ? -1 : tasks[a].path > tasks[b].path ? 1 : 0));
  for (const i of order) {
    const task = tasks[i];
    const result = results[i];
    if (result.status === 'failed') {
      failed++;
      error(`${task.path}: ${result.error}`);
    } else if (result.status === 'skipped') {
      if (result.warning) warn(`${task.path}: ${result.warning}`);
    } else if (result.status === 'checked') {
      checked++;
      if (result.notFixed) warn(`${task.path}: ${result.notFixed}`);
      if (result.fixed) {
        fixedProblems += result.fixed.applied;
        fixedFiles++;
        if (options.diff) diffs.push(unifiedDiff(diffPath(io.cwd, task.file), result.fixed.original, result.fixed.text));
        else {
          try {
            // In the file's own encoding, and never through a link that leads out of the tree given.
            writeSourceFile(task.file, result.fixed.text, result.fixed.encoding, task.root ?? dirname(task.file));
          } catch (e) {
            failed++;
            error(`${task.path}: cannot write the fixed file (${e instanceof Error ? e.message : String(e)})`);
          }
        }
      }
      const findings = outcome.findings.get(i) ?? [];
      if (findings.length > 0) files.push({ path: task.path, file: task.file, findings });
    }
  }
  // Fixes that write new migrations (a merge migration): never over an existing file.
  const created: string[] = [];
  for (const c of outcome.creates) {
    const shown = relative(io.cwd, c.file) || c.file;
    fixedProblems++;
    fixedFiles++;
    if (options.diff) {
      diffs.push(unifiedDiff(diffPath(io.cwd, c.file), '', c.text));
      created.push(c.file);
    } else {
      try {
        writeFileSync(c.file, c.text, { flag: 'wx' });
        created.push(c.file);
      } catch (e) {
        failed++;
        error(`${shown}: not created (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  }

  // django-linear-migrations' max_migration.txt moved on to the newest migration the fixes wrote.
  for (const m of maxMigrationUpdates(created)) {
    const shown = relative(io.cwd, m.file) || m.file;
    fixedFiles++;
    if (options.diff) diffs.push(unifiedDiff(diffPath(io.cwd, m.file), m.original, m.text));
    else {
      try {
        writeFileSync(m.file, m.text);
      } catch (e) {
        failed++;
        error(`${shown}: not updated (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  }

  // Fixes made to another file than their finding's (a module migrations take RunPython code from).
  for (const m of outcome.modifies ?? []) {
    const shown = relative(io.cwd, m.file) || m.file;
    fixedProblems += m.applied;
    fixedFiles++;
    if (options.diff) diffs.push(unifiedDiff(diffPath(io.cwd, m.file), m.original, m.text));
    else {
      try {
        writeSourceFile(m.file, m.text, m.encoding, m.root);
      } catch (e) {
        failed++;
        error(`${shown}: cannot write the fixed file (${e instanceof Error ? e.message : String(e)})`);
      }
    }
  }

  // Adoption: record today's findings, or leave out the ones a baseline records (baseline-run.ts).
  // Findings of the project rules got no fingerprint on the workers: their files are read again.
  if (options.writeBaseline !== null || options.baseline !== null || resolver.configs.some((c) => c.baseline !== null)) await fillFingerprints(files, resolver.configs[0]?.maxFileSize);
  const baselineIo = { warn, error, info };
  if (options.writeBaseline !== null) {
    const written = writeBaseline({ target: options.writeBaseline, files, tasks, results, cwd: io.cwd, io: baselineIo });
    return failed > 0 || found.errors.length > 0 ? 2 : written;
  }
  const baseline = applyBaselines({ files, tasks, results, configs: resolver.configs, explicit: options.baseline, cwd: io.cwd, io: baselineIo });
  if (!baseline.ok) return 2;

  const report: RunReport = { files: files.filter((f) => f.findings.length > 0), checked, failed, cwd: io.cwd, hiddenByBaseline: baseline.hidden };
  const configOf = new Map(tasks.map((t) => [t.file, t.config]));
  const note = options.diff ? null : assumedDatabaseNote(report, (file) => {
    const c = configOf.get(file);
    const config = c === undefined ? undefined : resolver.configs[c];
    const resolved = c === undefined ? undefined : resolver.resolved[c];
    return config && resolved ? { target: config.target, databaseSet: resolved.databaseSet, ...(resolved.djangoFrom ? { djangoFrom: resolved.djangoFrom } : {}), ...(resolved.postgresqlFrom ? { postgresqlFrom: resolved.postgresqlFrom } : {}), ...(resolved.databaseFrom ? { databaseFrom: resolved.databaseFrom } : {}) } : undefined;
  }, io.cwd);
  if (note) info(note);
  if (options.diff) {
    // The diff is the output: findings would describe the text before the fixes.
    io.stdout(diffs.join(''));
    if (!options.quiet) io.stderr(`migration-guard: ${fixedProblems} ${fixedProblems === 1 ? 'fix' : 'fixes'} would change ${fixedFiles} ${fixedFiles === 1 ? 'file' : 'files'}\n`);
    if (failed > 0 || found.errors.length > 0) return 2;
    return fixedFiles > 0 ? 1 : 0;
  }
  io.stdout(render(report, options));
  if (options.fix !== 'none' && !options.quiet) {
    io.stderr(`migration-guard: fixed ${fixedProblems} ${fixedProblems === 1 ? 'problem' : 'problems'} in ${fixedFiles} ${fixedFiles === 1 ? 'file' : 'files'}\n`);
  }
  if (failed > 0) error(`${failed} ${failed === 1 ? 'file' : 'files'} could not be checked`);
  if (failed > 0 || found.errors.length > 0) return 2;
  return findingsExitCode(report, options.failOn);
}

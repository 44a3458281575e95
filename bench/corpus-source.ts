/**
 * What the bench measures on: the generated corpus (the default, what CI runs), or, with
 * `--corpus DIR`, real projects on disk. DIR is one project, or a folder whose immediate
 * sub-folders are projects; which one is decided as follows:
 *  - DIR/manifest.json (a list of {name, repo, commit}) lists the projects: a folder of projects;
 *  - DIR holding .git, manage.py, pyproject.toml, setup.cfg or setup.py is one project;
 *  - else DIR is a folder of projects when two or more of its sub-folders hold migrations.
 * A project's commit comes from the manifest (DIR's, or its parent's for a single project), else
 * from `git rev-parse HEAD` when the project is a git checkout, else it is "unknown".
 * Every real file is read once into memory, classified roughly (squashed, data, sql, initial,
 * schema) for the corpus summary and for picking files to open in the editor figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { CorpusFile, FileKind } from './corpus';
import { migrationFiles } from './migration-files';

export interface BenchProject {
  name: string;
  dir: string;
  repo: string | null;
  commit: string;
  /** Where `commit` comes from. */
  source: 'manifest' | 'git' | 'unknown' | 'generated';
  files: number;
}

export interface BenchFile extends CorpusFile {
  /** Absolute path. */
  path: string;
  /** Index into BenchCorpus.projects. */
  project: number;
}

export interface BenchCorpus {
  kind: 'generated' | 'real';
  /** DIR as given (absolute); `rel` of every file is relative to it. */
  root: string;
  /** How DIR was read, in a few words. */
  layout: string;
  projects: BenchProject[];
  files: BenchFile[];
}

interface ManifestEntry {
  name?: unknown;
  repo?: unknown;
  commit?: unknown;
}

function readManifest(file: string): Map<string, ManifestEntry> | null {
  if (!existsSync(file)) return null;
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const list = Array.isArray(data) ? data : (data as { projects?: unknown }).projects;
  if (!Array.isArray(list)) throw new Error(`${file}: expected a list of {name, repo, commit}`);
  const out = new Map<string, ManifestEntry>();
  for (const e of list as ManifestEntry[]) if (typeof e?.name === 'string') out.set(e.name, e);
  return out;
}

function gitHead(dir: string): string | null {
  if (!existsSync(join(dir, '.git'))) return null;
  const r = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const MARKERS = ['.git', 'manage.py', 'pyproject.toml', 'setup.cfg', 'setup.py'];
const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

function project(dir: string, manifest: Map<string, ManifestEntry> | null): Omit<BenchProject, 'files'> {
  const name = basename(dir);
  const entry = manifest?.get(name);
  if (entry && typeof entry.commit === 'string') return { name, dir, repo: typeof entry.repo === 'string' ? entry.repo : null, commit: entry.commit, source: 'manifest' };
  const head = gitHead(dir);
  if (head) return { name, dir, repo: null, commit: head, source: 'git' };
  return { name, dir, repo: null, commit: 'commit unknown', source: 'unknown' };
}

export function classify(text: string, name: string): FileKind {
  if (/^\s*replaces\s*=/m.test(text)) return 'squashed';
  if (/\bRunPython\s*\(/.test(text)) return 'data';
  if (/\bRunSQL\s*\(/.test(text)) return 'sql';
  if (/^\s*initial\s*=\s*True/m.test(text) || /^0001_/.test(name)) return 'initial';
  return 'schema';
}

const countLines = (t: string): number => t.split('\n').length - 1 + (t.endsWith('\n') ? 0 : 1);

/** Reads DIR as described above; throws with a reason when it holds no migration. */
export function loadCorpusDir(given: string): BenchCorpus {
  const root = resolve(given);
  if (!isDir(root)) throw new Error(`--corpus ${given}: not a folder`);
  const manifest = readManifest(join(root, 'manifest.json'));
  let dirs: string[];
  let layout: string;
  let parentManifest: Map<string, ManifestEntry> | null = null;
  if (manifest) {
    dirs = subfolders(root).filter((d) => manifest.has(basename(d)) || migrationFiles(d).length > 0);
    layout = `a folder of projects (manifest.json lists ${manifest.size})`;
  } else if (MARKERS.some((m) => existsSync(join(root, m)))) {
    dirs = [root];
    layout = 'one project';
    parentManifest = readManifest(join(dirname(root), 'manifest.json'));
  } else {
    const withMigrations = subfolders(root).filter((d) => migrationFiles(d).length > 0);
    dirs = withMigrations.length >= 2 ? withMigrations : [root];
    layout = withMigrations.length >= 2 ? 'a folder of projects (each sub-folder with migrations)' : 'one project';
    if (dirs.length === 1) parentManifest = readManifest(join(dirname(root), 'manifest.json'));
  }
  const projects: BenchProject[] = [];
  const files: BenchFile[] = [];
  for (const dir of dirs) {
    const paths = migrationFiles(dir).sort();
    if (paths.length === 0) continue;
    const index = projects.length;
    projects.push({ ...project(dir, manifest ?? parentManifest), files: paths.length });
    for (const path of paths) {
      const text = readFileSync(path, 'utf8');
      files.push({ path, project: index, rel: relative(root, path) || basename(path), kind: classify(text, basename(path)), text, lines: countLines(text) });
    }
  }
  if (files.length === 0) throw new Error(`--corpus ${given}: no migration files (.py directly inside a folder named migrations)`);
  return { kind: 'real', root, layout, projects, files };
}

/** The generated corpus in the same shape: one project, files already written under `project`. */
export function generatedAsBench(project: string, files: readonly CorpusFile[], seed: number): BenchCorpus {
  return {
    kind: 'generated',
    root: project,
    layout: `generated (seed ${seed})`,
    projects: [{ name: 'generated', dir: project, repo: null, commit: `seed ${seed}`, source: 'generated', files: files.length }],
    files: files.map((f) => ({ ...f, path: join(project, f.rel), project: 0 })),
  };
}

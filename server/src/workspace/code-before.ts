/**
 * Reads an app's models modules as the release before a migration's had them, from git: for a
 * migration first shipped by commit C, C's first parent (the branch as it was deployed before);
 * for one a release tag first held, each release tag a database may come from: the one behind it
 * along first parents and the one made just before it (release-tags.ts, TagHolds.before).
 * The app's whole package is read, but its migrations and tests (Django takes a model from any
 * module of the app: baserow's builder keeps its elements in `elements/models.py`), as text
 * (analysis/project/code-before.ts), never run. All the migrations a project view asks about are
 * read at once, through `git cat-file --batch`: a process per level of folders, not per migration,
 * and a folder or file unchanged between the commits asked about is read once. Nothing is said of
 * files not committed yet, of an app whose migrations are not in a `migrations` folder of it, of a
 * commit without a parent, or when git fails.
 */
import { basename, dirname, relative, sep } from 'node:path';
import { moduleBefore, type ModelsBefore, type ModuleBefore } from '../analysis/project/code-before';
import { gitSync } from './git-process';

const GIT_TIMEOUT_MS = 20_000;
/** `${top}:${release}` as releasesOf writes it: a commit, `tag:NAME` (tag names hold no colon) or `worktree`. */
const RELEASE = /^(.*):(tag:[^:]+|[0-9a-f]{40}|[0-9a-f]{64})$/;

interface Pair {
  key: string;
  rev: string;
  app: string;
}

export class CodeBeforeReader {
  private readonly byKey = new Map<string, ModelsBefore | null>();
  private readonly kept: Objects = { trees: new Map(), modules: new Map() };

  /** @param tagsBefore the release tags each release tag may follow, by repository (ReleaseNotes.tagsBefore); a tag not there is not known. */
  constructor(private readonly tagsBefore?: ReadonlyMap<string, Readonly<Record<string, readonly string[]>>>) {}

  /**
   * The app's package in each release before the one named (see the header), for each file: one, or
   * where releases are tagged, each release tag a database may come from. A file left out, or null
   * for one of its releases, is not known.
   */
  modelsBefore(asks: ReadonlyArray<{ file: string; release: string }>): Map<string, readonly ModelsBefore[] | null> {
    const wanted = new Map<string, string[]>();
    const pending = new Map<string, Map<string, Pair>>();
    for (const { file, release } of asks) {
      const m = RELEASE.exec(release);
      const folder = dirname(file);
      if (!m || basename(folder) !== 'migrations') continue;
      const top = m[1] as string;
      const app = relative(top, dirname(folder)).split(sep).join('/');
      const rel = m[2] as string;
      const revs = rel.startsWith('tag:') ? (this.tagsBefore?.get(top)?.[rel.slice(4)] ?? []).map((t) => `refs/tags/${t}^{commit}`) : [`${rel}^1`];
      if (app.startsWith('..') || revs.length === 0) continue;
      const keys = revs.map((rev) => {
        const key = `${top}\0${rev}\0${app}`;
        if (!this.byKey.has(key)) {
          let pairs = pending.get(top);
          if (!pairs) pending.set(top, (pairs = new Map()));
          pairs.set(key, { key, rev, app });
        }
        return key;
      });
      wanted.set(file, keys);
    }
    for (const [top, pairs] of pending) {
      const read = readModels(top, [...pairs.values()], this.kept);
      for (const p of pairs.values()) this.byKey.set(p.key, read.get(p.key) ?? null);
    }
    const out = new Map<string, readonly ModelsBefore[] | null>();
    for (const [file, keys] of wanted) {
      const each = keys.map((k) => this.byKey.get(k) ?? null);
      out.set(file, each.every((b): b is ModelsBefore => b !== null) ? each : null);
    }
    return out;
  }
}

/** One object of `git cat-file --batch`'s answer: its id, type and bytes, or null where git found none. */
type CatObject = { id: string; type: string; data: Buffer } | null;

/** Asks `git cat-file --batch` for each of `requests` (`rev:path`, or an object id), in one process. */
function catFile(top: string, requests: readonly string[]): CatObject[] | null {
  if (requests.length === 0) return [];
  const r = gitSync(top, ['cat-file', '--batch'], GIT_TIMEOUT_MS, { input: `${requests.join('\n')}\n`, binary: true });
  if (r.code !== 0) return null;
  const buf = Buffer.from(r.stdout, 'latin1');
  const out: CatObject[] = [];
  let at = 0;
  for (let i = 0; i < requests.length; i++) {
    const eol = buf.indexOf(10, at);
    if (eol < 0) return null;
    const header = buf.toString('utf8', at, eol);
    at = eol + 1;
    const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(header);
    if (!m) {
      // `… missing`, `… ambiguous`: nothing there.
      out.push(null);
      continue;
    }
    const size = Number(m[3]);
    out.push({ id: m[1] as string, type: m[2] as string, data: buf.subarray(at, at + size) });
    at += size + 1;
  }
  return out;
}

interface Entry {
  name: string;
  id: string;
  folder: boolean;
}

/** Folders whose code does not run in production: migrations (the state is read from them already), tests, hidden ones. */
const SKIPPED_FOLDER = /^(?:migrations|tests?|node_modules|\..*)$/;
const TEST_FILE = /^(?:tests?\.py|test_.*\.py|.*_tests?\.py|conftest\.py)$/;

/** A tree's entries: Python files and folders of the code that runs (see SKIPPED_FOLDER), with their object ids. */
function treeEntries(tree: Buffer): Entry[] {
  const out: Entry[] = [];
  let at = 0;
  while (at < tree.length) {
    const space = tree.indexOf(32, at);
    const nul = tree.indexOf(0, space);
    if (space < 0 || nul < 0) break;
    const mode = tree.toString('latin1', at, space);
    const name = tree.toString('utf8', space + 1, nul);
    // SHA-1 ids are 20 bytes; a SHA-256 repository's 32 are not read here.
    const id = tree.subarray(nul + 1, nul + 21).toString('hex');
    at = nul + 21;
    if (mode === '40000' && !SKIPPED_FOLDER.test(name)) out.push({ name, id, folder: true });
    else if (/^100[67][45][45]$/.test(mode) && name.endsWith('.py') && !TEST_FILE.test(name)) out.push({ name, id, folder: false });
  }
  return out;
}

/** A class whose bases name a Model (`models.Model`, `TimeStampedModel`): a package where models are defined. */
const MODEL_CLASS = /^class\s+\w+\s*\([^)]*Model\b/m;

/** More than this, and an app's package is not read (a folder that holds a whole project). */
const MAX_FILES = 3000;
const MAX_BYTES = 32 * 1024 * 1024;

/** What the reader keeps between the questions of a run: folders and modules by object id (most are the same at every commit asked about). */
interface Objects {
  trees: Map<string, Entry[]>;
  modules: Map<string, ModuleBefore>;
}

/** Each pair's package (its Python modules but its migrations), by its key. */
function readModels(top: string, pairs: readonly Pair[], kept: Objects): Map<string, ModelsBefore | null> {
  const out = new Map<string, ModelsBefore | null>();
  const roots = catFile(
    top,
    pairs.map((p) => (p.app === '' ? `${p.rev}^{tree}` : `${p.rev}:${p.app}`)),
  );
  if (!roots) return out;
  roots.forEach((o) => {
    if (o?.type === 'tree' && !kept.trees.has(o.id)) kept.trees.set(o.id, treeEntries(o.data));
  });
  // Every folder of every package, a level at a time.
  let level = roots.flatMap((o) => (o?.type === 'tree' ? [o.id] : []));
  for (let depth = 0; level.length > 0 && depth < 12; depth++) {
    const sub = [...new Set(level.flatMap((id) => (kept.trees.get(id) ?? []).filter((e) => e.folder).map((e) => e.id)))];
    const missing = sub.filter((id) => !kept.trees.has(id));
    const got = catFile(top, missing);
    if (!got) return out;
    got.forEach((o, i) => kept.trees.set(missing[i] as string, o?.type === 'tree' ? treeEntries(o.data) : []));
    level = sub;
  }
  // Each package's files.
  const filesOf = (root: string): string[] | null => {
    const files: string[] = [];
    const stack = [root];
    while (stack.length > 0) {
      for (const e of kept.trees.get(stack.pop() as string) ?? []) {
        if (e.folder) stack.push(e.id);
        else files.push(e.id);
      }
      if (files.length > MAX_FILES) return null;
    }
    return files;
  };
  const lists = roots.map((o) => (o?.type === 'tree' ? filesOf(o.id) : null));
  const missing = [...new Set(lists.flatMap((l) => l ?? []))].filter((id) => !kept.modules.has(id));
  const blobs = catFile(top, missing);
  if (!blobs) return out;
  blobs.forEach((o, i) => {
    if (o?.type === 'blob' && o.data.length <= MAX_BYTES) kept.modules.set(missing[i] as string, moduleBefore(o.data.toString('utf8')));
  });
  pairs.forEach((p, i) => {
    const list = lists[i];
    const modules = list ? list.flatMap((id) => (kept.modules.has(id) ? [kept.modules.get(id) as ModuleBefore] : [])) : [];
    const bytes = modules.reduce((n, m) => n + m.text.length, 0);
    // A package that defines no model class at all says nothing of where the app's models were (elsewhere, by `app_label`).
    const definesModels = modules.some((m) => MODEL_CLASS.test(m.text));
    out.set(p.key, list && modules.length === list.length && definesModels && bytes <= MAX_BYTES ? { modules } : null);
  });
  return out;
}

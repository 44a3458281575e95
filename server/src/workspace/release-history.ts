/**
 * Which migrations shipped together, from the project's git history: the files one commit added
 * (a squashed pull request, a reset of an app's migrations) reach every database in one `migrate`,
 * and so do the files not committed yet. To a later file of such a release, a table or column an
 * earlier one made is new: no code of the previous release knows it (review 64: 9 of 12 wrong
 * findings were of that kind). The files themselves cannot tell; git can.
 *
 * For each migration: the commit that first added its path to the branch (the oldest add: a file
 * reverted and added again first shipped with the first; a merge adds what the branch it merges
 * brought, since the branch is read along its first parents) — or, where a release tag after the
 * oldest first held the file, that tag's release (release-tags.ts) —, or `worktree` when git reports it
 * untracked or added in the index. Nothing is said of a file added by a commit without parents (a repository's first
 * commit; a shallow clone's boundary, which shows every file as added) or by the first commit that
 * added migrations at all (it may import a project deployed from elsewhere), or of any file when
 * HEAD has no commit, git is missing or fails. Renames are found explicitly: a file moved under the same
 * name keeps its first add, so a moved app does not count as a release of all its migrations; a file
 * renamed is a new migration to Django, added by the commit that renamed it.
 *
 * The history is read once per HEAD, and what the tags held once per set of tags: kept in memory for
 * the process and, with a cache folder, on disk; when HEAD moved forward from the HEAD kept (along its
 * first parents), only the new commits are read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { headFromFiles, rewritesFromFiles, SHA, tagsFromFiles } from './git-files';
import { git, gitToFile, realPath as real } from './git-process';
import { readTagHolds, tagRelease, type TagHolds } from './release-tags';

/** The mark for files not committed yet, or added by the branch `--changed-since` names (one release: they are migrated together). */
export const WORKTREE = 'worktree';

/** 10: release tags keep the tags each may follow (TagHolds.before). 7: a file renamed under a new name is an add (6: with what release tags first held, moves, and what sync merges brought; 2: merges read against their first parent; 1 read every commit of every branch). */
const FORMAT = 11;
const FILE = 'releases.json';
/** A git command that takes longer than this is given up (the findings then stay as they are without the history). */
const GIT_TIMEOUT_MS = 30_000;

interface Memo {
  format: number;
  top: string;
  /** The pathspecs asked about (sorted, joined by NUL). */
  spec: string;
  head: string;
  /** Path relative to top -> the commit that first added it; '' when unknown; SYNCED when a merge that only brought the branch up to date did. */
  adds: Record<string, string>;
  /** The tags' fingerprint when `holds` was read ('' when it was not). */
  tags: string;
  /** What rewrote the history when it was read (replace refs, grafts: rewritesFromFiles), '' for nothing. */
  rewrites: string;
  /** Path relative to top -> the path it was moved from under the same name (what a release tag held of it was there). */
  moves: Record<string, string>;
  /** What the release tags first held (release-tags.ts): it depends on the tags alone, kept while they are the same. */
  holds: TagHolds | null;
  /** Paths added again to a folder emptied of migrations (`adds` names the new add): what a tag held is its newest add's. */
  readded: Record<string, true>;
}

const inMemory = new Map<string, Memo>();

/** The nearest folder at or above `dir` holding a `.git` (folder or file), or null: no git is started outside one. */
function repositoryAbove(dir: string, memo: Map<string, string | null>): string | null {
  const seen: string[] = [];
  let found: string | null = null;
  for (let d = dir; ; ) {
    const known = memo.get(d);
    if (known !== undefined) {
      found = known;
      break;
    }
    seen.push(d);
    if (existsSync(join(d, '.git'))) {
      found = d;
      break;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of seen) memo.set(d, found);
  return found;
}

/** The last part of a git path (always `/`-separated). */
const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Reads `git log` output (-z, `%x01%H %P%x02%s`, --name-status of adds and renames), newest commit
 * first, into `adds`: each path's first adding commit, kept where `adds` has one already (an older
 * one); SYNCED for what a merge that only brought the branch up to date adds (syncMerge), and unknown
 * ('') for a squash or a first migration re-declaring a folder's old tables.
 * A file moved under the same name (an app's folder moved: wagtail's `wagtailcore/migrations` became
 * `wagtail/migrations`) keeps the commit that first added it where it was (unknown, '', when it comes
 * from a path never seen); one renamed is a migration of another name to Django, added by the commit
 * that renamed it.
 */
function readAdds(out: string, adds: Record<string, string>, moves: Record<string, string>): ReAdd[] {
  const again: ReAdd[] = [];
  const commits = out.split('\x01').filter((c) => c.length > 0);
  // The first commit that brings migrations into the repository starts the project or imports one
  // whose history is elsewhere (plane merged its backend's repository in; Label Studio's first public
  // release): which of its files shipped together before cannot be told.
  let first = Object.keys(adds).length === 0;
  // Folders that had migrations added by an earlier commit.
  const folderOf = (path: string): string => path.slice(0, path.lastIndexOf('/') + 1);
  const hadMigrations = new Set(Object.keys(adds).map(folderOf));
  for (let c = commits.length - 1; c >= 0; c--) {
    const chunk = commits[c] as string;
    const end = chunk.indexOf('\0');
    const header = (end < 0 ? chunk : chunk.slice(0, end)).trim();
    const mark = header.indexOf('\x02');
    const [sha, ...listed] = (mark < 0 ? header : header.slice(0, mark)).trim().split(' ');
    if (!sha) continue;
    const parents = listed.filter((p) => p.length > 0).length;
    // What a merge that only brought the branch up to date adds shipped elsewhere, over the other line's
    // commits: no release of its own here (SYNCED), though the release tags still tell which held it.
    const commit = parents === 0 || first ? '' : parents > 1 && syncMerge(mark < 0 ? '' : header.slice(mark + 1)) ? SYNCED : sha;
    first = false;
    const fields = end < 0 ? [] : chunk.slice(end + 1).split('\0').map((f) => f.replace(/^\n/, ''));
    const touched: string[] = [];
    // A squash (squashmigrations names it `0001_squashed_0038_…`) ships operations that ran long
    // before, with its `replaces` or without (review 66: baserow's `builder/0001_squashed_0038_initial`,
    // its `replaces` gone, came with `0002`–`0004` in one merge; their tables had shipped months before).
    // An app's migrations reset under the old names keep the paths' first adds; a first migration
    // added under a new name to a folder that had migrations before re-declares tables that shipped
    // before too (review 68: open-forms' `submissions/0001_initial_to_v330`, a squash made a plain
    // migration, came in the same release as `0010`, which adds a column to one of its old tables).
    const addedHere = (path: string): string => (SQUASHED.test(path) || (FIRST.test(path) && hadMigrations.has(folderOf(path))) ? '' : commit);
    for (let i = 0; i < fields.length; i++) {
      const status = fields[i] as string;
      if (status === 'A') {
        const path = fields[++i];
        // Added again (deleted before): a new app's file, if its folder was empty then (readdedToEmpty).
        if (path && path in adds && SHA.test(commit)) again.push({ path, commit });
        if (!path || path in adds) continue;
        adds[path] = addedHere(path);
        touched.push(path);
      } else if (status.startsWith('R')) {
        const from = fields[++i];
        const to = fields[++i];
        if (!from || !to || to in adds) continue;
        const sameName = fileName(from) === fileName(to);
        // Renamed, it is another migration to Django, first run where the new name first ships: as if added
        // here (review 73: care renumbered `0410_eventtype_…` to `0413_…` when it merged two lines, in the
        // release that had added it), under the same rules for squashes and an app's reset first migration.
        adds[to] = sameName ? (adds[from] ?? '') : addedHere(to);
        if (sameName) moves[to] = from;
        touched.push(to);
      }
    }
    for (const path of touched) hadMigrations.add(folderOf(path));
  }
  return again;
}

/** A path added again by a commit, after an earlier add. */
interface ReAdd {
  path: string;
  commit: string;
}

/**
 * Of the paths added again, those whose folder held no migration in the commit's first parent: the app's
 * migrations had been removed, and it was made anew (review 79: kitsune deleted `customercare`'s South-era
 * migrations in 2023 and added a new `0001_initial` in 2025, for new tables; review 77: bluebutton reset
 * `dot_ext`'s in 2016). Their release is the new add's. A folder reset in one commit (files rewritten or
 * deleted and added at once) never shows an add again, and keeps the oldest.
 */
async function readdedToEmpty(top: string, again: readonly ReAdd[], adds: Record<string, string>, readded: Record<string, true>): Promise<void> {
  const groups = new Map<string, ReAdd[]>();
  for (const a of again) {
    const key = `${a.commit}\0${a.path.slice(0, a.path.lastIndexOf('/') + 1)}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  await Promise.all(
    [...groups].map(async ([key, list]) => {
      const [commit, folder] = key.split('\0') as [string, string];
      const r = await git(top, ['ls-tree', '--name-only', '-z', `${commit}^`, '--', folder], GIT_TIMEOUT_MS);
      // Unreadable (a root commit, git failing): the oldest add stays.
      if (r.code !== 0 || r.stdout.split('\0').some((name) => MIGRATION_FILE.test(name))) return;
      for (const a of list) {
        adds[a.path] = a.commit;
        readded[a.path] = true;
      }
    }),
  );
}

/** A migration's file name as makemigrations writes it (`0001_initial.py`). */
const MIGRATION_FILE = /(?:^|\/)\d{4}_\w*\.py$/;

/**
 * The add of a file a merge that only brought the branch up to date brought (review 69: open-inwoner's
 * `Merge branch 'develop' of github.com:…` pulls): unknown as a release of the branch, but a release tag
 * may have held it (release-tags.ts). Never a commit's name.
 */
const SYNCED = '~';

/** The name squashmigrations gives a squash (`0001_squashed_0038_initial.py`). */
const SQUASHED = /\/\d+_squashed_[^/]*$/;
/** An app's first migration, as makemigrations numbers it. */
const FIRST = /\/0001_[^/]*$/;

function loadDisk(cacheDir: string | null, top: string, spec: string): Memo | null {
  if (!cacheDir) return null;
  try {
    const all = JSON.parse(readFileSync(join(cacheDir, FILE), 'utf8')) as Memo[];
    return all.find((m) => m.format === FORMAT && m.top === top && m.spec === spec) ?? null;
  } catch {
    return null;
  }
}

function saveDisk(cacheDir: string | null, memo: Memo): void {
  if (!cacheDir) return;
  const path = join(cacheDir, FILE);
  try {
    let all: Memo[] = [];
    try {
      all = (JSON.parse(readFileSync(path, 'utf8')) as Memo[]).filter((m) => m.format === FORMAT && !(m.top === memo.top && m.spec === memo.spec));
    } catch {
      // No file yet, or one that cannot be read: written anew.
    }
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify([memo, ...all.slice(0, 3)]));
    renameSync(tmp, path);
  } catch {
    // A folder that cannot be written: the next run reads the history again.
  }
}

/**
 * The history as the branch lived it: its first parents only, each merge read against its first
 * parent. A pull request merged with a merge commit (saleor's, Tandoor's workflow) then adds all its
 * migrations in that one commit, as it reached the branch — however many commits it had on its own.
 * (`-m` with `--first-parent` gives a merge's first-parent diff in every git, before 2.31's `--diff-merges` too.)
 */
const LOG = ['-c', 'log.showSignature=false', 'log', '-z', '--first-parent', '-m', '--diff-filter=AR', '--find-renames', '--name-status', '--no-decorate', '--format=%x01%H %P%x02%s'];

/** The branches work is merged into and released from (a merge of one of them into a topic branch is not a release). */
const MAINLINE = /^(?:main|master|develop|development|dev|trunk)$/;
const LONG_LIVED = /^(?:main|master|develop|development|dev|trunk|stable|production|prod|staging|release\b.*|v?\d[\w.-]*)$/;
/** git's own merge subject: `Merge [remote-tracking ]branch 'SOURCE'[ of URL][ into TARGET]` (GitLab quotes TARGET). */
const GIT_MERGE = /^Merge (?:remote-tracking )?branch '([^']+)'(?: of (\S+))?(?: into '?([^']+?)'?)?$/;

/**
 * Whether a merge on the branch's first-parent line only brought the branch up to date with work
 * released elsewhere — what it adds shipped over the other line's own commits, not at once: a
 * `git pull` that merged (`Merge branch 'main' of github.com:…`), a branch merged with its own
 * remote copy, or the main line merged into a topic branch that was later fast-forwarded (Tandoor's
 * `Merge branch 'develop' into url_import_recipes`). What such a merge adds is left unknown. A pull
 * request's merge, or a topic or release branch merged into a main line, is a release.
 */
export function syncMerge(subject: string): boolean {
  const m = GIT_MERGE.exec(subject.trim());
  if (!m) return false;
  if (m[2] !== undefined) return true;
  const source = (m[1] as string).replace(/^(?:remotes\/)?(?:origin|upstream)\//, '');
  const target = m[3];
  // Without `into`, git merged into the default branch (main or master).
  if (target === undefined) return source === 'main' || source === 'master';
  return source === target || (MAINLINE.test(source) && !LONG_LIVED.test(target));
}

/** Whether `kept` is on HEAD's first-parent chain (then the commits after it are all a later read needs). */
async function onFirstParentChain(top: string, kept: string): Promise<boolean> {
  const r = await git(top, ['log', '--first-parent', '--format=%P', `${kept}..HEAD`], GIT_TIMEOUT_MS);
  if (r.code !== 0) return false;
  const lines = r.stdout.trim().split('\n');
  // The oldest commit listed is the one whose first parent is `kept`, when the chain runs through it.
  return (lines[lines.length - 1] ?? '').split(' ')[0] === kept;
}

/** git log of the adds and renames in `range` (to a file: see gitToFile); null when git fails. */
async function logToFile(top: string, range: string, specs: readonly string[]): Promise<string | null> {
  const r = await gitToFile(top, [...LOG, range, '--', ...specs], GIT_TIMEOUT_MS);
  return r.code === 0 ? r.stdout : null;
}

/** The tags' fingerprint from git, where the repository's files could not give it. */
async function tagsByGit(top: string): Promise<string> {
  const r = await git(top, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/tags'], GIT_TIMEOUT_MS);
  // Unknown: an empty fingerprint, which no later run takes for its own, so the tags are read again.
  return r.code === 0 ? createHash('sha1').update(r.stdout).digest('hex') : '';
}

/**
 * Each asked path's first adding commit at HEAD: kept from before when HEAD has not moved, read on
 * from the kept HEAD when HEAD moved forward from it along its first parents, else read whole; and
 * what the release tags first held, read again when the tags moved (it does not depend on HEAD).
 * The git processes start at once (they do not wait for HEAD's name): this is called before the
 * migrations are read.
 */
async function historyOf(top: string, specs: readonly string[], headName: () => Promise<string | null>, cacheDir: string | null, byTag: boolean): Promise<Memo | null> {
  const spec = [...specs].sort().join('\0');
  const key = `${top}\0${spec}`;
  let kept = inMemory.get(key) ?? loadDisk(cacheDir, top, spec);
  // HEAD and the tags as the files name them, when they can be read at once: then nothing more starts when neither moved.
  const known = headFromFiles(top);
  const tagsNow = tagsFromFiles(top);
  // Replace refs and grafts change what `git log` shows under the same HEAD (review of the run memo: a
  // `git replace --graft` kept the old history): a history read under others is read again whole.
  const rewrites = rewritesFromFiles(top);
  if (kept && (rewrites === null || rewrites !== kept.rewrites)) kept = null;
  const moved = !kept || known === null || known !== kept.head;
  const onward = kept && moved ? logToFile(top, `${kept.head}..HEAD`, specs) : null;
  const descends = kept && moved ? onFirstParentChain(top, kept.head) : null;
  const whole = kept ? null : logToFile(top, 'HEAD', specs);
  // Without release tags (`release-tags = false`) none is read, and what is kept says so.
  const retag = byTag && (!kept?.holds || tagsNow === null || tagsNow !== kept.tags);
  const holdsRead = retag ? readTagHolds(top, specs, GIT_TIMEOUT_MS) : null;
  const tags = byTag ? (tagsNow ?? tagsByGit(top)) : Promise.resolve('');
  const head = known ?? (await headName());
  if (!head) return null;
  // What the tags held: kept while they are the same (it does not depend on HEAD), else read again.
  const holdsNow = async (): Promise<{ tags: string; holds: TagHolds | null }> => {
    if (!byTag) return { tags: '', holds: null };
    const t = await tags;
    if (kept?.holds && kept.tags !== '' && kept.tags === t) return { tags: t, holds: kept.holds };
    const holds = await (holdsRead ?? readTagHolds(top, specs, GIT_TIMEOUT_MS));
    // Not read (git failed): an empty fingerprint, so the next run reads them again.
    return { tags: holds ? t : '', holds };
  };
  let memo: Memo | null = null;
  if (kept && kept.head === head) {
    const now = await holdsNow();
    if (now.holds === kept.holds && now.tags === kept.tags) {
      inMemory.set(key, kept);
      return kept;
    }
    memo = { ...kept, ...now };
  }
  if (!memo && kept && onward && descends && (await descends)) {
    const out = await onward;
    if (out !== null) {
      const adds = { ...kept.adds };
      const moves = { ...kept.moves };
      const readded = { ...kept.readded };
      await readdedToEmpty(top, readAdds(out, adds, moves), adds, readded);
      memo = { format: FORMAT, top, spec, head, adds, moves, readded, rewrites: rewrites ?? '\0unknown', ...(await holdsNow()) };
    }
  }
  if (!memo) {
    const out = await (whole ?? logToFile(top, 'HEAD', specs));
    if (out === null) return null;
    const adds: Record<string, string> = {};
    const moves: Record<string, string> = {};
    const readded: Record<string, true> = {};
    await readdedToEmpty(top, readAdds(out, adds, moves), adds, readded);
    // Unreadable rewrites: kept as such, which no later run matches (null is never equal to what is kept).
    memo = { format: FORMAT, top, spec, head, adds, moves, readded, rewrites: rewrites ?? '\0unknown', ...(await holdsNow()) };
  }
  inMemory.set(key, memo);
  saveDisk(cacheDir, memo);
  return memo;
}

/** Paths (relative to top) git reports untracked, or added in the index, among the pathspecs. */
async function uncommitted(top: string, specs: readonly string[]): Promise<Set<string> | null> {
  const r = await git(top, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--find-renames', '--', ...specs], GIT_TIMEOUT_MS);
  if (r.code !== 0) return null;
  const out = new Set<string>();
  // Staged as deleted: HEAD holds the path. Reported untracked too, the index has lost it (a checkout
  // that failed half-way, an index deleted: every file of HEAD looks new), not the branch: no new migration.
  const inHead = new Set<string>();
  const parts = r.stdout.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i] as string;
    if (entry.length < 4) continue;
    const x = entry[0];
    const y = entry[1];
    const path = entry.slice(3);
    // A rename or copy is followed by the path it came from; staged under a new name, it is a new migration.
    if (x === 'R' || x === 'C' || y === 'R' || y === 'C') {
      const from = parts[++i] ?? '';
      if ((x === 'R' || x === 'C') && fileName(from) !== fileName(path)) out.add(path);
    }
    if ((x === '?' && y === '?') || x === 'A') out.add(path);
    if (x === 'D') inHead.add(path);
  }
  for (const path of inHead) out.delete(path);
  return out;
}

/**
 * Paths (relative to top) the branch adds since it left `since` (the merge base of `since` and
 * HEAD): committed on the branch, staged or changed in the work tree — what a pull request adds, which
 * is merged, and so deployed, at once however many commits it has. Null when git cannot tell.
 */
async function addedSince(top: string, since: string, specs: readonly string[]): Promise<Set<string> | null> {
  if (since.startsWith('-')) return null;
  const base = await git(top, ['merge-base', '--end-of-options', since, 'HEAD'], GIT_TIMEOUT_MS);
  const sha = base.stdout.trim();
  if (base.code !== 0 || !SHA.test(sha)) return null;
  const r = await git(top, ['diff', '-z', '--name-only', '--diff-filter=A', '--find-renames', '--no-ext-diff', '--no-textconv', sha, '--', ...specs], GIT_TIMEOUT_MS);
  return r.code === 0 ? new Set(r.stdout.split('\0').filter((n) => n.length > 0)) : null;
}

/** What the history could not tell for a whole repository, for a note to the user. */
export interface ReleaseNotes {
  /** Work trees of shallow clones (only the commits after the boundary are known). */
  shallow: string[];
  /** Per repository top: the release tags each release tag may follow (TagHolds.before), where releases are read by tag. */
  tagsBefore?: Map<string, Readonly<Record<string, readonly string[]>>>;
}

/**
 * The release each migration file first shipped in (a commit, or WORKTREE), for the files git can
 * tell; the others are left out. Files in several repositories are each asked about in theirs.
 * @param cacheDir where the history read is kept between runs (null: only for this process)
 * @param since with `check --changed-since REV`: the files the branch adds since REV, with those not
 *   committed yet, are one release (a pull request is merged at once)
 * @param byTag whether release tags group what each first held (`release-tags`, release-tags.ts)
 */
export async function releasesOf(files: readonly string[], cacheDir: string | null, since: string | null = null, notes?: ReleaseNotes, byTag = true): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const above = new Map<string, string | null>();
  // By repository: the files (as given, and relative to its top) and their folders.
  const repos = new Map<string, Array<{ file: string; rel: string }>>();
  // One real path per folder (a folder holds tens of migrations; resolving each file's cost a fifth of a warm run).
  const realDirs = new Map<string, string>();
  for (const file of files) {
    const given = dirname(file);
    let dir = realDirs.get(given);
    if (dir === undefined) realDirs.set(given, (dir = real(given)));
    const top = repositoryAbove(dir, above);
    if (!top) continue;
    let list = repos.get(top);
    if (!list) repos.set(top, (list = []));
    list.push({ file, rel: join(relative(top, dir), file.slice(dirname(file).length + 1)).split(sep).join('/') });
  }
  // Every repository's git processes start before the first wait (see historyOf).
  await Promise.all(
    [...repos].map(async ([top, list]) => {
      const headName = () =>
        git(top, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], GIT_TIMEOUT_MS).then((r) => {
          const sha = r.stdout.trim();
          return r.code === 0 && SHA.test(sha) ? sha : null;
        });
      // Every migrations folder of the repository, so that a folder moved from one place to another is
      // seen leaving as well as arriving (a move is an add where only its new place is asked about);
      // and the folders of the run not named so (MIGRATION_MODULES).
      const others = new Set(list.map((f) => f.rel.slice(0, f.rel.lastIndexOf('/') + 1)).filter((d) => !d.endsWith('migrations/')));
      const specs = [':(glob)**/migrations/*.py', ...[...others].map((d) => `:(glob)${d.replace(/[*?[\]\\]/g, '\\$&')}*.py`)];
      const shallow = notes ? git(top, ['rev-parse', '--is-shallow-repository'], GIT_TIMEOUT_MS) : null;
      const [history, fresh, branch] = await Promise.all([historyOf(top, specs, headName, cacheDir, byTag), uncommitted(top, specs), since ? addedSince(top, since, specs) : null]);
      if (notes && (await shallow)?.stdout.trim() === 'true') notes.shallow.push(top);
      if (!history || !fresh) return;
      if (notes?.tagsBefore && history.holds?.before) notes.tagsBefore.set(top, history.holds.before);
      for (const f of list) {
        if (fresh.has(f.rel) || branch?.has(f.rel)) {
          out.set(f.file, `${top}:${WORKTREE}`);
          continue;
        }
        const added = history.adds[f.rel];
        const release = (added && history.holds ? tagRelease(f.rel, added, history.moves, history.holds, history.readded[f.rel] === true) : null) ?? (added === SYNCED ? undefined : added);
        if (release) out.set(f.file, `${top}:${release}`);
      }
    }),
  );
  return out;
}

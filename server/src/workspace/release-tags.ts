/**
 * Releases by tag. A project that tags its releases ships, to every database that installs them, all
 * the migrations one release tag first held in a single `migrate`, however many commits and pull
 * requests brought them (review 67: caluma, open-forms and open-zaak, installed by others from their
 * tags; a table one pull request made and the next one changed, both first in `v3.0.0a1`, is new to
 * every database that migrates). A migration's release is the oldest release tag whose history holds a
 * commit that added it — on the branch, or on the line the tag was made on (plane tagged `-dev`
 * releases on `preview`; saleor tags its releases on `3.x` branches).
 *
 * That depends on the tags alone, not on HEAD: it is read once per set of tags (a commit, a checkout
 * or a pull reads nothing more). Not grouped (each stays one release per commit or merge, as the
 * history tells): what no release tag holds yet (which of it the next tag will hold is not known), and
 * what the oldest release tag first held — before its first release a project often deployed its main
 * line as it went (review 67: caluma's 2018 migrations converted live data). Only tags with a digit
 * count (`v3.0.0a1`, `2024.05`, `release-12`), not `latest` or `stable`, which move.
 */
import { gitToFile } from './git-process';
import { SHA } from './git-files';

/** A tag that names a version or a dated release has a digit. */
const RELEASE_TAG = /\d/;

/** What the release tags first held. */
export interface TagHolds {
  /** The release tags, oldest first (by the tag's date, then name). */
  names: string[];
  /** Path (relative to the repository's top) -> the index in `names` of the oldest tag whose history adds it. */
  first: Record<string, number>;
  /**
   * The releases a database may have had before it installed each release tag: the nearest release
   * tag behind it along first parents (saleor's 3.1.0-a.25 follows 3.1.0-a.24 on its line), and the
   * release tag made just before it (a project tagging several lines: djangocms' 3.4.x users upgrade
   * to 3.5.2 too; review 78). Empty for the oldest.
   */
  before?: Record<string, string[]>;
  /**
   * Path -> the index of the oldest tag holding its newest add, where that differs from `first`: a file
   * deleted and added again (an app's migrations removed, and the app made anew later) shipped again there.
   */
  latest?: Record<string, number>;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/** Each commit a tag reaches, marked with the oldest tag that holds it (tags taken oldest first: what an older one marked, it holds with all its history). */
function firstHolders(tags: readonly string[], parents: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const first = new Map<string, number>();
  tags.forEach((start, i) => {
    const stack = [start];
    while (stack.length > 0) {
      const c = stack.pop() as string;
      if (first.has(c)) continue;
      first.set(c, i);
      for (const p of parents.get(c) ?? []) if (!first.has(p)) stack.push(p);
    }
  });
  return first;
}

/**
 * The release tags of the repository at `top` and the oldest that holds each migration file (`specs`);
 * null when git cannot tell. A merge adds nothing of its own here: the commit on its other line that
 * added a file is what a tag holds (and whatever holds the merge holds that commit too). Renames are not
 * looked for (a third cheaper): a file moved into place counts as added there, and the release history
 * follows a folder moved under the same names back to where the file was (tagRelease).
 */
export async function readTagHolds(top: string, specs: readonly string[], timeoutMs: number): Promise<TagHolds | null> {
  // All three at once, each to a file: this runs while the CLI reads the migrations.
  const [refs, graph, adds] = await Promise.all([
    gitToFile(top, ['for-each-ref', '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)', 'refs/tags'], timeoutMs),
    gitToFile(top, ['log', '--format=%H %P', '--tags'], timeoutMs),
    gitToFile(top, ['-c', 'log.showSignature=false', 'log', '-z', '--diff-filter=A', '--no-renames', '--name-only', '--no-decorate', '--format=%x01%H', '--tags', '--', ...specs], timeoutMs),
  ]);
  if (refs.code !== 0 || graph.code !== 0 || adds.code !== 0) return null;
  const tags: Array<{ name: string; commit: string; date: number }> = [];
  for (const entry of lines(refs.stdout)) {
    const [name, object, peeled, date] = entry.split('\0');
    // An annotated tag names its tag object; the commit is what it peels to.
    const commit = peeled || object;
    if (name && RELEASE_TAG.test(name) && commit && SHA.test(commit)) tags.push({ name, commit, date: Number(date) || 0 });
  }
  tags.sort((a, b) => a.date - b.date || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parents = new Map<string, string[]>();
  for (const entry of lines(graph.stdout)) {
    const [c, ...ps] = entry.split(' ');
    if (c) parents.set(c, ps.filter((p) => p.length > 0));
  }
  const held = firstHolders(tags.map((t) => t.commit), parents);
  const first: Record<string, number> = {};
  // The newest add of a path is held by the latest tag of its adds (git's order ties commits of one second).
  const newest: Record<string, number> = {};
  for (const chunk of adds.stdout.split('\x01')) {
    const fields = chunk.split('\0').map((f) => f.replace(/^\n/, '')).filter((f) => f.length > 0);
    const at = held.get(fields[0]?.trim() ?? '');
    if (at === undefined) continue;
    for (const path of fields.slice(1)) {
      if (!(path in newest) || at > (newest[path] as number)) newest[path] = at;
      if (!(path in first) || at < (first[path] as number)) first[path] = at;
    }
  }
  const latest: Record<string, number> = {};
  for (const [path, at] of Object.entries(newest)) if (at !== first[path]) latest[path] = at;
  return { names: tags.map((t) => t.name), first, before: tagsBehind(tags, parents), ...(Object.keys(latest).length > 0 ? { latest } : {}) };
}

/**
 * For each tag, the nearest tag behind its commit along first parents (the line it was made on: a
 * maintenance tag merged in from another line is not what a release of this one follows; review
 * 77's check on saleor: v2018.03 follows v2018.02, not v2017.03.4), and the tag made just before it.
 */
function tagsBehind(tags: ReadonlyArray<{ name: string; commit: string }>, parents: ReadonlyMap<string, readonly string[]>): Record<string, string[]> {
  // Oldest first: a commit with several tags keeps its newest.
  const at = new Map<string, string>();
  for (const t of tags) at.set(t.commit, t.name);
  const out: Record<string, string[]> = {};
  tags.forEach((t, i) => {
    let found: string | null = null;
    const seen = new Set<string>([t.commit]);
    for (let c = parents.get(t.commit)?.[0]; c !== undefined && !seen.has(c); c = parents.get(c)?.[0]) {
      seen.add(c);
      const name = at.get(c);
      if (name !== undefined) {
        found = name;
        break;
      }
    }
    const byDate = i > 0 ? (tags[i - 1] as { name: string }).name : null;
    out[t.name] = [...new Set([found, byDate].filter((n): n is string => n !== null))];
  });
  return out;
}

/**
 * The release tag that first held `path`, whose first add to the branch was `commit` ('' where that is
 * not known: then none): `tag:` and the tag's name, where a release tag after the oldest first held it;
 * else null (its commit is its release). A path moved under the same name (`moves`: new -> old; plane
 * moved `apiserver/` to `apps/api/`) was held by a tag where it was then.
 */
export function tagRelease(path: string, commit: string, moves: Readonly<Record<string, string>>, holds: TagHolds, readded = false): string | null {
  if (commit === '') return null;
  // Added again after its folder was emptied (release-history.ts): the tag that held the new add.
  const again = readded ? holds.latest?.[path] : undefined;
  if (again !== undefined) return again > 0 ? `tag:${holds.names[again] as string}` : null;
  let oldest: number | undefined;
  const seen = new Set<string>();
  for (let p: string | undefined = path; p !== undefined && !seen.has(p); p = moves[p]) {
    seen.add(p);
    const i = holds.first[p];
    if (i !== undefined && (oldest === undefined || i < oldest)) oldest = i;
  }
  return oldest !== undefined && oldest > 0 ? `tag:${holds.names[oldest] as string}` : null;
}

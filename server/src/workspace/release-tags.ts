/**
 * Releases by tag. A project that tags its releases ships, to every database that installs them, all
 * the migrations one release tag first held in a single `migrate`, however many commits and pull
 * requests brought them (review 67: caluma, open-forms and open-zaak, installed by others from their
 * tags; a table one pull request made and the next one changed, both first in `v3.0.0a1`, is new to
 * every database that migrates). A migration's release is the oldest release tag whose history holds a
 * commit that added it — on the branch or on the line the tag was made on (plane tags `-dev` releases
 * on its `preview` branch before `master` gets them; saleor tags its releases on `3.x` branches).
 *
 * Not grouped (each stays one release per commit or merge, as the history tells): what no release tag
 * holds yet (which of it the next tag will hold is not known), and what the oldest release tag first
 * held — before its first release a project often deployed its main line as it went (review 67:
 * caluma's 2018 migrations converted live data). Only tags with a digit count (`v3.0.0a1`, `2024.05`,
 * `release-12`), not `latest` or `stable`, which move.
 */
import { gitToFile } from './git-process';
import { SHA } from './git-files';

/** A tag that names a version or a dated release has a digit. */
const RELEASE_TAG = /\d/;

/** The release tags and what each first held. */
export interface ReleaseTags {
  /** The release tags, oldest first (by the tag's date, then name). */
  names: string[];
  /** Each commit any release tag holds: the index in `names` of the oldest that does. */
  first: Map<string, number>;
  /** Paths (relative to the repository's top) -> the commits that added them, on any line HEAD or a tag reaches. */
  added: Map<string, string[]>;
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

/** `git log -z --name-only` of adds, each commit led by \x01 and its hash: path -> the commits that added it. */
function addsByPath(out: string): Map<string, string[]> {
  const added = new Map<string, string[]>();
  for (const chunk of out.split('\x01')) {
    const fields = chunk.split('\0').map((f) => f.replace(/^\n/, '')).filter((f) => f.length > 0);
    const sha = fields[0]?.trim();
    if (!sha || !SHA.test(sha)) continue;
    for (const path of fields.slice(1)) {
      const list = added.get(path);
      if (list) list.push(sha);
      else added.set(path, [sha]);
    }
  }
  return added;
}

/** The release tags of the repository at `top` and the migration files (`specs`) their histories add; null when git cannot tell. */
export async function readReleaseTags(top: string, specs: readonly string[], timeoutMs: number): Promise<ReleaseTags | null> {
  // All three at once, each to a file: this runs while the CLI reads the migrations.
  const [refs, graph, adds] = await Promise.all([
    gitToFile(top, ['for-each-ref', '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(creatordate:unix)', 'refs/tags'], timeoutMs),
    // Every commit a tag or HEAD reaches, with its parents.
    gitToFile(top, ['log', '--format=%H %P', 'HEAD', '--tags'], timeoutMs),
    // Where each migration was added, on every line (a merge shows none of its own: its second parent's line does).
    gitToFile(top, ['-c', 'log.showSignature=false', 'log', '-z', '--diff-filter=A', '--find-renames', '--name-only', '--no-decorate', '--format=%x01%H', 'HEAD', '--tags', '--', ...specs], timeoutMs),
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
  return { names: tags.map((t) => t.name), first: firstHolders(tags.map((t) => t.commit), parents), added: addsByPath(adds.stdout) };
}

/**
 * The release tag that first held each path of `adds` (path -> the commit that first added it to the
 * branch; '' where that is not known, left so): `tag:` and the tag's name, for a path some release
 * tag after the oldest first held; the others are left out (their commit is their release). A path
 * moved under the same name (`moves`: new -> old; plane moved `apiserver/` to `apps/api/`) was held
 * by a tag where it was then.
 */
export function tagReleases(adds: Readonly<Record<string, string>>, moves: Readonly<Record<string, string>>, tags: ReleaseTags): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, commit] of Object.entries(adds)) {
    if (commit === '') continue;
    let oldest: number | undefined = tags.first.get(commit);
    const seen = new Set<string>();
    for (let p: string | undefined = path; p !== undefined && !seen.has(p); p = moves[p]) {
      seen.add(p);
      for (const c of tags.added.get(p) ?? []) {
        const i = tags.first.get(c);
        if (i !== undefined && (oldest === undefined || i < oldest)) oldest = i;
      }
    }
    if (oldest !== undefined && oldest > 0) out[path] = `tag:${tags.names[oldest] as string}`;
  }
  return out;
}

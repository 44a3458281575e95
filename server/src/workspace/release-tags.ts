/**
 * Releases by tag. A project that tags its releases ships, to every database that installs them, all
 * the migrations one release tag brought in a single `migrate`, however many commits and pull requests
 * they came in (review 67: caluma, open-forms and open-zaak, installed by others from their tags; a
 * table one pull request made and the next one changed, both first in `v3.0.0a1`, is new to every
 * database that migrates). Along HEAD's first-parent line, a tag *cuts* the line at the newest commit
 * of the line it contains (the tag's commit itself, or the commit a release branch left the line at):
 * the commits after one cut, up to and including the next, are one release. A tag on another line
 * (saleor tags its releases on `3.x` branches) cuts the main line where its branch left it.
 *
 * Commits after the newest cut are not grouped: which of them the next tag will hold is not known yet
 * (and a project whose last tag is years old deploys otherwise); nor are those up to the first cut: a
 * project's main line before its first release tag was often deployed as it went (review 67: caluma's
 * 2018–2019 migrations, before `v1.0.0`, converted live data). Both stay one release per commit or
 * merge, as the history tells. Only tags with a digit count (`v3.0.0a1`, `2024.05`, `release-12`), not
 * `latest` or `stable`, which move.
 */
import { gitToFile } from './git-process';
import { SHA } from './git-files';

/** A tag that names a version or a dated release has a digit. */
const RELEASE_TAG = /\d/;

/** HEAD's first-parent line and the commits at which release tags cut it. */
export interface ReleaseLine {
  /** Position of each commit of the line, oldest first. */
  pos: Map<string, number>;
  /** The line, oldest first. */
  line: string[];
  /** Positions where a release tag cuts the line, ascending, without repeats. */
  cuts: number[];
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

/**
 * The newest commit of the line each of `starts` contains, by position (-1: none): a commit of the
 * line is its own; any other, the newest of its parents'. Walked without recursion (a release branch
 * may be thousands of commits long).
 */
function cutsOf(starts: readonly string[], pos: ReadonlyMap<string, number>, parents: ReadonlyMap<string, readonly string[]>): number[] {
  const known = new Map<string, number>();
  const out = new Set<number>();
  for (const start of starts) {
    const stack = [start];
    while (stack.length > 0) {
      const c = stack[stack.length - 1] as string;
      if (known.has(c)) {
        stack.pop();
        continue;
      }
      const own = pos.get(c);
      if (own !== undefined) {
        known.set(c, own);
        stack.pop();
        continue;
      }
      const ps = parents.get(c) ?? [];
      const pending = ps.filter((p) => !known.has(p));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      known.set(c, ps.reduce((m, p) => Math.max(m, known.get(p) as number), -1));
      stack.pop();
    }
    const at = known.get(start) as number;
    if (at >= 0) out.add(at);
  }
  return [...out].sort((a, b) => a - b);
}

/** HEAD's first-parent line and its release cuts; null when git cannot tell (then nothing is grouped by tag). */
export async function readReleaseLine(top: string, timeoutMs: number): Promise<ReleaseLine | null> {
  // All three at once, each to a file: this runs while the CLI reads the migrations.
  const [first, refs, graph] = await Promise.all([
    gitToFile(top, ['rev-list', '--first-parent', 'HEAD'], timeoutMs),
    gitToFile(top, ['for-each-ref', '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)', 'refs/tags'], timeoutMs),
    // Every commit a tag or HEAD reaches, with its parents: where each tag's history meets the line.
    gitToFile(top, ['log', '--format=%H %P', 'HEAD', '--tags'], timeoutMs),
  ]);
  if (first.code !== 0 || refs.code !== 0 || graph.code !== 0) return null;
  const line = lines(first.stdout).reverse();
  const pos = new Map(line.map((c, i) => [c, i]));
  const tagged = new Set<string>();
  for (const entry of lines(refs.stdout)) {
    const [name, object, peeled] = entry.split('\0');
    // An annotated tag names its tag object; the commit is what it peels to.
    const commit = peeled || object;
    if (name && RELEASE_TAG.test(name) && commit && SHA.test(commit)) tagged.add(commit);
  }
  if (tagged.size === 0) return { pos, line, cuts: [] };
  const parents = new Map<string, string[]>();
  for (const entry of lines(graph.stdout)) {
    const [c, ...ps] = entry.split(' ');
    if (c) parents.set(c, ps.filter((p) => p.length > 0));
  }
  return { pos, line, cuts: cutsOf([...tagged], pos, parents) };
}

/**
 * The release each of `commits` (commits of the line) first shipped in, by tag: `tag:` and the cut's
 * commit, for a commit after the first cut and at or before the newest; the others are left out (one
 * release each).
 */
export function tagReleases(commits: Iterable<string>, line: ReleaseLine): Record<string, string> {
  const out: Record<string, string> = {};
  const { cuts } = line;
  if (cuts.length === 0) return out;
  for (const c of commits) {
    const p = line.pos.get(c);
    // Before the first tag (and at it), how the project deployed is not known: it may have run its main line.
    if (p === undefined || p <= (cuts[0] as number) || p > (cuts[cuts.length - 1] as number)) continue;
    // The first cut at or after the commit: the release that first held it.
    let lo = 0;
    let hi = cuts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cuts[mid] as number) >= p) hi = mid;
      else lo = mid + 1;
    }
    out[c] = `tag:${line.line[cuts[lo] as number] as string}`;
  }
  return out;
}

/**
 * A process of its own for the discovery figure (cli-bench.ts): the CLI's `discover()` and
 * `planProject()` against a plain readdirSync walk of the same folders, warm, several rounds
 * each, interleaved. Run apart from the bench, whose heap holds the whole corpus: there a major
 * garbage collection could land in any round, which a `check` process — discovery is the first
 * thing it does — never pays for. Prints one JSON line: the per-round times and the counts.
 *
 * usage: node out/bench/discovery-probe.js ROUNDS DIR...
 */
import { discover } from '../server/src/cli/discover';
import { ConfigResolver } from '../server/src/cli/project-config';
import { planProject } from '../server/src/cli/project-run';
import { plainWalk } from './migration-files';
import { msSince } from './stats';

const [roundsArg, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsArg);
const cwd = process.cwd();
const out = { walk: [] as number[], discover: [] as number[], plan: [] as number[], entries: 0, tasks: 0, extra: 0 };
for (let r = -1; r < rounds; r++) {
  let t0 = process.hrtime.bigint();
  out.entries = dirs.reduce((s, d) => s + plainWalk(d), 0);
  const w = msSince(t0);
  t0 = process.hrtime.bigint();
  // A fresh resolver per round: a new process starts with no pyproject.toml read.
  const resolver = new ConfigResolver(null, { select: null, ignore: [] }, () => undefined);
  const found = discover(dirs, resolver, cwd);
  const d = msSince(t0);
  t0 = process.hrtime.bigint();
  const p = planProject(found.python, found.tasks, resolver, found.roots);
  const pl = msSince(t0);
  out.tasks = found.tasks.length;
  out.extra = p.extra.length;
  if (r < 0) continue;
  out.walk.push(w);
  out.discover.push(d);
  out.plan.push(pl);
}
process.stdout.write(`${JSON.stringify(out)}\n`);

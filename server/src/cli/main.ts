/**
 * The `migration-guard` command (bundled as dist/cli.js): parses the command line, runs the
 * command, and sets the exit status. Usage errors exit with 2 and a message on stderr.
 */
import { codeCacheReady } from '../code-cache';
import { checkReplayed, runCheck } from './check';
import { runGraph } from './graph';
import { runExplain } from './explain';
import { runSplit } from './split';
import { parseCommandLine, UsageError, type Command } from './options';
import { formatRules } from './rules-command';
import { CHECK_USAGE, EXPLAIN_USAGE, GRAPH_USAGE, MAIN_USAGE, RULES_USAGE, SPLIT_USAGE } from './usage';
import { VERSION } from './version';

const stdout = (text: string): void => void process.stdout.write(text);
const stderr = (text: string): void => void process.stderr.write(text);

/** The command this process runs, once its command line is read. */
let ran: Command['kind'] | null = null;

async function run(argv: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
    ran = command.kind;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    stderr(`migration-guard: error: ${e.message}\nRun 'migration-guard --help' for usage.\n`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      stdout({ check: CHECK_USAGE, split: SPLIT_USAGE, rules: RULES_USAGE, graph: GRAPH_USAGE, explain: EXPLAIN_USAGE, main: MAIN_USAGE }[command.topic]);
      return 0;
    case 'version':
      stdout(`migration-guard ${VERSION}\n`);
      return 0;
    case 'check':
      try {
        return await runCheck(command.options, { cwd: process.cwd(), stdout, stderr });
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        stderr(`migration-guard: error: ${e.message}\n`);
        return 2;
      }
    case 'split':
      return runSplit(command.options, { cwd: process.cwd(), stdout, stderr });
    case 'rules':
      stdout(formatRules(command.format));
      return 0;
    case 'graph':
      return runGraph(command.options, { cwd: process.cwd(), stdout, stderr });
    case 'explain':
      return runExplain(command.options, { cwd: process.cwd(), stdout, stderr });
  }
}

/** The commands whose runs compile what most runs need: a code cache written after one of them serves the next. */
const READS_MIGRATIONS = new Set<Command['kind']>(['check', 'split', 'graph', 'explain']);

run(process.argv.slice(2)).then(
  (code) => {
    // Let stdout drain instead of calling process.exit(), which can cut a large report short.
    process.exitCode = code;
    // Not after --help or a usage error: a cache is written once, and one made by such a run
    // would hold little of what checking needs (dist/cli.js runs this bundle through it); nor after a
    // check that printed a remembered run (it compiled little).
    if (code < 2 && ran !== null && READS_MIGRATIONS.has(ran) && !checkReplayed()) codeCacheReady();
  },
  (e: unknown) => {
    stderr(`migration-guard: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);

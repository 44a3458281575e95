/** The help texts `migration-guard --help` and `migration-guard check --help` print. */
import { RULE_IDS } from '../analysis/rules';

export const MAIN_USAGE = `migration-guard: finds Django migrations that lock production tables, without Django or a database.

Usage:
  migration-guard check [options] [paths...]
  migration-guard split [--dry-run] [--root <dir>] <migration.py>
  migration-guard graph [--plan] [--format text|json] [paths...]
  migration-guard explain [--format text|json] [--database <db>] <migration.py>
  migration-guard rules [--format text|json]
  migration-guard --help | --version

Commands:
  check     Lint migration files under the given paths (default: the current directory).
  split     Split a migration that mixes data and schema operations into several migrations.
  graph     Show the migration graph of the given folders as Django would load it (showmigrations,
            without Django): apps, migrations in order, leaves, conflicts, missing dependencies.
  explain   Show, per operation of one migration, the SQL Django would run (as sqlmigrate prints
            it for PostgreSQL), the lock each statement takes, what it blocks, whether it rewrites
            or scans the table, and whether it runs inside the migration's transaction.
  rules     List every rule: its default severity, what it flags and its documentation.

Run 'migration-guard <command> --help' for its options.
`;

export const CHECK_USAGE = `Usage: migration-guard check [options] [paths...]

Lints the migration files under each path (default: .). Folders are searched for files matching the
include globs of the nearest pyproject.toml's [tool.migration-guard] table (default
**/migrations/*.py), minus its exclude globs, plus Python files that define a Migration class when
detect-by-content is on. A .py file named on the command line is always linted.

Options:
  --format <text|json|sarif|github>   Output format (default: text).
  --fail-on <error|warning|never>     Exit 1 when a finding has this severity or a worse one
                                      (default: warning).
  --config <file>                     Read settings from this pyproject.toml instead of the nearest
                                      one; globs are relative to its folder.
  --select <rule,...>                 Check only these rules.
  --ignore <rule,...>                 Do not check these rules.
  --fix                               Apply the fixes that cannot change what a migration does,
                                      then report what remains.
  --unsafe-fixes                      With --fix or --diff: the preferred fix of every finding
                                      (batching rewrites, reverse functions, atomic = False, ...),
                                      not only the safe ones. Alone it is an error (nothing written).
  --diff                              Print the changes the fixes would make as a unified diff
                                      instead of writing them (exit 1 if there are any).
  --max-file-size <bytes>             Skip larger files with a warning (default: max-file-size in
                                      pyproject.toml, else 8388608). Pipes, devices and other
                                      non-regular files are always skipped with a warning.
  --baseline <file>                   Report only findings the baseline file does not record
                                      (default: baseline in pyproject.toml, if set).
  --write-baseline <file>             Record every current finding in the file (entries of files
                                      not checked this run are kept) and list the entries that
                                      no longer match; prints no findings, exits 0.
  --changed-since <rev>               Report only migrations added or changed since the git
                                      revision (committed, staged, unstaged or untracked).
  --no-cache                          Read and analyze every file; reuse and write no cache.
  --cache-dir <dir>                   Where to keep the cache of unchanged files' results
                                      (default: $MIGRATION_GUARD_CACHE_DIR, else
                                      .migration-guard-cache beside pyproject.toml, else in the
                                      current directory). Never used with --fix.
  -j, --jobs <n>                      Worker threads for large runs (default: available cores).
  -q, --quiet                         Print findings only: no summary, no warnings.
  -h, --help                          Show this help.
  -V, --version                       Show the version.

Rules: ${RULE_IDS.join(', ')}.

Exit status: 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage error, or a
path or file that could not be read or checked.
`;

export const SPLIT_USAGE = `Usage: migration-guard split [--dry-run] [--root <dir>] <migration.py>

Splits one migration into consecutive runs of the same kind of operation (schema, data, or work
that must run outside a transaction), in the original order. The first part keeps the file name;
later parts take the app's next free numbers. Each part depends on the previous one, carries only
the imports and helpers it uses, and gets atomic = False when it batches or uses CONCURRENTLY.
Every migration under the root whose dependencies name the original is rewritten to depend on
the last part.

Nothing is written when the file does not parse, its operations are not a literal list, it has
only one kind of operation, it is a squashed migration (replaces), or a new file would overwrite
an existing one.

Options:
  --dry-run        Print what would be created and changed, write nothing.
  --root <dir>     Where to look for dependent migrations (default: the current directory when
                   the file is inside it, else the nearest folder with manage.py or pyproject.toml).
  -h, --help       Show this help.

Exit status: 0 split (or planned, with --dry-run); 2 refused, or a usage or I/O error.
`;

export const RULES_USAGE = `Usage: migration-guard rules [--format text|json]

Lists every rule with its default severity, a one-line summary and the link to its documentation.
The rule id is what --select, --ignore, [tool.migration-guard.rules] and suppression comments use.

Options:
  --format <text|json>   text (default), or a JSON array of {id, defaultSeverity,
                         enabledByDefault, summary, docs}.
  -h, --help             Show this help.
`;

export const GRAPH_USAGE = `Usage: migration-guard graph [--plan] [--format text|json] [paths...]

Reads the migrations under each path (default: .) as Django's loader would — app labels from
apps.py, [tool.migration-guard] migration-modules and auth-user-model, squashed migrations standing
in for the ones they replace — and prints, per app, its migrations in the order migrate applies
them, marking leaves and squashed migrations; then what Django would refuse: conflicting leaves,
dependencies on migrations that do not exist, cycles. Nothing is imported or run.

Options:
  --plan                 Print the whole plan (every migration, in the order migrate applies them).
  --format <text|json>   text (default), or one JSON object: {apps, plan, unknownDependencies, cycles}.
  -j, --jobs <n>         Worker threads for large projects (default: available cores).
  -h, --help             Show this help.

Exit status: 0 Django would load the graph; 1 it would refuse it (conflict, missing dependency,
cycle); 2 usage or I/O error.
`;

export const EXPLAIN_USAGE = `Usage: migration-guard explain [options] <migration.py>

Prints, for each operation of the migration, the SQL Django would run on PostgreSQL (what
manage.py sqlmigrate prints, index and constraint names included), the lock each statement takes
(e.g. ACCESS EXCLUSIVE, SHARE, SHARE UPDATE EXCLUSIVE), what it blocks (reads, writes), whether it
rewrites or scans the table, and whether it runs inside the migration's transaction. The state of
the models before the migration is read from the surrounding project's migrations, without Django
and without a database; what cannot be known statically is shown as "cannot preview: <why>".

Options:
  --format <text|json>            Output format (default: text).
  --root <dir>                    The project to read the other migrations from (default: the
                                  current directory when the file is inside it, else the nearest
                                  folder with manage.py or pyproject.toml).
  --database <postgresql|mysql|sqlite>
                                  The database you deploy to (default: the project's
                                  [tool.migration-guard] database, else postgresql). The SQL
                                  preview is written for PostgreSQL; for the others only RunSQL's
                                  own SQL is shown.
  --postgresql-version <major>    Decides version-dependent facts, e.g. ADD COLUMN with a default
                                  rewrites the table before 11 (default: the project's
                                  postgresql-version, else 14).
  --django-version <x.y>          Decides version-dependent SQL, e.g. identity columns from 4.1
                                  (default: the project's django-version, else 4.2).
  -h, --help                      Show this help.

Exit status: 0 when the migration was explained, 2 on a usage error or when the file is not a
migration or does not parse.
`;

#!/usr/bin/env bash
# The check step of action.yml: writes the SARIF log, then prints the findings as GitHub workflow
# commands (annotations on the pull request) and exits with the check's status. Inputs arrive as
# environment variables (INPUT_*), never spliced into the script, so no input can run as code.
set -uo pipefail

cli=${MIGRATION_GUARD_CLI:?MIGRATION_GUARD_CLI must name dist/cli.js}
read -r -a paths <<< "$(printf '%s' "${INPUT_PATHS:-.}" | tr '\n' ' ')"
[ ${#paths[@]} -gt 0 ] || paths=(.)
args=(--fail-on "${INPUT_FAIL_ON:-warning}")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_CHANGED_SINCE:-}" ] && args+=(--changed-since "$INPUT_CHANGED_SINCE")
sarif=${INPUT_SARIF_FILE:-migration-guard.sarif}

# SARIF first: it is uploaded even when the check fails. Exit status 2 (a usage or I/O error) stops here.
node "$cli" check --format sarif --quiet "${args[@]}" -- "${paths[@]}" > "$sarif"
status=$?
if [ "$status" -ge 2 ]; then
  echo "::error title=migration-guard::the check could not run (exit status $status); see the log above"
  exit "$status"
fi
[ -n "${GITHUB_OUTPUT:-}" ] && echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"
node "$cli" check --format github "${args[@]}" -- "${paths[@]}"

/**
 * Whether a truth test may be skipped for want of a tool (Django, psycopg2, PostgreSQL), or null.
 * Never under CI=true: `.ci/run` installs all of them, so there a missing install step makes the
 * test run and fail instead of passing as skipped.
 */
export function skipReason(missing: string | null): string | null {
  return missing !== null && process.env.CI !== 'true' ? missing : null;
}

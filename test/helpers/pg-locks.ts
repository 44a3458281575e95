/** PostgreSQL's lock modes as pg_locks names them, and their order of strength (weakest first). */
import type { LockMode } from '../../server/src/analysis/locks/lock-table';

export const PG_MODES: Record<string, LockMode> = {
  AccessShareLock: 'ACCESS SHARE',
  RowShareLock: 'ROW SHARE',
  RowExclusiveLock: 'ROW EXCLUSIVE',
  ShareUpdateExclusiveLock: 'SHARE UPDATE EXCLUSIVE',
  ShareLock: 'SHARE',
  ShareRowExclusiveLock: 'SHARE ROW EXCLUSIVE',
  ExclusiveLock: 'EXCLUSIVE',
  AccessExclusiveLock: 'ACCESS EXCLUSIVE',
};

const STRENGTH: readonly string[] = Object.values(PG_MODES);

/** The strongest of some lock modes (pg_locks names or the lock table's), in the lock table's words. */
export function strongestMode(modes: readonly string[]): string | undefined {
  return modes.map((m) => PG_MODES[m] ?? m).sort((a, b) => STRENGTH.indexOf(b) - STRENGTH.indexOf(a))[0];
}

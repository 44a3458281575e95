/** A private code-cache folder for a test file (MIGRATION_GUARD_CODE_CACHE_DIR), put back after it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A temporary folder, removed after the tests; its `cache` subfolder is the code cache meanwhile. */
export function codeCacheSandbox(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const saved = process.env['MIGRATION_GUARD_CODE_CACHE_DIR'];
  process.env['MIGRATION_GUARD_CODE_CACHE_DIR'] = join(dir, 'cache');
  after(() => {
    if (saved === undefined) delete process.env['MIGRATION_GUARD_CODE_CACHE_DIR'];
    else process.env['MIGRATION_GUARD_CODE_CACHE_DIR'] = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

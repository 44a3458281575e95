/**
 * django-linear-migrations keeps, in each app's migrations folder, a `max_migration.txt` naming the
 * app's latest migration; its system check (dlm.E001–E004) stops `manage.py` when the file does not
 * name the leaf. A fix that writes new migrations into such a folder must move the file on to the
 * newest of them, or `migrate` refuses to run (review 44: OpenCiviWiki's drop-column steps).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const MAX_MIGRATION_FILE = 'max_migration.txt';

/** The number a migration's name starts with (`0010` of `0010_remove_x`), or null. */
function numberOf(name: string): number | null {
  const m = /^(\d+)_/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * For the new migration files `created` (absolute paths), each folder's max_migration.txt moved on
 * to the newest of them: its path, its text now and the text it gets. Nothing for a folder without
 * the file, or whose file already names a migration numbered as high.
 */
export function maxMigrationUpdates(created: readonly string[]): Array<{ file: string; original: string; text: string }> {
  const byDir = new Map<string, string[]>();
  for (const file of created) {
    if (!file.endsWith('.py')) continue;
    const name = basename(file, '.py');
    if (numberOf(name) === null) continue;
    const list = byDir.get(dirname(file)) ?? [];
    list.push(name);
    byDir.set(dirname(file), list);
  }
  const out: Array<{ file: string; original: string; text: string }> = [];
  for (const [dir, names] of byDir) {
    const file = join(dir, MAX_MIGRATION_FILE);
    let original: string;
    try {
      original = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const newest = [...names].sort((a, b) => (numberOf(a) as number) - (numberOf(b) as number) || (a < b ? -1 : a > b ? 1 : 0)).pop() as string;
    const current = original.split('\n')[0]?.trim() ?? '';
    const at = numberOf(current);
    if (at !== null && at >= (numberOf(newest) as number)) continue;
    out.push({ file, original, text: `${newest}\n` });
  }
  return out;
}

/**
 * After a split of `original` whose last part is `last` (both absolute paths): the folder's
 * max_migration.txt moved on to the last part when it named the migration split (which was then the
 * app's leaf, and the last part is now); null otherwise.
 */
export function maxMigrationAfterSplit(original: string, last: string): { file: string; original: string; text: string } | null {
  const file = join(dirname(original), MAX_MIGRATION_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  if ((text.split('\n')[0]?.trim() ?? '') !== basename(original, '.py')) return null;
  return { file, original: text, text: `${basename(last, '.py')}\n` };
}

/**
 * conflicting-migrations: an app whose migration graph has more than one leaf — two branches that
 * each added a migration on the same parent. Django refuses to migrate ("Conflicting migrations
 * detected; multiple leaf nodes in the migration graph"). Reported on every leaf, pointing at the
 * others; the fix writes the merge migration `makemigrations --merge` would write.
 */
import { mergeMigration } from '../project/merge';
import type { Fix } from '../types';
import type { Rule } from './rule';

export const conflictingMigrations: Rule = {
  meta: {
    id: 'conflicting-migrations',
    summary: 'An app has more than one leaf migration; Django refuses to migrate until they are merged.',
    defaultSeverity: 'error',
  },
  checkProject(ctx) {
    if (!ctx.view || !ctx.file) return;
    const leaves = ctx.view.conflictingLeaves(ctx.file);
    if (!leaves) return;
    const self = ctx.view.node(ctx.file);
    const app = self?.key.app ?? '';
    const others = leaves.filter((l) => l !== self);
    const merge = mergeMigration(ctx.view, leaves);
    const fixes: Fix[] = [];
    if (merge.ok && !ctx.view.migration(merge.file)) {
      fixes.push({ title: `Create merge migration ${merge.name}.py`, edits: [], creates: [{ file: merge.file, text: merge.text }], isPreferred: true, safe: false });
    }
    const names = leaves.map((l) => l.key.name).join(', ');
    ctx.report({
      range: ctx.summary.classRange,
      message:
        `Conflicting migrations in app '${app}': ${leaves.length} leaf migrations (${names}). ` +
        `Django refuses to migrate until they are merged: \`python manage.py makemigrations --merge ${app}\`` +
        (merge.ok ? ` writes ${merge.name}.py.` : ` cannot merge them (${merge.reason}).`),
      related: others.flatMap((l) => (l.migration ? [{ file: l.migration.file, range: l.migration.summary.classRange, message: `another leaf of '${app}': ${l.key.name}` }] : [])),
      fixes,
    });
  },
};

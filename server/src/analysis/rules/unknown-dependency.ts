/**
 * unknown-dependency: a dependency (or run_before) on a migration that does not exist, in an app
 * whose migrations are in view. Django refuses to load the graph (NodeNotFoundError). Apps not in
 * view — django.contrib, third-party packages — are never reported. When exactly one migration of
 * that app has the same number, it is offered as the replacement (a renamed file).
 */
import type { Fix } from '../types';
import type { Rule } from './rule';

function sameNumber(name: string, candidates: readonly string[]): string | null {
  const n = /^\d+/.exec(name)?.[0];
  if (!n) return null;
  const hits = candidates.filter((c) => /^\d+/.exec(c)?.[0] === n);
  return hits.length === 1 ? (hits[0] as string) : null;
}

export const unknownDependency: Rule = {
  meta: {
    id: 'unknown-dependency',
    summary: 'A dependency names a migration that does not exist; Django refuses to load the migration graph.',
    defaultSeverity: 'error',
  },
  checkProject(ctx) {
    if (!ctx.view || !ctx.file) return;
    for (const u of ctx.view.unknownDependencies(ctx.file)) {
      const { app, name } = u.missing;
      const existing = [...ctx.view.graph.nodes.values()].filter((n) => n.key.app === app && n.migration).map((n) => n.key.name);
      const replaced = [...ctx.view.graph.replacedBy.keys()].filter((id) => id.startsWith(`${app}.`)).map((id) => id.slice(app.length + 1));
      const suggestion = sameNumber(name, [...existing, ...replaced]);
      const fixes: Fix[] = [];
      if (suggestion && u.entry.kind === 'key') {
        fixes.push({
          title: `Depend on ('${app}', '${suggestion}') instead`,
          edits: [{ range: u.entry.range, newText: `('${app}', '${suggestion}')` }],
          isPreferred: true,
          safe: false,
        });
      }
      const what = u.runBefore ? 'run_before names' : 'depends on';
      ctx.report({
        range: u.entry.range,
        message:
          `This migration ${what} ('${app}', '${name}'), which does not exist in app '${app}'` +
          (suggestion ? ` — did you mean '${suggestion}'?` : existing.length > 0 ? ` (its latest migrations: ${existing.sort().slice(-3).join(', ')}).` : '.') +
          ` Django refuses to load the migration graph (NodeNotFoundError).`,
        fixes,
      });
    }
  },
};

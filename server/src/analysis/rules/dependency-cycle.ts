/**
 * dependency-cycle: migrations that depend on each other in a circle (through dependencies or
 * run_before). Django refuses to load the graph (CircularDependencyError). Reported on each
 * migration of the cycle, at the dependency that leads to the next one.
 */
import { keyId } from '../project/graph';
import type { Rule } from './rule';

export const dependencyCycle: Rule = {
  meta: {
    id: 'dependency-cycle',
    summary: 'Migrations depend on each other in a cycle; Django refuses to load the migration graph.',
    defaultSeverity: 'error',
  },
  checkProject(ctx) {
    if (!ctx.view || !ctx.file) return;
    const cycle = ctx.view.cycle(ctx.file);
    const self = ctx.view.node(ctx.file);
    if (!cycle || !self) return;
    const members = new Set(cycle.map((n) => n.id));
    const path = cycle.map((n) => n.id).join(', ');
    // The entries of this file that point into the cycle (a parent that is a member).
    const parents = new Set([...self.parents].filter((p) => members.has(p.id)).map((p) => p.id));
    const entries = ctx.summary.dependencies.entries.filter((e) => e.kind === 'key' && parents.has(keyId(e)));
    const ranges = entries.length > 0 ? entries.map((e) => e.range) : [ctx.summary.classRange];
    for (const range of ranges) {
      ctx.report({
        range,
        message: `Circular dependency between migrations (${path}). Django refuses to load the migration graph (CircularDependencyError); one of these dependencies must go.`,
        related: cycle.filter((n) => n !== self && n.migration).map((n) => ({ file: n.migration?.file, range: n.migration?.summary.classRange ?? ctx.summary.classRange, message: `part of the cycle: ${n.id}` })),
      });
    }
  },
};

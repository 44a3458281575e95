/**
 * The merge migration `makemigrations --merge` would write for an app with several leaves
 * (django/core/management/commands/makemigrations.py handle_merge): numbered one past the highest
 * leaf number, named `merge_<leaves joined by _>` (a timestamp when that is over 47 characters),
 * depending on every leaf, with no operations. Refused when the leaves share no ancestor.
 */
import { dirname, join } from 'node:path';
import type { GraphNode } from './graph';
import type { ProjectView } from './view';

export type MergePlan = { ok: true; name: string; file: string; text: string } | { ok: false; reason: string };

function leadingNumber(name: string): number | null {
  const m = /^\d+/.exec(name);
  return m ? Number(m[0]) : null;
}

/** `now` gives the timestamp Django uses for long names (YYYYmmdd_HHMM). */
export function mergeMigration(view: ProjectView, leaves: readonly GraphNode[], now: Date = new Date()): MergePlan {
  const first = leaves[0];
  if (!first?.migration || leaves.length < 2) return { ok: false, reason: 'there is nothing to merge' };
  const app = first.key.app;
  // Django: the leaves' same-app ancestries must start alike (a common ancestor).
  const ancestries = leaves.map((l) => view.graph.forwardsPlan(l).filter((n) => n.key.app === app));
  if (!ancestries.every((a) => a[0] === ancestries[0]?.[0])) return { ok: false, reason: `the leaves of ${app} share no ancestor, so Django would not merge them either` };
  const dirs = new Set(leaves.map((l) => (l.migration ? dirname(l.migration.file) : '')));
  if (dirs.size !== 1) return { ok: false, reason: `the leaves of ${app} are in different folders` };
  const numbers = leaves.map((l) => leadingNumber(l.key.name)).filter((n): n is number => n !== null);
  const next = (numbers.length > 0 ? Math.max(...numbers) : 1) + 1;
  const joined = leaves.map((l) => l.key.name).sort().join('_');
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}_${pad(now.getHours())}${pad(now.getMinutes())}`;
  const name = `${String(next).padStart(4, '0')}_merge_${joined.length > 47 ? stamp : joined}`;
  const text = migrationText(['# Merge migration written by Django Migration Guard, as `makemigrations --merge` writes it.'], leaves.map((l) => `('${app}', '${l.key.name}')`), []);
  return { ok: true, name, file: join([...dirs][0] as string, `${name}.py`), text };
}

/** The text of a migration file we write: header comments, dependencies and operations as Python expressions. */
export function migrationText(header: readonly string[], dependencies: readonly string[], operations: readonly string[]): string {
  return [
    ...header,
    '',
    'from django.db import migrations',
    '',
    '',
    'class Migration(migrations.Migration):',
    '',
    '    dependencies = [',
    ...dependencies.map((d) => `        ${d},`),
    '    ]',
    '',
    '    operations = [',
    ...operations.map((o) => `        ${o},`),
    '    ]',
    '',
  ].join('\n');
}

/**
 * New migrations that come after the one being fixed: what the multi-file fixes write (the steps
 * of an expand / contract change, a constraint validated in its own transaction). They are named
 * and numbered the way makemigrations numbers (one past the app's highest number, four digits),
 * each depending on the one before, the first on the migration being fixed.
 *
 * Refused — with a reason the editor and the CLI show — when there is no project view, when the
 * migration is not its app's only leaf (a follow-up would then be a second leaf, which Django
 * refuses to migrate), or when a migration of that name is in the project already. Analysis code
 * reads no disk: the CLI and the editor create the files exclusively, so a file that appeared
 * meanwhile is never overwritten either.
 */
import { dirname, join } from 'node:path';
import type { ProjectView } from '../project/view';
import type { FileCreation } from '../types';

export interface FollowUpMigration {
  /** The operations, each already formatted as Python source at the list's indentation (8 spaces). */
  operations: string[];
  /** A slug for the file name (`backfill_order_status`), lower case, digits and underscores. */
  slug: string;
  /** Written as `atomic = False` when false; left out (Django's default) when true. */
  atomic: boolean;
  /** Import lines beyond `from django.db import migrations` (e.g. `from django.db import models`). */
  imports?: string[];
  /** Module-level code placed before the Migration class (RunPython functions), or empty. */
  preamble?: string;
  /** One comment line saying why this migration exists (written under the header). */
  why: string;
}

export type FollowUpPlan = { ok: true; creates: FileCreation[]; names: string[] } | { ok: false; reason: string };

function leadingNumber(name: string): number | null {
  const m = /^(\d+)_/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * `from django.db import migrations` first (with the other names asked from django.db, as
 * makemigrations writes `from django.db import migrations, models`), then the rest, deduplicated,
 * in the order given.
 */
function importLines(extra: readonly string[]): string[] {
  const lines = ['from django.db import migrations'];
  for (const line of extra) {
    if (lines.includes(line)) continue;
    // `from m import b` joins an earlier `from m import a` (`from django.db import migrations, models`).
    const from = /^from (\S+) import ([\w, ]+)$/.exec(line);
    const same = from ? lines.findIndex((l) => l.startsWith(`from ${from[1]} import `) && /^[\w, ]+$/.test(l.slice(`from ${from[1]} import `.length))) : -1;
    if (from && same >= 0) {
      const names = (lines[same] as string).slice(`from ${from[1]} import `.length).split(', ');
      for (const n of (from[2] as string).split(/,\s*/)) if (!names.includes(n)) names.push(n);
      lines[same] = `from ${from[1]} import ${names.join(', ')}`;
    } else lines.push(line);
  }
  return lines;
}

/** The text of one new migration. */
export function renderFollowUp(app: string, dependency: string, m: FollowUpMigration): string {
  const out = [`# Written by Django Migration Guard: ${m.why}`, '', ...importLines(m.imports ?? []), ''];
  if (m.preamble) out.push('', m.preamble.replace(/\s+$/, ''), '');
  out.push('', 'class Migration(migrations.Migration):', '');
  if (!m.atomic) out.push('    atomic = False', '');
  out.push('    dependencies = [', `        (${JSON.stringify(app)}, ${JSON.stringify(dependency)}),`, '    ]', '', '    operations = [');
  for (const op of m.operations) out.push(`${op.replace(/\s+$/, '')},`);
  out.push('    ]', '');
  return out.join('\n');
}

/**
 * Whether `file` is its app's only latest migration, the one new migrations may follow: what every
 * multi-file fix asks first (cheaply), staying silent on older migrations, which have run already.
 */
export function isAppLatest(view: ProjectView | null, file: string | null): boolean {
  return planFollowUps(view, file, []).ok;
}

/** The files for `steps` new migrations after `file`, or why they cannot be written. */
export function planFollowUps(view: ProjectView | null, file: string | null, steps: readonly FollowUpMigration[]): FollowUpPlan {
  if (!view || !file) return { ok: false, reason: 'the migration is not read as part of a project, so its app and the next migration number are unknown' };
  const node = view.node(file);
  if (!node?.migration) return { ok: false, reason: 'the migration is not in the project graph' };
  const app = node.key.app;
  if (view.graph.uncertainApps.has(app)) return { ok: false, reason: `the migration graph of '${app}' cannot be read completely` };
  const leaves = view.graph.leaves(app);
  if (leaves.length !== 1 || leaves[0] !== node) {
    return { ok: false, reason: `${node.key.name} is not the latest migration of '${app}': a new migration after it would be a second leaf, which Django refuses to migrate` };
  }
  let highest = 0;
  for (const n of view.graph.nodes.values()) {
    if (n.key.app !== app) continue;
    const num = leadingNumber(n.key.name);
    if (num !== null && num > highest) highest = num;
  }
  const dir = dirname(file);
  const creates: FileCreation[] = [];
  const names: string[] = [];
  let previous = node.key.name;
  for (const [i, step] of steps.entries()) {
    if (!/^[a-z0-9_]+$/.test(step.slug)) return { ok: false, reason: `'${step.slug}' is not a migration name` };
    const name = `${String(highest + 1 + i).padStart(4, '0')}_${step.slug}`;
    const target = join(dir, `${name}.py`);
    if (view.migration(target)) return { ok: false, reason: `${name}.py exists already` };
    creates.push({ file: target, text: renderFollowUp(app, previous, step) });
    names.push(name);
    previous = name;
  }
  return { ok: true, creates, names };
}

/**
 * The `graph` command: the migration graph of the folders given, as the project view reads it
 * from the files alone — what `showmigrations` shows without Django or a database. Per app: its
 * folder and where its label comes from, its migrations in plan order (squashed ones with what
 * they replace), its leaves; then what Django would refuse (conflicts, missing dependencies,
 * cycles) and what the view could not read. `--plan` prints the order `migrate` would apply.
 * Exit status 1 when Django would refuse the graph, 0 otherwise, 2 on a usage or I/O error.
 */
import { relative } from 'node:path';
import { keyId, type GraphNode } from '../analysis/project/graph';
import { ProjectView } from '../analysis/project/view';
import type { CheckIo } from './check';
import { discover } from './discover';
import { lintAllTasks } from './lint-all';
import { ConfigResolver } from './project-config';
import { planNotes, planProject } from './project-run';
import { finishProjectView } from './project-views';

export type GraphFormat = 'text' | 'json';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['text', 'json'];

export interface GraphOptions {
  paths: string[];
  format: GraphFormat;
  plan: boolean;
  jobs: number;
}

interface AppReport {
  label: string;
  folders: string[];
  migrations: Array<{ name: string; file: string; leaf: boolean; replaces: string[]; dependencies: string[] }>;
  leaves: string[];
  conflict: boolean;
  /** Part of its graph could not be read (a computed dependency list, a file that does not parse). */
  uncertain: boolean;
}

type GraphReport = { apps: AppReport[]; plan: string[]; unknownDependencies: Array<{ migration: string; missing: string }>; cycles: string[][] };

/** The reports of several projects' graphs (folders named from different projects) as one. */
function merged(reports: GraphReport[]): GraphReport {
  return {
    apps: reports.flatMap((r) => r.apps),
    plan: reports.flatMap((r) => r.plan),
    unknownDependencies: reports.flatMap((r) => r.unknownDependencies),
    cycles: reports.flatMap((r) => r.cycles),
  };
}

function describe(view: ProjectView, cwd: string): GraphReport {
  const g = view.graph;
  const plan = g.cycles().length === 0 ? g.fullPlan() : [];
  const order = new Map(plan.map((n, i) => [n, i]));
  const conflicts = g.conflicts();
  const leaves = new Set(g.leaves());
  const apps: AppReport[] = [];
  for (const label of [...g.apps].sort()) {
    const nodes = [...g.nodes.values()].filter((n): n is GraphNode & { migration: NonNullable<GraphNode['migration']> } => n.key.app === label && !!n.migration);
    nodes.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || (a.key.name < b.key.name ? -1 : 1));
    apps.push({
      label,
      folders: [...new Set(nodes.map((n) => relative(cwd, n.migration.file).replace(/\/[^/]+$/, '')))],
      migrations: nodes.map((n) => ({
        name: n.key.name,
        file: relative(cwd, n.migration.file),
        leaf: leaves.has(n),
        replaces: (g.replacements.get(n.id) ?? []).map(keyId),
        dependencies: [...n.parents].map((p) => p.id).sort(),
      })),
      leaves: nodes.filter((n) => leaves.has(n)).map((n) => n.key.name),
      conflict: conflicts.has(label),
      uncertain: g.uncertainApps.has(label),
    });
  }
  return {
    apps,
    plan: plan.map((n) => n.id),
    unknownDependencies: g.unknownDependencies.map((u) => ({ migration: keyId(u.origin.key), missing: keyId(u.missing) })),
    cycles: g.cycles().map((c) => c.map((n) => n.id)),
  };
}

function text(report: GraphReport, plan: boolean): string {
  const out: string[] = [];
  if (plan) {
    report.plan.forEach((id, i) => out.push(`${String(i + 1).padStart(5)}  ${id}`));
  } else {
    for (const app of report.apps) {
      const notes = [app.conflict ? `CONFLICT: ${app.leaves.length} leaves` : null, app.uncertain ? 'not all of it could be read' : null].filter(Boolean);
      out.push(`${app.label}  (${app.folders.join(', ')})${notes.length ? `  — ${notes.join('; ')}` : ''}`);
      for (const m of app.migrations) {
        const tags = [m.leaf ? 'leaf' : null, m.replaces.length ? `replaces ${m.replaces.length}` : null].filter(Boolean);
        out.push(`  ${m.name}${tags.length ? `  [${tags.join(', ')}]` : ''}`);
      }
    }
  }
  for (const u of report.unknownDependencies) out.push(`error: ${u.migration} depends on ${u.missing}, which does not exist`);
  for (const c of report.cycles) out.push(`error: circular dependency: ${c.join(', ')}`);
  for (const app of report.apps.filter((a) => a.conflict)) out.push(`error: conflicting migrations in ${app.label}: ${app.leaves.join(', ')} (makemigrations --merge)`);
  const migrations = report.apps.reduce((n, a) => n + a.migrations.length, 0);
  out.push(`${report.apps.length} apps, ${migrations} migrations`);
  return `${out.join('\n')}\n`;
}

export async function runGraph(options: GraphOptions, io: CheckIo): Promise<number> {
  const warn = (message: string): void => io.stderr(`migration-guard: warning: ${message}\n`);
  const resolver = new ConfigResolver(null, { select: null, ignore: [] }, warn);
  const found = discover(options.paths, resolver, io.cwd);
  for (const w of found.warnings) warn(w);
  for (const e of found.errors) io.stderr(`migration-guard: error: ${e}\n`);
  if (found.errors.length > 0) return 2;
  const project = planProject(found.python, [], resolver, found.roots);
  const { results } = await lintAllTasks(project.extra, resolver.configs, options.jobs);
  const views = finishProjectView(project, project.extra, results, resolver.resolved[0]?.settings.authUserModel ?? 'auth.User');
  for (const note of planNotes(project, project.extra, results, io.cwd)) io.stderr(`migration-guard: ${note}\n`);
  const report = merged(views.all().map((v) => describe(v, io.cwd)));
  io.stdout(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : text(report, options.plan));
  const refused = report.unknownDependencies.length > 0 || report.cycles.length > 0 || report.apps.some((a) => a.conflict);
  return refused ? 1 : 0;
}

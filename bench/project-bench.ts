/**
 * The whole-project lint in-process, as the CLI runs it: every file parsed and analyzed (per-file
 * rules, summary), then the project view built once per project (graph and model state of every
 * migration) and the project rules run and the findings finalized for every file — against a bare
 * web-tree-sitter parse of the same files in the same round. In-process and warm: no start-up,
 * no discovery, no reading (the whole-process figures of cli-bench.ts have those).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { analyzeFile, finalizeFindings, projectFindings, type FileAnalysis } from '../server/src/analysis/engine';
import { PythonParser } from '../server/src/analysis/parser';
import { ProjectView, type ProjectMigration } from '../server/src/analysis/project/view';
import { graphCandidates, ProjectLayout } from '../server/src/workspace/project-layout';
import { POSTGRES_NAMES, readAppLabel } from '../server/src/workspace/project-loader';
import { GRAMMAR_PATHS } from '../test/helpers/paths';
import type { BenchFile } from './corpus-source';
import { collectGarbage } from './stats';

export interface ProjectFigures {
  /** Per round, ms over the corpus. */
  parse: number[];
  /** Parse + analyze every file (what the CLI's workers do). */
  analyze: number[];
  /** Build the view, replay every migration's state, project rules, finalize (the CLI's main thread). */
  project: number[];
  /** Per round (analyze + project) / parse. */
  ratios: number[];
  apps: number;
  nodes: number;
  leaves: number;
  graphFindings: number;
  /** Models at the leaves whose state the view knows / does not. */
  knownModels: number;
  unknownModels: number;
  findingsByRule: Map<string, number>;
}

const GRAPH_RULES = new Set(['conflicting-migrations', 'unknown-dependency', 'dependency-cycle']);

export async function runProjectBench(files: readonly BenchFile[], rounds: number): Promise<ProjectFigures> {
  const parser = await PythonParser.create(GRAMMAR_PATHS);
  const paths = files.map((f) => f.path);
  // One project view per project, as one `check` of that project would build it.
  const groups = new Map<number, number[]>();
  files.forEach((f, i) => {
    const members = groups.get(f.project);
    if (members) members.push(i);
    else groups.set(f.project, [i]);
  });
  const now = (): bigint => process.hrtime.bigint();
  const msOf = (ns: bigint): number => Number(ns) / 1e6;
  const fig: ProjectFigures = { parse: [], analyze: [], project: [], ratios: [], apps: 0, nodes: 0, leaves: 0, graphFindings: 0, knownModels: 0, unknownModels: 0, findingsByRule: new Map() };
  for (let round = 0; round <= rounds; round++) {
    await collectGarbage();
    const t0 = now();
    for (const f of files) parser.parse(f.text).delete();
    const t1 = now();
    const analyses: FileAnalysis[] = [];
    for (let i = 0; i < files.length; i++) {
      const tree = parser.parse((files[i] as BenchFile).text);
      analyses.push(analyzeFile(tree, (files[i] as BenchFile).text, { name: basename(paths[i] as string, '.py') }).analysis);
      tree.delete();
    }
    const t2 = now();
    const byRule = new Map<string, number>();
    const views: ProjectView[] = [];
    for (const members of groups.values()) {
      const own = members.map((i) => paths[i] as string);
      const candidates = graphCandidates(own, new Map(), existsSync);
      const layout = new ProjectLayout(candidates, (dir) => readAppLabel(dir, parser));
      const migrations: ProjectMigration[] = [];
      for (const i of members) {
        const file = paths[i] as string;
        const app = layout.appOf(file);
        const summary = analyses[i]?.summary;
        if (app && summary) migrations.push({ file, app, summary });
      }
      const view = new ProjectView({ migrations, swappable: { AUTH_USER_MODEL: 'auth.User' }, names: POSTGRES_NAMES });
      views.push(view);
      for (const i of members) {
        const file = paths[i] as string;
        const a = analyses[i] as FileAnalysis;
        const raw = a.summary ? [...a.findings, ...projectFindings(a.summary, { project: layout.appOf(file) ? { view, file } : undefined })] : a.findings;
        for (const f of finalizeFindings(raw, a.suppressions, {})) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
      }
    }
    const t3 = now();
    if (round === 0) continue; // warm-up
    fig.parse.push(msOf(t1 - t0));
    fig.analyze.push(msOf(t2 - t1));
    fig.project.push(msOf(t3 - t2));
    fig.ratios.push(msOf(t3 - t1) / msOf(t1 - t0));
    if (round === rounds) {
      fig.findingsByRule = byRule;
      fig.graphFindings = [...byRule].filter(([r]) => GRAPH_RULES.has(r)).reduce((s, [, n]) => s + n, 0);
      for (const view of views) {
        fig.apps += view.graph.apps.size;
        fig.nodes += [...view.graph.nodes.values()].filter((n) => n.migration).length;
        const leaves = view.graph.leaves();
        fig.leaves += leaves.length;
        for (const leaf of leaves) {
          const st = leaf.migration ? view.stateOf(leaf.migration.file, 'after', 'state') : null;
          for (const m of st?.models.values() ?? []) {
            if (m === 'unknown') fig.unknownModels++;
            else if (m !== 'absent') fig.knownModels++;
          }
        }
      }
    }
  }
  parser.dispose();
  return fig;
}

/**
 * The migration graph with Django's semantics (django/db/migrations/loader.py build_graph and
 * graph.py), built from file summaries alone: same-app dependencies first, then other apps'
 * (`__first__` / `__latest__` resolved to the app's first root / leaf), `run_before`, squashed
 * migrations replacing the nodes they list (dependencies on those re-pointed, as when none of them
 * is applied), then what Django would refuse: dependencies on migrations that do not exist, cycles,
 * and apps with more than one leaf. Apps not in view (django.contrib, third-party packages) are
 * never resolved and never reported.
 */
import type { DependencyEntry, MigrationKey, MigrationSummary } from './summary';

export interface GraphMigration {
  key: MigrationKey;
  file: string;
  summary: MigrationSummary;
}

export interface GraphNode {
  id: string;
  key: MigrationKey;
  /** Null for a placeholder: a migration something depends on that does not exist. */
  migration: GraphMigration | null;
  /** Arrays rather than sets: a migration has few, and a project thousands of nodes. */
  parents: GraphNode[];
  children: GraphNode[];
}

export interface UnknownDependency {
  /** The migration that names it. */
  origin: GraphMigration;
  entry: DependencyEntry;
  missing: MigrationKey;
  /** `run_before` rather than `dependencies`. */
  runBefore: boolean;
}

export interface GraphInput {
  migrations: readonly GraphMigration[];
  /** `AUTH_USER_MODEL` and other swappable settings: setting name -> 'app_label.ModelName'. */
  swappable: Readonly<Record<string, string>>;
  /**
   * Squashed migrations (ids) whose chains are kept, as Django keeps them on a database that
   * applied part of a chain: the squash leaves the graph instead of the migrations it replaces.
   */
  keptChains?: ReadonlySet<string>;
}

export function keyId(key: MigrationKey): string {
  return `${key.app}.${key.name}`;
}

function compareKeys(a: MigrationKey, b: MigrationKey): number {
  if (a.app !== b.app) return a.app < b.app ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function sortNodes(nodes: Iterable<GraphNode>): GraphNode[] {
  return [...nodes].sort((a, b) => compareKeys(a.key, b.key));
}

export class MigrationGraph {
  readonly nodes = new Map<string, GraphNode>();
  /** Placeholders left after replacements: Django's NodeNotFoundError. */
  readonly unknownDependencies: UnknownDependency[] = [];
  /** Squashed migration id -> the keys it replaced (whether or not their files exist). */
  readonly replacements = new Map<string, MigrationKey[]>();
  /** Replaced migration id -> the squashed migration that stands for it. */
  readonly replacedBy = new Map<string, GraphNode>();
  /** Apps whose graph we cannot read completely (an unreadable dependency list, a computed replaces). */
  readonly uncertainApps = new Set<string>();
  readonly apps = new Set<string>();
  private readonly placeholders = new Map<string, { origin: GraphMigration; entry: DependencyEntry; runBefore: boolean }>();
  private conflictsMemo: Map<string, GraphNode[]> | null = null;
  private cyclesMemo: GraphNode[][] | null = null;
  private readonly leavesMemo = new Map<string, GraphNode[]>();

  constructor(input: GraphInput) {
    for (const m of input.migrations) {
      this.apps.add(m.key.app);
      this.nodes.set(keyId(m.key), { id: keyId(m.key), key: m.key, migration: m, parents: [], children: [] });
    }
    const migrations = [...this.nodes.values()].map((n) => n.migration as GraphMigration);
    for (const m of migrations) this.internalDependencies(m);
    for (const m of migrations) this.externalDependencies(m, input.swappable);
    for (const m of migrations) {
      if (input.keptChains?.has(keyId(m.key))) this.keepChain(m);
      else this.replace(m);
    }
    for (const [id, p] of this.placeholders) {
      const node = this.nodes.get(id);
      if (node && !node.migration) this.unknownDependencies.push({ origin: p.origin, entry: p.entry, missing: node.key, runBefore: p.runBefore });
    }
  }

  private node(key: MigrationKey, origin: GraphMigration, entry: DependencyEntry, runBefore: boolean): GraphNode {
    const id = keyId(key);
    let node = this.nodes.get(id);
    if (!node) {
      node = { id, key, migration: null, parents: [], children: [] };
      this.nodes.set(id, node);
      this.placeholders.set(id, { origin, entry, runBefore });
    }
    return node;
  }

  private link(parent: GraphNode, child: GraphNode): void {
    if (!child.parents.includes(parent)) child.parents.push(parent);
    if (!parent.children.includes(child)) parent.children.push(child);
  }

  private internalDependencies(m: GraphMigration): void {
    const self = this.nodes.get(keyId(m.key)) as GraphNode;
    if (!m.summary.dependencies.complete || m.summary.dependencies.entries.some((e) => e.kind === 'unknown')) this.uncertainApps.add(m.key.app);
    for (const e of m.summary.dependencies.entries) {
      if (e.kind !== 'key' || e.app !== m.key.app || e.name === '__first__') continue;
      this.link(this.node({ app: e.app, name: e.name }, m, e, false), self);
    }
  }

  /** Django's check_key: `__first__` / `__latest__` of another app; null when nothing to link. */
  private resolve(app: string, name: string, current: string): MigrationKey | null {
    if (name !== '__first__' && name !== '__latest__') return { app, name };
    if (this.nodes.has(keyId({ app, name }))) return { app, name };
    if (app === current || !this.apps.has(app)) return null;
    const pick = name === '__first__' ? this.roots(app) : this.leaves(app);
    return pick[0]?.key ?? null;
  }

  private externalDependencies(m: GraphMigration, swappable: Readonly<Record<string, string>>): void {
    const self = this.nodes.get(keyId(m.key)) as GraphNode;
    for (const e of m.summary.dependencies.entries) {
      let app: string;
      let name: string;
      if (e.kind === 'key') ({ app, name } = e);
      else if (e.kind === 'swappable') {
        const target = swappable[e.setting];
        if (!target) continue;
        app = target.split('.')[0] as string;
        name = '__first__';
      } else continue;
      if (app === m.key.app || !this.apps.has(app)) continue; // internal, or not in view
      const key = this.resolve(app, name, m.key.app);
      if (key) this.link(this.node(key, m, e, false), self);
    }
    if (!m.summary.runBefore.complete) this.uncertainApps.add(m.key.app);
    for (const e of m.summary.runBefore.entries) {
      if (e.kind !== 'key') {
        this.uncertainApps.add(m.key.app);
        continue;
      }
      if (!this.apps.has(e.app)) continue;
      const key = this.resolve(e.app, e.name, m.key.app);
      if (key) this.link(self, this.node(key, m, e, true));
    }
  }

  /** A squashed migration takes the place of the ones it replaces (Django: none applied yet). */
  private replace(m: GraphMigration): void {
    const replaces = m.summary.replaces;
    if (!replaces) return;
    if (!replaces.complete) this.uncertainApps.add(m.key.app);
    const squash = this.nodes.get(keyId(m.key)) as GraphNode;
    this.replacements.set(squash.id, replaces.keys);
    const replaced = new Set(replaces.keys.map(keyId));
    for (const id of replaced) {
      const node = this.nodes.get(id);
      if (!node) continue;
      this.nodes.delete(id);
      this.replacedBy.set(id, squash);
      for (const child of node.children) {
        child.parents = child.parents.filter((p) => p !== node);
        if (!replaced.has(child.id)) this.link(squash, child);
      }
      for (const parent of node.parents) {
        parent.children = parent.children.filter((c) => c !== node);
        if (!replaced.has(parent.id)) this.link(parent, squash);
      }
    }
  }

  /**
   * Django's remove_replacement_node: the squash leaves the graph and its chain stays. What
   * depended on the squash depends on the chain's latest migrations instead (those no other
   * migration of the chain depends on); the squash's own dependencies go with it, the chain has its own.
   */
  private keepChain(m: GraphMigration): void {
    const replaces = m.summary.replaces;
    if (!replaces) return;
    if (!replaces.complete) this.uncertainApps.add(m.key.app);
    const squash = this.nodes.get(keyId(m.key)) as GraphNode;
    this.nodes.delete(squash.id);
    const chain = replaces.keys.flatMap((k) => this.nodes.get(keyId(k)) ?? []);
    const parentsInChain = new Set(chain.flatMap((n) => n.parents));
    const latest = chain.filter((n) => !parentsInChain.has(n));
    for (const child of squash.children) {
      child.parents = child.parents.filter((p) => p !== squash);
      for (const n of latest) this.link(n, child);
    }
    for (const parent of squash.parents) parent.children = parent.children.filter((c) => c !== squash);
  }

  /**
   * The migrations of a chain (`keys`) that every other one of it runs after: what all their
   * forwards plans hold. A database that applied any migration of the chain applied these.
   */
  chainHeads(keys: readonly MigrationKey[]): Set<GraphNode> {
    const members = keys.flatMap((k) => this.nodes.get(keyId(k)) ?? []);
    const heads = new Set(members);
    for (const m of members) {
      const before = new Set(this.forwardsPlan(m));
      for (const h of heads) if (!before.has(h)) heads.delete(h);
    }
    return heads;
  }

  /** Nodes with no parent in their own app, sorted (Django's root_nodes). */
  roots(app: string): GraphNode[] {
    return sortNodes([...this.nodes.values()].filter((n) => n.key.app === app && ![...n.parents].some((p) => p.key.app === app)));
  }

  /** Nodes with no child in their own app, sorted (Django's leaf_nodes). */
  leaves(app?: string): GraphNode[] {
    // The graph is complete once built: each app's leaves are found once (fixes ask per finding).
    const key = app ?? '\0all';
    let found = this.leavesMemo.get(key);
    if (!found) {
      found = sortNodes([...this.nodes.values()].filter((n) => n.migration && (!app || n.key.app === app) && ![...n.children].some((c) => c.key.app === n.key.app)));
      this.leavesMemo.set(key, found);
    }
    return [...found];
  }

  /** Apps with more than one leaf, except apps whose graph we cannot read completely. */
  conflicts(): Map<string, GraphNode[]> {
    if (this.conflictsMemo) return this.conflictsMemo;
    const byApp = new Map<string, GraphNode[]>();
    for (const leaf of this.leaves()) {
      const list = byApp.get(leaf.key.app) ?? [];
      list.push(leaf);
      byApp.set(leaf.key.app, list);
    }
    for (const [app, list] of byApp) if (list.length < 2 || this.uncertainApps.has(app)) byApp.delete(app);
    // Every migration of an app a leaf, none depending on another of its own: its migrations call
    // the app by another label (a config we could not read), not a conflict to report.
    for (const [app, list] of byApp) {
      const all = [...this.nodes.values()].filter((n) => n.key.app === app);
      if (list.length === all.length && all.length >= 3 && !all.some((n) => n.parents.some((p) => p.key.app === app))) byApp.delete(app);
    }
    this.conflictsMemo = byApp;
    return byApp;
  }

  /** Strongly connected components with a cycle (Tarjan, iterative), each sorted. */
  cycles(): GraphNode[][] {
    if (this.cyclesMemo) return this.cyclesMemo;
    const index = new Map<GraphNode, number>();
    const low = new Map<GraphNode, number>();
    const onStack = new Set<GraphNode>();
    const stack: GraphNode[] = [];
    const out: GraphNode[][] = [];
    let counter = 0;
    for (const start of sortNodes(this.nodes.values())) {
      if (index.has(start)) continue;
      const work: Array<{ node: GraphNode; children: GraphNode[]; i: number }> = [];
      const enter = (node: GraphNode) => {
        index.set(node, counter);
        low.set(node, counter);
        counter++;
        stack.push(node);
        onStack.add(node);
        work.push({ node, children: [...node.children], i: 0 });
      };
      enter(start);
      while (work.length > 0) {
        const frame = work[work.length - 1] as { node: GraphNode; children: GraphNode[]; i: number };
        if (frame.i < frame.children.length) {
          const child = frame.children[frame.i++] as GraphNode;
          if (!index.has(child)) enter(child);
          else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(child) as number));
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
        if (low.get(frame.node) === index.get(frame.node)) {
          const component: GraphNode[] = [];
          let n: GraphNode;
          do {
            n = stack.pop() as GraphNode;
            onStack.delete(n);
            component.push(n);
          } while (n !== frame.node);
          if (component.length > 1 || frame.node.children.includes(frame.node)) out.push(sortNodes(component));
        }
      }
    }
    this.cyclesMemo = out;
    return out;
  }

  /**
   * Django's forwards_plan(node): every ancestor, then the node, in its depth-first order. A node
   * met again while its ancestors are being visited can only be on a cycle (Django refuses those
   * before planning); it is not expanded again, so a cycle cannot make this loop forever.
   */
  forwardsPlan(target: GraphNode): GraphNode[] {
    // Called for many nodes of a large project: marks in an array by node number, each node's
    // parents sorted once, and two parallel stacks rather than a tuple per step.
    const mark: number[] = new Array<number>(this.nodes.size).fill(0); // by node number; 1: expanded, 2: done
    const visited: GraphNode[] = [];
    const stack: GraphNode[] = [target];
    const processed: boolean[] = [false];
    while (stack.length > 0) {
      const node = stack.pop() as GraphNode;
      const after = processed.pop() as boolean;
      const n = this.numberOf(node);
      if (mark[n] === 2) continue;
      if (after) {
        mark[n] = 2;
        visited.push(node);
      } else if (mark[n] !== 1) {
        mark[n] = 1;
        stack.push(node);
        processed.push(true);
        for (const p of this.sortedParents(node)) {
          stack.push(p);
          processed.push(false);
        }
      }
    }
    return visited;
  }

  private readonly numbers = new Map<GraphNode, number>();
  private readonly sortedParentsMemo = new Map<GraphNode, GraphNode[]>();

  /** A node's number, for marks kept in arrays (numbered on first use; the graph no longer changes once built). */
  private numberOf(node: GraphNode): number {
    let n = this.numbers.get(node);
    if (n === undefined) this.numbers.set(node, (n = this.numbers.size));
    return n;
  }

  private sortedParents(node: GraphNode): GraphNode[] {
    let sorted = this.sortedParentsMemo.get(node);
    if (!sorted) this.sortedParentsMemo.set(node, (sorted = sortNodes(node.parents)));
    return sorted;
  }

  /** What `migrate` would apply on an empty database: each leaf's plan in turn, without repeats. */
  fullPlan(): GraphNode[] {
    const plan: GraphNode[] = [];
    const seen = new Set<GraphNode>();
    for (const leaf of this.leaves()) {
      for (const n of this.forwardsPlan(leaf)) {
        if (seen.has(n) || !n.migration) continue;
        seen.add(n);
        plan.push(n);
      }
    }
    return plan;
  }
}

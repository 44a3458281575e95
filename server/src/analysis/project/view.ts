/**
 * The project view: every migration of the project in one graph, with the model state before and
 * after each one, and the questions rules ask of it — what was this model (its table, fields,
 * managed / proxy) before this migration, what is its real table name, which graph problems does
 * this file take part in. Pure: built from summaries and app labels, no file system.
 */
import type { ModelsBefore } from './code-before';
import { MigrationGraph, keyId, type GraphMigration, type GraphNode, type UnknownDependency } from './graph';
import { AppState, applyMigration, defaultTable, emptyAppState, modelEntry, truncateName, type ModelEntry, type ModelState, type StateView } from './state';
import type { MigrationKey, MigrationSummary, OperationSummary } from './summary';
import { djangoMadeJoinTable, type FieldSpec } from '../fields';
import type { BaseWrites } from './base-class';
import type { OperationClassEffect } from './operation-class';
import type { ImportedCodeReading } from './imported-code';
import { ModelQuestions, type BaseInTheWay, type ModelFields, type WriteKinds } from './model-questions';

export type { BaseInTheWay, ModelFields, WriteKinds } from './model-questions';

export interface ProjectMigration {
  /** Absolute path of the file. */
  file: string;
  app: string;
  summary: MigrationSummary;
}

export interface DatabaseNames {
  /** The longest identifier the database allows (PostgreSQL: 63), null for no limit. */
  maxNameLength: number | null;
  /** Django's names_digest: an md5 hex digest of the name. */
  digest: (name: string) => string;
}

export interface ProjectViewInput {
  migrations: readonly ProjectMigration[];
  /** Setting name -> 'app_label.ModelName' (AUTH_USER_MODEL defaults to 'auth.User'). */
  swappable?: Readonly<Record<string, string>>;
  names?: DatabaseNames;
  /**
   * What a base class a migration names (`shop.mixins.Priced`) does to writes, read from the
   * project's source as `fromFile` would import it. Without it every such class may take part in them.
   */
  baseWrites?: (qualified: string, fromFile: string) => BaseWrites;
  /**
   * What an operation class of the project a migration calls (`ureport.sql.InstallSQL`) does to the
   * model state, read from the project's source as `fromFile` would import it. Without it every
   * such operation leaves its app's state unknown.
   */
  operationClass?: (qualified: string, fromFile: string) => OperationClassEffect;
  /**
   * What a function of the project RunPython is handed from another module
   * (`awx.main.migrations._rbac.create_roles`) does with models, read from the project's source as
   * `fromFile` would import it. Without it such code is not read. `view` is the project as that
   * migration sees it, for what the rules would ask of it about the models the code writes.
   */
  importedCode?: (qualified: string, fromFile: string, atomic: boolean, view: ProjectView) => ImportedCodeReading;
  /** Squashed migrations (ids) whose chains this view keeps instead (see forFile). */
  keptChains?: ReadonlySet<string>;
  /**
   * Which release each migration first shipped in, as the project's history tells (the commit that
   * added the file, or one mark for all not yet committed): files of one release run together in
   * every deploy. A file not in the map, or no map, is not known to ship with any other.
   */
  releases?: ReadonlyMap<string, string>;
  /**
   * The app's package as each release before each migration's (`release`, from `releases`) had it —
   * several where the project tags releases on several lines —, read from the project's history; a
   * file left out, or null: not known. Asked once, for every
   * migration with a drop, when a drop rule first asks (see code-before.ts).
   */
  codeBefore?: (asks: ReadonlyArray<{ file: string; release: string }>) => ReadonlyMap<string, readonly ModelsBefore[] | null>;
}


interface States {
  state: AppState;
  database: AppState;
  /** How many migrations of the app's history lead here (which states are worth keeping). */
  depth: number;
}

/** Every how many migrations of a chain the state after one is kept. */
const CHECKPOINT = 8;
/** How many of the states computed last are kept besides (a walk through a history reuses them). */
const RECENT = 64;

const UNKNOWN_APP = (app: string): AppState => AppState.empty(app, true);


export class ProjectView {
  readonly graph: MigrationGraph;
  private readonly byFile = new Map<string, GraphMigration>();
  /** What codeBefore answered, once asked. */
  private codeBefore: ReadonlyMap<string, readonly ModelsBefore[] | null> | null = null;
  private readonly after = new Map<GraphNode, States>();
  /** The states after the nodes computed last (rules ask about a history file after file). */
  private readonly recent = new Map<GraphNode, States>();
  private readonly merged = new Map<GraphNode, States>();
  private readonly inCycle = new Set<GraphNode>();
  /** How the database names what Django creates (identifier limit, digest); null when not given. */
  readonly names: DatabaseNames | null;
  private computed = false;

  constructor(private readonly input: ProjectViewInput) {
    const ask = input.operationClass;
    const migrations: GraphMigration[] = input.migrations.map((m) => ({ key: { app: m.app, name: m.summary.name }, file: m.file, summary: ask ? withNeutralOperations(m.summary, (q) => ask(q, m.file)) : m.summary }));
    for (const m of migrations) this.byFile.set(m.file, m);
    this.graph = new MigrationGraph({ migrations, swappable: { AUTH_USER_MODEL: 'auth.User', ...input.swappable }, ...(input.keptChains ? { keptChains: input.keptChains } : {}) });
    this.names = input.names ?? null;
  }

  /**
   * A model of an app none of whose migrations is in view, reached from a migration the view holds — a
   * package's (galaxy_ng's pulp_ansible AnsibleRepository, a child of pulp's Repository, review 24) — of
   * which nothing is known: it may be a child of multi-table inheritance. Django's own apps' are not.
   */
  outOfViewModel(file: string, app: string, model: string): boolean {
    return !!this.node(file) && !this.appsInView().has(app) && !/^(?:auth|contenttypes|sites|sessions|admin|flatpages|redirects)$/.test(app) && this.modelSeenBy(file, app, model) === 'unknown';
  }

  private apps: Set<string> | null = null;

  /** The app labels with migrations in view. */
  appsInView(): ReadonlySet<string> {
    return (this.apps ??= new Set([...this.graph.nodes.values()].filter((n) => n.migration).map((n) => n.key.app)));
  }

  /** How the database names what Django creates without a name (for SQL written by fixes); null when not given. */
  databaseNames(): DatabaseNames | null {
    return this.names;
  }

  /** The release a migration first shipped in (see ProjectViewInput.releases), or null when not known. */
  releaseOf(file: string): string | null {
    return this.input.releases?.get(file) ?? null;
  }

  /** The models of the migration's app in the code of the release before its own (see ProjectViewInput.codeBefore), or null when not known. */
  modelsBefore(file: string): readonly ModelsBefore[] | null {
    if (!this.input.codeBefore || !this.releaseOf(file)) return null;
    if (!this.codeBefore) {
      // Every migration that drops a table or a column, in one reading of the history.
      const asks: Array<{ file: string; release: string }> = [];
      for (const [f, m] of this.byFile) {
        const release = this.releaseOf(f);
        if (release && m.summary.operations.some((op) => op.databaseEffect !== 'none' && (op.args?.kind === 'DeleteModel' || op.args?.kind === 'RemoveField'))) asks.push({ file: f, release });
      }
      this.codeBefore = this.input.codeBefore(asks);
    }
    return this.codeBefore.get(file) ?? null;
  }

  /** The migration a file is, when it is in the project (a replaced file is, but has no node). */
  migration(file: string): GraphMigration | null {
    return this.byFile.get(file) ?? null;
  }

  /** Views of the project that keep one more squash's chain, by the squash's id; null: none (see forFile). */
  private readonly chainViews = new Map<string, ProjectView | null>();

  /**
   * The view that answers questions about `file`: this one, except for a migration a squash
   * replaced. Django runs such a file only on a database that applied part of the chain the squash
   * stands for, and its loader then drops the squash from the graph and keeps the chain
   * (remove_replacement_node); so its questions go to a view of the project that keeps that chain,
   * where its migrations have states of their own (the models before each, not the squash's end
   * state). Built once per squash; only for a chain whose every file is there (with some deleted,
   * no database can run it as written).
   */
  forFile(file: string): ProjectView {
    if (this.node(file)) return this;
    const key = this.keyOf(file);
    const squash = key ? this.graph.replacedBy.get(keyId(key)) : undefined;
    const chain = squash?.migration?.summary.replaces;
    if (!squash || !chain) return this;
    let view = this.chainViews.get(squash.id);
    if (view === undefined) {
      const files = new Set(this.input.migrations.map((m) => `${m.app}.${m.summary.name}`));
      const whole = chain.complete && chain.keys.every((k) => files.has(keyId(k)));
      view = whole ? new ProjectView({ ...this.input, keptChains: new Set([...(this.input.keptChains ?? []), squash.id]) }) : null;
      this.chainViews.set(squash.id, view);
    }
    // The chain's first migrations (an ancestor of every other one) never run: a database that applied
    // any of the chain applied them (and one that applied none runs the squash). Review 61: django CMS
    // `0035`, the first of the two `0035_…_squashed_0036` replaces, is no drop a database ever runs.
    if (!view || view.runsFirstInChain(file, squash.id, chain.keys)) return this;
    // A squash of squashes: the chain's own squash is kept out in turn.
    return view.forFile(file);
  }

  /** Per chain (its squash's id): its migrations that are ancestors of every other one (MigrationGraph.chainHeads). */
  private readonly chainHeads = new Map<string, Set<GraphNode>>();

  /** Whether `file`'s migration is an ancestor of every other migration of the chain `squash` replaced, in this view's graph. */
  private runsFirstInChain(file: string, squash: string, chain: readonly MigrationKey[]): boolean {
    const self = this.node(file);
    if (!self) return false;
    let heads = this.chainHeads.get(squash);
    if (!heads) this.chainHeads.set(squash, (heads = this.graph.chainHeads(chain)));
    return heads.has(self);
  }

  /** The graph node of a file; null when it is not in view or a squashed migration replaced it. */
  node(file: string): GraphNode | null {
    const m = this.byFile.get(file);
    const node = m ? this.graph.nodes.get(keyId(m.key)) : undefined;
    return node?.migration === m ? (node ?? null) : null;
  }

  private ensureCycles(): void {
    if (this.computed) return;
    this.computed = true;
    for (const component of this.graph.cycles()) for (const n of component) this.inCycle.add(n);
  }

  /** The node's same-app parent when it has exactly one (the common, linear case). */
  private singleParent(node: GraphNode): GraphNode | null {
    let parent: GraphNode | null = null;
    for (const p of node.parents) {
      if (p.key.app !== node.key.app) continue;
      if (parent) return null;
      parent = p;
    }
    return parent;
  }

  /**
   * The states after a node, computed on first use: up the chain of single same-app parents to
   * the first node already known (or a root, a merge), then down again — iteratively, so a long
   * history cannot exhaust the stack.
   */
  private compute(node: GraphNode): States | null {
    const known = this.after.get(node) ?? this.recent.get(node);
    if (known) return known;
    if (!node.migration) return null;
    this.ensureCycles();
    const chain: GraphNode[] = [];
    for (let n: GraphNode | null = node; n && n.migration && !this.after.has(n) && !this.recent.has(n); ) {
      chain.push(n);
      const p: GraphNode | null = this.inCycle.has(n) ? null : this.singleParent(n);
      n = p && !this.inCycle.has(p) ? p : null;
    }
    // Replayed from the nearest known state down. Only every CHECKPOINT-th state of a history (and
    // at branch points) is kept: a state in between is a few migrations' replay away.
    let last: States | null = null;
    for (let i = chain.length - 1; i >= 0; i--) {
      const n = chain[i] as GraphNode;
      const m = n.migration as GraphMigration;
      const before: States = i === chain.length - 1 || !last ? this.before(n) : last;
      const ops = m.summary.operations;
      last = {
        state: applyMigration(before.state, ops, m.summary.operationsComplete, 'state'),
        database: applyMigration(before.database, ops, m.summary.operationsComplete, 'database', (t) => this.tableOfOtherApp(n, t)),
        depth: before.depth + 1,
      };
      if (last.depth % CHECKPOINT === 0 || n.children.length > 1) this.after.set(n, last);
    }
    if (last) this.remember(node, last);
    return last;
  }

  /** tableOfOtherApp for a migration file of the view: what a state-only CreateModel of it may take over. */
  adoptsTable(file: string, table: string): boolean {
    const node = this.node(file);
    return !!node && this.tableOfOtherApp(node, table);
  }

  /**
   * Whether a migration of another app that `node` depends on leaves, in the database, a table named `table`:
   * one a state-only CreateModel of `node` then adopts (moving a model between apps).
   */
  private tableOfOtherApp(node: GraphNode, table: string): boolean {
    for (const p of node.parents) {
      if (p.key.app === node.key.app || !p.migration || this.inCycle.has(p)) continue;
      const states = this.compute(p);
      for (const [, entry] of states?.database.models ?? []) {
        if (typeof entry !== 'string' && defaultTable(entry)?.toLowerCase() === table) return true;
      }
    }
    return false;
  }

  private remember(node: GraphNode, states: States): void {
    if (this.recent.size >= RECENT) {
      const oldest = this.recent.keys().next().value;
      if (oldest) this.recent.delete(oldest);
    }
    this.recent.set(node, states);
  }

  /** The app's state before a node: its single same-app parent's, empty for a root, else a replay. */
  private before(node: GraphNode): States {
    const app = node.key.app;
    if (this.inCycle.has(node)) return { state: UNKNOWN_APP(app), database: UNKNOWN_APP(app), depth: 0 };
    const parents = [...node.parents].filter((p) => p.key.app === app);
    if (parents.some((p) => !p.migration || this.inCycle.has(p))) return { state: UNKNOWN_APP(app), database: UNKNOWN_APP(app), depth: 0 };
    if (parents.length === 0) return { state: emptyAppState(app), database: emptyAppState(app), depth: 0 };
    if (parents.length === 1) {
      const p = this.compute(parents[0] as GraphNode);
      return p ?? { state: UNKNOWN_APP(app), database: UNKNOWN_APP(app), depth: 0 };
    }
    // A merge: replay the app's migrations in Django's plan order for this node.
    const memo = this.merged.get(node);
    if (memo) return memo;
    const plan = this.graph.forwardsPlan(node).filter((n) => n !== node && n.key.app === app);
    // Django's plan for a merge starts with a parent's own plan: start from that parent's state
    // (already replayed for its own history) and replay only the other branches, rather than the
    // app's whole history once per merge.
    let start = 0;
    let base: States | null = null;
    for (const p of parents) {
      const own = this.graph.forwardsPlan(p).filter((n) => n.key.app === app);
      if (own.length <= start || own.length > plan.length || !own.every((n, i) => plan[i] === n)) continue;
      const s = this.compute(p);
      if (s) [base, start] = [s, own.length];
    }
    let state = base?.state ?? emptyAppState(app);
    let database = base?.database ?? emptyAppState(app);
    for (const n of plan.slice(start)) {
      if (!n.migration) continue;
      state = applyMigration(state, n.migration.summary.operations, n.migration.summary.operationsComplete, 'state');
      database = applyMigration(database, n.migration.summary.operations, n.migration.summary.operationsComplete, 'database', (t) => this.tableOfOtherApp(n, t));
    }
    const depth = parents.length;
    this.merged.set(node, { state, database, depth });
    return { state, database, depth };
  }

  /** The app's model state just before / after this file's migration; null when not known. */
  stateOf(file: string, when: 'before' | 'after', view: StateView = 'database'): AppState | null {
    const node = this.node(file);
    if (!node) return null;
    this.ensureCycles();
    const s = when === 'before' ? this.before(node) : this.compute(node);
    return s ? s[view] : null;
  }

  /** A model (of the file's own app) before the file's migration: its state, 'absent' or 'unknown'. */
  modelBefore(file: string, model: string, view: StateView = 'database'): ModelEntry {
    const st = this.stateOf(file, 'before', view);
    return st ? modelEntry(st, model) : 'unknown';
  }

  /**
   * Whether a migration a squash replaced names a model its squash's states do not hold (the squash
   * folded it away: pulp_rpm's `0033` moves rows into NewRpmDistribution, which its squash creates as
   * RpmDistribution straight away): nothing is known of it there.
   */
  unknownInSquash(file: string, app: string, model: string): boolean {
    if (this.node(file) || !this.migration(file)) return false;
    const squash = this.squashOf(file);
    return !squash || !(this.models.entriesDuring(squash, app, model)?.length);
  }

  /** The file of the squashed migration that replaced this one, or null. */
  squashOf(file: string): string | null {
    const key = this.keyOf(file);
    return (key ? this.graph.replacedBy.get(keyId(key))?.migration?.file : null) ?? null;
  }

  /** For a migration a squash replaced: the model as the squash leaves it, else unknown. */
  modelAroundSquash(file: string, app: string, model: string): ModelEntry {
    const key = this.keyOf(file);
    const squash = key ? this.graph.replacedBy.get(keyId(key)) : undefined;
    const m = squash?.migration;
    if (!squash || !m) return 'unknown';
    if (squash.key.app === app) {
      const states = this.compute(squash);
      return states ? modelEntry(states.state, model) : 'unknown';
    }
    return this.modelSeenBy(m.file, app, model);
  }

  /**
   * A model as RunPython code in this file sees it through `apps.get_model(app, model)`: for the
   * file's own app, its state after the file's migration (models it creates included); for
   * another app, after that app's last migration this file depends on. 'unknown' when not known.
   */
  modelSeenBy(file: string, app: string, model: string): ModelEntry {
    const node = this.node(file);
    if (!node) return 'unknown';
    if (node.key.app === app) {
      const st = this.stateOf(file, 'after', 'state');
      return st ? modelEntry(st, model) : 'unknown';
    }
    const last = this.graph.forwardsPlan(node).filter((n) => n.key.app === app).pop();
    const states = last ? this.compute(last) : null;
    return states ? modelEntry(states.state, model) : 'unknown';
  }

  /**
   * The apps whose model state the view loses: per app whose state at a leaf is open (an operation
   * that cannot be read statically ran, so any model may have changed), the first of its migrations
   * after which it is, and how many of the app's migrations come after that one. The schema rules say
   * nothing about those: a user should hear so (review 26: tilavarauspalvelu's `NowTT.migration()`
   * in `0014` left 160 later migrations unchecked without a word).
   */
  lostStates(): Array<{ app: string; file: string; after: number; why?: string }> {
    const out: Array<{ app: string; file: string; after: number; why?: string }> = [];
    for (const app of this.appsInView()) {
      const leaves = this.graph.leaves(app);
      if (!leaves.some((leaf) => this.compute(leaf)?.database.open === true)) continue;
      let first: GraphNode | null = null;
      let after = 0;
      for (const node of this.graph.nodes.values()) {
        if (node.key.app !== app || !node.migration || this.compute(node)?.database.open !== true) continue;
        if (this.before(node).database.open) after++;
        else if (!first || node.key.name < first.key.name) first = node;
      }
      if (first?.migration) {
        const why = this.unreadOperation(first.migration);
        out.push({ app, file: first.migration.file, after, ...(why ? { why } : {}) });
      }
    }
    return out.sort((a, b) => a.app.localeCompare(b.app));
  }

  /** The first operation of a migration whose class is not one the replay knows, said with why (for the lost-state note). */
  private unreadOperation(m: GraphMigration): string | null {
    const op = m.summary.operations.find((o) => o.specName === null && !o.stateNeutral);
    if (!op) return null;
    if (op.importedFrom === undefined) return `\`${op.name}\` is no operation the linter knows`;
    const read = this.input.operationClass?.(op.importedFrom, m.file);
    return read?.kind === 'unknown' ? `\`${op.name}\` (${op.importedFrom}): ${read.why}` : `\`${op.name}\` (${op.importedFrom}) was not read`;
  }

  /**
   * Whether a class imported from an app's models module was never a model of that app: the app's
   * state knows no such model where this file's migration runs, nor after any of the app's leaves
   * (casepro's `ContainsTest`, a plain class in `rules/models.py`, review 25). False when the app is
   * not in view or any of those states is not known.
   */
  neverAModel(file: string, app: string, model: string): boolean {
    // Seen as a model here (a file of another app that depends on none of this app's migrations sees nothing: unknown).
    if (!this.appsInView().has(app) || typeof this.modelSeenBy(file, app, model) !== 'string') return false;
    const leaves = this.graph.leaves(app);
    return leaves.length > 0 && leaves.every((leaf) => {
      const states = this.compute(leaf);
      return !!states && modelEntry(states.state, model) === 'absent';
    });
  }

  /** The questions about one model as a migration's code sees it (model-questions.ts). */
  private readonly models = new ModelQuestions(this);

  /** See ModelQuestions.multiTableChild. */
  multiTableChild(file: string, app: string, model: string): boolean {
    return this.models.multiTableChild(file, app, model);
  }

  /** See ModelQuestions.customBases. */
  customBases(file: string, app: string, model: string): string[] {
    return this.models.customBases(file, app, model);
  }

  /** See ModelQuestions.fieldInTheWay. */
  fieldInTheWay(file: string, app: string, model: string): BaseInTheWay | null {
    return this.models.fieldInTheWay(file, app, model);
  }

  /** See ModelQuestions.baseInTheWay. */
  baseInTheWay(file: string, app: string, model: string, kinds?: WriteKinds): BaseInTheWay | null {
    return this.models.baseInTheWay(file, app, model, kinds);
  }

  /**
   * What the class `qualified` of the project's source (today's model `shop.models.Order`, a mixin)
   * and the classes it inherits from define, read from `file`'s project; unknown without its code.
   */
  classWrites(qualified: string, file: string): BaseWrites {
    return this.input.baseWrites?.(qualified, file) ?? { kind: 'unknown', why: 'its code was not read' };
  }

  /** The function `qualified` of the project's source as the migration `file` imports it (imported-code.ts); unknown without its code. */
  importedCode(qualified: string, file: string): ImportedCodeReading {
    // Read as RunPython code of this migration: inside its transaction unless it says `atomic = False`.
    const atomic = this.byFile.get(file)?.summary.atomic !== false;
    return this.input.importedCode?.(qualified, file, atomic, this) ?? { kind: 'unknown', why: 'its code was not read' };
  }

  /** See ModelQuestions.bulkWritesDiffer: what the CLI's plain run asks before linting a file again with the view. */
  bulkWritesDiffer(file: string, app: string, model: string): boolean {
    return this.models.bulkWritesDiffer(file, app, model);
  }

  /** See ModelQuestions.hasManyToMany. */
  hasManyToMany(file: string, app: string, model: string): boolean {
    return this.models.hasManyToMany(file, app, model);
  }

  /** See ModelQuestions.fillsAnotherField. */
  fillsAnotherField(file: string, app: string, model: string): boolean {
    return this.models.fillsAnotherField(file, app, model);
  }

  /** See ModelQuestions.modelFields. */
  modelFields(file: string, app: string, model: string): ModelFields | null {
    return this.models.modelFields(file, app, model);
  }

  /** See ModelQuestions.reverseModel. */
  reverseModel(file: string, app: string, model: string, accessor: string): { app: string; model: string } | null {
    return this.models.reverseModel(file, app, model, accessor);
  }

  /** See ModelQuestions.stampedFields. */
  stampedFields(file: string, app: string, model: string, at?: number): string[] {
    return this.models.stampedFields(file, app, model, at);
  }
  /**
   * Whether the model is swapped out: swappable (`swappable = 'AUTH_USER_MODEL'`, as Spirit's own
   * user model is) while the setting names another model. Django runs no SQL for its operations.
   */
  swappedOut(model: ModelState): boolean {
    const setting = model.options.swappable;
    if (!setting) return false;
    const chosen = ({ AUTH_USER_MODEL: 'auth.User', ...this.input.swappable } as Record<string, string | undefined>)[setting];
    return !!chosen && chosen.toLowerCase() !== `${model.app}.${model.name}`.toLowerCase();
  }

  /** The real table name of a model state (proxies use their concrete parent's), or undefined. */
  tableName(model: ModelState, state?: AppState): string | undefined {
    let m: ModelState = model;
    for (let hops = 0; m.options.proxy === true && hops < 10; hops++) {
      const base = (m.bases ?? []).find((b) => /^[\w]+\.[\w]+$/.test(b) && !b.startsWith('django.'));
      const [app, name] = base ? (base.split('.') as [string, string]) : [];
      if (!app || !name || !state || app !== state.app) return undefined;
      const parent = modelEntry(state, name);
      if (typeof parent === 'string') return undefined;
      m = parent;
    }
    const table = defaultTable(m);
    if (table === undefined || !this.names) return table;
    return truncateName(table, this.names.maxNameLength, this.names.digest);
  }

  /**
   * The table Django makes for a ManyToManyField without `through`: its `db_table`, else
   * `<model table>_<field name>`, shortened as Django shortens names; undefined when it makes none
   * or the name cannot be told.
   */
  joinTableName(model: ModelState, fieldName: string, field: FieldSpec, state?: AppState): string | undefined {
    if (field.relation?.kind !== 'many-to-many' || djangoMadeJoinTable(field.relation) !== true) return undefined;
    const own = field.call?.kwargs['db_table'];
    if (own !== undefined) return own.kind === 'str' ? own.value : undefined;
    const base = this.tableName(model, state);
    if (base === undefined || model.options.proxy === true) return undefined;
    const table = `${base}_${fieldName}`;
    return this.names ? truncateName(table, this.names.maxNameLength, this.names.digest) : table;
  }

  // --- Graph problems, per file ---------------------------------------------------------------

  /** Every leaf of this file's app, when the app has more than one (this file among them). */
  conflictingLeaves(file: string): GraphNode[] | null {
    const node = this.node(file);
    if (!node) return null;
    const leaves = this.graph.conflicts().get(node.key.app);
    return leaves && leaves.includes(node) ? leaves : null;
  }

  unknownDependencies(file: string): UnknownDependency[] {
    return this.graph.unknownDependencies.filter((u) => u.origin.file === file);
  }

  /** The cycle this file's migration is part of, or null. */
  cycle(file: string): GraphNode[] | null {
    const node = this.node(file);
    if (!node) return null;
    return this.graph.cycles().find((c) => c.includes(node)) ?? null;
  }

  keyOf(file: string): MigrationKey | null {
    return this.byFile.get(file)?.key ?? null;
  }

  /** The same project with some files added or changed (a split's parts, its dependants' new text). */
  withChanges(changes: readonly ProjectMigration[]): ProjectView {
    const changed = new Map(changes.map((c) => [c.file, c]));
    const migrations = [...this.input.migrations.filter((m) => !changed.has(m.file)), ...changes];
    return new ProjectView({ ...this.input, migrations });
  }
}

/** The summary with the project's operations that leave the state alone marked so (a new object only when one is). */
function withNeutralOperations(summary: MigrationSummary, ask: (qualified: string) => OperationClassEffect): MigrationSummary {
  const mark = (ops: OperationSummary[]): OperationSummary[] => {
    let changed = false;
    const out = ops.map((op) => {
      const inner = op.stateOperations ? mark(op.stateOperations) : null;
      const neutral = op.specName === null && op.importedFrom !== undefined && ask(op.importedFrom).kind === 'neutral';
      if (!neutral && inner === op.stateOperations) return op;
      changed = true;
      return { ...op, ...(neutral ? { stateNeutral: true as const } : {}), stateOperations: inner };
    });
    return changed ? out : ops;
  };
  const operations = mark(summary.operations);
  return operations === summary.operations ? summary : { ...summary, operations };
}



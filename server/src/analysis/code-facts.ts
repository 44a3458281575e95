/**
 * Walks the code RunPython runs (a function or lambda body, not nested definitions) once and
 * records what the rules need: its loops, the writes inside each loop, the same-file helpers it
 * calls, the lists it hands to bulk_update / bulk_create, and the signs of batching (slices,
 * chunked iterators, id windows, LIMIT, manual commits).
 */
import { calledUnit, type CodeUnit } from './code-flow';
import { blockScope, type Scope } from './scope';
import { callArguments, staticString, unparen, type Node } from './syntax';
import { walkTasks, type Later } from './task-walk';
import { isHistoricalModel, onlyModelsAssigned } from './historical-models';
import { holdsQueryset } from './querysets';
import { heldFromApiClient } from './api-clients';
import { followedByExit, isBatchSlice, memoizedWrite, underSizeCheck } from './write-position';
import { analyseSql } from './sql';
import { classifyWrite, isDml, type WriteKind } from './write-calls';

export { classifyWrite, type WriteKind } from './write-calls';


export interface WriteCall {
  call: Node;
  kind: WriteKind;
  /** The innermost loop around the call, in the unit that makes it. */
  loop?: LoopFacts | null;
  /** Followed by `return` / `break` in the same block: runs at most once per loop. */
  terminal?: boolean;
  /** Its result is kept in a dict under the same `if` (a cache miss): runs once per key, not per row. */
  memoized?: boolean;
  /** The identifier the receiver chain starts from (`order` in `order.items.create()`). */
  receiverRoot?: string | null;
  /** For 'helper': the write inside the helper that makes it one. */
  inner?: WriteCall;
  helper?: CodeUnit;
}

export type LoopKind = 'for' | 'while' | 'comprehension';

export interface LoopFacts {
  node: Node;
  kind: LoopKind;
  /** The `for ... in ...` header node to anchor findings on (for_statement / for_in_clause / while). */
  header: Node;
  iterable: Node | null;
  /** Loop variables. */
  targets: string[];
  /** Writes whose innermost enclosing loop is this one. */
  writes: WriteCall[];
  /** Writes anywhere inside, nested loops included. */
  allWrites: WriteCall[];
  appendsTo: Set<string>;
  hasSlice: boolean;
  hasCommit: boolean;
  hasLimitSql: boolean;
  hasBreak: boolean;
  /** A bulk write guarded by a size check (`if len(batch) >= N:`): flushing accumulated batches. */
  hasSizedFlush: boolean;
  /** Names assigned a new instance in the body (`obj = Model(...)`). */
  constructed: Set<string>;
  parent: LoopFacts | null;
}

/** Schema work done from Python: `schema_editor.alter_db_table(...)`, `execute("ALTER ...")`. */
export interface SchemaCall {
  call: Node;
  /** True for DDL; false for statements that change nothing (PRAGMA, SET, SELECT). */
  ddl: boolean;
}

export interface UnitFacts {
  unit: CodeUnit;
  loops: LoopFacts[];
  /** Identifiers passed as the first argument of bulk_update / bulk_create anywhere in the unit. */
  bulkArguments: Map<string, Node[]>;
  /** Same-file helpers called, with the loop they are called from. */
  helperCalls: Array<{ call: Node; target: CodeUnit; loop: LoopFacts | null }>;
  /** Writes outside any loop. */
  directWrites: WriteCall[];
  /** Local names bound once in the body (to resolve `rows = [...]; for r in rows`). */
  locals: Scope;
  /** Batching signs outside any loop (a helper called once per batch). */
  hasSlice: boolean;
  hasLimitSql: boolean;
  hasCommit: boolean;
  /** Calls itself (batching by recursion). */
  selfRecursive: boolean;
  schemaCalls: SchemaCall[];
  /** Calls whose effect cannot be known statically (imported functions, call_command, ...), each with the loop it is made in. */
  opaqueSites: Array<{ call: Node; loop: LoopFacts | null }>;
}

const NESTED_SCOPES = new Set(['function_definition', 'class_definition', 'lambda', 'decorated_definition']);
const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);
/** Nodes with nothing inside that a visit looks at: their children are not walked (most nodes of a body). */
const LEAVES = new Set(['identifier', 'integer', 'float', 'true', 'false', 'none', 'comment', 'string_content', 'escape_sequence', 'string_start', 'string_end', 'pass_statement', 'continue_statement', 'ellipsis']);

function identifiersIn(node: Node | null): string[] {
  if (!node) return [];
  if (node.type === 'identifier') return [node.text];
  return node.descendantsOfType('identifier').map((n) => n.text);
}

/** True when `inner` is `outer` or nested in it. */
export function loopWithin(inner: LoopFacts | null | undefined, outer: LoopFacts): boolean {
  for (let l = inner ?? null; l; l = l.parent) if (l === outer) return true;
  return false;
}

export const PER_ROW_WRITES: ReadonlySet<WriteKind> = new Set(['save', 'delete', 'create', 'link', 'helper']);

/**
 * Memoises unit facts for one tree. Node objects are not stable identities in web-tree-sitter,
 * so the cache keys on node ids, which are unique within one tree only: one index per analysis.
 */
export class CodeIndex {
  private readonly cache = new Map<number, UnitFacts>();

  facts(unit: CodeUnit): UnitFacts {
    let f = this.cache.get(unit.node.id);
    if (!f) {
      f = computeFacts(unit);
      this.cache.set(unit.node.id, f);
    }
    return f;
  }

  /** A per-row write a helper performs on every call (outside its own loops), following helpers. */
  helperRowWrite(target: CodeUnit, seen: Set<number> = new Set()): WriteCall | null {
    if (seen.has(target.node.id) || seen.size > 16) return null;
    seen.add(target.node.id);
    const facts = this.facts(target);
    // Not a link: inside a helper, `post.tags.add(t)` and a set kept on a parameter (`state.seen.add(x)`)
    // look the same; the rule charges links only to rows a loop walks.
    const direct = facts.directWrites.find((w) => PER_ROW_WRITES.has(w.kind) && w.kind !== 'link');
    if (direct) return direct;
    for (const h of facts.helperCalls) {
      if (h.loop) continue;
      const inner = this.helperRowWrite(h.target, seen);
      if (inner) return inner;
    }
    return null;
  }

  /** The units reachable from `start` through same-file helper calls (start first). */
  reachable(start: CodeUnit, limit = 64): UnitFacts[] {
    const out: UnitFacts[] = [];
    const seen = new Set<number>();
    const queue: CodeUnit[] = [start];
    while (queue.length > 0 && out.length < limit) {
      const u = queue.shift() as CodeUnit;
      if (seen.has(u.node.id)) continue;
      seen.add(u.node.id);
      const f = this.facts(u);
      out.push(f);
      for (const h of f.helperCalls) queue.push(h.target);
    }
    return out;
  }
}

const SCHEMA_EDITOR_METHODS = new Set([
  'alter_db_table', 'alter_db_table_comment', 'alter_db_tablespace', 'add_field', 'remove_field', 'alter_field',
  'create_model', 'delete_model', 'add_index', 'remove_index', 'rename_index', 'add_constraint', 'remove_constraint',
  'alter_unique_together', 'alter_index_together',
]);

/** Schema work a call does from Python, or null. */
function classifySchemaCall(call: Node): SchemaCall | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return null;
  const method = fn.childForFieldName('attribute')?.text ?? '';
  const receiver = fn.childForFieldName('object')?.text ?? '';
  if (SCHEMA_EDITOR_METHODS.has(method) && /schema_editor|editor/.test(receiver)) return { call, ddl: true };
  if (method === 'execute' || method === 'executemany') {
    const first = callArguments(call).positional[0];
    const sql = first ? staticString(first) : null;
    if (!sql || isDml(sql.text)) return null;
    const cls = analyseSql(sql.text).map((st) => st.cls);
    if (cls.length === 0 || cls.some((c) => c === 'dml' || c === 'unknown')) return null;
    return { call, ddl: cls.some((c) => c === 'ddl-existing' || c === 'ddl-new') };
  }
  return null;
}

/** Where the receiver chain of a method call starts: `order` in `order.items.create()`. */
function receiverRoot(call: Node): string | null {
  let n: Node | null = call.childForFieldName('function')?.childForFieldName('object') ?? null;
  while (n) {
    n = unparen(n);
    if (n.type === 'identifier') return n.text;
    if (n.type === 'attribute') n = n.childForFieldName('object');
    else if (n.type === 'call') n = n.childForFieldName('function');
    else if (n.type === 'subscript') n = n.childForFieldName('value');
    else return null;
  }
  return null;
}

const EXCEPTION_CLASS = /^(?:[A-Z]\w*)?(?:Error|Exception|Warning)$/;
const OPAQUE_OK = /^(apps\.get_model|print|len|str|int|list|dict|set|tuple|range|enumerate|zip|sorted|getattr|setattr|hasattr|isinstance|super|min|max|any|all|bool|float|format|repr|sum|iter|next|map|filter|reversed|open|json\.\w+|logging\.\w+|logger\.\w+|time\.\w+|datetime\.\w+|timezone\.\w+|re\.\w+|math\.\w+|uuid\.\w+)$/;

function computeFacts(unit: CodeUnit): UnitFacts {
  const body = unit.node.childForFieldName('body');
  const locals = body && body.type === 'block' ? blockScope(body, unit.scope) : unit.scope;
  const facts: UnitFacts = {
    unit,
    loops: [],
    bulkArguments: new Map(),
    helperCalls: [],
    directWrites: [],
    locals,
    hasSlice: false,
    hasLimitSql: false,
    hasCommit: false,
    selfRecursive: false,
    schemaCalls: [],
    opaqueSites: [],
  };
  if (body) visit(body, null, facts, { ...unit, scope: locals });
  return facts;
}

function record(write: WriteCall, loop: LoopFacts | null, facts: UnitFacts): void {
  write.loop = loop;
  if (!loop) {
    facts.directWrites.push(write);
    return;
  }
  loop.writes.push(write);
  for (let l: LoopFacts | null = loop; l; l = l.parent) l.allWrites.push(write);
}

/** What a database commit is called on: `transaction`, a connection (`schema_editor.connection`, `conn`), a cursor's. */
const COMMITTER = /(?:^|\.)(?:transaction|connection|conn|cnx|db|cursor|connections\[[^\]]+\])$/;

function markUp(loop: LoopFacts | null, key: 'hasSlice' | 'hasCommit' | 'hasLimitSql', facts: UnitFacts): void {
  if (!loop) facts[key] = true;
  for (let l = loop; l; l = l.parent) l[key] = true;
}

function newLoop(node: Node, kind: LoopKind, header: Node, iterable: Node | null, targets: string[], parent: LoopFacts | null): LoopFacts {
  return { node, kind, header, iterable, targets, writes: [], allWrites: [], appendsTo: new Set(), hasSlice: false, hasCommit: false, hasLimitSql: false, hasBreak: false, hasSizedFlush: false, constructed: new Set(), parent };
}

interface VisitItem {
  node: Node;
  loop: LoopFacts | null;
}

const at = (node: Node | null | undefined, loop: LoopFacts | null): VisitItem | null => (node ? { node, loop } : null);

/** The node types visitOne acts on; every other node it only walks through. */
const ACTIVE = ['for_statement', 'while_statement', ...COMPREHENSIONS, 'call', 'subscript', 'break_statement', 'assignment', 'augmented_assignment'];

/**
 * Walks `root` in source order, without recursion (see task-walk.ts); deferred steps keep the order
 * loops are recorded in. A subtree with no node of an ACTIVE type is not walked at all: visiting it
 * would do nothing, and most of a body is such subtrees (about one node in fifteen is active), each
 * node of which costs the walk an object. Where the active nodes are is asked of the tree once.
 */
function visit(root: Node, rootLoop: LoopFacts | null, facts: UnitFacts, unit: CodeUnit): void {
  // In document order, so sorted by start.
  const starts = root.descendantsOfType(ACTIVE).map((n) => n.startIndex);
  const holdsActive = (node: Node): boolean => {
    const from = node.startIndex;
    if (from === node.endIndex) return true;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((starts[mid] as number) < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length && (starts[lo] as number) < node.endIndex;
  };
  walkTasks<VisitItem>({ node: root, loop: rootLoop }, ({ node, loop }, later) => {
    if (node === root || holdsActive(node)) visitOne(node, loop, facts, unit, later);
  });
}

function visitOne(node: Node, loop: LoopFacts | null, facts: UnitFacts, unit: CodeUnit, later: Later<VisitItem>): void {
  const t = node.type;
  if (NESTED_SCOPES.has(t)) return;
  if (t === 'for_statement') {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    later(at(right, loop), () => {
      const l = newLoop(node, 'for', node, right, identifiersIn(left), loop);
      facts.loops.push(l);
      later(at(node.childForFieldName('body'), l), at(node.childForFieldName('alternative'), loop));
    });
    return;
  }
  if (t === 'while_statement') {
    const l = newLoop(node, 'while', node, null, [], loop);
    facts.loops.push(l);
    later(at(node.childForFieldName('condition'), l), at(node.childForFieldName('body'), l));
    return;
  }
  if (COMPREHENSIONS.has(t)) {
    const clauses = node.namedChildren.filter((c) => c.type === 'for_in_clause');
    const first = clauses[0];
    const iterable = first?.childForFieldName('right') ?? null;
    later(at(iterable, loop), () => {
      const l = newLoop(node, 'comprehension', first ?? node, iterable, identifiersIn(first?.childForFieldName('left') ?? null), loop);
      facts.loops.push(l);
      later(...node.namedChildren.map((child) => (child === first || child.id === first?.id ? at(child.childForFieldName('left'), l) : at(child, l))));
    });
    return;
  }
  if (t === 'call') {
    onCall(node, loop, facts, unit);
  } else if (t === 'subscript') {
    if (isBatchSlice(node, (name) => boundByLoop(name, loop))) markUp(loop, 'hasSlice', facts);
  } else if (t === 'break_statement') {
    if (loop) loop.hasBreak = true;
    return;
  } else if (LEAVES.has(t)) {
    return;
  } else if (t === 'assignment' && loop) {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
    if (left?.type === 'identifier' && fn && (/^[A-Z]/.test(fn.text.split('.').pop() ?? '') || (fn.type === 'identifier' && (isHistoricalModel(fn.text, unit.scope) || onlyModelsAssigned(fn.text, unit.node))))) {
      loop.constructed.add(left.text);
    }
  } else if (t === 'augmented_assignment' && loop) {
    const left = node.childForFieldName('left');
    if (left?.type === 'identifier' && node.childForFieldName('operator')?.text === '+=') {
      const right = node.childForFieldName('right');
      if (right && (right.type === 'list' || right.type === 'tuple')) loop.appendsTo.add(left.text);
    }
  }
  later(...node.namedChildren.map((child) => at(child, loop)));
}

/** Whether `loop` or a loop around it binds `name` for each item. */
export function boundByLoop(name: string, loop: LoopFacts | null): boolean {
  for (let l = loop; l; l = l.parent) if (l.targets.includes(name)) return true;
  return false;
}

function onCall(call: Node, loop: LoopFacts | null, facts: UnitFacts, unit: CodeUnit): void {
  const fn = call.childForFieldName('function');
  if (!fn) return;
  let kind = classifyWrite(call);
  if (kind === 'delete') {
    // `to_delete = Tag.objects.filter(…)` … `to_delete.delete()`: a queryset delete, one statement.
    const receiver = fn.type === 'attribute' ? unparen(fn.childForFieldName('object') as Node) : null;
    if (receiver?.type === 'identifier' && holdsQueryset(receiver.text, unit.node)) kind = 'queryset-delete';
  }
  if (kind === 'delete' || kind === 'save') {
    // `plan = stripe.Plan.retrieve(…)`, `plan.delete()`: the service's object, not a row (api-clients.ts).
    const receiver = fn.type === 'attribute' ? unparen(fn.childForFieldName('object') as Node) : null;
    if (receiver?.type === 'identifier' && heldFromApiClient(receiver.text, unit.node, unit.scope)) kind = null;
  }
  if (kind) {
    record({ call, kind, terminal: loop ? followedByExit(call, loop.node) : false, memoized: loop ? memoizedWrite(call, loop.node) : false, receiverRoot: receiverRoot(call) }, loop, facts);
    if (kind === 'bulk') {
      const first = callArguments(call).positional[0];
      for (const id of identifiersIn(first ?? null)) {
        const calls = facts.bulkArguments.get(id);
        if (calls) calls.push(call);
        else facts.bulkArguments.set(id, [call]);
      }
    }
    if ((kind === 'bulk' || kind === 'update' || kind === 'queryset-delete' || kind === 'sql') && loop && underSizeCheck(call, loop.node)) {
      loop.hasSizedFlush = true;
    }
    if (kind === 'sql') {
      const first = callArguments(call).positional[0];
      if (first && /\bLIMIT\b/i.test(first.text)) markUp(loop, 'hasLimitSql', facts);
      // `DELETE …; DROP TABLE …; ALTER TABLE … RENAME …` in one string: schema work as well as data (review 60:
      // taiga `history/0011` swaps a table so, in the transaction of its data copy).
      const sql = first ? staticString(first) : null;
      if (sql && analyseSql(sql.text).some((st) => st.cls === 'ddl-existing')) facts.schemaCalls.push({ call, ddl: true });
    }
    return;
  }
  const schema = classifySchemaCall(call);
  if (schema) {
    facts.schemaCalls.push(schema);
    return;
  }
  if (fn.type === 'attribute') {
    const method = fn.childForFieldName('attribute')?.text;
    const obj = fn.childForFieldName('object');
    if ((method === 'append' || method === 'extend' || method === 'add') && obj?.type === 'identifier' && loop) {
      for (let l: LoopFacts | null = loop; l; l = l.parent) l.appendsTo.add(obj.text);
    } else if (method === 'commit' && COMMITTER.test(obj?.text ?? '')) {
      // `transaction.commit()`, `connection.commit()` — not a commit object of another API
      // (`repo_api.commit(sha)`, github3: review 29, MetaDeploy `0087`).
      markUp(loop, 'hasCommit', facts);
    } else if ((method === 'execute' || method === 'executemany') && /\bLIMIT\b/i.test(callArguments(call).positional[0]?.text ?? '')) {
      markUp(loop, 'hasLimitSql', facts);
    }
  } else if (fn.type === 'identifier' && fn.text === 'commit') {
    markUp(loop, 'hasCommit', facts);
  }
  const target = calledUnit(call, unit);
  if (target && target.node.id !== unit.node.id) facts.helperCalls.push({ call, target, loop });
  else if (target) facts.selfRecursive = true;
  // An exception built to raise (`RuntimeError(msg)`, an imported `CommandError(…)`) writes nothing.
  else if (fn.type === 'identifier' && EXCEPTION_CLASS.test(fn.text)) return;
  // Whatever its name, a class called to be raised (`raise ImproperlyConfigured(…)`: review 56, janeway `core/0047`).
  else if (fn.type === 'identifier' && call.parent?.type === 'raise_statement') return;
  else if (fn.type === 'identifier' && ((!OPAQUE_OK.test(fn.text) && !unit.scope.has(fn.text)) || unit.scope.lookup(fn.text)?.kind === 'import')) facts.opaqueSites.push({ call, loop });
}

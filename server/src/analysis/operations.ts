/**
 * Resolves a Migration's `operations` to a list of classified operations: literal lists and
 * tuples, `+` concatenation, `+=` / `append` / `extend` in the class body, conditionals (both arms,
 * marked as exclusive), comprehensions, names bound in the file, helpers that `return` a list, and
 * SeparateDatabaseAndState's `database_operations`. What cannot be resolved marks the result
 * incomplete and contributes nothing.
 */
import type { CallableTarget } from './code-flow';
import type { ArgsCache } from './args-cache';
import type { ValueInterner } from './interner';
import { buildOperation, type WrapperReturn } from './operation-build';
import type { OperationArgs } from './operation-args';
import type { OperationSpec } from './operation-catalog';
import { blockScope, Scope } from './scope';
import type { SqlValue } from './sql-arguments';
import {
  argument,
  callArguments,
  dottedName,
  isNoneLiteral,
  sequenceElements,
  unparen,
  type Node,
} from './syntax';
import type { DatabaseVendor } from './target-database';
import { armsNotRunOn } from './vendor-branch';

/** One arm of a conditional the operation sits in: operations in different arms never co-occur. */
export interface BranchStep {
  id: number;
  arm: 0 | 1;
  /** Backends this arm certainly does not run on (`if 'sqlite3' in db_engine:`), when its test says so. */
  notOn?: DatabaseVendor[];
}

/** The step for one arm, with the backends it does not run on when there are any. */
function arm(id: number, which: 0 | 1, notOn: DatabaseVendor[] | undefined): BranchStep {
  return notOn && notOn.length > 0 ? { id, arm: which, notOn } : { id, arm: which };
}

export interface RunPythonInfo {
  code: Node | null;
  reverse: Node | null;
  /** 'absent' (not passed), 'none' (passed as None) or 'present'. */
  reverseState: 'absent' | 'none' | 'present';
  forward: CallableTarget;
  reverseTarget: CallableTarget | null;
  /** RunPython(..., atomic=...) when given as a literal. */
  atomicArg: boolean | null;
}

export type { SqlValue };

export interface RunSqlInfo {
  sql: SqlValue | null;
  reverse: SqlValue | null;
  /** The reverse_sql argument as written (an explicit None included), or null when absent. */
  reverseNode: Node | null;
  reverseState: 'absent' | 'none' | 'present';
}

export interface Operation {
  call: Node;
  callee: Node;
  /** The name as written (`AddField`, `RunPython`, a same-file subclass name, ...). */
  name: string;
  /** The catalog operation it is or derives from, or null when unknown. */
  spec: OperationSpec | null;
  specName: string | null;
  branches: BranchStep[];
  /** False when it comes from a comprehension over something that may be empty. */
  certain: boolean;
  /** The SeparateDatabaseAndState it sits in (database_operations), if any. */
  container: Operation | null;
  /** Arguments can be read with the catalog's meaning (no splats, no overridden __init__). */
  argumentsReliable: boolean;
  /** Does real work on the data (RunPython with a body, RunSQL with DML). */
  isData: boolean;
  /** Changes the schema (DDL). */
  isSchema: boolean;
  /** Model (lower-case) whose table this schema change touches, if known. */
  targetModel: string | null;
  /** Tables (lower-case, as written) that RunSQL's DDL alters. */
  sqlTables: string[];
  /** Lower-case name of a model this operation creates a table for. */
  createsModel: string | null;
  /** Touches a table that may have existed before this migration. */
  touchesExistingTable: boolean;
  /** Why PostgreSQL refuses this inside a transaction, or null. */
  nonTransactional: string | null;
  /** The same for the reverse SQL (a rollback PostgreSQL would refuse). */
  reverseNonTransactional: string | null;
  runPython: RunPythonInfo | null;
  runSql: RunSqlInfo | null;
  /** The arguments read with Django's parameter names and meaning (computed on first use). */
  readonly args: OperationArgs | null;
  /**
   * SeparateDatabaseAndState's and RunSQL's `state_operations`, which change only Django's model
   * state; null when absent or not statically readable (see `stateOperationsComplete`).
   */
  stateOperations: Operation[] | null;
  stateOperationsComplete: boolean;
  /** What it does to the database: as its catalog entry says, nothing (a state-only subclass), or unknown code. */
  databaseEffect: 'normal' | 'none' | 'custom';
  /** A same-file subclass overriding state_forwards. */
  customState: boolean;
  /**
   * Where the call goes through a same-file wrapper (`run_python(code=f)` whose body returns
   * `migrations.RunPython(*args, **kwargs)`): the callee of the call it returns, which names the class.
   */
  classCallee?: Node;
}

export interface ResolvedOperations {
  statement: Node | null;
  literal: Node | null;
  operations: Operation[];
  complete: boolean;
}

export interface Context {
  cache: ArgsCache | null;
  /** Shares equal calls across files; with the file's imports. */
  shared: { interner: ValueInterner; imports: string } | null;
  /** The Migration class body's scope: arguments read there may be cached by their text. */
  classScope: Scope;
  scope: Scope;
  moduleScope: Scope;
  ops: Operation[];
  complete: boolean;
  depth: number;
}

/** Reads the class body's statements that build `operations`, in order. */
export function resolveOperations(body: Node, classScope: Scope, cache: ArgsCache | null = null, shared: Context['shared'] = null): ResolvedOperations {
  const ctx: Context = { cache, shared, classScope, scope: classScope, moduleScope: classScope.parent ?? classScope, ops: [], complete: true, depth: 0 };
  let statement: Node | null = null;
  let literal: Node | null = null;
  let assignments = 0;
  const visitBlock = (block: Node, branches: BranchStep[]) => {
    for (const stmt of block.namedChildren) {
      if (stmt.type === 'expression_statement') {
        const e = stmt.firstNamedChild;
        if (!e) continue;
        if (e.type === 'assignment' && e.childForFieldName('left')?.text === 'operations') {
          const right = e.childForFieldName('right');
          if (branches.length === 0) {
            ctx.ops = [];
            ctx.complete = true;
          }
          assignments++;
          statement = stmt;
          literal = right && sequenceElements(right) ? unparen(right) : null;
          if (right) collect(right, ctx, branches, true, null);
        } else if (e.type === 'augmented_assignment' && e.childForFieldName('left')?.text === 'operations') {
          const right = e.childForFieldName('right');
          literal = null;
          if (right) collect(right, ctx, branches, true, null);
        } else if (e.type === 'call') {
          const fn = e.childForFieldName('function');
          const name = fn ? dottedName(fn) : null;
          const args = callArguments(e);
          if (name === 'operations.append' && args.positional[0]) {
            literal = null;
            collectElement(args.positional[0], ctx, branches, true, null);
          } else if (name === 'operations.extend' && args.positional[0]) {
            literal = null;
            collect(args.positional[0], ctx, branches, true, null);
          } else if (name?.startsWith('operations.')) {
            literal = null;
            ctx.complete = false; // insert, pop, remove, sort: order no longer known
          }
        }
      } else if (stmt.type === 'if_statement') {
        literal = null;
        const id = stmt.id;
        const consequence = stmt.childForFieldName('consequence');
        const alternatives = stmt.childrenForFieldName('alternative');
        const notOn = armsNotRunOn([stmt.childForFieldName('condition'), ...alternatives.map((alt) => (alt.type === 'elif_clause' ? alt.childForFieldName('condition') : null))], ctx.scope);
        if (consequence) visitBlock(consequence, [...branches, arm(id, 0, notOn[0])]);
        alternatives.forEach((alt, i) => {
          const b = alt.childForFieldName('body') ?? alt.childForFieldName('consequence');
          if (b) visitBlock(b, [...branches, arm(id, 1, notOn[i + 1])]);
        });
      }
    }
  };
  visitBlock(body, []);
  if (assignments > 1) literal = null;
  return { statement, literal, operations: ctx.ops, complete: ctx.complete };
}

function collect(expr: Node, ctx: Context, branches: BranchStep[], certain: boolean, container: Operation | null): void {
  if (ctx.depth > 12) {
    ctx.complete = false;
    return;
  }
  ctx.depth++;
  try {
    const n = unparen(expr);
    const elements = sequenceElements(n);
    if (elements) {
      for (const el of elements) collectElement(el, ctx, branches, certain, container);
      return;
    }
    switch (n.type) {
      case 'binary_operator': {
        if (n.childForFieldName('operator')?.text === '+') {
          // `a + b + c + ...` nests to the left; walk the spine iteratively, not recursively.
          const operands: Node[] = [];
          let cur: Node | null = n;
          while (cur && cur.type === 'binary_operator' && cur.childForFieldName('operator')?.text === '+') {
            const right = cur.childForFieldName('right');
            if (right) operands.push(right);
            cur = cur.childForFieldName('left');
            cur = cur ? unparen(cur) : null;
          }
          if (cur) operands.push(cur);
          for (const operand of operands.reverse()) collect(operand, ctx, branches, certain, container);
          return;
        }
        break;
      }
      case 'conditional_expression': {
        const [a, cond, b] = n.namedChildren;
        if (a && b) {
          const notOn = armsNotRunOn([cond ?? null, null], ctx.scope);
          collect(a, ctx, [...branches, arm(n.id, 0, notOn[0])], certain, container);
          collect(b, ctx, [...branches, arm(n.id, 1, notOn[1])], certain, container);
          return;
        }
        break;
      }
      case 'list_comprehension':
      case 'generator_expression': {
        const body = n.childForFieldName('body');
        const clause = n.namedChildren.find((c) => c.type === 'for_in_clause');
        const iterable = clause?.childForFieldName('right');
        const target = clause?.childForFieldName('left');
        const single = n.namedChildren.filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause').length === 1;
        if (!body) return;
        // `[RunSQL(s) for s in LITERAL]`: one operation per element, with the loop variable bound.
        const elements = iterable && single && target?.type === 'identifier' ? literalElements(iterable, ctx.scope) : null;
        if (elements && target) {
          const saved = ctx.scope;
          for (const element of elements) {
            ctx.scope = new Scope(saved);
            ctx.scope.bind(target.text, { kind: 'value', node: element }, true);
            collectElement(body, ctx, branches, certain, container);
          }
          ctx.scope = saved;
          return;
        }
        const nonEmpty = !!iterable && isNonEmptyLiteral(iterable, ctx.scope);
        collectElement(body, ctx, branches, certain && nonEmpty && single, container);
        return;
      }
      case 'identifier': {
        const b = ctx.scope.lookup(n.text);
        if (b?.kind === 'value') {
          collect(b.node, ctx, branches, certain, container);
          return;
        }
        break;
      }
      case 'call': {
        const fn = n.childForFieldName('function');
        const fname = fn ? dottedName(fn) : null;
        const args = callArguments(n);
        if ((fname === 'list' || fname === 'tuple') && args.positional[0]) {
          collect(args.positional[0], ctx, branches, certain, container);
          return;
        }
        if (fn?.type === 'identifier') {
          const b = ctx.scope.lookup(fn.text);
          const returned = b?.kind === 'function' ? singleReturn(b.node) : null;
          if (returned && b) {
            const saved = ctx.scope;
            const fbody = b.node.childForFieldName('body');
            ctx.scope = fbody ? blockScope(fbody, ctx.moduleScope) : saved;
            collect(returned, ctx, branches, certain, container);
            ctx.scope = saved;
            return;
          }
        }
        break;
      }
      default:
        break;
    }
    ctx.complete = false;
  } finally {
    ctx.depth--;
  }
}

function collectElement(el: Node, ctx: Context, branches: BranchStep[], certain: boolean, container: Operation | null): void {
  const n = unparen(el);
  if (n.type === 'comment') return;
  if (n.type === 'list_splat') {
    const inner = n.firstNamedChild;
    if (inner) collect(inner, ctx, branches, certain, container);
    return;
  }
  if (n.type === 'conditional_expression') {
    const [a, cond, b] = n.namedChildren;
    if (a && b) {
      const notOn = armsNotRunOn([cond ?? null, null], ctx.scope);
      collectElement(a, ctx, [...branches, arm(n.id, 0, notOn[0])], certain, container);
      collectElement(b, ctx, [...branches, arm(n.id, 1, notOn[1])], certain, container);
      return;
    }
  }
  if (n.type === 'call') {
    if (collectThroughWrapper(n, ctx, branches, certain, container)) return;
    const op = buildOperation(n, ctx, branches, certain, container);
    if (op) {
      pushOperation(op, ctx, certain);
      return;
    }
  }
  if (n.type === 'identifier') {
    const b = ctx.scope.lookup(n.text);
    if (b?.kind === 'value') {
      collectElement(b.node, ctx, branches, certain, container);
      return;
    }
  }
  ctx.complete = false;
}

/**
 * A call of a same-file function that hands back an operation: `def run_python(*args, **kwargs)`
 * returning `migrations.RunPython(*args, **kwargs)`, and on a second path perhaps another operation
 * made without arguments (acceslibre's `OperationIgnoredInTest()` when settings.TEST). Each returned
 * operation is read at the call, on an arm of its own when there are two; the arguments are the
 * call's, passed on. False (nothing collected) for any other shape, or when an operation made without
 * the call's arguments is one whose arguments matter (a known class).
 */
function collectThroughWrapper(call: Node, ctx: Context, branches: BranchStep[], certain: boolean, container: Operation | null): boolean {
  const fn = call.childForFieldName('function');
  const b = fn?.type === 'identifier' ? ctx.scope.lookup(fn.text) : null;
  const returns = b?.kind === 'function' ? wrapperReturns(b.node) : null;
  if (!returns) return false;
  const ops: Operation[] = [];
  for (const [i, ret] of returns.entries()) {
    const op = buildOperation(call, ctx, returns.length === 2 ? [...branches, arm(call.id, i === 0 ? 0 : 1, undefined)] : branches, certain, container, ret);
    if (!op || (!ret.forwards && op.spec !== null)) return false;
    ops.push(op);
  }
  for (const op of ops) pushOperation(op, ctx, certain);
  return true;
}

/** Adds an operation read at its call, then SeparateDatabaseAndState's database side and the state side it holds. */
function pushOperation(op: Operation, ctx: Context, certain: boolean): void {
  ctx.ops.push(op);
  if (op.specName === 'SeparateDatabaseAndState' && op.argumentsReliable) {
    const db = argument(callArguments(op.call), 'database_operations', 0);
    if (db && !isNoneLiteral(db)) collect(db, ctx, op.branches, certain, op);
  }
  if (op.specName === 'SeparateDatabaseAndState' || op.specName === 'RunSQL') collectStateOperations(op, ctx, op.branches, certain);
}

/** The one or two calls a `def f(*args, **kwargs)` returns, each passing those on or taking no arguments; null otherwise. */
function wrapperReturns(def: Node): WrapperReturn[] | null {
  const params = def.childForFieldName('parameters')?.namedChildren ?? [];
  const [star, stars] = params;
  if (params.length !== 2 || star?.type !== 'list_splat_pattern' || stars?.type !== 'dictionary_splat_pattern') return null;
  const starName = star.firstNamedChild?.text;
  const starsName = stars.firstNamedChild?.text;
  const out: WrapperReturn[] = [];
  const walk = (block: Node | null): boolean => {
    for (const stmt of block?.namedChildren ?? []) {
      if (stmt.type === 'return_statement') {
        const value = stmt.firstNamedChild ? unparen(stmt.firstNamedChild) : null;
        const args = value?.type === 'call' ? value.childForFieldName('arguments') : null;
        if (!value || args?.type !== 'argument_list') return false;
        const [a, k] = args.namedChildren;
        const forwards = args.namedChildCount === 2 && a?.type === 'list_splat' && a.firstNamedChild?.text === starName && k?.type === 'dictionary_splat' && k.firstNamedChild?.text === starsName;
        if (!forwards && args.namedChildCount > 0) return false;
        out.push({ call: value, forwards });
      } else if (stmt.type === 'if_statement') {
        if (!walk(stmt.childForFieldName('consequence'))) return false;
        for (const alt of stmt.childrenForFieldName('alternative')) if (!walk(alt.childForFieldName('body') ?? alt.childForFieldName('consequence'))) return false;
      } else if (!['expression_statement', 'comment', 'pass_statement'].includes(stmt.type)) return false;
    }
    return true;
  };
  return walk(def.childForFieldName('body')) && out.length >= 1 && out.length <= 2 ? out : null;
}

/** Reads `state_operations` into `op.stateOperations`; they never join the database-side list. */
function collectStateOperations(op: Operation, ctx: Context, branches: BranchStep[], certain: boolean): void {
  if (!op.argumentsReliable) {
    op.stateOperationsComplete = false;
    return;
  }
  const position = op.specName === 'RunSQL' ? 2 : 1;
  const node = argument(callArguments(op.call), 'state_operations', position);
  if (!node || isNoneLiteral(node)) {
    op.stateOperations = [];
    return;
  }
  const sub: Context = { cache: ctx.cache, shared: ctx.shared, classScope: ctx.classScope, scope: ctx.scope, moduleScope: ctx.moduleScope, ops: [], complete: true, depth: ctx.depth };
  collect(node, sub, branches, certain, null);
  op.stateOperations = sub.ops;
  op.stateOperationsComplete = sub.complete;
}

function singleReturn(def: Node): Node | null {
  const body = def.childForFieldName('body');
  if (!body) return null;
  const returns = body.namedChildren.filter((s) => s.type === 'return_statement');
  if (returns.length !== 1) return null;
  return returns[0]?.firstNamedChild ?? null;
}

/** The elements of a list/tuple literal, directly or through a name bound to one. */
function literalElements(node: Node, scope: Scope, depth = 0): Node[] | null {
  const n = unparen(node);
  const elements = sequenceElements(n);
  if (elements) return elements;
  if (n.type === 'identifier' && depth < 4) {
    const b = scope.lookup(n.text);
    return b?.kind === 'value' ? literalElements(b.node, scope, depth + 1) : null;
  }
  return null;
}

function isNonEmptyLiteral(node: Node, scope: Scope): boolean {
  const n = unparen(node);
  const elements = sequenceElements(n);
  if (elements) return elements.length > 0;
  if (n.type === 'dictionary') return n.namedChildCount > 0;
  if (n.type === 'identifier') {
    const b = scope.lookup(n.text);
    return b?.kind === 'value' ? isNonEmptyLiteral(b.node, scope) : false;
  }
  return false;
}

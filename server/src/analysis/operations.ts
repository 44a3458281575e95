/**
 * Resolves a Migration's `operations` to a list of classified operations: literal lists and
 * tuples, `+` concatenation, `+=` / `append` / `extend` in the class body, conditionals (both arms,
 * marked as exclusive), comprehensions, names bound in the file, helpers that `return` a list, and
 * SeparateDatabaseAndState's `database_operations`. What cannot be resolved marks the result
 * incomplete and contributes nothing.
 */
import { resolveCallable, type CallableTarget } from './code-flow';
import { OPERATION_CATALOG, type OperationSpec } from './operation-catalog';
import { blockScope, type Scope } from './scope';
import { analyseSql, ddlTable, type SqlStatement } from './sql';
import {
  argument,
  callArguments,
  calleeSimpleName,
  dottedName,
  isNoneLiteral,
  sequenceElements,
  staticString,
  unparen,
  type CallArguments,
  type Node,
  type StaticString,
} from './syntax';

/** One arm of a conditional the operation sits in: operations in different arms never co-occur. */
export interface BranchStep {
  id: number;
  arm: 0 | 1;
}

export interface SqlValue {
  node: Node;
  /** 'noop' for RunSQL.noop / '' ; 'unknown' when not statically readable. */
  state: 'known' | 'noop' | 'unknown';
  statements: SqlStatement[];
  /** False when part of the text is computed (f-string holes, `%`). */
  complete: boolean;
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

export interface RunSqlInfo {
  sql: SqlValue | null;
  reverse: SqlValue | null;
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
  /** Lower-case name of a model this operation creates a table for. */
  createsModel: string | null;
  /** Touches a table that may have existed before this migration. */
  touchesExistingTable: boolean;
  /** Why PostgreSQL refuses this inside a transaction, or null. */
  nonTransactional: string | null;
  runPython: RunPythonInfo | null;
  runSql: RunSqlInfo | null;
}

export interface ResolvedOperations {
  statement: Node | null;
  literal: Node | null;
  operations: Operation[];
  complete: boolean;
}

interface Context {
  scope: Scope;
  moduleScope: Scope;
  ops: Operation[];
  complete: boolean;
  depth: number;
}

/** Reads the class body's statements that build `operations`, in order. */
export function resolveOperations(body: Node, classScope: Scope): ResolvedOperations {
  const ctx: Context = { scope: classScope, moduleScope: classScope.parent ?? classScope, ops: [], complete: true, depth: 0 };
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
        if (consequence) visitBlock(consequence, [...branches, { id, arm: 0 }]);
        for (const alt of stmt.childrenForFieldName('alternative')) {
          const b = alt.childForFieldName('body') ?? alt.childForFieldName('consequence');
          if (b) visitBlock(b, [...branches, { id, arm: 1 }]);
        }
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
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        if (n.childForFieldName('operator')?.text === '+' && left && right) {
          collect(left, ctx, branches, certain, container);
          collect(right, ctx, branches, certain, container);
          return;
        }
        break;
      }
      case 'conditional_expression': {
        const [a, , b] = n.namedChildren;
        if (a && b) {
          collect(a, ctx, [...branches, { id: n.id, arm: 0 }], certain, container);
          collect(b, ctx, [...branches, { id: n.id, arm: 1 }], certain, container);
          return;
        }
        break;
      }
      case 'list_comprehension':
      case 'generator_expression': {
        const body = n.childForFieldName('body');
        const clause = n.namedChildren.find((c) => c.type === 'for_in_clause');
        const iterable = clause?.childForFieldName('right');
        const nonEmpty = !!iterable && isNonEmptyLiteral(iterable, ctx.scope);
        const single = n.namedChildren.filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause').length === 1;
        if (body) collectElement(body, ctx, branches, certain && nonEmpty && single, container);
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
    const [a, , b] = n.namedChildren;
    if (a && b) {
      collectElement(a, ctx, [...branches, { id: n.id, arm: 0 }], certain, container);
      collectElement(b, ctx, [...branches, { id: n.id, arm: 1 }], certain, container);
      return;
    }
  }
  if (n.type === 'call') {
    const op = buildOperation(n, ctx, branches, certain, container);
    if (op) {
      ctx.ops.push(op);
      if (op.specName === 'SeparateDatabaseAndState' && op.argumentsReliable) {
        const db = argument(callArguments(n), 'database_operations', 0);
        if (db && !isNoneLiteral(db)) collect(db, ctx, branches, certain, op);
      }
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

function singleReturn(def: Node): Node | null {
  const body = def.childForFieldName('body');
  if (!body) return null;
  const returns = body.namedChildren.filter((s) => s.type === 'return_statement');
  if (returns.length !== 1) return null;
  return returns[0]?.firstNamedChild ?? null;
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

interface SpecResolution {
  spec: OperationSpec | null;
  specName: string | null;
  argumentsReliable: boolean;
  /** A same-file subclass whose database_forwards does nothing. */
  stateOnly: boolean;
  /** A same-file subclass overriding database_forwards with real code: effect unknown. */
  customDatabase: boolean;
}

function resolveSpec(call: Node, name: string, scope: Scope, depth = 0): SpecResolution {
  const fn = call.childForFieldName('function');
  const local = fn?.type === 'identifier' ? scope.lookup(fn.text) : null;
  if (local?.kind === 'class' && depth < 5) {
    const cls = local.node;
    const body = cls.childForFieldName('body');
    const methods = new Map<string, Node>();
    for (const stmt of body?.namedChildren ?? []) {
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      const mname = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
      if (def && mname) methods.set(mname, def);
    }
    const base = cls.childForFieldName('superclasses')?.namedChildren[0];
    if (!base) return { spec: null, specName: null, argumentsReliable: false, stateOnly: false, customDatabase: false };
    const baseSimple = dottedName(base)?.split('.').pop() ?? '';
    const inner =
      base.type === 'identifier' && scope.lookup(base.text)?.kind === 'class'
        ? resolveSpec(fakeCallFor(base), baseSimple, scope, depth + 1)
        : { spec: OPERATION_CATALOG.get(baseSimple) ?? null, specName: OPERATION_CATALOG.has(baseSimple) ? baseSimple : null, argumentsReliable: true, stateOnly: false, customDatabase: false };
    const forwards = methods.get('database_forwards');
    const trivialForwards = forwards ? isNoOpMethod(forwards) : false;
    return {
      spec: inner.spec,
      specName: inner.specName,
      argumentsReliable: inner.argumentsReliable && !methods.has('__init__'),
      stateOnly: inner.stateOnly || trivialForwards,
      customDatabase: inner.customDatabase || (!!forwards && !trivialForwards),
    };
  }
  if (local && local.kind !== 'import') {
    return { spec: null, specName: null, argumentsReliable: false, stateOnly: false, customDatabase: false };
  }
  const spec = OPERATION_CATALOG.get(name) ?? null;
  return { spec, specName: spec ? name : null, argumentsReliable: true, stateOnly: false, customDatabase: false };
}

/** resolveSpec works on calls; a base-class name is looked up the same way as a callee. */
function fakeCallFor(base: Node): Node {
  return { childForFieldName: (f: string) => (f === 'function' ? base : null) } as unknown as Node;
}

function isNoOpMethod(def: Node): boolean {
  const body = def.childForFieldName('body');
  if (!body) return false;
  return body.namedChildren.every((s) => {
    if (s.type === 'pass_statement' || s.type === 'comment') return true;
    if (s.type === 'return_statement') return s.namedChildCount === 0 || s.firstNamedChild?.type === 'none';
    if (s.type === 'expression_statement') {
      const e = s.firstNamedChild;
      return !!e && (e.type === 'string' || e.type === 'ellipsis');
    }
    return false;
  });
}

function modelArgument(args: CallArguments, spec: OperationSpec, scope: Scope): string | null {
  if (!spec.model) return null;
  const node = argument(args, spec.model[0], spec.model[1]);
  const s = node ? staticString(node, nameResolver(scope)) : null;
  return s?.complete ? s.text.toLowerCase() : null;
}

export function nameResolver(scope: Scope): (name: string) => Node | null {
  return (name) => {
    const b = scope.lookup(name);
    return b?.kind === 'value' ? b.node : null;
  };
}

function readSql(node: Node, scope: Scope): SqlValue {
  const n = unparen(node);
  const name = dottedName(n);
  if (name && /(^|\.)RunSQL\.noop$/.test(name)) return { node, state: 'noop', statements: [], complete: true };
  const resolve = nameResolver(scope);
  const parts: StaticString[] = [];
  const readOne = (el: Node): boolean => {
    const s = staticString(el, resolve);
    if (s) {
      parts.push(s);
      return true;
    }
    // (sql, params) pairs inside a list.
    const pair = sequenceElements(el);
    if (pair && pair.length === 2 && pair[0]) {
      const first = staticString(pair[0], resolve);
      if (first) {
        parts.push({ text: first.text, complete: first.complete });
        return true;
      }
    }
    return false;
  };
  let elements = sequenceElements(n);
  if (!elements && n.type === 'identifier') {
    const b = scope.lookup(n.text);
    if (b?.kind === 'value') elements = sequenceElements(b.node);
  }
  const ok = elements ? elements.every(readOne) : readOne(n);
  if (!ok) return { node, state: 'unknown', statements: [], complete: false };
  const statements = parts.flatMap((p) => analyseSql(p.text));
  if (statements.length === 0) return { node, state: 'noop', statements, complete: parts.every((p) => p.complete) };
  return { node, state: 'known', statements, complete: parts.every((p) => p.complete) };
}

function reverseState(node: Node | null): 'absent' | 'none' | 'present' {
  if (!node) return 'absent';
  return isNoneLiteral(node) ? 'none' : 'present';
}

function literalBool(node: Node | null): boolean | null {
  if (!node) return null;
  const t = unparen(node).type;
  return t === 'true' ? true : t === 'false' ? false : null;
}

function buildOperation(call: Node, ctx: Context, branches: BranchStep[], certain: boolean, container: Operation | null): Operation | null {
  const callee = call.childForFieldName('function');
  const name = calleeSimpleName(call);
  if (!callee || !name) return null;
  const r = resolveSpec(call, name, ctx.moduleScope);
  const args = callArguments(call);
  const reliable = r.argumentsReliable && !args.hasSplat;
  const op: Operation = {
    call,
    callee,
    name,
    spec: r.spec,
    specName: r.specName,
    branches,
    certain,
    container,
    argumentsReliable: reliable,
    isData: false,
    isSchema: false,
    targetModel: null,
    createsModel: null,
    touchesExistingTable: false,
    nonTransactional: null,
    runPython: null,
    runSql: null,
  };
  const spec = r.spec;
  if (!spec || r.customDatabase) return op;
  const stateOnly = r.stateOnly;
  switch (spec.role) {
    case 'schema':
      op.targetModel = reliable ? modelArgument(args, spec, ctx.moduleScope) : null;
      op.isSchema = !stateOnly;
      op.touchesExistingTable = !stateOnly;
      if (spec.nonTransactional && !stateOnly) op.nonTransactional = `${r.specName}`;
      break;
    case 'schema-global':
      op.isSchema = !stateOnly;
      break;
    case 'create-model': {
      if (stateOnly || !reliable) break;
      const options = argument(args, 'options', 2);
      const managedOff = options ? /['"]managed['"]\s*:\s*False\b/.test(options.text) : false;
      const proxy = options ? /['"]proxy['"]\s*:\s*True\b/.test(options.text) : false;
      if (managedOff || proxy) break;
      op.isSchema = true;
      op.createsModel = modelArgument(args, spec, ctx.moduleScope);
      break;
    }
    case 'no-database':
      break;
    case 'run-python': {
      if (stateOnly) break;
      const code = reliable ? argument(args, 'code', 0) : null;
      const reverse = reliable ? argument(args, 'reverse_code', 1) : null;
      const forward: CallableTarget = code ? resolveCallable(code, ctx.scope) : { kind: 'unknown', reason: 'no code argument' };
      op.runPython = {
        code,
        reverse,
        reverseState: reverseState(reverse),
        forward,
        reverseTarget: reverse && !isNoneLiteral(reverse) ? resolveCallable(reverse, ctx.scope) : null,
        atomicArg: reliable ? literalBool(args.keywords.get('atomic') ?? null) : null,
      };
      op.isData = forward.kind !== 'noop';
      break;
    }
    case 'run-sql': {
      if (stateOnly) break;
      const sqlNode = reliable ? argument(args, 'sql', 0) : null;
      const reverseNode = reliable ? argument(args, 'reverse_sql', 1) : null;
      const sql = sqlNode ? readSql(sqlNode, ctx.scope) : null;
      op.runSql = {
        sql,
        reverse: reverseNode && !isNoneLiteral(reverseNode) ? readSql(reverseNode, ctx.scope) : null,
        reverseState: reverseState(reverseNode),
      };
      if (sql?.state === 'known') {
        for (const st of sql.statements) {
          if (st.cls === 'dml') op.isData = true;
          if (st.cls === 'ddl-existing' || st.cls === 'ddl-new') op.isSchema = true;
          if (st.cls === 'ddl-existing') {
            op.touchesExistingTable = true;
            op.targetModel ??= ddlTable(st.code);
          }
          op.nonTransactional ??= st.nonTransactional;
        }
      }
      break;
    }
    case 'separate':
      break;
  }
  return op;
}

/**
 * One operation call read into an Operation: its class resolved (Django's, a subclass, a
 * third-party one), its arguments read on first use (and cached by their text), and what the
 * rules ask first — data or schema, the model it targets, RunPython's functions, RunSQL's SQL.
 * operations.ts finds the calls; this file reads each one.
 */
import { resolveCallable, type CallableTarget } from './code-flow';
import type { ArgsCache, NameUse } from './args-cache';
import { argsModel, readOperationArgs, type OperationArgs } from './operation-args';
import type { OperationSpec } from './operation-catalog';
import { resolveSpec } from './operation-classes';
import type { BranchStep, Context, Operation, RunPythonInfo, RunSqlInfo } from './operations';
import type { Scope } from './scope';
import { ddlTable } from './sql';
import { readSql } from './sql-arguments';
import { argument, callArguments, calleeSimpleName, isNoneLiteral, unparen, type CallArguments, type Node } from './syntax';

/** DDL on an object that is no table and locks none (no CASCADE, which may drop columns and tables too). */
/** The table or view a `CREATE [MATERIALIZED] VIEW` / `CREATE TABLE` statement makes, as written. */
export const CREATED_RELATION = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?(?:MATERIALIZED\s+VIEW|VIEW|TABLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z0-9_."]+)/i;

const NO_TABLE_DDL = /^(?![\s\S]*\bCASCADE\b)\s*(?:ALTER\s+SEQUENCE|(?:ALTER|DROP)\s+(?:FUNCTION|PROCEDURE|ROUTINE|AGGREGATE|OPERATOR|ROLE|USER|GROUP|CAST|LANGUAGE|COLLATION|TEXT\s+SEARCH|STATISTICS|CONVERSION)|DROP\s+(?:SEQUENCE|TYPE|SCHEMA|EXTENSION))\b/i;

function reverseState(node: Node | null): 'absent' | 'none' | 'present' {
  if (!node) return 'absent';
  return isNoneLiteral(node) ? 'none' : 'present';
}

function literalBool(node: Node | null): boolean | null {
  if (!node) return null;
  const t = unparen(node).type;
  return t === 'true' ? true : t === 'false' ? false : null;
}

interface ArgsSource {
  /** The call's arguments, found on first use: an operation whose typed arguments are cached never walks them. */
  callArgs: () => CallArguments;
  scope: Scope;
  cache: ArgsCache | null;
  shared: Context['shared'];
}

/** A call a same-file wrapper function returns, and whether it passes on the wrapper's own `*args, **kwargs`. */
export interface WrapperReturn {
  call: Node;
  forwards: boolean;
}

type OperationInit = Pick<Operation, 'call' | 'callee' | 'name' | 'spec' | 'specName' | 'branches' | 'certain' | 'container' | 'argumentsReliable' | 'databaseEffect' | 'customState'> & { read: ArgsSource };

/** An operation whose typed arguments are read on first use (a class, so every one shares one shape). */
class LazyOperation implements Operation {
  call: Node;
  callee: Node;
  name: string;
  spec: OperationSpec | null;
  specName: string | null;
  branches: BranchStep[];
  certain: boolean;
  container: Operation | null;
  argumentsReliable: boolean;
  isData = false;
  isSchema = false;
  targetModel: string | null = null;
  sqlTables: string[] = [];
  createsModel: string | null = null;
  touchesExistingTable = false;
  nonTransactional: string | null = null;
  reverseNonTransactional: string | null = null;
  runPython: RunPythonInfo | null = null;
  runSql: RunSqlInfo | null = null;
  stateOperations: Operation[] | null = null;
  stateOperationsComplete = true;
  databaseEffect: Operation['databaseEffect'];
  customState: boolean;
  classCallee?: Node;
  private typed: OperationArgs | null | undefined = undefined;
  private readonly source: ArgsSource;

  constructor(init: OperationInit) {
    this.call = init.call;
    this.callee = init.callee;
    this.name = init.name;
    this.spec = init.spec;
    this.specName = init.specName;
    this.branches = init.branches;
    this.certain = init.certain;
    this.container = init.container;
    this.argumentsReliable = init.argumentsReliable;
    this.databaseEffect = init.databaseEffect;
    this.customState = init.customState;
    this.source = init.read;
  }

  get args(): OperationArgs | null {
    if (this.typed !== undefined) return this.typed;
    const { spec, specName } = this;
    if (!this.argumentsReliable || !spec || !specName) return (this.typed = null);
    const { callArgs, scope, cache, shared } = this.source;
    if (!cache) return (this.typed = readOperationArgs(specName, spec, callArgs(), scope, undefined, shared ?? undefined));
    const text = this.call.text;
    const boundTo = (name: string): string | null => {
      const b = scope.lookup(name);
      return b?.kind === 'value' ? b.node.text : null;
    };
    const cached = cache.get(specName, text, boundTo);
    if (cached !== undefined) return (this.typed = cached);
    const names: NameUse[] = [];
    this.typed = readOperationArgs(specName, spec, callArgs(), scope, (name, bound) => names.push([name, bound]), shared ?? undefined);
    cache.set(specName, text, this.typed, names);
    return this.typed;
  }
}

export function buildOperation(call: Node, ctx: Context, branches: BranchStep[], certain: boolean, container: Operation | null, through: WrapperReturn | null = null): Operation | null {
  const callee = call.childForFieldName('function');
  // Through a same-file wrapper, the class is the returned call's; the arguments are the call's own
  // when the wrapper passes them on (`*args, **kwargs`), else there are none to read.
  const classCall = through?.call ?? call;
  const name = calleeSimpleName(classCall);
  if (!callee || !name) return null;
  const r = resolveSpec(classCall, name, ctx.moduleScope);
  // Walking the arguments' nodes costs a crossing into WebAssembly per node: a call whose text has
  // no `*` has no splat, and its arguments are found only when something reads them.
  let found: CallArguments | null = null;
  const argsOf = (): CallArguments => (found ??= callArguments(call));
  const reliable = r.argumentsReliable && (!through || through.forwards) && !(call.text.includes('*') && argsOf().hasSplat);
  // Names inside a helper or a comprehension resolve in scopes the cache's context does not cover.
  const cache = ctx.scope === ctx.classScope ? ctx.cache : null;
  const op: Operation = new LazyOperation({
    call,
    callee,
    name,
    spec: r.spec,
    specName: r.specName,
    branches,
    certain,
    container,
    argumentsReliable: reliable,
    databaseEffect: r.customDatabase ? 'custom' : r.stateOnly ? 'none' : 'normal',
    customState: r.customState,
    read: { callArgs: argsOf, scope: ctx.scope, cache, shared: ctx.shared },
  });
  if (through) op.classCallee = through.call.childForFieldName('function') ?? callee;
  const spec = r.spec;
  if (!spec || r.customDatabase) return op;
  const stateOnly = r.stateOnly;
  switch (spec.role) {
    case 'schema': {
      op.targetModel = reliable ? argsModel(op.args) : null;
      op.isSchema = !stateOnly;
      // Adding a ManyToManyField creates its join table and leaves the model's table alone.
      const typedArgs = r.specName === 'AddField' ? op.args : null;
      const m2m = typedArgs?.kind === 'AddField' && typedArgs.field?.relation?.kind === 'many-to-many';
      op.touchesExistingTable = !stateOnly && !m2m;
      if (spec.nonTransactional && !stateOnly) op.nonTransactional = `${r.specName}`;
      break;
    }
    case 'schema-global':
      op.isSchema = !stateOnly;
      break;
    case 'create-model': {
      if (stateOnly || !reliable) break;
      const typedArgs = op.args;
      const options = typedArgs?.kind === 'CreateModel' ? typedArgs.options : null;
      // Unreadable options: treated as a managed, concrete model (as before typed arguments).
      if (options?.managed === false || options?.proxy === true) break;
      op.isSchema = true;
      op.createsModel = argsModel(typedArgs);
      break;
    }
    case 'no-database':
      break;
    case 'run-python': {
      if (stateOnly) break;
      const args = argsOf();
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
      const args = argsOf();
      const sqlNode = reliable ? argument(args, 'sql', 0) : null;
      const reverseNode = reliable ? argument(args, 'reverse_sql', 1) : null;
      const sql = sqlNode ? readSql(sqlNode, ctx.scope) : null;
      op.runSql = {
        sql,
        reverse: reverseNode && !isNoneLiteral(reverseNode) ? readSql(reverseNode, ctx.scope) : null,
        reverseNode,
        reverseState: reverseState(reverseNode),
      };
      if (sql?.state === 'known') {
        // Tables and views an earlier statement of this RunSQL created: indexing one locks no live table
        // (review 32: signals `0164` builds a materialized view, then its indexes).
        const made = new Set<string>();
        for (const st of sql.statements) {
          if (st.cls === 'dml') op.isData = true;
          if (st.cls === 'ddl-existing' || st.cls === 'ddl-new') op.isSchema = true;
          const created = CREATED_RELATION.exec(st.code)?.[1];
          if (st.cls === 'ddl-new' && created) made.add(created.replace(/"/g, '').toLowerCase());
          // ALTER SEQUENCE locks the sequence (nextval() waits for the commit), not a table; nor does
          // changing or dropping a function, a role, … lock one (without CASCADE: review 23, arches 10041).
          if (st.cls === 'ddl-existing' && !NO_TABLE_DDL.test(st.code) && !made.has(ddlTable(st.code) ?? '')) {
            op.touchesExistingTable = true;
            const table = ddlTable(st.code);
            if (table && !op.sqlTables.includes(table)) op.sqlTables.push(table);
          }
          op.nonTransactional ??= st.nonTransactional;
        }
      }
      for (const st of op.runSql.reverse?.statements ?? []) op.reverseNonTransactional ??= st.nonTransactional;
      break;
    }
    case 'separate':
      break;
  }
  return op;
}

/**
 * The summary of a migration of the shape `makemigrations` writes — imports, one `Migration`
 * class deriving from `migrations.Migration` whose body sets `initial`, `dependencies`,
 * `replaces`, `run_before` and a literal `operations` list of Django's schema operations — read
 * from the top statements of the parsed file and the text of each value, without the node-by-node
 * walk of the full analysis (most files of a project are of this shape).
 *
 * It is the summary the full analysis gives (the tests compare them on every file of the real
 * projects and of the benchmark corpus), and it is only given for files on which no per-file rule
 * can report anything: no RunPython, RunSQL or SeparateDatabaseAndState, no operation that must
 * run outside a transaction, no `atomic`, no suppression comment, no syntax error. Any other file
 * gets null: the caller runs the full analysis. Rules that judge schema operations read the
 * summary, which both paths give alike.
 */
import type { ValueInterner } from '../interner';
import { bindValues, typedArgs, argsModel } from '../operation-args';
import { bindingContext } from '../args-cache';
import { resolveSpec, type SpecResolution } from '../operation-classes';
import type { Range } from '../types';
import { blockScope, moduleScope } from '../scope';
import { dottedName, rangeOf, sequenceElements, type Node } from '../syntax';
import { Evaluator, type Value } from '../values';
import { dependencyList, deployPhaseFrom, generatedStamp, operationLabel, replacesOf, type MigrationSummary, type OperationSummary } from './summary';
import { parsesAsPython } from '../indentation';

/** Words of files the quick reading would give up on anyway: seen in the text, it is not tried. */
export const FULL_ANALYSIS_WORDS = /migration-guard|RunPython|RunSQL|SeparateDatabaseAndState|Concurrently|NotValid|\batomic\b|^(?:def|async|@|if|for|try|with)\b/m;

/** The class attributes both quick readings take (`safe`: django-safemigrate's deploy phase). */
export const ATTRIBUTES = new Set(['initial', 'dependencies', 'replaces', 'run_before', 'operations', 'safe']);
const MODULE_STATEMENTS = new Set(['import_statement', 'import_from_statement', 'future_import_statement', 'comment']);
const ROLES = new Set(['schema', 'schema-global', 'create-model', 'no-database']);

/** A statement that is only a string (a docstring). */
function isDocstring(stmt: Node): boolean {
  return stmt.type === 'expression_statement' && stmt.namedChildCount === 1 && stmt.firstNamedChild?.type === 'string';
}

/** `name = value` (no annotation, no chain): [name, value], else null. */
function simpleAssignment(stmt: Node): [string, Node, Node] | null {
  if (stmt.type !== 'expression_statement' || stmt.namedChildCount !== 1) return null;
  const a = stmt.firstNamedChild;
  if (a?.type !== 'assignment' || a.namedChildCount !== 2) return null;
  const left = a.firstNamedChild;
  const right = a.lastNamedChild;
  if (left?.type !== 'identifier' || !right || right.type === 'assignment') return null;
  return [left.text, right, stmt];
}

/**
 * @returns the summary, or null when the file is not of the plain shape (then the full analysis
 * must read it).
 */
export function quickSummary(root: Node, text: string, name: string, interner: ValueInterner | null): MigrationSummary | null {
  if (FULL_ANALYSIS_WORDS.test(text) || !parsesAsPython(root)) return null;
  let cls: Node | null = null;
  for (const stmt of root.namedChildren) {
    if (MODULE_STATEMENTS.has(stmt.type) || isDocstring(stmt)) continue;
    if (stmt.type !== 'class_definition' || cls) return null;
    cls = stmt;
  }
  const nameNode = cls?.childForFieldName('name');
  const body = cls?.childForFieldName('body');
  const bases = cls?.childForFieldName('superclasses');
  if (!cls || !nameNode || !body || !bases || nameNode.text !== 'Migration') return null;
  const baseList = bases.namedChildren;
  if (baseList.length !== 1 || dottedName(baseList[0] as Node) !== 'migrations.Migration') return null;
  const scope = moduleScope(root);

  const attrs = new Map<string, [Node, Node]>();
  for (const stmt of body.namedChildren) {
    if (stmt.type === 'comment' || stmt.type === 'pass_statement' || isDocstring(stmt)) continue;
    const a = simpleAssignment(stmt);
    if (!a || !ATTRIBUTES.has(a[0]) || attrs.has(a[0])) return null;
    attrs.set(a[0], [a[1], a[2]]);
  }
  const classScope = blockScope(body, scope);
  const imports = interner ? bindingContext(root) : '';
  const ev = new Evaluator(classScope, undefined, interner ? { interner, imports } : undefined);

  const operations: OperationSummary[] = [];
  const ops = attrs.get('operations');
  if (ops) {
    const elements = ops[0].type === 'list' || ops[0].type === 'tuple' ? sequenceElements(ops[0]) : null;
    if (!elements) return null;
    for (const call of elements) {
      const op = quickOperation(call, ev, scope, interner);
      if (!op) return null;
      operations.push(op);
    }
  }
  const attr = (key: string): [Node | null, Node | null] => attrs.get(key) ?? [null, null];
  const initial = attrs.get('initial');
  const initialValue: Value | null = initial ? ev.eval(initial[0]) : null;
  const safe = attrs.get('safe');
  const phase = safe ? deployPhaseFrom(safe[0].text, scope) : null;
  return {
    name,
    classRange: rangeOf(nameNode),
    dependencies: dependencyList(...attr('dependencies'), ev),
    runBefore: dependencyList(...attr('run_before'), ev),
    replaces: attrs.has('replaces') ? replacesOf(dependencyList(...attr('replaces'), ev)) : null,
    initial: initialValue?.kind === 'bool' ? initialValue.value : null,
    atomic: true,
    operations,
    operationsComplete: true,
    ...generatedStamp(text),
    ...(phase ? { deployPhase: phase } : {}),
  };
}

/** One element of `operations`: a plain call of a schema operation of Django's, or null. */
function quickOperation(call: Node, ev: Evaluator, scope: ReturnType<typeof moduleScope>, interner: ValueInterner | null): OperationSummary | null {
  if (call.type !== 'call') return null;
  const callee = call.childForFieldName('function');
  const dotted = callee ? dottedName(callee) : null;
  if (!callee || !dotted || (callee.type !== 'identifier' && callee.type !== 'attribute')) return null;
  const name = dotted.slice(dotted.lastIndexOf('.') + 1);
  return plainOperation(name, resolveSpec(call, name, scope), () => ev.eval(call), rangeOf(callee), rangeOf(call), interner);
}

/**
 * The summary of one operation call of Django's whose spec was resolved, from its value (read
 * from the call's text); shared with the reading that needs no tree (text-summary.ts).
 */
export function plainOperation(name: string, r: SpecResolution, read: () => Value, range: Range, callRange: Range, interner: ValueInterner | null): OperationSummary | null {
  const spec = r.spec;
  if (!spec || !r.specName || !ROLES.has(spec.role) || spec.nonTransactional || r.customDatabase || r.stateOnly || r.customState || !r.argumentsReliable) return null;
  const value = read();
  if (value.kind !== 'call') return null;
  const bound = bindValues(value, spec);
  if (!bound) return null;
  const args = typedArgs(r.specName, spec, (p) => bound.get(p), interner ? { interner } : undefined);
  let isSchema = false;
  let touchesExistingTable = false;
  let targetModel: string | null = null;
  let createsModel: string | null = null;
  switch (spec.role) {
    case 'schema': {
      targetModel = argsModel(args);
      isSchema = true;
      const m2m = args?.kind === 'AddField' && args.field?.relation?.kind === 'many-to-many';
      touchesExistingTable = !m2m;
      break;
    }
    case 'schema-global':
      isSchema = true;
      break;
    case 'create-model': {
      const options = args?.kind === 'CreateModel' ? args.options : null;
      if (options?.managed === false || options?.proxy === true) break;
      isSchema = true;
      createsModel = argsModel(args);
      break;
    }
  }
  return {
    name,
    specName: r.specName,
    range,
    callRange,
    args,
    branches: [],
    certain: true,
    container: null,
    databaseEffect: 'normal',
    customState: false,
    stateOperations: null,
    isData: false,
    isSchema,
    touchesExistingTable,
    targetModel,
    createsModel,
    sqlTables: [],
    nonTransactional: null,
    sql: null,
    label: operationLabel(name, targetModel),
  };
}

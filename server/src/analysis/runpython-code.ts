/**
 * The code a migration's RunPython operations run, as the rules about what that code calls see it:
 * every unit reachable from a RunPython callable (the callable and the same-file helpers it calls),
 * once each, with a way to walk its own nodes and to resolve a dotted name through the file's
 * imports without being fooled by a parameter or local variable of the same name.
 */
import type { CodeIndex, UnitFacts } from './code-facts';
import type { CodeUnit } from './code-flow';
import type { MigrationModel } from './migration-model';
import type { Operation } from './operations';
import { runPythonUnits } from './rules/runpython-units';
import type { Binding } from './scope';
import { dottedName, rangeOf, within, type Node } from './syntax';
import type { RelatedLocation } from './types';
import { qualifiedName } from './values';

export interface RunPythonCode {
  facts: UnitFacts;
  /** The RunPython operation that first reaches this unit. */
  op: Operation;
  /** The callable RunPython was given (the unit itself when it is not a helper). */
  entry: CodeUnit;
  /** The unit is the callable itself, not a helper it calls. */
  isEntry: boolean;
  names: UnitNames;
  /** For messages: `RunPython code` or `a helper called from RunPython code (line N)`. */
  where: string;
  /** The related location every finding in this code carries: the operation. */
  related: RelatedLocation;
}

/** Per file analysis (its CodeIndex): the rules that read RunPython code share one list. */
const computed = new WeakMap<CodeIndex, RunPythonCode[]>();

/** Every unit RunPython code runs, forward and reverse, each once, in the order first reached. */
export function runPythonCode(model: MigrationModel, index: CodeIndex): RunPythonCode[] {
  let out = computed.get(index);
  if (!out) {
    out = collectRunPythonCode(model, index);
    computed.set(index, out);
  }
  return out;
}

function collectRunPythonCode(model: MigrationModel, index: CodeIndex): RunPythonCode[] {
  const out: RunPythonCode[] = [];
  const seen = new Set<number>();
  for (const { op, unit } of runPythonUnits(model)) {
    for (const facts of index.reachable(unit)) {
      if (seen.has(facts.unit.node.id)) continue;
      seen.add(facts.unit.node.id);
      const isEntry = facts.unit.node.id === unit.node.id;
      out.push({
        facts,
        op,
        entry: unit,
        isEntry,
        names: new UnitNames(facts),
        where: isEntry ? 'RunPython code' : `a helper called from RunPython code (line ${op.call.startPosition.row + 1})`,
        related: { range: rangeOf(op.call), message: 'the RunPython operation that runs this code' },
      });
    }
  }
  return out;
}

const NESTED = ['function_definition', 'class_definition', 'lambda', 'decorated_definition'];

/**
 * The nodes of the given types in a unit's own body — not in functions, lambdas or classes defined
 * inside it — in document order. The parser finds them in one call (walking the tree from here
 * would cross into WebAssembly once per node, and most nodes are of no interest).
 */
export function walkUnit(unit: CodeUnit, types: readonly string[], visit: (node: Node) => void): void {
  for (const n of unitNodes(unit, types)) visit(n);
}

/** The nodes `walkUnit` visits, as a list. */
export function unitNodes(unit: CodeUnit, types: readonly string[]): Node[] {
  const body = unit.node.childForFieldName('body');
  if (!body) return [];
  const found = body.descendantsOfType(types as string[]);
  // Outermost nested definitions, as [start, end) offsets (a `lambda` keyword lies inside its lambda).
  const nested: Array<{ node: Node; start: number; end: number }> = [];
  for (const d of body.descendantsOfType(NESTED)) {
    if (d.id === body.id) continue;
    const last = nested[nested.length - 1];
    if (last && d.startIndex >= last.start && d.startIndex < last.end) continue;
    nested.push({ node: d, start: d.startIndex, end: d.endIndex });
  }
  if (nested.length === 0) return found;
  return found.filter((n) => {
    if (n.id === body.id) return true;
    const at = n.startIndex;
    for (const d of nested) {
      if (at < d.start) break;
      if (at > d.start && at < d.end) return false;
      // Starting where a definition starts: the definition itself, or a node around it (`lambda: x` as a statement).
      if (at === d.start && (n.id === d.node.id || n.endIndex <= d.end)) return false;
    }
    return true;
  });
}

/** The parameter names of a function or lambda. */
export function parameterNames(def: Node): string[] {
  const params = def.childForFieldName('parameters');
  if (!params) return [];
  const out: string[] = [];
  for (const p of params.namedChildren) {
    if (p.type === 'identifier') out.push(p.text);
    else {
      const name = p.childForFieldName('name') ?? p.namedChildren.find((c) => c.type === 'identifier');
      if (name?.type === 'identifier') out.push(name.text);
    }
  }
  return out;
}

/** The parameters a call can fill by position, in order: those before any `*`, `*args` or `**kw`. */
export function positionalParameterNames(def: Node): string[] {
  const out: string[] = [];
  for (const p of def.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern' || p.type === 'keyword_separator') break;
    if (p.type === 'comment' || p.type === 'positional_separator') continue;
    const name = p.type === 'identifier' ? p : (p.childForFieldName('name') ?? p.namedChildren.find((c) => c.type === 'identifier'));
    out.push(name?.type === 'identifier' ? name.text : '');
  }
  return out;
}

/**
 * Names the unit binds to something other than an import: parameters, loop and comprehension
 * variables, `with … as`, `except … as`, assignment targets anywhere in its body. A name in this set
 * never means the module's import of the same name.
 */
export function localNonImportNames(unit: CodeUnit): Set<string> {
  const names = new Set(parameterNames(unit.node));
  const addTargets = (target: Node | null) => {
    if (!target) return;
    if (target.type === 'identifier') names.add(target.text);
    else if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern' || target.type === 'tuple' || target.type === 'list') {
      for (const c of target.namedChildren) addTargets(c);
    }
  };
  for (const n of unitNodes(unit, ['for_statement', 'for_in_clause', 'assignment', 'augmented_assignment', 'named_expression', 'as_pattern'])) {
    switch (n.type) {
      case 'for_statement':
      case 'for_in_clause':
        addTargets(n.childForFieldName('left'));
        break;
      case 'assignment':
      case 'augmented_assignment':
        addTargets(n.childForFieldName('left'));
        break;
      case 'named_expression':
        addTargets(n.childForFieldName('name'));
        break;
      case 'as_pattern':
        addTargets(n.childForFieldName('alias')?.namedChildren[0] ?? n.childForFieldName('alias'));
        break;
      default:
        break;
    }
  }
  return names;
}

/** Per-unit answers, computed once. */
export class UnitNames {
  /** Read on the first question: walking the unit for its local names is most of the cost. */
  private locals: Set<string> | null = null;

  constructor(readonly facts: UnitFacts) {}

  /** The import a bare name means in this unit, or null (a local, a parameter, unknown, ambiguous). */
  importOf(name: string): Binding | null {
    const b = this.facts.locals.lookup(name);
    if (b?.kind !== 'import') return null;
    this.locals ??= localNonImportNames(this.facts.unit);
    return this.locals.has(name) ? null : b;
  }

  /** `requests.post` for `post` after `from requests import post`; null when the head is not an import. */
  qualified(dotted: string): string | null {
    const head = dotted.split('.')[0] ?? dotted;
    if (!this.importOf(head)) return null;
    return qualifiedName(dotted, this.facts.locals);
  }

  /**
   * A name the module (not the unit) binds to a call (`S3 = boto3.resource("s3")`, `User = get_user_model()`):
   * that call, and its callee through the imports (null when not an import's); null for any other name.
   */
  outerCall(name: string): { call: Node; callee: string | null } | null {
    const b = this.facts.locals.lookup(name);
    if (b?.kind !== 'value' || b.node.type !== 'call' || within(b.node, this.facts.unit.node)) return null;
    const fn = b.node.childForFieldName('function');
    const dotted = fn ? dottedName(fn) : null;
    return { call: b.node, callee: dotted ? this.qualified(dotted) : null };
  }
}

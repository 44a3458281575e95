/**
 * The summary of a plain makemigrations file read straight from its text, before any parse: the
 * same summary quick-summary.ts reads from the tree (the tests compare the two on every file of
 * the real projects and the benchmark corpus, and on thousands of damaged copies), for a fraction
 * of a tree-sitter parse — most of a project's migrations are of this shape, and parsing them was
 * most of a cold run.
 *
 * A strict reader of a small part of Python: the module holds imports, comments, docstrings and
 * one `class Migration(migrations.Migration):` whose body assigns `initial`, `dependencies`,
 * `replaces`, `run_before` and `operations` literal expressions — names, dotted names, calls with
 * positional and keyword arguments, strings, numbers, lists, tuples, sets and dicts. Anything else
 * (an operator, a subscript, a lambda, a backslash continuation, a keyword where a name should be,
 * an f-string, a tab in an indentation, a string that does not end …) gives up: null, and the
 * caller parses the file as before. Giving up is always safe; accepting is only allowed for text
 * tree-sitter parses without an error into the tree quick-summary.ts reads.
 */
import type { ValueInterner } from '../interner';
import { OPERATION_CATALOG } from '../operation-catalog';
import { Scope, type Binding } from '../scope';
import type { Node } from '../syntax';
import type { Range } from '../types';
import { GiveUp, giveUp, Reader, unparen, type Expr } from './python-subset-reader';
import { SubsetValues } from './subset-values';
import { asItems, Evaluator, type Value } from '../values';
import { ATTRIBUTES, FULL_ANALYSIS_WORDS, plainOperation } from './quick-summary';
import { dependencyEntry, deployPhaseFrom, generatedStamp, replacesOf, type DependencyList, type MigrationSummary, type OperationSummary } from './summary';

/** A lone carriage return (a line break to some readers, not to others) or a control character. */
const ODD_CHARACTERS = /\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

interface Attribute {
  value: Expr;
  statementStart: number;
}

/** The module's bindings: its imports and the Migration class (nothing else is allowed in it). */
function importBinding(scope: Scope, name: string, from: string, importedName?: string): void {
  const binding: Binding = { kind: 'import', node: null as unknown as Node, importedFrom: from, ...(importedName !== undefined ? { importedName } : {}) };
  scope.bind(name, binding, true);
}

/** `import a.b`, `import a.b as c, d` (after the keyword). */
function importStatement(r: Reader, scope: Scope): void {
  for (;;) {
    r.ws(false);
    const dotted = r.dotted();
    r.ws(false);
    if (r.peekName() === 'as') {
      r.name();
      r.ws(false);
      importBinding(scope, r.identifier(), dotted);
    } else importBinding(scope, dotted.split('.')[0] as string, dotted.split('.')[0] as string);
    r.ws(false);
    if (!r.eat(',')) return;
  }
}

/** `from m import a, b as c`, `from . import x`, `from m import (a, b,)` (after the keyword); false for __future__. */
function fromImport(r: Reader, scope: Scope): boolean {
  r.ws(false);
  let module = '';
  while (r.eat('.')) module += '.';
  if (module === '' || r.peekName() !== 'import') module += r.dotted();
  r.ws(false);
  if (r.name() !== 'import') giveUp();
  const future = module === '__future__';
  r.ws(false);
  const parenthesized = r.eat('(');
  if (!parenthesized && r.eat('*')) return !future; // binds nothing, as in scope.ts
  let first = true;
  for (;;) {
    r.ws(parenthesized);
    if (parenthesized && !first && r.eat(')')) break;
    const name = r.identifier();
    r.ws(parenthesized);
    if (r.peekName() === 'as') {
      r.name();
      r.ws(parenthesized);
      const alias = r.identifier();
      if (!future) importBinding(scope, alias, module, name);
    } else if (!future) importBinding(scope, name, module, name);
    r.ws(parenthesized);
    first = false;
    if (r.eat(',')) continue;
    if (parenthesized) r.expect(')');
    break;
  }
  return !future;
}

/**
 * @returns the summary, or null when the text is not of the plain shape read here (then the file
 * is parsed and read as before).
 */
export function textSummary(text: string, name: string, interner: ValueInterner | null): MigrationSummary | null {
  if (FULL_ANALYSIS_WORDS.test(text) || ODD_CHARACTERS.test(text)) return null;
  try {
    return read(text, name, interner);
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }
}

function read(text: string, name: string, interner: ValueInterner | null): MigrationSummary | null {
  const r = new Reader(text);
  const scope = new Scope(null);
  const imports: string[] = [];
  let classFound = false;
  let classRange: Range | null = null;
  const attrs = new Map<string, Attribute>();
  while (!r.atEnd()) {
    const indent = r.indentation();
    if (indent === -1) continue;
    if (indent !== 0) giveUp();
    const start = r.pos;
    const word = r.peekName();
    if (word === 'import') {
      r.name();
      importStatement(r, scope);
      imports.push(text.slice(start, r.pos).trimEnd());
    } else if (word === 'from') {
      r.name();
      if (fromImport(r, scope)) imports.push(text.slice(start, r.pos).trimEnd());
    } else if (word === 'class') {
      if (classFound) giveUp();
      classFound = true;
      r.name();
      r.ws(false);
      const nameStart = r.pos;
      if (r.identifier() !== 'Migration') giveUp();
      classRange = r.range(nameStart, r.pos);
      r.ws(false);
      r.expect('(');
      r.ws(false);
      if (r.dotted() !== 'migrations.Migration') giveUp();
      r.ws(false);
      r.expect(')');
      r.ws(false);
      r.expect(':');
      r.endOfLine();
      scope.bind('Migration', { kind: 'class', node: null as unknown as Node }, true);
      classBody(r, attrs);
      continue;
    } else if (r.strings(false) !== 1) giveUp();
    r.endOfLine();
  }
  if (!classFound || !classRange) return null;

  // A name of the class body read as a value: the tree reading follows it; not done here.
  for (const attr of attrs.keys()) if (r.lookups.has(attr)) return null;
  const ev = new Evaluator(scope, undefined, interner ? { interner, imports: imports.join('\n') } : undefined);
  const values = new SubsetValues(text, ev.textEnv);
  const evalOf = (e: Expr): Value => values.valueOf(e);

  const operations: OperationSummary[] = [];
  const ops = attrs.get('operations');
  if (ops) {
    const list = ops.value;
    if (list.kind !== 'list' && list.kind !== 'tuple') return null;
    for (const call of list.items ?? []) {
      if (call.kind !== 'call' || !call.callee) return null;
      const callee = call.callee;
      const opName = callee.dotted.slice(callee.dotted.lastIndexOf('.') + 1);
      // resolveSpec without a tree: a bare callee must be imported; a dotted one is read by its last name.
      const local = callee.identifier ? scope.lookup(callee.dotted) : null;
      if (local && local.kind !== 'import') return null;
      const spec = OPERATION_CATALOG.get(opName) ?? null;
      const resolution = { spec, specName: spec ? opName : null, argumentsReliable: true, stateOnly: false, customDatabase: false, customState: false };
      const op = plainOperation(opName, resolution, () => evalOf(call), r.range(callee.start, callee.end), r.range(call.start, call.end), interner);
      if (!op) return null;
      operations.push(op);
    }
  }
  const list = (key: string): DependencyList => {
    const a = attrs.get(key);
    if (!a) return { entries: [], complete: true };
    const seq = unparen(a.value);
    if (seq.kind === 'list' || seq.kind === 'tuple' || seq.kind === 'set') {
      return { entries: (seq.items ?? []).map((el) => dependencyEntry(evalOf(el), r.range(el.start, el.end))), complete: true };
    }
    const items = asItems(evalOf(a.value));
    if (!items) return { entries: [], complete: false };
    const range = r.range(a.statementStart, a.value.end);
    return { entries: items.map((v) => dependencyEntry(v, range)), complete: true };
  };
  const initial = attrs.get('initial');
  const initialValue = initial ? evalOf(initial.value) : null;
  const safe = attrs.get('safe');
  const phase = safe ? deployPhaseFrom(text.slice(safe.value.start, safe.value.end), scope) : null;
  return {
    name,
    classRange,
    dependencies: list('dependencies'),
    runBefore: list('run_before'),
    replaces: attrs.has('replaces') ? replacesOf(list('replaces')) : null,
    initial: initialValue?.kind === 'bool' ? initialValue.value : null,
    atomic: true,
    operations,
    operationsComplete: true,
    ...generatedStamp(text),
    ...(phase ? { deployPhase: phase } : {}),
  };
}

/** The class body: one indentation; `pass`, a docstring, or `attribute = expression` per line. */
function classBody(r: Reader, attrs: Map<string, Attribute>): void {
  let indent = -1;
  let statements = 0;
  while (!r.atEnd()) {
    const lineStart = r.pos;
    const n = r.indentation();
    if (n === -1) continue;
    if (n === 0) {
      r.pos = lineStart;
      break;
    }
    if (indent === -1) indent = n;
    else if (n !== indent) giveUp();
    statements++;
    const start = r.pos;
    const word = r.peekName();
    if (word === 'pass') {
      r.name();
    } else {
      // A docstring is one string; adjacent strings are an expression statement the tree reading refuses.
      const strings = r.strings(false);
      if (strings > 1) giveUp();
      if (strings === 0) {
        const attr = r.identifier();
        if (!ATTRIBUTES.has(attr) || attrs.has(attr)) giveUp();
        r.ws(false);
        if (!r.eat('=') || r.src.charCodeAt(r.pos) === 61) giveUp();
        r.ws(false);
        const value = r.expression(false);
        attrs.set(attr, { value, statementStart: start });
      }
    }
    r.endOfLine();
  }
  if (statements === 0) giveUp();
}

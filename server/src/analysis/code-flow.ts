/**
 * Resolves the callables handed to RunPython (names, `functools.partial`, lambdas, methods of the
 * Migration class, `RunPython.noop`) to code in the same file, and follows that code into the
 * same-file helpers it calls. Anything imported or computed resolves to `unknown`.
 */
import { blockScope, type Scope } from './scope';
import { callArguments, dottedName, unparen, type Node } from './syntax';

export type CallableTarget =
  | { kind: 'noop' }
  | { kind: 'function'; def: Node; scope: Scope }
  | { kind: 'lambda'; node: Node; scope: Scope }
  | { kind: 'unknown'; reason: string };

export interface CodeUnit {
  /** function_definition or lambda. */
  node: Node;
  /** The scope names in its body resolve against (module scope; class scope for its siblings). */
  scope: Scope;
}

const PARTIAL = new Set(['partial', 'functools.partial']);
const WRAPPERS = new Set(['staticmethod', 'classmethod']);

export function resolveCallable(expr: Node, scope: Scope, depth = 0): CallableTarget {
  if (depth > 6) return { kind: 'unknown', reason: 'too many indirections' };
  const n = unparen(expr);
  switch (n.type) {
    case 'lambda':
      return isTrivialLambda(n) ? { kind: 'noop' } : { kind: 'lambda', node: n, scope };
    case 'identifier': {
      const b = scope.lookup(n.text);
      if (!b) return { kind: 'unknown', reason: `'${n.text}' is not defined in this file` };
      if (b.kind === 'function') return isTrivialFunction(b.node) ? { kind: 'noop' } : { kind: 'function', def: b.node, scope };
      if (b.kind === 'value') return resolveCallable(b.node, scope, depth + 1);
      if (b.kind === 'import') return { kind: 'unknown', reason: `'${n.text}' is imported` };
      return { kind: 'unknown', reason: `'${n.text}' is a class` };
    }
    case 'attribute': {
      const name = dottedName(n);
      if (name && /(^|\.)RunPython\.noop$/.test(name)) return { kind: 'noop' };
      const obj = n.childForFieldName('object');
      const attr = n.childForFieldName('attribute')?.text;
      if (obj?.type === 'identifier' && attr) {
        const owner = scope.lookup(obj.text);
        if (owner?.kind === 'class') {
          const body = owner.node.childForFieldName('body');
          if (body) return resolveCallable(identifierLike(attr, body), blockScope(body, scope), depth + 1);
        }
      }
      return { kind: 'unknown', reason: `'${name ?? n.text}' is not a function of this file` };
    }
    case 'call': {
      const fn = n.childForFieldName('function');
      const name = fn ? dottedName(fn) : null;
      const first = callArguments(n).positional[0];
      if (name && first && (PARTIAL.has(name) || WRAPPERS.has(name))) return resolveCallable(first, scope, depth + 1);
      // A factory of this file returning a function it defines: `RunPython(make_forwards("Product"))`.
      if (fn?.type === 'identifier') {
        const factory = scope.lookup(fn.text);
        const inner = factory?.kind === 'function' ? returnedInnerFunction(factory.node) : null;
        const body = factory?.node.childForFieldName('body');
        if (inner && body) {
          const innerScope = blockScope(body, scope);
          return isTrivialFunction(inner) ? { kind: 'noop' } : { kind: 'function', def: inner, scope: innerScope };
        }
      }
      return { kind: 'unknown', reason: 'computed callable' };
    }
    default:
      return { kind: 'unknown', reason: 'computed callable' };
  }
}

/**
 * A synthetic lookup for `Class.method`: resolving through the class body's scope needs a node
 * carrying the name; the body's first function of that name serves.
 */
function identifierLike(name: string, body: Node): Node {
  for (const stmt of body.namedChildren) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) {
      return def.childForFieldName('name') as Node;
    }
  }
  return body; // resolves to unknown
}

/** `def factory(...): def inner(apps, schema_editor): ...; return inner` -> inner. */
function returnedInnerFunction(def: Node): Node | null {
  const body = def.childForFieldName('body');
  if (!body) return null;
  const returns = body.namedChildren.filter((s) => s.type === 'return_statement');
  const value = returns.length === 1 ? returns[0]?.firstNamedChild : null;
  if (value?.type !== 'identifier') return null;
  for (const stmt of body.namedChildren) {
    const d = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (d?.type === 'function_definition' && d.childForFieldName('name')?.text === value.text) return d;
  }
  return null;
}

/** A body of only `pass`, `...`, a docstring and/or bare `return` does nothing (nor does what follows a bare `return`). */
export function isTrivialFunction(def: Node): boolean {
  const body = def.childForFieldName('body');
  if (!body) return false;
  for (const stmt of body.namedChildren) {
    if (stmt.type === 'pass_statement' || stmt.type === 'comment') continue;
    // What follows a plain `return` never runs (acceslibre `compte/0004` returns first: too slow on deploy).
    if (stmt.type === 'return_statement' && (stmt.namedChildCount === 0 || stmt.firstNamedChild?.type === 'none')) return true;
    if (stmt.type === 'expression_statement') {
      const e = stmt.firstNamedChild;
      if (e && (e.type === 'string' || e.type === 'ellipsis' || e.type === 'concatenated_string')) continue;
    }
    return false;
  }
  return true;
}

function isTrivialLambda(lambda: Node): boolean {
  const body = lambda.childForFieldName('body');
  return !!body && (body.type === 'none' || body.type === 'ellipsis');
}

export function unitOf(target: CallableTarget): CodeUnit | null {
  if (target.kind === 'function') return { node: target.def, scope: target.scope };
  if (target.kind === 'lambda') return { node: target.node, scope: target.scope };
  return null;
}

/** The statements or expression a code unit runs. */
export function unitBody(unit: CodeUnit): Node | null {
  return unit.node.childForFieldName('body');
}

/** The same-file function a call in `unit` invokes, if it is one. */
export function calledUnit(call: Node, unit: CodeUnit): CodeUnit | null {
  const fn = call.childForFieldName('function');
  if (!fn) return null;
  const n = unparen(fn);
  if (n.type === 'identifier') {
    const b = unit.scope.lookup(n.text);
    if (b?.kind === 'function') return { node: b.node, scope: unit.scope };
    return null;
  }
  if (n.type === 'attribute') {
    const obj = n.childForFieldName('object');
    const attr = n.childForFieldName('attribute')?.text;
    // `Helper(Resource, Chapter).update_order()`: a method of a class of the file, on an instance made there
    // (review 49: ChiefOnboarding `resources/0012` saves each chapter so).
    const made = obj?.type === 'call' ? obj.childForFieldName('function') : null;
    if (made?.type === 'identifier' && attr) {
      const body = classBinding(unit.scope, made.text)?.childForFieldName('body');
      const target = body ? resolveCallable(identifierLike(attr, body), blockScope(body, unit.scope)) : null;
      return target?.kind === 'function' ? { node: target.def, scope: unit.scope } : null;
    }
    if (!obj || !attr || obj.type !== 'identifier') return null;
    // self.helper() / cls.helper() / Migration.helper(): a method of the enclosing class.
    const owner = obj.text === 'self' || obj.text === 'cls' ? enclosingClass(unit.node) : classBinding(unit.scope, obj.text);
    const body = owner?.childForFieldName('body');
    if (!body) return null;
    const target = resolveCallable(identifierLike(attr, body), blockScope(body, unit.scope));
    return target.kind === 'function' ? { node: target.def, scope: unit.scope } : null;
  }
  return null;
}

function classBinding(scope: Scope, name: string): Node | null {
  const b = scope.lookup(name);
  return b?.kind === 'class' ? b.node : null;
}

function enclosingClass(node: Node): Node | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'class_definition') return p;
  return null;
}

/**
 * Which catalog operation a call is: Django's own by name, or a same-file subclass of one, read
 * through its bases. A subclass whose database_forwards does nothing only changes model state; one
 * that overrides __init__ takes arguments whose meaning we cannot know.
 */
import { OPERATION_CATALOG, type OperationSpec } from './operation-catalog';
import type { Scope } from './scope';
import { dottedName, type Node } from './syntax';

export interface SpecResolution {
  spec: OperationSpec | null;
  specName: string | null;
  argumentsReliable: boolean;
  /** A same-file subclass whose database_forwards does nothing. */
  stateOnly: boolean;
  /** A same-file subclass overriding database_forwards with real code: effect unknown. */
  customDatabase: boolean;
  /** A same-file subclass overriding state_forwards: its effect on the model state is unknown. */
  customState: boolean;
}

export function resolveSpec(call: Node, name: string, scope: Scope, depth = 0): SpecResolution {
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
    if (!base) return { spec: null, specName: null, argumentsReliable: false, stateOnly: false, customDatabase: false, customState: false };
    const baseSimple = dottedName(base)?.split('.').pop() ?? '';
    const inner =
      base.type === 'identifier' && scope.lookup(base.text)?.kind === 'class'
        ? resolveSpec(fakeCallFor(base), baseSimple, scope, depth + 1)
        : { spec: OPERATION_CATALOG.get(baseSimple) ?? null, specName: OPERATION_CATALOG.has(baseSimple) ? baseSimple : null, argumentsReliable: true, stateOnly: false, customDatabase: false, customState: false };
    const forwards = methods.get('database_forwards');
    const trivialForwards = forwards ? isNoOpMethod(forwards) : false;
    return {
      spec: inner.spec,
      specName: inner.specName,
      argumentsReliable: inner.argumentsReliable && !methods.has('__init__'),
      stateOnly: inner.stateOnly || trivialForwards,
      customDatabase: inner.customDatabase || (!!forwards && !trivialForwards),
      customState: inner.customState || methods.has('state_forwards'),
    };
  }
  if (local && local.kind !== 'import') {
    return { spec: null, specName: null, argumentsReliable: false, stateOnly: false, customDatabase: false, customState: false };
  }
  const spec = OPERATION_CATALOG.get(name) ?? null;
  return { spec, specName: spec ? name : null, argumentsReliable: true, stateOnly: false, customDatabase: false, customState: false };
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


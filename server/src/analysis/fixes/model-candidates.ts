/**
 * The models a name may stand for when the code picks it per name from a fixed list
 * (`for name in ("A", "B"): model = apps.get_model("app", name)`, or a generator of such calls):
 * what the batching templates ask the project view about, a mixin's save() for one (review 32:
 * opencraft `instance/0066`, `0141`).
 */
import { callArguments, functionAround, moduleAssignments, staticString, type Node } from '../syntax';

/** The strings a literal list, tuple or set holds, or null when it holds anything else. */
function literalStrings(node: Node | null): string[] | null {
  if (!node || !['list', 'tuple', 'set'].includes(node.type)) return null;
  const out: string[] = [];
  for (const c of node.namedChildren) {
    const t = c.type === 'string' ? staticString(c) : null;
    if (!t?.complete) return null;
    out.push(t.text);
  }
  return out;
}

/**
 * The models a name of the loop's function may stand for when it is bound to `get_model("app", x)`
 * with `x` taken from a fixed list of names: by a `for x in […]` around the assignment, or a
 * generator `(apps.get_model("app", x) for x in […])` the name walks (directly, or through a name
 * bound to it). Empty when it is not so.
 */
export function modelCandidates(loopNode: Node, name: string): Array<{ app: string; model: string }> {
  const fn = functionAround(loopNode);
  const body = fn?.childForFieldName('body');
  if (!body) return [];
  const fromCall = (call: Node | null, names: (variable: string) => string[] | null): Array<{ app: string; model: string }> => {
    if (!call || call.type !== 'call' || !/(?:^|\.)get_model$/.test(call.childForFieldName('function')?.text ?? '')) return [];
    const [appArg, modelArg] = callArguments(call).positional;
    const app = appArg?.type === 'string' ? staticString(appArg) : null;
    const models = modelArg?.type === 'identifier' ? names(modelArg.text) : null;
    return app?.complete && models ? models.map((model) => ({ app: app.text, model })) : [];
  };
  // `models = ["Trail", "Path"]`, then `for name in models:` (review 59: Geotrek `core/0041`): the list bound
  // once, in the function or, when the function never binds it, at the module's top level (review 75: ynr
  // `popolo/0040`'s MODELS_TO_UPDATE).
  const listOf = (n: Node | null): Node | null => {
    if (n?.type !== 'identifier') return n;
    const bound = body.descendantsOfType('assignment').filter((a) => a.childForFieldName('left')?.text === n.text);
    if (bound.length === 1) return bound[0]?.childForFieldName('right') ?? null;
    if (bound.length > 0 || (fn?.childForFieldName('parameters')?.descendantsOfType('identifier') ?? []).some((p) => p.text === n.text)) return null;
    if (!fn) return null;
    const top = moduleAssignments(fn, n.text);
    return top.length === 1 ? (top[0]?.childForFieldName('right') ?? null) : null;
  };
  const forOver = (at: Node, variable: string): string[] | null => {
    for (let p = at.parent; p && p.id !== body.id; p = p.parent) {
      if (p.type === 'for_statement' && p.childForFieldName('left')?.text === variable) return literalStrings(listOf(p.childForFieldName('right')));
    }
    return null;
  };
  const generator = (g: Node | null): Array<{ app: string; model: string }> => {
    if (g?.type !== 'generator_expression' && g?.type !== 'list_comprehension') return [];
    const clause = g.namedChildren.find((c) => c.type === 'for_in_clause');
    const variable = clause?.childForFieldName('left')?.text;
    return fromCall(g.childForFieldName('body'), (v) => (v === variable ? literalStrings(clause?.childForFieldName('right') ?? null) : null));
  };
  const out: Array<{ app: string; model: string }> = [];
  for (const a of body.descendantsOfType('assignment')) {
    if (a.childForFieldName('left')?.text !== name) continue;
    out.push(...fromCall(a.childForFieldName('right'), (v) => forOver(a, v)));
  }
  for (const f of body.descendantsOfType('for_statement')) {
    if (f.childForFieldName('left')?.text !== name) continue;
    // `for model in (Camelot, Textract):`, each name bound once to `apps.get_model("app", "Model")` (review 75: ynr `sopn_parsing/0008`).
    const classes = modelClassesIn(body, unparenthesized(f.childForFieldName('right') ?? f));
    if (classes) {
      out.push(...classes);
      continue;
    }
    const right = f.childForFieldName('right');
    const bound = right?.type === 'identifier' ? body.descendantsOfType('assignment').find((a) => a.childForFieldName('left')?.text === right.text)?.childForFieldName('right') ?? null : right;
    out.push(...generator(bound ? unparenthesized(bound) : null));
  }
  return out;
}

/** The models a literal tuple or list of names holds, each bound once in `body` to `get_model("app", "Model")`; null otherwise. */
function modelClassesIn(body: Node, seq: Node): Array<{ app: string; model: string }> | null {
  if (seq.type !== 'tuple' && seq.type !== 'list') return null;
  const out: Array<{ app: string; model: string }> = [];
  for (const item of seq.namedChildren) {
    if (item.type !== 'identifier') return null;
    const bound = body.descendantsOfType('assignment').filter((a) => a.childForFieldName('left')?.text === item.text);
    const call = bound.length === 1 ? bound[0]?.childForFieldName('right') : null;
    if (!call || call.type !== 'call' || !/(?:^|\.)get_model$/.test(call.childForFieldName('function')?.text ?? '')) return null;
    const [appArg, modelArg] = callArguments(call).positional.map((a) => (a.type === 'string' ? staticString(a) : null));
    if (!appArg?.complete || !modelArg?.complete) return null;
    out.push({ app: appArg.text, model: modelArg.text });
  }
  return out.length > 0 ? out : null;
}

function unparenthesized(n: Node): Node {
  return n.type === 'parenthesized_expression' && n.namedChildren.length === 1 ? unparenthesized(n.namedChildren[0] as Node) : n;
}

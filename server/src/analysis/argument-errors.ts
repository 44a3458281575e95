/**
 * The errors Python's compiler raises over a call's arguments and a function's parameters that
 * tree-sitter's grammar lets through, each as fatal to importing the module as a syntax error:
 * a keyword argument given twice (`AddField(model_name="a", model_name="b")`, what a duplicated
 * line in an operation makes), a positional argument after a keyword argument or after `**`, `*`
 * after `**`, a parameter named twice, and a parameter without a default after one with a default
 * (before `*`). Found on the tree, once per tree.
 */
import type { Node } from './syntax';

export interface ArgumentProblem {
  /** Zero-based line and column of the offending argument or parameter. */
  line: number;
  character: number;
  message: string;
}

function problem(node: Node, message: string): ArgumentProblem {
  return { line: node.startPosition.row, character: node.startPosition.column, message: `SyntaxError: ${message}` };
}

function callArguments(list: Node): ArgumentProblem | null {
  const names = new Set<string>();
  let keyword = false;
  let keywordSplat = false;
  for (const a of list.namedChildren) {
    switch (a.type) {
      case 'comment':
        continue;
      case 'keyword_argument': {
        const name = a.childForFieldName('name')?.text;
        if (name !== undefined) {
          if (names.has(name)) return problem(a, `keyword argument repeated: ${name}`);
          names.add(name);
        }
        keyword = true;
        break;
      }
      case 'dictionary_splat':
        keywordSplat = true;
        break;
      case 'list_splat':
        if (keywordSplat) return problem(a, 'iterable argument unpacking follows keyword argument unpacking');
        break;
      default:
        if (keywordSplat) return problem(a, 'positional argument follows keyword argument unpacking');
        if (keyword) return problem(a, 'positional argument follows keyword argument');
    }
  }
  return null;
}

/** The name a parameter binds, or null (a separator, or a shape not read here). */
function parameterName(p: Node): Node | null {
  switch (p.type) {
    case 'identifier':
      return p;
    case 'default_parameter':
    case 'typed_default_parameter':
      return p.childForFieldName('name');
    case 'typed_parameter':
    case 'list_splat_pattern':
    case 'dictionary_splat_pattern': {
      const first = p.namedChildren[0];
      if (!first) return null;
      return first.type === 'identifier' ? first : parameterName(first);
    }
    default:
      return null;
  }
}

function parameters(list: Node): ArgumentProblem | null {
  const names = new Set<string>();
  let defaulted = false;
  let starred = false;
  for (const p of list.namedChildren) {
    if (p.type === 'comment') continue;
    const name = parameterName(p);
    if (name) {
      if (names.has(name.text)) return problem(p, `duplicate argument '${name.text}' in function definition`);
      names.add(name.text);
    }
    if (p.type === 'keyword_separator' || p.type === 'list_splat_pattern' || (p.type === 'typed_parameter' && p.namedChildren[0]?.type === 'list_splat_pattern')) starred = true;
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') defaulted = true;
    else if (!starred && defaulted && (p.type === 'identifier' || p.type === 'typed_parameter')) return problem(p, 'parameter without a default follows parameter with a default');
  }
  return null;
}

const byTree = new WeakMap<object, ArgumentProblem | null>();

/** The first such error in the tree, in source order, or null (looked for once per tree). */
export function argumentError(root: Node): ArgumentProblem | null {
  const key = root.tree as object;
  let found = byTree.get(key);
  if (found === undefined) {
    found = null;
    for (const n of root.descendantsOfType(['argument_list', 'parameters', 'lambda_parameters'])) {
      if (!n) continue;
      found = n.type === 'argument_list' ? callArguments(n) : parameters(n);
      if (found) break;
    }
    byTree.set(key, found);
  }
  return found;
}

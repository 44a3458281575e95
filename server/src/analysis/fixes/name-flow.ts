/**
 * How names flow through the statements of a loop body, for the split of deferred-create.ts: what
 * a statement refers to, whether the loop is left by `break`, and whether a name is read before the
 * statements set it (a value kept from row to row).
 */
import { walk, type Node } from '../syntax';
import { references } from './inline-helper';

/** The names `node` refers to (see references()), added to `out`. */
export function referencedNames(node: Node, out = new Set<string>()): Set<string> {
  for (const id of references(node)) out.add(id.text);
  return out;
}

/** A `break` of this loop (a nested loop's own break stays in it). */
export function breaksThisLoop(stmts: readonly Node[]): boolean {
  let found = false;
  for (const s of stmts) {
    walk(s, (n) => {
      if (found || ['function_definition', 'lambda', 'class_definition', 'for_statement', 'while_statement'].includes(n.type)) return false;
      if (n.type === 'break_statement') found = true;
      return !found;
    });
  }
  return found;
}

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

/** Where an identifier is bound, not read: a plain assignment's target, a `for` / `with … as` / walrus target. */
function bindsHere(id: Node): boolean {
  for (let n: Node = id, p = id.parent; p; n = p, p = p.parent) {
    if (p.type === 'assignment') return p.childForFieldName('left')?.id === n.id;
    if (p.type === 'for_statement' || p.type === 'for_in_clause') return p.childForFieldName('left')?.id === n.id;
    if (p.type === 'as_pattern_target') return true;
    if (p.type === 'as_pattern') return p.childForFieldName('alias')?.id === n.id;
    if (p.type === 'named_expression') return p.childForFieldName('name')?.id === n.id;
    if (!['pattern_list', 'tuple_pattern', 'list_pattern', 'parenthesized_expression', 'tuple', 'list'].includes(p.type)) return false;
  }
  return false;
}

/** A name of `names` whose first mention in the statements (in source order) reads it, or null. */
export function readBeforeSet(stmts: readonly Node[], names: ReadonlySet<string>): string | null {
  const seen = new Set<string>();
  let found: string | null = null;
  const inspect = (n: Node, own?: ReadonlySet<string>): boolean => {
    if (found) return false;
    if (n.type !== 'identifier' || !names.has(n.text) || seen.has(n.text) || own?.has(n.text)) return true;
    const p = n.parent;
    if (p?.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) return true;
    if (p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id) return true;
    if (bindsHere(n)) seen.add(n.text);
    else found = n.text;
    return true;
  };
  const visit = (n: Node, own?: ReadonlySet<string>): boolean => {
    if (found) return false;
    if (n.type === 'function_definition' || n.type === 'lambda' || n.type === 'class_definition') return false;
    if (COMPREHENSIONS.has(n.type)) {
      // Its `for` names are its own (`{each.pk: each for each in rows}` reads `each` after binding it).
      const inner = new Set<string>(own);
      for (const c of n.namedChildren) if (c.type === 'for_in_clause') referencedNames(c.childForFieldName('left') ?? c, inner);
      for (const c of n.namedChildren) walk(c, (x) => visit(x, inner));
      return false;
    }
    if (n.type === 'assignment' || n.type === 'augmented_assignment') {
      // The right side runs first: `total = total + 1` reads before it sets.
      const right = n.childForFieldName('right');
      if (right) walk(right, (r) => visit(r, own));
      const left = n.childForFieldName('left');
      if (n.type === 'augmented_assignment' && left?.type === 'identifier' && names.has(left.text) && !seen.has(left.text) && !own?.has(left.text)) found = left.text;
      if (left && !found) walk(left, (l) => visit(l, own));
      return false;
    }
    return inspect(n, own);
  };
  for (const s of stmts) {
    walk(s, (n) => visit(n));
    if (found) return found;
  }
  return found;
}

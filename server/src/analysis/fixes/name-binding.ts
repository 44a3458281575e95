/**
 * Where a name is bound in a block of code: every statement or clause that binds it, whether a
 * target binds it at all (`row.x = …` binds no `row`), and the one value it is given when one plain
 * assignment is all there is.
 */
import { unparen, type Node } from '../syntax';

/**
 * The nodes that bind `name` in `body` (assignments, loops' and withs' targets, walruses, imports), counted
 * generously: a target that merely mentions it (`name.x = …`) counts too, the safe answer to "may it change".
 */
export function bindingsOf(body: Node, name: string): Node[] {
  const binds = (t: Node | null): boolean => !!t && (t.type === 'identifier' ? t.text === name : t.descendantsOfType('identifier').some((i) => i.text === name));
  const out: Node[] = [];
  for (const n of body.descendantsOfType(['assignment', 'augmented_assignment', 'for_statement', 'for_in_clause', 'named_expression', 'as_pattern', 'import_statement', 'import_from_statement', 'global_statement', 'nonlocal_statement'])) {
    if (n.type === 'assignment' || n.type === 'augmented_assignment' || n.type === 'for_statement' || n.type === 'for_in_clause') {
      if (binds(n.childForFieldName('left'))) out.push(n);
    } else if (n.type === 'named_expression') {
      if (binds(n.childForFieldName('name'))) out.push(n);
    } else if (binds(n)) out.push(n);
  }
  return out;
}

/** Whether `name` is bound anywhere in `body`. */
export function boundIn(body: Node, name: string): boolean {
  return bindingsOf(body, name).length > 0;
}

/** Whether an assignment's or a loop's target binds `name` (`row.x = …` and `row[k] = …` bind none). */
export function bindsName(target: Node, name: string): boolean {
  if (target.type === 'identifier') return target.text === name;
  if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern' || target.type === 'with_statement' || target.type === 'with_clause' || target.type === 'with_item' || target.type === 'as_pattern' || target.type === 'as_pattern_target') {
    return target.namedChildren.some((c) => bindsName(c, name));
  }
  return false;
}

/** The kinds of node that may bind a name, besides imports. */
const BINDERS = ['assignment', 'augmented_assignment', 'for_statement', 'for_in_clause', 'named_expression', 'with_statement'];

/**
 * The value `name` is given in `scope` when one plain assignment (`name = value`) is its only binding
 * there, without parentheses; null otherwise.
 */
export function soleAssignedValue(scope: Node, name: string): Node | null {
  const binds = scope.descendantsOfType(BINDERS).filter((n) => {
    const left = n.type === 'named_expression' ? n.childForFieldName('name') : n.type === 'with_statement' ? n : n.childForFieldName('left');
    return !!left && bindsName(left, name);
  });
  const only = binds.length === 1 && binds[0]?.type === 'assignment' && binds[0].childForFieldName('left')?.type === 'identifier' ? binds[0] : null;
  const right = only?.childForFieldName('right');
  return right ? unparen(right) : null;
}

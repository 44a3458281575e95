/**
 * Which names a piece of code reads, and which names a module-level statement binds: what the
 * split needs to give each part exactly the imports, helpers and constants it uses.
 */
import { walk, type Node } from '../syntax';

/** Every identifier read in `node` (attribute names and keyword names excluded). */
export function usedNames(node: Node, into: Set<string> = new Set()): Set<string> {
  walk(node, (n) => {
    if (n.type !== 'identifier') return;
    const parent = n.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === n.id) return;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === n.id) return;
    into.add(n.text);
  });
  return into;
}

export interface ImportItem {
  /** The item as written (`migrations`, `F as Field`). */
  text: string;
  /** The name it binds. */
  binds: string;
}

/** The items of an import statement, or null for `from x import *`. */
export function importItems(stmt: Node): ImportItem[] | null {
  if (stmt.type === 'import_from_statement' && stmt.namedChildren.some((c) => c.type === 'wildcard_import')) return null;
  return stmt.childrenForFieldName('name').map((item) => {
    if (item.type === 'aliased_import') return { text: item.text, binds: item.childForFieldName('alias')?.text ?? item.text };
    const bound = stmt.type === 'import_statement' ? (item.text.split('.')[0] as string) : (item.text.split('.').pop() as string);
    return { text: item.text, binds: bound };
  });
}

/** Names a module-level statement binds (definitions, assignments, imports, nested blocks). */
export function boundNames(stmt: Node, into: Set<string> = new Set()): Set<string> {
  switch (stmt.type) {
    case 'function_definition':
    case 'class_definition': {
      const name = stmt.childForFieldName('name')?.text;
      if (name) into.add(name);
      break;
    }
    case 'decorated_definition': {
      const def = stmt.childForFieldName('definition');
      if (def) boundNames(def, into);
      break;
    }
    case 'import_statement':
    case 'import_from_statement':
      for (const item of importItems(stmt) ?? []) into.add(item.binds);
      break;
    case 'expression_statement': {
      const e = stmt.firstNamedChild;
      let a: Node | null | undefined = e?.type === 'assignment' || e?.type === 'augmented_assignment' ? e : null;
      while (a && (a.type === 'assignment' || a.type === 'augmented_assignment')) {
        const left = a.childForFieldName('left');
        // An annotation alone (`save: Callable`) binds nothing (review 50: jumpserver's AuthMixin declares save so).
        if (left && a.childForFieldName('right')) for (const id of left.type === 'identifier' ? [left] : left.descendantsOfType('identifier')) into.add(id.text);
        const right = a.childForFieldName('right');
        a = right?.type === 'assignment' ? right : null;
      }
      break;
    }
    case 'if_statement':
    case 'try_statement':
    case 'with_statement':
    case 'for_statement':
    case 'while_statement':
      for (const child of stmt.namedChildren) {
        const block = child.type === 'block' ? child : (child.childForFieldName('body') ?? child.childForFieldName('consequence'));
        if (block?.type === 'block') for (const s of block.namedChildren) boundNames(s, into);
      }
      break;
    default:
      break;
  }
  return into;
}

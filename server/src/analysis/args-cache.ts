/**
 * Typed arguments of operations remembered by their source text, for an editor re-reading the same
 * migration on every keystroke: an operation whose call text did not change gets the arguments (the
 * very same object) read the last time. Everything is forgotten when the names arguments may
 * resolve through (imports, module and class assignments) change.
 */
import type { OperationArgs } from './operation-args';
import type { Node } from './syntax';

const MAX_ENTRIES = 20_000;

export class ArgsCache {
  private entries = new Map<string, OperationArgs | null>();
  private context: string | null = null;

  /** Starts a read of a file whose name bindings are `context`; a different context forgets all. */
  useContext(context: string): void {
    if (context !== this.context) this.entries = new Map();
    this.context = context;
  }

  get(key: string): OperationArgs | null | undefined {
    return this.entries.get(key);
  }

  set(key: string, args: OperationArgs | null): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries = new Map();
    this.entries.set(key, args);
  }
}

/** The statements names may resolve through: module-level imports and assignments, and the class's. */
export function bindingContext(root: Node, classBody: Node): string {
  const parts: string[] = [];
  const collect = (block: Node, skipOperations: boolean) => {
    for (const stmt of block.namedChildren) {
      if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement') parts.push(stmt.text);
      else if (stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'assignment') {
        const target = stmt.firstNamedChild.childForFieldName('left')?.text;
        if (!(skipOperations && target === 'operations')) parts.push(stmt.text);
      }
    }
  };
  collect(root, false);
  collect(classBody, true);
  return parts.join('\n');
}

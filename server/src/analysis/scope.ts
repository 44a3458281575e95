/**
 * Static name bindings of a module or class body: functions, classes, simple assignments and
 * imports. A name bound more than once (or in a branch) is ambiguous and resolves to nothing,
 * so no rule ever reasons from a value the code may not have.
 */
import type { Node } from './syntax';

export type BindingKind = 'function' | 'class' | 'value' | 'import';

export interface Binding {
  kind: BindingKind;
  /** function_definition / class_definition / the assigned expression / the import statement. */
  node: Node;
  /** For imports: the dotted module path and imported name (`functools`, `partial`). */
  importedFrom?: string;
  importedName?: string;
}

export class Scope {
  private readonly bindings = new Map<string, Binding | 'ambiguous'>();
  /** A block whose statements are bound on the first look-up (most files never look a name up). */
  private pending: Node | null = null;

  constructor(readonly parent: Scope | null) {}

  static lazy(block: Node, parent: Scope | null): Scope {
    const scope = new Scope(parent);
    scope.pending = block;
    return scope;
  }

  private materialise(): void {
    const block = this.pending;
    if (!block) return;
    this.pending = null;
    bindBlock(this, block);
  }

  bind(name: string, binding: Binding, certain: boolean): void {
    const previous = this.bindings.get(name);
    // `import django.apps` then `import django.conf` bind `django` twice to the same package.
    const same =
      previous !== undefined && previous !== 'ambiguous' && previous.kind === 'import' && binding.kind === 'import' && previous.importedName === undefined && binding.importedName === undefined && previous.importedFrom === binding.importedFrom;
    if (same && certain) return;
    this.bindings.set(name, previous !== undefined || !certain ? 'ambiguous' : binding);
  }

  /** Looks a name up here, then in enclosing scopes; null when unknown or ambiguous. */
  lookup(name: string): Binding | null {
    this.materialise();
    const own = this.bindings.get(name);
    if (own === 'ambiguous') return null;
    if (own) return own;
    return this.parent ? this.parent.lookup(name) : null;
  }

  has(name: string): boolean {
    this.materialise();
    return this.bindings.has(name) || (this.parent?.has(name) ?? false);
  }
}

function bindImport(scope: Scope, stmt: Node, certain: boolean): void {
  if (stmt.type === 'import_from_statement') {
    const module = stmt.childForFieldName('module_name')?.text ?? '';
    for (const child of stmt.childrenForFieldName('name')) {
      if (child.type === 'aliased_import') {
        const original = child.childForFieldName('name')?.text ?? '';
        const alias = child.childForFieldName('alias')?.text;
        if (alias) scope.bind(alias, { kind: 'import', node: stmt, importedFrom: module, importedName: original }, certain);
      } else {
        const name = child.text;
        scope.bind(name.split('.').pop() ?? name, { kind: 'import', node: stmt, importedFrom: module, importedName: name }, certain);
      }
    }
    return;
  }
  // import a.b.c / import a.b as c
  for (const child of stmt.childrenForFieldName('name')) {
    if (child.type === 'aliased_import') {
      const original = child.childForFieldName('name')?.text ?? '';
      const alias = child.childForFieldName('alias')?.text;
      if (alias) scope.bind(alias, { kind: 'import', node: stmt, importedFrom: original }, certain);
    } else {
      const top = child.text.split('.')[0];
      if (top) scope.bind(top, { kind: 'import', node: stmt, importedFrom: top }, certain);
    }
  }
}

function bindAssignment(scope: Scope, assignment: Node, certain: boolean): void {
  const left = assignment.childForFieldName('left');
  const right = assignment.childForFieldName('right');
  if (!left) return;
  if (left.type === 'identifier') {
    if (right) scope.bind(left.text, { kind: 'value', node: right }, certain);
    else scope.bind(left.text, { kind: 'value', node: assignment }, false); // annotation only
    return;
  }
  // Tuple unpacking and similar: the names exist but their values are not read. A subscript
  // (`rows[k] = …`) changes what its name holds: no longer a value to read either. An attribute set on
  // an object (`SiteProfile._parler_meta = …`) leaves the name bound to the same object (review 29:
  // MetaDeploy `0063`, whose model from apps.get_model was taken for unknown).
  for (const id of changedNames(left)) scope.bind(id.text, { kind: 'value', node: assignment }, false);
}

/** The names an assignment target binds or changes: itself, the names of a tuple / list pattern, a subscript's container. */
function changedNames(target: Node): Node[] {
  if (target.type === 'identifier') return [target];
  if (target.type === 'attribute') return [];
  if (target.type === 'subscript') {
    const value = target.childForFieldName('value');
    return value ? changedNames(value) : [];
  }
  return target.namedChildren.flatMap(changedNames);
}

/** Records the bindings of the statements of a block (module, class or function body). */
export function bindBlock(scope: Scope, block: Node, certain = true): void {
  for (const stmt of block.namedChildren) bindStatement(scope, stmt, certain);
}

function bindStatement(scope: Scope, stmt: Node, certain: boolean): void {
  switch (stmt.type) {
    case 'function_definition':
    case 'class_definition': {
      const name = stmt.childForFieldName('name')?.text;
      if (name) scope.bind(name, { kind: stmt.type === 'function_definition' ? 'function' : 'class', node: stmt }, certain);
      return;
    }
    case 'decorated_definition': {
      const def = stmt.childForFieldName('definition');
      if (def) bindStatement(scope, def, certain);
      return;
    }
    case 'expression_statement': {
      const inner = stmt.firstNamedChild;
      if (!inner) return;
      if (inner.type === 'assignment') {
        // Chained `a = b = value`: the right side is itself an assignment.
        let a: Node | null = inner;
        while (a && a.type === 'assignment') {
          bindAssignment(scope, a, certain);
          const right: Node | null = a.childForFieldName('right');
          a = right && right.type === 'assignment' ? right : null;
        }
      } else if (inner.type === 'augmented_assignment') {
        const left = inner.childForFieldName('left');
        if (left?.type === 'identifier') scope.bind(left.text, { kind: 'value', node: inner }, false);
      }
      return;
    }
    case 'import_statement':
    case 'import_from_statement':
      bindImport(scope, stmt, certain);
      return;
    case 'with_statement': {
      // Its body runs once, as the statements around it do (`with transaction.atomic():`, `with scopes_disabled():`).
      const body = stmt.childForFieldName('body') ?? stmt.namedChildren.find((c) => c.type === 'block');
      if (body) bindBlock(scope, body, certain);
      return;
    }
    case 'if_statement':
    case 'try_statement':
    case 'for_statement':
    case 'while_statement': {
      for (const child of stmt.namedChildren) {
        if (child.type === 'block') bindBlock(scope, child, false);
        else if (child.type === 'else_clause' || child.type === 'elif_clause' || child.type === 'except_clause' || child.type === 'finally_clause') {
          const body = child.childForFieldName('body') ?? child.namedChildren.find((c) => c.type === 'block');
          if (body) bindBlock(scope, body, false);
        }
      }
      return;
    }
    default:
      return;
  }
}

export function moduleScope(root: Node): Scope {
  return Scope.lazy(root, null);
}

export function blockScope(block: Node, parent: Scope): Scope {
  return Scope.lazy(block, parent);
}

/**
 * Builds the migration model from a parsed file: the Migration class, its `atomic`,
 * `dependencies`, `run_before`, `replaces` and `initial` attributes, and its operations
 * (see operations.ts). Returns null when the file defines no migration class.
 */
import { bindingContext, type ArgsCache } from './args-cache';
import type { ValueInterner } from './interner';
import { resolveOperations, type Operation } from './operations';
import { blockScope, moduleScope, type Scope } from './scope';
import { dottedName, unparen, type Node } from './syntax';

export interface AttributeStatement<T> {
  /** The assignment statement in the class body, or null when the attribute is not set. */
  statement: Node | null;
  /** The assigned value node. */
  valueNode: Node | null;
  /** The value if it is a literal we can read; 'unknown' when computed. */
  value: T | 'unknown' | undefined;
}

/** An attribute read where it stands, its value left to whoever reads it (summary.ts reads the migration lists). */
export interface AttributeNodes {
  statement: Node | null;
  valueNode: Node | null;
}

export interface MigrationModel {
  root: Node;
  classNode: Node;
  nameNode: Node;
  body: Node;
  moduleScope: Scope;
  classScope: Scope;
  atomic: AttributeStatement<boolean>;
  initial: AttributeStatement<boolean>;
  /** The value of a `safe = …` class attribute (django-safemigrate's deploy phase), or null. */
  safe: Node | null;
  dependencies: AttributeNodes;
  runBefore: AttributeNodes;
  replaces: AttributeNodes;
  /** The statement that assigns `operations`, if any. */
  operationsStatement: Node | null;
  /** The assigned expression when it is a plain list or tuple literal (what a split can rewrite). */
  operationsLiteral: Node | null;
  operations: Operation[];
  /** False when part of the operations could not be resolved statically. */
  operationsComplete: boolean;
}

function isMigrationBase(base: Node, scope: Scope): boolean {
  const name = dottedName(base);
  if (!name) return false;
  if (name === 'migrations.Migration' || name === 'django.db.migrations.Migration') return true;
  if (name.endsWith('.Migration')) {
    const head = name.split('.')[0] as string;
    const b = scope.lookup(head);
    return b?.kind === 'import' && (b.importedFrom ?? '').startsWith('django');
  }
  if (name === 'Migration') {
    const b = scope.lookup('Migration');
    return b?.kind === 'import' && (b.importedFrom ?? '').startsWith('django.db.migrations');
  }
  return false;
}

/**
 * The class Django loads: a module-level class named `Migration`; failing that, a class whose base
 * is Django's Migration (files outside a `migrations` folder).
 */
export function findMigrationClass(root: Node, scope: Scope): Node | null {
  let named: Node | null = null;
  let derived: Node | null = null;
  for (const stmt of root.namedChildren) {
    const cls = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (cls?.type !== 'class_definition') continue;
    if (cls.childForFieldName('name')?.text === 'Migration') named = cls;
    else if (!derived) {
      const bases = cls.childForFieldName('superclasses');
      if (bases?.namedChildren.some((b) => isMigrationBase(b, scope))) derived = cls;
    }
  }
  return named ?? derived;
}

/**
 * True when a class in this file derives from Django's Migration (content-based detection). A
 * class of another name than `Migration` counts only when it states `operations` or
 * `dependencies`: one that states neither is a base class other migrations derive from (a project's
 * `class MigrationIgnoredInTest(Migration)` overriding `apply`), which does nothing when run.
 */
export function definesMigrationClass(root: Node): boolean {
  const scope = moduleScope(root);
  for (const stmt of root.namedChildren) {
    const cls = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (cls?.type !== 'class_definition') continue;
    const bases = cls.childForFieldName('superclasses');
    if (!bases?.namedChildren.some((b) => isMigrationBase(b, scope))) continue;
    if (cls.childForFieldName('name')?.text === 'Migration') return true;
    const body = cls.childForFieldName('body');
    const stated = body ? classAttributes(body) : new Map();
    if (stated.has('operations') || stated.has('dependencies')) return true;
  }
  return false;
}

type ClassAttributes = Map<string, { statement: Node; value: Node | null }>;

/** The simple `name = value` assignments of a class body, in one pass (the last one wins). */
export function classAttributes(body: Node): ClassAttributes {
  const out: ClassAttributes = new Map();
  for (const stmt of body.namedChildren) {
    if (stmt.type !== 'expression_statement') continue;
    const a = stmt.firstNamedChild;
    if (a?.type !== 'assignment') continue;
    const left = a.childForFieldName('left');
    if (left?.type === 'identifier') out.set(left.text, { statement: stmt, value: a.childForFieldName('right') });
  }
  return out;
}

function boolAttribute(attrs: ClassAttributes, name: string): AttributeStatement<boolean> {
  const attr = attrs.get(name);
  if (!attr) return { statement: null, valueNode: null, value: undefined };
  const v = attr.value ? unparen(attr.value) : null;
  const value = v?.type === 'true' ? true : v?.type === 'false' ? false : 'unknown';
  return { statement: attr.statement, valueNode: attr.value, value };
}

function nodesOf(attrs: ClassAttributes, name: string): AttributeNodes {
  const attr = attrs.get(name);
  return attr ? { statement: attr.statement, valueNode: attr.value } : { statement: null, valueNode: null };
}

/**
 * `atomic` as the class sets it, else as a same-file base class sets it; Django's default (True)
 * only when every base is Django's Migration. An imported base may set it: then it is unknown.
 */
function inheritedAtomic(cls: Node, attrs: ClassAttributes, scope: Scope, depth = 0): AttributeStatement<boolean> {
  const own = boolAttribute(attrs, 'atomic');
  if (own.statement || depth > 5) return own;
  for (const base of cls.childForFieldName('superclasses')?.namedChildren ?? []) {
    if (base.type === 'keyword_argument' || base.type === 'comment') continue;
    if (isMigrationBase(base, scope)) continue;
    const b = base.type === 'identifier' ? scope.lookup(base.text) : null;
    if (b?.kind === 'class') {
      const body = b.node.childForFieldName('body');
      const inherited = body ? inheritedAtomic(b.node, classAttributes(body), scope, depth + 1) : own;
      if (inherited.value !== undefined) return { ...inherited, statement: null };
      continue;
    }
    if (dottedName(base) === 'object') continue;
    return { statement: null, valueNode: null, value: 'unknown' };
  }
  return own;
}

/**
 * @param cache typed arguments read before from the same text (an editor's open document)
 * @param interner shares calls written the same way in many files (a process keeping every summary)
 */
export function buildMigrationModel(root: Node, cache: ArgsCache | null = null, interner: ValueInterner | null = null): MigrationModel | null {
  const scope = moduleScope(root);
  const classNode = findMigrationClass(root, scope);
  if (!classNode) return null;
  const body = classNode.childForFieldName('body');
  const nameNode = classNode.childForFieldName('name');
  if (!body || !nameNode) return null;
  const classScope = blockScope(body, scope);
  const imports = cache || interner ? bindingContext(root) : '';
  cache?.useContext(imports);
  const ops = resolveOperations(body, classScope, cache, interner ? { interner, imports } : null);
  const attrs = classAttributes(body);
  return {
    root,
    classNode,
    nameNode,
    body,
    moduleScope: scope,
    classScope,
    atomic: inheritedAtomic(classNode, attrs, scope),
    initial: boolAttribute(attrs, 'initial'),
    safe: attrs.get('safe')?.value ?? null,
    dependencies: nodesOf(attrs, 'dependencies'),
    runBefore: nodesOf(attrs, 'run_before'),
    replaces: nodesOf(attrs, 'replaces'),
    operationsStatement: ops.statement,
    operationsLiteral: ops.literal,
    operations: ops.operations,
    operationsComplete: ops.complete,
  };
}

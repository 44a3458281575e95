/**
 * Builds the migration model from a parsed file: the Migration class, its `atomic`,
 * `dependencies`, `run_before`, `replaces` and `initial` attributes, and its operations
 * (see operations.ts). Returns null when the file defines no migration class.
 */
import { resolveOperations, type Operation } from './operations';
import { blockScope, moduleScope, type Scope } from './scope';
import { dottedName, sequenceElements, staticString, unparen, type Node } from './syntax';

export interface AttributeStatement<T> {
  /** The assignment statement in the class body, or null when the attribute is not set. */
  statement: Node | null;
  /** The assigned value node. */
  valueNode: Node | null;
  /** The value if it is a literal we can read; 'unknown' when computed. */
  value: T | 'unknown' | undefined;
}

export interface MigrationRef {
  app: string;
  name: string;
  node: Node;
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
  dependencies: AttributeStatement<MigrationRef[]>;
  runBefore: AttributeStatement<MigrationRef[]>;
  replaces: AttributeStatement<MigrationRef[]>;
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

/** True when a class in this file derives from Django's Migration (content-based detection). */
export function definesMigrationClass(root: Node): boolean {
  const scope = moduleScope(root);
  for (const stmt of root.namedChildren) {
    const cls = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (cls?.type !== 'class_definition') continue;
    const bases = cls.childForFieldName('superclasses');
    if (bases?.namedChildren.some((b) => isMigrationBase(b, scope))) return true;
  }
  return false;
}

function classAttribute(body: Node, name: string): { statement: Node; value: Node | null } | null {
  let found: { statement: Node; value: Node | null } | null = null;
  for (const stmt of body.namedChildren) {
    if (stmt.type !== 'expression_statement') continue;
    const a = stmt.firstNamedChild;
    if (a?.type !== 'assignment') continue;
    if (a.childForFieldName('left')?.text !== name) continue;
    found = { statement: stmt, value: a.childForFieldName('right') };
  }
  return found;
}

function boolAttribute(body: Node, name: string): AttributeStatement<boolean> {
  const attr = classAttribute(body, name);
  if (!attr) return { statement: null, valueNode: null, value: undefined };
  const v = attr.value ? unparen(attr.value) : null;
  const value = v?.type === 'true' ? true : v?.type === 'false' ? false : 'unknown';
  return { statement: attr.statement, valueNode: attr.value, value };
}

function refsAttribute(body: Node, name: string): AttributeStatement<MigrationRef[]> {
  const attr = classAttribute(body, name);
  if (!attr) return { statement: null, valueNode: null, value: undefined };
  const elements = attr.value ? sequenceElements(attr.value) : null;
  if (!elements) return { statement: attr.statement, valueNode: attr.value, value: 'unknown' };
  const refs: MigrationRef[] = [];
  let complete = true;
  for (const el of elements) {
    const pair = sequenceElements(el);
    const app = pair?.[0] ? staticString(pair[0]) : null;
    const mig = pair?.[1] ? staticString(pair[1]) : null;
    if (pair?.length === 2 && app?.complete && mig?.complete) refs.push({ app: app.text, name: mig.text, node: el });
    else complete = false; // swappable_dependency(...), settings-derived names, ...
  }
  return { statement: attr.statement, valueNode: attr.value, value: complete ? refs : 'unknown' };
}

export function buildMigrationModel(root: Node): MigrationModel | null {
  const scope = moduleScope(root);
  const classNode = findMigrationClass(root, scope);
  if (!classNode) return null;
  const body = classNode.childForFieldName('body');
  const nameNode = classNode.childForFieldName('name');
  if (!body || !nameNode) return null;
  const classScope = blockScope(body, scope);
  const ops = resolveOperations(body, classScope);
  return {
    root,
    classNode,
    nameNode,
    body,
    moduleScope: scope,
    classScope,
    atomic: boolAttribute(body, 'atomic'),
    initial: boolAttribute(body, 'initial'),
    dependencies: refsAttribute(body, 'dependencies'),
    runBefore: refsAttribute(body, 'run_before'),
    replaces: refsAttribute(body, 'replaces'),
    operationsStatement: ops.statement,
    operationsLiteral: ops.literal,
    operations: ops.operations,
    operationsComplete: ops.complete,
  };
}

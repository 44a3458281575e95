/**
 * A migration file as plain data — no tree nodes — for the project layer: its dependencies
 * (including `swappable_dependency(settings.AUTH_USER_MODEL)`, `__first__`, `__latest__`),
 * `run_before`, `replaces`, `initial`, `atomic`, and its operations with typed arguments and the
 * kinds the rules reason from. One unreadable entry of a list is marked as such; the others stay.
 * Built from the migration model in the same pass that lints the file.
 */
import type { CodeIndex } from '../code-facts';
import type { MigrationModel } from '../migration-model';
import type { OperationArgs } from '../operation-args';
import { operationKinds } from '../operation-kinds';
import type { BranchStep, Operation } from '../operations';
import { callArguments, dottedName, rangeOf, sequenceElements, staticString, type Node } from '../syntax';
import { importedName } from './base-class';
import { atomicFalseFix } from '../fixes/atomic-fix';
import type { Scope } from '../scope';
import { sqlSites, type SqlSites } from '../sql-sites';
import { runPythonSqlSites } from '../runpython-sql';
import type { Range, TextEdit } from '../types';
import type { ImportedCallable } from '../imported-callables';
import { asItems, asString, Evaluator, type Value } from '../values';
import { parsesAsPython } from '../indentation';
import { importedCodeOf } from '../imported-callables';
import { emptiedModels } from '../emptied-models';

export interface MigrationKey {
  app: string;
  name: string;
}

export type DependencyEntry =
  | { kind: 'key'; app: string; name: string; range: Range }
  /** `swappable_dependency(settings.X)`: the first migration of the app of the model named by setting X. */
  | { kind: 'swappable'; setting: string; range: Range }
  | { kind: 'unknown'; range: Range };

export interface DependencyList {
  entries: DependencyEntry[];
  /** False when the list itself (or part of it) could not be read. */
  complete: boolean;
}

export interface OperationSummary {
  name: string;
  specName: string | null;
  /** The callee, where findings about the operation are shown. */
  range: Range;
  /** The whole call, arguments included (where the editor's hover answers for it). */
  callRange: Range;
  args: OperationArgs | null;
  branches: BranchStep[];
  /** False when it comes from a comprehension that may be empty. */
  certain: boolean;
  /** Index (in `operations`) of the SeparateDatabaseAndState whose database_operations hold it. */
  container: number | null;
  databaseEffect: Operation['databaseEffect'];
  customState: boolean;
  /** state_operations (SeparateDatabaseAndState, RunSQL); null when unreadable. */
  stateOperations: OperationSummary[] | null;
  isData: boolean;
  isSchema: boolean;
  touchesExistingTable: boolean;
  targetModel: string | null;
  createsModel: string | null;
  sqlTables: string[];
  nonTransactional: string | null;
  /** RunSQL's forward statements as written (comments removed); [] for noop; null when not read or not RunSQL. */
  sql: string[] | null;
  /** A short description for messages (`AddField on 'order'`, `RunSQL "ALTER TABLE x …"`). */
  label: string;
  /** RunSQL's forward statements the schema rules judge, with their ranges in the string literals (read from the tree only). */
  sqlSites?: SqlSites;
  /**
   * An operation we do not know that names the model it acts on with a string (`model_name='course'`,
   * as Django's own field and model operations do): that model, lower-case. The state replay then
   * takes only that model as unknown, not the whole app.
   */
  actsOn?: string;
  /** With `actsOn`, the field such an operation names with `name=` as a plain string literal, lower-case. */
  actsOnField?: string;
  /**
   * An operation we do not know, called through the module's imports: the class's dotted name
   * (`ureport.sql.InstallSQL`, relative ones kept relative: `.ops.InstallSQL`). The project view
   * reads that class from the project's source to learn whether it leaves the state alone.
   */
  importedFrom?: string;
  /** Set by the project view: an operation class of the project that leaves the model state alone (operation-class.ts). */
  stateNeutral?: true;
  /**
   * RunPython's code or reverse_code when it is a function imported from another module of the
   * project (`rbac.create_roles` after `from awx.main.migrations import _rbac as rbac`): its dotted
   * name through the imports (relative ones kept relative), and where the migration names it. The
   * project view reads it there (imported-code.ts).
   */
  importedCode?: ImportedCallable[];
  /** RunPython whose forward code deletes every row of these models first thing (emptied-models.ts); absent when none. */
  emptiedModels?: Array<{ app: string; model: string }>;
}


export interface MigrationSummary {
  /** The migration's name: its file name without `.py`. */
  name: string;
  /** The Migration class name, where graph findings are shown. */
  classRange: Range;
  dependencies: DependencyList;
  runBefore: DependencyList;
  /** Null when the migration replaces nothing. */
  replaces: { keys: MigrationKey[]; complete: boolean } | null;
  initial: boolean | null;
  atomic: boolean | 'unknown';
  operations: OperationSummary[];
  operationsComplete: boolean;
  /**
   * When the project runs it, as django-safemigrate's `safe = Safe.before_deploy()` /
   * `Safe.after_deploy()` / `Safe.always()` says; absent when the migration does not say.
   */
  deployPhase?: DeployPhase;
  /**
   * When makemigrations wrote the file, from its header (`# Generated by Django 4.2 on 2024-01-31 12:00`):
   * files of one run carry the same minute. Absent when the file has no such header.
   */
  generated?: string;
  /**
   * makemigrations of Django before 1.9 wrote the file: no `Generated by` header (1.9 added it) and that
   * Django's `from django.db import models, migrations`. The indexes and constraints it made were named by
   * that Django's rules (a single column's index `<table>_<digest>`), not today's (review 63: dissemin
   * `publishers/0001`, 2015).
   */
  namedBefore19?: true;
  /** The edits that make the migration non-atomic, for the fixes of RunSQL statements that must run outside a transaction (absent when no such statement). */
  atomicFalseEdits?: TextEdit[] | null;
}

export type DeployPhase = 'before-deploy' | 'after-deploy' | 'always';

/** The header makemigrations writes, after any other comment lines at the top of the file. */
const GENERATED = /^(?:#[^\n]*\n)*?# Generated by Django \S+ on (\d{4}-\d{2}-\d{2} \d{2}:\d{2})\b/;

/** The import line of makemigrations before Django 1.9 (later ones write `migrations, models`). */
const IMPORT_BEFORE_19 = /^from django\.db import models, migrations[ \t]*\r?$/m;

/** The minute makemigrations wrote a migration, from the start of its text, and whether a Django before 1.9 wrote it (see MigrationSummary.generated, namedBefore19). */
export function generatedStamp(text: string): { generated?: string; namedBefore19?: true } {
  const head = text.slice(0, 1024);
  const m = GENERATED.exec(head);
  if (m) return { generated: m[1] as string };
  return IMPORT_BEFORE_19.test(head) ? { namedBefore19: true } : {};
}

/** `Safe.after_deploy()` (with or without the call, any arguments, the module spelled out or not) → its phase. */
const SAFE_MARKER = /^(?:django_safemigrate\.)?Safe\.(before_deploy|after_deploy|always)\s*(?:\([^()]*\))?$/;

function deployPhaseOf(model: MigrationModel): DeployPhase | null {
  return model.safe ? deployPhaseFrom(model.safe.text, model.moduleScope) : null;
}

/** The phase a `safe = …` value's text declares, its names looked up in the module's scope (shared with the readings without a full analysis). */
export function deployPhaseFrom(valueText: string, moduleScope: Scope): DeployPhase | null {
  const m = SAFE_MARKER.exec(valueText.trim());
  if (!m) return null;
  // `Safe` must be django-safemigrate's: imported from it, or named through it.
  const root = m[0].startsWith('django_safemigrate.') ? moduleScope.lookup('django_safemigrate') : moduleScope.lookup('Safe');
  if (root?.kind !== 'import' || !root.importedFrom?.startsWith('django_safemigrate')) return null;
  return m[1] === 'before_deploy' ? 'before-deploy' : m[1] === 'after_deploy' ? 'after-deploy' : 'always';
}

/** The key only when the migration declares a phase: summaries of the many files that do not stay as they were. */
function withDeployPhase(model: MigrationModel): { deployPhase?: DeployPhase } {
  const phase = deployPhaseOf(model);
  return phase ? { deployPhase: phase } : {};
}

export function dependencyEntry(value: Value, range: Range): DependencyEntry {
  const pair = asItems(value);
  if (pair && (value.kind === 'tuple' || value.kind === 'list') && pair.length === 2) {
    const app = asString(pair[0]);
    const name = asString(pair[1]);
    if (app !== null && name !== null) return { kind: 'key', app, name, range };
  }
  if (value.kind === 'call' && /(^|\.)swappable_dependency$/.test(value.callee.path ?? value.callee.text)) {
    const arg = value.args[0] ?? value.kwargs.value;
    if (arg?.kind === 'ref') {
      const m = /(?:^|\.)settings\.([A-Z_][A-Z0-9_]*)$/.exec(arg.path ?? arg.text);
      if (m?.[1]) return { kind: 'swappable', setting: m[1], range };
    }
  }
  return { kind: 'unknown', range };
}

/** Reads a class attribute holding a list of (app, name) entries. */
export function dependencyList(node: Node | null, statement: Node | null, ev: Evaluator): DependencyList {
  if (!statement) return { entries: [], complete: true };
  if (!node) return { entries: [], complete: false };
  const elements = sequenceElements(node);
  if (elements) {
    // An entry error recovery had to patch up (`("app", "0001_x` and a line break) names nothing.
    return { entries: elements.map((el) => (el.hasError ? { kind: 'unknown' as const, range: rangeOf(el) } : dependencyEntry(ev.eval(el), rangeOf(el)))), complete: true };
  }
  // A computed list (`[...] + [...]`, a name): entries without their own positions.
  const items = asItems(ev.eval(node));
  if (!items) return { entries: [], complete: false };
  const range = rangeOf(statement);
  return { entries: items.map((v) => dependencyEntry(v, range)), complete: true };
}

/** A short description of an operation for messages. */
export function operationLabel(name: string, targetModel: string | null): string {
  return targetModel ? `${name} on '${targetModel}'` : name;
}

function label(op: Operation): string {
  if (op.runSql?.sql) {
    const ddl = op.runSql.sql.statements.find((st) => st.cls === 'ddl-existing' || st.cls === 'ddl-new');
    if (ddl) {
      // The statement as written (its `code` stands `$BODY(n)` for a dollar-quoted body: Ghostwriter reporting/0070).
      const one = ddl.text.replace(/\s+/g, ' ').trim();
      const head = one.split(' ').slice(0, 4).join(' ');
      return `${op.name} "${head}${one.length > head.length ? ' …' : ''}"`;
    }
  }
  return operationLabel(op.name, op.targetModel);
}

function forwardSql(op: Operation): string[] | null {
  const sql = op.runSql?.sql;
  if (!sql || sql.state === 'unknown' || !sql.complete || sql.params) return null;
  return sql.statements.map((st) => st.text);
}

function summarizeOperation(op: Operation, index: number | null, all: Operation[], kinds: ReturnType<typeof operationKinds>, scope: Scope, code: CodeIndex | null = null): OperationSummary {
  const container = op.container ? all.indexOf(op.container) : -1;
  const sql = op.runSql?.sql;
  // DDL a RunPython's code executes itself (`cursor.execute("CREATE INDEX …")`): judged as RunSQL's is.
  const executed = index !== null && code && op.runPython ? runPythonSqlSites(op, code, scope) : null;
  return {
    name: op.name,
    specName: op.specName,
    range: rangeOf(op.callee),
    callRange: rangeOf(op.call),
    args: op.args,
    branches: op.branches,
    certain: op.certain,
    container: container >= 0 ? container : null,
    databaseEffect: op.databaseEffect,
    customState: op.customState,
    stateOperations: op.stateOperations && op.stateOperationsComplete ? op.stateOperations.map((s, _, list) => summarizeOperation(s, null, list, kinds, scope)) : null,
    isData: index === null ? false : kinds.isData(op),
    isSchema: index === null ? false : kinds.isSchema(op),
    touchesExistingTable: index === null ? false : kinds.touchesExistingTable(op),
    targetModel: op.targetModel,
    createsModel: op.createsModel,
    sqlTables: op.sqlTables,
    nonTransactional: op.nonTransactional,
    sql: forwardSql(op),
    label: label(op),
    ...(index !== null && sql && sql.state === 'known' ? { sqlSites: sqlSites(sql.node, scope) } : executed ? { sqlSites: executed } : {}),
    ...actsOnOf(op),
    ...importedFromOf(op, scope),
    ...importedCodeOf(op, scope, index !== null ? code : null),
    ...emptiedOf(op, index !== null ? code : null),
  };
}

function emptiedOf(op: Operation, code: CodeIndex | null): { emptiedModels?: Array<{ app: string; model: string }> } {
  const models = code && op.runPython && op.certain && op.branches.length === 0 ? emptiedModels(op, code) : [];
  return models.length > 0 ? { emptiedModels: models } : {};
}

/** `{ importedFrom }` for an operation we do not know whose callee is a name the module imports. */
function importedFromOf(op: Operation, scope: Scope): { importedFrom?: string } {
  if (op.spec !== null) return {};
  const dotted = dottedName(op.classCallee ?? op.callee);
  const qualified = dotted ? importedName(dotted, scope) : null;
  return qualified && !qualified.startsWith('django.') ? { importedFrom: qualified } : {};
}

/** `{ actsOn, actsOnField }` for an operation we do not know whose `model_name=` (and `name=`) is a plain string literal. */
function actsOnOf(op: Operation): { actsOn?: string; actsOnField?: string } {
  if (op.spec !== null) return {};
  const args = callArguments(op.call);
  const identifier = (key: string): string | null => {
    const value = args.hasSplat ? null : args.keywords.get(key);
    const text = value?.type === 'string' ? staticString(value) : null;
    return text && text.complete && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text.text) ? text.text.toLowerCase() : null;
  };
  const model = identifier('model_name');
  if (!model) return {};
  const field = identifier('name');
  return field ? { actsOn: model, actsOnField: field } : { actsOn: model };
}

/** `replaces` as migration keys (null: the migration replaces nothing). */
export function replacesOf(list: DependencyList | null): MigrationSummary['replaces'] {
  if (!list) return null;
  return { keys: list.entries.flatMap((e) => (e.kind === 'key' ? [{ app: e.app, name: e.name }] : [])), complete: list.complete && list.entries.every((e) => e.kind === 'key') };
}

/** The summary of a migration; `name` is its file name without `.py`. */
export function summarizeMigration(model: MigrationModel, name: string, index: CodeIndex): MigrationSummary {
  const ev = new Evaluator(model.classScope);
  const kinds = operationKinds(index, model.operations);
  const atomic = model.atomic.value;
  const replacesList = model.replaces.statement ? dependencyList(model.replaces.valueNode, model.replaces.statement, ev) : null;
  // A file that does not parse (Django cannot even import it) says nothing reliable about its
  // place in the graph: what error recovery read is marked incomplete.
  const broken = !parsesAsPython(model.root);
  const deps = dependencyList(model.dependencies.valueNode, model.dependencies.statement, ev);
  const runBefore = dependencyList(model.runBefore.valueNode, model.runBefore.statement, ev);
  if (broken) {
    deps.complete = false;
    runBefore.complete = false;
  }
  const operations = model.operations.map((op, i) => summarizeOperation(op, i, model.operations, kinds, model.classScope, index));
  // Index builds and enum values the fixes move out of the transaction (computed only when there is one).
  const outside = operations.some((op) => op.sqlSites?.hazards.some((h) => h.rule === 'add-index-not-concurrent' || h.rule === 'remove-index-not-concurrent' || h.rule === 'enum-value-in-transaction'));
  const atomicFalse = outside ? atomicFalseFix(model, model.root.text, 'CONCURRENTLY and ALTER TYPE … ADD VALUE must run outside a transaction.', false) : undefined;
  return {
    name,
    classRange: rangeOf(model.nameNode),
    dependencies: deps,
    runBefore: runBefore,
    replaces: replacesOf(replacesList),
    initial: model.initial.value === undefined ? null : model.initial.value === 'unknown' ? null : model.initial.value,
    atomic: atomic === undefined ? true : atomic,
    operations,
    operationsComplete: model.operationsComplete && !broken,
    ...generatedStamp(model.root.text),
    ...withDeployPhase(model),
    ...(atomicFalse !== undefined ? { atomicFalseEdits: atomicFalse ? atomicFalse.edits : null } : {}),
  };
}

/**
 * A file of a migrations folder we cannot read (no Migration class found, a syntax error): it is
 * still a node Django would load, but its dependencies and operations are unknown.
 */
export function opaqueSummary(name: string): MigrationSummary {
  const none: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return {
    name,
    classRange: none,
    dependencies: { entries: [], complete: false },
    runBefore: { entries: [], complete: false },
    replaces: null,
    initial: null,
    atomic: 'unknown',
    operations: [],
    operationsComplete: false,
  };
}

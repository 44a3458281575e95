/**
 * The code a migration hands RunPython from another module of the project
 * (`from awx.main.migrations import _rbac as rbac` … `RunPython(rbac.rebuild_role_hierarchy)`;
 * openwisp's `from . import add_default_groups`): the models it uses that were imported — today's
 * models — rather than taken from the `apps` registry Django passes in. Read from the module's tree
 * as plain data (nothing is imported or run): the function and the helpers of the same module it
 * calls, as runpython-model-import reads a migration's own RunPython code.
 */
import { CodeIndex } from '../code-facts';
import { isTrivialFunction, type CodeUnit } from '../code-flow';
import { importedNames, modelUses, useFilter } from '../model-uses';
import { positionalParameterNames, UnitNames } from '../runpython-code';
import { moduleScope } from '../scope';
import { functionAround, rangeOf, type Node } from '../syntax';
import type { Range, TextEdit } from '../types';
import { importedName } from './base-class';

/** A model an imported function uses as today's model. */
export interface ImportedCodeUse {
  /** As written there: `Role`, `models.Role`, `get_user_model()`. */
  shown: string;
  /** Through that module's imports: `awx.main.models.rbac.Role` (relative ones kept relative). */
  qualified: string;
  /** An imported class, `get_user_model()`, or swapper's `load_model(...)`. */
  kind: 'model' | 'user-model' | 'swappable';
  /** For a bare imported class: its name and the module it comes from, as written. */
  model?: string;
  module?: string;
  /** In the module's file. */
  range: Range;
  /** The function of the module the use is in (the one RunPython runs, or a helper it calls). */
  inFunction: string;
}

/** A finding of a rule about RunPython code (a save loop, a network call) in the imported function, where it is in its module. */
export interface ImportedCodeFinding {
  rule: string;
  message: string;
  range: Range;
  /** The rule's fixes, as edits to the module (none where a fix would touch the migration or needs the project view). */
  fixes?: Array<{ title: string; edits: TextEdit[]; isPreferred: boolean }>;
}

/** What a function RunPython is handed from another module does with models: read there, or why not. */
export type ImportedCodeReading =
  | {
      kind: 'read';
      /** Absolute path of the module defining it. */
      file: string;
      function: string;
      uses: ImportedCodeUse[];
      /** What the rules about RunPython code find in it, read as RunPython code of a migration like the one asking (RUNPYTHON_CODE_RULES). */
      findings?: ImportedCodeFinding[];
    }
  | { kind: 'unknown'; why: string };

/** The rules whose findings in an imported function are reported on the migration that runs it. */
export const RUNPYTHON_CODE_RULES: ReadonlySet<string> = new Set(['unbatched-save-loop', 'runpython-external-call']);

/**
 * The module's text with a migration appended that runs each of `names` as RunPython code — atomic as the
 * migration asking is — so the rules read it exactly as they read a migration's own RunPython
 * code. The module's lines keep their numbers; findings past them are the appendix's.
 */
export function asRunPythonModule(source: string, names: readonly string[], atomic: boolean): string {
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const lines = [
    '',
    '',
    'from django.db import migrations as _migration_guard_migrations',
    '',
    '',
    'class Migration(_migration_guard_migrations.Migration):',
    ...(atomic ? [] : ['    atomic = False']),
    `    operations = [${names.map((name) => `_migration_guard_migrations.RunPython(${name})`).join(', ')}]`,
    '',
  ];
  return `${source}${source.endsWith('\n') || source === '' ? '' : eol}${lines.join(eol)}`;
}

/** What a module says of one of its names asked for as a function. */
export type FunctionReading =
  | { kind: 'read'; uses: ImportedCodeUse[]; /** The rows [start, end] of the function and each same-module helper it reaches. */ spans: Array<[number, number]> }
  /** The module imports the name from elsewhere: where (a dotted name, relative ones kept relative). */
  | { kind: 're-exported'; next: string }
  | { kind: 'missing'; why: string };

/** The name of a function definition, for messages. */
function functionName(def: Node): string {
  return def.childForFieldName('name')?.text ?? 'a lambda';
}

/**
 * The names a module's top-level imports bind, to where they come from (`create_roles` ->
 * `.rbac.create_roles`); null for a name bound more than once or imported in a way that cannot be read.
 */
export function importedBindings(root: Node): Map<string, string | null> {
  const scope = moduleScope(root);
  const out = new Map<string, string | null>();
  for (const stmt of root.namedChildren) {
    if (stmt.type !== 'import_from_statement' && stmt.type !== 'import_statement') continue;
    for (const item of stmt.childrenForFieldName('name')) {
      const bound = (item.type === 'aliased_import' ? item.childForFieldName('alias') : item)?.text.split('.')[0];
      if (bound && !out.has(bound)) out.set(bound, scope.lookup(bound)?.kind === 'import' ? importedName(bound, scope) : null);
    }
  }
  return out;
}

/** The models `name`, a function of the module whose tree is `root`, and its same-module helpers use as imported. */
export function functionModelUses(root: Node, name: string): FunctionReading {
  if (root.hasError) return { kind: 'missing', why: 'its module does not parse' };
  const scope = moduleScope(root);
  const b = scope.lookup(name);
  if (!b) return { kind: 'missing', why: `its module binds no ${name} that can be read` };
  if (b.kind === 'import') {
    const next = importedName(name, scope);
    return next ? { kind: 're-exported', next } : { kind: 'missing', why: `${name} is imported there in a way that cannot be read` };
  }
  if (b.kind !== 'function' || b.node.type !== 'function_definition') return { kind: 'missing', why: `${name} is not a function defined there` };
  if (isTrivialFunction(b.node)) return { kind: 'read', uses: [], spans: [] };
  const imported = importedNames(root);
  const filter = imported ? useFilter(imported) : null;
  const unit: CodeUnit = { node: b.node, scope };
  const uses: ImportedCodeUse[] = [];
  const spans: Array<[number, number]> = [];
  const seen = new Set<string>();
  const reached = new CodeIndex().reachable(unit);
  const fixed = fixedArguments(reached);
  for (const facts of reached) {
    spans.push([facts.unit.node.startPosition.row, facts.unit.node.endPosition.row]);
    if (filter && !filter(facts.unit.node.text)) continue;
    const calls = fixed.get(facts.unit.node.id);
    for (const use of modelUses(facts.unit, new UnitNames(facts))) {
      // In a branch every call of this helper rules out (`_restore(apps, backward=True)` … `if not backward:`).
      if (calls && calls.length > 0 && calls.every((known) => ruledOut(use.node, facts.unit.node, known))) continue;
      if (seen.has(use.qualified)) continue;
      seen.add(use.qualified);
      uses.push({
        shown: use.shown,
        qualified: use.qualified,
        kind: use.userModel ? 'user-model' : use.swappable !== undefined ? 'swappable' : 'model',
        ...(use.bare ? { model: use.bare.model, module: use.bare.module } : {}),
        range: rangeOf(use.node),
        inFunction: functionName(facts.unit.node),
      });
    }
  }
  return { kind: 'read', uses, spans };
}

/** `True`, `False`, `None` as written, or null for anything else. */
function literal(node: Node | null | undefined): string | null {
  return node && (node.type === 'true' || node.type === 'false' || node.type === 'none') ? node.text : null;
}

/** The parameters of `def` a call gives a literal (`backward=True`), defaults filling what it leaves out; null when the call cannot be read (a splat). */
function knownArguments(call: Node, def: Node): Map<string, string> | null {
  const args = (call.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type !== 'comment');
  if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return null;
  const positional = positionalParameterNames(def);
  const known = new Map<string, string | null>();
  let i = 0;
  for (const a of args) {
    if (a.type === 'keyword_argument') known.set(a.childForFieldName('name')?.text ?? '', literal(a.childForFieldName('value')));
    else known.set(positional[i++] ?? '', literal(a));
  }
  for (const p of def.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p.type !== 'default_parameter' && p.type !== 'typed_default_parameter') continue;
    const name = p.childForFieldName('name')?.text;
    if (name && !known.has(name)) known.set(name, literal(p.childForFieldName('value')));
  }
  const out = new Map<string, string>();
  for (const [k, v] of known) if (v !== null && k !== '') out.set(k, v);
  return out;
}

/**
 * For each helper called only by the function RunPython runs (not by other helpers), the literal
 * arguments of each of its calls there: what decides the branches it takes.
 */
function fixedArguments(reached: ReturnType<CodeIndex['reachable']>): Map<number, Array<Map<string, string>>> {
  const entry = reached[0];
  const out = new Map<number, Array<Map<string, string>>>();
  if (!entry) return out;
  const elsewhere = new Set(reached.slice(1).flatMap((f) => f.helperCalls.map((h) => h.target.node.id)));
  for (const h of entry.helperCalls) {
    const id = h.target.node.id;
    if (elsewhere.has(id) || h.target.node.type !== 'function_definition') continue;
    const known = knownArguments(h.call, h.target.node);
    const list = out.get(id) ?? [];
    // A call that cannot be read rules nothing out.
    list.push(known ?? new Map());
    out.set(id, list);
  }
  return out;
}

/** Whether `node` lies, within `unit`, in an `if` arm the known parameters rule out (`if not P:` with P True, its `else` with P False). */
function ruledOut(node: Node, unit: Node, known: ReadonlyMap<string, string>): boolean {
  const truth = (cond: Node | null): boolean | null => {
    if (!cond) return null;
    if (cond.type === 'identifier') {
      const v = known.get(cond.text);
      return v === undefined ? null : v === 'True';
    }
    if (cond.type === 'not_operator') {
      const inner = truth(cond.childForFieldName('argument'));
      return inner === null ? null : !inner;
    }
    if (cond.type === 'parenthesized_expression') return truth(cond.namedChildren[0] ?? null);
    return null;
  };
  for (let child: Node = node, p = node.parent; p && p.id !== unit.id; child = p, p = p.parent) {
    if (p.type === 'if_statement') {
      const t = truth(p.childForFieldName('condition'));
      if (t === false && p.childForFieldName('consequence')?.id === child.id) return true;
      // Only a plain `else` (an `elif` has a condition of its own).
      if (t === true && child.type === 'else_clause' && p.namedChildren.every((c) => c.type !== 'elif_clause')) return true;
    }
  }
  return false;
}

/** The loop (a `for` or a comprehension) whose header starts at `at`, as a finding of a loop gives it; null when none does. */
function loopAt(root: Node, at: Range): Node | null {
  let n: Node | null = root.descendantForPosition({ row: at.start.line, column: at.start.character });
  while (n && !(n.startPosition.row === at.start.line && n.startPosition.column === at.start.character && (n.type === 'for_statement' || n.type.endsWith('comprehension') || n.type === 'generator_expression'))) n = n.parent;
  return n;
}

/** A query's rows: a manager, a queryset method, a related manager (`…_set`), raw SQL. */
const ROWS_TEXT = /\.(?:objects|_default_manager|_base_manager)\b|\.(?:all|filter|exclude|iterator|order_by|values|values_list|select_related|prefetch_related|only|defer|distinct|annotate|using|raw)\s*\(|_set\b/;

/**
 * Whether the loop whose header starts at `at` walks a query's rows, as far as the text shows: its
 * iterable, or what the function assigns to the name it iterates. Code in another module is often
 * a project's plumbing — a registry of model classes, a settings list, a configuration dict — whose
 * size the code fixes and the rule cannot tell (review 42: awx `_dab_rbac.py`, openwisp's charts);
 * a save loop found there is reported only when it walks rows.
 */
export function loopOverRows(root: Node, at: Range): boolean {
  const n = loopAt(root, at);
  if (!n) return true;
  const iterable = n.type === 'for_statement' ? n.childForFieldName('right') : (n.namedChildren.find((c) => c.type === 'for_in_clause')?.childForFieldName('right') ?? null);
  if (!iterable) return true;
  if (ROWS_TEXT.test(iterable.text)) return true;
  // A function of the module that returns rows (galaxy_ng's `get_all_mismatched_assignments(apps)`, a chain of two querysets).
  const fn0 = iterable.type === 'call' ? iterable.childForFieldName('function') : null;
  if (fn0?.type === 'identifier') {
    const def = root.namedChildren.map((c) => (c.type === 'decorated_definition' ? c.childForFieldName('definition') : c)).find((c) => c?.type === 'function_definition' && c.childForFieldName('name')?.text === fn0.text);
    return !!def && ROWS_TEXT.test(def.childForFieldName('body')?.text ?? '');
  }
  const name = iterable.type === 'identifier' ? iterable.text : null;
  if (!name) return false;
  const fn = functionAround(n);
  // What the function assigns to (or appends to) the name.
  for (const a of fn?.childForFieldName('body')?.descendantsOfType(['assignment', 'call']) ?? []) {
    if (a.type === 'assignment' && a.childForFieldName('left')?.text === name && ROWS_TEXT.test(a.childForFieldName('right')?.text ?? '')) return true;
  }
  return false;
}

/**
 * Whether the loop whose header starts at `at` saves a row with a bare `save()` (no `update_fields`):
 * such a save stamps the model's auto_now fields (and model_utils' AutoLastModifiedField and the
 * like), which a bulk_update() of the fields the loop sets would skip. Which fields stamp is the
 * project view's to say, and a rewrite made in another module has not got it (review 43:
 * openwisp-radius's `add_default_organization` would have left `modified` as it was). A
 * `save(update_fields=[…])` stamps only what it names, a create goes through `pre_save` in
 * bulk_create too.
 */
export function savesWholeRows(root: Node, at: Range): boolean {
  const n = loopAt(root, at);
  // Where the loop cannot be found, take the careful answer.
  if (!n) return true;
  return n.descendantsOfType('call').some((c) => {
    const fn = c.childForFieldName('function');
    if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'save') return false;
    const args = c.childForFieldName('arguments')?.namedChildren ?? [];
    return !args.some((a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === 'update_fields');
  });
}


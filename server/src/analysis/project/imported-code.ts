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
import { UnitNames } from '../runpython-code';
import { moduleScope } from '../scope';
import { rangeOf, type Node } from '../syntax';
import type { Range } from '../types';
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
  for (const facts of new CodeIndex().reachable(unit)) {
    spans.push([facts.unit.node.startPosition.row, facts.unit.node.endPosition.row]);
    if (filter && !filter(facts.unit.node.text)) continue;
    for (const use of modelUses(facts.unit, new UnitNames(facts))) {
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

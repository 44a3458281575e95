/**
 * The fix of rename-column for RenameField: keep the column. The rename happens in Django's state
 * only — SeparateDatabaseAndState with no database operations, whose state side is the RenameField
 * followed by an AlterField giving the renamed field `db_column='<old column>'` — so nothing runs
 * in the database, and Django's state matches a models.py that declares the new field name with
 * `db_column="<old column>"` (what the user writes; `makemigrations --check` then finds nothing).
 *
 * The field is written from its definition in the migration state (keyword arguments sorted, as
 * makemigrations writes them). Left without a fix: a field whose definition holds what is not read
 * statically (choices, help_text, verbose_name, validators, computed values), or names a module
 * this file does not import; an AlterField that changes db_column (keeping the column would undo
 * the operation's only purpose); a migration that is not its app's latest.
 */
import type { FieldSpec } from '../fields';
import type { OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from '../rules/rule';
import type { Fix } from '../types';
import type { Value } from '../values';
import { pythonString } from './edits';
import { fixContext, separateDatabaseAndState } from './fix-context';
import { isAppLatest } from './follow-up';

/** `v` as Python source, or null when any part of it is not known; `bound` says which root names this file binds. */
export function pythonValue(v: Value, bound: (name: string) => boolean): string | null {
  const all = (items: readonly Value[]): string[] | null => {
    const out = items.map((i) => pythonValue(i, bound));
    return out.every((x): x is string => x !== null) ? out : null;
  };
  switch (v.kind) {
    case 'str':
      return pythonString(v.value);
    case 'int':
    case 'float':
      return Number.isFinite(v.value) ? String(v.value) : null;
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
    case 'tuple':
    case 'set': {
      const items = all(v.items);
      if (!items) return null;
      if (v.kind === 'list') return `[${items.join(', ')}]`;
      if (v.kind === 'set') return items.length === 0 ? 'set()' : `{${items.join(', ')}}`;
      return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    }
    case 'dict': {
      const entries = v.entries.map(([k, x]) => [pythonValue(k, bound), pythonValue(x, bound)]);
      return entries.every(([k, x]) => k !== null && x !== null) ? `{${entries.map(([k, x]) => `${k}: ${x}`).join(', ')}}` : null;
    }
    case 'ref':
      return /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(v.text) && bound(v.text.split('.')[0] as string) ? v.text : null;
    case 'call': {
      if (v.hasSplat) return null;
      const callee = pythonValue(v.callee, bound);
      const args = all(v.args);
      const kwargs = Object.entries(v.kwargs).map(([k, x]) => [k, pythonValue(x, bound)] as const);
      if (callee === null || !args || kwargs.some(([, x]) => x === null)) return null;
      return `${callee}(${[...args, ...kwargs.map(([k, x]) => `${k}=${x}`)].join(', ')})`;
    }
    default:
      return null;
  }
}

/** The field's call with `db_column` set, keyword arguments sorted; null when it cannot be written. */
function fieldWithColumn(field: FieldSpec, column: string, bound: (name: string) => boolean): string | null {
  const call = field.call;
  if (!call) return null;
  const kwargs: Record<string, Value> = { ...call.kwargs, db_column: { kind: 'str', value: column } };
  const sorted = Object.fromEntries(Object.keys(kwargs).sort().map((k) => [k, kwargs[k] as Value]));
  return pythonValue({ ...call, kwargs: sorted }, bound);
}

/** "Keep the column" for a RenameField finding; [] when it cannot be written. */
export function renameFieldFixes(ctx: ProjectRuleContext, op: OperationSummary, model: string, newName: string, field: FieldSpec, oldColumn: string): Fix[] {
  const fc = fixContext(ctx);
  if (!fc.hasText || !fc.migrationsBound || op.container !== null || op.branches.length > 0) return [];
  // Only the app's latest migration: an older one has run in production, and a later migration that
  // redefines the field without db_column would rename the column there (treeherder perf/0012, 0013).
  if (!isAppLatest(ctx.view, ctx.file)) return [];
  const names = new Set(fc.text.imports().flatMap((i) => i.names));
  // The field may come from a file that imports what this one does not: `models` is added.
  let needsModels = false;
  const written = fieldWithColumn(field, oldColumn, (n) => names.has(n) || (n === 'models' && (needsModels = true)));
  const importModels = needsModels ? fc.text.addFromImport('django.db', 'models') : null;
  const indent = fc.text.indentOf(op);
  const rename = indent === null ? null : fc.text.callAt(op, `${indent}        `);
  if (written === null || indent === null || rename === null) return [];
  const inner = `${indent}            `;
  const alter = [`${indent}        migrations.AlterField(`, `${inner}model_name=${pythonString(model)},`, `${inner}name=${pythonString(newName)},`, `${inner}field=${written},`, `${indent}        )`].join('\n');
  // The model in models.py must name the old column too, or today's code queries a column that does not exist
  // (review 48: cadasta accounts/0011, whose User.update_profile then broke every query of the user model).
  const marked = `# TODO(migration-guard): in models.py, give ${pythonString(newName)} db_column=${pythonString(oldColumn)} too, or today's code queries a column this migration no longer makes${'\n'}${indent}`;
  const text = marked + separateDatabaseAndState(indent, [rename, alter], []);
  return [
    {
      title: `Keep the column: rename '${newName}' in Django's state only, with db_column="${oldColumn}" (and in models.py)`,
      edits: [...(importModels ? [importModels] : []), fc.text.replaceCall(op, text.replace(/\n/g, fc.text.eol))],
      isPreferred: true,
      safe: false,
    },
  ];
}

/**
 * Typed arguments of a migration operation: the call's arguments bound to Django's parameter
 * names (positional and keyword, as the catalog lists them), evaluated to plain values, and read
 * as what each operation means — AddField {model, name, field: FieldSpec, preserveDefault},
 * CreateModel {name, fields, options, bases}, AddIndex {IndexSpec}, and so on. Whatever cannot be
 * read is null / undefined, never guessed.
 */
import { constraintSpec, fieldSpec, indexSpec, normalizeTogether, type ConstraintSpec, type FieldSpec, type IndexSpec } from './fields';
import type { ValueInterner } from './interner';
import type { OperationSpec } from './operation-catalog';
import type { Scope } from './scope';
import type { CallArguments, Node } from './syntax';
import { asBool, asItems, asString, dictKeysKnown, Evaluator, refPath, type CallValue, type Value } from './values';

/** `name -> argument node`, or null when the call cannot be bound (splats, unknown keywords, too many arguments). */
export function bindArguments(args: CallArguments, spec: OperationSpec): Map<string, Node> | null {
  if (args.hasSplat || args.positional.length > spec.params.length) return null;
  const bound = new Map<string, Node>();
  args.positional.forEach((node, i) => bound.set(spec.params[i] as string, node));
  for (const [k, node] of args.keywords) {
    if (!spec.params.includes(k) || bound.has(k)) return null;
    bound.set(k, node);
  }
  return bound;
}

export interface ModelOptions {
  /** Explicit db_table; null when not set (Django derives `app_model`). */
  dbTable: string | null | undefined;
  managed: boolean | undefined;
  proxy: boolean | undefined;
  abstract: boolean | undefined;
  uniqueTogether: string[][] | null;
  indexTogether: string[][] | null;
  indexes: IndexSpec[] | null;
  constraints: ConstraintSpec[] | null;
  /** Every option as written, or null when the options are not a readable dict. */
  raw: Record<string, Value> | null;
}

export type OperationArgs =
  | { kind: 'CreateModel'; model: string | null; fields: Array<[string, FieldSpec | null]> | null; options: ModelOptions; bases: string[] | null }
  | { kind: 'DeleteModel'; model: string | null }
  | { kind: 'RenameModel'; model: string | null; newName: string | null }
  | { kind: 'AlterModelTable'; model: string | null; table: string | null | undefined }
  | { kind: 'AlterModelTableComment'; model: string | null }
  | { kind: 'AlterTogether'; model: string | null; option: 'unique_together' | 'index_together'; groups: string[][] | null }
  | { kind: 'AlterOrderWithRespectTo'; model: string | null; field: string | null | undefined }
  | { kind: 'AlterModelOptions'; model: string | null; options: Record<string, Value> | null }
  | { kind: 'AlterModelManagers'; model: string | null }
  | { kind: 'AddField' | 'AlterField'; model: string | null; name: string | null; field: FieldSpec | null; preserveDefault: boolean | undefined }
  | { kind: 'RemoveField'; model: string | null; name: string | null }
  | { kind: 'RenameField'; model: string | null; oldName: string | null; newName: string | null }
  | { kind: 'AddIndex'; model: string | null; index: IndexSpec | null; concurrently: boolean }
  | { kind: 'RemoveIndex'; model: string | null; name: string | null; concurrently: boolean }
  | { kind: 'RenameIndex'; model: string | null; newName: string | null; oldName: string | null; oldFields: string[] | null }
  | { kind: 'AddConstraint'; model: string | null; constraint: ConstraintSpec | null; notValid: boolean }
  | { kind: 'RemoveConstraint' | 'ValidateConstraint'; model: string | null; name: string | null }
  | { kind: 'AlterConstraint'; model: string | null; name: string | null; constraint: ConstraintSpec | null }
  | { kind: 'Global'; name: string | null }
  | { kind: 'RunPython' | 'RunSQL' | 'SeparateDatabaseAndState' };

function modelOptions(v: Value | undefined): ModelOptions {
  if (v === undefined || v.kind === 'none') {
    return { dbTable: null, managed: true, proxy: false, abstract: false, uniqueTogether: [], indexTogether: [], indexes: [], constraints: [], raw: {} };
  }
  if (v.kind !== 'dict' || !dictKeysKnown(v)) {
    return { dbTable: undefined, managed: undefined, proxy: undefined, abstract: undefined, uniqueTogether: null, indexTogether: null, indexes: null, constraints: null, raw: null };
  }
  // Prototype-less, as literal-text.ts reads keyword arguments: option names vary from model to model.
  const raw = Object.create(null) as Record<string, Value>;
  for (const [k, value] of v.entries) if (k.kind === 'str') raw[k.value] = value;
  const bool = (key: string, dflt: boolean): boolean | undefined => (raw[key] === undefined ? dflt : (asBool(raw[key]) ?? undefined));
  const list = <T>(key: string, read: (x: Value) => T | null): T[] | null => {
    if (raw[key] === undefined) return [];
    const items = asItems(raw[key]);
    if (!items) return null;
    const out: T[] = [];
    for (const item of items) {
      const r = read(item);
      if (!r) return null;
      out.push(r);
    }
    return out;
  };
  const table = raw.db_table;
  return {
    dbTable: table === undefined || table.kind === 'none' ? null : (asString(table) ?? undefined),
    managed: bool('managed', true),
    proxy: bool('proxy', false),
    abstract: bool('abstract', false),
    uniqueTogether: normalizeTogether(raw.unique_together),
    indexTogether: normalizeTogether(raw.index_together),
    indexes: list('indexes', indexSpec),
    constraints: list('constraints', constraintSpec),
    raw,
  };
}

/** CreateModel's `fields`: a list of (name, field) pairs. */
function fieldList(v: Value | undefined, spec: (v: Value | undefined) => FieldSpec | null): Array<[string, FieldSpec | null]> | null {
  const items = asItems(v);
  if (!items) return null;
  const out: Array<[string, FieldSpec | null]> = [];
  for (const item of items) {
    const pair = asItems(item);
    const name = pair?.length === 2 ? asString(pair[0]) : null;
    if (!pair || name === null) return null;
    out.push([name, spec(pair[1])]);
  }
  return out;
}

/** Model bases as written: 'app.model' strings, or a reference's path (`models.Model`). */
function baseList(v: Value | undefined): string[] | null {
  if (v === undefined) return ['django.db.models.Model'];
  const items = asItems(v);
  if (!items) return null;
  const out: string[] = [];
  for (const item of items) {
    const s = asString(item) ?? refPath(item);
    if (s === null) return null;
    out.push(s);
  }
  return out;
}

/** Reads the typed arguments of one operation call (`specName` is its catalog name). */
export function readOperationArgs(
  specName: string,
  spec: OperationSpec,
  args: CallArguments,
  scope: Scope,
  onName?: (name: string, boundTo: string | null) => void,
  shared?: { interner: ValueInterner; imports: string },
): OperationArgs | null {
  const bound = bindArguments(args, spec);
  if (!bound) return null;
  const ev = new Evaluator(scope, onName, shared);
  return typedArgs(specName, spec, (name) => {
    const node = bound.get(name);
    return node ? ev.eval(node) : undefined;
  }, shared);
}

/** The values of a call read whole (`migrations.AddField(...)` as a CallValue) bound to the parameters; null as bindArguments. */
export function bindValues(call: CallValue, spec: OperationSpec): Map<string, Value> | null {
  if (call.hasSplat || call.args.length > spec.params.length) return null;
  const bound = new Map<string, Value>();
  call.args.forEach((v, i) => bound.set(spec.params[i] as string, v));
  for (const [k, v] of Object.entries(call.kwargs)) {
    if (!spec.params.includes(k) || bound.has(k)) return null;
    bound.set(k, v);
  }
  return bound;
}

/** Typed arguments from the value bound to each parameter (`value(name)`; undefined when not passed). */
export function typedArgs(specName: string, spec: OperationSpec, value: (name: string) => Value | undefined, shared?: { interner: ValueInterner }): OperationArgs | null {
  const readField = shared ? (v: Value | undefined) => shared.interner.fieldSpec(v) : fieldSpec;
  const str = (name: string): string | null => asString(value(name));
  /** Optional string: absent -> null; written but unreadable -> undefined. */
  const optStr = (name: string): string | null | undefined => {
    const v = value(name);
    if (v === undefined || v.kind === 'none') return null;
    return asString(v) ?? undefined;
  };
  const model = spec.modelParam ? str(spec.modelParam) : null;
  switch (specName) {
    case 'CreateModel':
      return { kind: 'CreateModel', model, fields: fieldList(value('fields'), readField), options: modelOptions(value('options')), bases: baseList(value('bases')) };
    case 'DeleteModel':
      return { kind: 'DeleteModel', model };
    case 'RenameModel':
      return { kind: 'RenameModel', model, newName: str('new_name') };
    case 'AlterModelTable':
      return { kind: 'AlterModelTable', model, table: optStr('table') };
    case 'AlterModelTableComment':
      return { kind: 'AlterModelTableComment', model };
    case 'AlterUniqueTogether':
    case 'AlterIndexTogether': {
      const option = specName === 'AlterUniqueTogether' ? 'unique_together' : 'index_together';
      return { kind: 'AlterTogether', model, option, groups: normalizeTogether(value(option)) };
    }
    case 'AlterOrderWithRespectTo':
      return { kind: 'AlterOrderWithRespectTo', model, field: optStr('order_with_respect_to') };
    case 'AlterModelOptions': {
      const v = value('options');
      let options: Record<string, Value> | null = null;
      if (v?.kind === 'dict' && dictKeysKnown(v)) {
        options = {};
        for (const [k, x] of v.entries) if (k.kind === 'str') options[k.value] = x;
      }
      return { kind: 'AlterModelOptions', model, options };
    }
    case 'AlterModelManagers':
      return { kind: 'AlterModelManagers', model };
    case 'AddField':
    case 'AlterField': {
      const pd = value('preserve_default');
      return { kind: specName, model, name: str('name'), field: readField(value('field')), preserveDefault: pd === undefined ? true : (asBool(pd) ?? undefined) };
    }
    case 'RemoveField':
      return { kind: 'RemoveField', model, name: str('name') };
    case 'RenameField':
      return { kind: 'RenameField', model, oldName: str('old_name'), newName: str('new_name') };
    case 'AddIndex':
    case 'AddIndexConcurrently':
      return { kind: 'AddIndex', model, index: indexSpec(value('index')), concurrently: specName === 'AddIndexConcurrently' };
    case 'RemoveIndex':
    case 'RemoveIndexConcurrently':
      return { kind: 'RemoveIndex', model, name: str('name'), concurrently: specName === 'RemoveIndexConcurrently' };
    case 'RenameIndex': {
      const old = value('old_fields');
      const oldFields = old === undefined || old.kind === 'none' ? null : (asItems(old)?.map((x) => asString(x) ?? '') ?? null);
      return { kind: 'RenameIndex', model, newName: str('new_name'), oldName: optStr('old_name') ?? null, oldFields };
    }
    case 'AddConstraint':
    case 'AddConstraintNotValid':
      return { kind: 'AddConstraint', model, constraint: constraintSpec(value('constraint')), notValid: specName === 'AddConstraintNotValid' };
    case 'RemoveConstraint':
    case 'ValidateConstraint':
      return { kind: specName, model, name: str('name') };
    case 'AlterConstraint':
      return { kind: 'AlterConstraint', model, name: str('name'), constraint: constraintSpec(value('constraint')) };
    case 'RunPython':
    case 'RunSQL':
    case 'SeparateDatabaseAndState':
      return { kind: specName };
    default:
      return spec.role === 'schema-global' ? { kind: 'Global', name: spec.params.includes('name') ? str('name') : null } : null;
  }
}

/** The model (lower-cased) an operation's typed arguments name, if any. */
export function argsModel(args: OperationArgs | null): string | null {
  return args && 'model' in args && args.model ? args.model.toLowerCase() : null;
}

/**
 * How Django's PostgreSQL backend writes a field as a column: its type (`varchar(100)`,
 * `integer`, a foreign key's target type), the CHECK its class adds, the default value it writes
 * when adding a column, values quoted the way psycopg2 quotes them, and simple `Q(...)` checks as
 * SQL. Whatever we cannot know statically (a callable default, a class we do not model) is a
 * `CannotPreview` with the reason, never a guess.
 */
import type { FieldSpec } from '../fields';
import { djangoAtLeast, type TargetDatabase } from '../target-database';
import { asItems, asString, refPath, type CallValue, type Value } from '../values';

export class CannotPreview extends Error {}

export function cannot(reason: string): never {
  throw new CannotPreview(reason);
}

export function quoteName(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name : `"${name}"`;
}

/** The internal type a class reports (`EmailField` is a CharField to the database). */
const INTERNAL: Record<string, string> = {
  EmailField: 'CharField',
  URLField: 'CharField',
  CommaSeparatedIntegerField: 'CharField',
  ImageField: 'FileField',
};

/** PostgreSQL's data_types in Django (before 4.1; from 4.1 the auto fields are identity columns). */
const PG_TYPES: Record<string, string> = {
  AutoField: 'serial',
  BigAutoField: 'bigserial',
  SmallAutoField: 'smallserial',
  BinaryField: 'bytea',
  BooleanField: 'boolean',
  NullBooleanField: 'boolean',
  CharField: 'varchar(%(max_length)s)',
  DateField: 'date',
  DateTimeField: 'timestamp with time zone',
  DecimalField: 'numeric(%(max_digits)s, %(decimal_places)s)',
  DurationField: 'interval',
  FileField: 'varchar(%(max_length)s)',
  FilePathField: 'varchar(%(max_length)s)',
  FloatField: 'double precision',
  IntegerField: 'integer',
  BigIntegerField: 'bigint',
  SmallIntegerField: 'smallint',
  PositiveIntegerField: 'integer',
  PositiveBigIntegerField: 'bigint',
  PositiveSmallIntegerField: 'smallint',
  IPAddressField: 'inet',
  GenericIPAddressField: 'inet',
  JSONField: 'jsonb',
  SlugField: 'varchar(%(max_length)s)',
  TextField: 'text',
  TimeField: 'time',
  UUIDField: 'uuid',
};

const IDENTITY: Record<string, string> = { AutoField: 'integer', BigAutoField: 'bigint', SmallAutoField: 'smallint' };

/** The type a foreign key to this class uses (positive and auto fields point with plain integers). */
const REL_TYPES: Record<string, string> = {
  AutoField: 'integer',
  BigAutoField: 'bigint',
  SmallAutoField: 'smallint',
  PositiveIntegerField: 'integer',
  PositiveBigIntegerField: 'bigint',
  PositiveSmallIntegerField: 'smallint',
};

const POSITIVE = new Set(['PositiveIntegerField', 'PositiveBigIntegerField', 'PositiveSmallIntegerField']);

/** Classes whose empty value is not '' (Django's `empty_strings_allowed = False`). */
const NO_EMPTY_STRINGS = new Set([
  'AutoField',
  'BigAutoField',
  'SmallAutoField',
  'BooleanField',
  'NullBooleanField',
  'DateField',
  'DateTimeField',
  'TimeField',
  'DecimalField',
  'DurationField',
  'FloatField',
  'IntegerField',
  'BigIntegerField',
  'SmallIntegerField',
  'PositiveIntegerField',
  'PositiveBigIntegerField',
  'PositiveSmallIntegerField',
  'UUIDField',
  'JSONField',
  'GenericIPAddressField',
  'ForeignKey',
  'OneToOneField',
]);

export function internalType(field: FieldSpec): string {
  return INTERNAL[field.cls] ?? field.cls;
}

/** The field a relation points at, as the caller resolved it. */
export interface RelatedTarget {
  /** `app.model`, lower-case. */
  model: string;
  table: string;
  column: string;
  /** The target field's type when a foreign key points at it. */
  relType: string;
  /** The field pointed at is the target's primary key (a `to_field` naming it is what no `to_field` means). */
  primaryKey?: boolean;
}

export interface ColumnType {
  /** The column type (`varchar(100)`); null for a field without a column (ManyToManyField). */
  type: string | null;
  /** Django's data type before formatting, used to decide whether ALTER TYPE needs USING. */
  template: string | null;
  /** The CHECK its class adds (`"stock" >= 0`), or null. */
  check: string | null;
  /** Written after the column definition (PostgreSQL identity columns). */
  suffix: string | null;
}

function formatTemplate(template: string, field: FieldSpec, target: TargetDatabase): string {
  return template.replace(/%\((\w+)\)s/g, (_, key: string) => {
    const v = key === 'max_length' ? field.maxLength : key === 'max_digits' ? field.maxDigits : key === 'decimal_places' ? field.decimalPlaces : undefined;
    if (v === undefined) cannot(`${field.cls}'s ${key} is not known statically`);
    if (v === null) {
      if (key === 'max_length' && djangoAtLeast(target, 4, 2) && field.cls === 'CharField') return '\0';
      cannot(`${field.cls} without ${key}`);
    }
    return String(v);
  }).replace('(\0)', '');
}

/** The column a field is: `resolve` gives a relation's target. */
export function columnType(field: FieldSpec, column: string, target: TargetDatabase, resolve: (field: FieldSpec) => RelatedTarget): ColumnType {
  if (!field.builtin) cannot(`${field.cls} is not one of Django's field classes we model`);
  if (field.relation?.kind === 'many-to-many') return { type: null, template: null, check: null, suffix: null };
  if (field.relation) {
    const rel = resolve(field);
    return { type: rel.relType, template: `rel:${rel.relType}`, check: null, suffix: null };
  }
  const internal = internalType(field);
  if (djangoAtLeast(target, 4, 1) && IDENTITY[internal]) {
    return { type: IDENTITY[internal] as string, template: IDENTITY[internal] as string, check: null, suffix: 'GENERATED BY DEFAULT AS IDENTITY' };
  }
  const template = PG_TYPES[internal];
  if (!template) cannot(`${field.cls}'s column type is not modelled`);
  return { type: formatTemplate(template, field, target), template, check: POSITIVE.has(internal) ? `${quoteName(column)} >= 0` : null, suffix: null };
}

/** The type a foreign key to `field` gets. */
export function relatedType(field: FieldSpec, target: TargetDatabase): string {
  if (field.relation) cannot('a foreign key to a foreign key');
  const internal = internalType(field);
  const rel = REL_TYPES[internal];
  if (rel) return rel;
  const t = columnType(field, 'x', target, () => cannot('relation'));
  return t.type ?? cannot('a relation to a field without a column');
}

// --- Values --------------------------------------------------------------------------------

/** A default value as Django hands it to the database: a SQL literal, or null for "no default". */
export type SqlLiteral = string | null;

/** psycopg2 writes negative numbers with a leading space (so `- -1` never reads as a comment). */
function signed(text: string): string {
  return text.startsWith('-') ? ` ${text}` : text;
}

/** psycopg2's quoting of a Python value, as Django's quote_value returns it. */
export function quoteValue(v: Value, field?: FieldSpec): string {
  switch (v.kind) {
    case 'str':
      if (v.value.includes('\\')) cannot('a string with a backslash (psycopg2 may quote it as E\'…\')');
      return `'${v.value.replace(/'/g, "''").replace(/%/g, '%%')}'`;
    case 'int':
      return signed(String(v.value));
    case 'float':
      if (!Number.isFinite(v.value) || /e/i.test(String(v.value))) cannot('a float default in exponent form');
      return signed(Number.isInteger(v.value) ? `${v.value}.0` : String(v.value));
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'none':
      return 'NULL';
    default:
      cannot(`the value ${field ? `of ${field.cls} ` : ''}is not a plain literal`);
  }
}

/** `Decimal('1.50')` → '1.50'; null when not such a call. */
function decimalText(v: Value): string | null {
  if (v.kind !== 'call' || !/(^|\.)Decimal$/.test(v.callee.path ?? v.callee.text)) return null;
  const s = asString(v.args[0]);
  return s !== null && /^-?\d+(\.\d+)?$/.test(s) ? s : null;
}

/** A default converted the way the field's get_db_prep_save would, then quoted. */
function prepared(field: FieldSpec, v: Value): string {
  const internal = internalType(field);
  if (v.kind === 'none') return 'NULL';
  if (internal === 'DecimalField') {
    // PostgreSQL's backend hands the Decimal to psycopg2 as it is: Decimal(0) is 0, Decimal('9.50') is 9.50.
    const text = v.kind === 'int' ? String(v.value) : decimalText(v);
    if (text === null) cannot('the decimal default is not an int or Decimal literal');
    return signed(text);
  }
  if (/Integer|AutoField/.test(internal)) {
    if (v.kind !== 'int') cannot(`a ${v.kind} default on an integer field`);
    return quoteValue(v, field);
  }
  if (internal === 'BooleanField' || internal === 'NullBooleanField') {
    if (v.kind !== 'bool') cannot(`a ${v.kind} default on a boolean field`);
    return quoteValue(v, field);
  }
  if (internal === 'FloatField') {
    if (v.kind === 'int') return `${v.value}.0`;
    if (v.kind !== 'float') cannot(`a ${v.kind} default on a float field`);
    return quoteValue(v, field);
  }
  if (['CharField', 'TextField', 'SlugField', 'FileField', 'FilePathField'].includes(internal)) {
    if (v.kind !== 'str') cannot(`a ${v.kind} default on a text field`);
    return quoteValue(v, field);
  }
  cannot(`defaults of ${field.cls} are not modelled`);
}

/** True when the field has an explicit default (Django's has_default()). */
export function hasDefault(field: FieldSpec): boolean {
  if (field.default === undefined) cannot('the default is not known statically');
  return field.default !== 'NOT_PROVIDED';
}

/**
 * Django's effective_default, quoted: the explicit default, '' for a blank text field that is not
 * null, the current time for auto_now fields (not knowable), else null.
 */
export function effectiveDefault(field: FieldSpec): SqlLiteral {
  if (hasDefault(field)) {
    const d = field.default as Value;
    if (d.kind === 'ref' || (d.kind === 'call' && decimalText(d) === null)) {
      cannot(`the default ${refPath(d) ?? ''} is computed when the migration runs`.replace('  ', ' '));
    }
    if (d.kind === 'none') return null;
    return prepared(field, d);
  }
  if (field.null === undefined || field.blank === undefined) cannot('null / blank are not known statically');
  if (!field.null && field.blank && !NO_EMPTY_STRINGS.has(internalType(field))) {
    if (internalType(field) === 'BinaryField') cannot('a BinaryField default');
    return "''";
  }
  if (field.autoNow === undefined) cannot('auto_now is not known statically');
  if (field.autoNow) cannot('auto_now / auto_now_add: the default is the time the migration runs');
  return null;
}

// --- Checks --------------------------------------------------------------------------------

const OPERATORS: Record<string, string> = { exact: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * A CheckConstraint's check (or an index's condition) as Django compiles it on PostgreSQL, for
 * `Q(a__gte=0, b__lt=5)`: conditions sorted by keyword, joined with AND and parenthesised when
 * more than one; `Q(flag=True)` is the column itself.
 */
export function checkSql(q: Value | undefined, column: (name: string) => { column: string; field: FieldSpec | null }): string {
  if (q?.kind !== 'call' || !/(^|\.)Q$/.test(q.callee.path ?? q.callee.text)) cannot('the check is not a plain Q(...)');
  if (q.hasSplat || q.args.length > 0) cannot('the check combines Q objects');
  const parts: string[] = [];
  for (const key of Object.keys(q.kwargs).sort()) {
    const value = q.kwargs[key] as Value;
    const m = /^(\w+?)(?:__(exact|gt|gte|lt|lte|isnull|in))?$/.exec(key);
    if (!m?.[1] || m[1].includes('__')) cannot(`the lookup ${key} is not modelled`);
    const target = column(m[1]);
    const col = quoteName(target.column);
    const lookup = m[2] ?? 'exact';
    const boolean = !!target.field && !target.field.relation && ['BooleanField', 'NullBooleanField'].includes(internalType(target.field));
    if (lookup === 'exact' && value.kind === 'bool' && boolean) {
      // A boolean column compared with True / False is written as the column itself (or NOT it).
      parts.push(value.value ? col : `NOT ${col}`);
    } else if (lookup === 'isnull') {
      if (value.kind !== 'bool') cannot('isnull with a non-boolean');
      parts.push(`${col} IS ${value.value ? '' : 'NOT '}NULL`);
    } else if (lookup === 'in') {
      const items = asItems(value);
      if (!items || items.length === 0 || items.some((i) => i.kind !== 'int' && i.kind !== 'str')) cannot('an IN lookup with values that are not plain literals');
      parts.push(`${col} IN (${items.map((i) => quoteValue(i)).join(', ')})`);
    } else if (lookup === 'exact' && value.kind === 'none') {
      parts.push(`${col} IS NULL`);
    } else {
      if (value.kind !== 'int' && value.kind !== 'str' && value.kind !== 'float') cannot(`a check comparing with a ${value.kind}`);
      parts.push(`${col} ${OPERATORS[lookup] as string} ${quoteValue(value)}`);
    }
  }
  if (parts.length === 0) cannot('an empty Q()');
  return parts.length > 1 ? `(${parts.join(' AND ')})` : (parts[0] as string);
}

/** A keyword of a call that must be absent (or None) for the preview to be exact. */
export function requireAbsent(call: CallValue | undefined, keys: readonly string[], what: string): void {
  if (!call) cannot(`the ${what} was not read`);
  if (call.hasSplat) cannot(`the ${what} has **kwargs`);
  for (const k of keys) {
    const v = call.kwargs[k];
    if (v !== undefined && v.kind !== 'none' && !(v.kind === 'list' && v.items.length === 0) && !(v.kind === 'tuple' && v.items.length === 0)) {
      cannot(`${what} with ${k}= is not modelled`);
    }
  }
}

/**
 * What a field, index or constraint written in a migration is, read from its evaluated call
 * (`models.CharField(max_length=3, null=True)`): FieldSpec, IndexSpec, ConstraintSpec. Defaults
 * that Django's own field classes apply (SlugField's index, ForeignKey's `_id` column,
 * OneToOneField's uniqueness, EmailField's length, …) come from one table; for a class we do not
 * know, whatever was not written is unknown (`undefined`), never guessed.
 */
import { asBool, asInt, asItems, asString, asStrings, refPath, type CallValue, type RefValue, type Value } from './values';

/** `undefined` in any of these properties means "not known statically". */
export interface FieldSpec {
  /**
   * The class name (`CharField`): the last component of its qualified name when the imports resolve
   * it (`from django.db.models import TextField as Text` gives `TextField`), else of the text as written.
   */
  cls: string;
  /** Its qualified name through the file's imports (`django.db.models.CharField`), if resolved. */
  path: string | null;
  /** One of Django's own field classes: its defaults are known. */
  builtin: boolean;
  null: boolean | undefined;
  blank: boolean | undefined;
  /** Django's `field.db_index` (ForeignKey and SlugField default to True). */
  dbIndex: boolean | undefined;
  /** Django's `field.unique`: unique=True, a primary key, or a OneToOneField. */
  unique: boolean | undefined;
  primaryKey: boolean | undefined;
  maxLength: number | null | undefined;
  maxDigits: number | null | undefined;
  decimalPlaces: number | null | undefined;
  dbColumn: string | null | undefined;
  /** The default as written, or 'NOT_PROVIDED'. */
  default: Value | 'NOT_PROVIDED' | undefined;
  /** Django 5.0's database default, or 'NOT_PROVIDED'. */
  dbDefault: Value | 'NOT_PROVIDED' | undefined;
  /** auto_now / auto_now_add on date and time fields. */
  autoNow: boolean | undefined;
  relation: RelationSpec | null | undefined;
  /** The call as written, for what the properties above do not carry (the SQL preview reads it). */
  call?: CallValue;
}

/**
 * Whether Django made a many-to-many field's join table itself (and so drops it with the field):
 * true without `through`, false with an explicit through model, undefined when `through` cannot be read.
 */
export function djangoMadeJoinTable(relation: RelationSpec): boolean | undefined {
  return relation.through === undefined ? undefined : relation.through === null;
}

export interface RelationSpec {
  kind: 'foreign-key' | 'one-to-one' | 'many-to-many';
  /** The target as written: 'app.Model', 'Model' (same app), or a settings reference. */
  to: Value;
  onDelete: string | null | undefined;
  dbConstraint: boolean | undefined;
  relatedName: string | null | undefined;
  toField: string | null | undefined;
  /** ManyToManyField's explicit through model, as written. */
  through: string | null | undefined;
}

interface FieldTraits {
  maxLength?: number;
  dbIndex?: boolean;
  unique?: boolean;
  null?: boolean;
  blank?: boolean;
  relation?: RelationSpec['kind'];
  /** Date/time classes that accept auto_now / auto_now_add. */
  dates?: boolean;
  decimal?: boolean;
}

/** Django's field classes (django.db.models and contrib) and the defaults they impose. */
const FIELD_TRAITS: ReadonlyMap<string, FieldTraits> = new Map<string, FieldTraits>([
  ['Field', {}],
  ['AutoField', { blank: true }],
  ['BigAutoField', { blank: true }],
  ['SmallAutoField', { blank: true }],
  ['CharField', {}],
  ['TextField', {}],
  ['IntegerField', {}],
  ['BigIntegerField', {}],
  ['SmallIntegerField', {}],
  ['PositiveIntegerField', {}],
  ['PositiveSmallIntegerField', {}],
  ['PositiveBigIntegerField', {}],
  ['FloatField', {}],
  ['DecimalField', { decimal: true }],
  ['BooleanField', {}],
  ['NullBooleanField', { null: true, blank: true }],
  ['DateField', { dates: true }],
  ['DateTimeField', { dates: true }],
  ['TimeField', { dates: true }],
  ['DurationField', {}],
  ['BinaryField', {}],
  ['JSONField', {}],
  ['UUIDField', { maxLength: 32 }],
  ['EmailField', { maxLength: 254 }],
  ['SlugField', { maxLength: 50, dbIndex: true }],
  ['URLField', { maxLength: 200 }],
  ['FileField', { maxLength: 100 }],
  ['ImageField', { maxLength: 100 }],
  ['FilePathField', { maxLength: 100 }],
  ['GenericIPAddressField', { maxLength: 39 }],
  ['IPAddressField', { maxLength: 15 }],
  ['CommaSeparatedIntegerField', {}],
  ['ForeignKey', { dbIndex: true, relation: 'foreign-key' }],
  ['OneToOneField', { dbIndex: true, unique: true, relation: 'one-to-one' }],
  ['ManyToManyField', { relation: 'many-to-many' }],
  // django.contrib.postgres
  ['ArrayField', {}],
  ['HStoreField', {}],
  ['CICharField', {}],
  ['CIEmailField', { maxLength: 254 }],
  ['CITextField', {}],
  ['IntegerRangeField', {}],
  ['BigIntegerRangeField', {}],
  ['DecimalRangeField', {}],
  ['FloatRangeField', {}],
  ['DateRangeField', {}],
  ['DateTimeRangeField', {}],
  ['SearchVectorField', {}],
]);

const DJANGO_FIELD_MODULES = ['django.db.models', 'django.contrib.postgres', 'django.contrib.gis.db.models'];

/**
 * Field classes of well-known packages that are one of Django's relation classes under another
 * name, with its keywords and its column (a blind review found `drop-column` naming `area` for
 * mptt's TreeForeignKey `area_id`, and its index never reported). Their own class name is kept
 * (the SQL preview models none of them, so what needs it stays unknown).
 */
const RELATION_SUBCLASSES: ReadonlyMap<string, string> = new Map([
  ['mptt.fields.TreeForeignKey', 'ForeignKey'],
  ['mptt.fields.TreeOneToOneField', 'OneToOneField'],
  ['mptt.fields.TreeManyToManyField', 'ManyToManyField'],
  ['modelcluster.fields.ParentalKey', 'ForeignKey'],
  ['modelcluster.fields.ParentalManyToManyField', 'ManyToManyField'],
  ['filer.fields.file.FilerFileField', 'ForeignKey'],
  ['filer.fields.image.FilerImageField', 'ForeignKey'],
  ['filer.fields.folder.FilerFolderField', 'ForeignKey'],
  ['sortedm2m.fields.SortedManyToManyField', 'ManyToManyField'],
  ['taggit.managers.TaggableManager', 'ManyToManyField'],
]);

/**
 * django-taggit's TaggableManager: a many-to-many relation always through a model of its own (the
 * one `through=` names, else taggit's generic TaggedItem), so it never has a column, and adding or
 * removing it runs no SQL on the model's table. Its first positional argument is not `to`.
 */
const TAGGABLE_MANAGER = 'taggit.managers.TaggableManager';
const TAGGIT_DEFAULT_THROUGH = 'taggit.TaggedItem';

/**
 * Field classes of well-known packages that subclass one of Django's plain (non-relation) fields
 * and keep its keywords' defaults (NULL not allowed, no index, not unique), with the default the
 * class sets when none is written: model_utils' and django-extensions' creation and modification
 * times default to now (review 55: enterprise-catalog `catalog/0022` adds them NOT NULL to an
 * existing table, unreported while their keywords counted as unknown), jsonfield's JSONField has none.
 */
const NOW: RefValue = { kind: 'ref', text: 'now', path: 'django.utils.timezone.now' };
const PLAIN_PACKAGE_FIELDS: ReadonlyMap<string, { default?: Value }> = new Map([
  ['jsonfield.fields.JSONField', {}],
  ['jsonfield.JSONField', {}],
  ['django_extensions.db.fields.json.JSONField', {}],
  ['model_utils.fields.AutoCreatedField', { default: NOW }],
  ['model_utils.fields.AutoLastModifiedField', { default: NOW }],
  ['django_extensions.db.fields.CreationDateTimeField', { default: NOW }],
  ['django_extensions.db.fields.ModificationDateTimeField', { default: NOW }],
  // Wagtail's rich text (a TextField) and StreamField (text, or JSON with use_json_field), under the module
  // names of Wagtail 1 (`wagtailcore`), 2 (`core`) and 3+; django-colorfield's ColorField (a CharField): NOT NULL
  // unless told otherwise (review 64: ubyssey adds them to live tables).
  ...['wagtail.fields', 'wagtail.core.fields', 'wagtail.wagtailcore.fields'].flatMap((m) => [[`${m}.RichTextField`, {}] as const, [`${m}.StreamField`, {}] as const]),
  ['colorfield.fields.ColorField', {}],
]);

/**
 * Field classes of packages that are one of Django's own under another name: a subclass that keeps its
 * column, its NULL and its save() (what it validates or serializes is Python's business). Read as that
 * class, so the SQL preview, the column types and the NOT NULL rules know them (review 59: c3nav's
 * move from `models.JSONField` to django-pydantic-field's, which runs no SQL, was taken for DDL).
 */
const DJANGO_FIELD_ALIASES: ReadonlyMap<string, string> = new Map([
  ['django_pydantic_field.fields.PydanticSchemaField', 'JSONField'],
  ['django_pydantic_field.v1.fields.PydanticSchemaField', 'JSONField'],
  ['django_pydantic_field.v2.fields.PydanticSchemaField', 'JSONField'],
  ['django_pydantic_field.fields.SchemaField', 'JSONField'],
  ['django_pydantic_field.SchemaField', 'JSONField'],
  ['django_jsonform.models.fields.JSONField', 'JSONField'],
]);

/** A qualified path inside Django's model field modules (`django.db.models.fields.CharField`). */
function isDjangoPath(path: string | null): boolean {
  return !!path && DJANGO_FIELD_MODULES.some((m) => path === m || path.startsWith(`${m}.`));
}

function lastComponent(text: string): string {
  const i = text.lastIndexOf('.');
  return i === -1 ? text : text.slice(i + 1);
}

/** Reads an optional keyword: its value when written, the class default otherwise (if known). */
function kw<T>(call: CallValue, name: string, read: (v: Value) => T | null, fallback: T | undefined, nullable = false): T | null | undefined {
  const v = call.kwargs[name];
  if (v === undefined) return call.hasSplat ? undefined : fallback;
  if (nullable && v.kind === 'none') return null;
  const r = read(v);
  return r === null ? undefined : r;
}

/** The argument given by keyword or at a position (e.g. ForeignKey's `to`, `on_delete`). */
function param(call: CallValue, name: string, position: number): Value | undefined {
  return call.kwargs[name] ?? call.args[position];
}

function defaultOf(call: CallValue, name: string): Value | 'NOT_PROVIDED' | undefined {
  const v = call.kwargs[name];
  if (v === undefined) return call.hasSplat ? undefined : 'NOT_PROVIDED';
  return v.kind === 'unknown' ? undefined : v;
}

/** A FieldSpec from `models.X(...)`; null when the value is not a call. */
export function fieldSpec(v: Value | undefined): FieldSpec | null {
  if (v?.kind !== 'call') return null;
  const path = v.callee.path;
  const alias = path ? DJANGO_FIELD_ALIASES.get(path) : undefined;
  const cls = alias ?? lastComponent(path ?? v.callee.text);
  const base = path ? RELATION_SUBCLASSES.get(path) : undefined;
  const traits = base ? FIELD_TRAITS.get(base) : alias || isDjangoPath(path) ? FIELD_TRAITS.get(cls) : undefined;
  const builtin = !!traits;
  const t: FieldTraits = traits ?? {};
  const plain = !builtin && path ? PLAIN_PACKAGE_FIELDS.get(path) : undefined;
  // For a class we do not know, an omitted keyword is unknown; a written one is taken as written.
  const d = <T>(value: T): T | undefined => (builtin || plain ? value : undefined);
  const primaryKey = kw(v, 'primary_key', asBool, d(false)) ?? undefined;
  const autoNow = t.dates ? (kw(v, 'auto_now', asBool, false) === true || kw(v, 'auto_now_add', asBool, false) === true ? true : v.hasSplat ? undefined : false) : d(false);
  const explicitUnique = t.unique ? true : kw(v, 'unique', asBool, d(false));
  const unique = explicitUnique === true || primaryKey === true ? true : explicitUnique === false && primaryKey === false ? false : undefined;
  let relation: RelationSpec | null | undefined = builtin || plain ? null : undefined;
  if (t.relation) {
    const taggit = path === TAGGABLE_MANAGER;
    const to = (taggit ? v.kwargs['to'] : param(v, 'to', 0)) ?? { kind: 'unknown' };
    relation = {
      kind: t.relation,
      to,
      onDelete: t.relation === 'many-to-many' ? null : (refPath(param(v, 'on_delete', 1)) ?? undefined),
      dbConstraint: kw(v, 'db_constraint', asBool, true) ?? undefined,
      relatedName: kw(v, 'related_name', asString, null, true),
      toField: t.relation === 'many-to-many' ? null : kw(v, 'to_field', asString, null, true),
      through: t.relation !== 'many-to-many' ? null : taggit ? (kw(v, 'through', asString, TAGGIT_DEFAULT_THROUGH) ?? TAGGIT_DEFAULT_THROUGH) : kw(v, 'through', asString, null, true),
    };
  }
  return {
    cls,
    path,
    builtin,
    // NullBooleanField, AutoField, OneToOneField and auto_now dates force these, whatever is written.
    null: t.null ? true : (kw(v, 'null', asBool, d(false)) ?? undefined),
    blank: t.blank || autoNow === true ? true : (kw(v, 'blank', asBool, d(false)) ?? undefined),
    dbIndex: kw(v, 'db_index', asBool, t.dbIndex ?? d(false)) ?? undefined,
    unique,
    primaryKey,
    maxLength: kw(v, 'max_length', asInt, t.maxLength ?? d(null), true),
    maxDigits: kw(v, 'max_digits', asInt, d(null), true),
    decimalPlaces: kw(v, 'decimal_places', asInt, d(null), true),
    dbColumn: kw(v, 'db_column', asString, d(null), true),
    default: plain?.default && v.kwargs['default'] === undefined && !v.hasSplat ? plain.default : defaultOf(v, 'default'),
    dbDefault: defaultOf(v, 'db_default'),
    autoNow,
    relation,
    call: v,
  };
}

/**
 * Field classes of well-known packages whose pre_save() sets the current time on every save(), as
 * auto_now does, without the keyword: django-model-utils' (TimeStampedModel's `modified`) and
 * django-extensions'. A blind review found batching rewrites that left them unstamped (edx-enterprise).
 */
const STAMPING_CLASSES: ReadonlySet<string> = new Set(['model_utils.fields.AutoLastModifiedField', 'django_extensions.db.fields.ModificationDateTimeField']);

/**
 * Field classes of other packages whose pre_save fills in another field of the row, which a
 * bulk_update() of the field alone would leave as it was: markupfield's MarkupField renders its text
 * into `_<name>_rendered` (review 21: pythondotorg `downloads/0005`, whose release pages kept the old
 * HTML), django-money's currency, a searchable encrypted field's data. By qualified name, to the
 * name of the field filled in.
 */
export const FILLS_ANOTHER_FIELD: ReadonlyMap<string, (name: string, field: FieldSpec) => string | null> = new Map<string, (name: string, field: FieldSpec) => string | null>([
  ['markupfield.fields.MarkupField', (name) => `_${name}_rendered`],
  // django-money keeps the currency in `<name>_currency`, which assigning a Money sets too.
  ['djmoney.models.fields.MoneyField', (name) => `${name}_currency`],
  // django-searchable-encrypted-fields: a SearchField's value goes, encrypted, into the field its
  // `encrypted_field_name` names (review 55: open-city-profile `profiles/0037` would have lost every
  // national identification number once `0038` dropped the old column).
  ['encrypted_fields.fields.SearchField', (_name, field) => (field.call ? (kw(field.call, 'encrypted_field_name', asString, null, true) ?? null) : null) ?? 'the field its encrypted_field_name names'],
]);

/**
 * Field classes of other packages whose pre_save() makes the field's own value anew on every save(),
 * from what the row holds: django-autoslug's AutoSlugField slugifies the value given, crops it to
 * max_length and makes it unique (review 54: squarelet `organizations/0023` assigns `slugify(name)`
 * and saves; a bulk_update() would write names over 50 characters, and duplicates the unique
 * index refuses). By qualified name, to what pre_save does. django-extensions' AutoSlugField keeps
 * a value given unless `overwrite=True`, so it is not one.
 */
export const REMADE_ON_SAVE: ReadonlyMap<string, string> = new Map([
  ['autoslug.fields.AutoSlugField', 'slugifies it, crops it to max_length and makes it unique'],
  ['autoslug.AutoSlugField', 'slugifies it, crops it to max_length and makes it unique'],
]);

/**
 * Field classes of other packages whose save() and delete() act on the model's other rows, through
 * the receivers their contribute_to_class() connects to the model (the historical model too): django-positions'
 * PositionField numbers a new row from the rows of its collection saved before it and shifts the
 * others (review 63: dissemin `osf/0003` creates LicenseChoosers in a loop; bulk_create() gave every
 * one position 0). Neither bulk writes nor a queryset update or delete do that row by row. By
 * qualified name, to what the field does and on which writes.
 */
export const ACTS_ON_OTHER_ROWS: ReadonlyMap<string, { what: string; save: boolean; delete: boolean }> = new Map(
  ['positions.fields.PositionField', 'positions.PositionField'].map((path) => [path, { what: 'numbers each row from the rows saved before it and shifts the others (the post_save and post_delete receivers it connects)', save: true, delete: true }] as const),
);

/**
 * Whether every save() stamps the field with the current time (`auto_now=True` on one of Django's
 * date and time fields): `Field.pre_save` sets it, which bulk_update and a queryset update() skip.
 * A field class of another package given `auto_now=True` (baserow's `SyncedDateTimeField`) is taken
 * for a subclass of Django's, stamping as it does. False when not known (a class of another package
 * may stamp without the keyword: the docs say so).
 */
export function stampedOnSave(field: FieldSpec): boolean {
  if (field.path && STAMPING_CLASSES.has(field.path)) return true;
  if (!field.call || kw(field.call, 'auto_now', asBool, false) !== true) return false;
  return field.builtin ? field.autoNow === true : true;
}

/** The column a field is stored in: db_column, else the name (`_id` added for a foreign key). */
export function fieldColumn(name: string, field: FieldSpec): string | null | undefined {
  if (field.relation === undefined || field.dbColumn === undefined) return undefined;
  if (field.relation?.kind === 'many-to-many') return null;
  if (field.dbColumn) return field.dbColumn;
  return field.relation ? `${name}_id` : name;
}

export interface IndexSpec {
  cls: string;
  path: string | null;
  name: string | null;
  /** Field names (a leading '-' for descending), or null when built from expressions or unknown. */
  fields: string[] | null;
  /** Built from expressions (`Index(Lower('name'), ...)`). */
  expressions: boolean;
  /** A partial index (`condition=Q(...)`). */
  partial: boolean;
  /** The call as written (opclasses, include, db_tablespace …). */
  call?: CallValue;
}

export function indexSpec(v: Value | undefined): IndexSpec | null {
  if (v?.kind !== 'call') return null;
  return {
    cls: lastComponent(v.callee.text),
    path: v.callee.path,
    name: asString(v.kwargs.name),
    fields: asStrings(v.kwargs.fields) ?? (v.kwargs.fields === undefined && v.args.length === 0 ? [] : null),
    expressions: v.args.length > 0,
    partial: v.kwargs.condition !== undefined && v.kwargs.condition.kind !== 'none',
    call: v,
  };
}

export type ConstraintKind = 'unique' | 'check' | 'exclusion' | 'other';

export interface ConstraintSpec {
  cls: string;
  path: string | null;
  kind: ConstraintKind;
  name: string | null;
  fields: string[] | null;
  partial: boolean;
  /** A deferrable unique constraint (deferrable=Deferrable.DEFERRED/IMMEDIATE). */
  deferrable: boolean;
  /** The call as written (the check's Q, opclasses, include …). */
  call?: CallValue;
}

export function constraintSpec(v: Value | undefined): ConstraintSpec | null {
  if (v?.kind !== 'call') return null;
  const cls = lastComponent(v.callee.text);
  const kind: ConstraintKind = cls === 'UniqueConstraint' ? 'unique' : cls === 'CheckConstraint' ? 'check' : cls === 'ExclusionConstraint' ? 'exclusion' : 'other';
  const deferrable = v.kwargs.deferrable;
  return {
    cls,
    path: v.callee.path,
    kind,
    name: asString(v.kwargs.name),
    fields: asStrings(v.kwargs.fields),
    partial: v.kwargs.condition !== undefined && v.kwargs.condition.kind !== 'none',
    deferrable: deferrable !== undefined && deferrable.kind !== 'none',
    call: v,
  };
}

/** Django's normalize_together: `('a', 'b')` and `[('a', 'b')]` both mean one group. */
export function normalizeTogether(v: Value | undefined): string[][] | null {
  if (!v || v.kind === 'none') return [];
  const items = asItems(v);
  if (!items) return null;
  if (items.length === 0) return [];
  if (items.every((i) => i.kind === 'str')) return [items.map((i) => (i as { value: string }).value)];
  const out: string[][] = [];
  for (const group of items) {
    const names = asStrings(group);
    if (!names) return null;
    out.push(names);
  }
  return out;
}

/**
 * alter-field-type: AlterField that changes a column's type in a way that rewrites (or scans) the
 * table under an ACCESS EXCLUSIVE lock: another column type (integer → bigint, varchar → integer,
 * text → varchar), a shorter max_length, a numeric whose scale changes or whose precision shrinks.
 * Widening a varchar or turning it into text, and raising a numeric's precision at the same
 * scale, change only the catalog on PostgreSQL and are not findings there. Django's own field
 * classes are judged, and a few well-known packages' classes whose column is one of theirs; any
 * other class's column type is unknown, and unknown is silence.
 */
import type { FieldSpec } from '../fields';
import type { TargetDatabase } from '../target-database';
import type { Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { alteredField, forVendor, hasColumn, tableLabel, walkSchema } from './schema-walk';
import { fixContext } from '../fixes/fix-context';

/** A column type as PostgreSQL's backend writes it, split into its family and parameters. */
interface ColumnType {
  family: string;
  length?: number | null;
  precision?: number | null;
  scale?: number | null;
}

/** Django's field class -> the PostgreSQL column type family (django/db/backends/postgresql/base.py data_types). */
const FAMILIES: ReadonlyMap<string, string> = new Map([
  ['AutoField', 'integer'],
  ['BigAutoField', 'bigint'],
  ['SmallAutoField', 'smallint'],
  ['IntegerField', 'integer'],
  ['PositiveIntegerField', 'integer'],
  ['BigIntegerField', 'bigint'],
  ['PositiveBigIntegerField', 'bigint'],
  ['SmallIntegerField', 'smallint'],
  ['PositiveSmallIntegerField', 'smallint'],
  ['FloatField', 'double precision'],
  ['DecimalField', 'numeric'],
  ['BooleanField', 'boolean'],
  ['NullBooleanField', 'boolean'],
  ['DateField', 'date'],
  ['DateTimeField', 'timestamp with time zone'],
  ['TimeField', 'time'],
  ['DurationField', 'interval'],
  ['BinaryField', 'bytea'],
  ['JSONField', 'jsonb'],
  ['UUIDField', 'uuid'],
  ['GenericIPAddressField', 'inet'],
  ['IPAddressField', 'inet'],
  ['TextField', 'text'],
  ['CharField', 'varchar'],
  ['SlugField', 'varchar'],
  ['EmailField', 'varchar'],
  ['URLField', 'varchar'],
  ['FileField', 'varchar'],
  ['ImageField', 'varchar'],
  ['FilePathField', 'varchar'],
  ['CommaSeparatedIntegerField', 'varchar'],
]);

/**
 * Field classes of well-known packages, by qualified name, that keep their value in a column of
 * one of Django's types (each subclasses a Django field and leaves `db_type` alone): the family,
 * and for a varchar the max_length the class sets when none is written. A blind review found kpi's
 * move from jsonfield's JSONField (a text column) to jsonb unreported.
 */
const PACKAGE_COLUMNS: ReadonlyMap<string, { family: string; length?: number }> = new Map([
  ['jsonfield.fields.JSONField', { family: 'text' }],
  ['jsonfield.JSONField', { family: 'text' }],
  ['django_extensions.db.fields.json.JSONField', { family: 'text' }],
  ['model_utils.fields.AutoCreatedField', { family: 'timestamp with time zone' }],
  ['model_utils.fields.AutoLastModifiedField', { family: 'timestamp with time zone' }],
  ['model_utils.fields.MonitorField', { family: 'timestamp with time zone' }],
  ['django_extensions.db.fields.CreationDateTimeField', { family: 'timestamp with time zone' }],
  ['django_extensions.db.fields.ModificationDateTimeField', { family: 'timestamp with time zone' }],
  ['model_utils.fields.StatusField', { family: 'varchar', length: 100 }],
  ['django_extensions.db.fields.AutoSlugField', { family: 'varchar', length: 50 }],
  ['phonenumber_field.modelfields.PhoneNumberField', { family: 'varchar', length: 128 }],
]);

/** The max_length as written, else the class's own (undefined when neither is known). */
function lengthOf(f: FieldSpec, classDefault: number | undefined): number | null | undefined {
  if (f.maxLength !== undefined || classDefault === undefined || !f.call) return f.maxLength;
  return f.call.hasSplat || f.call.kwargs['max_length'] !== undefined ? undefined : classDefault;
}

function columnType(f: FieldSpec): ColumnType | null {
  // A relation takes its target's key type: not followed.
  if (f.builtin) return f.relation ? null : columnOf(f, FAMILIES.get(f.cls), undefined);
  const known = f.path ? PACKAGE_COLUMNS.get(f.path) : undefined;
  return known ? columnOf(f, known.family, known.length) : null;
}

function columnOf(f: FieldSpec, family: string | undefined, defaultLength: number | undefined): ColumnType | null {
  if (!family) return null;
  if (family === 'varchar') {
    const length = lengthOf(f, defaultLength);
    if (length === undefined) return null;
    return length === null ? { family: 'text' } : { family, length };
  }
  if (family === 'numeric') {
    if (f.maxDigits === undefined || f.decimalPlaces === undefined) return null;
    return { family, precision: f.maxDigits, scale: f.decimalPlaces };
  }
  return { family };
}

function show(t: ColumnType): string {
  if (t.family === 'varchar') return `varchar(${t.length})`;
  if (t.family === 'numeric') return `numeric(${t.precision}, ${t.scale})`;
  return t.family;
}

/** Why the change rewrites or scans the table, or null when it only changes the catalog. */
function hazard(a: ColumnType, b: ColumnType, target: TargetDatabase): string | null {
  if (a.family === 'varchar' && (b.family === 'text' || (b.family === 'varchar' && (b.length ?? 0) >= (a.length ?? 0)))) {
    if (target.vendor === 'postgresql') return null;
    if (b.family === 'varchar' && b.length === a.length) return null;
    // InnoDB widens a varchar in place while its length prefix keeps its size: one byte up to 255 bytes, two
    // past it. Both lengths under 64 characters (255 bytes even at utf8mb4's four bytes each) or both at 256
    // and over (past 255 bytes even at one byte each) keep it, whatever the charset (review 56: TWLight
    // `resources/0089` widens varchar(12) to varchar(32)).
    if (target.vendor === 'mysql' && b.family === 'varchar' && typeof a.length === 'number' && typeof b.length === 'number' && ((a.length <= 63 && b.length <= 63) || a.length >= 256)) return null;
    return target.vendor === 'mysql'
      ? b.family === 'varchar'
        ? "MySQL copies the table when a varchar's length prefix grows from one byte to two (past 255 bytes: 64 characters in utf8mb4, 256 in latin1)"
        : 'MySQL copies the table when the column type changes'
      : 'SQLite has Django rebuild the whole table';
  }
  if (a.family === b.family) {
    if (a.family === 'varchar' && (b.length ?? 0) < (a.length ?? 0)) return 'a shorter varchar makes the database check every row while rewriting the table';
    if (a.family === 'numeric') {
      if (a.scale === b.scale && (b.precision ?? 0) >= (a.precision ?? 0)) return null;
      return a.scale !== b.scale ? 'a new scale makes the database rewrite every value' : 'a smaller precision makes the database check and rewrite every value';
    }
    return null;
  }
  return 'a new column type makes the database rewrite the whole table (and rebuild its indexes)';
}

/**
 * What becomes of values longer than a new varchar(n) on PostgreSQL. Django casts the column with
 * `USING "col"::varchar(n)` when the type's kind changes (a TextField made a CharField), and an explicit
 * cast cuts a longer value to n characters without an error (review 80: osis `base/0360` made a text
 * column varchar(32) before the UPDATEs that were to shorten its values). From a longer varchar it writes
 * no cast, and PostgreSQL refuses a longer value: the migration stops.
 */
function truncation(a: ColumnType, b: ColumnType, target: TargetDatabase): string | null {
  if (target.vendor !== 'postgresql' || b.family !== 'varchar' || typeof b.length !== 'number') return null;
  if (a.family === 'varchar') {
    return typeof a.length === 'number' && a.length > b.length ? `A value longer than ${b.length} characters stops the migration (PostgreSQL refuses it).` : null;
  }
  return a.family === 'text' ? `Django casts the column (\`USING …::varchar(${b.length})\`), which cuts every longer value to ${b.length} characters without an error: what is past them is lost.` : null;
}

function lockOf(target: TargetDatabase): string {
  return forVendor(target, {
    postgresql: 'under an ACCESS EXCLUSIVE lock: no reads, no writes until it is done',
    mysql: 'while the table is locked for writes',
    sqlite: 'while the database is locked',
  });
}

export const alterFieldType: Rule = {
  meta: {
    id: 'alter-field-type',
    summary: "AlterField changes a column's type on an existing table in a way that rewrites or scans the whole table under its lock.",
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    // A field turned into a relation takes its target's key type, which the SQL preview knows from the
    // project's state: its ALTER COLUMN … TYPE (review 46: mediacms identity_providers/0004, varchar to integer).
    const relationColumn = (after: FieldSpec, index: number): ColumnType | null => {
      if (!after.relation || !hasColumn(after)) return null;
      const typed = fixContext(ctx).preview()?.operations[index]?.statements.find((x) => /^ALTER TABLE "[^"]+" ALTER COLUMN "[^"]+" TYPE /.test(x.sql))?.sql;
      const m = typed ? / TYPE ([a-z ]+?)(?:\((\d+)\))?(?: USING |;|$)/.exec(typed) : null;
      if (!m) return null;
      return m[1] === 'varchar' ? (m[2] ? { family: 'varchar', length: Number(m[2]) } : null) : { family: m[1] as string };
    };
    walkSchema(ctx, (step) => {
      const altered = alteredField(step);
      if (!altered) return;
      const a = columnType(altered.before);
      const b = columnType(altered.after) ?? (a && ctx.target.vendor === 'postgresql' ? relationColumn(altered.after, step.index) : null);
      if (!a || !b) return;
      const why = hazard(a, b, ctx.target);
      if (!why) return;
      const cut = truncation(a, b, ctx.target);
      ctx.report({
        range: step.op.range,
        message:
          `AlterField changes '${altered.name}' of '${step.model}' from ${show(a)} to ${show(b)} on existing table ${tableLabel(step)}: ${why}, ${lockOf(ctx.target)}.${cut ? ` ${cut}` : ''} ` +
          `Add a new column of the new type instead, backfill it in batches, switch the code over, then drop the old one.`,
      });
    });
    reportSqlHazards(ctx, 'alter-field-type');
  },
};

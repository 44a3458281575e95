/**
 * Comparing and reading fields the way Django's schema editor does: whether an AlterField changes
 * anything the database sees (`_field_should_be_altered`), PostgreSQL's extra pattern index for
 * varchar / text columns, binary-compatible type changes, and the options a model must have known.
 */
import type { ConstraintSpec, FieldSpec, IndexSpec } from '../fields';
import type { ModelOptionsState } from '../project/state';
import { isFullyKnown, showValue, type Value } from '../values';
import { cannot, internalType, type ColumnType } from './columns';

/** Keywords of a field that change nothing in the database (Django's non_database_attrs). */
const NON_DB = new Set(['blank', 'db_column', 'editable', 'error_messages', 'help_text', 'limit_choices_to', 'on_delete', 'related_name', 'related_query_name', 'validators', 'verbose_name', 'choices', 'serialize', 'auto_created']);
/** Keywords a field's properties already compare. */
const COMPARED = new Set(['null', 'unique', 'db_index', 'primary_key', 'max_length', 'max_digits', 'decimal_places', 'default', 'db_default', 'auto_now', 'auto_now_add', 'to', 'to_field', 'db_constraint']);

/** varchar(n) → varchar(m ≥ n) or → text: PostgreSQL changes only the catalog. */
export function binaryCompatible(from: string, to: string): boolean {
  const a = /^varchar\((\d+)\)$/.exec(from);
  if (!a) return false;
  if (to === 'text' || to === 'varchar') return true;
  const b = /^varchar\((\d+)\)$/.exec(to);
  return !!b && Number(b[1]) >= Number(a[1]);
}

/** The opclass of PostgreSQL's extra pattern index for varchar / text columns, or null. */
export function likeOpclass(type: ColumnType, indexed: boolean): string | null {
  const t = type.type;
  if (!indexed || !t || t.includes('[')) return null;
  if (t.startsWith('varchar')) return 'varchar_pattern_ops';
  if (t.startsWith('text')) return 'text_pattern_ops';
  return null;
}

/** The model's options, every one known (or CannotPreview). */
export function knownOptions(o: ModelOptionsState): { uniqueTogether: string[][]; indexTogether: string[][]; indexes: IndexSpec[]; constraints: ConstraintSpec[] } {
  if (!o.uniqueTogether || !o.indexTogether || !o.indexes || !o.constraints) cannot("the model's unique_together, indexes or constraints are not known statically");
  return { uniqueTogether: o.uniqueTogether, indexTogether: o.indexTogether, indexes: o.indexes, constraints: o.constraints };
}

/** Normalises a relation target for comparison (`'shop.Category'` = `'shop.category'`). */
function relationKey(field: FieldSpec): string {
  const r = field.relation;
  if (!r) return '';
  const to = r.to.kind === 'str' ? r.to.value.toLowerCase() : showValue(r.to);
  return `${r.kind}|${to}|${r.toField ?? ''}|${String(r.dbConstraint)}`;
}

/** Django's `_field_should_be_altered`, on what we read: do the fields differ in anything the database sees? */
export function sameDeconstruction(a: FieldSpec, b: FieldSpec): boolean {
  if (internalType(a) !== internalType(b) && a.cls !== b.cls) return false;
  if (a.cls !== b.cls) return false;
  const props: Array<keyof FieldSpec> = ['null', 'unique', 'dbIndex', 'primaryKey', 'maxLength', 'maxDigits', 'decimalPlaces', 'autoNow'];
  for (const p of props) if (a[p] !== b[p]) return false;
  const show = (v: FieldSpec['default']): string => (v === undefined ? '?' : v === 'NOT_PROVIDED' ? '-' : showValue(v));
  if (show(a.default) !== show(b.default) || show(a.dbDefault) !== show(b.dbDefault)) return false;
  if (relationKey(a) !== relationKey(b)) return false;
  const rest = (f: FieldSpec): string =>
    JSON.stringify(
      Object.entries(f.call?.kwargs ?? {})
        .filter(([k]) => !NON_DB.has(k) && !COMPARED.has(k))
        .map(([k, v]) => [k, showValue(v)])
        .sort(),
    );
  return rest(a) === rest(b);
}

/**
 * Arguments of well-known packages' field classes that the database never sees, by the class's
 * qualified name: the positions and keywords its deconstruction carries for forms and validation
 * only. A wagtail StreamField's block definitions (its first argument, `block_counts`, `min_num`,
 * `max_num`) are Python-side: changing them runs no SQL (review 20: hypha's AlterFields after a
 * RunPython were taken for schema changes under a lock). `use_json_field` stays compared: it moved
 * the column from text to jsonb.
 */
const PACKAGE_NON_DB: ReadonlyMap<string, { args: ReadonlySet<number>; kwargs: ReadonlySet<string> }> = new Map(
  ['wagtail.fields.StreamField', 'wagtail.core.fields.StreamField'].map((path) => [path, { args: new Set([0]), kwargs: new Set(['block_types', 'block_counts', 'min_num', 'max_num']) }]),
);

/**
 * For a field class Django does not ship (the project's or a package's), whose column we do not
 * model: the same class called with the same arguments, but for those the database never sees
 * (`choices`, `help_text`, …, and a known package's own, PACKAGE_NON_DB). Django then alters
 * nothing (bookwyrm 0146 adds a choice to its `CharField` subclass). Every argument compared must
 * be read in full.
 */
export function sameCallButNonDb(a: FieldSpec, b: FieldSpec): boolean {
  const [x, y] = [a.call, b.call];
  if (!x || !y || a.cls !== b.cls || x.hasSplat || y.hasSplat || x.args.length !== y.args.length) return false;
  // Both the package's class (wagtail 3 moved StreamField from wagtail.core.fields to wagtail.fields).
  const own = a.path && b.path && PACKAGE_NON_DB.has(b.path) ? PACKAGE_NON_DB.get(a.path) : undefined;
  const same = (u: Value | undefined, v: Value | undefined): boolean => !!u && !!v && isFullyKnown(u) && isFullyKnown(v) && showValue(u) === showValue(v);
  if (x.args.some((arg, i) => !own?.args.has(i) && !same(arg, y.args[i]))) return false;
  // db_column names the column: it counts here, where no column is worked out.
  const keys = new Set([...Object.keys(x.kwargs), ...Object.keys(y.kwargs)].filter((k) => (k === 'db_column' || !NON_DB.has(k)) && !own?.kwargs.has(k)));
  return [...keys].every((k) => same(x.kwargs[k], y.kwargs[k]));
}

/** A field read from an operation, or CannotPreview. */
export function knownField(name: string | null, field: FieldSpec | null): [string, FieldSpec] {
  if (!name) cannot('the field name is not known statically');
  if (!field) cannot(`the field '${name}' cannot be read statically`);
  return [name, field];
}

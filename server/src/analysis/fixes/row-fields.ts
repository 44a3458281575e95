/**
 * What a batched `row.save()` must write, as save() would: the fields the loop sets (those that
 * are fields of the model), and the values save() itself gives some fields before it writes them
 * — auto_now times, and what a field's own pre_save computes.
 */
import { FILLS_ANOTHER_FIELD, REMADE_ON_SAVE } from '../fields';
import type { ModelFields } from '../project/view';
import type { Node } from '../syntax';
import { pythonString } from './edits';
import { assignedFields, FIELD_NAMED_BY, FIELDS_LISTED_IN } from './loop-reading';

/**
 * The lines that give `row`, before it joins the batch, the values its save() would have given it:
 * the `stamps` (auto_now fields save() writes), and the fields save() computes rather than the loop
 * — one `update_fields` names that the loop never sets (`token.save(update_fields=["token_checksum"])`
 * to have the field class fill it in), or one of another package's class. save() writes what the
 * field's pre_save returns; so does the batch.
 */
export function savedValues(body: Node, row: string, explicit: readonly string[] | null, stamps: readonly string[], known: ModelFields | null): string[] {
  const assigned = explicit ? assignedFields(body, row).fields : [];
  const computes = (f: string): boolean => {
    const spec = known?.fields.get(f);
    if (spec && !spec.builtin) return true;
    return !!explicit && !assigned.includes(f) && !(spec && spec.builtin);
  };
  const field = (f: string) => `${row}._meta.get_field(${pythonString(f)})`;
  return [
    ...stamps.map((f) => `${field(f)}.pre_save(${row}, False)  # auto_now: the time save() would have set`),
    ...(explicit ?? []).filter((f) => !stamps.includes(f) && computes(f)).map((f) => `setattr(${row}, ${field(f)}.attname, ${field(f)}.pre_save(${row}, False))  # what save() writes for it`),
  ];
}

/**
 * The fields a batched save of `row` writes — those the loop sets, and the `stamps` — and why the
 * list is the author's to check (null: it is exactly what save() writes that the loop changed). An
 * attribute that is no field of the model (`row._event_ignore = True`, for a signal handler) is
 * left out: save() does not write it, and bulk_update would refuse its name. Not for a model with a
 * mixin, whose property may stand for a field; without the view, a private name is taken for no
 * field, and said so. `computedList`: the row's save() named its fields with a list built at run time.
 */
export function batchedFields(body: Node, row: string, known: ModelFields | null, stamps: readonly string[], computedList: boolean): { fields: string[]; why: string | null } {
  const read = assignedFields(body, row);
  // A field handed to a call whose values Python cannot change in place (a string, a number, a date):
  // the callee only reads it (review 75: EveryElection `0087` hands `election.election_id` to a parser).
  const immutable = read.handedOnly.filter((f) => IMMUTABLE_VALUES.has(known?.fields.get(f)?.builtin ? (known.fields.get(f)?.cls ?? '') : ''));
  const seen = immutable.length > 0 && immutable.length === read.handedOnly.length ? { fields: read.fields.filter((f) => !immutable.includes(f)), complete: read.completeBesidesHanded } : read;
  const named = (f: string) => f.startsWith(FIELD_NAMED_BY) || f.startsWith(FIELDS_LISTED_IN);
  const instances = known ? null : keysGivenRows(body, row);
  const isField = (f: string) => named(f) || (known ? known.mixins || known.fields.has(f) || (f.endsWith('_id') && !!known.fields.get(f.slice(0, -3))?.relation) : !f.startsWith('_') && !instances?.has(f));
  const dropped = seen.fields.filter((f) => !isField(f));
  const unsure = known ? [] : dropped;
  const fields = [...seen.fields.filter(isField), ...stamps.filter((f) => !seen.fields.includes(f))];
  if (seen.complete && !computedList && unsure.length === 0 && fields.length > 0) return { fields, why: null };
  const given = unsure.filter((f) => instances?.has(f));
  if (unsure.length > 0) return { fields, why: `check this list: ${unsure.join(', ')} left out, taken for no field of the model${given.length > 0 ? ` (${given.join(', ')}: given a row, not a key)` : ''}` };
  if (fields.length === 0) return { fields, why: `fill in the fields this loop changes${dropped.length > 0 ? ` (${dropped.join(', ')}: no field of the model as its migrations leave it)` : ''}` };
  return { fields, why: 'check this list: the loop changes the row in ways not all visible here' };
}

/** Django's field classes whose values are str, int, float, Decimal, bool, date/time or UUID: nothing changes them in place. */
const IMMUTABLE_VALUES: ReadonlySet<string> = new Set(
  'CharField TextField SlugField EmailField URLField IPAddressField GenericIPAddressField FilePathField IntegerField BigIntegerField SmallIntegerField PositiveIntegerField PositiveBigIntegerField PositiveSmallIntegerField AutoField BigAutoField SmallAutoField FloatField DecimalField BooleanField NullBooleanField DateField DateTimeField TimeField DurationField UUIDField'.split(' '),
);

/** Manager methods that return one row, not its key. */
const ROW_FETCH = new Set(['get', 'create', 'first', 'last', 'latest', 'earliest']);

/**
 * Names ending in `_id` the body gives a row fetched through a manager (`row.image_id =
 * Image.objects.get(…)`): no foreign key's column, which takes a key — save() with a row there
 * fails, so where save() works the name is a plain attribute it never writes (meinberlin
 * `cms/0014`, review 25), and bulk_update() of it raises FieldDoesNotExist.
 */
export function keysGivenRows(body: Node, row: string): Set<string> {
  const names = new Set<string>();
  for (const a of body.descendantsOfType('assignment')) {
    const left = a.childForFieldName('left');
    const name = left?.type === 'attribute' && left.childForFieldName('object')?.text === row ? (left.childForFieldName('attribute')?.text ?? '') : '';
    if (!name.endsWith('_id')) continue;
    let right = a.childForFieldName('right');
    while (right?.type === 'parenthesized_expression') right = right.firstNamedChild;
    const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
    if (method && ROW_FETCH.has(method) && /(?:\.objects|\._default_manager)\b/.test(fn?.childForFieldName('object')?.text ?? '')) names.add(name);
  }
  return names;
}

/**
 * The Python list of `fields` (batchedFields'), names read at run time included: `["name", field]`,
 * `[*fields]`; de-duplicated in the list itself when one is (bulk_update() must not name a field twice).
 */
export function fieldListText(fields: readonly string[]): string {
  const items = fields.map((f) => (f.startsWith(FIELD_NAMED_BY) ? f.slice(1) : f.startsWith(FIELDS_LISTED_IN) ? `*${f.slice(1)}` : pythonString(f)));
  const list = `[${items.join(', ')}]`;
  return fields.some((f) => f.startsWith(FIELD_NAMED_BY) || f.startsWith(FIELDS_LISTED_IN)) && fields.length > 1 ? `list(dict.fromkeys(${list}))` : list;
}

/** Why a bulk_update() of `written` cannot stand for save(): it would miss what save() writes besides (`content`, whose save() renders `_content_rendered`) or makes of the value given (an AutoSlugField), or a name is a many-to-many field; null when it can. */
export function filledOnSave(known: ModelFields | null, written: readonly string[]): string | null {
  for (const name of written) {
    // `row.tags = [...]` is no column: Django before 2.0 set the links at once, later ones raise (review 52: seqr `0003`).
    if (known?.fields.get(name)?.relation?.kind === 'many-to-many') return `it assigns ${name}, a many-to-many field: a set() of its links, not a column bulk_update() can write`;
    const spec = known?.fields.get(name);
    const path = spec?.path;
    const other = path && spec ? FILLS_ANOTHER_FIELD.get(path)?.(name, spec) : undefined;
    if (other) return `its save() fills in ${other} from ${name} (${path?.split('.').pop()}), which bulk_update() of ${name} would leave as it was`;
    const remade = path ? REMADE_ON_SAVE.get(path) : undefined;
    if (remade) return `its save() ${remade} (${name} is an ${path?.split('.').pop()} of ${path?.split('.')[0]}), and bulk_update() would write ${name} as the loop assigns it`;
  }
  return null;
}

/**
 * A field of `row` — an object the loop reaches, not its own row — that the loop both reads and
 * writes (`ind.display_name = ind.individual_id; ind.individual_id = …`), or null. Several rows may
 * reach the same object, each loading it afresh: the original reads what an earlier iteration
 * saved, a batch reads the table as it was before any flush (review 52: seqr `0087`).
 */
export function readsWhatItWrites(body: Node, row: string): string | null {
  const written = new Set(assignedFields(body, row).fields);
  for (const attr of body.descendantsOfType('attribute')) {
    if (attr.childForFieldName('object')?.text !== row) continue;
    const name = attr.childForFieldName('attribute')?.text;
    if (!name || !written.has(name)) continue;
    const parent = attr.parent;
    // The target of a plain assignment is a write; `row.n += 1` reads it too.
    if (parent?.type === 'assignment' && parent.childForFieldName('left')?.id === attr.id) continue;
    return name;
  }
  return null;
}

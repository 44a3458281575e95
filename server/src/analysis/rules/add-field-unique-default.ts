/**
 * add-field-unique-default: AddField of a unique column with a default to a table that existed
 * before this migration. Django computes the default once (a callable such as `uuid.uuid4` too) and
 * gives every existing row that one value, so building the unique index fails as soon as the table
 * has two rows: the migration stops, on every database that has data. Django's documentation gives
 * the way: add the field without unique (null=True), fill each row, then make it unique.
 */
import type { FieldSpec } from '../fields';
import { showValue, type Value } from '../values';
import type { Rule } from './rule';
import { hasColumn, tableLabel, walkSchema } from './schema-walk';
import { tableDroppedLater } from './same-migration';

/** The default every existing row takes, as written: `uuid.uuid4`, `""`, `0`; null when none is given. */
function sharedDefault(field: FieldSpec): string | null {
  const shown = (v: Value): string | null => (v.kind === 'none' ? null : v.kind === 'unknown' ? 'the default' : showValue(v));
  if (field.default !== undefined && field.default !== 'NOT_PROVIDED') return shown(field.default);
  // db_default: a constant is one value for every row; an expression (`RandomUUID()`, `Now()`) is
  // computed per row by the database, and one we cannot read is not judged.
  if (field.dbDefault !== undefined && field.dbDefault !== 'NOT_PROVIDED') {
    const v = field.dbDefault;
    return v.kind === 'str' || v.kind === 'int' || v.kind === 'float' || v.kind === 'bool' ? shown(v) : null;
  }
  return null;
}

export const addFieldUniqueDefault: Rule = {
  meta: {
    id: 'add-field-unique-default',
    summary: 'AddField adds a unique column with a default to an existing table: every row gets the same value (a callable default is called once), so the unique index fails on a table with two rows.',
    defaultSeverity: 'error',
    // Review 50: whether the table holds rows when the migration runs is not in the files (a table created by the
    // migration before, shipped in the same release; one an earlier migration emptied; a test app's): 1 of 7 right.
    defaultOff: true,
  },
  checkProject(ctx) {
    walkSchema(ctx, (step) => {
      const { args } = step;
      // A table of this release that its code may have filled (see SchemaStep.mayHaveRows) counts as one with rows.
      if (args.kind !== 'AddField' || !(step.table === 'existing' || (step.table === 'new' && step.mayHaveRows)) || !args.field) return;
      const field = args.field;
      if (field.unique !== true || field.primaryKey === true || !hasColumn(field)) return;
      // A unique boolean is a singleton's marker (review 50: koku `reporting/0347`, `singleton = BooleanField(default=True,
      // unique=True)` on a table of one row per tenant): failing on a second row is what it is for.
      if (field.cls === 'BooleanField' || field.cls === 'NullBooleanField') return;
      if (tableDroppedLater(ctx.summary, step)) return;
      const value = sharedDefault(field);
      if (value === null) return;
      const name = args.name ?? 'the field';
      const callable = field.default !== undefined && field.default !== 'NOT_PROVIDED' && field.default.kind === 'ref';
      ctx.report({
        range: step.op.range,
        message:
          `AddField '${name}' on '${step.model}' adds a unique column with a default to ${step.table === 'new' ? `${tableLabel(step)}, which code of an earlier migration of this release may have filled,` : `existing table ${tableLabel(step)}`}: Django computes the default once` +
          `${callable ? ` (it calls ${value} a single time, not once per row)` : ''} and writes that one value into every existing row, so the unique index ` +
          'fails with a duplicate key as soon as the table has two rows, and the migration stops on every database with data. ' +
          `Instead, add '${name}' without unique=True (null=True, no default), fill each row with its own value in a RunPython, ` +
          'and make it unique (and NOT NULL) in a later migration.',
      });
    });
  },
};

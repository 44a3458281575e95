/**
 * add-constraint-validates: a constraint added to an existing table and validated at once, while
 * its lock is held — AddConstraint of a CheckConstraint (ACCESS EXCLUSIVE, every row checked), or a
 * new foreign key (AddField / AlterField introducing a ForeignKey or OneToOneField with
 * db_constraint: SHARE ROW EXCLUSIVE on both tables — ACCESS EXCLUSIVE on the table itself when it
 * comes with ADD COLUMN — while every row is checked). Since Django 3.0 AddField writes the key
 * inside ADD COLUMN, and PostgreSQL checks rows there only when the new column has a default
 * (otherwise every row holds NULL): a nullable foreign key added without a default is fine. On
 * PostgreSQL the constraint can be added NOT VALID (no scan) and validated later under a lock that
 * lets reads and writes go on. PostgreSQL only: MySQL and SQLite have no NOT VALID.
 */
import type { FieldSpec } from '../fields';
import { constraintFixes, constraintFixNote } from '../fixes/constraint-fixes';
import { addsValidatedForeignKey, keepConstraintFixes, readdsConstraint, sameTarget } from '../fixes/keep-constraint';
import { sqlKindsOf } from '../fixes/operation-text';
import { defaultTable } from '../project/state';
import { djangoAtLeast } from '../target-database';
import { internalType } from '../sql-preview/columns';
import type { ProjectRuleContext, Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { fieldBefore, tableLabel, walkSchema, type SchemaStep } from './schema-walk';

/**
 * Whether ADD COLUMN gives existing rows a value: a `default` or `db_default` that is not None. A
 * foreign key's `default=''` is none either: Django saves '' as NULL for a key whose target field
 * takes no empty strings (an integer or UUID primary key: ForeignKey.get_db_prep_save), and a key
 * to a text primary key that really is '' is too rare to guess at (wger `exercises/0006`).
 */
function nonNullDefault(field: FieldSpec | null | undefined): boolean {
  // Unknown (unreadable) means silence, as everywhere.
  const given = (v: FieldSpec['default']): boolean => v !== undefined && v !== 'NOT_PROVIDED' && v.kind !== 'none';
  const emptyKey = !!field?.relation && typeof field.default === 'object' && field.default.kind === 'str' && field.default.value === '';
  return !!field && ((given(field.default) && !emptyKey) || given(field.dbDefault));
}

/**
 * Whether two specs of a relation field are the same for the database: class, NULL, index, unique,
 * primary key, column, target, target column and constraint all known and equal. Only then is no
 * SQL run (Django's _field_should_be_altered also ignores what Python alone sees).
 */
function sameInTheDatabase(a: FieldSpec, b: FieldSpec): boolean {
  const ra = a.relation;
  const rb = b.relation;
  if (!ra || !rb || a.cls !== b.cls) return false;
  const known = <T>(x: T | undefined, y: T | undefined): boolean => x !== undefined && y !== undefined && x === y;
  return (
    known(a.null, b.null) && known(a.dbIndex, b.dbIndex) && known(a.unique, b.unique) && known(a.primaryKey, b.primaryKey) &&
    (a.dbColumn ?? null) === (b.dbColumn ?? null) && sameTarget(ra, rb) && ra.dbConstraint === rb.dbConstraint &&
    // A default given or taken away alters the field too, and with it the constraint goes and comes back
    // (review 53: CantusDB `0004`); the preview then says what Django runs.
    sameValue(a.default, b.default) && sameValue(a.dbDefault, b.dbDefault)
  );
}

/** Two defaults as read: both absent, or both read and the same. Unknown is not the same. */
function sameValue(x: FieldSpec['default'], y: FieldSpec['default']): boolean {
  if (x === undefined || y === undefined) return false;
  if (x === 'NOT_PROVIDED' || y === 'NOT_PROVIDED') return x === y;
  return JSON.stringify(x) === JSON.stringify(y);
}

export const addConstraintValidates: Rule = {
  meta: {
    id: 'add-constraint-validates',
    summary: 'A CHECK or foreign-key constraint is added to an existing table and validated at once, scanning every row under its lock.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (ctx.target.vendor !== 'postgresql') return;
    const notValid = djangoAtLeast(ctx.target, 4, 0)
      ? '`AddConstraintNotValid` (django.contrib.postgres.operations) now and `ValidateConstraint` in a later migration'
      : '`ALTER TABLE … ADD CONSTRAINT … NOT VALID` in RunSQL now (SeparateDatabaseAndState keeping the AddConstraint as its state side) and `VALIDATE CONSTRAINT` in a later migration';
    walkSchema(ctx, (step) => {
      if (step.table !== 'existing') return;
      const { args } = step;
      if (args.kind === 'AddConstraint') {
        const c = args.constraint;
        if (args.notValid || !c || c.kind !== 'check') return;
        ctx.report({
          range: step.op.range,
        fixes: constraintFixes(ctx, step.op),
          message: `AddConstraint '${c.name ?? '…'}' adds a CHECK constraint to existing table ${tableLabel(step)}: PostgreSQL checks every row while holding an ACCESS EXCLUSIVE lock (no reads, no writes). Instead, add it with ${notValid} (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on).${constraintFixNote(ctx, step.op)}`,
        });
        return;
      }
      if (args.kind === 'RenameField') {
        // A constrained key renamed: Django renames the column and drops and adds back the constraint
        // under the new column's name, validated (review 29: pydis-site `api/0036`, MetaDeploy `0058`; the
        // SQL preview, truth-tested, says so). A db_column kept is left alone.
        const before = fieldBefore(step, args.oldName);
        const rel = before?.relation;
        if (!rel || rel.kind === 'many-to-many' || rel.dbConstraint !== true || step.op.container !== null) return;
        const sql = sqlKindsOf(ctx, ctx.summary.operations.indexOf(step.op));
        // Without the preview (a key to a model out of view: settings.AUTH_USER_MODEL, another package's),
        // the column tells it: named after the field, it is renamed, and Django alters the key (review 61:
        // tandoor `0035` renames two keys to the user model).
        if (typeof sql === 'string' ? !!before.dbColumn : !readdsConstraint(sql)) return;
        ctx.report({
          range: step.op.range,
          fixes: [],
          message:
            `RenameField renames foreign key '${args.oldName}' of existing table ${tableLabel(step)} to '${args.newName}': ${dropsAndAddsBack(ctx.summary.atomic === false, ' under the new column\'s name')}. ` +
            "Instead, keep the column (rename-column's fix: the rename in Django's state only, with db_column): nothing is dropped, nothing is checked again.",
        });
        return;
      }
      if (args.kind === 'RenameModel') {
        renamedModelKeys(ctx, step);
        return;
      }
      if (args.kind !== 'AddField' && args.kind !== 'AlterField') return;
      if (positiveCheck(ctx, step)) return;
      const rel = args.field?.relation;
      if (!rel || rel.kind === 'many-to-many' || rel.dbConstraint !== true) return;
      // Since Django 3.0 AddField writes the foreign key inside ADD COLUMN, and PostgreSQL checks no
      // row for a new column whose default is NULL: every row holds NULL.
      if (args.kind === 'AddField' && djangoAtLeast(ctx.target, 3, 0) && !nonNullDefault(args.field)) return;
      let readded: FieldSpec | null = null;
      if (args.kind === 'AlterField') {
        const before = fieldBefore(step, args.name);
        if (!before || before.relation === undefined) return;
        if (before.relation && before.relation.kind !== 'many-to-many' && before.relation.dbConstraint !== false) {
          // Constrained already: Django keeps the constraint unless it alters the column, and then it drops
          // it first and adds it back, validated (review 28: lutris `games/0072` makes a key nullable). The
          // SQL preview says which: the statements Django runs for this operation.
          // Nothing the database has changes (on_delete, related_name, help_text: most such AlterFields):
          // Django alters nothing, and the preview, the cost of a whole file's SQL, is not asked.
          if (args.field && sameInTheDatabase(before, args.field)) return;
          // Inside SeparateDatabaseAndState's database_operations the preview is not asked; the change of
          // NULL, index or uniqueness below tells it (review 52: oioioi `oi/0002` makes a key nullable there).
          const sql = step.op.container !== null ? 'inside SeparateDatabaseAndState' : sqlKindsOf(ctx, ctx.summary.operations.indexOf(step.op));
          // Without the preview (a key to a model out of view: settings.AUTH_USER_MODEL, another package's),
          // a change of NULL, of its index or of uniqueness tells it: Django alters the field, so the
          // constraint goes and comes back (review 29: pootle `pootle_app/0019`, `pootle_statistics/0013`).
          const differs = (a: boolean | undefined, b: boolean | undefined): boolean => typeof a === 'boolean' && typeof b === 'boolean' && a !== b;
          const after = args.field;
          // Another class (a ForeignKey made a OneToOneField: review 61, tandoor `0015`) is another deconstruction: altered too.
          const altered = !!after && (differs(before.null, after.null) || differs(before.dbIndex, after.dbIndex) || differs(before.unique, after.unique) || (!!after.relation && before.cls !== after.cls));
          const churns = typeof sql === 'string' ? altered : readdsConstraint(sql);
          if (!churns) return;
          readded = before;
        }
      }
      const fk =
        args.kind === 'AddField'
          ? djangoAtLeast(ctx.target, 3, 0)
            ? 'with a default every existing row takes, so PostgreSQL checks every row against the referenced table while ADD COLUMN … REFERENCES holds an ACCESS EXCLUSIVE lock on the table (no reads, no writes) and a SHARE ROW EXCLUSIVE lock on the referenced one (writes wait)'
            : 'a constraint PostgreSQL validates at once: Django before 3.0 adds it with ADD CONSTRAINT … FOREIGN KEY after the column, holding a SHARE ROW EXCLUSIVE lock on both tables (writes wait) while it reads every row'
          : 'a constraint PostgreSQL validates at once: ADD CONSTRAINT … FOREIGN KEY holds a SHARE ROW EXCLUSIVE lock on both tables (writes wait) while it reads every row';
      if (readded) {
        const { fixes, refusal } = keepConstraintFixes(ctx, step, readded);
        const after = args.field;
        // Review 30: the advice fits the change — another target column needs a new constraint; a key made
        // NOT NULL still scans for SET NOT NULL, which alter-field-not-null's steps avoid.
        const retargeted = !!after?.relation && !sameTarget(after.relation, readded.relation);
        // Only the default Python gives new rows changed (review 60: Geotrek's `*_20191029_1110` drop
        // `default=default_structure_pk`): the column stays as it is, so no SQL needs to run at all.
        const defaultOnly = !!after && !sameValue(readded.default, after.default) && sameInTheDatabase(readded, { ...after, default: readded.default });
        const instead = defaultOnly
          ? "Instead, make this change in Django's state only (SeparateDatabaseAndState with this AlterField as its state side and no database operations): only the default new rows get from Python changes, and the column and its constraint stay as they are"
          : retargeted
          ? 'Instead, add the new constraint with `ADD CONSTRAINT … NOT VALID` and `VALIDATE CONSTRAINT` it in a later migration (RunSQL inside SeparateDatabaseAndState, this AlterField as its state side)'
          : readded.null === true && after?.null === false
            ? "Instead, make it NOT NULL in steps (alter-field-not-null's fix: a CHECK added NOT VALID, validated, then SET NOT NULL without a scan), with this AlterField in Django's state only: the constraint then stays as it is"
            : 'Instead, run the column change alone in RunSQL (for a key made nullable, `ALTER TABLE … ALTER COLUMN … DROP NOT NULL`) inside SeparateDatabaseAndState, with this AlterField as its state side: the constraint stays as it is';
        ctx.report({
          range: step.op.range,
          fixes,
          message:
            `AlterField '${args.name}' ${defaultOnly ? 'changes only the default of a foreign key of' : 'changes a foreign key of'} existing table ${tableLabel(step)}${defaultOnly ? ', yet' : ' in the database:'} ${dropsAndAddsBack(ctx.summary.atomic === false, '')}. ` +
            `${instead}.${refusal ? ` (No fix: ${refusal}.)` : ''}`,
        });
        return;
      }
      ctx.report({
        range: step.op.range,
        fixes: constraintFixes(ctx, step.op),
        message: `${args.kind} '${args.name}' adds a foreign key to existing table ${tableLabel(step)}, ${fk}. Instead, add the field with \`db_constraint=False\` and create the constraint with \`ADD CONSTRAINT … NOT VALID\` then \`VALIDATE CONSTRAINT\` in RunSQL inside SeparateDatabaseAndState.${constraintFixNote(ctx, step.op)}`,
      });
    });
    reportSqlHazards(ctx, 'add-constraint-validates');
  },
};

/**
 * A RenameModel: Django alters every foreign key pointing at the model (its `to` changed), which drops
 * each constraint and adds it back, validated (review 61: tandoor `0056` renames Ingredient to Food
 * and `cookbook_recipeingredient`'s key is checked again). Which keys, the SQL preview says (this
 * app's; another app's keys churn too, which it does not show).
 */
function renamedModelKeys(ctx: ProjectRuleContext, step: SchemaStep): void {
  const { args } = step;
  if (args.kind !== 'RenameModel' || step.op.container !== null) return;
  const sql = sqlKindsOf(ctx, step.index);
  if (typeof sql === 'string' || !readdsConstraint(sql)) return;
  // Not the keys of a table an earlier CreateModel of this migration made: it has no row to check.
  const app = ctx.view && ctx.file ? ctx.view.keyOf(ctx.file)?.app : undefined;
  if (!app) return;
  const created = new Set(
    ctx.summary.operations.slice(0, step.index).flatMap((op) => (op.args?.kind === 'CreateModel' && op.args.model ? [`"${(op.args.options.dbTable ?? `${app}_${op.args.model}`).toLowerCase()}"`] : [])),
  );
  const tables = [...new Set(sql.flatMap((q) => (addsValidatedForeignKey(q) ? (/^\s*ALTER TABLE\s+("(?:[^"]|"")*"|\S+)/i.exec(q)?.[1] ?? []) : [])))].filter((t) => !created.has(t.toLowerCase()));
  if (tables.length === 0) return;
  const from = step.before ? defaultTable(step.before) : null;
  const keep = from ? `\`db_table = "${from}"\`` : 'its table name as `db_table`';
  // A db_table of its own already (the preview says Django before 4.1 still alters the keys then: review 62).
  const kept = !!step.before?.options.dbTable;
  ctx.report({
    range: step.op.range,
    fixes: [],
    message:
      `RenameModel '${args.model}' → '${args.newName}' makes Django alter the foreign key${tables.length > 1 ? 's' : ''} pointing at the model (on ${tables.join(', ')}, and any of another app): ${dropsAndAddsBack(ctx.summary.atomic === false, '')}. ` +
      (kept
        ? "Instead, rename the model in Django's state only (SeparateDatabaseAndState, this RenameModel as its state side and no database operations): its table keeps its name, and no key is dropped or checked (from Django 4.1 such a RenameModel runs no SQL at all)."
        : djangoAtLeast(ctx.target, 4, 1)
          ? `Instead, keep the table: with ${keep} the RenameModel runs no SQL at all (Django 4.1 and later), so no key is dropped or checked.`
          : `Instead, rename the model in Django's state only (SeparateDatabaseAndState, this RenameModel with ${keep} as its state side and no database operations): no key is dropped or checked.`),
  });
}

/** Django's classes whose column carries a CHECK on PostgreSQL (`"stock" >= 0`). */
const CHECKED_CLASS = /^Positive(?:Big|Small)?IntegerField$/;

/**
 * A column given a CHECK on an existing table: an AddField of a PositiveIntegerField (the CHECK
 * inside ADD COLUMN, checked against every row even while the column is all NULL: review 61,
 * tandoor `0147`; 130 ms against 1 ms on 3,000,000 rows on PostgreSQL 15), or an AlterField that
 * makes a column one (ADD CONSTRAINT … CHECK). The statements are the SQL preview's. Reports it and
 * says true when so.
 */
function positiveCheck(ctx: ProjectRuleContext, step: SchemaStep): boolean {
  const { args } = step;
  if ((args.kind !== 'AddField' && args.kind !== 'AlterField') || !args.field || step.op.container !== null) return false;
  if (!CHECKED_CLASS.test(internalType(args.field))) return false;
  if (args.kind === 'AlterField') {
    const before = fieldBefore(step, args.name);
    if (!before || CHECKED_CLASS.test(internalType(before))) return false;
  }
  const sql = sqlKindsOf(ctx, step.index);
  // Where the preview cannot say (a `db_default`, a key elsewhere in the migration it does not model), the
  // class does: Django writes this CHECK for every such column on PostgreSQL (review 62: saleor `account/0090`).
  const check = typeof sql === 'string' ? null : sql.map((q) => /\bCHECK\s*\((.*)\)/i.exec(q)).find((m) => m && !/\bNOT VALID\b/i.test(m.input));
  if (check === undefined) return false;
  const condition = check ? (check[1] as string).trim() : `"${args.field.dbColumn ?? args.name ?? "…"}" >= 0`;
  const cls = args.field.cls;
  // What the new column holds while it is checked: NULL, or the one default every row gets (review 70: lite-api `statuses/0010`, default=100).
  const d = args.field.default;
  const holds = d === 'NOT_PROVIDED' || d?.kind === 'none' ? ' (even while the new column is all NULL)' : d === undefined ? '' : ' (even though every row holds the same default)';
  ctx.report({
    range: step.op.range,
    fixes: [],
    message:
      args.kind === 'AddField'
        ? `AddField '${args.name}' adds a ${cls} to existing table ${tableLabel(step)}, with the CHECK (${condition}) Django gives its column: PostgreSQL checks it against every row${holds} while ADD COLUMN holds an ACCESS EXCLUSIVE lock (no reads, no writes). Instead, add the column without its CHECK in RunSQL, then \`ADD CONSTRAINT … CHECK (${condition}) NOT VALID\` and \`VALIDATE CONSTRAINT\` in a later migration (SeparateDatabaseAndState, this AddField as its state side).`
        : `AlterField '${args.name}' makes a column of existing table ${tableLabel(step)} a ${cls}: Django adds its CHECK (${condition}), and PostgreSQL checks every row while holding an ACCESS EXCLUSIVE lock (no reads, no writes). Instead, add it with \`ADD CONSTRAINT … CHECK (${condition}) NOT VALID\` in RunSQL (SeparateDatabaseAndState, this AlterField as its state side) and \`VALIDATE CONSTRAINT\` in a later migration.`,
  });
  return true;
}

/**
 * What Django's drop and re-add of a foreign key constraint locks: in one transaction the drop's ACCESS
 * EXCLUSIVE lock is held through the re-add's validation; with atomic = False each statement commits on its
 * own, and the validation holds SHARE ROW EXCLUSIVE alone (reads go on: review 56, janeway `core/0082`).
 */
function dropsAndAddsBack(nonAtomic: boolean, how: string): string {
  return nonAtomic
    ? `Django drops its constraint (a brief ACCESS EXCLUSIVE lock on both tables; with atomic = False it commits at once) and adds it back${how}: PostgreSQL validates it at once, reading every row under a SHARE ROW EXCLUSIVE lock on both tables, so every write to either waits (reads go on)`
    : `Django drops its constraint, which takes an ACCESS EXCLUSIVE lock on both tables until the migration commits, and adds it back${how}: PostgreSQL validates it at once, reading every row while nothing else reads or writes either table`;
}

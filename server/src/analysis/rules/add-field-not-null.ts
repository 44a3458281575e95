/**
 * add-field-not-null: AddField of a NOT NULL column to a table that existed before this migration,
 * without a database default. Django adds the column with the field's default and drops that
 * default in the same statement batch, so while old code still runs (a rolling deploy) its INSERTs,
 * which do not name the new column, fail; on PostgreSQL before 11 and on MySQL the ADD COLUMN also
 * rewrites the table under its lock. `null=True`, or a `db_default` that is not None, is fine —
 * and so is a RunSQL later in the migration that sets the column's database default again.
 */
import { fieldColumn, type FieldSpec } from '../fields';
import { defaultTable } from '../project/state';
import { addFieldFixes } from '../fixes/not-null-steps';
import { djangoAtLeast, postgresqlAtLeast, type TargetDatabase } from '../target-database';
import type { ProjectRuleContext, Rule } from './rule';
import { reportSqlHazards } from './sql-hazards';
import { columnAtStart, forVendor, goneFromCodeBefore, goneFromStateBefore, hasColumn, tableLabel, walkSchema, type SchemaStep } from './schema-walk';
import { columnBeforeTheMinute, defaultRestoredBySql, emptiedBefore, renamedInThisMigration, tableDroppedLater } from './same-migration';
import { goneLaterInRelease } from './shipped-together';

/** True when the column gets a database-level default that stays (Django 5.0's db_default). */
function keepsDatabaseDefault(field: FieldSpec): boolean | undefined {
  if (field.dbDefault === undefined) return undefined;
  return field.dbDefault !== 'NOT_PROVIDED' && field.dbDefault.kind !== 'none';
}

/**
 * @param checksRows the column is a foreign key with its constraint, whose default every row takes:
 *   PostgreSQL checks each row against the referenced table before the lock goes (add-constraint-validates)
 * @param hasDefault Django adds the column with a DEFAULT (without one, there is nothing to store or rewrite)
 */
function lockText(target: TargetDatabase, checksRows: boolean, hasDefault: boolean): string {
  return forVendor(target, {
    postgresql: !hasDefault
      ? 'ALTER TABLE … ADD COLUMN takes an ACCESS EXCLUSIVE lock'
      : postgresqlAtLeast(target, 11)
        ? checksRows
          ? 'ALTER TABLE … ADD COLUMN … REFERENCES takes an ACCESS EXCLUSIVE lock and holds it while every row is checked against the referenced table (add-constraint-validates says how to avoid that)'
          : 'ALTER TABLE … ADD COLUMN takes an ACCESS EXCLUSIVE lock (brief: the constant default is stored in the catalog, no rewrite)'
        : `on PostgreSQL ${target.postgresqlVersion}, ADD COLUMN with a default rewrites the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes)`,
    mysql: 'on MySQL, ADD COLUMN … NOT NULL may copy the table, and the metadata lock blocks every query on it meanwhile',
    sqlite: 'on SQLite, Django rebuilds the whole table to add it',
  });
}

/** The fields django-pghistory gives every event model. */
const PGHISTORY_FIELDS = ['pgh_created_at', 'pgh_obj', 'pgh_label'];

/**
 * Whether this migration also drops a column of the table that code of the release before names
 * (review 80: inyoka `ikhaya/0011` adds `publication_datetime` and drops `pub_date` and `pub_time`):
 * old code's INSERTs, which name the dropped column, fail on it before any NOT NULL — drop-column's
 * finding says so, and a nullable column here would not help.
 */
function dropsColumnOldCodeNames(ctx: ProjectRuleContext, step: SchemaStep): boolean {
  const model = step.model;
  if (!model || !step.start) return false;
  return ctx.summary.operations.some((op, index) => {
    const a = op.args;
    if (a?.kind !== 'RemoveField' || !a.name || a.model?.toLowerCase() !== model) return false;
    if (!op.certain || op.branches.length > 0 || op.container !== null || op.databaseEffect !== 'normal') return false;
    const field = step.start?.fields.get(a.name);
    if (!step.start?.fields.has(a.name) || field?.relation?.kind === 'many-to-many') return false;
    // Added back under its name, old code still finds it.
    const back = ctx.summary.operations.some((o) => o.args?.kind === 'AddField' && o.args.name === a.name && o.args.model?.toLowerCase() === model);
    if (back || goneFromStateBefore(ctx, model, a.name) || goneFromCodeBefore(ctx, a.model, a.name)) return false;
    // Nor one an earlier migration of the release made: no old code names it (review 80: osis `base/0247` drops the
    // `summary_editable` its release's `0237` added).
    return columnBeforeTheMinute(ctx, { ...step, index }, (field ? fieldColumn(a.name, field) : undefined) ?? a.name) !== false;
  });
}

export const addFieldNotNull: Rule = {
  meta: {
    id: 'add-field-not-null',
    summary: 'AddField adds a NOT NULL column without a database default to an existing table: old code still running cannot insert rows.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    walkSchema(ctx, (step) => {
      const { args } = step;
      if (args.kind !== 'AddField' || step.table !== 'existing' || !args.field) return;
      // The same migration then drops the table: old code's INSERTs fail on the missing table, drop-table's finding (rdmo domain/0037).
      if (tableDroppedLater(ctx.summary, step)) return;
      // The same migration drops a column old code names: its INSERTs fail on that first (drop-column's finding).
      if (dropsColumnOldCodeNames(ctx, step)) return;
      // Dropped again by a later migration of the same release: the column lives within one `migrate` run.
      if (step.model && args.name && goneLaterInRelease(ctx, step.model, args.name)) return;
      // A django-pghistory event table: only the tracked table's trigger inserts into it, and pghistory
      // replaces that trigger in the same migration (review 26: courtlistener's `*event` tables).
      if (step.before && PGHISTORY_FIELDS.some((f) => step.before?.fields.has(f))) return;
      const field = args.field;
      if (field.null !== false || !hasColumn(field) || field.relation === undefined) return;
      const keeps = keepsDatabaseDefault(field);
      if (keeps !== false) return; // a db_default that stays, or one we cannot read
      if (field.primaryKey === true) return;
      const table = step.before ? defaultTable(step.before) : undefined;
      const column = args.name ? fieldColumn(args.name, field) : undefined;
      if (table && column && defaultRestoredBySql(ctx.summary, step, table, column, args.name ?? undefined)) return;
      // Django's effective default: the default as written, now() for auto_now, '' for blank text.
      // `default=None` is one too, and Django writes no DEFAULT for it (saleor shipping/0013).
      const noneDefault = field.default !== 'NOT_PROVIDED' && field.default?.kind === 'none';
      const hasDefault = !noneDefault && (field.default !== 'NOT_PROVIDED' || field.autoNow === true || field.blank === true);
      // A column of that name was there when the migration began (dropped earlier in it and added back:
      // Ghostwriter users/0013): old code's INSERTs name it and give it a value. Without a default the
      // ADD COLUMN itself still fails on a table with rows (edx-enterprise integrated_channel/0031).
      if (hasDefault && column && columnAtStart(step, column) === true) return;
      // Without a default the ADD COLUMN fails only on rows: none where RunPython or TRUNCATE emptied the table first (review 52: seqr `0061`).
      if (!hasDefault && table && emptiedBefore(ctx.summary, step, table)) return;
      // A table this migration renamed: code still running knows it by its old name, and fails on the rename first (rename-table's finding; review 52: seqr `0070`).
      if (hasDefault && table && renamedInThisMigration(ctx, step)) return;
      const name = args.name ?? 'the field';
      const alternative = djangoAtLeast(ctx.target, 5, 0)
        ? `add it with \`db_default=…\` (the default then stays in the database), or add it with \`null=True\`, backfill in batches, and make it NOT NULL in a later migration`
        : `add it with \`null=True\`, backfill in batches in a migration of its own, and make it NOT NULL in a later release`;
      const consequence = hasDefault
        ? `Django sets its default only while adding the column and drops it at once, so the INSERTs of code still running without '${name}' fail with a NOT NULL violation during the deploy`
        : noneDefault
          ? `its default is None, so Django adds it with no DEFAULT and it fails as soon as the table has rows`
          : `it has no default, so it fails as soon as the table has rows (makemigrations would have asked for a one-off default)`;
      const relation = field.relation;
      const checksRows = hasDefault && !!relation && relation.kind !== 'many-to-many' && relation.dbConstraint !== false;
      const { fixes, refusal } = addFieldFixes(ctx, step, name, field);
      ctx.report({
        range: step.op.range,
        message: `AddField '${name}' on '${step.model}' adds a NOT NULL column to existing table ${tableLabel(step)}: ${consequence}; ${lockText(ctx.target, checksRows, hasDefault)}. Instead, ${alternative}.${refusal ? ` (No fix: ${refusal}.)` : ''}`,
        fixes,
      });
    });
    reportSqlHazards(ctx, 'add-field-not-null');
  },
};

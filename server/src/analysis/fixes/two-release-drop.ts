/**
 * The fix of drop-column and drop-table, "Remove in two releases" (expand / contract):
 *
 *  - this migration removes the field (the model) from Django's state only —
 *    SeparateDatabaseAndState(state_operations=[RemoveField / DeleteModel]) — so the code deployed
 *    with it no longer names the column, while the old code still running can keep using it. A
 *    column that is NOT NULL without a database default is made nullable first (`ALTER COLUMN …
 *    DROP NOT NULL`): the new code's INSERTs no longer name it and would fail otherwise;
 *  - a new migration, to be deployed with the next release (when no old code runs), drops it:
 *    SeparateDatabaseAndState(database_operations=[RunSQL(the SQL Django would run)]), with no
 *    state operations. Its reverse re-creates what can be re-created: the column, nullable and
 *    empty (its data is gone), or the table as Django would create it, empty.
 *
 * The SQL is the SQL preview's (sqlmigrate's text: names, CASCADE, foreign keys), so the fix is
 * offered where the preview knows it — on PostgreSQL, for a column or table whose definition is
 * known statically; otherwise it is refused with the preview's reason.
 */
import { fieldColumn, type FieldSpec } from '../fields';
import type { ProjectRuleContext } from '../rules/rule';
import type { SchemaStep } from '../rules/schema-walk';
import type { Fix } from '../types';
import { isAppLatest, planFollowUps } from './follow-up';
import { argumentText, laterOperationsOn, operationSite, replaceOperation, runSqlText, separateText, sqlOf, withArgs } from './operation-text';
import type { StepFixes } from './not-null-steps';


/**
 * A drop statement that does nothing where there is nothing to drop: a migration that shipped long
 * ago already dropped it on every database that applied it (review 28: mitxpro `hubspot_xpro/0003`,
 * kuma `plus/0002`), and there the follow-up must still run.
 */
function ifExists(sql: string): string {
  return sql
    .replace(/^DROP TABLE (?!IF EXISTS )/i, 'DROP TABLE IF EXISTS ')
    .replace(/^(ALTER TABLE \S+ DROP (?:COLUMN|CONSTRAINT) )(?!IF EXISTS )/i, '$1IF EXISTS ');
}


function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** drop-column / drop-table: state-only removal now, the drop in a follow-up migration. */
export function twoReleaseDropFixes(ctx: ProjectRuleContext, step: SchemaStep): StepFixes {
  const source = ctx.source;
  if (source === null || !ctx.view || !ctx.file) return { fixes: [], refusal: null };
  if (ctx.target.vendor !== 'postgresql') return { fixes: [], refusal: null };
  // First what is cheap and most often refused: new migrations follow only the app's latest one.
  // Not said in the message: most such findings are in a project's history, where no fix is wanted.
  if (!isAppLatest(ctx.view, ctx.file)) return { fixes: [], refusal: null };
  const site = operationSite(source, step.op);
  if (typeof site === 'string') return { fixes: [], refusal: site };
  const args = step.args;
  const index = ctx.summary.operations.indexOf(step.op);
  const model = 'model' in args ? args.model : null;
  if (!step.before || !model || !step.model) return { fixes: [], refusal: 'the model before this migration is not known' };
  const table = ctx.view.tableName(step.before);
  if (!table) return { fixes: [], refusal: 'the table name is not known statically' };
  if (table.includes('"')) return { fixes: [], refusal: 'the table name is quoted (a schema-qualified db_table)' };
  const field = args.kind === 'RemoveField' ? args.name : null;
  if (laterOperationsOn(ctx, step.op, step.model, field)) return { fixes: [], refusal: `this migration uses '${field ?? step.model}' again later` };

  let stateOp: string;
  const database: string[] = [];
  let reverse: string[] | string;
  let what: string;
  if (args.kind === 'RemoveField') {
    const name = args.name as string;
    const field = step.before.fields.get(name) ?? null;
    if (!field) return { fixes: [], refusal: `the definition of '${name}' is not known statically` };
    if (field.relation?.kind === 'many-to-many') return { fixes: [], refusal: 'a many-to-many field drops a join table, which this fix does not write' };
    const column = fieldColumn(name, field);
    if (!column || field.null === undefined || field.dbDefault === undefined) return { fixes: [], refusal: `the column of '${name}' is not known statically` };
    const modelText = argumentText(site, 'model_name', 0);
    const nameText = argumentText(site, 'name', 1);
    if (!modelText || !nameText) return { fixes: [], refusal: 'its model_name and name cannot be read' };
    stateOp = `migrations.RemoveField(\n    model_name=${modelText},\n    name=${nameText},\n)`;
    const keepsDefault = field.dbDefault !== 'NOT_PROVIDED' && field.dbDefault.kind !== 'none';
    if (field.null === false && !keepsDefault) {
      database.push(
        '# The new code no longer inserts it: nullable now, and still nullable backwards (rows written meanwhile have no value for it).\n' +
          runSqlText('migrations.', [`ALTER TABLE ${quoted(table)} ALTER COLUMN ${quoted(column)} DROP NOT NULL`], 'noop'),
      );
    }
    const nullable: FieldSpec = { ...field, null: true };
    reverse = sqlOf(ctx, 0, [withArgs(step.op, { kind: 'AddField', model, name, field: nullable, preserveDefault: true })]);
    what = `${quoted(table)}.${quoted(column)}`;
  } else if (args.kind === 'DeleteModel') {
    // Columns this migration drops before the table would still go in this release.
    const earlier = ctx.summary.operations.slice(0, index).find((o) => o.args?.kind === 'RemoveField' && o.databaseEffect === 'normal' && o.args.model?.toLowerCase() === step.model);
    if (earlier) return { fixes: [], refusal: `this migration first removes fields of '${step.model}', whose columns would still be dropped in this release` };
    const nameText = argumentText(site, 'name', 0);
    if (!nameText) return { fixes: [], refusal: 'its name cannot be read' };
    stateOp = `migrations.DeleteModel(\n    name=${nameText},\n)`;
    const fields: Array<[string, FieldSpec | null]> = [...step.before.fields];
    // Backwards, the follow-up re-creates the table before this migration re-creates the others it
    // drops: a foreign key to one of them would point at no table yet (review 22: bluebottle's
    // MediaWallpost, whose wallpost_ptr points at Wallpost, dropped by the same migration).
    const app = ctx.view.node(ctx.file)?.key.app ?? null;
    const droppedHere = new Set(ctx.summary.operations.flatMap((o, i) => (i !== index && o.args?.kind === 'DeleteModel' && o.databaseEffect === 'normal' && o.args.model ? [o.args.model.toLowerCase()] : [])));
    const blocked = fields.find(([, f]) => {
      const to = f?.relation?.to;
      const ref = to && to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(to.value) : null;
      return !!ref && (ref[1] === undefined || ref[1].toLowerCase() === app?.toLowerCase()) && droppedHere.has((ref[2] as string).toLowerCase());
    });
    if (blocked) return { fixes: [], refusal: `its '${blocked[0]}' points at a model whose table this migration drops too: backwards, the table would be re-created before that one` };
    const o = step.before.options;
    reverse = sqlOf(ctx, 0, [
      withArgs(step.op, { kind: 'CreateModel', model: step.before.name, fields, options: { ...o, abstract: false, raw: {} }, bases: step.before.bases }),
    ]);
    what = `table ${quoted(table)}`;
  } else return { fixes: [], refusal: null };

  const dropped = sqlOf(ctx, index);
  if (typeof dropped === 'string') return { fixes: [], refusal: `the SQL that drops it is not known: ${dropped}` };
  const forward = dropped.map(ifExists);
  if (typeof reverse === 'string') return { fixes: [], refusal: `the SQL that would re-create it backwards is not known: ${reverse}` };
  const slug = (args.kind === 'RemoveField' ? `remove_${step.model}_${args.name}_from_database` : `delete_${step.model}_table`).toLowerCase();
  const plan = planFollowUps(ctx.view, ctx.file, [
    {
      slug,
      atomic: true,
      why: `drops ${what}, out of Django's state since ${ctx.summary.name}: deploy it with the next release.`,
      operations: [`        ${separateText('migrations.', [], [runSqlText('migrations.', forward, reverse)]).replace(/\n/g, '\n        ')}`],
    },
  ]);
  if (!plan.ok) return { fixes: [], refusal: plan.reason };
  const fix: Fix = {
    title: `Remove in two releases: from Django's state here, drop the ${args.kind === 'RemoveField' ? 'column' : 'table'} in ${plan.names[0]}.py (deploy it with the next release)`,
    edits: [replaceOperation(site, separateText('migrations.', [stateOp], database))],
    creates: plan.creates,
    isPreferred: true,
    safe: false,
  };
  return { fixes: [fix], refusal: null };
}

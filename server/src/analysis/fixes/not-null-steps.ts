/**
 * The fixes of add-field-not-null and alter-field-not-null: a NOT NULL column reached in steps
 * (seed 003's decomposition) instead of in one locking statement.
 *
 *  - "Add in steps" (add-field-not-null): this migration adds the column `null=True` (the default
 *    stays, as Django's Python-side default); a new migration backfills the rows that are NULL in
 *    batches (atomic = False, each batch its own transaction); a last one makes the column NOT NULL.
 *  - "Add with db_default" (add-field-not-null, Django ≥ 5.0, a literal default): one edit.
 *  - "Backfill, then NOT NULL in steps" (alter-field-not-null): the AlterField leaves this
 *    migration; the same two new migrations follow it.
 *
 * NOT NULL the safe way, on PostgreSQL ≥ 12: SeparateDatabaseAndState whose state side is the
 * AlterField to the final field (Django's state ends identical) and whose database side is
 * `ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID` (a brief ACCESS EXCLUSIVE lock, no scan),
 * `VALIDATE CONSTRAINT` (scans under SHARE UPDATE EXCLUSIVE: reads and writes go on), `ALTER COLUMN
 * … SET NOT NULL` (no scan: PostgreSQL 12+ uses the validated check) and `DROP CONSTRAINT`, each
 * with its reverse. That migration is `atomic = False`: in one transaction the ACCESS EXCLUSIVE
 * lock of the ADD would be held through the VALIDATE's whole scan, which is what the steps avoid.
 * On MySQL, SQLite and PostgreSQL before 12 (where SET NOT NULL scans anyway) a plain AlterField.
 */
import { fieldColumn, type FieldSpec } from '../fields';
import type { OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from '../rules/rule';
import type { SchemaStep } from '../rules/schema-walk';
import { djangoAtLeast, postgresqlAtLeast } from '../target-database';
import type { Fix, TextEdit } from '../types';
import { argumentOf, callText, rangeAt, type ArgumentText, type CallText } from './call-text';
import { isAppLatest, planFollowUps, type FollowUpMigration } from './follow-up';
import {
  argumentText,
  fieldOperationText,
  sqlOf,
  importsFor,
  laterOperationsOn,
  operationSite,
  reindent,
  removeOperation,
  runSqlText,
  separateText,
  type OperationSite,
} from './operation-text';

/** Rows a backfill statement updates. */
export const BACKFILL_BATCH = 1000;

/** The fixes of a finding, or why there are none (said in the message where it helps). */
export interface StepFixes {
  fixes: Fix[];
  refusal: string | null;
}

const NONE: StepFixes = { fixes: [], refusal: null };

/** The field call of an AddField / AlterField as written: its argument, and its own arguments. */
interface FieldText {
  arg: ArgumentText;
  text: string;
  call: CallText;
}

function fieldText(site: OperationSite): FieldText | null {
  const arg = argumentOf(site.call, 'field', 2);
  if (!arg) return null;
  const head = /^[A-Za-z_][\w.]*\s*\(/.exec(site.source.slice(arg.start, arg.end));
  const call = head ? callText(site.source, arg.start + head[0].length - 1) : null;
  if (!call || call.close !== arg.end - 1) return null;
  return { arg, text: site.source.slice(arg.start, arg.end), call };
}

/** What the backfill writes into rows that are NULL. */
type Fill = { kind: 'value' | 'per-row'; text: string; imports: string[] } | { kind: 'unknown' };

const TEXT_CLASSES = new Set(['CharField', 'TextField', 'SlugField', 'EmailField', 'URLField']);

/** The field's default as the backfill writes it: a value, a callable called per row, or unknown. */
function fillOf(field: FieldSpec, ft: FieldText, source: string): Fill {
  const d = field.default;
  const arg = argumentOf(ft.call, 'default', -1);
  if (d && d !== 'NOT_PROVIDED' && arg) {
    const text = source.slice(arg.start, arg.end);
    const imports = importsFor(source, text);
    if (typeof imports === 'string' || d.kind === 'none' || d.kind === 'unknown') return { kind: 'unknown' };
    return d.kind === 'ref' ? { kind: 'per-row', text: `${text}()`, imports } : { kind: 'value', text, imports };
  }
  if (d !== 'NOT_PROVIDED') return { kind: 'unknown' };
  if (field.autoNow === true) return { kind: 'per-row', text: 'timezone.now()', imports: ['from django.utils import timezone'] };
  if (field.blank === true && field.builtin && TEXT_CLASSES.has(field.cls)) return { kind: 'value', text: '""', imports: [] };
  return { kind: 'unknown' };
}

interface Target {
  app: string;
  /** The model's class name as its state has it (`Listing`). */
  modelClass: string;
  model: string;
  name: string;
  table: string;
  column: string;
  isRelation: boolean;
}

function targetOf(ctx: ProjectRuleContext, step: SchemaStep, name: string, field: FieldSpec): Target | string {
  const app = ctx.view && ctx.file ? ctx.view.keyOf(ctx.file)?.app : undefined;
  if (!app || !ctx.view || !step.before || !step.model) return 'the model before this migration is not known';
  const table = ctx.view.tableName(step.before);
  const column = fieldColumn(name, field);
  if (!table || !column) return 'the table or the column name is not known statically';
  if (table.includes('"')) return 'the table name is quoted (a schema-qualified db_table)';
  return { app, modelClass: step.before.name, model: step.model, name, table, column, isRelation: !!field.relation };
}

/**
 * The batched backfill: a RunPython over the rows still NULL, keyset-paginated by primary key. Through
 * the base manager: every row, whatever managers the migrations gave the model (review 34: djangogirls
 * `organize/0007` renamed EventApplication's only manager to `object`, and `.objects` raised).
 */
function backfillMigration(t: Target, fill: Fill, django: readonly [number, number]): FollowUpMigration {
  // bulk_update() came in Django 2.2: before it, each row of a window is saved with only that field.
  const bulkUpdate = django[0] > 2 || (django[0] === 2 && django[1] >= 2);
  const fn = `backfill_${t.model}_${t.name}`.toLowerCase();
  const cls = t.modelClass;
  const attr = t.isRelation ? `${t.name}_id` : t.name;
  const still = `${t.name}__isnull=True`;
  const write =
    fill.kind === 'value'
      ? [`        ${cls}._base_manager.filter(pk__in=pks, ${still}).update(${attr}=${fill.text})`]
      : fill.kind === 'per-row'
        ? [
            `        rows = list(${cls}._base_manager.filter(pk__in=pks, ${still}).only("pk"))`,
            '        for row in rows:',
            `            row.${attr} = ${fill.text}`,
            ...(bulkUpdate ? [`        ${cls}._base_manager.bulk_update(rows, [${JSON.stringify(t.name)}])`] : [`            row.save(update_fields=[${JSON.stringify(t.name)}])`]),
          ]
        : [
            `        # TODO: the value rows without one get: '${t.name}' has no default to copy. FILL_IN is a placeholder.`,
            `        ${cls}._base_manager.filter(pk__in=pks, ${still}).update(${attr}=FILL_IN)`,
          ];
  const preamble = [
    `BATCH_SIZE = ${BACKFILL_BATCH}`,
    '',
    '',
    `def ${fn}(apps, schema_editor):`,
    `    # ${BACKFILL_BATCH} rows an UPDATE, each committed on its own (atomic = False): row locks are held briefly.`,
    `    ${cls} = apps.get_model(${JSON.stringify(t.app)}, ${JSON.stringify(cls)})`,
    `    pending = ${cls}._base_manager.filter(${still}).order_by("pk")`,
    '    last_pk = None',
    '    while True:',
    '        batch = pending if last_pk is None else pending.filter(pk__gt=last_pk)',
    '        pks = list(batch.values_list("pk", flat=True)[:BATCH_SIZE])',
    '        if not pks:',
    '            break',
    ...write,
    '        last_pk = pks[-1]',
  ].join('\n');
  return {
    slug: fn,
    atomic: false,
    why: `fills ${t.model}.${t.name} where it is NULL, in batches, before it becomes NOT NULL. Deploy it with the next release, once no running code leaves it NULL.`,
    imports: fill.kind === 'unknown' ? [] : fill.imports,
    preamble,
    operations: [`        migrations.RunPython(${fn}, reverse_code=migrations.RunPython.noop)`],
  };
}

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The migration that makes the column NOT NULL; `stateOp` is the AlterField to the final field (indentation 0). */
function notNullMigration(ctx: ProjectRuleContext, t: Target, stateOp: string, imports: string[]): FollowUpMigration {
  const slug = `${t.model}_${t.name}_not_null`.toLowerCase();
  const why = `makes ${t.model}.${t.name} NOT NULL once every row has a value. Deploy it with the backfill before it, in the next release.`;
  const indent = (text: string): string => `        ${text.replace(/\n/g, '\n        ')}`;
  if (!postgresqlAtLeast(ctx.target, 12)) {
    return { slug, atomic: true, why, imports, operations: [indent(stateOp)] };
  }
  const table = `ALTER TABLE ${q(t.table)}`;
  const check = q(`${t.table}_${t.column}_not_null`.slice(0, 63));
  const add = `${table} ADD CONSTRAINT ${check} CHECK (${q(t.column)} IS NOT NULL) NOT VALID`;
  const drop = `${table} DROP CONSTRAINT ${check}`;
  const database = [
    runSqlText('migrations.', [add], [drop]),
    runSqlText('migrations.', [`${table} VALIDATE CONSTRAINT ${check}`], 'noop'),
    runSqlText('migrations.', [`${table} ALTER COLUMN ${q(t.column)} SET NOT NULL`], [`${table} ALTER COLUMN ${q(t.column)} DROP NOT NULL`]),
    runSqlText('migrations.', [drop], [add]),
  ];
  return {
    slug,
    // Each statement commits on its own: the ADD's ACCESS EXCLUSIVE lock is released before the VALIDATE scans.
    atomic: false,
    why: `makes ${t.model}.${t.name} NOT NULL without a long lock: each statement commits on its own (atomic = False). Deploy it with the backfill before it, in the next release.`,
    imports,
    operations: [indent(separateText('migrations.', [stateOp], database))],
  };
}

function followUpTitle(names: readonly string[]): string {
  return names.map((n) => `${n}.py`).join(' and ');
}

/** Shared checks: the site, its field text, the target; or why not. */
function prepare(ctx: ProjectRuleContext, step: SchemaStep, name: string, field: FieldSpec): { site: OperationSite; ft: FieldText; t: Target; source: string } | string | null {
  const source = ctx.source;
  if (source === null) return null;
  // First what is cheap and most often refused: new migrations follow only the app's latest one.
  // Not said in the message: most such findings are in a project's history, where no fix is wanted.
  if (!isAppLatest(ctx.view, ctx.file)) return null;
  const site = operationSite(source, step.op);
  if (typeof site === 'string') return site;
  const ft = fieldText(site);
  if (!ft) return 'its field argument cannot be read';
  const t = targetOf(ctx, step, name, field);
  if (typeof t === 'string') return t;
  if (laterOperationsOn(ctx, step.op, t.model, name)) return `this migration changes '${name}' again later`;
  return { site, ft, t, source };
}

/** `null=True` in the field call (the keyword's value changed, or the keyword added in sorted order), without `omit`. */
function nullableEdits(source: string, ft: FieldText, omit: ArgumentText | null, emptyDefault = false): TextEdit[] {
  const existing = argumentOf(ft.call, 'null', -1);
  const removal = omit ? [removeArgument(source, ft.call, omit)] : [];
  const added = [...(emptyDefault ? ['default=""'] : []), ...(existing ? [] : ['null=True'])];
  const args = ft.call.args.filter((a) => a !== omit);
  // Each new keyword before the first one written after it in name order, as makemigrations orders
  // them; those that land at the same place go in one edit.
  const at = new Map<number, string[]>();
  for (const kw of added) {
    const next = args.find((a) => a.keyword !== null && a.keyword > kw);
    const offset = next ? next.argStart : -1;
    at.set(offset, [...(at.get(offset) ?? []), kw]);
  }
  const last = args[args.length - 1];
  const inserts: TextEdit[] = [...at].map(([offset, kws]) =>
    offset >= 0
      ? { range: rangeAt(source, offset, offset), newText: `${kws.join(', ')}, ` }
      : last
        ? { range: rangeAt(source, last.end, last.end), newText: `, ${kws.join(', ')}` }
        : { range: rangeAt(source, ft.call.open + 1, ft.call.close), newText: kws.join(', ') },
  );
  // With no argument left, the one insert replaces everything between the parentheses, the omitted one too.
  return [...(existing ? [{ range: rangeAt(source, existing.start, existing.end), newText: 'True' }] : []), ...inserts, ...(last ? removal : [])];
}

/** Removes one argument of a call as written, with the comma that separates it. */
function removeArgument(source: string, call: CallText, arg: ArgumentText): TextEdit {
  const i = call.args.indexOf(arg);
  const next = call.args[i + 1];
  const previous = call.args[i - 1];
  if (next) return { range: rangeAt(source, arg.argStart, next.argStart), newText: '' };
  return { range: rangeAt(source, previous ? previous.end : arg.argStart, arg.end), newText: '' };
}

/** Builtins whose call gives the same (empty) value every time. */
const EMPTY_VALUE_CALLABLES = new Set(['list', 'dict', 'set', 'tuple', 'frozenset', 'str', 'int', 'float', 'bool']);

/**
 * The nullable AddField without its default where adding the column with it would hurt: a callable
 * default (Django calls it once, so every existing row would get the same value — a unique field
 * fails), or PostgreSQL before 11 (ADD COLUMN … DEFAULT rewrites the table). Existing rows stay NULL
 * for the backfill; the NOT NULL migration's state side brings the default back.
 */
function nullableFieldEdits(ctx: ProjectRuleContext, p: { site: OperationSite; ft: FieldText; source: string }, field: FieldSpec): TextEdit[] {
  const d = field.default;
  const arg = argumentOf(p.ft.call, 'default', -1);
  const rewrites = ctx.target.vendor === 'postgresql' && !postgresqlAtLeast(ctx.target, 11);
  // `default=list` gives every row the same empty value however often it is called: kept, existing rows
  // get it in the ADD COLUMN itself (a constant default, no rewrite), and the backfill finds only the rows
  // old code inserts meanwhile (review 25: casepro `contacts/0023` rewrote every contact to write `[]`).
  const sameForEveryRow = !!arg && d !== undefined && d !== 'NOT_PROVIDED' && d.kind === 'ref' && EMPTY_VALUE_CALLABLES.has(p.source.slice(arg.start, arg.end).trim());
  // No default: Django gives the existing rows of a blank text field "" (its effective default), so the
  // nullable column keeps that with `default=""`, not NULL for a release (review 28: kuma
  // `bookmarks/0003`, whose new code sorts and searches on the value).
  if (!arg || !d || d === 'NOT_PROVIDED') return nullableEdits(p.source, p.ft, null, fillOf(field, p.ft, p.source).kind === 'value' && !rewrites);
  if ((d.kind !== 'ref' || sameForEveryRow) && !rewrites) return nullableEdits(p.source, p.ft, null);
  const preserve = argumentOf(p.site.call, 'preserve_default', 3);
  return [...nullableEdits(p.source, p.ft, arg), ...(preserve ? [removeArgument(p.source, p.site.call, preserve)] : [])];
}

/** The state-side AlterField to the field as the finding's operation writes it. */
function stateAlterField(site: OperationSite, ft: FieldText): string | null {
  const model = argumentText(site, 'model_name', 0);
  const name = argumentText(site, 'name', 1);
  if (!model || !name) return null;
  const preserve = argumentText(site, 'preserve_default', 3);
  return fieldOperationText('migrations.', 'AlterField', model, name, reindent(ft.text, `${site.indent}    `, ''), preserve);
}

function steps(ctx: ProjectRuleContext, p: { site: OperationSite; ft: FieldText; t: Target; source: string }, field: FieldSpec): { migrations: FollowUpMigration[] } | string {
  const imports = importsFor(p.source, p.ft.text);
  if (typeof imports === 'string') return imports;
  const stateOp = stateAlterField(p.site, p.ft);
  if (!stateOp) return 'its model_name and name cannot be read';
  return { migrations: [backfillMigration(p.t, fillOf(field, p.ft, p.source), ctx.target.djangoVersion), notNullMigration(ctx, p.t, stateOp, imports)] };
}

/** add-field-not-null: "Add in steps", and "Add with db_default" where Django has it. */
export function addFieldFixes(ctx: ProjectRuleContext, step: SchemaStep, name: string, field: FieldSpec): StepFixes {
  const p = prepare(ctx, step, name, field);
  if (p === null) return NONE;
  if (typeof p === 'string') return { fixes: [], refusal: p };
  const fixes: Fix[] = [];
  let refusal: string | null = null;
  const planned = steps(ctx, p, field);
  const plan = typeof planned === 'string' ? { ok: false as const, reason: planned } : planFollowUps(ctx.view, ctx.file, planned.migrations);
  if (plan.ok) {
    fixes.push({
      title: `Add in steps: nullable here, backfill and NOT NULL in ${followUpTitle(plan.names)} (deploy those in the next release)`,
      edits: nullableFieldEdits(ctx, p, field),
      creates: plan.creates,
      isPreferred: true,
      safe: false,
    });
  } else refusal = plan.reason;
  const dbDefault = dbDefaultFix(ctx, p.source, p.ft, field);
  if (dbDefault) fixes.push(dbDefault);
  return { fixes, refusal: fixes.length === 0 ? refusal : null };
}

/** `db_default=<the default>` next to the default (Django ≥ 5.0): the database keeps the value for old code's INSERTs. */
function dbDefaultFix(ctx: ProjectRuleContext, source: string, ft: FieldText, field: FieldSpec): Fix | null {
  if (!djangoAtLeast(ctx.target, 5, 0)) return null;
  const d = field.default;
  const arg = argumentOf(ft.call, 'default', -1);
  if (!d || d === 'NOT_PROVIDED' || !arg || !['str', 'int', 'float', 'bool'].includes(d.kind)) return null;
  if (argumentOf(ft.call, 'db_default', -1)) return null;
  const text = source.slice(arg.start, arg.end);
  return { title: `Add with db_default=${text} (the database keeps the default for rows old code inserts)`, edits: [{ range: rangeAt(source, arg.argStart, arg.argStart), newText: `db_default=${text}, ` }], isPreferred: false, safe: false };
}

/** `, models` out of `from django.db import migrations, models` when the removed operation was its only user. */
function unusedModelsImport(source: string, site: OperationSite): TextEdit[] {
  const rest = source.slice(0, site.start) + source.slice(site.end);
  const line = /^from django\.db import migrations, models[ \t]*$/m.exec(rest);
  if (!line || /\bmodels\./.test(rest)) return [];
  const at = line.index + 'from django.db import migrations'.length;
  return [{ range: rangeAt(source, at, at + ', models'.length), newText: '' }];
}

/** Statements of an AlterField to NOT NULL that the validated-check steps replace: the default set for the UPDATE of NULL rows, the UPDATE, SET NOT NULL. */
const NOT_NULL_PARTS = /^(UPDATE |ALTER TABLE \S+ ALTER COLUMN \S+ (SET DEFAULT|DROP DEFAULT|SET NOT NULL)\b)/;

/**
 * Why the NOT NULL steps would not do all the AlterField does (a type, length or index change the
 * SQL in RunSQL would leave out, so the database would part from Django's state), or null.
 */
function alsoChanges(ctx: ProjectRuleContext, op: OperationSummary): string | null {
  const sql = sqlOf(ctx, ctx.summary.operations.indexOf(op));
  if (typeof sql === 'string') return `the SQL of the AlterField is not known (${sql}), so it may change more than NOT NULL`;
  const other = sql.flatMap((s) => s.split(/;\s*(?=\S)/)).filter((s) => !NOT_NULL_PARTS.test(s.trim()));
  if (other.length === 0) return null;
  const first = (other[0] as string).trim().replace(/;$/, '');
  return `the AlterField also changes the column (\`${first.length > 80 ? `${first.slice(0, 79)}…` : first}\`): make that change in an AlterField of its own first`;
}

/** alter-field-not-null: the AlterField leaves this migration; a backfill and the NOT NULL steps follow it. */
export function alterFieldFixes(ctx: ProjectRuleContext, step: SchemaStep, name: string, field: FieldSpec): StepFixes {
  const p = prepare(ctx, step, name, field);
  if (p === null) return NONE;
  if (typeof p === 'string') return { fixes: [], refusal: p };
  const more = postgresqlAtLeast(ctx.target, 12) ? alsoChanges(ctx, step.op) : null;
  if (more) return { fixes: [], refusal: more };
  const planned = steps(ctx, p, field);
  const plan = typeof planned === 'string' ? { ok: false as const, reason: planned } : planFollowUps(ctx.view, ctx.file, planned.migrations);
  if (!plan.ok) return { fixes: [], refusal: plan.reason };
  return {
    fixes: [
      {
        title: `Backfill, then NOT NULL without a long lock: move this AlterField to ${followUpTitle(plan.names)} (deploy those in the next release)`,
        edits: [removeOperation(p.site, ctx.summary.operations.length === 1), ...unusedModelsImport(p.source, p.site)],
        creates: plan.creates,
        isPreferred: true,
        safe: false,
      },
    ],
    refusal: null,
  };
}


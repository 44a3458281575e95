/**
 * The fix of add-constraint-validates: add the constraint NOT VALID in this migration (no scan,
 * a brief lock) and validate it in a new migration after it (a scan under SHARE UPDATE EXCLUSIVE:
 * reads and writes go on), one follow-up for every constraint of the migration.
 *
 * - A CheckConstraint with Django ≥ 4.0 on PostgreSQL: `AddConstraintNotValid` here,
 *   `ValidateConstraint` in the follow-up (django.contrib.postgres.operations).
 * - A CheckConstraint with older Django, or a foreign key added by AlterField (db_constraint
 *   turned on, or a column becoming a ForeignKey without other changes): SeparateDatabaseAndState
 *   keeping Django's operation as its state side, with `ALTER TABLE … ADD CONSTRAINT … NOT VALID`
 *   (Django's own SQL and constraint name, from the SQL preview) as its database side, reversed by
 *   DROP CONSTRAINT; the follow-up runs `ALTER TABLE … VALIDATE CONSTRAINT …` (reverse: nothing).
 *
 * Left without a fix: an AddField bringing a foreign key (its column comes with the constraint),
 * an operation whose SQL is more than the constraint, SQL the preview cannot write, and a
 * migration that is not its app's latest (the follow-up would be a second leaf).
 */
import type { OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from '../rules/rule';
import { walkSchema } from '../rules/schema-walk';
import { djangoAtLeast } from '../target-database';
import type { Fix, TextEdit } from '../types';
import { pythonString } from './edits';
import { fixesOf, noFix, operationSql, planOnce, refusalNote, runSqlLines, separateDatabaseAndState, type FixContext, type MigrationPlan } from './fix-context';
import { isAppLatest, planFollowUps, type FollowUpMigration } from './follow-up';

const POSTGRES_OPERATIONS = 'django.contrib.postgres.operations';
const LIST_INDENT = '        ';

interface Constraint {
  op: OperationSummary;
  /** The edit here. */
  edit: TextEdit;
  /** The validating operation, at the follow-up's list indentation. */
  validate: string;
  /** Classes imported from django.contrib.postgres.operations here / in the follow-up. */
  importHere: string | null;
  importThere: string | null;
}

/** `ALTER TABLE "t" ADD CONSTRAINT "n" CHECK (…)` / `FOREIGN KEY …` as Django writes it, or null. */
function constraintStatement(sql: readonly string[] | null): { table: string; name: string; statement: string } | null {
  if (!sql || sql.length !== 1) return null;
  const m = /^ALTER TABLE ("[^"]+") ADD CONSTRAINT ("[^"]+") (?:CHECK|FOREIGN KEY) [\s\S]+$/.exec(sql[0] as string);
  if (!m || / NOT VALID$/.test(m[0])) return null;
  return { table: m[1] as string, name: m[2] as string, statement: m[0] };
}

function bySql(fc: FixContext, op: OperationSummary): Constraint | null {
  const c = constraintStatement(operationSql(fc, op));
  const indent = fc.text.indentOf(op);
  const state = indent === null ? null : fc.text.callAt(op, `${indent}        `);
  if (!c || indent === null || state === null) return null;
  const database = runSqlLines([`${c.statement} NOT VALID`], [`ALTER TABLE ${c.table} DROP CONSTRAINT ${c.name}`]);
  const text = separateDatabaseAndState(indent, [state], [database]);
  const validate = runSqlLines([`ALTER TABLE ${c.table} VALIDATE CONSTRAINT ${c.name}`], 'noop');
  return {
    op,
    edit: fc.text.replaceCall(op, text.replace(/\n/g, fc.text.eol)),
    validate: validate.map((l) => LIST_INDENT + l).join('\n'),
    importHere: null,
    importThere: null,
  };
}

function notValid(ctx: ProjectRuleContext, fc: FixContext, op: OperationSummary, model: string, name: string): Constraint | null {
  if (!djangoAtLeast(ctx.target, 4, 0)) return bySql(fc, op);
  const validate = [`${LIST_INDENT}ValidateConstraint(`, `${LIST_INDENT}    model_name=${pythonString(model)},`, `${LIST_INDENT}    name=${pythonString(name)},`, `${LIST_INDENT})`].join('\n');
  return { op, edit: { range: op.range, newText: 'AddConstraintNotValid' }, validate, importHere: 'AddConstraintNotValid', importThere: 'ValidateConstraint' };
}

function slugOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 40);
}

function plan(ctx: ProjectRuleContext, fc: FixContext): MigrationPlan {
  if (ctx.target.vendor !== 'postgresql' || !ctx.summary.operationsComplete || (fc.hasText && !fc.migrationsBound)) return noFix();
  // Only the app's latest migration gets a follow-up (older ones have run in production): asked
  // first, it spares the SQL preview on every older one, and says nothing there.
  if (!isAppLatest(ctx.view, ctx.file)) return noFix();
  const eligible = new Set<OperationSummary>();
  const found: Array<Constraint | null> = [];
  const names: string[] = [];
  walkSchema(ctx, (step) => {
    const { op, args } = step;
    if (step.table !== 'existing' || op.container !== null || op.branches.length > 0 || !op.certain) return;
    if (args.kind === 'AddConstraint' && !args.notValid && args.constraint?.kind === 'check' && args.constraint.name && args.model) {
      if (!djangoAtLeast(ctx.target, 4, 0) && !constraintStatement(operationSql(fc, op))) return;
      eligible.add(op);
      found.push(notValid(ctx, fc, op, args.model, args.constraint.name));
      names.push(args.constraint.name);
    } else if (args.kind === 'AlterField' && args.field?.relation && args.name && constraintStatement(operationSql(fc, op))) {
      eligible.add(op);
      found.push(bySql(fc, op));
      names.push(`${step.model}_${args.name}_fk`);
    }
  });
  if (found.length === 0) return noFix();
  const there = [...new Set(found.flatMap((c) => (c?.importThere ? [c.importThere] : [])))];
  const step: FollowUpMigration = {
    slug: `validate_${found.length === 1 ? slugOf(names[0] as string) : 'constraints'}`,
    atomic: true,
    why: `validates what ${ctx.summary.name} added NOT VALID, reading the rows without blocking reads or writes.`,
    imports: there.length > 0 ? [`from ${POSTGRES_OPERATIONS} import ${there.join(', ')}`] : [],
    operations: [],
  };
  const probe = planFollowUps(ctx.view, ctx.file, [step]);
  if (!probe.ok) return noFix(eligible, `the validation would go to a new migration, but ${probe.reason}`);
  if (found.some((c) => c === null)) return noFix(eligible);
  const built = found as Constraint[];
  const followUp = planFollowUps(ctx.view, ctx.file, [{ ...step, operations: built.map((c) => c.validate) }]);
  if (!followUp.ok) return noFix(eligible);
  const here = [...new Set(built.flatMap((c) => (c.importHere ? [c.importHere] : [])))];
  const missing = here.filter((n) => !fc.text.imports().some((i) => i.names.includes(n)));
  const importEdit = missing.length > 0 ? fc.text.addImport(`from ${POSTGRES_OPERATIONS} import ${missing.join(', ')}`, missing[0] as string) : null;
  const edits = [...(importEdit ? [importEdit] : []), ...built.map((c) => c.edit)];
  return {
    fix: { title: `Add the constraint NOT VALID and validate it in a new migration (${followUp.names[0]})`, edits, creates: followUp.creates, isPreferred: true, safe: false },
    ops: eligible,
  };
}

const plans = new WeakMap<FixContext, MigrationPlan>();

/** The fixes to offer on an add-constraint-validates finding about `op`. */
export function constraintFixes(ctx: ProjectRuleContext, op: OperationSummary): Fix[] {
  return fixesOf(planOnce(ctx, plans, plan), op);
}

/** Why a finding about `op` has no fix, as a sentence for its message ('' when it has one, or nothing worth saying). */
export function constraintFixNote(ctx: ProjectRuleContext, op: OperationSummary): string {
  return refusalNote(planOnce(ctx, plans, plan), op);
}

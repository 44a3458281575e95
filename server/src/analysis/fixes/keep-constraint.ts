/**
 * The fix of add-constraint-validates for an AlterField that changes the column of a foreign key
 * (made nullable, say): Django drops the key's constraint, alters the column and adds the constraint
 * back, validated against every row. The fix runs the column change alone —
 * SeparateDatabaseAndState with the AlterField as its state side and, as its database side, the SQL
 * Django would run without the DROP and ADD of the constraint (both ways, from the SQL preview) — so
 * the constraint stays as it is and no row is read.
 */
import type { FieldSpec, RelationSpec } from '../fields';
import type { ProjectRuleContext } from '../rules/rule';
import type { SchemaStep } from '../rules/schema-walk';
import type { Fix } from '../types';
import { operationSite, reindent, replaceOperation, runSqlText, separateText, sqlKinds, withArgs } from './operation-text';

/** The statements that drop and add back a foreign key's constraint (`SET CONSTRAINTS … IMMEDIATE; ALTER TABLE … DROP CONSTRAINT …`). */
const CONSTRAINT_CHURN = /\bDROP CONSTRAINT\b|\bADD CONSTRAINT\b[\s\S]*\bFOREIGN KEY\b/i;

/** Whether Django's statements for an operation drop a foreign key's constraint and add it back, validated at once. */
export function readdsConstraint(sql: readonly string[]): boolean {
  return sql.some((q) => /\bDROP CONSTRAINT\b/i.test(q)) && sql.some(addsValidatedForeignKey);
}

/** Whether a statement adds a foreign key constraint PostgreSQL validates at once (not NOT VALID). */
export function addsValidatedForeignKey(sql: string): boolean {
  return /\bADD CONSTRAINT\b[\s\S]*\bFOREIGN KEY\b/i.test(sql) && !/\bNOT VALID\b/i.test(sql);
}

/** Whether two relations point at the same model and column (a model named in another case is the same). */
export function sameTarget(a: RelationSpec | null | undefined, b: RelationSpec | null | undefined): boolean {
  const to = (r: RelationSpec | null | undefined): string => JSON.stringify(r?.to ?? null).toLowerCase();
  return !!a && !!b && (a.toField ?? null) === (b.toField ?? null) && to(a) === to(b);
}

/** The statements besides the constraint's; null when they cannot be told apart (one statement holds both, or nothing else is left). */
function withoutConstraint(sql: readonly string[]): string[] | null {
  const rest = sql.filter((q) => !CONSTRAINT_CHURN.test(q));
  if (rest.length === 0 || rest.some((q) => /\bCONSTRAINT\b|\bFOREIGN KEY\b|\bREFERENCES\b/i.test(q))) return null;
  return rest;
}

export function keepConstraintFixes(ctx: ProjectRuleContext, step: SchemaStep, before: FieldSpec): { fixes: Fix[]; refusal: string | null } {
  const { args } = step;
  if (args.kind !== 'AlterField' || !args.model || !args.name || !args.field || ctx.source === null) return { fixes: [], refusal: null };
  // Pointed at another column or model: the constraint itself must change (review 30: saleor's to_field="number" keys).
  if (!sameTarget(args.field.relation, before.relation)) {
    return { fixes: [], refusal: 'it points the key at another column, so its constraint has to change too' };
  }
  // Made NOT NULL: alter-field-not-null's fix writes that change in steps, its AlterField in the state only, which keeps the constraint too.
  if (before.null === true && args.field.null === false) return { fixes: [], refusal: "it also makes the column NOT NULL, which alter-field-not-null's fix writes in steps that keep the constraint as well" };
  const site = operationSite(ctx.source, step.op);
  if (typeof site === 'string') return { fixes: [], refusal: site };
  const index = ctx.summary.operations.indexOf(step.op);
  // The constraint's own statements are left out: where only its name cannot be known (a table renamed
  // after it was made, a Django before 1.9 named it: review 63), the rest of the SQL still can be.
  const { sql: forward, guessed: forwardGuessed } = sqlKinds(ctx, index);
  if (typeof forward === 'string') return { fixes: [], refusal: `its SQL is not known: ${forward}` };
  // Backwards: the field changed back, previewed after this one.
  const back = withArgs(step.op, { kind: 'AlterField', model: args.model, name: args.name, field: before, preserveDefault: true });
  const { sql: reverse, guessed: reverseGuessed } = sqlKinds(ctx, 1, [step.op, back]);
  if (typeof reverse === 'string') return { fixes: [], refusal: `the SQL that changes it back is not known: ${reverse}` };
  const sql = withoutConstraint(forward);
  const undo = withoutConstraint(reverse);
  if (!sql || !undo) return { fixes: [], refusal: 'the column change cannot be told apart from the constraint in its SQL' };
  // Names taken as today's Django gives them are never written: an index's would be a guess.
  const named = [...sql, ...undo].find((q) => /\bINDEX\b/i.test(q));
  if ((forwardGuessed || reverseGuessed) && named) return { fixes: [], refusal: 'the names of the indexes its SQL changes are not known (a table renamed after they were made, or a Django before 1.9 named them)' };
  const state = reindent(ctx.source.slice(site.start, site.end), site.indent, '');
  const database = [`# The column change alone: the foreign key's constraint stays, and no row is checked again.\n${runSqlText(site.prefix, sql, undo)}`];
  return {
    fixes: [
      {
        title: "Keep the foreign key's constraint: change the column in RunSQL, the AlterField in Django's state only",
        edits: [replaceOperation(site, separateText(site.prefix, [state], database))],
        isPreferred: true,
        safe: false,
      },
    ],
    refusal: null,
  };
}

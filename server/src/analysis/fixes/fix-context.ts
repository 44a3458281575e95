/**
 * What the schema rules' fixes share for one migration: its text (ranges of the summary point into
 * it), Django's SQL for each operation as the SQL preview writes it (index and constraint names
 * included), and the Python text of the SeparateDatabaseAndState / RunSQL pairs they write.
 * Computed once per summary, view and text, whichever rule asks first.
 */
import type { OperationArgs } from '../operation-args';
import { applyMigration } from '../project/state';
import type { OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from '../rules/rule';
import type { Fix } from '../types';
import { ownPreview } from '../sql-preview/from-view';
import { previewMigration, type MigrationPreview } from '../sql-preview/preview';
import { pythonString } from './edits';
import { MigrationText } from './migration-text';
import { OneSlot } from '../one-slot';

export interface FixContext {
  text: MigrationText;
  /** The SQL preview of the migration in its project (computed when first asked); null without a view or database names. */
  preview(): MigrationPreview | null;
  /**
   * The preview for questions of statement kinds and locks only: `preview()`, except where an
   * operation's constraint names cannot be known (a table renamed after they were made, a Django
   * before 1.9 named them) — then the statements under today's names, never to be shown or written.
   */
  lockPreview(): MigrationPreview | null;
  /** The `migrations` module is imported under that name (what written operations call through). */
  migrationsBound: boolean;
  /**
   * False when the caller keeps no text (a CLI run that writes no fix): the plans are still made,
   * for the reasons a finding tells when its fix is refused, but no fix is offered.
   */
  hasText: boolean;
}

const shared = new OneSlot<FixContext>();

/** What the preview says where only the names of constraints Django would drop are not known (preview.ts checkNames). */
export const NAMES_UNKNOWN = /drops (?:them|it) by the names? the database holds/;

/** The fix context of a rule's migration (computed once per summary, text and view, for the rules that ask in turn). */
export function fixContext(ctx: ProjectRuleContext): FixContext {
  return shared.get([ctx.summary, ctx.source, ctx.view, ctx.file], () => makeFixContext(ctx));
}

function makeFixContext(ctx: ProjectRuleContext): FixContext {
  const text = new MigrationText(ctx.source ?? '', ctx.summary);
  const names = ctx.view?.databaseNames() ?? null;
  let preview: MigrationPreview | null | undefined;
  const { view, file } = ctx;
  // The same previews the rules' sqlOf reads (ownPreview): made once for both.
  const previewOnce = () => (preview ??= view && file && names ? ownPreview(view, file, ctx.target, names, ctx.summary) : null);
  const lockPreview = () => {
    const exact = previewOnce();
    if (!exact || !view || !file || !names || !exact.operations.some((o) => o.cannotPreview !== null && NAMES_UNKNOWN.test(o.cannotPreview))) return exact;
    return ownPreview(view, file, ctx.target, names, ctx.summary, true);
  };
  const fc: FixContext = { text, preview: previewOnce, lockPreview, migrationsBound: text.imports().some((i) => i.names.includes('migrations')), hasText: ctx.source !== null };
  return fc;
}

/** Django's SQL for one operation (its own statements, then what it defers), or null when not previewed. */
export function operationSql(fc: FixContext, op: OperationSummary): string[] | null {
  const index = fc.text.summary.operations.indexOf(op);
  const p = fc.preview()?.operations[index];
  if (!p || p.cannotPreview !== null || p.comment !== null) return null;
  const all = [...p.statements, ...p.deferred].map((s) => s.sql.replace(/;\s*$/, ''));
  return all.length > 0 ? all : null;
}

/**
 * Django's SQL for undoing `op` — the operation `inverse` (its arguments with the state before
 * `op`, e.g. the field as it was) run on the state just after `op` — or null when not previewed.
 */
export function inverseSql(ctx: ProjectRuleContext, op: OperationSummary, inverse: OperationArgs): string[] | null {
  const names = ctx.view?.databaseNames() ?? null;
  const start = ctx.view && ctx.file ? ctx.view.stateOf(ctx.file, 'before') : null;
  const index = ctx.summary.operations.indexOf(op);
  if (!names || !start || index < 0 || !ctx.view?.node(ctx.file ?? '')) return null;
  const app = ctx.view.node(ctx.file ?? '')?.key.app ?? '';
  const before = applyMigration(start, ctx.summary.operations.slice(0, index + 1), true, 'database');
  const undo: OperationSummary = { ...op, args: inverse, container: null, branches: [], certain: true };
  const p = previewMigration({ summary: { ...ctx.summary, operations: [undo], atomic: true }, app, before, target: ctx.target, names }).operations[0];
  if (!p || p.cannotPreview !== null || p.comment !== null) return null;
  const all = [...p.statements, ...p.deferred].map((x) => x.sql.replace(/;\s*$/, ''));
  return all.length > 0 ? all : null;
}

/** Lines of Python at `indent`: the first without it (it replaces text that starts there). */
function block(lines: string[], indent: string): string {
  return lines.map((l, i) => (i === 0 || l === '' ? l : indent + l)).join('\n');
}

/** `sql` as RunSQL's argument: one string, or a list of them one per line. */
function sqlArgument(keyword: string, statements: readonly string[], indent: string): string[] {
  if (statements.length === 1) return [`${indent}${keyword}=${pythonString(statements[0] as string)},`];
  return [`${indent}${keyword}=[`, ...statements.map((s) => `${indent}    ${pythonString(s)},`), `${indent}],`];
}

/** `migrations.RunSQL(sql=…, reverse_sql=…)` lines, at no indentation. */
export function runSqlLines(forward: readonly string[], reverse: readonly string[] | 'noop'): string[] {
  const back = reverse === 'noop' ? ['    reverse_sql=migrations.RunSQL.noop,'] : sqlArgument('reverse_sql', reverse, '    ');
  return ['migrations.RunSQL(', ...sqlArgument('sql', forward, '    '), ...back, ')'];
}

/**
 * `migrations.SeparateDatabaseAndState(...)` written at `indent` (where the replaced call starts):
 * `state` are operation texts already at `indent + 8` spaces, `database` lines at no indentation.
 */
export function separateDatabaseAndState(indent: string, state: readonly string[], database: readonly string[][]): string {
  const lines = ['migrations.SeparateDatabaseAndState(', '    state_operations=['];
  for (const s of state) {
    const [first, ...rest] = s.split('\n');
    lines.push(`        ${(first as string).trimStart()}`, ...rest.map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)));
    lines[lines.length - 1] += ',';
  }
  lines.push('    ],');
  if (database.length === 0) lines.push('    database_operations=[],');
  else {
    lines.push('    database_operations=[');
    for (const d of database) {
      lines.push(...d.map((l) => `        ${l}`));
      lines[lines.length - 1] += ',';
    }
    lines.push('    ],');
  }
  lines.push(')');
  return block(lines, indent);
}

/**
 * One fix for a whole migration and the operations whose findings offer it; or none, with what
 * those findings tell about it (`told`: why it is refused, where the user can act on it; null when
 * there is nothing worth saying, or no text to fix).
 */
export type MigrationPlan = { fix: Fix; ops: ReadonlySet<OperationSummary> } | { fix: null; ops: ReadonlySet<OperationSummary>; told: string | null };

const NONE: ReadonlySet<OperationSummary> = new Set();

/** A plan without a fix, telling nothing. */
export function noFix(ops: ReadonlySet<OperationSummary> = NONE, told: string | null = null): MigrationPlan {
  return { fix: null, ops, told };
}

/** The plan of `ctx`'s migration, computed once per fix context; without text, its fix left out. */
export function planOnce(ctx: ProjectRuleContext, store: WeakMap<FixContext, MigrationPlan>, compute: (ctx: ProjectRuleContext, fc: FixContext) => MigrationPlan): MigrationPlan {
  const fc = fixContext(ctx);
  let p = store.get(fc);
  if (!p) {
    p = compute(ctx, fc);
    if (p.fix && !fc.hasText) p = noFix(p.ops);
    store.set(fc, p);
  }
  return p;
}

/** The plan's fix, for a finding about `op` when the plan covers it. */
export function fixesOf(plan: MigrationPlan, op: OperationSummary): Fix[] {
  return plan.fix && plan.ops.has(op) ? [plan.fix] : [];
}

/** What a finding about `op` adds to its message when the plan's fix is refused for a reason worth telling. */
export function refusalNote(plan: MigrationPlan, op: OperationSummary): string {
  return !plan.fix && plan.told && plan.ops.has(op) ? ` No automatic fix: ${plan.told}.` : '';
}

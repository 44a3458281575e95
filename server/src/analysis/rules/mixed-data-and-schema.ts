/**
 * mixed-data-and-schema: data operations (RunPython doing work, RunSQL with DML) and schema
 * operations in one migration, hence in one transaction. A warning when a schema change touches a
 * table that existed before; information when it only touches tables this migration, or an earlier one of
 * its release, creates.
 * With the project view, a model's state before this migration decides: operations on proxy or
 * unmanaged models (wherever they were created) touch no table, and RunSQL's table names are
 * matched to the real table names of the models this migration creates.
 */
import { lockFact } from '../locks/lock-table';
import { statementKind } from '../locks/statement-kind';
import { analyseSql } from '../sql';
import { CREATED_RELATION } from '../operation-build';
import { fixContext } from '../fixes/fix-context';
import type { BranchStep } from '../operations';
import type { OperationSummary } from '../project/summary';
import type { RelatedLocation } from '../types';
import type { ProjectRuleContext, Rule } from './rule';
import { MAYBE_NO_SQL, previewRunsNoSql } from './schema-sql';
import { releasedTables, sameReleaseCreated } from './shipped-together';

/** Two operations can both run unless they sit in different arms of the same conditional. */
function compatible(a: BranchStep[], b: BranchStep[]): boolean {
  for (const x of a) for (const y of b) if (x.id === y.id && x.arm !== y.arm) return false;
  return true;
}

type TableKind = 'new' | 'existing' | 'none';

/** `CREATE [TEMP | UNLOGGED] TABLE [IF NOT EXISTS] name` in a RunSQL statement: the table's name as written. */
const RUNSQL_CREATES_TABLE = /^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z0-9_."]+)/i;

/** Where a model's table stands for this migration: created here or earlier in its release, there before, or no table at all. */
function tableKinds(ctx: ProjectRuleContext, ops: OperationSummary[]): { model(m: string): TableKind; isNew(table: string): boolean; madeHere(table: string): boolean } {
  const app = ctx.view && ctx.file ? (ctx.view.keyOf(ctx.file)?.app ?? null) : null;
  const created = new Set<string>();
  const tables = new Set<string>();
  for (const o of ops) {
    // A table a RunSQL of this migration creates (a scratch table it fills from, then drops: review 59,
    // Geotrek `altimetry/0002`) is new to it, as a CreateModel's is.
    for (const sql of o.sql ?? []) {
      const made = RUNSQL_CREATES_TABLE.exec(sql)?.[1];
      if (made) tables.add(made.replace(/"/g, '').toLowerCase());
    }
    // A model created here and then renamed (`RenameModel`) keeps a table made here under its new name.
    const a = o.args;
    if (a?.kind === 'RenameModel' && a.model && a.newName && created.has(a.model.toLowerCase())) created.add(a.newName.toLowerCase());
    if (!o.createsModel) continue;
    created.add(o.createsModel);
    const options = o.args?.kind === 'CreateModel' ? o.args.options : null;
    if (options?.dbTable) tables.add(options.dbTable.toLowerCase());
    else if (options?.dbTable === null && app) tables.add(`${app}_${o.createsModel}`);
  }
  // Tables an earlier migration of the release made (review 73: care `facility/0412`): no old code uses them.
  let released: Map<string, boolean> | null = null;
  let releasedNames: Set<string> | null = null;
  const model = (m: string): TableKind => {
    if (created.has(m)) return 'new';
    released ??= sameReleaseCreated(ctx);
    if (released.has(m)) return 'new';
    const before = ctx.view && ctx.file ? ctx.view.modelBefore(ctx.file, m, 'database') : 'unknown';
    if (typeof before !== 'string' && (before.options.managed === false || before.options.proxy === true || ctx.view?.swappedOut(before))) return 'none';
    return 'existing'; // also when unknown: as if the project view were not there
  };
  const isNew = (table: string): boolean => {
    if (tables.has(table)) return true;
    releasedNames ??= releasedTables(ctx);
    return releasedNames.has(table);
  };
  return { model, isNew, madeHere: (table) => tables.has(table.toLowerCase()) };
}


/**
 * Whether Django runs no SQL at all for `op` (the SQL preview says so); false when it cannot tell.
 * The preview is the migration's one, shared with the schema rules' fixes.
 */
function noSqlFor(ctx: ProjectRuleContext): (op: OperationSummary) => boolean {
  return (op) => {
    if (!op.specName || !MAYBE_NO_SQL.has(op.specName)) return false;
    return previewRunsNoSql(fixContext(ctx).preview()?.operations[ctx.summary.operations.indexOf(op)]);
  };
}

/**
 * Where the information finding's reason does not hold, so there is nothing to part: the schema operations
 * touch no table and make no relation (`DROP COLLATION`, `CREATE EXTENSION`, a function replaced, a sequence
 * restarted: no table is dropped and made again to re-run the data step; review 79, pontoon `base/0058`;
 * a view or table made by RunSQL still counts); the data step's SQL writes only tables this migration
 * creates before it, empty on every database that runs it (review 79: kitsune `kbadge/0001`'s UPDATE of the
 * table two operations up); or the migration is a squash of its app from the start (`replaces` with
 * `initial = True`), which runs only on a database without the app's tables, the data step on rows of
 * tables it has just made (review 79: kitsune `products/0001_squashed_0020`, kpi `audit_log/0001_squashed_0006`).
 */
function nothingToPart(ctx: ProjectRuleContext, data: OperationSummary, schema: OperationSummary[], kinds: ReturnType<typeof tableKinds>): boolean {
  const noRelation = (s: OperationSummary) =>
    s !== data && !s.targetModel && !s.createsModel && s.sqlTables.length === 0 && !s.touchesExistingTable && !(s.sql ?? []).some((sql) => analyseSql(sql).some((st) => CREATED_RELATION.test(st.code) || /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b/i.test(st.code)));
  if (schema.every(noRelation)) return true;
  const changed = data.sql ? rowsChanged(data.sql) : null;
  if (changed && changed.length > 0 && changed.every((t) => kinds.madeHere(t))) {
    const at = ctx.summary.operations.indexOf(data);
    // Made before the data step: a table created after it would be the data's own scratch work, not empty rows.
    if (schema.every((s) => ctx.summary.operations.indexOf(s) < at || !s.createsModel)) return true;
  }
  return !!ctx.summary.replaces && ctx.summary.initial === true;
}

/** `UPDATE [ONLY] t …` / `DELETE FROM [ONLY] t …`: the table whose existing rows it changes. */
const ROWS_CHANGED = /^\s*(?:UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"?([A-Za-z_][\w$]*(?:"?\."?[A-Za-z_][\w$]*)?)"?/i;

/**
 * The tables whose existing rows RunSQL's statements change (UPDATE, DELETE), or null when a statement
 * does anything else with rows (an INSERT copies rows from elsewhere; a DO block, a CTE) or cannot be read.
 */
function rowsChanged(statements: readonly string[]): string[] | null {
  const out: string[] = [];
  for (const st of statements.flatMap((sql) => analyseSql(sql))) {
    if (st.cls !== 'dml') continue;
    const table = ROWS_CHANGED.exec(st.code)?.[1];
    if (!table) return null;
    out.push(table.replace(/"/g, '').toLowerCase());
  }
  return out;
}

export const mixedDataAndSchema: Rule = {
  meta: {
    id: 'mixed-data-and-schema',
    summary: 'One migration (one transaction) runs both data operations and schema operations.',
    defaultSeverity: 'warning',
  },
  checkProject(ctx) {
    const ops = ctx.summary.operations.filter((o) => o.certain);
    const kinds = tableKinds(ctx, ops);
    const noSql = noSqlFor(ctx);
    const isSchema = (o: OperationSummary) => o.isSchema && !(o.targetModel && kinds.model(o.targetModel) === 'none') && !noSql(o);
    const touchesOld = (o: OperationSummary): boolean => {
      if (!o.touchesExistingTable) return false;
      if (o.targetModel) return kinds.model(o.targetModel) === 'existing';
      if (o.sqlTables.length > 0) return o.sqlTables.some((t) => !kinds.isNew(t));
      return true;
    };
    // Whether all an operation does to its table is build an index under SHARE (a plain CREATE INDEX):
    // RunSQL's statements as written, else the SQL preview of Django's (with the project view).
    const buildsIndexOnly = (o: OperationSummary): boolean => {
      const p = o.sql ? null : fixContext(ctx).preview()?.operations[ctx.summary.operations.indexOf(o)];
      const locks = o.sql ? o.sql.map((sql) => lockFact(statementKind(sql), ctx.target).lock) : p && p.cannotPreview === null ? p.statements.map((st) => st.lock.lock) : [];
      return locks.length > 0 && locks.every((lock) => lock === 'SHARE');
    };
    for (const data of ops.filter((o) => o.isData)) {
      // A RunPython that writes rows and runs DDL itself is schema work for the other data operations; with
      // itself it is one function, which no split of the file would part (review 60: taiga `history/0011`).
      const schema = ops.filter((s) => isSchema(s) && compatible(data.branches, s.branches) && !(s === data && s.specName === 'RunPython'));
      if (schema.length === 0) continue;
      // atomic = False: each operation commits on its own, so no ALTER waits in the data's transaction. So on
      // MySQL, which cannot roll DDL back: Django runs its migrations without a transaction around them (review 56:
      // TWLight `users/0068`).
      const mysql = ctx.target.vendor === 'mysql';
      const separate = ctx.summary.atomic === false || mysql;
      const old = separate ? [] : schema.filter(touchesOld);
      const severity = old.length > 0 ? 'warning' : 'information';
      if (severity === 'information' && !separate && nothingToPart(ctx, data, schema, kinds)) continue;
      const shown = (old.length > 0 ? old : schema).filter((s) => s !== data);
      const related: RelatedLocation[] = shown.slice(0, 5).map((s) => ({ range: s.range, message: `schema operation: ${s.label}` }));
      const names = [...new Set(shown.map((s) => s.label))].slice(0, 3).join(', ') || data.label;
      // Which way round they run decides what waits: an ALTER first holds its lock through the data work.
      const at = (o: OperationSummary) => ctx.summary.operations.indexOf(o);
      const earlier = old.filter((s) => at(s) < at(data));
      const later = old.filter((s) => at(s) > at(data));
      const first = earlier.length > 0;
      const then = later.length > 0;
      // An index build (CREATE INDEX, AddIndex) takes SHARE: reads go on, writes wait (review 36:
      // actionpopulaire `events/0002` was said to hold ACCESS EXCLUSIVE for a GIN index).
      const lockOf = (side: OperationSummary[]): 'SHARE' | 'ACCESS EXCLUSIVE' => (side.length > 0 && side.every(buildsIndexOnly) ? 'SHARE' : 'ACCESS EXCLUSIVE');
      const before = lockOf(earlier);
      const afterLock = lockOf(later);
      // The tables each side locks (a model's name, or RunSQL's tables): an ALTER after the data work on a
      // table an ALTER before it locked takes no new lock — the transaction holds ACCESS EXCLUSIVE already.
      const tablesOf = (side: OperationSummary[]) => side.flatMap((o) => (o.targetModel ? [o.targetModel] : o.sqlTables.length > 0 ? o.sqlTables : ['?']));
      const lockedBefore = new Set(tablesOf(earlier));
      const heldAlready = before === 'ACCESS EXCLUSIVE' && !lockedBefore.has('?') && tablesOf(later).every((t) => lockedBefore.has(t));
      // Django's operations after the data work whose SQL the preview cannot write (a field class of a package:
      // review 77, bluebutton `dot_ext/0005`'s AlterField to ClientSecretField runs none): they may run no DDL at all.
      // Only an AlterField may run nothing: a RemoveField or AddField always changes its table.
      const unsure = (o: OperationSummary) => {
        const p = o.sql || o.specName !== 'AlterField' ? null : fixContext(ctx).preview()?.operations[at(o)];
        return !!p && p.cannotPreview !== null;
      };
      const maybe = then && later.every(unsure) ? `the ${(later[0] as OperationSummary).specName ?? 'operation'} after it (if it changes the table at all: its SQL cannot be previewed here)` : null;
      const waits = first
        ? then
          ? heldAlready
            ? `The ALTER before the data work takes an ACCESS EXCLUSIVE lock and holds it until the transaction ends, through the data work${maybe ? ` and ${maybe}` : ' and the ALTER after it (on the same table)'}, so every query on the table waits that long. `
            : before === 'SHARE' && afterLock === 'SHARE'
            ? 'The index build before the data work holds its SHARE lock through it, and the one after queues for another at its end, so every write to the table waits for both (reads go on). '
            : maybe
            ? `The ALTER before the data work holds its ACCESS EXCLUSIVE lock through it, so every query on the table waits that long, and ${maybe} queues for another at its end. `
            : 'The ALTER before the data work holds its ACCESS EXCLUSIVE lock through it, and the one after queues for another at its end, so every query on the table waits for both. '
          : before === 'SHARE'
            ? 'The index build runs first and holds its SHARE lock until the transaction ends, through the whole data work, so every write to the table waits that long (reads go on). '
            : 'The ALTER runs first and holds its ACCESS EXCLUSIVE lock until the transaction ends, through the whole data work, so every query on the table waits that long. '
        : afterLock === 'SHARE'
          ? 'Every row the data work writes stays locked until the transaction ends, and the index build after it then queues for a SHARE lock, with every new write to the table waiting behind it. '
          : maybe
          ? `Every row the data work writes stays locked until the transaction ends, and ${maybe} then queues for an ACCESS EXCLUSIVE lock, with every new query on the table waiting behind it. `
          : 'Every row the data work writes stays locked until the transaction ends, and the ALTER after it then queues for an ACCESS EXCLUSIVE lock, with every new query on the table waiting behind it. ';
      const message =
        severity === 'warning'
          ? `${data.name} changes data in the same migration — the same transaction — as schema changes to existing tables (${names}). ` +
            waits +
            `Move the data operations into a migration of their own.`
          : separate
            ? `${data.name} changes data in the same migration as schema operations (${names}); ${ctx.summary.atomic === false ? 'with atomic = False' : 'on MySQL, which cannot roll DDL back, Django wraps no transaction around it:'} each commits on its own, ` +
              `so the DDL does not wait in the data's transaction, but a failure leaves the migration half-applied: keeping data and schema migrations apart keeps both easy to re-run.`
            : // Not "easier to roll back": on PostgreSQL a failure rolls both back alike (review 77); what a file of its own gives is a data step reversed alone.
              `${data.name} changes data in the same migration as schema operations (${names}) that only create new tables, touch tables ` +
              `made earlier in the same release, or touch no table, so the DDL takes no lock on a table old code uses; in a migration of its own, the data step can be reversed and run again (after a fix, say) without dropping and re-creating the tables.`;
      ctx.report({ range: data.range, severity, message, related });
      return; // one finding per migration: the fix (a split) is per file
    }
  },
};

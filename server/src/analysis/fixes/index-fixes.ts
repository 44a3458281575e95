/**
 * The fix of add-index-not-concurrent and remove-index-not-concurrent: every index this migration
 * builds or drops on an existing table, done with CONCURRENTLY in a migration with `atomic = False`
 * (PostgreSQL refuses CONCURRENTLY inside a transaction).
 *
 * - AddIndex / RemoveIndex become `AddIndexConcurrently` / `RemoveIndexConcurrently`
 *   (django.contrib.postgres.operations).
 * - An operation whose SQL is only index builds (AlterField adding db_index or unique=True, a
 *   UniqueConstraint, AlterUniqueTogether / AlterIndexTogether adding groups), or an AddField's
 *   column followed by index builds (see concurrentAddFieldSql), keeps Django's
 *   operation as the state side of a SeparateDatabaseAndState whose database side is
 *   `CREATE [UNIQUE] INDEX CONCURRENTLY` with Django's own index names (from the SQL preview), and
 *   `ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX` where Django writes a unique constraint —
 *   so Django's later AlterField / RemoveConstraint find them by name.
 *
 * When the migration holds nothing else (or is non-atomic already) they are rewritten in place and
 * the migration gets `atomic = False`. Otherwise `atomic = False` would run the other operations
 * without a transaction: the index operations move, in order, to a new non-atomic migration after
 * this one — refused when a later operation of this migration touches the same model (it may need
 * the index, or change what it is built on) or is RunSQL / RunPython / unreadable. One fix for the
 * whole migration: every finding it covers offers the same edits and the same new file.
 */
import type { OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from '../rules/rule';
import { previewRunsNoSql } from '../rules/schema-sql';
import { walkSchema, type SchemaStep } from '../rules/schema-walk';
import { djangoAtLeast } from '../target-database';
import type { Fix, TextEdit } from '../types';
import { fixContext, fixesOf, inverseSql, NAMES_UNKNOWN, noFix, operationSql, planOnce, refusalNote, runSqlLines, separateDatabaseAndState, type FixContext, type MigrationPlan } from './fix-context';
import { isAppLatest, planFollowUps, type FollowUpMigration } from './follow-up';

const POSTGRES_OPERATIONS = 'django.contrib.postgres.operations';
const NON_ATOMIC_WHY = 'CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction.';
const LIST_INDENT = '        ';

interface Conversion {
  op: OperationSummary;
  model: string;
  /** The class imported from django.contrib.postgres.operations, for the renamed operations. */
  imported: string | null;
  /** The edit that rewrites the operation where it is. */
  inPlace(): TextEdit | null;
  /** The operation as written in a new migration's list (8 spaces). */
  moved(): string | null;
}

/**
 * Django's index SQL made concurrent, with the SQL that undoes it; null for anything else. A
 * dropped index is undone by `undo` — Django's SQL for the inverse operation, made concurrent.
 */
export function concurrentIndexSql(statements: readonly string[], undo: () => string[] | null = () => null): { forward: string[]; reverse: string[] } | null {
  const forward: string[] = [];
  const reverse: string[] = [];
  const drops = statements.filter((s) => /^DROP INDEX IF EXISTS "[^"]+"$/.test(s));
  if (drops.length > 0) {
    // Drops only (a creation in the same operation would need its own undo): the undo rebuilds them.
    const again = drops.length === statements.length ? undo() : null;
    const rebuilt = again && concurrentIndexSql(again);
    if (!rebuilt || rebuilt.forward.some((s) => !s.startsWith('CREATE '))) return null;
    return { forward: drops.map((s) => s.replace(/^DROP INDEX /, 'DROP INDEX CONCURRENTLY ')), reverse: rebuilt.forward };
  }
  for (const s of statements) {
    const create = /^CREATE (UNIQUE )?INDEX ("[^"]+") ON ([\s\S]+)$/.exec(s);
    const unique = /^ALTER TABLE ("[^"]+") ADD CONSTRAINT ("[^"]+") UNIQUE (\([^()]*\))$/.exec(s);
    if (create) {
      forward.push(`CREATE ${create[1] ?? ''}INDEX CONCURRENTLY ${create[2]} ON ${create[3]}`);
      reverse.unshift(`DROP INDEX CONCURRENTLY IF EXISTS ${create[2]}`);
    } else if (unique) {
      const [, table, name, columns] = unique;
      forward.push(`CREATE UNIQUE INDEX CONCURRENTLY ${name} ON ${table} ${columns}`, `ALTER TABLE ${table} ADD CONSTRAINT ${name} UNIQUE USING INDEX ${name}`);
      reverse.unshift(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
    } else return null;
  }
  return forward.length > 0 ? { forward, reverse } : null;
}

/**
 * PostgreSQL's name for a constraint it names itself (makeObjectName): `<table>_<column>_key`, the
 * longer of table and column shortened first to fit 63 characters.
 */
function postgresConstraintName(table: string, column: string, label: string): string {
  let a = table.length;
  let b = column.length;
  const room = 63 - (label.length + 2);
  while (a + b > room) {
    if (a > b) a--;
    else b--;
  }
  return `${table.slice(0, a)}_${column.slice(0, b)}_${label}`;
}

/**
 * An AddField whose SQL is its column and then index builds — `db_index=True`, a foreign key's
 * index, `unique=True` written inline in ADD COLUMN — as SQL that adds the column (brief, no scan:
 * the column is all NULL or a constant default) and builds each index CONCURRENTLY, a unique one
 * attached with ADD CONSTRAINT … USING INDEX under the name PostgreSQL gives an inline UNIQUE.
 * Undone by dropping the column, which takes its indexes and constraints along. Null for any other
 * shape (a NOT NULL column without a default, a check, a type Django alters afterwards).
 */
export function concurrentAddFieldSql(statements: readonly string[]): { forward: string[]; reverse: string[] } | null {
  // SET CONSTRAINTS … IMMEDIATE only matters inside Django's transaction; each statement here commits.
  const own = statements.filter((s) => !/^SET CONSTRAINTS /.test(s)).map((s) => s.replace(/; SET CONSTRAINTS "[^"]+" IMMEDIATE$/, ''));
  const add = /^ALTER TABLE ("[^"]+") ADD COLUMN ("[^"]+") ([\s\S]+)$/.exec(own[0] ?? '');
  if (!add) return null;
  const [, table, column, definition] = add as unknown as [string, string, string, string];
  const cut = definition.search(/ CONSTRAINT "/);
  const head = cut < 0 ? definition : definition.slice(0, cut);
  const unique = /(^| )UNIQUE( |$)/.test(head);
  if (/ NOT NULL( |$)/.test(head) && !/ DEFAULT /.test(head)) return null;
  const forward = [`ALTER TABLE ${table} ADD COLUMN ${column} ${head.replace(/ UNIQUE(?= |$)/, '')}${cut < 0 ? '' : definition.slice(cut)}`];
  const builds: string[] = [];
  for (const s of own.slice(1)) {
    if (/^ALTER TABLE "[^"]+" ALTER COLUMN "[^"]+" DROP DEFAULT$/.test(s)) forward.push(s);
    else if (/^CREATE (UNIQUE )?INDEX /.test(s)) builds.push(s);
    else return null;
  }
  if (builds.length === 0 && !unique) return null;
  const concurrent = builds.length > 0 ? concurrentIndexSql(builds) : { forward: [], reverse: [] };
  if (!concurrent) return null;
  forward.push(...concurrent.forward);
  if (unique) {
    const name = `"${postgresConstraintName(table.slice(1, -1), column.slice(1, -1), 'key')}"`;
    forward.push(`CREATE UNIQUE INDEX CONCURRENTLY ${name} ON ${table} (${column})`, `ALTER TABLE ${table} ADD CONSTRAINT ${name} UNIQUE USING INDEX ${name}`);
  }
  return { forward, reverse: [`ALTER TABLE ${table} DROP COLUMN ${column} CASCADE`] };
}

function renamed(fc: FixContext, op: OperationSummary, model: string, cls: string): Conversion {
  return {
    op,
    model,
    imported: cls,
    inPlace: () => ({ range: op.range, newText: cls }),
    moved: () => fc.text.callAt(op, LIST_INDENT, cls),
  };
}

function bySql(fc: FixContext, op: OperationSummary, model: string, sql: { forward: string[]; reverse: string[] }): Conversion {
  const database = runSqlLines(sql.forward, sql.reverse);
  const write = (indent: string): string | null => {
    const state = fc.text.callAt(op, `${indent}        `);
    return state === null ? null : separateDatabaseAndState(indent, [state], [database]);
  };
  return {
    op,
    model,
    imported: null,
    inPlace: () => {
      const indent = fc.text.indentOf(op);
      const text = indent === null ? null : write(indent);
      return text === null ? null : fc.text.replaceCall(op, text.replace(/\n/g, fc.text.eol));
    },
    moved: () => {
      const text = write(LIST_INDENT);
      return text === null ? null : LIST_INDENT + text;
    },
  };
}

/** The index operations of the migration this fix rewrites, in order. */
function conversions(ctx: ProjectRuleContext, fc: FixContext): Conversion[] {
  const out: Conversion[] = [];
  walkSchema(ctx, (step) => {
    const { op, args } = step;
    if (step.table !== 'existing' || !step.model || op.container !== null || op.branches.length > 0 || !op.certain) return;
    // AddIndexConcurrently / RemoveIndexConcurrently exist from Django 3.0; before, an AddIndex goes through its SQL.
    const postgresOperations = djangoAtLeast(ctx.target, 3, 0);
    if (args.kind === 'AddIndex' && !args.concurrently && args.index && postgresOperations) out.push(renamed(fc, op, step.model, 'AddIndexConcurrently'));
    else if (args.kind === 'RemoveIndex' && !args.concurrently && args.name && postgresOperations) out.push(renamed(fc, op, step.model, 'RemoveIndexConcurrently'));
    else if (args.kind === 'AddIndex' || args.kind === 'AddField' || args.kind === 'AlterField' || args.kind === 'AddConstraint' || args.kind === 'AlterTogether') {
      const statements = operationSql(fc, op);
      const sql = statements && (args.kind === 'AddField' ? concurrentAddFieldSql(statements) : concurrentIndexSql(statements, () => undoOf(ctx, step)));
      if (sql) out.push(bySql(fc, op, step.model, sql));
    }
  });
  return out;
}

/** Django's SQL undoing an AlterField or AlterUniqueTogether / AlterIndexTogether: the same operation back to the state before it. */
function undoOf(ctx: ProjectRuleContext, step: SchemaStep): string[] | null {
  const { args, before } = step;
  if (!before) return null;
  if (args.kind === 'AlterField') {
    const field = args.name ? before.fields.get(args.name) : undefined;
    return field ? inverseSql(ctx, step.op, { ...args, field }) : null;
  }
  if (args.kind === 'AlterTogether') {
    const groups = args.option === 'unique_together' ? before.options.uniqueTogether : before.options.indexTogether;
    return groups ? inverseSql(ctx, step.op, { ...args, groups }) : null;
  }
  return null;
}

/** Why the operations cannot move after the rest of the migration, or null when they can. */
function blockedMove(ctx: ProjectRuleContext, moving: readonly Conversion[]): string | null {
  const ops = ctx.summary.operations;
  const moved = new Set(moving.map((c) => c.op));
  // An operation Django runs no SQL for (the preview says so) cannot need the index (review 81: junction
  // `conferences/0016`'s AlterField of a foreign key without a constraint, after the index's AlterField).
  const runsNoSql = (op: OperationSummary): boolean => previewRunsNoSql(fixContext(ctx).preview()?.operations[ops.indexOf(op)]);
  for (const c of moving) {
    for (const later of ops.slice(ops.indexOf(c.op) + 1)) {
      if (later.container !== null || moved.has(later)) continue;
      const target = later.targetModel?.toLowerCase() ?? null;
      if ((later.isData || later.specName === 'RunSQL' || later.specName === 'RunPython' || target === null || target === c.model) && (later.isData || !runsNoSql(later))) {
        // Two operations of one kind on one model read alike: the fields tell them apart.
        const [first, then] = later.label === c.op.label ? [withField(c.op), withField(later)] : [c.op.label, later.label];
        return `${then} comes after ${first} in this migration and may need the index; split the migration first`;
      }
    }
  }
  return null;
}

/** `AlterField 'name' on 'model'` for an operation on a field, else its label. */
function withField(op: OperationSummary): string {
  const a = op.args;
  const name = a && (a.kind === 'AddField' || a.kind === 'AlterField' || a.kind === 'RemoveField') ? a.name : null;
  return name && op.targetModel ? `${op.name} '${name}' on '${op.targetModel}'` : op.label;
}

/** The names of the indexes and constraints SQL builds, or drops. */
const namesIn = (sql: readonly string[], re: RegExp): string[] => sql.flatMap((st) => [...st.matchAll(re)].map((m) => (m[1] ?? m[2]) as string));
const BUILT = /ADD CONSTRAINT "([^"]+)"|CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?"([^"]+)"/g;
const DROPPED = /DROP CONSTRAINT (?:IF EXISTS )?"([^"]+)"|DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?"([^"]+)"/g;
/** A unique index or constraint built, and the table it is built on. */
const BUILDS_UNIQUE = /^(?:ALTER TABLE "([^"]+)" ADD CONSTRAINT "[^"]+" (?:UNIQUE|PRIMARY KEY)\b|CREATE UNIQUE INDEX (?:CONCURRENTLY )?"[^"]+" ON "([^"]+)")/;
const DROPS_ON = /^ALTER TABLE "([^"]+)" DROP CONSTRAINT\b/;

/**
 * Why no concurrent fix when an index operation builds again what an earlier operation of the
 * migration drops (review 35: ureport `flows/0002` turns unique_together into a UniqueConstraint of
 * the same name), or builds a unique one after a constraint of its table was dropped (the same
 * change under a new name): built concurrently, outside this transaction, the table would go
 * without it — without uniqueness — until the build ends, and duplicates could come in and fail
 * the build. Null when nothing is rebuilt.
 */
function rebuiltAfterDrop(fc: FixContext, ops: readonly OperationSummary[], convs: readonly Conversion[]): string | null {
  for (const c of convs) {
    const sql = operationSql(fc, c.op) ?? [];
    const built = namesIn(sql, BUILT);
    const uniqueOn = new Set(sql.flatMap((st) => {
      const m = BUILDS_UNIQUE.exec(st);
      return m ? [(m[1] ?? m[2]) as string] : [];
    }));
    if (built.length === 0) continue;
    for (const earlier of ops.slice(0, ops.indexOf(c.op))) {
      const before = operationSql(fc, earlier) ?? [];
      const dropped = namesIn(before, DROPPED);
      const same = built.find((n) => dropped.includes(n));
      if (same) return `${earlier.label} drops ${same} and ${c.op.label} builds it again: built concurrently, outside this transaction, the table would be without it until the build ends; when the two are the same, leave the database alone instead (both operations as state_operations of a SeparateDatabaseAndState with no database_operations)`;
      const table = before.map((st) => DROPS_ON.exec(st)?.[1]).find((t) => t !== undefined && uniqueOn.has(t));
      if (table) return `${earlier.label} drops a constraint of "${table}" and ${c.op.label} builds a unique one after it: built concurrently, outside this transaction, the table would go without uniqueness until the build ends; build the new one first (concurrently, in a migration of its own), then drop the old one`;
    }
  }
  return null;
}

/**
 * unique_together turned into a UniqueConstraint of the same columns (review 35: ureport `flows/0002`,
 * under the same name; Django's own advice for the change, under a new one): Django drops the
 * constraint and builds the very same one again, under an ACCESS EXCLUSIVE lock. The database has
 * it already: both operations go to Django's state only, and the constraint is kept — renamed in
 * place when the new one has another name (`ALTER TABLE … RENAME CONSTRAINT`, its index with it;
 * no scan, no build). Null unless the two are next to each other, the first drops only that
 * constraint, and its undo builds exactly what the second builds but for the name.
 */
function keepConstraint(ctx: ProjectRuleContext, fc: FixContext, convs: readonly Conversion[]): MigrationPlan | null {
  const c = convs.length === 1 ? convs[0] : undefined;
  const ops = ctx.summary.operations;
  const at = c ? ops.indexOf(c.op) : -1;
  const earlier = at > 0 ? ops[at - 1] : undefined;
  if (!c || !earlier || earlier.container !== null || earlier.branches.length > 0 || !earlier.certain || earlier.args?.kind !== 'AlterTogether' || earlier.args.option !== 'unique_together') return null;
  const built = operationSql(fc, c.op);
  const dropped = operationSql(fc, earlier);
  const add = built?.length === 1 ? /^ALTER TABLE ("[^"]+") ADD CONSTRAINT "([^"]+)" (UNIQUE \(.*\))$/.exec(built[0] as string) : null;
  const drop = dropped?.length === 1 ? /^ALTER TABLE ("[^"]+") DROP CONSTRAINT "([^"]+)"$/.exec(dropped[0] as string) : null;
  if (!add || !drop || add[1] !== drop[1]) return null;
  const [, table, name, definition] = add as unknown as [string, string, string, string];
  const old = drop[2] as string;
  let step: SchemaStep | null = null;
  walkSchema(ctx, (st) => {
    if (st.op === earlier) step = st;
  });
  const undo = step ? undoOf(ctx, step) : null;
  if (!undo || undo.length !== 1 || undo[0] !== `ALTER TABLE ${table} ADD CONSTRAINT "${old}" ${definition}`) return null;
  const title = old === name ? `Keep ${name}: the database has it already (both operations in Django's state only)` : `Keep the constraint, renamed to ${name} (both operations in Django's state only)`;
  const ops2 = new Set([earlier, c.op]);
  // Without the text (a plain run) the fix is left out, and no refusal is said either.
  if (!fc.hasText) return { fix: { title, edits: [], isPreferred: true, safe: false }, ops: ops2 };
  const indent = fc.text.indentOf(earlier);
  const inner = indent === null ? null : [fc.text.callAt(earlier, `${indent}        `), fc.text.callAt(c.op, `${indent}        `)];
  const removed = fc.text.removeOperation(c.op);
  if (indent === null || !inner || inner.some((t) => t === null) || !removed) return noFix(ops2);
  const columns = [...definition.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
  const text = separateDatabaseAndState(indent, inner as string[], [runSqlLines([keepSql(table, columns, name)], 'noop')]);
  return { fix: { title, edits: [fc.text.replaceCall(earlier, text.replace(/\n/g, fc.text.eol)), removed], isPreferred: true, safe: false }, ops: ops2 };
}

/**
 * The unique constraint on `columns` of `table`, found by its columns as Django finds a unique_together
 * one (its name depends on the Django that created the table: review 40, dash's 2014 tables carry the
 * old naming), renamed to `name` unless it has that name already; an error when there is none, as
 * Django's own AlterUniqueTogether raises. One statement, no scan, no build.
 */
function keepSql(table: string, columns: readonly string[], name: string): string {
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const relation = literal(table);
  const names = `ARRAY[${columns.map(literal).join(', ')}]`;
  return (
    `DO $$ DECLARE found text; BEGIN ` +
    `SELECT c.conname INTO found FROM pg_constraint c WHERE c.conrelid = ${relation}::regclass AND c.contype = 'u' ` +
    `AND c.conkey = ARRAY(SELECT a.attnum FROM unnest(${names}) WITH ORDINALITY AS k(col, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = k.col ORDER BY k.i)::smallint[]; ` +
    `IF found IS NULL THEN RAISE EXCEPTION 'no unique constraint on (%) of %', ${literal(columns.join(', '))}, ${relation}; END IF; ` +
    `IF found <> ${literal(name)} THEN EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', ${relation}, found, ${literal(name)}); END IF; ` +
    `END $$`
  );
}

function importEdit(fc: FixContext, names: readonly string[]): TextEdit | null {
  const missing = names.filter((n) => !fc.text.imports().some((i) => i.names.includes(n)));
  if (missing.length === 0) return null;
  return fc.text.addImport(`from ${POSTGRES_OPERATIONS} import ${missing.join(', ')}`, missing[0] as string);
}

function plan(ctx: ProjectRuleContext, fc: FixContext): MigrationPlan {
  const summary = ctx.summary;
  if (!summary.operationsComplete || (fc.hasText && !fc.migrationsBound)) return noFix();
  // Only the app's latest migration is worth rewriting (the others have run in production), and
  // asking first spares the SQL preview on every older one: no fix, and nothing to say.
  if (!isAppLatest(ctx.view, ctx.file)) return noFix();
  const convs = conversions(ctx, fc);
  const ops = new Set(convs.map((c) => c.op));
  if (convs.length === 0) {
    // An index whose name Django finds in the database, which is not the one it would give it today
    // (a table renamed since, a Django before 1.9 named it): said, for the author to look it up (review 63).
    const previews = fc.preview()?.operations ?? [];
    const nameless = summary.operations.flatMap((op, i) => (NAMES_UNKNOWN.test(previews[i]?.cannotPreview ?? '') ? [[op, previews[i]?.cannotPreview as string] as const] : []));
    const [first] = nameless;
    return first ? noFix(new Set(nameless.map(([op]) => op)), `${first[1]} (look it up with \\d in psql)`) : noFix();
  }
  const kept = keepConstraint(ctx, fc, convs);
  if (kept) return kept;
  const rebuilt = rebuiltAfterDrop(fc, summary.operations, convs);
  if (rebuilt) return noFix(ops, rebuilt);
  const imported = [...new Set(convs.flatMap((c) => (c.imported ? [c.imported] : [])))];
  const alone = summary.operations.every((op) => op.container !== null || ops.has(op));
  if (alone || summary.atomic === false) {
    const atomic = fc.text.atomicFalse(NON_ATOMIC_WHY);
    const rewrites = convs.map((c) => c.inPlace());
    if (!atomic || rewrites.some((e) => e === null)) return noFix(ops);
    const imports = importEdit(fc, imported);
    const edits = [...(imports ? [imports] : []), ...atomic, ...(rewrites as TextEdit[])];
    return { fix: { title: 'Build / drop the indexes concurrently (atomic = False)', edits, isPreferred: true, safe: false }, ops };
  }
  const blocked = blockedMove(ctx, convs);
  if (blocked) return noFix(ops, blocked);
  const models = [...new Set(convs.map((c) => c.model))];
  const step: FollowUpMigration = {
    slug: `${models.length === 1 ? `${models[0]}_` : ''}indexes_concurrently`,
    atomic: false,
    why: `the index operations of ${summary.name}, run with CONCURRENTLY outside a transaction.`,
    operations: [],
  };
  const probe = planFollowUps(ctx.view, ctx.file, [step]);
  if (!probe.ok) return noFix(ops, `the index operations would move to a new migration, but ${probe.reason}`);
  const moved = convs.map((c) => c.moved());
  const removals = convs.map((c) => fc.text.removeOperation(c.op));
  if (moved.some((m) => m === null) || removals.some((r) => r === null)) return noFix(ops);
  const code = (moved as string[]).join('\n');
  const imports = [...(imported.length > 0 ? [`from ${POSTGRES_OPERATIONS} import ${imported.join(', ')}`] : []), ...fc.text.importsFor(code)];
  const followUp = planFollowUps(ctx.view, ctx.file, [{ ...step, imports, operations: moved as string[] }]);
  if (!followUp.ok) return noFix(ops);
  return {
    fix: { title: `Move the index operations to a new non-atomic migration (${followUp.names[0]}) and run them concurrently`, edits: removals as TextEdit[], creates: followUp.creates, isPreferred: true, safe: false },
    ops,
  };
}

const plans = new WeakMap<FixContext, MigrationPlan>();

/** The fixes to offer on a finding about `op`: the migration's concurrent-index fix, when it covers `op`. */
export function indexFixes(ctx: ProjectRuleContext, op: OperationSummary): Fix[] {
  return fixesOf(planOnce(ctx, plans, plan), op);
}

/** Why a finding about `op` has no fix, as a sentence for its message ('' when it has one, or nothing worth saying). */
export function indexFixNote(ctx: ProjectRuleContext, op: OperationSummary): string {
  return refusalNote(planOnce(ctx, plans, plan), op);
}

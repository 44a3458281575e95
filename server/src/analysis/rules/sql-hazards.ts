/**
 * The SQL side of the schema-hazard rules: statements written in RunSQL (sql-sites.ts finds them
 * while the file is summarized) judged here once per file against the migration — a table
 * created earlier in the same migration (CreateModel, CREATE TABLE) is new, anything else is an
 * existing table — and reported by each rule under its own id with `reportSqlHazards(ctx, id)`.
 * Nothing is judged in an initial migration (as schema-walk.ts), nor for operations from a
 * comprehension that may be empty.
 */
import { pythonString } from '../fixes/edits';
import type { GraphNode } from '../project/graph';
import { planFollowUps } from '../fixes/follow-up';
import type { FieldSpec } from '../fields';
import { columnOf } from '../project/state';
import { CannotPreview, cannot, columnType } from '../sql-preview/columns';
import { binaryCompatible } from '../sql-preview/field-diff';
import type { MigrationSummary, OperationSummary } from '../project/summary';
import type { SqlHazardSite, SqlRuleId } from '../sql-sites';
import { djangoAtLeast, postgresqlAtLeast, type TargetDatabase } from '../target-database';
import type { Fix } from '../types';
import type { ProjectRuleContext } from './rule';
import { OneSlot } from '../one-slot';
import { goneFromStateBefore } from './schema-walk';
import { truncatedTables } from './same-migration';
import { releasedTables } from './shipped-together';
import { runsOn } from '../vendor-branch';

/** Django's tables before the migration, each with its columns' fields. */
type StateTables = Map<string, Map<string, FieldSpec | null>>;

export interface JudgedSite {
  site: SqlHazardSite;
  op: OperationSummary;
}

const judged = new OneSlot<JudgedSite[]>();

/** The statements of the file's RunSQL that change a table not created earlier in this migration. */
export function sqlHazards(ctx: ProjectRuleContext): JudgedSite[] {
  return judged.get([ctx.summary, ctx.view, ctx.file, ctx.target], () => judge(ctx));
}

/**
 * The tables of this app's models as Django's state has them before this migration — what the
 * code of the release still running knows — each with its columns' fields, and the join tables
 * Django made for their many-to-many fields (osf.io `0033` renames three; their columns are not
 * listed); null without a project view.
 */
function stateTables(ctx: ProjectRuleContext): StateTables | null {
  const state = ctx.view && ctx.file ? ctx.view.stateOf(ctx.file, 'before', 'state') : null;
  if (!ctx.view || !state) return null;
  const out: StateTables = new Map();
  for (const m of state.models.values()) {
    if (typeof m === 'string') continue;
    const table = ctx.view.tableName(m, state);
    if (!table) continue;
    const columns = new Map<string, FieldSpec | null>();
    for (const field of m.fields) {
      const c = columnOf(field);
      if (c) columns.set(c, field[1]);
    }
    out.set(table, columns);
    for (const [name, spec] of m.fields) {
      const join = spec ? ctx.view.joinTableName(m, name, spec, state) : undefined;
      if (join && !out.has(join)) out.set(join, new Map());
    }
  }
  return out;
}

/** The earlier migrations of this one's app, nearest first (up to 50), with this one first. */
function appLineage(ctx: ProjectRuleContext): MigrationSummary[] {
  const out = [ctx.summary];
  let node = ctx.view && ctx.file ? ctx.view.node(ctx.file) : null;
  for (let hops = 0; node && hops < 50; hops++) {
    const parent: GraphNode | undefined = node.parents.find((p) => p.key.app === node?.key.app);
    if (parent?.migration) out.push(parent.migration.summary);
    node = parent ?? null;
  }
  return out;
}

/**
 * Columns a validated `CHECK (col IS NOT NULL)` proves, in this migration or the ones before it
 * in its app: SET NOT NULL then skips its scan (PostgreSQL 12+).
 */
function provenNotNull(ctx: ProjectRuleContext): Set<string> {
  const sites = appLineage(ctx).flatMap((s) => s.operations.flatMap((op) => (op.sqlSites ? [op.sqlSites] : [])));
  const validated = new Set(sites.flatMap((x) => x.validated.map((v) => `${v.table}.${v.name}`)));
  const out = new Set<string>();
  for (const c of sites.flatMap((x) => x.notNullChecks)) if (c.valid || (c.name && validated.has(`${c.table}.${c.name}`))) out.add(`${c.table}.${c.column}`);
  return out;
}

/** `varchar(n)` or `text` for the type an ALTER COLUMN … TYPE names, when it is one of those. */
function textType(what: string): string | null {
  const t = /\bTYPE\s+(.+?)(?:\s+(?:USING|COLLATE)\b.*)?$/i.exec(what)?.[1]?.trim().toLowerCase().replace(/\s+/g, ' ');
  if (!t) return null;
  if (t === 'text' || t === 'varchar' || t === 'character varying') return t === 'text' ? 'text' : 'varchar';
  const n = /^(?:varchar|character varying)\s*\(\s*(\d+)\s*\)$/.exec(t)?.[1];
  return n ? `varchar(${n})` : null;
}

/**
 * An ALTER COLUMN … TYPE to varchar or text rewrites only when the column was not already a
 * shorter varchar (or the same type): true when the state shows it was something else, false when
 * it shows a widening — and false when the state cannot say (unknown means silence).
 */
function typeChangeRewrites(site: SqlHazardSite, django: StateTables | null, target: TargetDatabase): boolean {
  const to = textType(site.what);
  if (!to) return true;
  const field = site.name ? django?.get(site.table ?? '')?.get(site.name) : undefined;
  if (!field || !site.name) return false;
  let from: string | null;
  try {
    from = columnType(field, site.name, target, () => cannot('a relation')).type;
  } catch (e) {
    if (e instanceof CannotPreview) return false;
    throw e;
  }
  return !!from && from !== to && !binaryCompatible(from, to);
}

/** Whether a site stands in the migration as the rule reads it (see the rules' docs pages). */
function stands(site: SqlHazardSite, django: StateTables | null, proven: () => Set<string>, target: TargetDatabase): boolean {
  const table = site.table ?? '';
  switch (site.rule) {
    // What breaks old code is a table or column the code still names: one Django's state has.
    case 'drop-table':
    case 'rename-table':
      return !!django?.has(table);
    case 'drop-column':
    case 'rename-column':
      return !!site.name && !!django?.get(table)?.has(site.name);
    case 'alter-field-not-null':
      return !(postgresqlAtLeast(target, 12) && site.name && proven().has(`${table}.${site.name}`));
    case 'alter-field-type':
      return target.vendor !== 'postgresql' || typeChangeRewrites(site, django, target);
    default:
      return true;
  }
}

function judge(ctx: ProjectRuleContext): JudgedSite[] {
  const { summary } = ctx;
  const out: JudgedSite[] = [];
  if (summary.initial === true || !summary.operations.some((op) => op.sqlSites)) return out;
  const django = stateTables(ctx);
  let proof: Set<string> | null = null;
  const proven = () => (proof ??= provenNotNull(ctx));
  const app = ctx.view && ctx.file ? (ctx.view.keyOf(ctx.file)?.app ?? null) : null;
  const tables = new Set<string>();
  const indexes = new Set<string>();
  // `DROP INDEX IF EXISTS x` before this migration's own `CREATE INDEX x`: a re-runnable build.
  // It drops something only if an earlier migration of the app built x; without one, silence.
  const rebuilt = new Set(summary.operations.flatMap((op) => op.sqlSites?.createdIndexes ?? []));
  let built: Set<string> | null = null;
  // Materialized views an earlier migration of the app made: an index build on one blocks only its REFRESH, no write.
  let views: Set<string> | null = null;
  const matview = (t: string) => (views ??= new Set(appLineage(ctx).slice(1).flatMap((s) => s.operations.flatMap((op) => op.sqlSites?.createdMatviews ?? [])))).has(t);
  const builtBefore = (name: string) => (built ??= new Set(appLineage(ctx).slice(1).flatMap((s) => s.operations.flatMap((op) => op.sqlSites?.createdIndexes ?? [])))).has(name);
  /** Models created here whose table we cannot name without the app label. */
  const models: string[] = [];
  // Tables dropped earlier in this migration (DeleteModel, DROP TABLE): a later `DROP TABLE IF EXISTS` of one drops nothing (kpi `mfa/0009`).
  const dropped = new Set<string>();
  // Indexes an earlier statement of this migration dropped: `DROP INDEX IF EXISTS` of one again finds nothing (review 59: Geotrek `core/0021` repeats a line).
  const droppedIndexes = new Set<string>();
  const emptied = new Set<string>();
  const before = ctx.view && ctx.file ? ctx.view.stateOf(ctx.file, 'before', 'state') : null;
  for (const op of summary.operations) {
    const a = op.args;
    if (a?.kind === 'DeleteModel' && a.model && before && ctx.view && op.databaseEffect === 'normal') {
      const entry = before.get(a.model.toLowerCase());
      const table = entry && typeof entry !== 'string' ? ctx.view.tableName(entry, before) : null;
      if (table) dropped.add(table.toLowerCase());
      // Its many-to-many fields' join tables go with it.
      if (entry && typeof entry !== 'string') {
        for (const [name, spec] of entry.fields) {
          const join = spec ? ctx.view.joinTableName(entry, name, spec, before) : undefined;
          if (join) dropped.add(join.toLowerCase());
        }
      }
    }
    // RemoveField of a many-to-many field drops its join table (review 56: seed `0097` then ran
    // `DROP TABLE IF EXISTS seed_canonicalbuilding_labels`, which drops nothing).
    if (a?.kind === 'RemoveField' && a.model && a.name && before && ctx.view && op.databaseEffect === 'normal') {
      const entry = before.get(a.model.toLowerCase());
      const spec = entry && typeof entry !== 'string' ? entry.fields.get(a.name) : undefined;
      const join = entry && typeof entry !== 'string' && spec ? ctx.view.joinTableName(entry, a.name, spec, before) : undefined;
      if (join) dropped.add(join.toLowerCase());
    }
    if (a?.kind === 'CreateModel' && a.model && op.databaseEffect === 'normal') {
      const model = a.model.toLowerCase();
      if (a.options.dbTable) tables.add(a.options.dbTable.toLowerCase());
      else if (app) tables.add(`${app}_${model}`);
      else models.push(model);
    }
    const sites = op.sqlSites;
    if (!sites) continue;
    if (op.certain && runsOn(op.branches, ctx.target.vendor)) {
      for (const site of sites.hazards) {
        const t = site.table?.toLowerCase();
        if (t && (tables.has(t) || models.some((m) => t.endsWith(`_${m}`)))) continue;
        if (t && dropped.has(t)) continue;
        // A table an earlier migration of the same release made: no old code knows it (review 72: varfish
        // `variants/0027` changes the join tables `0026` of the same commit made).
        if (t && releasedTables(ctx).has(t)) continue;
        // An index built on a table an earlier RunSQL of this migration emptied covers no row (review 50: koku `reporting/0353`).
        if (t && site.rule === 'add-index-not-concurrent' && emptied.has(t)) continue;
        // Reads go on during the build, and nothing but REFRESH MATERIALIZED VIEW writes a materialized view (review 77:
        // openprescribing `frontend/0055` indexes the view `0048` made).
        if (t && site.rule === 'add-index-not-concurrent' && matview(t)) continue;
        if (droppedAfterStateRemoval(ctx, site)) continue;
        if (site.rule === 'remove-index-not-concurrent' && site.name && indexes.has(site.name)) continue;
        if (site.rule === 'remove-index-not-concurrent' && site.ifExists && site.name && rebuilt.has(site.name) && !(ctx.view && builtBefore(site.name))) continue;
        if (site.rule === 'remove-index-not-concurrent' && site.name) {
          const again = site.ifExists && droppedIndexes.has(site.name);
          droppedIndexes.add(site.name);
          if (again) continue;
        }
        if (stands(site, django, proven, ctx.target)) out.push({ site, op });
      }
    }
    for (const t of sites.createdTables) tables.add(t.toLowerCase());
    if (op.certain && op.branches.length === 0) for (const sql of op.sql ?? []) for (const t of truncatedTables(sql)) emptied.add(t);
    if (op.certain) for (const x of sites.hazards) if (x.rule === 'drop-table' && x.table) dropped.add(x.table.toLowerCase());
    for (const i of sites.createdIndexes) indexes.add(i);
  }
  return out;
}


/**
 * A `DROP TABLE` / `DROP COLUMN` of a model or field Django's state had let go of before this
 * migration: the second step of a two-release removal (schema-walk's goneFromStateBefore).
 */
function droppedAfterStateRemoval(ctx: ProjectRuleContext, site: SqlHazardSite): boolean {
  if ((site.rule !== 'drop-table' && site.rule !== 'drop-column') || !site.table || !ctx.view || !ctx.file) return false;
  const db = ctx.view.stateOf(ctx.file, 'before', 'database');
  if (!db) return false;
  const table = site.table.toLowerCase();
  for (const [model, entry] of db.models) {
    if (typeof entry === 'string' || ctx.view.tableName(entry, db)?.toLowerCase() !== table) continue;
    if (site.rule === 'drop-table') return goneFromStateBefore(ctx, model);
    const column = site.name?.toLowerCase();
    const field = column ? [...entry.fields].find((f) => columnOf(f)?.toLowerCase() === column) : undefined;
    return !!field && goneFromStateBefore(ctx, model, field[0]);
  }
  return false;
}

/** Whether every operation of the migration that reaches the database is RunSQL that runs as it should outside a transaction. */
function nonAtomicReady(ctx: ProjectRuleContext): boolean {
  return ctx.summary.operations.every((op) => op.databaseEffect === 'none' || op.specName === 'SeparateDatabaseAndState' || op.sqlSites?.nonAtomicReady === true);
}

const OUTSIDE = 'CONCURRENTLY cannot run inside a transaction';

/** The fix moving an index statement out of the transaction, or why there is none. */
function outsideTransaction(ctx: ProjectRuleContext, site: SqlHazardSite, title: string): { fix: Fix | null; note: string } {
  if (!site.alone) return { fix: null, note: ` It shares its string with other statements, which Django sends as one query (one transaction, where ${OUTSIDE}): give it a list element of its own.` };
  if (!nonAtomicReady(ctx)) return { fix: null, note: ` This migration runs other operations too, which atomic = False would leave half-applied on a failure: move the statement into a migration of its own (Split Migration) with atomic = False.` };
  const atomic = ctx.summary.atomic === false ? [] : ctx.summary.atomicFalseEdits;
  if (!atomic || !site.edits) return { fix: null, note: '' };
  return { fix: { title, edits: [...(site.edits ?? []), ...atomic], isPreferred: true, safe: false }, note: '' };
}

/** NOT VALID now, and a follow-up migration (its own transaction) that validates. */
function notValidFix(ctx: ProjectRuleContext, site: SqlHazardSite): Fix | null {
  if (!site.edits || !site.name || !site.tableSql) return null;
  const parent = ctx.file ? ctx.view?.node(ctx.file)?.key.name : undefined;
  if (!parent) return null;
  const sql = `ALTER TABLE ${site.tableSql} VALIDATE CONSTRAINT ${site.name}`;
  const plan = planFollowUps(ctx.view, ctx.file, [
    {
      slug: `validate_${site.name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40)}`,
      atomic: true,
      why: `validates ${site.name}, which ${parent} adds NOT VALID: VALIDATE CONSTRAINT reads every row under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on), in this migration's own transaction.`,
      operations: [`        migrations.RunSQL(${pythonString(sql)}, reverse_sql=migrations.RunSQL.noop)`],
    },
  ]);
  if (!plan.ok) return null;
  return { title: `Add NOT VALID, and validate in ${plan.names[0] ?? 'a new migration'}.py`, edits: site.edits, creates: plan.creates, isPreferred: true, safe: false };
}

const LOCK = {
  share: 'CREATE INDEX holds a SHARE lock for the whole build: reads go on, every INSERT, UPDATE and DELETE waits',
  exclusive: 'it holds an ACCESS EXCLUSIVE lock (no reads, no writes)',
};

function on(site: SqlHazardSite): string {
  return site.table ? ` on existing table "${site.table}"` : '';
}

/** The message (and fix) of one site under its rule, or null when the rule does not apply to the target. */
function describe(ctx: ProjectRuleContext, judged: JudgedSite): { message: string; fixes: Fix[] } | null {
  const d = describeSite(ctx, judged);
  const rule = judged.site.rule;
  if (d && (rule === 'add-index-not-concurrent' || rule === 'remove-index-not-concurrent')) {
    const before = beforeNonAtomicMigrations(ctx.target, d.message, rule === 'add-index-not-concurrent' ? 'build' : 'drop');
    if (before) return { message: before, fixes: [] };
  }
  // Run by a RunPython's own code: the advice stands, no edit of the authors' code is written.
  return d && judged.site.via ? { message: d.message, fixes: [] } : d;
}

/**
 * Before Django 1.10 no migration runs outside a transaction, where CONCURRENTLY fails (review 33:
 * cla_backend on 1.8): an index message's advice, rewritten for that; null on a later Django, or a
 * message without its "Instead, …".
 */
export function beforeNonAtomicMigrations(target: TargetDatabase, message: string, what: 'build' | 'drop'): string | null {
  if (djangoAtLeast(target, 1, 10)) return null;
  const [major, minor] = target.djangoVersion;
  const at = message.indexOf(' Instead, ');
  if (at <= 0) return null;
  return `${message.slice(0, at)} Django ${major}.${minor} runs every migration in a transaction (atomic = False came in 1.10), where CONCURRENTLY fails: run the ${what} with CONCURRENTLY outside migrate (and fake it in, or guard it with IF NOT EXISTS), or upgrade Django first.`;
}

function describeSite(ctx: ProjectRuleContext, { site, op }: JudgedSite): { message: string; fixes: Fix[] } | null {
  const t: TargetDatabase = ctx.target;
  const pg = t.vendor === 'postgresql';
  const runner = site.via ? `RunPython's ${site.via}` : 'RunSQL';
  const head = `${runner} \`${site.what}\`${on(site)}`;
  switch (site.rule) {
    case 'add-index-not-concurrent': {
      if (!pg) return null;
      if (/^ADD\s+(?:CONSTRAINT\s+\S+\s+)?EXCLUDE\b/i.test(site.what)) return { message: `${head} builds the exclusion constraint's index under an ACCESS EXCLUSIVE lock: every read and write waits for the whole build, and PostgreSQL has no concurrent way to add one (no CONCURRENTLY, no USING INDEX for EXCLUDE). Add it while the table is small, or at a quiet time with a short lock_timeout, in a migration of its own.`, fixes: [] };
      const unique = /^ADD\b|PRIMARY|UNIQUE\s*\(/i.test(site.what) && !/^CREATE/i.test(site.what);
      if (unique) return { message: `${head} builds its index under an ACCESS EXCLUSIVE lock: every read and write waits for the whole build. Instead, build the index with \`CREATE UNIQUE INDEX CONCURRENTLY\` (atomic = False), then \`ADD CONSTRAINT … USING INDEX\`.`, fixes: [] };
      if (site.via) return { message: `${head}: ${LOCK.share}. Instead, build it with \`CREATE INDEX CONCURRENTLY\` in a migration of its own with \`atomic = False\` (a RunSQL, or this code).`, fixes: [] };
      // A concurrent build that fails leaves an INVALID index of its name, which IF NOT EXISTS would keep
      // on the retry, recording the migration as applied (review 35: ureport `stats/0004` and 21 more).
      if (site.ifExists) {
        const name = site.name ?? '<name>';
        return { message: `${head}: ${LOCK.share}. Instead, write \`CREATE INDEX CONCURRENTLY\` in a migration with \`atomic = False\`. No rewrite is offered: it says IF NOT EXISTS, and a concurrent build that fails leaves an invalid index named ${name}, which a retry would keep while recording the migration as applied; run \`DROP INDEX CONCURRENTLY IF EXISTS ${name}\` as a statement of its own just before it, or drop IF NOT EXISTS.`, fixes: [] };
      }
      const { fix, note } = outsideTransaction(ctx, site, 'Build the index CONCURRENTLY (atomic = False)');
      return { message: `${head}: ${LOCK.share}. Instead, write \`CREATE INDEX CONCURRENTLY\` in a migration with \`atomic = False\`.${note}`, fixes: fix ? [fix] : [] };
    }
    case 'remove-index-not-concurrent': {
      if (!pg) return null;
      if (site.via) return { message: `${head}: DROP INDEX takes an ACCESS EXCLUSIVE lock on its table, and while it waits for running queries every new read and write queues behind it. Instead, drop it with \`DROP INDEX CONCURRENTLY\` in a migration of its own with \`atomic = False\` (a RunSQL, or this code).`, fixes: [] };
      const { fix, note } = outsideTransaction(ctx, site, 'Drop the index CONCURRENTLY (atomic = False)');
      return { message: `${head}: DROP INDEX takes an ACCESS EXCLUSIVE lock on its table, and while it waits for running queries every new read and write queues behind it. Instead, write \`DROP INDEX CONCURRENTLY\` in a migration with \`atomic = False\`.${note}`, fixes: fix ? [fix] : [] };
    }
    case 'alter-field-not-null':
      return {
        message: `${head}: ${pg ? 'PostgreSQL scans every row under an ACCESS EXCLUSIVE lock (no reads, no writes) to check it' : 'the database checks every row under its lock'}.${pg && postgresqlAtLeast(t, 12) ? ' Instead, add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it in a later migration, then SET NOT NULL (no scan once the check is valid) and drop the check.' : ''}`,
        fixes: [],
      };
    case 'alter-field-type':
      return { message: `${head}: changing a column's type rewrites the whole table and its indexes ${pg ? 'under an ACCESS EXCLUSIVE lock (no reads, no writes)' : 'under its lock'} — unless it only makes a varchar longer or turns it into text. Instead, add a column of the new type, backfill it in batches, switch the code over, then drop the old one.`, fixes: [] };
    case 'add-field-not-null':
      return { message: `${head} adds a NOT NULL column without a default: it fails as soon as the table has rows, and INSERTs of code still running without the column fail during the deploy. Instead, add it with a DEFAULT, or nullable, backfill in batches, and make it NOT NULL later.`, fixes: [] };
    case 'drop-column':
      return { message: `${head}: old code still running during the deploy names the column in its queries and fails. Remove the field from the model (and Django's state) in one release, and drop the column in the next.`, fixes: [] };
    case 'drop-table':
      return { message: `${head}: old code still running during the deploy queries the table and fails. Stop using the model and remove it from Django's state in one release, and drop the table in the next.`, fixes: [] };
    case 'rename-column':
      return { message: `${head}: old code still running during the deploy names the old column and fails at once. Keep the column (a field's \`db_column\` can keep the old name), or add the new one and copy, in expand / contract steps.`, fixes: [] };
    case 'rename-table':
      return { message: `${head}: old code still running during the deploy queries the old name and fails at once. Keep the table (a model's \`db_table\` can keep the old name).`, fixes: [] };
    case 'add-constraint-validates': {
      if (!pg) return null;
      if (/REFERENCES$/.test(site.what)) return { message: `${head} adds a column with a foreign key PostgreSQL validates at once, holding an ACCESS EXCLUSIVE lock on the table and a SHARE ROW EXCLUSIVE lock on the referenced one. Instead, add the column without REFERENCES, then \`ADD CONSTRAINT … FOREIGN KEY … NOT VALID\` and \`VALIDATE CONSTRAINT\` in a later migration.`, fixes: [] };
      if (/^ADD COLUMN .* CHECK$/.test(site.what)) return { message: `${head} adds a column with a CHECK constraint, which PostgreSQL checks against every row (even while the new column is all NULL) holding an ACCESS EXCLUSIVE lock (no reads, no writes). Instead, add the column without CHECK, then \`ADD CONSTRAINT … CHECK (…) NOT VALID\` and \`VALIDATE CONSTRAINT\` in a later migration.`, fixes: [] };
      const fix = notValidFix(ctx, site);
      const why = !site.name ? ' (name the constraint, so a later migration can validate it)' : fix ? '' : ' (no follow-up migration can be written here: the file is not the last of its app, or the project is not known)';
      return {
        message: `${head}: PostgreSQL checks every row while holding ${/CHECK$/.test(site.what) ? 'an ACCESS EXCLUSIVE lock (no reads, no writes)' : 'a SHARE ROW EXCLUSIVE lock on both tables (writes wait)'}. Instead, add it \`NOT VALID\` (no scan) and \`VALIDATE CONSTRAINT\` in a later migration (a SHARE UPDATE EXCLUSIVE lock: reads and writes go on)${why}.`,
        fixes: fix ? [fix] : [],
      };
    }
    case 'enum-value-in-transaction': {
      if (!pg || ctx.summary.atomic === false) return null;
      const value = site.name === null ? 'the new value' : `'${site.name}'`;
      const later = site.name !== null && usedLater(ctx, site, op);
      if (postgresqlAtLeast(t, 12) && !later) return null;
      const fix = site.alone && nonAtomicReady(ctx) && ctx.summary.atomicFalseEdits ? [{ title: 'Set atomic = False on the migration', edits: ctx.summary.atomicFalseEdits, isPreferred: true, safe: false }] : [];
      const why = postgresqlAtLeast(t, 12)
        ? `PostgreSQL ${t.postgresqlVersion} adds it inside the migration's transaction, and this migration uses ${value} later in that same transaction: "unsafe use of new value"`
        : `PostgreSQL ${t.postgresqlVersion} refuses ALTER TYPE … ADD VALUE inside a transaction block (from 12 it is allowed, but the value cannot be used before the transaction commits), and the migration is atomic`;
      return { message: `${head}: ${why}. Instead, add the value in a migration of its own with \`atomic = False\`, and use it in a later one.`, fixes: fix };
    }
    case 'blocking-sql':
      if (!pg) return null;
      return { message: `${runner} \`${site.what}\` ${blockingWhy(site.what)}. Run it outside a deploy, or use the non-blocking form where there is one.`, fixes: [] };
  }
}

function blockingWhy(what: string): string {
  if (/^VACUUM/i.test(what)) return 'rewrites the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes); plain VACUUM, or pg_repack, does not block';
  if (/^CLUSTER/i.test(what)) return 'rewrites the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes)';
  if (/^REINDEX/i.test(what)) return 'rebuilds indexes while blocking writes (and reads that use them); `REINDEX … CONCURRENTLY` (PostgreSQL 12+, atomic = False) does not';
  if (/^LOCK/i.test(what)) return "holds that lock until the migration's transaction ends, blocking writes (or reads too) for the whole migration";
  if (/^REFRESH/i.test(what)) return 'holds an ACCESS EXCLUSIVE lock on the view while it is rebuilt (no reads); `REFRESH MATERIALIZED VIEW CONCURRENTLY` (with a unique index) does not';
  if (/^ALTER DOMAIN/i.test(what)) return 'checks every column of the domain while locking their tables; add the constraint NOT VALID and VALIDATE it later';
  if (/per row/.test(what)) return 'rewrites the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes): a volatile default, a serial or a generated column is computed for every row';
  return 'rewrites the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes)';
}

/** The enum value used as a literal by a statement after the one adding it, in this migration's SQL. */
function usedLater(ctx: ProjectRuleContext, site: SqlHazardSite, op: OperationSummary): boolean {
  const ops = ctx.summary.operations;
  const later = ops.slice(ops.indexOf(op) + 1).flatMap((o) => o.sqlSites?.literals ?? []);
  const rest = [...(op.sqlSites?.literals.slice(site.statement + 1) ?? []), ...later];
  return rest.some((literals) => literals.includes(site.name ?? ''));
}

/** Reports the SQL-side findings of one rule. */
export function reportSqlHazards(ctx: ProjectRuleContext, rule: SqlRuleId): void {
  for (const judged of sqlHazards(ctx)) {
    if (judged.site.rule !== rule) continue;
    const d = describe(ctx, judged);
    const line = judged.site.stringLine;
    if (d) ctx.report({ range: judged.site.range, message: d.message, fixes: d.fixes, ...(line !== undefined ? { suppressionLine: line } : {}) });
  }
}

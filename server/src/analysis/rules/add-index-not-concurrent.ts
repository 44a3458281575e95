/**
 * add-index-not-concurrent: an index built on an existing table without CONCURRENTLY — AddIndex,
 * AddField / AlterField introducing `db_index=True`, `unique=True` or a ForeignKey's index,
 * AddConstraint of a UniqueConstraint (or ExclusionConstraint), AlterUniqueTogether /
 * AlterIndexTogether adding groups. PostgreSQL builds it reading the whole table under a SHARE lock
 * (writes wait) — an ACCESS EXCLUSIVE lock (reads wait too) when Django writes it as
 * `ALTER TABLE … ADD CONSTRAINT … UNIQUE`. Only on PostgreSQL: MySQL's InnoDB builds secondary
 * indexes online, and SQLite has no concurrent build to offer.
 */
import { fixContext } from '../fixes/fix-context';
import { indexFixes, indexFixNote } from '../fixes/index-fixes';
import { djangoAtLeast } from '../target-database';
import type { Rule } from './rule';
import { beforeNonAtomicMigrations, reportSqlHazards } from './sql-hazards';
import { defaultTable } from '../project/state';
import { fieldBefore, fieldIndex, tableLabel, walkSchema, type SchemaStep } from './schema-walk';
import { emptiedBefore } from './same-migration';
import { heldBefore } from './held-lock';

const SHARE_WORDS = 'CREATE INDEX takes a SHARE lock on the table for the whole build';
const SHARE = `${SHARE_WORDS}: reads go on, every INSERT, UPDATE and DELETE waits`;
const EXCLUSIVE = 'ALTER TABLE … ADD CONSTRAINT … UNIQUE builds the index under an ACCESS EXCLUSIVE lock: every read and write waits for the whole build';


function groupKey(g: string[]): string {
  return JSON.stringify(g);
}

export const addIndexNotConcurrent: Rule = {
  meta: {
    id: 'add-index-not-concurrent',
    summary: 'An index is built on an existing table without CONCURRENTLY: writes (or all queries) wait for the whole build.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (ctx.target.vendor !== 'postgresql') return;
    const concurrent = 'Build it with `AddIndexConcurrently` (django.contrib.postgres.operations) in a migration with `atomic = False`';
    const bySql = 'create the index with `CREATE [UNIQUE] INDEX CONCURRENTLY` in RunSQL (atomic = False) inside SeparateDatabaseAndState, keeping Django\'s state operation as its state side';
    const report = (step: SchemaStep, what: string, lock: string, fix: string) => {
      const message = `${what} on existing table ${tableLabel(step)}: ${lock === SHARE ? shareLock(step) : lock}. Instead, ${fix}.${indexFixNote(ctx, step.op)}`;
      const old = beforeNonAtomicMigrations(ctx.target, message, 'build');
      ctx.report({ range: step.op.range, message: old ?? message, fixes: old ? [] : indexFixes(ctx, step.op) });
    };
    /** The build under a lock `what` already holds: reads wait too. */
    const held = (what: string): string => `${SHARE_WORDS}, and ${what} already holds an ACCESS EXCLUSIVE lock on the table until the migration commits: every read and write waits for the whole build`;
    // In one transaction, an ALTER TABLE earlier in the migration keeps its ACCESS EXCLUSIVE lock through the build (bookwyrm 0029).
    const shareLock = (step: SchemaStep): string => {
      const table = tableLabel(step);
      if (ctx.summary.atomic === false || !table.startsWith('"')) return SHARE;
      // AddField's own ADD COLUMN comes first, and Django builds the index at the end of the migration (NEMO 0065).
      if (step.args.kind === 'AddField') return held("the AddField's own ALTER TABLE … ADD COLUMN");
      // An AlterField whose own earlier statements alter the table (a constraint dropped, a column renamed or
      // retyped) holds their ACCESS EXCLUSIVE lock through its index build (review 46: mediacms files/0006).
      if (step.args.kind === 'AlterField') {
        const own = fixContext(ctx).preview()?.operations[step.index]?.statements ?? [];
        const build = own.findIndex((x) => /^CREATE (?:UNIQUE )?INDEX /.test(x.sql));
        const first = build > 0 ? own.slice(0, build).find((x) => x.lock.lock === 'ACCESS EXCLUSIVE' && x.sql.startsWith(`ALTER TABLE ${table} `)) : undefined;
        if (first) {
          const action = first.sql.slice(`ALTER TABLE ${table} `.length).split(/\s+/).slice(0, 2).join(' ');
          return held(`the AlterField's own ALTER TABLE … ${action} before it`);
        }
      }
      const earlier = heldBefore(ctx, step);
      if (earlier?.kind === 'held') return held(earlier.column ? `the ${earlier.name} before it in this migration (an ALTER TABLE of a column)` : `the ${earlier.name} before it in this migration`);
      return earlier?.kind === 'maybe'
        ? `${SHARE_WORDS}: every INSERT, UPDATE and DELETE waits, and reads too if the ${earlier.name} before it on the same table, whose SQL is not known here, took an ACCESS EXCLUSIVE lock (held until the migration commits)`
        : SHARE;
    };
    walkSchema(ctx, (step) => {
      if (step.table !== 'existing') return;
      const table = step.before ? defaultTable(step.before) : undefined;
      if (table && emptiedBefore(ctx.summary, step, table)) return;
      const { args } = step;
      switch (args.kind) {
        case 'AddIndex':
          if (args.concurrently || !args.index) return;
          return report(step, `AddIndex '${args.index.name ?? '…'}' builds an index`, SHARE, concurrent.charAt(0).toLowerCase() + concurrent.slice(1));
        case 'AddField':
        case 'AlterField': {
          if (!args.field) return;
          const after = fieldIndex(args.field);
          if (after === undefined || after === 'none') return;
          let was: ReturnType<typeof fieldIndex> = 'none';
          // A unique column made the primary key: Django drops its unique constraint and builds the key's index
          // (review 61: tandoor `0016` makes a one-to-one key the primary key of a table with rows).
          let becomesKey = false;
          if (args.kind === 'AlterField') {
            const before = fieldBefore(step, args.name);
            if (!before) return;
            was = fieldIndex(before);
            becomesKey = args.field.primaryKey === true && before.primaryKey === false;
            // unique → db_index: Django drops the constraint, then builds a plain index (pulpcore 0102's digests).
            if (was === undefined || ((was === after || (was === 'unique' && after !== 'index')) && !becomesKey)) return;
          }
          if (was === 'unique' && !becomesKey) {
            const why = args.field.relation ? "the ForeignKey's index" : '`db_index=True`';
            // It drops the constraint first (ALTER TABLE … DROP CONSTRAINT, whatever its name), in the same transaction.
            const dropped = ctx.summary.atomic === false ? SHARE : `${SHARE_WORDS}, and the AlterField first drops the unique constraint (ALTER TABLE … DROP CONSTRAINT), whose ACCESS EXCLUSIVE lock it holds until the migration commits: every read and write waits for the whole build`;
            return report(step, `AlterField '${args.name}' replaces its unique constraint with an index (${why})`, dropped, bySql);
          }
          // A primary key is unique too, and built the same way: ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY.
          const pk = after === 'unique' && args.field.primaryKey === true;
          const why = pk ? '`primary_key=True`' : after === 'unique' ? '`unique=True`' : args.field.relation ? "the ForeignKey's index" : '`db_index=True`';
          const what = pk ? 'a primary key' : after === 'unique' ? 'a unique constraint' : 'an index';
          // AddField writes the constraint into the column's definition (ADD COLUMN … UNIQUE); AlterField adds it apart.
          const clause = args.kind === 'AddField' ? `ADD COLUMN … ${pk ? 'PRIMARY KEY' : 'UNIQUE'}` : `ADD CONSTRAINT … ${pk ? 'PRIMARY KEY' : 'UNIQUE'}`;
          return report(step, `${args.kind} '${args.name}' adds ${what} (${why})`, after === 'unique' ? EXCLUSIVE.replace('ADD CONSTRAINT … UNIQUE', clause) : SHARE, bySql);
        }
        case 'AddConstraint': {
          const c = args.constraint;
          if (!c || (c.kind !== 'unique' && c.kind !== 'exclusion')) return;
          if (c.kind === 'exclusion') return report(step, `AddConstraint '${c.name ?? '…'}' adds an exclusion constraint`, 'its index is built under an ACCESS EXCLUSIVE lock: every read and write waits', 'build the constraint at a quiet time, or on a copy of the table');
          // A plain UniqueConstraint is ALTER TABLE ADD CONSTRAINT; with a condition or expressions it is CREATE UNIQUE INDEX.
          const plain = !c.partial && c.fields !== null;
          const fix = plain ? `${bySql}, then \`ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX\`` : bySql;
          return report(step, `AddConstraint '${c.name ?? '…'}' builds a unique index`, plain ? EXCLUSIVE : SHARE, fix);
        }
        case 'AlterTogether': {
          const before = step.before ? (args.option === 'unique_together' ? step.before.options.uniqueTogether : step.before.options.indexTogether) : null;
          if (!before || !args.groups) return;
          const old = new Set(before.map(groupKey));
          const added = args.groups.filter((g) => !old.has(groupKey(g)));
          if (added.length === 0) return;
          const unique = args.option === 'unique_together';
          const hint = unique && djangoAtLeast(ctx.target, 2, 2) ? ' (or a UniqueConstraint built that way)' : '';
          return report(step, `${unique ? 'AlterUniqueTogether' : 'AlterIndexTogether'} adds ${added.map((g) => `(${g.join(', ')})`).join(', ')}`, unique ? EXCLUSIVE : SHARE, bySql + hint);
        }
        default:
          return;
      }
    });
    reportSqlHazards(ctx, 'add-index-not-concurrent');
  },
};

/**
 * rename-table: RenameModel of a model without an explicit db_table, or AlterModelTable giving a
 * new table name, on an existing table; RenameField of a many-to-many field whose join table
 * Django made (the table is named after the field), and AlterField of one that names its join table otherwise. Old code still running during the deploy queries the old
 * name and fails at once; keeping the table (`db_table = '<old name>'` on the renamed model) costs
 * nothing.
 */
import type { GraphNode } from '../project/graph';
import { defaultTable } from '../project/state';
import type { ProjectRuleContext, Rule } from './rule';
import { renameLock } from './drop-column';
import { columnBeforeTheMinute } from './same-migration';
import { reportSqlHazards } from './sql-hazards';
import { runsAfterDeploy, walkSchema } from './schema-walk';

export const renameTable: Rule = {
  meta: {
    id: 'rename-table',
    summary: 'RenameModel (or AlterModelTable) renames an existing table: old code still running breaks at once.',
    defaultSeverity: 'warning',
    followsDatabase: true,
  },
  checkProject(ctx) {
    if (runsAfterDeploy(ctx.summary)) return; // no old code left to break (django-safemigrate)
    walkSchema(ctx, (step) => {
      const { args, before } = step;
      if (step.table !== 'existing' || !before) return;
      const from = defaultTable(before);
      let to: string | undefined;
      let label: string;
      if (args.kind === 'RenameField') {
        // A many-to-many field's join table is named after the field: renaming the field renames it (NEMO 0099).
        const field = args.oldName ? before.fields.get(args.oldName) : undefined;
        if (!field || !args.oldName || !args.newName || !ctx.view || !step.start?.fields.has(args.oldName)) return;
        const oldJoin = ctx.view.joinTableName(before, args.oldName, field);
        const newJoin = ctx.view.joinTableName(before, args.newName, field);
        if (!oldJoin || !newJoin || oldJoin === newJoin || field.call?.kwargs['db_table'] !== undefined) return;
        // A field an earlier migration of the same release added: no old code knows its join table (review 70:
        // bornhack `teams/0006` renames `membersnew`, which `0005` of the same commit added).
        if (columnBeforeTheMinute(ctx, step, args.oldName) === false) return;
        ctx.report({
          range: step.op.range,
          message:
            `RenameField '${args.oldName}' → '${args.newName}' renames the join table of the many-to-many field, "${oldJoin}" to "${newJoin}" (ALTER TABLE … RENAME, ${renameLock(ctx.target)}): ` +
            `old code still running during the deploy queries "${oldJoin}" and fails at once. ${keepAdvice(ctx, oldJoin, 'field', { model: before.name, field: args.newName })}`,
        });
        return;
      }
      if (args.kind === 'AlterField') {
        // A many-to-many field given another db_table (or none: the name Django makes from the field) renames
        // its join table (review 59: Geotrek's English names dropped `db_table="l_r_troncon_reseau"` and others).
        const field = args.name ? before.fields.get(args.name) : undefined;
        const started = args.name ? step.start?.fields.get(args.name) : undefined;
        if (!field || !args.name || !args.field || !ctx.view || !started) return;
        const oldJoin = ctx.view.joinTableName(before, args.name, field);
        const newJoin = ctx.view.joinTableName(before, args.name, args.field);
        if (!oldJoin || !newJoin || oldJoin === newJoin || ctx.view.joinTableName(step.start ?? before, args.name, started) !== oldJoin) return;
        if (columnBeforeTheMinute(ctx, step, args.name) === false) return;
        ctx.report({
          range: step.op.range,
          message:
            `AlterField '${args.name}' gives the many-to-many field's join table another name, "${oldJoin}" to "${newJoin}" (ALTER TABLE … RENAME, ${renameLock(ctx.target)}): ` +
            `old code still running during the deploy queries "${oldJoin}" and fails at once. ${keepAdvice(ctx, oldJoin, 'field', { model: before.name, field: args.name })}`,
        });
        return;
      }
      if (args.kind === 'RenameModel') {
        if (!args.newName || before.options.dbTable !== null) return; // an explicit db_table stays
        to = defaultTable({ ...before, name: args.newName });
        label = `RenameModel '${args.model}' → '${args.newName}'`;
      } else if (args.kind === 'AlterModelTable') {
        if (args.table === undefined) return;
        to = defaultTable({ ...before, options: { ...before.options, dbTable: args.table } });
        label = 'AlterModelTable';
      } else return;
      if (!from || !to || from === to) return;
      // A name this migration gave the table (a RenameModel or AlterModelTable before): old code queries another.
      if (!step.start || defaultTable(step.start) !== from) return;
      ctx.report({
        range: step.op.range,
        message:
          `${label} renames existing table "${from}" to "${to}" (ALTER TABLE … RENAME, ${renameLock(ctx.target)}): old code still running during the deploy queries "${from}" and fails at once. ` +
          keepAdvice(ctx, from, 'model', { model: args.kind === 'RenameModel' && args.newName ? args.newName : before.name }),
      });
    });
    reportSqlHazards(ctx, 'rename-table');
  },
};

/**
 * The advice to keep the table under its old name — unless a later migration of the app gives that
 * name to another table (inyoka `portal/0011` renames the many-to-many `groups` to `groups_old`, and
 * `0012` adds a new `groups` whose join table takes the old name): then that table needs a name of
 * its own, or keeping this one would make `0012` fail.
 */
function keepAdvice(ctx: ProjectRuleContext, table: string, kind: 'field' | 'model', own: { model: string; field?: string | null }): string {
  const keep = kind === 'field' ? `give the field \`db_table="${table}"\`` : `give the model \`db_table = "${table}"\``;
  const later = takenLater(ctx, table, own);
  if (!later) return `Keep the table: ${keep} so nothing changes in the database.`;
  return `Keep the table: ${keep}, and give ${later.what} (named "${table}" from ${later.migration} on) a \`db_table\` of its own, or the two would collide.`;
}

/**
 * The first later migration of the file's app after which another table than `own`'s (a model's, or
 * a many-to-many field's join table) is named `table`; null when none, or when the states are not known.
 */
function takenLater(ctx: ProjectRuleContext, table: string, own: { model: string; field?: string | null }): { migration: string; what: string } | null {
  const { view, file } = ctx;
  const node = view && file ? view.node(file) : null;
  if (!view || !node) return null;
  const app = node.key.app;
  const ownModel = own.model.toLowerCase();
  // Only what runs after this migration on every database: its descendants (a sibling branch that a
  // merge joins later has states of its own — tandoor's two `0056`).
  const after = new Set<GraphNode>();
  const stack = [...node.children];
  while (stack.length > 0) {
    const n = stack.pop() as GraphNode;
    if (after.has(n)) continue;
    after.add(n);
    stack.push(...n.children);
  }
  const seen = new Set<GraphNode>();
  for (const leaf of view.graph.leaves(app)) {
    const plan = view.graph.forwardsPlan(leaf);
    const at = plan.indexOf(node);
    if (at < 0) continue;
    for (const n of plan.slice(at + 1)) {
      if (n.key.app !== app || !n.migration || seen.has(n) || !after.has(n)) continue;
      seen.add(n);
      const state = view.stateOf(n.migration.file, 'after');
      if (!state) break;
      for (const entry of state.models.values()) {
        if (typeof entry === 'string') continue;
        const mine = entry.name.toLowerCase() === ownModel;
        if (!(mine && !own.field) && view.tableName(entry, state) === table) return { migration: `${app}/${n.key.name}`, what: `the table of ${entry.name}` };
        for (const [name, spec] of entry.fields) {
          if (!spec || (mine && name === own.field)) continue;
          if (view.joinTableName(entry, name, spec, state) === table) return { migration: `${app}/${n.key.name}`, what: `the join table of '${name}' (${entry.name})` };
        }
      }
    }
  }
  return null;
}

/**
 * The SQL a migration runs, operation by operation, as `manage.py sqlmigrate` prints it for
 * PostgreSQL: replayed from the model state before the migration (the project view's database
 * side) and each operation's typed arguments, each statement with its lock-table row, and whether
 * it runs inside the migration's transaction. What cannot be known statically is said, per
 * operation, instead of guessed.
 */
import type { FieldSpec } from '../fields';
import { lockFact, type LockFact, type StatementKind } from '../locks/lock-table';
import { statementKind } from '../locks/statement-kind';
import type { OperationArgs } from '../operation-args';
import { OPERATION_CATALOG } from '../operation-catalog';
import { AppState, applyMigration, defaultTable, modelEntry, truncateName, type ModelState } from '../project/state';
import type { MigrationSummary, OperationSummary } from '../project/summary';
import type { DatabaseNames } from '../project/view';
import { djangoAtLeast, type TargetDatabase } from '../target-database';
import type { Range } from '../types';
import { CannotPreview, cannot, relatedType, type RelatedTarget } from './columns';
import type { DeferredStatement } from './deferred';
import { knownField } from './field-diff';
import { NameHistory } from './name-history';
import { SchemaEditor, type SqlModel } from './schema-editor';

export interface StatementPreview {
  sql: string;
  kind: StatementKind;
  lock: LockFact;
  /** Queued by its operation and run at the end of the migration (Django's deferred SQL). */
  deferred: boolean;
}

export type TransactionMode =
  /** Inside the migration's transaction (atomic = True). */
  | 'migration'
  /** No transaction: each statement commits on its own (atomic = False). */
  | 'none'
  /** PostgreSQL refuses it inside a transaction, and the migration is atomic: it fails. */
  | 'refused'
  | 'unknown';

export interface OperationPreview {
  /** Index in the summary's operations. */
  index: number;
  name: string;
  label: string;
  range: Range;
  /** The whole call. */
  callRange: Range;
  /** The SeparateDatabaseAndState whose database side holds it. */
  container: number | null;
  statements: StatementPreview[];
  /** What it queues for the end of the migration. */
  deferred: StatementPreview[];
  /** A remark instead of SQL (`Raw Python operation`, `changes only Django's state`). */
  comment: string | null;
  /** What the reader should know beside the SQL (statements the preview cannot see). */
  notes: string[];
  /** Why the SQL cannot be known statically; null when it is previewed. */
  cannotPreview: string | null;
  transaction: TransactionMode;
}

export interface MigrationPreview {
  atomic: boolean | 'unknown';
  /** False when the project view could not say what the app's models were before the migration. */
  stateKnown: boolean;
  operations: OperationPreview[];
  /** Every deferred statement, in the order Django runs them after the last operation. */
  deferred: StatementPreview[];
}

/** A model of another app, as the caller's project view knows it just before this migration. */
export type ModelLookup = (app: string, model: string) => { state: ModelState; table: string } | 'unknown' | 'absent';

export interface PreviewInput {
  summary: MigrationSummary;
  app: string;
  /** The app's database state before the migration; null when unknown. */
  before: AppState | null;
  target: TargetDatabase;
  names: DatabaseNames;
  /** Models of other apps (foreign keys to them); absent: such relations are not previewed. */
  otherApp?: ModelLookup;
  /** Renames and field creations of the migrations before this one (every app), in plan order. */
  history?: NameHistory;
  /**
   * Go on where a table or column was renamed after its constraints were made: the statements are
   * the ones Django runs, under the names Django would generate today, not the ones the database
   * holds. For a caller that asks what kinds of statements run (a constraint dropped and added back),
   * never for SQL shown or written into a fix.
   */
  approximateNames?: boolean;
}

function statement(sql: string, target: TargetDatabase, deferred: boolean, kindOverride?: StatementKind): StatementPreview {
  const kind = kindOverride ?? statementKind(sql);
  return { sql, kind, lock: lockFact(kind, target), deferred };
}

function transactionOf(op: OperationSummary, atomic: boolean | 'unknown'): TransactionMode {
  if (atomic === 'unknown') return 'unknown';
  if (!atomic) return 'none';
  return op.nonTransactional ? 'refused' : 'migration';
}

class Previewer {
  private state: AppState;
  /**
   * The SeparateDatabaseAndState whose database_operations are being previewed: Django runs them
   * against a copy of the state they advance, then gives the project's state its state_operations.
   */
  private separate: { index: number; op: OperationSummary; before: AppState } | null = null;
  /** Django's deferred SQL so far: later operations may rename or drop what it references. */
  private deferred: DeferredStatement[] = [];
  private readonly history: NameHistory;
  notes: string[] = [];

  constructor(private readonly input: PreviewInput) {
    this.state = input.before ?? AppState.empty(input.app, true);
    this.history = input.history?.clone() ?? new NameHistory();
  }

  private key(model: string): string {
    return `${this.input.app}.${model}`.toLowerCase();
  }

  /** Constraint names Django reads from the database are the ones it generated under today's names. */
  private checkNames(models: ReadonlyArray<string | undefined>, columns: readonly string[] = [], field?: string, together?: { option: 'unique_together' | 'index_together'; group: readonly string[] }): void {
    if (this.input.approximateNames) return;
    const [own] = models;
    const table = this.history.staleTable(models, field);
    if (table) cannot(`the table of ${table} was renamed after its constraints were created: Django drops them by the names the database holds, which the preview cannot know`);
    const column = own ? this.history.staleColumn(own, columns) : null;
    if (column) cannot(`the column ${column} was renamed after its constraints were created: Django drops them by the names the database holds, which the preview cannot know`);
    if (own && together && this.history.togetherNamedByOldDjango(own, together.option, together.group)) {
      cannot(`the ${together.option} index of (${together.group.join(', ')}) was made by a migration a Django before 1.9 wrote, which named them otherwise: Django drops it by the name the database holds, which the preview cannot know`);
    }
    const old = own && !together ? this.history.namedByOldDjango(own, columns, field) : null;
    if (old) cannot(`the index or constraint on ${old} was made by a migration a Django before 1.9 wrote, which named them otherwise: Django drops it by the name the database holds, which the preview cannot know`);
  }

  private table(m: ModelState): string {
    const t = defaultTable(m);
    if (t === undefined) cannot(`the table of ${m.name} is not known statically`);
    return truncateName(t, this.input.names.maxNameLength, this.input.names.digest);
  }

  /** A model of this app in a state: known, managed, not a proxy — or null when Django skips it. */
  private model(state: AppState, name: string | null): SqlModel | null {
    if (!name) cannot('the model name is not known statically');
    const entry = modelEntry(state, name);
    if (entry === 'unknown') cannot(`the state of ${name} before this operation is not known`);
    if (entry === 'absent') cannot(`no model ${name} in the state before this operation`);
    if (entry.options.managed === undefined || entry.options.proxy === undefined) cannot(`whether ${name} is managed is not known statically`);
    if (!entry.options.managed || entry.options.proxy) return null;
    return { state: entry, table: this.table(entry) };
  }

  private related(field: FieldSpec, from: SqlModel, states: readonly AppState[], hops = 0): RelatedTarget {
    const rel = field.relation;
    if (!rel) cannot('not a relation');
    if (rel.to.kind !== 'str') cannot('the related model is not a string reference (a swappable setting or a class)');
    const to = rel.to.value;
    const dot = to.indexOf('.');
    const [app, name] = to === 'self' ? [this.input.app, from.state.name] : dot === -1 ? [this.input.app, to] : [to.slice(0, dot), to.slice(dot + 1)];
    let target: { state: ModelState; table: string };
    if (app === this.input.app) {
      // Before the operation first; a model it creates or renames is found after it.
      const found = states.map((st) => modelEntry(st, name));
      const entry = name.toLowerCase() === from.state.name.toLowerCase() ? from.state : (found.find((e) => typeof e !== 'string') ?? found[0] ?? 'unknown');
      if (entry === 'unknown') cannot(`the state of ${to} is not known`);
      if (entry === 'absent') cannot(`no model ${to} in the state`);
      target = { state: entry, table: this.table(entry) };
    } else {
      const found = this.input.otherApp?.(app, name) ?? 'unknown';
      if (typeof found === 'string') cannot(`the model ${to} of another app is ${found === 'absent' ? 'not in the project' : 'not known'}`);
      target = found;
    }
    const fields = [...target.state.fields];
    const pair = rel.toField ? fields.find(([n]) => n === rel.toField) : fields.find(([, f]) => f?.primaryKey === true);
    if (!pair || !pair[1]) cannot(`the field ${to} points at is not known${rel.toField ? '' : ' (no explicit primary key)'}`);
    const [targetName, targetField] = pair;
    const column = targetField.dbColumn ?? (targetField.relation ? `${targetName}_id` : targetName);
    if (targetField.dbColumn === undefined) cannot('the target column is not known');
    // A key whose target column is itself a key (a multi-table child's parent link as its primary key, review 60:
    // Geotrek's `signage`, `trek_a`): its type is that key's target's, as Django's rel_db_type follows it.
    const relType = targetField.relation && targetField.relation.kind !== 'many-to-many' && hops < 4 ? this.related(targetField, target, states, hops + 1).relType : relatedType(targetField, this.input.target);
    return { model: `${app}.${name}`.toLowerCase(), table: target.table, column, relType, ...(targetField.primaryKey === true ? { primaryKey: true } : {}) };
  }

  /** The statements one operation runs; throws CannotPreview. */
  private run(op: OperationSummary, index: number, args: OperationArgs, after: AppState): Array<[string, StatementKind | undefined]> {
    const before = this.state;
    const editor = new SchemaEditor({
      target: this.input.target,
      names: this.input.names,
      origin: index,
      related: (field, from) => this.related(field, from, [before, after]),
      checkNames: (models, columns, field, together) => this.checkNames(models, columns, field, together),
    });
    // Deferred statements of earlier operations are shared, so renames and drops reach them.
    editor.deferred.push(...this.deferred);
    switch (args.kind) {
      case 'CreateModel': {
        const m = this.modelAfter(after, args.model);
        if (m) {
          const e = new SchemaEditor({
            target: this.input.target,
            names: this.input.names,
            origin: index,
            related: (field, from) => this.related(field, from, [after]),
            checkNames: (models, columns, field, together) => this.checkNames(models, columns, field, together),
          });
          e.createModel(m);
          editor.statements.push(...e.statements);
          editor.kinds.push(...e.kinds);
          editor.deferred.push(...e.deferred);
        }
        break;
      }
      case 'DeleteModel': {
        const m = this.model(before, args.model);
        if (m) editor.deleteModel(m);
        break;
      }
      case 'RenameModel':
      case 'AlterModelTable': {
        const m = this.model(before, args.model);
        const next = this.modelAfter(after, args.kind === 'RenameModel' ? args.newName : args.model);
        // From Django 4.1 a RenameModel that leaves the table name as it is (an explicit db_table) runs
        // no SQL at all: not the keys pointing at the model either (review 62: plane `0085`, `0090`).
        if (m && next && !(args.kind === 'RenameModel' && m.table === next.table && djangoAtLeast(this.input.target, 4, 1))) {
          editor.renameTable(m, next.table);
          if (args.kind === 'RenameModel') this.repointIncoming(editor, before, m, next);
        }
        break;
      }
      case 'AddField': {
        const m = this.model(before, args.model);
        const [name, field] = knownField(args.name, args.field);
        if (m) editor.addField(m, name, field);
        break;
      }
      case 'RemoveField': {
        const m = this.model(before, args.model);
        if (!args.name) cannot('the field name is not known statically');
        if (m) editor.removeField(m, ...knownField(args.name, m.state.fields.get(args.name) ?? null));
        break;
      }
      case 'AlterField': {
        const m = this.model(before, args.model);
        const [name, field] = knownField(args.name, args.field);
        if (m) {
          if (!m.state.fields.has(name)) cannot(`no field '${name}' on ${m.state.name} before this operation`);
          editor.alterField(m, ...knownField(name, m.state.fields.get(name) ?? null), name, field);
        }
        break;
      }
      case 'RenameField': {
        const m = this.model(before, args.model);
        if (!args.oldName || !args.newName) cannot('the field names are not known statically');
        if (m) {
          const [oldName, field] = knownField(args.oldName, m.state.fields.get(args.oldName) ?? null);
          editor.alterField(m, oldName, field, args.newName, field);
        }
        break;
      }
      case 'AddIndex': {
        const m = this.model(before, args.model);
        if (!args.index) cannot('the index cannot be read statically');
        if (m) editor.addIndex(m, args.index, args.concurrently);
        break;
      }
      case 'RemoveIndex': {
        const m = this.model(before, args.model);
        if (!args.name) cannot('the index name is not known statically');
        if (m) editor.removeIndex(args.name, args.concurrently);
        break;
      }
      case 'RenameIndex': {
        const m = this.model(before, args.model);
        if (!args.newName) cannot('the new index name is not known statically');
        if (!args.oldName) cannot('RenameIndex of an unnamed index (old_fields): Django finds its name in the database');
        if (m) editor.renameIndex(args.oldName, args.newName);
        break;
      }
      case 'AddConstraint': {
        const m = this.model(before, args.model);
        if (!args.constraint) cannot('the constraint cannot be read statically');
        if (m) editor.addConstraint(m, args.constraint, args.notValid);
        break;
      }
      case 'RemoveConstraint':
      case 'ValidateConstraint': {
        const m = this.model(before, args.model);
        if (!args.name) cannot('the constraint name is not known statically');
        if (m) {
          if (args.kind === 'RemoveConstraint') editor.removeConstraint(m, args.name);
          else editor.validateConstraint(m, args.name);
        }
        break;
      }
      case 'AlterTogether': {
        const m = this.model(before, args.model);
        if (!args.groups) cannot(`${args.option} is not known statically`);
        if (m) editor.alterTogether(m, args.option, args.groups);
        break;
      }
      default:
        cannot(`${op.name} is not previewed yet`);
    }
    this.deferred = editor.deferred;
    return editor.statements.map((sql, i) => [sql, editor.kinds[i]]);
  }

  private modelAfter(after: AppState, name: string | null): SqlModel | null {
    return this.model(after, name);
  }

  /**
   * RenameModel re-points the app's foreign keys at the new name: Django alters each (its
   * constraint dropped and re-created against the new table). Relations hidden with a
   * related_name ending in '+' are not among the model's related objects, and are left alone.
   */
  private repointIncoming(editor: SchemaEditor, state: AppState, old: SqlModel, renamed: SqlModel): void {
    const oldKey = this.key(old.state.name);
    for (const [, other] of state.models) {
      if (typeof other === 'string') continue;
      for (const [fieldName, f] of other.fields) {
        const rel = f?.relation;
        if (!f || !rel || rel.to.kind !== 'str') continue;
        const to = rel.to.value.includes('.') ? rel.to.value.toLowerCase() : this.key(rel.to.value);
        if (to !== oldKey || (rel.relatedName ?? '').endsWith('+')) continue;
        if (rel.kind === 'many-to-many') cannot('a ManyToManyField points at the renamed model: its table is altered too, which the preview does not follow');
        const self = other.name.toLowerCase() === old.state.name.toLowerCase();
        const holder = self ? renamed : this.model(state, other.name);
        if (!holder) continue;
        const moved = { ...f, relation: { ...rel, to: { kind: 'str' as const, value: `${this.input.app}.${renamed.state.name}` } } };
        editor.alterField(holder, fieldName, f, fieldName, moved);
      }
    }
    this.notes.push('foreign keys of other apps pointing at this model are re-created the same way; the preview shows this app’s only');
  }

  operation(op: OperationSummary, index: number): { statements: Array<[string, StatementKind | undefined]>; comment: string | null; reason: string | null } {
    if (this.separate && op.container !== this.separate.index) {
      this.state = applyMigration(this.separate.before, [this.separate.op], true, 'state');
      this.separate = null;
    }
    if (op.specName === 'SeparateDatabaseAndState') this.separate = { index, op, before: this.state };
    const after = op.specName === 'SeparateDatabaseAndState' ? this.state : applyMigration(this.state, [op], true, 'database');
    this.notes = [];
    try {
      if (op.branches.length > 0 || !op.certain) cannot('the operation runs only on one branch of a condition or loop');
      const spec = op.specName ? OPERATION_CATALOG.get(op.specName) : undefined;
      if (!spec || !op.specName) cannot(`${op.name} is not an operation Django or django.contrib.postgres defines`);
      if (op.databaseEffect === 'custom') cannot(`${op.name} overrides database_forwards`);
      if (op.databaseEffect === 'none' || spec.role === 'no-database') return { statements: [], comment: "changes only Django's state", reason: null };
      if (spec.role === 'separate') return { statements: [], comment: 'its database_operations follow', reason: null };
      if (spec.role === 'run-python') return { statements: [], comment: 'Raw Python operation', reason: null };
      if (spec.role === 'run-sql') {
        if (op.sql === null) cannot('the SQL is computed, or has parameters Django fills in');
        return { statements: op.sql.map((s) => [s.endsWith(';') ? s : `${s};`, undefined]), comment: null, reason: null };
      }
      if (this.input.target.vendor !== 'postgresql') cannot(`the preview writes PostgreSQL's SQL; the target database is ${this.input.target.vendor}`);
      if (spec.role === 'schema-global') cannot(`${op.name} is not previewed yet`);
      if (!op.args) cannot('the arguments cannot be read statically');
      return { statements: this.run(op, index, op.args, after), comment: null, reason: null };
    } catch (e) {
      // A defect of ours must not cost the other operations their preview (nor the editor its hover).
      const reason = e instanceof CannotPreview ? e.message : `internal error (${e instanceof Error ? e.message : String(e)})`;
      return { statements: [], comment: null, reason };
    } finally {
      this.state = after;
      this.recordRenames(op);
    }
  }

  /** Later operations of this migration see the renames of earlier ones. */
  private recordRenames(op: OperationSummary): void {
    if (op.args) this.history.record(this.input.app, op.args, this.input.summary.namedBefore19 === true);
  }

  remainingDeferred(): DeferredStatement[] {
    return this.deferred;
  }
}

/** The preview of one migration. */
export function previewMigration(input: PreviewInput): MigrationPreview {
  const p = new Previewer(input);
  const { summary, target } = input;
  const atomic = summary.atomic;
  const operations: OperationPreview[] = summary.operations.map((op, index) => {
    const r = p.operation(op, index);
    return {
      index,
      name: op.name,
      label: op.label,
      range: op.range,
      callRange: op.callRange,
      container: op.container,
      statements: r.statements.map(([sql, kind]) => statement(sql, target, false, kind)),
      deferred: [],
      comment: r.comment,
      notes: p.notes,
      cannotPreview: r.reason,
      transaction: transactionOf(op, atomic),
    };
  });
  // Deferred statements are rendered last: renames and drops after them have reached them.
  const deferred: StatementPreview[] = [];
  for (const d of p.remainingDeferred()) {
    const s = statement(d.sql, target, true);
    deferred.push(s);
    operations[d.origin]?.deferred.push(s);
  }
  return { atomic, stateKnown: input.before !== null, operations, deferred };
}

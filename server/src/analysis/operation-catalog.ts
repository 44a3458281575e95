/**
 * What Django's built-in migration operations (and django.contrib.postgres's) are: their
 * parameters in Django's positional order (as in django/db/migrations/operations/*.py and
 * django/contrib/postgres/operations.py), the parameter naming the model, and what they do to
 * the database — the facts the rules reason from. Names not listed here are unknown and never
 * counted.
 */

export type OperationRole =
  | 'schema' // changes the schema of a model's table
  | 'create-model' // creates a table (unless proxy / unmanaged)
  | 'schema-global' // changes the database but no model table (extensions, collations)
  | 'no-database' // changes only Django's model state
  | 'run-python'
  | 'run-sql'
  | 'separate'; // SeparateDatabaseAndState

export interface OperationSpec {
  role: OperationRole;
  /** Django's parameters, in positional order. */
  params: readonly string[];
  /** The parameter that names the model whose table it touches. */
  modelParam?: string;
  /** PostgreSQL refuses this operation inside a transaction. */
  nonTransactional?: boolean;
}

const model = (role: OperationRole, modelParam: string, ...params: string[]): OperationSpec => ({ role, params, modelParam });
const global = (...params: string[]): OperationSpec => ({ role: 'schema-global', params });

export const OPERATION_CATALOG: ReadonlyMap<string, OperationSpec> = new Map<string, OperationSpec>([
  ['CreateModel', model('create-model', 'name', 'name', 'fields', 'options', 'bases', 'managers')],
  ['DeleteModel', model('schema', 'name', 'name')],
  ['RenameModel', model('schema', 'old_name', 'old_name', 'new_name')],
  ['AlterModelTable', model('schema', 'name', 'name', 'table')],
  ['AlterModelTableComment', model('schema', 'name', 'name', 'table_comment')],
  ['AlterUniqueTogether', model('schema', 'name', 'name', 'unique_together')],
  ['AlterIndexTogether', model('schema', 'name', 'name', 'index_together')],
  ['AlterOrderWithRespectTo', model('schema', 'name', 'name', 'order_with_respect_to')],
  ['AlterModelOptions', model('no-database', 'name', 'name', 'options')],
  ['AlterModelManagers', model('no-database', 'name', 'name', 'managers')],
  ['AddField', model('schema', 'model_name', 'model_name', 'name', 'field', 'preserve_default')],
  // FieldOperation's own signature: RemoveField takes (and ignores) a `field` too (DMOJ's judge/0123 passes one).
  ['RemoveField', model('schema', 'model_name', 'model_name', 'name', 'field')],
  ['AlterField', model('schema', 'model_name', 'model_name', 'name', 'field', 'preserve_default')],
  ['RenameField', model('schema', 'model_name', 'model_name', 'old_name', 'new_name')],
  ['AddIndex', model('schema', 'model_name', 'model_name', 'index')],
  ['RemoveIndex', model('schema', 'model_name', 'model_name', 'name')],
  ['RenameIndex', model('schema', 'model_name', 'model_name', 'new_name', 'old_name', 'old_fields')],
  ['AddConstraint', model('schema', 'model_name', 'model_name', 'constraint')],
  ['RemoveConstraint', model('schema', 'model_name', 'model_name', 'name')],
  ['AlterConstraint', model('schema', 'model_name', 'model_name', 'name', 'constraint')],
  // django.contrib.postgres.operations
  ['AddIndexConcurrently', { ...model('schema', 'model_name', 'model_name', 'index'), nonTransactional: true }],
  ['RemoveIndexConcurrently', { ...model('schema', 'model_name', 'model_name', 'name'), nonTransactional: true }],
  ['AddConstraintNotValid', model('schema', 'model_name', 'model_name', 'constraint')],
  ['ValidateConstraint', model('schema', 'model_name', 'model_name', 'name')],
  ['CreateExtension', global('name')],
  ['BloomExtension', global()],
  ['BtreeGinExtension', global()],
  ['BtreeGistExtension', global()],
  ['CITextExtension', global()],
  ['CryptoExtension', global()],
  ['HStoreExtension', global()],
  ['TrigramExtension', global()],
  ['UnaccentExtension', global()],
  ['CreateCollation', global('name', 'locale', 'provider', 'deterministic')],
  ['RemoveCollation', global('name', 'locale', 'provider', 'deterministic')],
  ['RunPython', { role: 'run-python', params: ['code', 'reverse_code', 'atomic', 'hints', 'elidable'] }],
  ['RunSQL', { role: 'run-sql', params: ['sql', 'reverse_sql', 'state_operations', 'hints', 'elidable'] }],
  ['SeparateDatabaseAndState', { role: 'separate', params: ['database_operations', 'state_operations'] }],
]);

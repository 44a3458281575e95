/**
 * What Django's built-in migration operations (and django.contrib.postgres's) do to the database:
 * the facts the rules reason from. Names not listed here are unknown and never counted.
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
  /** Where the model name is passed: keyword and position. */
  model?: readonly [keyword: string, position: number];
  /** PostgreSQL refuses this operation inside a transaction. */
  nonTransactional?: boolean;
}

const MODEL_NAME: readonly [string, number] = ['model_name', 0];
const NAME: readonly [string, number] = ['name', 0];

export const OPERATION_CATALOG: ReadonlyMap<string, OperationSpec> = new Map<string, OperationSpec>([
  ['CreateModel', { role: 'create-model', model: NAME }],
  ['DeleteModel', { role: 'schema', model: NAME }],
  ['RenameModel', { role: 'schema', model: ['old_name', 0] }],
  ['AlterModelTable', { role: 'schema', model: NAME }],
  ['AlterModelTableComment', { role: 'schema', model: NAME }],
  ['AlterUniqueTogether', { role: 'schema', model: NAME }],
  ['AlterIndexTogether', { role: 'schema', model: NAME }],
  ['AlterOrderWithRespectTo', { role: 'schema', model: NAME }],
  ['AlterModelOptions', { role: 'no-database', model: NAME }],
  ['AlterModelManagers', { role: 'no-database', model: NAME }],
  ['AddField', { role: 'schema', model: MODEL_NAME }],
  ['RemoveField', { role: 'schema', model: MODEL_NAME }],
  ['AlterField', { role: 'schema', model: MODEL_NAME }],
  ['RenameField', { role: 'schema', model: MODEL_NAME }],
  ['AddIndex', { role: 'schema', model: MODEL_NAME }],
  ['RemoveIndex', { role: 'schema', model: MODEL_NAME }],
  ['RenameIndex', { role: 'schema', model: MODEL_NAME }],
  ['AddConstraint', { role: 'schema', model: MODEL_NAME }],
  ['RemoveConstraint', { role: 'schema', model: MODEL_NAME }],
  ['AlterConstraint', { role: 'schema', model: MODEL_NAME }],
  // django.contrib.postgres.operations
  ['AddIndexConcurrently', { role: 'schema', model: MODEL_NAME, nonTransactional: true }],
  ['RemoveIndexConcurrently', { role: 'schema', model: MODEL_NAME, nonTransactional: true }],
  ['AddConstraintNotValid', { role: 'schema', model: MODEL_NAME }],
  ['ValidateConstraint', { role: 'schema', model: MODEL_NAME }],
  ['CreateExtension', { role: 'schema-global' }],
  ['BloomExtension', { role: 'schema-global' }],
  ['BtreeGinExtension', { role: 'schema-global' }],
  ['BtreeGistExtension', { role: 'schema-global' }],
  ['CITextExtension', { role: 'schema-global' }],
  ['CryptoExtension', { role: 'schema-global' }],
  ['HStoreExtension', { role: 'schema-global' }],
  ['TrigramExtension', { role: 'schema-global' }],
  ['UnaccentExtension', { role: 'schema-global' }],
  ['CreateCollation', { role: 'schema-global' }],
  ['RemoveCollation', { role: 'schema-global' }],
  ['RunPython', { role: 'run-python' }],
  ['RunSQL', { role: 'run-sql' }],
  ['SeparateDatabaseAndState', { role: 'separate' }],
]);

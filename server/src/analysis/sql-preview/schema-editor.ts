/**
 * The statements Django's PostgreSQL schema editor runs for each schema change, reproduced from
 * the model state: CREATE TABLE with its deferred indexes and foreign keys, ADD COLUMN with the
 * default Django adds and drops at once, AlterField's sequence (drop what changes, alter, re-add),
 * index and constraint DDL with Django's generated names. Statements Django defers to the end of
 * the migration (indexes, foreign keys, unique_together of new tables) are kept as objects that
 * later renames and drops in the same migration can still change, as Django's are.
 */
import { djangoMadeJoinTable, fieldColumn, type ConstraintSpec, type FieldSpec, type IndexSpec } from '../fields';
import type { StatementKind } from '../locks/lock-table';
import type { DatabaseNames } from '../project/view';
import type { ModelState } from '../project/state';
import type { TargetDatabase } from '../target-database';
import { cannot, columnType, effectiveDefault, hasDefault, quoteName, requireAbsent, type ColumnType, type RelatedTarget } from './columns';
import { checkConstraintSql, createIndexSql, deferrableSql, indexParts, partialUniqueSql, uniqueColumnsSql, type ColumnsOf } from './constraint-sql';
import { DeferredStatement } from './deferred';
import { binaryCompatible, knownOptions, likeOpclass, sameCallButNonDb, sameDeconstruction } from './field-diff';
import { createIndexName, foreignKeyName } from './names';

/** A model as the schema editor sees it: its state and its real table name. */
export interface SqlModel {
  state: ModelState;
  table: string;
}

export interface EditorContext {
  target: TargetDatabase;
  names: DatabaseNames;
  /** The field a relation points at (its table, column and type); throws CannotPreview when unknown. */
  related(field: FieldSpec, from: SqlModel): RelatedTarget;
  /** Index of the operation being previewed (deferred statements remember it). */
  origin: number;
  /** Throws CannotPreview when a name Django reads back from the database may differ from the generated one. */
  checkNames(models: ReadonlyArray<string | undefined>, columns?: readonly string[], field?: string, together?: { option: 'unique_together' | 'index_together'; group: readonly string[] }): void;
}

/** Keywords whose SQL the preview does not write. */
const UNMODELLED_FIELD_KEYWORDS = ['db_collation', 'db_tablespace', 'db_comment', 'db_default', 'generated', 'db_persist'];

export class SchemaEditor {
  readonly statements: string[] = [];
  /** The lock-table kind of a statement when its text alone does not tell (a binary-compatible ALTER TYPE). */
  readonly kinds: Array<StatementKind | undefined> = [];
  readonly deferred: DeferredStatement[] = [];

  constructor(private readonly ctx: EditorContext) {}

  private run(sql: string, kind?: StatementKind): void {
    this.statements.push(sql.endsWith(';') ? sql : `${sql};`);
    this.kinds.push(kind);
  }

  private defer(table: string, columns: string[], render: (d: DeferredStatement) => string, toTable: string | null = null): void {
    this.deferred.push(new DeferredStatement(table, columns, render, this.ctx.origin, toTable));
  }

  /** The model's fields by name, as the constraint SQL reads them (constraint-sql.ts). */
  private columnsOf(model: SqlModel): ColumnsOf {
    return (name) => ({ column: this.columnOfName(model, name), field: model.state.fields.get(name) ?? null });
  }

  private indexName(table: string, columns: readonly string[], suffix = ''): string {
    return createIndexName(this.ctx.names, table, columns, suffix);
  }

  // --- Fields ------------------------------------------------------------------------------

  column(name: string, field: FieldSpec | null): string {
    if (!field) cannot(`the field '${name}' cannot be read statically`);
    if (!field.builtin) cannot(`${field.cls} is not one of Django's field classes we model`);
    const col = fieldColumn(name, field);
    if (col === undefined) cannot(`the column of '${name}' is not known`);
    if (col === null) cannot(`'${name}' has no column`);
    return col;
  }

  private fieldOf(model: SqlModel, name: string): FieldSpec {
    if (!model.state.fields.has(name)) {
      // `category_id` (a foreign key's attname) and `pk` name fields too.
      for (const [n, f] of model.state.fields) if (f && (f.relation ? `${n}_id` === name : false)) return f;
      cannot(`${model.state.name} has no field '${name}' in the state before this operation`);
    }
    const f = model.state.fields.get(name) ?? null;
    if (!f) cannot(`the field '${name}' cannot be read statically`);
    return f;
  }

  /** A field name (as Index, Q and unique_together write it) → its column. */
  columnOfName(model: SqlModel, name: string): string {
    if (name === 'pk') {
      const pk = [...model.state.fields].find(([, f]) => f?.primaryKey);
      if (!pk) cannot('no primary key in the state');
      return this.column(pk[0], pk[1]);
    }
    if (!model.state.fields.has(name)) {
      for (const [n, f] of model.state.fields) if (f?.relation && `${n}_id` === name) return this.column(n, f);
    }
    return this.column(name, this.fieldOf(model, name));
  }

  private type(model: SqlModel, name: string, field: FieldSpec): ColumnType {
    return columnType(field, this.column(name, field), this.ctx.target, (f) => this.ctx.related(f, model));
  }

  private bool(v: boolean | undefined, what: string): boolean {
    if (v === undefined) cannot(`${what} is not known statically`);
    return v;
  }

  /** Django's column_sql: the type, the default (when asked), NULL / NOT NULL, PRIMARY KEY / UNIQUE. */
  private columnSql(model: SqlModel, name: string, field: FieldSpec, includeDefault: boolean): { sql: string; type: ColumnType; defaultValue: string | null } | null {
    requireAbsent(field.call, UNMODELLED_FIELD_KEYWORDS, field.cls);
    const type = this.type(model, name, field);
    if (type.type === null) return null;
    let sql = type.type;
    const defaultValue = includeDefault ? effectiveDefault(field) : null;
    if (defaultValue !== null) sql += ` DEFAULT ${defaultValue}`;
    sql += this.bool(field.null, 'null') ? ' NULL' : ' NOT NULL';
    if (this.bool(field.primaryKey, 'primary_key')) sql += ' PRIMARY KEY';
    else if (this.bool(field.unique, 'unique')) sql += ' UNIQUE';
    return { sql, type, defaultValue };
  }

  private fkStatement(table: string, column: string, rel: RelatedTarget): DeferredStatement {
    return new DeferredStatement(
      table,
      [column],
      (d) =>
        `ALTER TABLE ${quoteName(d.table)} ADD CONSTRAINT ${quoteName(foreignKeyName(this.ctx.names, d.table, column, d.toTable ?? rel.table, rel.column))} FOREIGN KEY (${quoteName(d.columns[0] as string)}) REFERENCES ${quoteName(d.toTable ?? rel.table)} (${quoteName(rel.column)}) DEFERRABLE INITIALLY DEFERRED;`,
      this.ctx.origin,
      rel.table,
    );
  }

  /** A field's own index (db_index) and PostgreSQL's extra `_like` index for varchar/text columns. */
  private fieldIndexes(model: SqlModel, name: string, field: FieldSpec, type: ColumnType, deferred: boolean): void {
    const column = this.column(name, field);
    const dbIndex = this.bool(field.dbIndex, 'db_index');
    const unique = this.bool(field.unique, 'unique');
    const emit = (suffix: string, opclass: string | null): void => {
      const render = (d: DeferredStatement): string =>
        createIndexSql(d.table, this.indexName(d.table, d.columns, suffix), `${quoteName(d.columns[0] as string)}${opclass ? ` ${opclass}` : ''}`);
      if (deferred) this.defer(model.table, [column], render);
      else this.run(render(new DeferredStatement(model.table, [column], render, this.ctx.origin)));
    };
    if (dbIndex && !unique) emit('', null);
    const like = likeOpclass(type, dbIndex || unique);
    if (like) emit('_like', like);
  }

  // --- Models ------------------------------------------------------------------------------

  createModel(model: SqlModel): void {
    const { state } = model;
    const options = knownOptions(state.options);
    for (const group of options.uniqueTogether) {
      const columns = group.map((f) => this.columnOfName(model, f));
      this.defer(model.table, columns, (d) => `ALTER TABLE ${quoteName(d.table)} ADD CONSTRAINT ${quoteName(this.indexName(d.table, d.columns, '_uniq'))} UNIQUE (${d.columns.map(quoteName).join(', ')});`);
    }
    const definitions: string[] = [];
    const indexed: Array<[string, FieldSpec, ColumnType]> = [];
    for (const [name, field] of state.fields) {
      if (!field) cannot(`the field '${name}' cannot be read statically`);
      if (field.relation?.kind === 'many-to-many') cannot(`the ManyToManyField '${name}' creates its own table, which the preview does not write`);
      const col = this.columnSql(model, name, field, false);
      if (!col) continue;
      let def = col.sql;
      if (col.type.check) def += ` CHECK (${col.type.check})`;
      if (col.type.suffix) def += ` ${col.type.suffix}`;
      if (field.relation && field.relation.dbConstraint !== false) {
        if (field.relation.dbConstraint === undefined) cannot('db_constraint is not known statically');
        this.deferred.push(this.fkStatement(model.table, this.column(name, field), this.ctx.related(field, model)));
      }
      definitions.push(`${quoteName(this.column(name, field))} ${def}`);
      indexed.push([name, field, col.type]);
    }
    for (const c of options.constraints) {
      const sql = this.constraintSql(model, c);
      if (sql) definitions.push(sql);
    }
    this.run(`CREATE TABLE ${quoteName(model.table)} (${definitions.join(', ')})`);
    for (const [name, field, type] of indexed) this.fieldIndexes(model, name, field, type, true);
    for (const group of options.indexTogether) {
      const columns = group.map((f) => this.columnOfName(model, f));
      this.defer(model.table, columns, (d) => createIndexSql(d.table, this.indexName(d.table, d.columns, '_idx'), d.columns.map(quoteName).join(', ')));
    }
    for (const index of options.indexes) {
      const { name, columnsSql, where } = indexParts(index, this.columnsOf(model));
      this.defer(model.table, [], (d) => createIndexSql(d.table, name, columnsSql, false, false, where));
    }
  }

  deleteModel(model: SqlModel): void {
    this.noManyToMany(model);
    this.run(`DROP TABLE ${quoteName(model.table)} CASCADE`);
    this.dropDeferred((d) => d.table === model.table || d.toTable === model.table);
  }

  renameTable(model: SqlModel, newTable: string): void {
    this.noManyToMany(model);
    if (model.table === newTable) return;
    this.run(`ALTER TABLE ${quoteName(model.table)} RENAME TO ${quoteName(newTable)}`);
    for (const d of this.deferred) {
      if (d.table === model.table) d.table = newTable;
      if (d.toTable === model.table) d.toTable = newTable;
    }
  }

  private noManyToMany(model: SqlModel): void {
    for (const [name, f] of model.state.fields) {
      if (!f) cannot(`the field '${name}' cannot be read statically`);
      if (f.relation?.kind === 'many-to-many') cannot(`the ManyToManyField '${name}' has its own table, which the preview does not follow`);
    }
  }

  private dropDeferred(hit: (d: DeferredStatement) => boolean): void {
    for (let i = this.deferred.length - 1; i >= 0; i--) if (hit(this.deferred[i] as DeferredStatement)) this.deferred.splice(i, 1);
  }

  // --- Columns -----------------------------------------------------------------------------

  addField(model: SqlModel, name: string, field: FieldSpec): void {
    if (field.relation?.kind === 'many-to-many') cannot('a ManyToManyField adds a table, which the preview does not write');
    const col = this.columnSql(model, name, field, true);
    if (!col) return;
    const column = this.column(name, field);
    let def = col.sql;
    // Django 4.1's identity columns: add_field appends the type's suffix as create_model does.
    if (col.type.suffix) def += ` ${col.type.suffix}`;
    if (col.type.check) def += ` CHECK (${col.type.check})`;
    if (field.relation && field.relation.dbConstraint !== false) {
      if (field.relation.dbConstraint === undefined) cannot('db_constraint is not known statically');
      const rel = this.ctx.related(field, model);
      const fk = quoteName(foreignKeyName(this.ctx.names, model.table, column, rel.table, rel.column));
      def += ` CONSTRAINT ${fk} REFERENCES ${quoteName(rel.table)}(${quoteName(rel.column)}) DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS ${fk} IMMEDIATE`;
    }
    this.run(`ALTER TABLE ${quoteName(model.table)} ADD COLUMN ${quoteName(column)} ${def}`);
    if (col.defaultValue !== null) this.run(`ALTER TABLE ${quoteName(model.table)} ALTER COLUMN ${quoteName(column)} DROP DEFAULT`);
    this.fieldIndexes(model, name, field, col.type, true);
  }

  removeField(model: SqlModel, name: string, field: FieldSpec): void {
    if (field.relation?.kind === 'many-to-many') {
      // Django drops only the join table it made itself: an explicit `through` model's table stays.
      if (djangoMadeJoinTable(field.relation) === false) return;
      cannot('removing a ManyToManyField drops its table, which the preview does not write');
    }
    const column = this.column(name, field);
    if (field.relation) {
      if (field.relation.dbConstraint === undefined) cannot('db_constraint is not known statically');
      if (field.relation.dbConstraint) this.dropForeignKey(model, name, column, this.ctx.related(field, model));
    }
    this.run(`ALTER TABLE ${quoteName(model.table)} DROP COLUMN ${quoteName(column)} CASCADE`);
    this.dropDeferred((d) => d.table === model.table && d.columns.includes(column));
  }

  /** DROP INDEX of an index Django named itself (found in the database by its columns). */
  private dropGeneratedIndex(model: SqlModel, column: string, suffix: string): void {
    this.ctx.checkNames([this.modelKey(model)], [column]);
    this.run(`DROP INDEX IF EXISTS ${quoteName(this.indexName(model.table, [column], suffix))}`);
  }

  private modelKey(model: SqlModel): string {
    return `${model.state.app}.${model.state.name}`.toLowerCase();
  }

  private dropForeignKey(model: SqlModel, name: string, column: string, rel: RelatedTarget): void {
    // Only a table renamed after the foreign key was created leaves it with an old name.
    this.ctx.checkNames([this.modelKey(model), rel.model], [], `${this.modelKey(model)}#${name}`);
    const fk = quoteName(foreignKeyName(this.ctx.names, model.table, column, rel.table, rel.column));
    this.run(`SET CONSTRAINTS ${fk} IMMEDIATE; ALTER TABLE ${quoteName(model.table)} DROP CONSTRAINT ${fk}`);
  }

  /**
   * The field as Django's deconstruct() gives it: a `to_field` naming the target's primary key is
   * left out (review 41: pulpcore's `to_field="pulp_id"` dropped by makemigrations changes nothing).
   */
  private deconstructed(model: SqlModel, field: FieldSpec): FieldSpec {
    const rel = field.relation;
    if (!rel?.toField) return field;
    let target: RelatedTarget;
    try {
      target = this.ctx.related(field, model);
    } catch {
      return field;
    }
    return target.primaryKey ? { ...field, relation: { ...rel, toField: null } } : field;
  }

  /** Django's alter_field on PostgreSQL (also what RenameField runs). */
  alterField(model: SqlModel, oldName: string, given: FieldSpec, newName: string, givenNew: FieldSpec): void {
    const oldField = this.deconstructed(model, given);
    const newField = this.deconstructed(model, givenNew);
    const table = quoteName(model.table);
    if (oldField.relation?.kind === 'many-to-many' || newField.relation?.kind === 'many-to-many') {
      // No column: only `blank`, `help_text` and the like changing is no SQL at all (course-discovery 0206).
      if (oldName === newName && sameDeconstruction(oldField, newField)) return;
      cannot('altering a ManyToManyField changes its table, which the preview does not follow');
    }
    if (oldName === newName && !oldField.builtin && sameCallButNonDb(oldField, newField)) return;
    const oldColumn = this.column(oldName, oldField);
    const newColumn = this.column(newName, newField);
    if (oldColumn === newColumn && sameDeconstruction(oldField, newField)) return;
    requireAbsent(oldField.call, UNMODELLED_FIELD_KEYWORDS, oldField.cls);
    requireAbsent(newField.call, UNMODELLED_FIELD_KEYWORDS, newField.cls);
    const oldType = this.type(model, oldName, oldField);
    const newType = this.type(model, newName, newField);
    const [oldNull, newNull] = [this.bool(oldField.null, 'null'), this.bool(newField.null, 'null')];
    const [oldUnique, newUnique] = [this.bool(oldField.unique, 'unique'), this.bool(newField.unique, 'unique')];
    const [oldIndex, newIndex] = [this.bool(oldField.dbIndex, 'db_index'), this.bool(newField.dbIndex, 'db_index')];
    const [oldPk, newPk] = [this.bool(oldField.primaryKey, 'primary_key'), this.bool(newField.primaryKey, 'primary_key')];
    if (oldPk !== newPk || (oldPk && oldType.type !== newType.type)) cannot('a primary key change also alters every foreign key pointing at it');
    if (oldUnique && newUnique && oldType.type !== newType.type) cannot('a unique column changing type also alters the foreign keys that may point at it');
    if (/serial$/.test(oldType.type ?? '') !== /serial$/.test(newType.type ?? '') || (oldType.suffix ?? '') !== (newType.suffix ?? '')) cannot('changing to or from an auto field recreates its sequence');
    if (oldType.check !== newType.check && oldType.check) cannot("the name of the column's existing CHECK depends on how it was created");
    const oldT = oldType.type ?? '';
    const newT = newType.type ?? '';
    // PostgreSQL: a varchar/text column leaving its family loses its _like index first.
    if ((oldIndex || oldUnique) && ((oldT.startsWith('varchar') && !newT.startsWith('varchar')) || (oldT.startsWith('text') && !newT.startsWith('text')))) {
      this.dropGeneratedIndex(model, oldColumn, '_like');
    }
    const oldFk = !!oldField.relation && oldField.relation.dbConstraint !== false;
    if (oldFk) this.dropForeignKey(model, oldName, oldColumn, this.ctx.related(oldField, model));
    if (oldUnique && !newUnique) cannot('the name of the unique constraint being dropped depends on how it was created');
    if (oldIndex && !oldUnique && (!newIndex || newUnique)) {
      this.dropGeneratedIndex(model, oldColumn, '');
      if (likeOpclass(oldType, true)) this.dropGeneratedIndex(model, oldColumn, '_like');
    }
    if (oldColumn !== newColumn) {
      this.run(`ALTER TABLE ${table} RENAME COLUMN ${quoteName(oldColumn)} TO ${quoteName(newColumn)}`);
      for (const d of this.deferred) if (d.table === model.table) d.columns = d.columns.map((c) => (c === oldColumn ? newColumn : c));
    }
    const col = quoteName(newColumn);
    let actions: string[] = [];
    const nullActions: string[] = [];
    if (oldT !== newT) actions.push(`ALTER COLUMN ${col} TYPE ${newT}${oldType.template !== newType.template ? ` USING ${col}::${newT}` : ''}`);
    let needsDatabaseDefault = false;
    let newDefault: string | null = null;
    if (oldNull && !newNull) {
      const oldDefault = effectiveDefault(oldField);
      newDefault = effectiveDefault(newField);
      if (oldDefault !== newDefault && newDefault !== null) {
        needsDatabaseDefault = true;
        actions.push(`ALTER COLUMN ${col} SET DEFAULT ${newDefault}`);
      }
    }
    if (oldNull !== newNull) nullActions.push(`ALTER COLUMN ${col} ${newNull ? 'DROP NOT NULL' : 'SET NOT NULL'}`);
    const fourWay = hasDefault(newField) && oldNull && !newNull;
    if (actions.length > 0 || nullActions.length > 0) {
      if (!fourWay) actions = [...actions, ...nullActions];
      const widen = actions.length === 1 && oldT !== newT && binaryCompatible(oldT, newT);
      if (actions.length > 0) this.run(`ALTER TABLE ${table} ${actions.join(', ')}`, widen ? 'alter-column-type-widen' : undefined);
      if (fourWay) {
        if (newDefault === null) cannot('the default is not known statically');
        this.run(`UPDATE ${table} SET ${col} = ${newDefault} WHERE ${col} IS NULL`);
        for (const a of nullActions) this.run(`ALTER TABLE ${table} ${a}`);
      }
    }
    if (!oldUnique && newUnique) this.run(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteName(this.indexName(model.table, [newColumn], '_uniq'))} UNIQUE (${col})`);
    if ((!oldIndex || oldUnique) && newIndex && !newUnique) this.run(createIndexSql(model.table, this.indexName(model.table, [newColumn]), col));
    const newFk = !!newField.relation && newField.relation.dbConstraint !== false;
    if (newFk) this.run(this.fkStatement(model.table, newColumn, this.ctx.related(newField, model)).sql);
    if (newType.check && newType.check !== oldType.check) {
      this.run(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteName(this.indexName(model.table, [newColumn], '_check'))} CHECK (${newType.check})`);
    }
    if (needsDatabaseDefault) this.run(`ALTER TABLE ${table} ALTER COLUMN ${col} DROP DEFAULT`);
    // PostgreSQL's extra varchar/text index when an index or uniqueness arrives, and its removal.
    if ((!(oldIndex || oldUnique) && newIndex) || (!oldUnique && newUnique)) {
      const like = likeOpclass(newType, true);
      if (like) this.run(createIndexSql(model.table, this.indexName(model.table, [newColumn], '_like'), `${col} ${like}`));
    }
    if (oldUnique && !(newIndex || newUnique)) this.dropGeneratedIndex(model, oldColumn, '_like');
  }

  // --- Indexes and constraints -------------------------------------------------------------

  addIndex(model: SqlModel, index: IndexSpec, concurrently: boolean): void {
    const { name, columnsSql, where } = indexParts(index, this.columnsOf(model));
    this.run(createIndexSql(model.table, name, columnsSql, concurrently, false, where));
  }

  renameIndex(oldName: string, newName: string): void {
    this.run(`ALTER INDEX ${quoteName(oldName)} RENAME TO ${quoteName(newName)}`);
  }

  removeIndex(name: string, concurrently: boolean): void {
    this.run(`DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${quoteName(name)}`);
  }

  /** The inline form used in CREATE TABLE (`CONSTRAINT "x" UNIQUE ("a")`). */
  private constraintSql(model: SqlModel, c: ConstraintSpec): string | null {
    if (!c.name) cannot('the constraint has no readable name');
    if (c.kind === 'unique' && c.partial) {
      // A conditional unique constraint is a partial unique index, created with the deferred SQL.
      const sql = partialUniqueSql(model.table, c, c.name, this.columnsOf(model));
      this.defer(model.table, [], () => sql);
      return null;
    }
    if (c.kind === 'unique') return `CONSTRAINT ${quoteName(c.name)} UNIQUE (${uniqueColumnsSql(c, this.columnsOf(model))})${deferrableSql(c)}`;
    if (c.kind === 'check') return `CONSTRAINT ${quoteName(c.name)} CHECK (${checkConstraintSql(c, this.columnsOf(model))})`;
    cannot(`${c.cls} is not modelled`);
  }

  addConstraint(model: SqlModel, c: ConstraintSpec, notValid: boolean): void {
    if (!c.name) cannot('the constraint has no readable name');
    const table = quoteName(model.table);
    if (c.kind === 'unique' && !notValid && c.partial) {
      this.run(partialUniqueSql(model.table, c, c.name, this.columnsOf(model)));
      return;
    }
    if (c.kind === 'unique' && !notValid) {
      this.run(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteName(c.name)} UNIQUE (${uniqueColumnsSql(c, this.columnsOf(model))})${deferrableSql(c)}`);
      return;
    }
    if (c.kind === 'check') {
      this.run(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteName(c.name)} CHECK (${checkConstraintSql(c, this.columnsOf(model))})${notValid ? ' NOT VALID' : ''}`);
      return;
    }
    cannot(`${c.cls}${notValid ? ' with NOT VALID' : ''} is not modelled`);
  }

  removeConstraint(model: SqlModel, name: string): void {
    const known = knownOptions(model.state.options).constraints.find((c) => c.name === name);
    if (!known) cannot(`no constraint named '${name}' in the state before this operation`);
    if (known.kind === 'unique' && known.partial) {
      this.run(`DROP INDEX IF EXISTS ${quoteName(name)}`);
      return;
    }
    if (known.kind !== 'unique' && known.kind !== 'check') cannot(`${known.cls} is not modelled`);
    this.run(`ALTER TABLE ${quoteName(model.table)} DROP CONSTRAINT ${quoteName(name)}`);
  }

  validateConstraint(model: SqlModel, name: string): void {
    this.run(`ALTER TABLE ${quoteName(model.table)} VALIDATE CONSTRAINT ${quoteName(name)}`);
  }

  alterTogether(model: SqlModel, option: 'unique_together' | 'index_together', groups: string[][]): void {
    const options = knownOptions(model.state.options);
    const before = option === 'unique_together' ? options.uniqueTogether : options.indexTogether;
    const key = (g: string[]): string => JSON.stringify(g);
    const olds = new Map(before.map((g) => [key(g), g]));
    const news = new Map(groups.map((g) => [key(g), g]));
    const table = quoteName(model.table);
    for (const [k, g] of olds) {
      if (news.has(k)) continue;
      const columns = g.map((f) => this.columnOfName(model, f));
      this.ctx.checkNames([this.modelKey(model)], columns, undefined, { option, group: g });
      if (option === 'unique_together') this.run(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteName(this.indexName(model.table, columns, '_uniq'))}`);
      else this.run(`DROP INDEX IF EXISTS ${quoteName(this.indexName(model.table, columns, '_idx'))}`);
    }
    for (const [k, g] of news) {
      if (olds.has(k)) continue;
      const columns = g.map((f) => this.columnOfName(model, f));
      if (option === 'unique_together') this.run(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteName(this.indexName(model.table, columns, '_uniq'))} UNIQUE (${columns.map(quoteName).join(', ')})`);
      else this.run(createIndexSql(model.table, this.indexName(model.table, columns, '_idx'), columns.map(quoteName).join(', ')));
    }
  }
}

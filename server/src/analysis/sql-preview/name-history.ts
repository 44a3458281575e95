/**
 * When tables and columns were renamed, and when each field was created, in plan order: what the
 * preview needs to know whether a name Django reads back from the database (a constraint it drops
 * by introspection) is still the name it generated from today's table and column names. A
 * foreign key created after a rename of its table has a current name; an index or
 * unique_together constraint is never re-created by later operations, so any rename makes its
 * name unknowable.
 */
import type { OperationArgs } from '../operation-args';

/** `app.model` (lower-case), and `app.model#field` for a field or a column. */
const modelKey = (app: string, model: string) => `${app}.${model}`.toLowerCase();
/** `app.model|unique_together|a,b`: a group of fields of one of the two options. */
const togetherKey = (model: string, option: string, group: readonly string[]) => `${model}|${option}|${group.join(',')}`.toLowerCase();

/**
 * The `app.model#field` keys (lower-case) of the fields a CreateModel or AddField creates, built
 * once per operation: the previews of a project replay the same operations for file after file.
 */
const created = new WeakMap<OperationArgs, { app: string; keys: readonly string[] }>();
function createdKeys(app: string, a: Extract<OperationArgs, { kind: 'CreateModel' }> | Extract<OperationArgs, { kind: 'AddField' | 'AlterField' }>): readonly string[] {
  const known = created.get(a);
  if (known?.app === app) return known.keys;
  const model = a.model ?? '';
  const names = 'fields' in a ? (a.fields ?? []).map(([name]) => name) : a.name ? [a.name] : [];
  const keys = names.map((name) => `${modelKey(app, model)}#${name}`.toLowerCase());
  created.set(a, { app, keys });
  return keys;
}

export class NameHistory {
  private renamedAt = new Map<string, number>();
  private createdAt = new Map<string, number>();
  /** Columns and fields (`app.model#name`) whose indexes and constraints a Django before 1.9 made and named. */
  private namedBefore19 = new Set<string>();
  private position = 0;
  /**
   * The earlier migrations, replayed on the first question rather than up front: most previews
   * never ask one (only dropping a constraint Django finds by introspection does), and a replay
   * walks every ancestor's operations, for each file of a project.
   */
  private replay: ((h: NameHistory) => void) | null = null;
  /** Operations recorded before the replay ran, in order: they come after what it records. */
  private pending: Array<[string, OperationArgs, boolean]> = [];

  /** A history whose earlier operations `replay` records (on this history) when first needed. */
  static deferred(replay: (h: NameHistory) => void): NameHistory {
    const h = new NameHistory();
    h.replay = replay;
    return h;
  }

  clone(): NameHistory {
    const h = new NameHistory();
    h.copyRecords(this);
    h.replay = this.replay;
    h.pending = [...this.pending];
    return h;
  }

  /** This history's records replaced by a copy of `from`'s (its replay and pending operations are not taken). */
  copyRecords(from: NameHistory): void {
    this.renamedAt = new Map(from.renamedAt);
    this.createdAt = new Map(from.createdAt);
    this.namedBefore19 = new Set(from.namedBefore19);
    this.position = from.position;
  }

  private settle(): void {
    const replay = this.replay;
    if (!replay) return;
    this.replay = null;
    const pending = this.pending;
    this.pending = [];
    replay(this);
    for (const [app, a, before19] of pending) this.record(app, a, before19);
  }

  /** One operation of `app`, in plan order; `before19`: of a migration a Django before 1.9 wrote (MigrationSummary.namedBefore19). */
  record(app: string, a: OperationArgs, before19 = false): void {
    if (this.replay) {
      this.pending.push([app, a, before19]);
      return;
    }
    const at = ++this.position;
    const key = (m: string) => modelKey(app, m);
    // A field's own key and its columns' (`name`, `name_id`, its db_column): what the questions below name.
    const named = (model: string, name: string, dbColumn?: string | null): string[] => [name, `${name}_id`, ...(dbColumn ? [dbColumn] : [])].map((c) => `${key(model)}#${c}`.toLowerCase());
    // (Most projects have no such migration: then nothing is marked, and nothing built to be unmarked.)
    const marking = before19 || this.namedBefore19.size > 0;
    const mark = (keys: readonly string[], old: boolean) => keys.forEach((k) => (old ? this.namedBefore19.add(k) : this.namedBefore19.delete(k)));
    const move = (from: string, to: string) => {
      for (const k of [...this.namedBefore19]) if (k.startsWith(`${from}#`)) this.namedBefore19.add(`${to}${k.slice(from.length)}`);
    };
    switch (a.kind) {
      case 'RenameModel':
        if (!a.model || !a.newName) return;
        this.renamedAt.set(key(a.newName), at);
        // The fields move with the model: their creation stays where it was.
        {
          const from = key(a.model);
          const to = key(a.newName);
          const moved: Array<[string, number]> = [];
          for (const [k, v] of this.createdAt) if (k.startsWith(from) && k.charCodeAt(from.length) === 35 /* # */) moved.push([`${to}${k.slice(from.length)}`, v]);
          for (const [k, v] of moved) this.createdAt.set(k, v);
        }
        if (marking) move(key(a.model), key(a.newName));
        return;
      case 'AlterModelTable':
        if (a.model) this.renamedAt.set(key(a.model), at);
        return;
      case 'RenameField':
        if (!a.model || !a.oldName || !a.newName) return;
        for (const column of [a.newName, `${a.newName}_id`]) this.renamedAt.set(`${key(a.model)}#${column}`.toLowerCase(), at);
        this.createdAt.set(`${key(a.model)}#${a.newName}`.toLowerCase(), this.createdAt.get(`${key(a.model)}#${a.oldName}`.toLowerCase()) ?? 0);
        if (marking && named(a.model, a.oldName).some((k) => this.namedBefore19.has(k))) mark(named(a.model, a.newName), true);
        return;
      case 'AlterField':
        if (a.model && a.field?.dbColumn) this.renamedAt.set(`${key(a.model)}#${a.field.dbColumn}`.toLowerCase(), at);
        // An index or constraint it adds is named as that Django names it; a later Django's leaves the old ones.
        if (a.model && a.name && before19) mark(named(a.model, a.name, a.field?.dbColumn), true);
        return;
      case 'CreateModel':
        if (!a.model) return;
        for (const k of createdKeys(app, a)) this.createdAt.set(k, at);
        if (!marking) return;
        for (const [name, spec] of a.fields ?? []) mark(named(a.model, name, spec?.dbColumn), before19);
        for (const [option, groups] of [['unique_together', a.options.uniqueTogether], ['index_together', a.options.indexTogether]] as const) {
          mark((groups ?? []).map((g) => togetherKey(key(a.model as string), option, g)), before19);
        }
        return;
      case 'AlterTogether':
        // The groups it adds are named as that Django names them (those it keeps stay as they were).
        if (a.model && before19) mark((a.groups ?? []).map((g) => togetherKey(key(a.model as string), a.option, g)), true);
        return;
      case 'AddField':
        if (a.model && a.name) {
          for (const k of createdKeys(app, a)) this.createdAt.set(k, at);
          if (marking) mark(named(a.model, a.name, a.field?.dbColumn), before19);
        }
        return;
      default:
        return;
    }
  }

  /**
   * The first of `models` (`app.model`) renamed after `field` (`app.model#name`) was created — or,
   * without a field, renamed at all; null when every name is current.
   */
  staleTable(models: ReadonlyArray<string | undefined>, field?: string): string | null {
    this.settle();
    const created = field === undefined ? -1 : (this.createdAt.get(field.toLowerCase()) ?? 0);
    return models.find((m): m is string => !!m && (this.renamedAt.get(m) ?? -1) > created) ?? null;
  }

  /**
   * The first of `columns` of `model` (or the field `field`, `app.model#name`) whose indexes and
   * constraints a Django before 1.9 made, named otherwise than today's Django names them; or null.
   */
  namedByOldDjango(model: string, columns: readonly string[], field?: string): string | null {
    this.settle();
    if (field !== undefined && this.namedBefore19.has(field.toLowerCase())) return field.slice(field.indexOf('#') + 1);
    // A single column's index or constraint (db_index, unique): made with the field, or by an AlterField.
    const [column] = columns;
    return columns.length === 1 && column !== undefined && this.namedBefore19.has(`${model}#${column}`.toLowerCase()) ? column : null;
  }

  /** Whether the `unique_together` / `index_together` group (field names) of `model` was made, and named, by a Django before 1.9. */
  togetherNamedByOldDjango(model: string, option: 'unique_together' | 'index_together', group: readonly string[]): boolean {
    this.settle();
    return this.namedBefore19.has(togetherKey(model, option, group));
  }

  /** The first column of `model` that a rename gave its current name, or null. */
  staleColumn(model: string, columns: readonly string[]): string | null {
    this.settle();
    return columns.find((c) => this.renamedAt.has(`${model}#${c}`.toLowerCase())) ?? null;
  }
}

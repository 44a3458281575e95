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

export class NameHistory {
  private renamedAt = new Map<string, number>();
  private createdAt = new Map<string, number>();
  private position = 0;
  /**
   * The earlier migrations, replayed on the first question rather than up front: most previews
   * never ask one (only dropping a constraint Django finds by introspection does), and a replay
   * walks every ancestor's operations, for each file of a project.
   */
  private replay: ((h: NameHistory) => void) | null = null;
  /** Operations recorded before the replay ran, in order: they come after what it records. */
  private pending: Array<[string, OperationArgs]> = [];

  /** A history whose earlier operations `replay` records (on this history) when first needed. */
  static deferred(replay: (h: NameHistory) => void): NameHistory {
    const h = new NameHistory();
    h.replay = replay;
    return h;
  }

  clone(): NameHistory {
    const h = new NameHistory();
    h.renamedAt = new Map(this.renamedAt);
    h.createdAt = new Map(this.createdAt);
    h.position = this.position;
    h.replay = this.replay;
    h.pending = [...this.pending];
    return h;
  }

  private settle(): void {
    const replay = this.replay;
    if (!replay) return;
    this.replay = null;
    const pending = this.pending;
    this.pending = [];
    replay(this);
    for (const [app, a] of pending) this.record(app, a);
  }

  /** One operation of `app`, in plan order. */
  record(app: string, a: OperationArgs): void {
    if (this.replay) {
      this.pending.push([app, a]);
      return;
    }
    const at = ++this.position;
    const key = (m: string) => modelKey(app, m);
    switch (a.kind) {
      case 'RenameModel':
        if (!a.model || !a.newName) return;
        this.renamedAt.set(key(a.newName), at);
        // The fields move with the model: their creation stays where it was.
        for (const [k, v] of [...this.createdAt]) if (k.startsWith(`${key(a.model)}#`)) this.createdAt.set(`${key(a.newName)}${k.slice(key(a.model).length)}`, v);
        return;
      case 'AlterModelTable':
        if (a.model) this.renamedAt.set(key(a.model), at);
        return;
      case 'RenameField':
        if (!a.model || !a.oldName || !a.newName) return;
        for (const column of [a.newName, `${a.newName}_id`]) this.renamedAt.set(`${key(a.model)}#${column}`.toLowerCase(), at);
        this.createdAt.set(`${key(a.model)}#${a.newName}`.toLowerCase(), this.createdAt.get(`${key(a.model)}#${a.oldName}`.toLowerCase()) ?? 0);
        return;
      case 'AlterField':
        if (a.model && a.field?.dbColumn) this.renamedAt.set(`${key(a.model)}#${a.field.dbColumn}`.toLowerCase(), at);
        return;
      case 'CreateModel':
        if (a.model) for (const [name] of a.fields ?? []) this.createdAt.set(`${key(a.model)}#${name}`.toLowerCase(), at);
        return;
      case 'AddField':
        if (a.model && a.name) this.createdAt.set(`${key(a.model)}#${a.name}`.toLowerCase(), at);
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

  /** The first column of `model` that a rename gave its current name, or null. */
  staleColumn(model: string, columns: readonly string[]): string | null {
    this.settle();
    return columns.find((c) => this.renamedAt.has(`${model}#${c}`.toLowerCase())) ?? null;
  }
}

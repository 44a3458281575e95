/**
 * Django's deferred SQL: statements an operation queues for the end of the migration (indexes and
 * foreign keys of new tables and columns). They render late, so that a rename or a drop later in
 * the same migration still reaches them, as Django's Statement objects do.
 */

/** A statement Django runs at the end of the migration; renames and drops before then still reach it. */
export class DeferredStatement {
  constructor(
    public table: string,
    public columns: string[],
    private readonly render: (d: DeferredStatement) => string,
    readonly origin: number,
    public toTable: string | null = null,
  ) {}

  get sql(): string {
    return this.render(this);
  }
}

/**
 * What the text scans that can start again after an edit share (argument-errors.ts,
 * indentation.ts): a whole scan keeps snapshots of its state; a scan of the edited text starts at
 * the last snapshot before the changed stretch and stops where its state equals an earlier snapshot
 * past the stretch, taking the rest from the earlier scan. Each scan says what its state is and how
 * to move it; this says where to start and where to look.
 */

/** A kept state of a scan: the offset of the text it was taken at. */
export interface Snapshot {
  at: number;
}

/**
 * Where a scan of a text changed in one stretch (from `from` to `oldEnd` of the earlier text) starts
 * again: the index of the last snapshot at least `margin` characters before the change (-1: the
 * text's start), and the index of the first snapshot at or after the stretch's old end.
 */
export function resumePoints(snapshots: readonly Snapshot[], from: number, oldEnd: number, margin: number): { restart: number; rejoinFrom: number } {
  let restart = snapshots.length - 1;
  while (restart >= 0 && (snapshots[restart] as Snapshot).at + margin > from) restart--;
  let rejoinFrom = restart + 1;
  while (rejoinFrom < snapshots.length && (snapshots[rejoinFrom] as Snapshot).at < oldEnd) rejoinFrom++;
  return { restart, rejoinFrom };
}

/** The earlier scan's snapshots past the change, met in order as the new scan goes on. */
export class Rejoining<S extends Snapshot> {
  private next: number;

  /**
   * @param delta how much longer the new text is than the earlier one
   * @param after the first offset of the new text where the scans may rejoin
   */
  constructor(
    private readonly snapshots: readonly S[],
    from: number,
    readonly delta: number,
    private readonly after: number,
  ) {
    this.next = from;
  }

  /** The earlier snapshot taken at what is offset `i` of the new text, if one lies exactly there (offsets asked in increasing order). */
  at(i: number): S | undefined {
    if (i < this.after) return undefined;
    while (this.next < this.snapshots.length && (this.snapshots[this.next] as S).at + this.delta < i) this.next++;
    const then = this.snapshots[this.next];
    return then && then.at + this.delta === i ? then : undefined;
  }

  /** The earlier snapshots from the one `at` last gave on, moved into the new text by `move`. */
  rest(move: (s: S) => S): S[] {
    return this.snapshots.slice(this.next).map(move);
  }
}

/**
 * A cache of one entry, for what the rules of one file share while they run one after the other
 * (its schema steps, its judged SQL, its fix context). A cache keyed by the file's summary kept the
 * value as long as the summary lived — for the language server, every file of the workspace — and
 * with it the project view the value was computed in: dozens of old views and their model states
 * stayed alive after the documents that made them were closed.
 */
export class OneSlot<T> {
  private keys: readonly unknown[] | null = null;
  private value: T | undefined;

  /** The value for `keys` (compared by identity), computed when they differ from the last call's. */
  get(keys: readonly unknown[], compute: () => T): T {
    const known = this.keys;
    if (known && known.length === keys.length && known.every((k, i) => k === keys[i])) return this.value as T;
    const value = compute();
    this.keys = keys;
    this.value = value;
    return value;
  }
}

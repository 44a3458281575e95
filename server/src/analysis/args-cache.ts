/**
 * Typed arguments of operations remembered by their source text, for an editor re-reading the same
 * migration on every keystroke: an operation whose call text did not change gets the arguments (the
 * very same object) read the last time — as long as the names its reading looked up (constants of
 * the file) are still bound to the same text. Everything is forgotten when the imports change
 * (they decide what every dotted name means).
 */
import type { OperationArgs } from './operation-args';
import type { Node } from './syntax';

const MAX_ENTRIES = 20_000;

/** A name the reading looked up, and the text of what it was bound to (null: not a value). */
export type NameUse = [name: string, boundTo: string | null];

interface Entry {
  /** The operation's class (its reading depends on it) and the call's whole text. */
  kind: string;
  text: string;
  args: OperationArgs | null;
  names: NameUse[];
}

/**
 * A number for a call's text: its length and two of its characters. A number keys the map without
 * hashing a long string on every keystroke; the few texts that share one are told apart by kind and
 * whole text (string equality of equal lengths is one native compare).
 */
function keyOf(text: string): number {
  const n = text.length;
  return n >= 2 ** 21 ? n : n * 2 ** 32 + text.charCodeAt(n >> 1) * 2 ** 16 + text.charCodeAt((n * 3) >> 2);
}

export class ArgsCache {
  /**
   * Entries by keyOf(text), each bucket told apart by kind and whole text. (A key of length and 48
   * characters at each end once made four CreateModels of wagtail's squashed test-app migration
   * overwrite each other: read again on every keystroke.)
   */
  private entries = new Map<number, Entry[]>();
  private size = 0;
  private context: string | null = null;

  /** Starts a read of a file whose imports are `context`; different imports forget everything. */
  useContext(context: string): void {
    if (context !== this.context) this.clear();
    this.context = context;
  }

  /** The arguments read before from this call text, if every name they used is bound as it was. */
  get(kind: string, text: string, boundTo: (name: string) => string | null): OperationArgs | null | undefined {
    const e = this.entries.get(keyOf(text))?.find((x) => x.kind === kind && x.text === text);
    if (!e) return undefined;
    for (const [name, bound] of e.names) if (boundTo(name) !== bound) return undefined;
    return e.args;
  }

  set(kind: string, text: string, args: OperationArgs | null, names: NameUse[]): void {
    if (this.size >= MAX_ENTRIES) this.clear();
    const entry: Entry = { kind, text, args, names };
    const key = keyOf(text);
    const bucket = this.entries.get(key);
    if (!bucket) this.entries.set(key, [entry]);
    else {
      const at = bucket.findIndex((x) => x.kind === kind && x.text === text);
      if (at !== -1) {
        bucket[at] = entry;
        return;
      }
      bucket.push(entry);
    }
    this.size++;
  }

  private clear(): void {
    this.entries = new Map();
    this.size = 0;
  }
}

/** The module's import statements: what dotted names in arguments resolve through. */
export function bindingContext(root: Node): string {
  const parts: string[] = [];
  for (const stmt of root.namedChildren) if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement') parts.push(stmt.text);
  return parts.join('\n');
}

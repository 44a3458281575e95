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
  /** The call's whole text: a short key finds the entry, this confirms it. */
  text: string;
  args: OperationArgs | null;
  names: NameUse[];
}

/**
 * A short key for a call's text (hashing a long operation's whole text on every keystroke costs
 * more than reading it): its kind, length and both ends. The entry keeps the whole text to compare.
 */
function shortKey(kind: string, text: string): string {
  return text.length <= 96 ? `${kind}\0${text}` : `${kind}\0${text.length}\0${text.slice(0, 48)}\0${text.slice(-48)}`;
}

export class ArgsCache {
  /**
   * Entries by short key. Calls of one squashed migration often share a key (four CreateModels of
   * wagtail's test app: same length, same 48 characters at each end), so a key holds every entry
   * that has it, told apart by the whole text; overwriting one with the other read both again on
   * every keystroke.
   */
  private entries = new Map<string, Entry[]>();
  private size = 0;
  private context: string | null = null;

  /** Starts a read of a file whose imports are `context`; different imports forget everything. */
  useContext(context: string): void {
    if (context !== this.context) this.clear();
    this.context = context;
  }

  /** The arguments read before from this call text, if every name they used is bound as it was. */
  get(kind: string, text: string, boundTo: (name: string) => string | null): OperationArgs | null | undefined {
    const e = this.entries.get(shortKey(kind, text))?.find((x) => x.text === text);
    if (!e) return undefined;
    for (const [name, bound] of e.names) if (boundTo(name) !== bound) return undefined;
    return e.args;
  }

  set(kind: string, text: string, args: OperationArgs | null, names: NameUse[]): void {
    if (this.size >= MAX_ENTRIES) this.clear();
    const key = shortKey(kind, text);
    const entry: Entry = { text, args, names };
    const bucket = this.entries.get(key);
    if (!bucket) this.entries.set(key, [entry]);
    else {
      const at = bucket.findIndex((x) => x.text === text);
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

/**
 * Gives memory back after documents are closed. Linting large open documents as they are edited
 * leaves V8's old generation grown with garbage, and V8 collects it only when something allocates
 * again: an idle server kept its grown heap (on the corpus, 100 large migrations opened, edited and
 * closed: RSS 1.3x of its value after the workspace scan, and still so 30 s later). One full
 * collection frees the objects but keeps the pages they were on; a second one compacts them and
 * the pages go back to the system (the same case: 1.3x -> 1.0-1.05x).
 *
 * So, once a document has closed and the server has then been idle for a moment, it collects twice
 * — only when its heap has grown by more than a tenth since it settled (after the workspace scan,
 * or its last collection here), so closing documents one by one does not pay ~150 ms each time.
 * The `gc` function is V8's own, obtained by switching --expose-gc on for the moment of creating
 * a context and off again (V8's flag hash is of the flags' values, so the code cache stays valid).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = () => void;
let gcFunction: Gc | null | undefined;

/** V8's full collection, or null when this Node.js does not give it. */
function fullGc(): Gc | null {
  if (gcFunction !== undefined) return gcFunction;
  gcFunction = null;
  const given = (globalThis as { gc?: unknown }).gc;
  if (typeof given === 'function') return (gcFunction = given as Gc);
  try {
    setFlagsFromString('--expose-gc');
    try {
      const fn: unknown = runInNewContext('gc');
      if (typeof fn === 'function') gcFunction = fn as Gc;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

export interface Released {
  heapBefore: number;
  heapAfter: number;
  rssBefore: number;
  rssAfter: number;
  ms: number;
}

export class MemoryRelease {
  private timer: NodeJS.Timeout | null = null;
  private baseline = process.memoryUsage().heapTotal;

  /**
   * @param quiet whether the server is otherwise idle (no workspace scan under way: a scan settles
   * the heap itself when it ends)
   */
  constructor(
    private readonly idleMs: number,
    private readonly quiet: () => boolean,
    private readonly onRelease: (r: Released) => void,
  ) {}

  /** The server has settled (its workspace scan is done): the heap it has now is the one to come back to. */
  settled(): void {
    this.baseline = process.memoryUsage().heapTotal;
  }

  /** A document closed: collect once the server has been idle for a moment. */
  closed(): void {
    this.busy();
    this.timer = setTimeout(() => this.release(), this.idleMs);
    this.timer.unref();
  }

  /** Work arrived (a document opened or changed): a pending collection waits for the next close. */
  busy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.busy();
  }

  private release(): void {
    this.timer = null;
    if (!this.quiet()) return;
    const before = process.memoryUsage();
    if (before.heapTotal <= this.baseline * 1.1) return;
    const gc = fullGc();
    if (!gc) return;
    const t0 = performance.now();
    gc();
    gc();
    const after = process.memoryUsage();
    this.baseline = after.heapTotal;
    this.onRelease({ heapBefore: before.heapTotal, heapAfter: after.heapTotal, rssBefore: before.rss, rssAfter: after.rss, ms: performance.now() - t0 });
  }
}

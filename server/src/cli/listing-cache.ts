/**
 * The folder listings of the last runs, kept beside the `check` cache (`listings.bin`): a warm run
 * asks each folder's stat instead of listing it again. A folder's entries change only by adding,
 * removing or renaming one, and each of those moves the folder's mtime and ctime; so the same
 * mtime, ctime, inode and device as when it was listed mean the same entries. The stat is taken
 * before the listing, and a listing is only kept when the folder's mtime was already RACY_MS old
 * when the run began: a change made in the same tick of the clock as the stat cannot go unseen.
 *
 * Only what the walk decides from the entries is kept (sub-folders to walk, `.py` names, which of
 * them are links, whether a pyproject.toml, a pyvenv.cfg or a Django pin file is there): settings, include and exclude
 * globs and content detection run on every run as before, and a link is judged on every walk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import type { FolderListing, FolderListings } from '../workspace/walk';
import { RACY_MS, statOrNull, toolId, writePack } from './run-cache';

export const LISTINGS_FILE = 'listings.bin';
const FORMAT = 2;
/** mtimeMs, ctimeMs, ino, dev per folder. */
const FIELDS = 4;
/** More folders than this and only the last run's listings are kept. */
const MAX_KEPT = 200_000;
const ITEM = '\0';
const PART = '\x01';
const LISTING = '\x02';

/** Few objects to deserialize: the folders and their listings each as one string, the stats in one array. */
interface ListingsPack {
  format: number;
  tool: string;
  /** The folders, NUL-separated. */
  dirs: string;
  numbers: Float64Array;
  /** Each folder's listing as text (encode / decode), separated by LISTING. */
  listings: string;
}

/** A listing as one string: flags, link indexes, folders, files; null when a name holds a separator (never kept). */
function encode(l: FolderListing): string | null {
  const folders = l.folders.join(ITEM);
  const files = l.files.join(ITEM);
  if (/[\x01\x02]/.test(folders) || /[\x01\x02]/.test(files)) return null;
  return `${(l.pyproject ? 1 : 0) | (l.venv ? 2 : 0) | (l.pins ? 4 : 0)}${PART}${l.links.join(',')}${PART}${folders}${PART}${files}`;
}

function decode(text: string): FolderListing | null {
  const parts = text.split(PART);
  if (parts.length !== 4) return null;
  const [flags, links, folders, files] = parts as [string, string, string, string];
  const n = Number(flags);
  return {
    pyproject: (n & 1) !== 0,
    venv: (n & 2) !== 0,
    pins: (n & 4) !== 0,
    links: links === '' ? [] : links.split(',').map(Number),
    folders: folders === '' ? [] : folders.split(ITEM),
    files: files === '' ? [] : files.split(ITEM),
  };
}

export class ListingCache implements FolderListings {
  private readonly tool = toolId();
  private readonly started = Date.now();
  /** The kept listings, by folder: index into the pack. */
  private readonly known = new Map<string, number>();
  private pack: { dirs: string[]; numbers: Float64Array; listings: string[] } | null = null;
  /** This run's listings, new or confirmed: [mtimeMs, ctimeMs, ino, dev], text. */
  private readonly next = new Map<string, { numbers: [number, number, number, number]; text: string }>();
  private learnt = false;
  /** Every folder this run asked about: its old listing is replaced (or dropped when not kept). */
  private readonly visited = new Set<string>();
  private loaded = false;

  /**
   * @param file the pack (read when a folder is first asked about, if it exists; nothing is created until `save`)
   * @param racyMs how old a folder's mtime must be when the run begins for its listing to be kept (tests lower it)
   */
  constructor(
    private readonly file: string,
    private readonly racyMs = RACY_MS,
  ) {}

  /** The pack, read the first time a folder is asked about (a run over files alone walks none). */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const read = deserialize(readFileSync(this.file)) as ListingsPack;
      const valid = read.format === FORMAT && read.tool === this.tool && typeof read.dirs === 'string' && typeof read.listings === 'string' && read.numbers instanceof Float64Array;
      const dirs = valid && read.dirs !== '' ? read.dirs.split(ITEM) : [];
      const listings = valid && read.listings !== '' ? read.listings.split(LISTING) : [];
      if (valid && listings.length === dirs.length && read.numbers.length === dirs.length * FIELDS) {
        this.pack = { dirs, numbers: read.numbers, listings };
        dirs.forEach((d, i) => this.known.set(d, i));
      }
    } catch {
      // No pack yet, or one that cannot be read: every folder is listed.
    }
  }

  static in(cacheDir: string, racyMs?: number): ListingCache {
    return new ListingCache(join(cacheDir, LISTINGS_FILE), racyMs);
  }

  list(dir: string, read: (dir: string) => FolderListing): FolderListing {
    this.load();
    this.visited.add(dir);
    // Before the listing: a change between the two then shows as another stat next time.
    const st = statOrNull(dir);
    const numbers: [number, number, number, number] | null = st && st.isDirectory() ? [st.mtimeMs, st.ctimeMs, st.ino, st.dev] : null;
    const at = this.known.get(dir);
    const pack = this.pack;
    if (numbers && at !== undefined && pack) {
      const o = at * FIELDS;
      const n = pack.numbers;
      if (n[o] === numbers[0] && n[o + 1] === numbers[1] && n[o + 2] === numbers[2] && n[o + 3] === numbers[3]) {
        const text = pack.listings[at] as string;
        const listing = decode(text);
        if (listing) {
          this.next.set(dir, { numbers, text });
          return listing;
        }
      }
    }
    const listing = read(dir);
    if (numbers && numbers[0] < this.started - this.racyMs) {
      const text = encode(listing);
      if (text !== null) {
        this.next.set(dir, { numbers, text });
        this.learnt = true;
      }
    }
    if (at !== undefined) this.learnt = true; // a kept listing replaced or dropped
    return listing;
  }

  /** Writes the listings when this run learnt any: its own, then the other runs' (checked by stat when used). */
  save(): void {
    if (!this.learnt) return;
    const dirs: string[] = [];
    const listings: string[] = [];
    const numbers: number[] = [];
    for (const [dir, l] of this.next) {
      dirs.push(dir);
      listings.push(l.text);
      numbers.push(...l.numbers);
    }
    const pack = this.pack;
    if (pack && pack.dirs.length + dirs.length <= MAX_KEPT) {
      pack.dirs.forEach((dir, i) => {
        if (this.visited.has(dir)) return;
        dirs.push(dir);
        listings.push(pack.listings[i] as string);
        for (let k = 0; k < FIELDS; k++) numbers.push(pack.numbers[i * FIELDS + k] as number);
      });
    }
    writePack(this.file, { format: FORMAT, tool: this.tool, dirs: dirs.join(ITEM), numbers: Float64Array.from(numbers), listings: listings.join(LISTING) } satisfies ListingsPack);
  }
}

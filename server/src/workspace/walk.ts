/**
 * The one walk over a project's folders, shared by the CLI and the language server: every Python
 * file, folder by folder, never into the folders no project keeps its own migrations in (VCS
 * data, node_modules, virtualenvs under any name, build output, tool caches), never through a
 * symlinked folder (it can loop, and it is walked where it lives).
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { normalize, sep } from 'node:path';
import { PIN_ENTRY_NAMES } from '../config/django-pin';

export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  'node_modules', '.git', '.hg', '.svn', '.venv', 'venv', 'site-packages', '__pycache__',
  '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'dist', 'build',
]);

export interface WalkedFolder {
  dir: string;
  /** Its `.py` entries, in name order (links, pipes and devices included: reading judges them). */
  files: string[];
  /** Their names (`files` without the folder). */
  names: string[];
}

/**
 * What the walk keeps of one folder's entries: everything it decides from a listing, so a listing
 * kept from an earlier run (the CLI's cache, keyed by the folder's stat) walks the same.
 */
export interface FolderListing {
  /** Sub-folders to walk, in name order (skipped names already left out). */
  folders: string[];
  /** `.py` entries, in name order. */
  files: string[];
  /** Indexes into `files` of the symbolic links (a link to a folder is not a file). */
  links: number[];
  /** Whether it holds a `pyproject.toml` (of any kind). */
  pyproject: boolean;
  /** Whether it holds a `pyvenv.cfg`: a virtualenv under any name. */
  venv: boolean;
  /** Whether it holds a file (or folder) the Django version may be pinned in (django-pin.ts). */
  pins: boolean;
}

/** A source of listings: the folder's listing as `read` gives it, or one known to be the same. */
export interface FolderListings {
  list(dir: string, read: (dir: string) => FolderListing): FolderListing;
}

export interface WalkOptions {
  /** A folder that cannot be listed (the root included). */
  onError?(dir: string, e: unknown): void;
  isCancelled?(): boolean;
  /**
   * Every folder listed, and whether it holds a `pyproject.toml` (of any kind): what the settings
   * lookup would otherwise ask the file system again, folder by folder; likewise for the Django
   * version's pin files.
   */
  onListed?(dir: string, hasPyproject: boolean, hasPins: boolean, listing: FolderListing): void;
  /** Listings that may be known already (the CLI's cache); by default every folder is read. */
  listings?: FolderListings;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Name order as `<` orders strings (UTF-16 code units), the order results are given in. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One folder's entries, as the walk decides them (readdir throws for a folder that cannot be listed). */
export function readFolder(dir: string): FolderListing {
  const entries = readdirSync(dir, { withFileTypes: true });
  let pyproject = false;
  let venv = false;
  let pins = false;
  const files: Dirent[] = [];
  const folders: string[] = [];
  for (const e of entries) {
    const name = e.name;
    if (PIN_ENTRY_NAMES.has(name)) pins = true;
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(name) && !name.endsWith('.egg-info')) folders.push(name);
    } else if (name.endsWith('.py')) files.push(e);
    else if (name === 'pyproject.toml') pyproject = true;
    else if (name === 'pyvenv.cfg') venv = true;
  }
  folders.sort(byName);
  files.sort((a, b) => byName(a.name, b.name));
  const links: number[] = [];
  files.forEach((e, i) => {
    if (e.isSymbolicLink()) links.push(i);
  });
  return { folders, files: files.map((e) => e.name), links, pyproject, venv, pins };
}

/** Every folder under `root` holding Python files, depth-first, sub-folders in name order. */
export function walkPython(root: string, options: WalkOptions = {}): WalkedFolder[] {
  const out: WalkedFolder[] = [];
  const top = normalize(root);
  const stack = [top];
  const listings = options.listings;
  while (stack.length > 0) {
    if (options.isCancelled?.()) break;
    const dir = stack.pop() as string;
    let listing: FolderListing;
    try {
      listing = listings ? listings.list(dir, readFolder) : readFolder(dir);
    } catch (e) {
      options.onError?.(dir, e);
      continue;
    }
    const { folders, files, links } = listing;
    // A virtualenv under any name: its site-packages holds other projects' migrations.
    if (listing.venv && dir !== top) continue;
    options.onListed?.(dir, listing.pyproject, listing.pins, listing);
    // Paths are built only for what is kept; `dir` is normal already, so a separator is all `join` would add.
    const base = dir.endsWith(sep) ? dir : dir + sep;
    for (let i = folders.length - 1; i >= 0; i--) stack.push(base + (folders[i] as string));
    if (files.length === 0) continue;
    const kept: string[] = [];
    const names: string[] = [];
    let link = 0;
    for (let i = 0; i < files.length; i++) {
      const name = files[i] as string;
      const full = base + name;
      // A link is judged on every walk: what it points at may change without its folder changing.
      if (links[link] === i) {
        link++;
        if (isFolder(full)) continue;
      }
      kept.push(full);
      names.push(name);
    }
    if (kept.length > 0) out.push({ dir, files: kept, names });
  }
  return out;
}

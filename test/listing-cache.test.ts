/**
 * The folder listings a cached `check` keeps (listing-cache.ts): a walk served from them finds
 * exactly what a walk that lists every folder finds; a folder whose stat is unchanged is not
 * listed again; a file or folder added, removed or renamed is seen on the next walk; a folder
 * changed just before the run is never kept; a link is judged on every walk; a damaged pack or an
 * odd name costs only speed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { deserialize } from 'node:v8';
import { LISTINGS_FILE, ListingCache } from '../server/src/cli/listing-cache';
import { readFolder, walkPython, type FolderListing, type FolderListings } from '../server/src/workspace/walk';
import { TempDirs, writeFileIn } from './helpers/cli';

const temps = new TempDirs();
after(() => temps.removeAll());

/** A project tree: apps with migrations, a pyproject.toml, skipped folders, a virtualenv, a link to a folder named like a module. */
function tree(): string {
  const root = temps.make('mg-listings-');
  writeFileIn(join(root, 'pyproject.toml'), '[tool.migration-guard]\n');
  writeFileIn(join(root, 'shop', 'models.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '0002_more.py'), '');
  writeFileIn(join(root, 'billing', 'migrations', '0001_initial.py'), '');
  writeFileIn(join(root, 'node_modules', 'x', 'migrations', '0001_initial.py'), '');
  writeFileIn(join(root, 'env', 'pyvenv.cfg'), '');
  writeFileIn(join(root, 'env', 'lib', 'migrations', '0001_initial.py'), '');
  writeFileIn(join(root, 'docs', 'notes.txt'), '');
  symlinkSync(join(root, 'docs'), join(root, 'shop', 'linked.py'));
  return root;
}

/** Every folder under `root` (the root too) an hour old: their listings may be kept. */
function age(root: string, dirs: string[] = []): void {
  const old = new Date(Date.now() - 3_600_000);
  const all = dirs.length > 0 ? dirs : folders(root);
  for (const d of all) utimesSync(d, old, old);
}

function folders(root: string): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    out.push(d);
    for (const f of readFolder(d).folders) stack.push(join(d, f));
  }
  return out;
}

/** A walk through the cache in `cacheDir`, saved after; which folders it listed itself. */
function walkCached(root: string, cacheDir: string, racyMs?: number): { files: string[]; listed: string[]; pyprojects: string[] } {
  const cache = ListingCache.in(cacheDir, racyMs);
  const listed: string[] = [];
  const pyprojects: string[] = [];
  const listings: FolderListings = {
    list: (dir, read) =>
      cache.list(dir, (d): FolderListing => {
        listed.push(d);
        return read(d);
      }),
  };
  const files = walkPython(root, { listings, onListed: (d, has) => void (has && pyprojects.push(d)) }).flatMap((f) => f.files);
  mkdirSync(cacheDir, { recursive: true });
  cache.save();
  return { files, listed, pyprojects };
}

function walkPlain(root: string): string[] {
  return walkPython(root).flatMap((f) => f.files);
}

describe('check cache: folder listings', () => {
  it('walks exactly as a walk that lists every folder, and lists none again while their stats hold', () => {
    const root = tree();
    age(root);
    const cacheDir = join(temps.make(), 'cache');
    const first = walkCached(root, cacheDir);
    assert.deepEqual(first.files, walkPlain(root));
    assert.deepEqual(first.pyprojects, [root]);
    assert.ok(first.files.includes(join(root, 'shop', 'migrations', '0001_initial.py')));
    assert.ok(!first.files.some((f) => f.includes('node_modules') || f.includes(`${join(root, 'env')}`)), 'skipped folders and the virtualenv stay out');
    assert.ok(!first.files.includes(join(root, 'shop', 'linked.py')), 'a link to a folder is no file');
    assert.ok(existsSync(join(cacheDir, LISTINGS_FILE)));
    const second = walkCached(root, cacheDir);
    assert.deepEqual(second.listed, [], 'nothing listed again');
    assert.deepEqual(second.files, first.files);
    assert.deepEqual(second.pyprojects, [root]);
  });

  it('sees a file added, a file renamed and a folder removed on the next walk, listing only the folders that changed', () => {
    const root = tree();
    age(root);
    const cacheDir = join(temps.make(), 'cache');
    walkCached(root, cacheDir);
    const migrations = join(root, 'shop', 'migrations');
    writeFileSync(join(migrations, '0003_new.py'), '');
    renameSync(join(migrations, '0002_more.py'), join(migrations, '0002_renamed.py'));
    rmSync(join(root, 'billing', 'migrations'), { recursive: true });
    const next = walkCached(root, cacheDir);
    assert.deepEqual(next.files, walkPlain(root));
    assert.ok(next.files.includes(join(migrations, '0003_new.py')));
    assert.ok(next.files.includes(join(migrations, '0002_renamed.py')));
    assert.ok(!next.files.includes(join(migrations, '0002_more.py')));
    assert.ok(!next.files.some((f) => f.startsWith(join(root, 'billing'))));
    assert.deepEqual(next.listed.sort(), [join(root, 'billing'), migrations].sort());
  });

  it('never keeps the listing of a folder changed within the racy window before the run', () => {
    const root = tree();
    age(root);
    const cacheDir = join(temps.make(), 'cache');
    walkCached(root, cacheDir);
    const migrations = join(root, 'shop', 'migrations');
    writeFileSync(join(migrations, '0003_new.py'), ''); // the folder's mtime is now
    const a = walkCached(root, cacheDir);
    assert.deepEqual(a.listed, [migrations]);
    const kept = (deserialize(readFileSync(join(cacheDir, LISTINGS_FILE))) as { dirs: string }).dirs.split('\0');
    assert.ok(!kept.includes(migrations), 'not kept');
    assert.ok(kept.includes(join(root, 'shop')), 'its unchanged parent is kept');
    // Still within the window: listed again, not kept; a change then is seen at once.
    writeFileSync(join(migrations, '0004_newer.py'), '');
    const b = walkCached(root, cacheDir);
    assert.deepEqual(b.listed, [migrations]);
    assert.ok(b.files.includes(join(migrations, '0004_newer.py')));
  });

  it('judges a link on every walk: a link whose target turns from a folder into a file becomes a file of the walk', () => {
    const root = tree();
    age(root);
    const cacheDir = join(temps.make(), 'cache');
    walkCached(root, cacheDir);
    // Replace the link's target (another folder's change): shop/ itself keeps its stat.
    rmSync(join(root, 'docs'), { recursive: true });
    writeFileSync(join(root, 'docs'), 'x = 1\n');
    age(root, [root]);
    const next = walkCached(root, cacheDir);
    assert.ok(!next.listed.includes(join(root, 'shop')));
    assert.ok(next.files.includes(join(root, 'shop', 'linked.py')));
    assert.deepEqual(next.files, walkPlain(root));
  });

  it('ignores a damaged pack and walks right; a name it cannot keep is listed on every walk', () => {
    const root = tree();
    const odd = join(root, 'shop', 'migrations', 'odd\x01name.py');
    writeFileSync(odd, '');
    age(root);
    const cacheDir = join(temps.make(), 'cache');
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, LISTINGS_FILE), 'not a pack');
    const first = walkCached(root, cacheDir);
    assert.deepEqual(first.files, walkPlain(root));
    assert.ok(first.files.includes(odd));
    const second = walkCached(root, cacheDir);
    assert.deepEqual(second.listed, [dirname(odd)]);
    assert.deepEqual(second.files, first.files);
    unlinkSync(odd);
  });

  it('a folder that can no longer be listed is reported by the walk, as without the cache', () => {
    const root = tree();
    age(root);
    const cacheDir = join(temps.make(), 'cache');
    walkCached(root, cacheDir);
    rmSync(root, { recursive: true });
    const errors: string[] = [];
    const cache = ListingCache.in(cacheDir);
    const files = walkPython(root, { listings: cache, onError: (d) => errors.push(d) });
    assert.deepEqual(files, []);
    assert.deepEqual(errors, [root]);
  });
});

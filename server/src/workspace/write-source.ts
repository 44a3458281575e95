/**
 * Writes edited Python files back safely: only inside the tree the user handed us (a symlink that
 * leads out of it is refused, whatever the link's own path says), and in the file's own encoding,
 * so every byte outside the edits stays as it was. Used by `check --fix` and Split.
 */
import { lstatSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { encodeSource, EncodingError, type SourceEncoding } from './source-encoding';

export class UnsafeWriteError extends Error {}

function isInside(child: string, parent: string): boolean {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Where a write to `file` really lands: symlinks of the file and of its folders resolved. */
function landingPath(file: string): string {
  try {
    return realpathSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  // A file to be created: the folder must resolve, and the name must not be a dangling link.
  let dangling = false;
  try {
    dangling = lstatSync(file).isSymbolicLink();
  } catch {
    // nothing there: a plain new file
  }
  if (dangling) throw new UnsafeWriteError(`${file} is a symbolic link to a file that does not exist`);
  return join(realpathSync(dirname(file)), basename(file));
}

/** Null when writing `file` stays inside `root`, else why not. */
export function outsideTree(file: string, root: string): string | null {
  let landing: string;
  let realRoot: string;
  try {
    landing = landingPath(file);
    realRoot = realpathSync(root);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (isInside(landing, realRoot)) return null;
  return `${file} leads to ${landing}, outside ${root}; nothing is written outside the tree being checked`;
}

/**
 * Encodes `text` in `encoding` and writes it to `file`, after checking that the write lands inside
 * `root`. Throws UnsafeWriteError (outside the tree) or EncodingError (a character the file's
 * encoding cannot hold) before writing anything.
 */
export function writeSourceFile(file: string, text: string, encoding: SourceEncoding, root: string, flag: 'w' | 'wx' = 'w'): void {
  const outside = outsideTree(file, root);
  if (outside) throw new UnsafeWriteError(outside);
  let bytes: Buffer;
  try {
    bytes = encodeSource(text, encoding);
  } catch (e) {
    if (e instanceof EncodingError) throw new EncodingError(`${file}: ${e.message}; nothing was written`);
    throw e;
  }
  writeFileSync(file, bytes, { flag });
}

/**
 * Reads a Python file the way a linter must when it walks somebody else's tree: opens it without
 * blocking (a FIFO would hang a plain read), reads only regular files (a symlink to /dev/zero
 * never ends), refuses files above a size bound, and decodes the bytes as Python would
 * (source-encoding.ts). Shared by the CLI, Split and the language server's workspace scan.
 */
import { closeSync, constants, fstatSync, openSync, promises as fsp, readSync, type Stats } from 'node:fs';
import { DEFAULT_MAX_FILE_SIZE } from '../config/settings';
import { decodeSource, type DecodedSource } from './source-encoding';

export type ReadOutcome = { ok: true; source: DecodedSource; bytes: number; data: Buffer } | ReadRefusal;
export type ReadRefusal = { ok: false; kind: 'not-regular' | 'too-large' | 'io'; reason: string };
/** A file's bytes, not yet decoded. */
export type BytesOutcome = { ok: true; data: Buffer } | ReadRefusal;

// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer (POSIX only).
export const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why a file with these stats is not read, or null when it is. */
export function refusal(st: Stats, maxBytes: number): ReadRefusal | null {
  if (!st.isFile()) return { ok: false, kind: 'not-regular', reason: `skipped: ${kindOf(st)}, not a regular file` };
  if (st.size > maxBytes) return { ok: false, kind: 'too-large', reason: `skipped: ${st.size} bytes, more than max-file-size (${maxBytes})` };
  return null;
}

function ioError(e: unknown): ReadRefusal {
  const code = (e as NodeJS.ErrnoException).code;
  const text = code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message.split('\n')[0] : String(e);
  return { ok: false, kind: 'io', reason: `cannot read file (${text})` };
}

/**
 * Collects what the read loop gets, to the end of the file rather than to the size stat gave (the
 * file may be growing); one byte past the bound is enough to know it is too large. One buffer of
 * the size stat gave plus a byte, so the read that finds the end needs no buffer of its own (a
 * fresh 64 KB one per file cost more than the reading); it grows only for a file longer than that.
 * A read that filled less than it asked for and brought the total to exactly the size stat gave
 * is the end of a regular file: no further read is made to see it return 0 (one system call per
 * file; a file whose stat says 0 bytes, as /proc's do, is read until a read returns nothing).
 */
class Collected {
  private buf: Buffer;
  private total = 0;

  constructor(
    private readonly size: number,
    private readonly maxBytes: number,
    reuse?: Buffer,
  ) {
    const wanted = Math.min(size, maxBytes) + 1;
    this.buf = reuse && reuse.length >= wanted ? reuse : Buffer.allocUnsafe(wanted);
  }

  static readonly CHUNK = 64 * 1024;

  /** Where the next read goes: the buffer's free end (the buffer grown when it is full). */
  space(): { buffer: Buffer; offset: number; length: number } {
    if (this.total === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length + Collected.CHUNK);
      this.buf.copy(bigger, 0, 0, this.total);
      this.buf = bigger;
    }
    return { buffer: this.buf, offset: this.total, length: this.buf.length - this.total };
  }

  /** Counts `n` more bytes of a read that asked for `asked`; false when reading must stop (the end; or too large). */
  add(n: number, asked: number): boolean {
    if (n === 0) return false;
    this.total += n;
    if (n < asked && this.total === this.size) return false;
    return this.total <= this.maxBytes;
  }

  outcome(): BytesOutcome {
    if (this.total > this.maxBytes) return { ok: false, kind: 'too-large', reason: `skipped: more than max-file-size (${this.maxBytes} bytes)` };
    return { ok: true, data: this.buf.subarray(0, this.total) };
  }
}

/** The bytes read, decoded as Python would. */
export function decoded(read: BytesOutcome): ReadOutcome {
  return read.ok ? { ok: true, source: decodeSource(read.data), bytes: read.data.length, data: read.data } : read;
}

/** Reads and decodes one file, synchronously (worker threads, the CLI, the workspace scan). */
export function readSourceFile(file: string, maxBytes: number = DEFAULT_MAX_FILE_SIZE): ReadOutcome {
  return decoded(readFileBytes(file, maxBytes));
}

/**
 * Reads one file's bytes with readSourceFile's care, without decoding them (a caller may not need the text).
 * @param reuse a buffer the bytes are read into when they fit (a run reading thousands of files
 *   then allocates nothing per file): the bytes returned are then a view of it, valid only until
 *   the next read into it
 */
export function readFileBytes(file: string, maxBytes: number = DEFAULT_MAX_FILE_SIZE, reuse?: Buffer): BytesOutcome {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (e) {
    return ioError(e);
  }
  try {
    const st = fstatSync(fd);
    const refused = refusal(st, maxBytes);
    if (refused) return refused;
    const got = new Collected(st.size, maxBytes, reuse);
    for (;;) {
      const { buffer, offset, length } = got.space();
      if (!got.add(readSync(fd, buffer, offset, length, null), length)) break;
    }
    return got.outcome();
  } catch (e) {
    return ioError(e);
  } finally {
    closeSync(fd);
  }
}

/** Reads and decodes one file without blocking the event loop (the language server). */
export async function readSourceFileAsync(file: string, maxBytes: number = DEFAULT_MAX_FILE_SIZE): Promise<ReadOutcome> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, OPEN_FLAGS);
  } catch (e) {
    return ioError(e);
  }
  try {
    const st = await handle.stat();
    const refused = refusal(st, maxBytes);
    if (refused) return refused;
    const got = new Collected(st.size, maxBytes);
    for (;;) {
      const { buffer, offset, length } = got.space();
      if (!got.add((await handle.read(buffer, offset, length, null)).bytesRead, length)) break;
    }
    return decoded(got.outcome());
  } catch (e) {
    return ioError(e);
  } finally {
    await handle.close();
  }
}

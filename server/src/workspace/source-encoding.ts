/**
 * Python source files in the encoding Python itself would read them in: UTF-8 unless a PEP 263
 * `coding` declaration on the first or second line says otherwise, a UTF-8 byte-order mark kept.
 * Decoding tells whether the text can be written back byte for byte (every byte outside an edit
 * unchanged), and encoding refuses characters the file's encoding cannot hold instead of
 * replacing them.
 */

export interface SourceEncoding {
  /** Canonical name: 'utf-8', 'latin-1', 'ascii', or a WHATWG label such as 'windows-1252'. */
  name: string;
  /** The file starts with a UTF-8 byte-order mark (not part of `text`). */
  bom: boolean;
}

export interface DecodedSource {
  /** The text, without the byte-order mark. Undecodable bytes are U+FFFD (then `readOnly` says why). */
  text: string;
  encoding: SourceEncoding;
  /** Why this text must not be written back (undecodable, or an encoding we cannot write); null if it can. */
  readOnly: string | null;
  /** Where Python would stop reading the file (0-based line, UTF-16 column), and why; null if it decodes. */
  problem: { line: number; character: number; message: string } | null;
}

export class EncodingError extends Error {}

const BOM = [0xef, 0xbb, 0xbf];

/** Python codec names and aliases we read, mapped to our canonical names. */
const ALIASES: Record<string, string> = {
  'utf-8': 'utf-8', utf8: 'utf-8', u8: 'utf-8', utf: 'utf-8', cp65001: 'utf-8',
  'latin-1': 'latin-1', latin1: 'latin-1', latin: 'latin-1', l1: 'latin-1', 'iso-8859-1': 'latin-1', 'iso8859-1': 'latin-1',
  'iso-latin-1': 'latin-1', '8859': 'latin-1', cp819: 'latin-1',
  ascii: 'ascii', 'us-ascii': 'ascii', '646': 'ascii', us: 'ascii',
  cp866: 'ibm866', 'koi8-r': 'koi8-r', 'koi8-u': 'koi8-u', 'mac-roman': 'macintosh', macroman: 'macintosh',
  latin2: 'iso-8859-2', latin3: 'iso-8859-3', latin4: 'iso-8859-4', cyrillic: 'iso-8859-5', arabic: 'iso-8859-6',
  greek: 'iso-8859-7', hebrew: 'iso-8859-8', latin5: 'iso-8859-9', latin6: 'iso-8859-10', latin7: 'iso-8859-13',
  latin8: 'iso-8859-14', latin9: 'iso-8859-15', latin10: 'iso-8859-16',
  'shift-jis': 'shift_jis', sjis: 'shift_jis', 'shift-jis-2004': 'shift_jis', cp932: 'shift_jis', ms932: 'shift_jis',
  'euc-jp': 'euc-jp', eucjp: 'euc-jp', 'euc-kr': 'euc-kr', euckr: 'euc-kr', gbk: 'gbk', cp936: 'gbk',
  gb2312: 'gb2312', gb18030: 'gb18030', big5: 'big5', 'iso-2022-jp': 'iso-2022-jp',
};
for (let n = 1250; n <= 1258; n++) ALIASES[`cp${n}`] = ALIASES[`windows-${n}`] = `windows-${n}`;
for (const n of [2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16]) ALIASES[`iso-8859-${n}`] = ALIASES[`iso8859-${n}`] = `iso-8859-${n}`;

const MULTI_BYTE = new Set(['shift_jis', 'euc-jp', 'euc-kr', 'gbk', 'gb2312', 'gb18030', 'big5', 'iso-2022-jp']);

/**
 * Python's own first normalisation of a declared name (tokenizer.c get_normal_name), then the codec
 * registry's (encodings.normalize_encoding: runs of other characters than letters, digits and `.` are one
 * separator, none at either end — `utf-` is `utf`, an alias of UTF-8), then our aliases.
 */
function canonicalName(declared: string): string | null {
  let name = declared.toLowerCase().replace(/_/g, '-');
  if (name.startsWith('utf-8-')) name = 'utf-8';
  for (const l1 of ['latin-1', 'iso-8859-1', 'iso-latin-1']) if (name.startsWith(`${l1}-`)) name = l1;
  return ALIASES[name] ?? ALIASES[name.replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '')] ?? null;
}

const CODING = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

/** The PEP 263 declaration: line 1, or line 2 when line 1 is blank or a comment. */
export function declaredEncoding(bytes: Uint8Array, start: number): string | null {
  const lines: string[] = [];
  let from = start;
  for (let i = start; i <= bytes.length && lines.length < 2; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      lines.push(Buffer.from(bytes.subarray(from, i)).toString('latin1'));
      from = i + 1;
    }
  }
  for (const [i, line] of lines.entries()) {
    const m = CODING.exec(line);
    if (m) return m[1] as string;
    if (i === 0 && !/^[ \t\f]*(#.*)?\r?$/.test(line)) break;
  }
  return null;
}

/** Where the first U+FFFD of a replacement decode is (the first byte that did not decode). */
function problemAt(text: string, message: string): DecodedSource['problem'] {
  const at = Math.max(0, text.indexOf('\ufffd'));
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { line, character: at - (before.lastIndexOf('\n') + 1), message };
}

function decodeWith(label: string, bytes: Uint8Array): { text: string; ok: boolean } {
  if (label === 'latin-1') return { text: Buffer.from(bytes).toString('latin1'), ok: true };
  if (label === 'ascii') {
    const bad = bytes.findIndex((b) => b > 0x7f);
    const text = Buffer.from(bytes).toString('latin1');
    return bad < 0 ? { text, ok: true } : { text: text.replace(/[\x80-\xff]/g, '\ufffd'), ok: false };
  }
  try {
    return { text: new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes), ok: true };
  } catch {
    return { text: new TextDecoder(label, { ignoreBOM: true }).decode(bytes), ok: false };
  }
}

export function decodeSource(bytes: Uint8Array): DecodedSource {
  const bom = bytes.length >= 3 && BOM.every((b, i) => bytes[i] === b);
  const body = bom ? bytes.subarray(3) : bytes;
  const declared = declaredEncoding(bytes, bom ? 3 : 0);
  const canonical = declared === null ? 'utf-8' : canonicalName(declared);
  if (canonical === null || (bom && canonical !== 'utf-8')) {
    const { text } = decodeWith('utf-8', body);
    const why = canonical === null ? `unknown encoding '${declared}'` : `a UTF-8 byte-order mark with a '${declared}' declaration`;
    return { text, encoding: { name: 'utf-8', bom }, readOnly: `it declares ${why}`, problem: { line: 0, character: 0, message: `Python cannot read this file: ${why}.` } };
  }
  const { text, ok } = decodeWith(canonical, body);
  const encoding = { name: canonical, bom };
  if (!ok) {
    const what = declared === null ? 'is not valid UTF-8 and declares no encoding (PEP 263)' : `is not valid ${declared}`;
    return { text, encoding, readOnly: `it ${what}`, problem: problemAt(text, `Python cannot read this file: it ${what}.`) };
  }
  const readOnly = MULTI_BYTE.has(canonical) ? `writing ${declared} is not supported` : null;
  return { text, encoding, readOnly, problem: null };
}

/** Reverse tables of single-byte encodings, built from the platform's decoder on first use. */
const encodeTables = new Map<string, Map<number, number>>();

function singleByteTable(label: string): Map<number, number> {
  let table = encodeTables.get(label);
  if (!table) {
    table = new Map();
    const decoder = new TextDecoder(label, { fatal: true });
    for (let b = 0; b < 256; b++) {
      try {
        const ch = decoder.decode(Uint8Array.of(b));
        if (ch.length === 1 && !table.has(ch.charCodeAt(0))) table.set(ch.charCodeAt(0), b);
      } catch {
        // a byte this encoding leaves undefined
      }
    }
    encodeTables.set(label, table);
  }
  return table;
}

function unencodable(text: string, at: number, name: string): never {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  throw new EncodingError(`${JSON.stringify(text[at])} (line ${line}) cannot be written in ${name}, the file's encoding`);
}

/** The bytes of `text` in `encoding` (byte-order mark included); throws EncodingError rather than replace a character. */
export function encodeSource(text: string, encoding: SourceEncoding): Buffer {
  const { name } = encoding;
  let body: Buffer;
  if (name === 'utf-8') {
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
    if (lone) unencodable(text, lone.index, name);
    body = Buffer.from(text, 'utf8');
  } else if (name === 'latin-1' || name === 'ascii') {
    const limit = name === 'ascii' ? 0x7f : 0xff;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > limit) unencodable(text, i, name);
    body = Buffer.from(text, 'latin1');
  } else if (MULTI_BYTE.has(name)) {
    throw new EncodingError(`writing ${name} is not supported`);
  } else {
    const table = singleByteTable(name);
    body = Buffer.alloc(text.length);
    for (let i = 0; i < text.length; i++) {
      const b = table.get(text.charCodeAt(i));
      if (b === undefined) unencodable(text, i, name);
      body[i] = b;
    }
  }
  return encoding.bom ? Buffer.concat([Buffer.from(BOM), body]) : body;
}

/** True when `text` can be written in `encoding` and reads back the same. */
export function canEncode(text: string, encoding: SourceEncoding): boolean {
  try {
    encodeSource(text, encoding);
    return true;
  } catch (e) {
    if (e instanceof EncodingError) return false;
    throw e;
  }
}

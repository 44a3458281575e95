/**
 * The file-system side of Split Migration, shared by the CLI and the language server: reads the
 * migration, its folder and every migration under the project root, asks the pure split engine
 * for the parts and the dependants' edits, and checks that nothing would be overwritten. It
 * writes nothing itself; `writeSplit` does, for the CLI.
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { applyFixEdits } from '../analysis/fixes/apply';
import type { PythonParser } from '../analysis/parser';
import { dependantEdits, splitMigration, type SplitPart } from '../analysis/split';
import type { TextEdit } from '../analysis/types';
import { findPythonFiles } from './find-files';
import { readSourceFileAsync } from './read-source';
import { canEncode, type SourceEncoding } from './source-encoding';
import { outsideTree, writeSourceFile } from './write-source';

export interface SplitChange {
  file: string;
  before: string;
  after: string;
  edits: TextEdit[];
  /** The file's own encoding, which the rewrite keeps. */
  encoding: SourceEncoding;
}

/** New parts are UTF-8, Python's default: they carry no coding declaration (see split/render.ts). */
const NEW_PART_ENCODING: SourceEncoding = { name: 'utf-8', bom: false };

export type SplitPlan =
  | {
      ok: true;
      original: string;
      /** The text that was split (the editor's buffer or the file on disk). */
      source: string;
      parts: Array<SplitPart & { file: string }>;
      dependants: SplitChange[];
      appLabel: string;
      /** The original's encoding on disk (the rewrite keeps it). */
      encoding: SourceEncoding;
      /** Nothing is written outside this folder. */
      root: string;
    }
  | { ok: false; reason: string };

export interface SplitOptions {
  /** Where to look for migrations that depend on this one. */
  root: string;
  /** The text to split when it differs from the disk (an unsaved editor buffer). */
  text?: string;
  /** Migrations larger than this many bytes are not read (default: 8 MiB). */
  maxFileSize?: number;
}

export async function planSplit(file: string, parser: PythonParser, options: SplitOptions): Promise<SplitPlan> {
  // Never write outside the tree: neither through a link to the migration nor to its folder.
  const outside = outsideTree(file, options.root);
  if (outside) return { ok: false, reason: `${outside}; nothing was changed.` };
  const read = await readSourceFileAsync(file, options.maxFileSize);
  if (!read.ok) return { ok: false, reason: `${file}: ${read.reason}; nothing was changed.` };
  if (read.source.readOnly) return { ok: false, reason: `${file} cannot be rewritten as it was read (${read.source.readOnly}); nothing was changed.` };
  const encoding = read.source.encoding;
  const source = options.text ?? read.source.text;
  const dir = dirname(file);
  let siblings: string[];
  try {
    siblings = await fs.readdir(dir);
  } catch {
    siblings = [];
  }
  const tree = parser.parse(source);
  let result;
  try {
    result = splitMigration({ fileName: basename(file), source, tree, siblings, appFolder: basename(dirname(dir)) });
  } finally {
    tree.delete();
  }
  if (!result.ok) return result;
  const parts = result.parts.map((p) => ({ ...p, file: join(dir, p.fileName) }));
  const inTheWay = parts.slice(1).find((p) => existsSync(p.file));
  if (inTheWay) return { ok: false, reason: `${inTheWay.file} already exists; nothing was changed.` };
  const leadsOut = parts.slice(1).map((p) => outsideTree(p.file, options.root)).find((r) => r !== null);
  if (leadsOut) return { ok: false, reason: `${leadsOut}; nothing was changed.` };
  if (!canEncode(parts[0]?.text ?? '', encoding)) return { ok: false, reason: `the rewritten ${basename(file)} would need characters ${encoding.name}, its encoding, cannot hold; nothing was changed.` };
  for (const part of parts) {
    const check = parser.parse(part.text);
    const broken = check.rootNode.hasError;
    check.delete();
    if (broken) return { ok: false, reason: `internal error: the part ${part.fileName} would not parse; nothing was changed (please report it).` };
  }

  const dependants: SplitChange[] = [];
  const migrations = (await findPythonFiles(options.root)).filter((f) => f !== file && f.split(sep).slice(-2, -1)[0] === 'migrations');
  for (const other of migrations) {
    const dependant = await readSourceFileAsync(other, options.maxFileSize);
    if (!dependant.ok) continue;
    const text = dependant.source.text;
    if (!text.includes(result.originalName)) continue;
    const t = parser.parse(text);
    try {
      const edits = dependantEdits(t.rootNode, result.appLabel, result.originalName, result.lastName);
      if (edits.length === 0) continue;
      const after = applyFixEdits(text, edits.map((e) => [e])).text;
      const { readOnly, encoding: dependantEncoding } = dependant.source;
      const refusal = readOnly ?? (outsideTree(other, options.root) || (canEncode(after, dependantEncoding) ? null : `its encoding (${dependantEncoding.name}) cannot hold the new name`));
      if (refusal) return { ok: false, reason: `${other} depends on ${result.originalName} but cannot be rewritten (${refusal}); nothing was changed.` };
      dependants.push({ file: other, before: text, after, edits, encoding: dependantEncoding });
    } finally {
      t.delete();
    }
  }
  return { ok: true, original: file, source, parts, dependants, appLabel: result.appLabel, encoding, root: options.root };
}

/**
 * Writes a plan: checks that no new part's file has appeared since planning (new parts are
 * numbered past every existing migration, so only a file created meanwhile can be in the way),
 * creates the parts exclusively, then rewrites the original and the dependants.
 */
export async function writeSplit(plan: Extract<SplitPlan, { ok: true }>): Promise<void> {
  const inTheWay = plan.parts.slice(1).find((p) => existsSync(p.file));
  if (inTheWay) throw new Error(`${inTheWay.file} already exists; nothing was written`);
  // Each write re-checks that it lands inside the root, and keeps the file's encoding.
  for (const part of plan.parts.slice(1)) writeSourceFile(part.file, part.text, NEW_PART_ENCODING, plan.root, 'wx');
  writeSourceFile(plan.original, plan.parts[0]?.text ?? '', plan.encoding, plan.root);
  for (const d of plan.dependants) writeSourceFile(d.file, d.after, d.encoding, plan.root);
}

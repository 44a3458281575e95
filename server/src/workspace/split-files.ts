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

export interface SplitChange {
  file: string;
  before: string;
  after: string;
  edits: TextEdit[];
}

export type SplitPlan =
  | {
      ok: true;
      original: string;
      /** The text that was split (the editor's buffer or the file on disk). */
      source: string;
      parts: Array<SplitPart & { file: string }>;
      dependants: SplitChange[];
      appLabel: string;
    }
  | { ok: false; reason: string };

export interface SplitOptions {
  /** Where to look for migrations that depend on this one. */
  root: string;
  /** The text to split when it differs from the disk (an unsaved editor buffer). */
  text?: string;
}

export async function planSplit(file: string, parser: PythonParser, options: SplitOptions): Promise<SplitPlan> {
  let source: string;
  try {
    source = options.text ?? (await fs.readFile(file, 'utf8'));
  } catch (e) {
    return { ok: false, reason: `cannot read ${file} (${e instanceof Error ? e.message : String(e)})` };
  }
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
  for (const part of parts) {
    const check = parser.parse(part.text);
    const broken = check.rootNode.hasError;
    check.delete();
    if (broken) return { ok: false, reason: `internal error: the part ${part.fileName} would not parse; nothing was changed (please report it).` };
  }

  const dependants: SplitChange[] = [];
  const migrations = (await findPythonFiles(options.root)).filter((f) => f !== file && f.split(sep).slice(-2, -1)[0] === 'migrations');
  for (const other of migrations) {
    let text: string;
    try {
      text = await fs.readFile(other, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes(result.originalName)) continue;
    const t = parser.parse(text);
    try {
      const edits = dependantEdits(t.rootNode, result.appLabel, result.originalName, result.lastName);
      if (edits.length > 0) dependants.push({ file: other, before: text, after: applyFixEdits(text, edits.map((e) => [e])).text, edits });
    } finally {
      t.delete();
    }
  }
  return { ok: true, original: file, source, parts, dependants, appLabel: result.appLabel };
}

/**
 * Writes a plan: checks that no new part's file has appeared since planning (new parts are
 * numbered past every existing migration, so only a file created meanwhile can be in the way),
 * creates the parts exclusively, then rewrites the original and the dependants.
 */
export async function writeSplit(plan: Extract<SplitPlan, { ok: true }>): Promise<void> {
  const inTheWay = plan.parts.slice(1).find((p) => existsSync(p.file));
  if (inTheWay) throw new Error(`${inTheWay.file} already exists; nothing was written`);
  for (const part of plan.parts.slice(1)) await fs.writeFile(part.file, part.text, { flag: 'wx' });
  await fs.writeFile(plan.original, plan.parts[0]?.text ?? '');
  for (const d of plan.dependants) await fs.writeFile(d.file, d.after);
}

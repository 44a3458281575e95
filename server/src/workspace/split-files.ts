/**
 * The file-system side of Split Migration, shared by the CLI and the language server: reads the
 * migration (as Python decodes it) and its folder, takes the app label and the migrations that
 * depend on it from the project view, asks the pure split engine for the parts and the
 * dependants' edits, and checks that nothing would be overwritten, written outside the tree, or
 * change the graph's leaves. It writes nothing itself; `writeSplit` does, for the CLI.
 */
import { maxMigrationAfterSplit } from './max-migration';
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { summarizeTree } from '../analysis/engine';
import { applyFixEdits } from '../analysis/fixes/apply';
import type { PythonParser } from '../analysis/parser';
import type { ProjectMigration, ProjectView } from '../analysis/project/view';
import { dependantEdits, splitMigration, type SplitPart } from '../analysis/split';
import type { TextEdit } from '../analysis/types';
import type { Settings } from '../config/settings';
import type { MigrationFolder } from './project-layout';
import { loadProject } from './project-loader';
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
  /** The project the migration belongs to (its graph decides the app label and the dependants). */
  root: string;
  /** The text to split when it differs from the disk (an unsaved editor buffer). */
  text?: string;
  /** The project view when the caller has one (the language server); else `root` is read. */
  project?: { view: ProjectView; layout: { appOf(file: string): string | null; folderOf(file: string): MigrationFolder | null } };
  /** The settings `root` is read with (auth-user-model, migration-modules). */
  settings?: Pick<Settings, 'authUserModel' | 'migrationModules'>;
  /** The current text of another file (an editor buffer), else null to read the disk. */
  readText?: (file: string) => string | null;
  /** Migrations larger than this many bytes are not read (default: 8 MiB). */
  maxFileSize?: number;
}

function leafIds(view: ProjectView): string[] {
  return view.graph.leaves().map((n) => n.id);
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
  const project = options.project ?? (await loadProject(options.root, parser, options.settings ?? { authUserModel: 'auth.User', migrationModules: {} }));
  const { view, layout } = project;
  // The app label as Django knows it: apps.py, MIGRATION_MODULES, else the folder name.
  const folder = layout.folderOf(file);
  if (folder && !folder.label) {
    return { ok: false, reason: `the app label of ${dir} is not known (${folder.source}), so the migrations that depend on this one cannot be found; nothing was changed.` };
  }
  const appLabel = layout.appOf(file) ?? basename(dirname(dir));
  const squash = view.graph.replacedBy.get(`${appLabel}.${basename(file, '.py')}`);
  if (squash) {
    return { ok: false, reason: `${basename(file)} is replaced by the squashed migration ${squash.key.name}; its parts would be migrations the squash does not replace, so Django would see a second leaf. Nothing was changed.` };
  }
  const tree = parser.parse(source);
  let result;
  try {
    result = splitMigration({ fileName: basename(file), source, tree, siblings, appLabel });
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
  const summaries: ProjectMigration[] = [];
  for (const part of parts) {
    const check = parser.parse(part.text);
    try {
      if (check.rootNode.hasError) return { ok: false, reason: `internal error: the part ${part.fileName} would not parse; nothing was changed (please report it).` };
      const summary = summarizeTree(check, part.name);
      if (summary) summaries.push({ file: part.file, app: appLabel, summary });
    } finally {
      check.delete();
    }
  }

  // Whatever depended on the whole migration (its children in the graph, in any app) now
  // depends on its last part.
  const dependants: SplitChange[] = [];
  const node = view.node(file);
  const readText = options.readText ?? (() => null);
  for (const child of node ? [...node.children] : []) {
    const other = child.migration;
    if (!other || other.file === file) continue;
    const dependant = await readSourceFileAsync(other.file, options.maxFileSize);
    if (!dependant.ok) return { ok: false, reason: `${other.file} depends on this migration but cannot be read (${dependant.reason}); nothing was changed.` };
    const text = readText(other.file) ?? dependant.source.text;
    const t = parser.parse(text);
    try {
      const edits = dependantEdits(t.rootNode, result.appLabel, result.originalName, result.lastName);
      if (edits.length === 0) continue; // it follows through run_before or __latest__
      const after = applyFixEdits(text, edits.map((e) => [e])).text;
      const { readOnly, encoding: dependantEncoding } = dependant.source;
      const refusal = readOnly ?? (outsideTree(other.file, options.root) || (canEncode(after, dependantEncoding) ? null : `its encoding (${dependantEncoding.name}) cannot hold the new name`));
      if (refusal) return { ok: false, reason: `${other.file} depends on ${result.originalName} but cannot be rewritten (${refusal}); nothing was changed.` };
      dependants.push({ file: other.file, before: text, after, edits, encoding: dependantEncoding });
      const changed = parser.parse(after);
      try {
        const summary = summarizeTree(changed, basename(other.file, '.py'));
        if (summary) summaries.push({ file: other.file, app: other.key.app, summary });
      } finally {
        changed.delete();
      }
    } finally {
      t.delete();
    }
  }
  // The truth a split must keep: Django sees the same leaves before and after, the split
  // migration's own place (if it was a leaf) taken by its last part. (A file outside the graph,
  // e.g. in a folder Django would not load, has nothing to keep.)
  if (view.migration(file)) {
    const last = `${appLabel}.${result.lastName}`;
    const self = `${appLabel}.${result.originalName}`;
    const before = leafIds(view).map((id) => (id === self ? last : id)).sort();
    const after = leafIds(view.withChanges(summaries)).sort();
    if (before.join() !== after.join()) {
      return { ok: false, reason: `internal error: the split would change the graph's leaves (${before.join(', ')} → ${after.join(', ')}); nothing was changed (please report it).` };
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
  // django-linear-migrations: the leaf's name moves on to the last part.
  const last = plan.parts[plan.parts.length - 1];
  const max = last ? maxMigrationAfterSplit(plan.original, last.file) : null;
  if (max) writeSourceFile(max.file, max.text, NEW_PART_ENCODING, plan.root);
}

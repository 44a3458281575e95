/**
 * Reads the base classes migrations give models (`bases=(shop.mixins.Priced, models.Model)`) from
 * the project's source on disk, for the project view's question "does this mixin take part in
 * save() or delete()?" (analysis/project/base-class.ts). Only reads and parses: nothing is
 * imported or run. A module is found as Python would find it from the migration's folder upward
 * (`<dir>/shop/mixins.py` or `<dir>/shop/mixins/__init__.py`), once; each file is parsed once, and
 * again only when its size or modification time changes (the editor's project view outlives edits).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PythonParser } from '../analysis/parser';
import { baseWrites, moduleClasses, type BaseWrites, type ModuleClasses } from '../analysis/project/base-class';
import { operationClassEffect, type OperationClassEffect } from '../analysis/project/operation-class';
import { asRunPythonModule, functionModelUses, importedBindings, loopOverRows, savesWholeRows, RUNPYTHON_CODE_RULES, type FunctionReading, type ImportedCodeFinding, type ImportedCodeReading } from '../analysis/project/imported-code';
import { analyzeFile, type RawFinding } from '../analysis/engine';
import { onlyRules } from '../analysis/rules';
import type { Fix, TextEdit } from '../analysis/types';
import type { ProjectView } from '../analysis/project/view';
import type { Node } from '../analysis/syntax';

/**
 * A function as read without the project view: `viewWanted` when a rule withheld fixes (or more) for
 * want of the view's answers about the models the code writes; a reading with the view gives them.
 */
type FunctionRead = Exclude<FunctionReading, { kind: 'read' }> | (Extract<FunctionReading, { kind: 'read' }> & { findings: ImportedCodeFinding[]; viewWanted: boolean });

/** How many re-exports (`from .rbac import create_roles` in a package's __init__.py) are followed. */
const MAX_REEXPORTS = 4;

/** Modules larger than this are not read (a generated file, not a mixin). */
const MAX_MODULE_BYTES = 1 << 20;
/** How many folders above a migration's folder a module's root may be. */
const MAX_LEVELS = 10;

interface Parsed {
  size: number;
  mtimeMs: number;
  classes: ModuleClasses | null;
}

/**
 * The fixes of a finding in a module read as RunPython code that edit only the module's own lines
 * (not the migration appended to it: `atomic = False` belongs to the migration that runs it, which
 * such a fix cannot know), create no file and can be written.
 */
function moduleFixes(fixes: readonly Fix[], lines: number): Array<{ title: string; edits: TextEdit[]; isPreferred: boolean }> {
  return fixes
    .filter((f) => !f.creates?.length && f.edits.length > 0 && f.edits.every((e) => e.range.end.line < lines))
    .map((f) => ({ title: f.title, edits: f.edits, isPreferred: f.isPreferred }));
}

/**
 * The findings of the rules about RunPython code in the module's own lines (not the migration appended
 * to it) that belong to a function whose rows are `spans` (a finding belongs to every function that
 * reaches the code it is in: a helper two of them call); a save loop only where it walks rows (loopOverRows).
 */
function ownFindings(found: readonly RawFinding[], root: Node, lines: number, spans: ReadonlyArray<[number, number]>): RawFinding[] {
  return found.filter(
    (f) =>
      RUNPYTHON_CODE_RULES.has(f.rule) &&
      f.range.start.line < lines &&
      (f.rule !== 'unbatched-save-loop' || loopOverRows(root, f.range)) &&
      spans.some(([a, b]) => f.range.start.line >= a && f.range.start.line <= b),
  );
}

/** A finding of the module's own lines as the reading keeps it, with those of `fixes` that edit only those lines. */
function moduleFinding(f: RawFinding, fixes: readonly Fix[], lines: number): ImportedCodeFinding {
  return { rule: f.rule, message: f.message, range: f.range, fixes: moduleFixes(fixes, lines) };
}

/** A file's size and modification time; null when there is no such file. */
function statOf(file: string): { size: number; mtimeMs: number } | null {
  try {
    const s = statSync(file);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Whether a path is a file (not a folder named like a module). */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export class BaseClassReader {
  private readonly parsed = new Map<string, Parsed>();
  /**
   * Where each module was found from each folder (null: nowhere). Kept for the reader's life: a
   * module added later is seen by the next reader (the editor's next workspace scan, the next run).
   */
  private readonly found = new Map<string, string | null>();

  constructor(private readonly parser: PythonParser) {}

  /** Module file -> the migrations whose imported RunPython code was read from it (what a change of it must re-lint). */
  private readonly askedBy = new Map<string, Set<string>>();
  /** What each module file imports, by name (to follow a function it re-exports). */
  private readonly exports = new Map<string, { size: number; mtimeMs: number; imports: Map<string, string | null> | null }>();
  /** Functions read from modules (by file, name, size and modification time). */
  private readonly functions = new Map<string, { size: number; mtimeMs: number; reading: FunctionRead }>();
  /** Findings of functions read again with a migration's project view, per view (a new view asks again). */
  private readonly inView = new WeakMap<ProjectView, Map<string, ImportedCodeFinding[] | null>>();

  /** Every file read so far (what an answer depends on: a cache keeps their hashes). */
  get files(): string[] {
    return [...new Set([...this.parsed.keys(), ...this.exports.keys(), ...[...this.functions.keys()].map((k) => k.slice(0, k.indexOf('\0')))])];
  }

  /** Whether some function read so far had fixes withheld for want of the project view (see findingsInView). */
  viewWanted(): boolean {
    return [...this.functions.values()].some((f) => f.reading.kind === 'read' && f.reading.viewWanted);
  }

  /** What the class `qualified` does to writes, as the migration `fromFile` would import it. */
  writes(qualified: string, fromFile: string): BaseWrites {
    return baseWrites(qualified, (module) => this.module(module, dirname(fromFile)));
  }

  /** What the operation class `qualified` does to the model state, as the migration `fromFile` would import it. */
  operationClass(qualified: string, fromFile: string): OperationClassEffect {
    return operationClassEffect(qualified, (module) => this.module(module, dirname(fromFile)));
  }

  /** The migrations whose RunPython code, read from `file`, a change of that file may change the findings of. */
  dependantsOf(file: string): string[] {
    return [...(this.askedBy.get(file) ?? [])];
  }

  /**
   * The function `qualified` (`awx.main.migrations._rbac.create_roles`, or relative as the migration
   * `fromFile` imports it: `.add_default_groups`) as RunPython would run it in a migration that is
   * atomic or not: the models it and the helpers of its module use as imported, and what the rules
   * about RunPython code find in it. Unknown, with why, when it is not in the project or cannot be
   * read.
   */
  importedCode(qualified: string, fromFile: string, atomic = true, view?: ProjectView): ImportedCodeReading {
    const target = this.resolveFunction(qualified, fromFile);
    if ('why' in target) return { kind: 'unknown', why: target.why };
    const reading = this.functionsIn(target.file, [target.name], atomic).get(target.name);
    if (!reading) return { kind: 'unknown', why: `${target.file} cannot be read` };
    if (reading.kind === 'missing') return { kind: 'unknown', why: reading.why };
    if (reading.kind !== 'read') return { kind: 'unknown', why: `${qualified} cannot be followed` };
    const findings = view && reading.viewWanted ? (this.findingsInView(target.file, target.name, reading.spans, atomic, fromFile, view) ?? reading.findings) : reading.findings;
    return { kind: 'read', file: target.file, function: target.name, uses: reading.uses, findings };
  }

  /**
   * What the rules about RunPython code find in the function `name` of `file` read with the project
   * view of the migration `fromFile` that runs it — the models as they are during that migration, the
   * fields their save() stamps, their base classes — and so with the fixes a reading without it
   * withholds (review 63: 9 of awx's save loops in `_rbac.py`, `_multi_cred.py`, … had none before).
   * Null when the module cannot be read again.
   */
  private findingsInView(file: string, name: string, spans: ReadonlyArray<[number, number]>, atomic: boolean, fromFile: string, view: ProjectView): ImportedCodeFinding[] | null {
    const stat = statOf(file);
    if (!stat) return null;
    let known = this.inView.get(view);
    if (!known) this.inView.set(view, (known = new Map()));
    const key = `${file}\0${name}\0${atomic}\0${fromFile}\0${stat.size}\0${stat.mtimeMs}`;
    if (known.has(key)) return known.get(key) ?? null;
    let found: ImportedCodeFinding[] | null = null;
    try {
      const source = readFileSync(file, 'utf8');
      const lines = source.split('\n').length;
      found = this.readAlone(source, name, atomic, { view, file: fromFile }, (findings, root) => ownFindings(findings, root, lines, spans).map((f) => moduleFinding(f, f.fixes, lines)));
    } catch {
      // Whatever the module holds, the run goes on with the reading made without the view.
      found = null;
    }
    known.set(key, found);
    return found;
  }

  /**
   * Reads, in one pass per module, every function the questions name (what a `check` asks all at
   * once): each module is parsed once for the lot instead of once per function. The answers are
   * then what `importedCode` gives, from the cache.
   */
  readAll(questions: ReadonlyArray<{ qualified: string; fromFile: string; atomic: boolean }>): void {
    const groups = new Map<string, { file: string; atomic: boolean; names: Set<string> }>();
    for (const q of questions) {
      const target = this.resolveFunction(q.qualified, q.fromFile);
      if ('why' in target) continue;
      const key = `${target.file}\0${q.atomic}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { file: target.file, atomic: q.atomic, names: new Set() }));
      g.names.add(target.name);
    }
    for (const g of groups.values()) this.functionsIn(g.file, [...g.names], g.atomic);
  }

  /** The module file and the name a function comes from, through re-exports; or why it cannot be found. */
  private resolveFunction(qualified: string, fromFile: string): { file: string; name: string } | { why: string } {
    let target = qualified;
    let from = fromFile;
    for (let hop = 0; hop <= MAX_REEXPORTS; hop++) {
      // `.close` / `..close`: a name of the package the dots name.
      const dots = /^\.*/.exec(target)?.[0].length ?? 0;
      const dot = Math.max(target.lastIndexOf('.'), dots - 1);
      const name = target.slice(dot + 1);
      const moduleName = dot < 0 ? '' : dot < dots ? target.slice(0, dots) : target.slice(0, dot);
      if (name === '' || moduleName === '') return { why: `${qualified} names no module` };
      const file = this.moduleFile(moduleName, from);
      if (!file) return { why: `${moduleName} is not in the project` };
      let askers = this.askedBy.get(file);
      if (!askers) this.askedBy.set(file, (askers = new Set()));
      askers.add(fromFile);
      const next = this.reExported(file, name);
      if (next === null) return { file, name };
      if (typeof next !== 'string') return next;
      target = next;
      from = file;
    }
    return { why: `${qualified} is re-exported too many times` };
  }

  /** Where a module re-exports `name` from (`from .rbac import create_roles`); null when it does not (or cannot be read: the reading says why). */
  private reExported(file: string, name: string): string | null | { why: string } {
    const stat = statOf(file);
    if (!stat) return { why: `${file} cannot be read` };
    let known = this.exports.get(file);
    if (!known || known.size !== stat.size || known.mtimeMs !== stat.mtimeMs) {
      let imports: Map<string, string | null> | null = null;
      if (stat.size <= MAX_MODULE_BYTES) {
        try {
          const tree = this.parser.parse(readFileSync(file, 'utf8'));
          try {
            imports = tree.rootNode.hasError ? null : importedBindings(tree.rootNode);
          } finally {
            tree.delete();
          }
        } catch {
          imports = null;
        }
      }
      this.exports.set(file, (known = { size: stat.size, mtimeMs: stat.mtimeMs, imports }));
    }
    // A module that cannot be read is said to be so by the function reading.
    return known.imports?.get(name) ?? null;
  }

  /** The file of a module as `fromFile` imports it: relative (`.`, `..rbac`) from its folder, else as Python finds it from there upward. */
  private moduleFile(module: string, fromFile: string): string | null {
    const dots = /^\.*/.exec(module)?.[0].length ?? 0;
    if (dots === 0) {
      const key = `${dirname(fromFile)}\0${module}`;
      let file = this.found.get(key);
      if (file === undefined) this.found.set(key, (file = this.locate(module, dirname(fromFile))));
      return file;
    }
    // `.` is the package the importing file is in, whether that file is its __init__.py or a module of it.
    let dir = dirname(fromFile);
    for (let up = 1; up < dots; up++) dir = dirname(dir);
    const rest = module.slice(dots);
    if (rest === '') return isFile(join(dir, '__init__.py')) ? join(dir, '__init__.py') : null;
    const base = join(dir, ...rest.split('.'));
    // A package before a module of the same name, as Python's path finder looks.
    for (const file of [join(base, '__init__.py'), `${base}.py`]) if (isFile(file)) return file;
    return null;
  }

  /**
   * Functions of a file as read (cached by size and modification time): those not read yet are read
   * together, in one parse of the module with a migration appended that runs them all (asRunPythonModule),
   * so the rules about RunPython code read them as a migration's own. An empty map when the file cannot be read.
   */
  private functionsIn(file: string, names: readonly string[], atomic: boolean): Map<string, FunctionRead> {
    const out = new Map<string, FunctionRead>();
    const stat = statOf(file);
    if (!stat) return out;
    const keyOf = (name: string) => `${file}\0${name}\0${atomic}`;
    const todo: string[] = [];
    for (const name of names) {
      const known = this.functions.get(keyOf(name));
      if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) out.set(name, known.reading);
      else todo.push(name);
    }
    if (todo.length === 0) return out;
    const store = (name: string, reading: FunctionRead) => {
      this.functions.set(keyOf(name), { size: stat.size, mtimeMs: stat.mtimeMs, reading });
      out.set(name, reading);
    };
    if (stat.size > MAX_MODULE_BYTES) {
      for (const name of todo) store(name, { kind: 'missing', why: `${file} is too large to read` });
      return out;
    }
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      return out;
    }
    try {
      this.readFunctions(source, todo, atomic, store);
    } catch (e) {
      // Whatever the module holds, the run goes on: its functions are said to be unreadable.
      for (const name of todo) if (!out.has(name)) store(name, { kind: 'missing', why: `${file} could not be read (${e instanceof Error ? e.message : String(e)})` });
    }
    return out;
  }

  /** Reads `todo`, functions of the module `source`, together (see functionsIn), storing each answer. */
  private readFunctions(source: string, todo: readonly string[], atomic: boolean, store: (name: string, reading: FunctionRead) => void): void {
    const lines = source.split('\n').length;
    // Only names the module defines as functions go into the migration (a name it does not bind would not parse as one).
    const tree = this.parser.parse(asRunPythonModule(source, todo.filter((n) => /^[A-Za-z_]\w*$/.test(n)), atomic));
    try {
      const root = tree.rootNode;
      // The module's own Migration class (a migration after all) would be read instead of the appended one.
      const ownMigration = root.namedChildren.filter((c) => c.type === 'class_definition' && c.childForFieldName('name')?.text === 'Migration').length > 1;
      const readings = new Map(todo.map((name) => [name, functionModelUses(root, name)] as const));
      const runnable = [...readings].filter(([, r]) => r.kind === 'read');
      // No "commit in batches": it needs `atomic = False` on the migration that runs the code, which a
      // fix made to the module cannot write (and would read the appended migration's other operations).
      const analysis = runnable.length > 0 && !ownMigration && !root.hasError ? analyzeFile(tree, root.text, { rules: onlyRules({}, RUNPYTHON_CODE_RULES), commitInBatches: false, name: 'imported' }).analysis : null;
      const found = analysis?.findings ?? [];
      // A rule that wanted the project view to judge its fixes (a mixin's save(), a child of multi-table
      // inheritance, fields stamped on save) had none here: no fix of that reading is offered.
      const fixable = !analysis?.viewRules?.length;
      for (const [name, r] of readings) {
        if (r.kind !== 'read') {
          store(name, r);
          continue;
        }
        const mine = ownFindings(found, root, lines, r.spans);
        // Another function of the lot wanted the view: this one's fixes are judged on a reading of its own.
        const own = !fixable && mine.length > 0 ? this.ownReading(source, name, atomic) : null;
        const fixesOf = (f: (typeof mine)[number]): Fix[] => (fixable ? f.fixes : (own?.find((o) => o.rule === f.rule && o.range.start.line === f.range.start.line && o.range.start.character === f.range.start.character)?.fixes ?? []));
        // A bare save() stamps fields only the view knows of: no rewrite of such a loop is made here.
        const fixesFor = (f: (typeof mine)[number]): Fix[] => (f.rule === 'unbatched-save-loop' && savesWholeRows(root, f.range) ? [] : fixesOf(f));
        // Withheld for want of the view: a reading with a migration's view gives them (findingsInView).
        const viewWanted = mine.length > 0 && (!fixable || mine.some((f) => f.rule === 'unbatched-save-loop' && savesWholeRows(root, f.range)));
        store(name, { ...r, findings: mine.map((f) => moduleFinding(f, fixesFor(f), lines)), viewWanted });
      }
    } finally {
      tree.delete();
    }
  }

  /** The findings of one function read alone as RunPython code; none when a rule wanted the project view for them. */
  private ownReading(source: string, name: string, atomic: boolean): RawFinding[] {
    return this.readAlone(source, name, atomic, undefined, (findings, _root, viewRules) => (viewRules ? [] : [...findings]));
  }

  /**
   * The function `name` of the module `source` read alone as RunPython code of a migration (atomic or
   * not), with `project` when given; `take` picks from the findings while the tree is alive.
   */
  private readAlone<T>(source: string, name: string, atomic: boolean, project: { view: ProjectView; file: string } | undefined, take: (findings: readonly RawFinding[], root: Node, viewRules: boolean) => T): T {
    const tree = this.parser.parse(asRunPythonModule(source, [name], atomic));
    try {
      const { analysis } = analyzeFile(tree, tree.rootNode.text, { rules: onlyRules({}, RUNPYTHON_CODE_RULES), commitInBatches: false, name: 'imported', ...(project ? { project } : {}) });
      return take(analysis.findings, tree.rootNode, !!analysis.viewRules?.length);
    } finally {
      tree.delete();
    }
  }

  private module(module: string, start: string): { classes: ModuleClasses; isPackage: boolean } | null | 'unreadable' {
    const key = `${start}\0${module}`;
    let file = this.found.get(key);
    if (file === undefined) this.found.set(key, (file = this.locate(module, start)));
    if (file === null) return null;
    const classes = this.classesOf(file);
    // Gone since it was found: look again (next time).
    if (classes === undefined) this.found.delete(key);
    return classes ? { classes, isPackage: file.endsWith('__init__.py') } : classes === null ? 'unreadable' : null;
  }

  /** The file of a module, from `start` upward as Python would find it from there; null when there is none. */
  private locate(module: string, start: string): string | null {
    const rel = join(...module.split('.'));
    for (let dir = start, up = 0; up < MAX_LEVELS; dir = dirname(dir), up++) {
      for (const file of [join(dir, rel, '__init__.py'), `${join(dir, rel)}.py`]) if (isFile(file)) return file;
      if (dirname(dir) === dir) break;
    }
    return null;
  }

  /** The classes of a file; undefined when there is no such file, null when it cannot be read. */
  private classesOf(file: string): ModuleClasses | null | undefined {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return undefined;
    }
    if (!stat.isFile()) return undefined;
    const known = this.parsed.get(file);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.classes;
    let classes: ModuleClasses | null = null;
    if (stat.size <= MAX_MODULE_BYTES) {
      try {
        const tree = this.parser.parse(readFileSync(file, 'utf8'));
        try {
          // A module that does not parse may hide a save() in what the parser could not read.
          classes = tree.rootNode.hasError ? null : moduleClasses(tree.rootNode);
        } finally {
          tree.delete();
        }
      } catch {
        classes = null;
      }
    }
    this.parsed.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, classes });
    return classes;
  }
}

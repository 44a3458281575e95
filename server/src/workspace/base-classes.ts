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
import { asRunPythonModule, functionModelUses, RUNPYTHON_CODE_RULES, type ImportedCodeFinding, type ImportedCodeReading } from '../analysis/project/imported-code';
import { analyzeFile } from '../analysis/engine';
import { onlyRules } from '../analysis/rules';

type FunctionRead = ReturnType<typeof functionModelUses> extends infer R ? (R extends { kind: 'read' } ? R & { findings: ImportedCodeFinding[] } : R) : never;

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
  /** Functions read from modules (by file, name, size and modification time). */
  private readonly functions = new Map<string, { size: number; mtimeMs: number; reading: FunctionRead }>();

  /** Every file read so far (what an answer depends on: a cache keeps their hashes). */
  get files(): string[] {
    return [...new Set([...this.parsed.keys(), ...[...this.functions.keys()].map((k) => k.slice(0, k.indexOf('\0')))])];
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
   * `fromFile` imports it: `.add_default_groups`) as RunPython would run it: the models it and the
   * helpers of its module use as imported. Unknown, with why, when it is not in the project or
   * cannot be read.
   */
  importedCode(qualified: string, fromFile: string, atomic = true): ImportedCodeReading {
    let target = qualified;
    let from = fromFile;
    for (let hop = 0; hop <= MAX_REEXPORTS; hop++) {
      // `.close` / `..close`: a name of the package the dots name.
      const dots = /^\.*/.exec(target)?.[0].length ?? 0;
      const dot = Math.max(target.lastIndexOf('.'), dots - 1);
      const name = target.slice(dot + 1);
      const moduleName = dot < 0 ? '' : dot < dots ? target.slice(0, dots) : target.slice(0, dot);
      if (name === '' || moduleName === '') return { kind: 'unknown', why: `${qualified} names no module` };
      const file = this.moduleFile(moduleName, from);
      if (!file) return { kind: 'unknown', why: `${moduleName} is not in the project` };
      let askers = this.askedBy.get(file);
      if (!askers) this.askedBy.set(file, (askers = new Set()));
      askers.add(fromFile);
      const reading = this.functionIn(file, name, atomic);
      if (!reading) return { kind: 'unknown', why: `${file} cannot be read` };
      if (reading.kind === 'read') return { kind: 'read', file, function: name, uses: reading.uses, findings: reading.findings };
      if (reading.kind === 'missing') return { kind: 'unknown', why: reading.why };
      target = reading.next;
      from = file;
    }
    return { kind: 'unknown', why: `${qualified} is re-exported too many times` };
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
    for (const file of [`${base}.py`, join(base, '__init__.py')]) if (isFile(file)) return file;
    return null;
  }

  /** A function of a file as read (cached by size and modification time); null when the file cannot be read. */
  private functionIn(file: string, name: string, atomic: boolean): FunctionRead | null {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return null;
    }
    const key = `${file}\0${name}\0${atomic}`;
    const known = this.functions.get(key);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.reading;
    if (stat.size > MAX_MODULE_BYTES) return { kind: 'missing', why: `${file} is too large to read` };
    let reading: FunctionRead;
    try {
      const source = readFileSync(file, 'utf8');
      const tree = this.parser.parse(source);
      try {
        const uses = functionModelUses(tree.rootNode, name);
        reading = uses.kind === 'read' ? { ...uses, findings: this.codeFindings(source, name, atomic, tree.rootNode.descendantsOfType('class_definition').some((c) => c.childForFieldName('name')?.text === 'Migration')) } : uses;
      } finally {
        tree.delete();
      }
    } catch {
      return null;
    }
    this.functions.set(key, { size: stat.size, mtimeMs: stat.mtimeMs, reading });
    return reading;
  }

  /**
   * The findings of the rules about RunPython code in `name`, read as a migration's RunPython code
   * (asRunPythonModule), within the module's own lines. None for a module that has a Migration class
   * of its own (it would be read instead).
   */
  private codeFindings(source: string, name: string, atomic: boolean, hasMigration: boolean): ImportedCodeFinding[] {
    if (hasMigration) return [];
    const lines = source.split('\n').length;
    const tree = this.parser.parse(asRunPythonModule(source, name, atomic));
    try {
      const { analysis } = analyzeFile(tree, tree.rootNode.text, { rules: onlyRules({}, RUNPYTHON_CODE_RULES), commitInBatches: false, name: 'imported' });
      return analysis.findings.filter((f) => RUNPYTHON_CODE_RULES.has(f.rule) && f.range.start.line < lines).map((f) => ({ rule: f.rule, message: f.message, range: f.range }));
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
      for (const file of [`${join(dir, rel)}.py`, join(dir, rel, '__init__.py')]) if (isFile(file)) return file;
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

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

  /** Every file read so far (what an answer depends on: a cache keeps their hashes). */
  get files(): string[] {
    return [...this.parsed.keys()];
  }

  /** What the class `qualified` does to writes, as the migration `fromFile` would import it. */
  writes(qualified: string, fromFile: string): BaseWrites {
    return baseWrites(qualified, (module) => this.module(module, dirname(fromFile)));
  }

  /** What the operation class `qualified` does to the model state, as the migration `fromFile` would import it. */
  operationClass(qualified: string, fromFile: string): OperationClassEffect {
    return operationClassEffect(qualified, (module) => this.module(module, dirname(fromFile)));
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

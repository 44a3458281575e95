/**
 * Loads web-tree-sitter and the Python grammar from explicit file paths and parses source text,
 * incrementally when given the previous tree. The only module that talks to the tree-sitter runtime.
 */
import { Edit, Language, Parser, Tree } from 'web-tree-sitter';

export interface GrammarPaths {
  /** web-tree-sitter's own runtime (web-tree-sitter.wasm). */
  runtimeWasm: string;
  /** The compiled Python grammar (tree-sitter-python.wasm). */
  pythonWasm: string;
}

let runtimeReady: Promise<void> | undefined;
let runtimePath: string | undefined;

function initRuntime(runtimeWasm: string): Promise<void> {
  if (runtimeReady) {
    if (runtimePath !== runtimeWasm) {
      // The runtime is process-wide; a second location would be silently ignored, so say so.
      return Promise.reject(new Error(`web-tree-sitter already initialised from ${runtimePath}`));
    }
    return runtimeReady;
  }
  runtimePath = runtimeWasm;
  runtimeReady = Parser.init({ locateFile: () => runtimeWasm });
  return runtimeReady;
}

/** A Python parser bound to one grammar. Not thread-safe: one per worker. */
export class PythonParser {
  private constructor(
    private readonly parser: Parser,
    readonly language: Language,
  ) {}

  static async create(paths: GrammarPaths): Promise<PythonParser> {
    await initRuntime(paths.runtimeWasm);
    const language = await Language.load(paths.pythonWasm);
    const parser = new Parser();
    parser.setLanguage(language);
    return new PythonParser(parser, language);
  }

  /** Parses `text`; pass `oldTree` (already `edit`ed to match) to reuse unchanged subtrees. */
  parse(text: string, oldTree?: Tree | null): Tree {
    const tree = this.parser.parse(text, oldTree ?? null);
    if (!tree) throw new Error('tree-sitter returned no tree (parser has no language?)');
    return tree;
  }

  dispose(): void {
    this.parser.delete();
  }
}

export interface TextChange {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: { row: number; column: number };
  oldEndPosition: { row: number; column: number };
  newEndPosition: { row: number; column: number };
}

/** Tells `tree` about a text change so the next parse can reuse what did not change. */
export function editTree(tree: Tree, change: TextChange): void {
  tree.edit(new Edit(change));
}

export type { Tree };

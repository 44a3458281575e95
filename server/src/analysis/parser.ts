/**
 * Loads web-tree-sitter and the Python grammar from explicit file paths and parses source text,
 * incrementally when given the previous tree. The only module that talks to the tree-sitter runtime.
 */
import { readFile as readFileCallback, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Edit, Language, Parser, Tree } from 'web-tree-sitter';

export interface GrammarPaths {
  /** web-tree-sitter's own runtime (web-tree-sitter.wasm). */
  runtimeWasm: string;
  /** The compiled Python grammar (tree-sitter-python.wasm). */
  pythonWasm: string;
}

/**
 * Both .wasm files compiled once, to be handed to worker threads: a thread that instantiates a
 * compiled module shares its machine code (and the optimised tier V8 builds for it later) instead
 * of compiling the grammar again. Structured-cloneable (postMessage, workerData).
 */
export interface CompiledGrammar {
  runtime: WebAssembly.Module;
  python: WebAssembly.Module;
}

/**
 * A file's bytes, without loading node:fs/promises: about 6 ms of a worker thread's start, and a
 * worker never reads the grammar itself (it is handed the compiled modules).
 */
function readFile(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => readFileCallback(file, (error, bytes) => (error ? reject(error) : resolve(bytes))));
}

export async function compileGrammar(paths: GrammarPaths): Promise<CompiledGrammar> {
  const [runtime, python] = await Promise.all([readFile(paths.runtimeWasm), readFile(paths.pythonWasm)]);
  const [runtimeModule, pythonModule] = await Promise.all([WebAssembly.compile(runtime), WebAssembly.compile(python)]);
  return { runtime: runtimeModule, python: pythonModule };
}

/**
 * compileGrammar without waiting: for a thread busy with synchronous work (the CLI's discovery walk)
 * that starts workers in the middle of it. A few milliseconds: V8 compiles WebAssembly lazily,
 * each function on its first call.
 * @param eager compile every function now (about 20 ms here), for modules handed to worker threads:
 *   each worker then runs the shared machine code from its first parse, where lazily each met its
 *   first files compiling (about 13 ms of a worker's first result; a whole run's CPU is the same).
 *   The flag is set and put back around the synchronous compile: a flag changed at run time changes
 *   V8's flag hash, which every code cache is checked against (v8-tuning.ts).
 */
export function compileGrammarSync(paths: GrammarPaths, eager = false): CompiledGrammar {
  // Node's WebAssembly typings omit the synchronous constructor's argument.
  const compile = (file: string): WebAssembly.Module => new (WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module)(readFileSync(file));
  const lazyByDefault = !process.execArgv.some((a) => /^--(?:no-)?wasm-lazy-compilation$/.test(a));
  if (eager && lazyByDefault) setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return { runtime: compile(paths.runtimeWasm), python: compile(paths.pythonWasm) };
  } finally {
    if (eager && lazyByDefault) setFlagsFromString('--wasm-lazy-compilation');
  }
}

let runtimeReady: Promise<void> | undefined;
let runtimePath: string | undefined;

function initRuntime(runtimeWasm: string, compiled?: WebAssembly.Module): Promise<void> {
  if (runtimeReady) {
    if (runtimePath !== runtimeWasm) {
      // The runtime is process-wide; a second location would be silently ignored, so say so.
      return Promise.reject(new Error(`web-tree-sitter already initialised from ${runtimePath}`));
    }
    return runtimeReady;
  }
  runtimePath = runtimeWasm;
  const options: Parameters<typeof Parser.init>[0] = { locateFile: () => runtimeWasm };
  if (compiled) {
    // Emscripten's hook: instantiate the module we were given, and hand back (instance, module).
    options.instantiateWasm = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
      done(new WebAssembly.Instance(compiled, imports), compiled);
      return {};
    };
  }
  runtimeReady = Parser.init(options);
  return runtimeReady;
}

/** The grammars this thread loaded, by file (never deleted: a language outlives its parsers). */
const languages = new Map<string, Promise<Language>>();

/** A Python parser bound to one grammar. Not thread-safe: one per worker. */
export class PythonParser {
  private constructor(
    private readonly parser: Parser,
    readonly language: Language,
  ) {}

  /**
   * @param compiled the grammar already compiled (by compileGrammar, possibly in another thread)
   * A thread loads each grammar once: a second parser (the CLI's second look at a few files with
   * the project view) shares the language the first one loaded.
   */
  static async create(paths: GrammarPaths, compiled?: CompiledGrammar): Promise<PythonParser> {
    await initRuntime(paths.runtimeWasm, compiled?.runtime);
    let loading = languages.get(paths.pythonWasm);
    if (!loading) {
      // The bytes, not the path: given a path, web-tree-sitter reads it through a dynamic import(),
      // which a bundle run through the code cache (a vm.Script) cannot do.
      loading = compiled ? Promise.resolve(Language.loadSync(compiled.python)) : readFile(paths.pythonWasm).then((bytes) => Language.load(bytes));
      languages.set(paths.pythonWasm, loading);
      loading.catch(() => languages.delete(paths.pythonWasm));
    }
    const language = await loading;
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

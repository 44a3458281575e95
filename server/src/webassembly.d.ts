/**
 * The part of the WebAssembly JS API the parser uses to compile the grammar once and share it with
 * worker threads. Node has it globally; the ES2022 lib and Node 20's types do not declare it.
 */
declare namespace WebAssembly {
  class Module {
    private readonly __wasmModule: never;
  }
  type Imports = Record<string, Record<string, unknown>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: Uint8Array): Promise<Module>;
}

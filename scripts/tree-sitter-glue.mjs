// Two changes to web-tree-sitter's JavaScript glue, made when esbuild bundles it (esbuild.mjs).
// Every node property the analysis reads crosses into WebAssembly through this glue, and on a
// cold `check` of real projects the glue cost more of the run's CPU than our own rules did:
//
// 1. getValue / setValue (Emscripten's generic memory accessors, called with "i32" for every
//    field of every node passed to and from WebAssembly) compare the type name as a string on
//    every call before reading. The "i32" case is answered first, with the very read the generic
//    path makes for that type (the heap's DataView, little-endian, at the address rounded down to
//    4 bytes).
// 2. Node.type asks WebAssembly for the node's symbol each time it is read. A node's type never
//    changes (an edit moves nodes, it does not retype them), so each Node object keeps it once read.
// 3. A Node keeps its WebAssembly handle in an indexed property (`this[0]`), which gives every Node
//    object an elements store of its own besides its named fields: building one took about 300 ns
//    in a micro-benchmark on this machine, 60 without it, and a cold `check` builds millions. The
//    handle goes into a named field instead; marshalNode, the only reader of a Node's `[0]`, reads it
//    there. (Tree, TreeCursor and LookaheadIterator keep theirs: they are few.)
//
// Each change must match the package's text exactly once, or the build fails: a new version of
// web-tree-sitter is then checked by hand, never patched by a guess. The version it was written
// for is pinned in package.json. test/tree-sitter-glue.test.ts loads the patched glue next to the
// package's own and requires both to give the same answer for every node of real migrations.

export const GLUE_VERSION = '0.27.1';

const CHANGES = [
  {
    what: 'getValue answers "i32" first',
    from: 'function getValue(ptr, type = "i8") {\n',
    to: 'function getValue(ptr, type = "i8") {\n          if (type === "i32") return HEAP_DATA_VIEW.getInt32((ptr >> 2) * 4, true);\n',
  },
  {
    what: 'setValue answers "i32" first',
    from: 'function setValue(ptr, value, type = "i8") {\n',
    to: 'function setValue(ptr, value, type = "i8") {\n          if (type === "i32") {\n            HEAP_DATA_VIEW.setInt32((ptr >> 2) * 4, value, true);\n            return;\n          }\n',
  },
  {
    what: 'Node declares where it keeps its type',
    from: '  /** @internal */\n  _namedChildren;\n  /** @internal */\n  constructor(internal, {',
    to: '  /** @internal */\n  _namedChildren;\n  _typeName = void 0;\n  /** @internal */\n  constructor(internal, {',
  },
  {
    what: 'Node declares its handle as a named field',
    from: '    __name(this, "Node");\n  }\n  /** @internal */\n  // @ts-expect-error: never read\n  [0] = 0;\n',
    to: '    __name(this, "Node");\n  }\n  /** @internal */\n  _handle = 0;\n',
  },
  {
    what: 'Node keeps its handle in the named field',
    from: '    assertInternal(internal);\n    this[0] = other;\n',
    to: '    assertInternal(internal);\n    this._handle = other;\n',
  },
  {
    what: 'marshalNode reads the named field',
    from: '  C.setValue(address, node[0], "i32");\n',
    to: '  C.setValue(address, node._handle, "i32");\n',
  },
  {
    what: 'Node.type is read from WebAssembly once per Node',
    from: '  get type() {\n    return this.tree.language.types[this.typeId] || "ERROR";\n  }',
    to: '  get type() {\n    return this._typeName ??= this.tree.language.types[this.typeId] || "ERROR";\n  }',
  },
];

/** The glue's source with the changes made; throws when one of them does not match exactly once. */
export function patchWebTreeSitter(source) {
  let out = source;
  for (const change of CHANGES) {
    const first = out.indexOf(change.from);
    if (first === -1 || out.indexOf(change.from, first + 1) !== -1) {
      throw new Error(
        `web-tree-sitter's glue is not the one scripts/tree-sitter-glue.mjs was written for (${GLUE_VERSION}): ` +
          `"${change.what}" matches ${first === -1 ? 'nowhere' : 'more than once'}. Check the new glue by hand and update or drop the change.`,
      );
    }
    out = out.slice(0, first) + change.to + out.slice(first + change.from.length);
  }
  return out;
}

/**
 * The bundles carry web-tree-sitter's glue with two changes (scripts/tree-sitter-glue.mjs). Loaded
 * side by side with the package's own glue, the changed one must give the same answer for every
 * node of every fixture migration and of text that does not parse; and the change must refuse a
 * glue it was not written for instead of patching a guess.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as stock from 'web-tree-sitter';
import { FIXTURES, GRAMMAR_PATHS, REPO_ROOT } from './helpers/paths';

type Glue = typeof stock;
type SyntaxNode = stock.Node;

interface GlueModule {
  GLUE_VERSION: string;
  patchWebTreeSitter(source: string): string;
}

const CJS = join(REPO_ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.cjs');

// Loaded at run time: tsc does not compile the build script, and an .mjs cannot be require()d.
const loadGlueModule = new Function('p', 'return import(p)') as (p: string) => Promise<GlueModule>;

function pythonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? pythonFiles(join(dir, e.name)) : e.name.endsWith('.py') ? [join(dir, e.name)] : []));
}

/** Everything the analysis reads of a node, for the node and every node under it. */
function describeTree(root: SyntaxNode): string[] {
  const out: string[] = [];
  const stack: SyntaxNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop() as SyntaxNode;
    const fields = ['name', 'body', 'function', 'arguments', 'left', 'right', 'value', 'object', 'attribute'].map((f) => n.childForFieldName(f)?.startIndex ?? '-');
    out.push(
      [n.type, n.type, n.typeId, n.isNamed, n.isError, n.isMissing, n.hasError, n.startIndex, n.endIndex, n.startPosition.row, n.startPosition.column,
        n.endPosition.row, n.endPosition.column, n.childCount, n.namedChildCount, n.parent?.type ?? '-', n.text.length < 40 ? n.text : n.text.length, ...fields].join('|'),
    );
    for (let i = n.childCount - 1; i >= 0; i--) stack.push(n.child(i) as SyntaxNode);
  }
  out.push(`identifiers ${root.descendantsOfType('identifier').map((n) => n.text).join(',')}`);
  out.push(`calls ${root.descendantsOfType(['call', 'for_statement']).map((n) => `${n.type}@${n.startIndex}`).join(',')}`);
  return out;
}

async function parserOf(glue: Glue): Promise<stock.Parser> {
  await glue.Parser.init({ locateFile: () => GRAMMAR_PATHS.runtimeWasm });
  const parser = new glue.Parser();
  parser.setLanguage(await glue.Language.load(GRAMMAR_PATHS.pythonWasm));
  return parser;
}

describe('web-tree-sitter glue as bundled', () => {
  let dir = '';
  let glue: GlueModule;
  let patchedParser: stock.Parser;
  let stockParser: stock.Parser;

  before(async () => {
    glue = await loadGlueModule(join(REPO_ROOT, 'scripts', 'tree-sitter-glue.mjs'));
    dir = mkdtempSync(join(tmpdir(), 'mg-glue-'));
    writeFileSync(join(dir, 'web-tree-sitter.cjs'), glue.patchWebTreeSitter(readFileSync(CJS, 'utf8')));
    const patched = createRequire(join(dir, 'index.js'))('./web-tree-sitter.cjs') as Glue;
    assert.notEqual(patched.Parser, stock.Parser, 'the changed glue is a module of its own');
    patchedParser = await parserOf(patched);
    stockParser = await parserOf(stock);
  });

  after(() => {
    patchedParser?.delete();
    stockParser?.delete();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is written for the web-tree-sitter version package.json pins', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies['web-tree-sitter'], glue.GLUE_VERSION);
  });

  it('makes each change, so the bundle does carry them', () => {
    const patched = glue.patchWebTreeSitter(readFileSync(CJS, 'utf8'));
    assert.match(patched, /if \(type === "i32"\) return HEAP_DATA_VIEW\.getInt32/);
    assert.match(patched, /HEAP_DATA_VIEW\.setInt32\(\(ptr >> 2\) \* 4, value, true\);\n\s*return;/);
    assert.match(patched, /this\._typeName \?\?= this\.tree\.language\.types\[this\.typeId\]/);
    for (const bundle of ['cli-core.js', 'cli-worker-core.js', 'server-core.js']) {
      let text: string;
      try {
        text = readFileSync(join(REPO_ROOT, 'dist', bundle), 'utf8');
      } catch {
        continue; // not built in this checkout; `npm test` builds first
      }
      assert.match(text, /this\._typeName \?\?=/, `dist/${bundle} carries the changed glue`);
    }
  });

  it('refuses a glue it was not written for', () => {
    const source = readFileSync(CJS, 'utf8');
    assert.throws(() => glue.patchWebTreeSitter(source.replace('get type() {', 'get type () {')), /"Node\.type is read from WebAssembly once per Node" matches nowhere/);
    assert.throws(() => glue.patchWebTreeSitter(`${source}\nfunction getValue(ptr, type = "i8") {\n}`), /matches more than once/);
  });

  it('answers as the package does for every node of every fixture and of broken text', () => {
    const sources = pythonFiles(FIXTURES).map((f) => readFileSync(f, 'utf8'));
    assert.ok(sources.length > 100, `fixtures found: ${sources.length}`);
    sources.push(
      'class Migration(migrations.Migration:\n    operations = [migrations.RunPython(\n',
      'def f(apps, schema_editor):\n    for é in Modèle.objects.all():\n        é.nom = "naïve — 𝔘"\n        é.save()\n',
      'x = (1 +\n',
      '',
    );
    let nodes = 0;
    for (const text of sources) {
      const a = stockParser.parse(text) as stock.Tree;
      const b = patchedParser.parse(text) as stock.Tree;
      const want = describeTree(a.rootNode);
      const got = describeTree(b.rootNode);
      nodes += want.length;
      assert.deepEqual(got, want);
      a.delete();
      b.delete();
    }
    assert.ok(nodes > 50_000, `nodes compared: ${nodes}`);
  });
});

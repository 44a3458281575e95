/**
 * The documents the editor has open: their text (kept in sync with incremental changes) and their
 * syntax tree, re-parsed incrementally by turning each LSP change into a tree-sitter edit.
 *
 * Only the trees of the documents edited last are kept. A tree lives in tree-sitter's WebAssembly
 * memory, which grows to hold every live tree and never shrinks: keeping the trees of 100 large
 * open migrations grew the server by ~100 MB that closing them did not give back. A document whose
 * tree was dropped is parsed whole on its next change (milliseconds, once).
 */
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { editTree, type PythonParser, type Tree } from '../analysis/parser';
import { DocumentText } from './document-text';

export interface OpenDocument {
  uri: string;
  document: DocumentText;
  /** The tree for the current text, or null until the next parse. */
  tree: Tree | null;
}

/** Where `text` ends when inserted at `start` (rows and UTF-16 columns, as tree-sitter counts them here). */
function endPoint(start: { row: number; column: number }, text: string): { row: number; column: number } {
  let rows = 0;
  let lastBreak = -1;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      rows++;
      lastBreak = i;
    }
  }
  return rows === 0 ? { row: start.row, column: start.column + text.length } : { row: start.row + rows, column: text.length - lastBreak - 1 };
}

/** Trees kept besides the one being used, and the most text they may span together (a tree takes ~20 bytes of WebAssembly memory per character). */
const KEPT_TREES = 8;
const KEPT_TREE_CHARS = 400_000;

export class OpenDocuments {
  private readonly docs = new Map<string, OpenDocument>();
  /** Documents that have a tree, least recently parsed first. */
  private readonly withTrees = new Set<OpenDocument>();

  constructor(private readonly parser: PythonParser) {}

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
  }

  /** How many documents are open. */
  get size(): number {
    return this.docs.size;
  }

  all(): OpenDocument[] {
    return [...this.docs.values()];
  }

  open(uri: string, version: number, text: string): OpenDocument {
    this.close(uri);
    const doc: OpenDocument = { uri, document: new DocumentText(text, version), tree: null };
    this.docs.set(uri, doc);
    return doc;
  }

  /** Applies changes in order, editing the old tree so the next parse can reuse it. */
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): OpenDocument | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    for (const change of changes) {
      if ('range' in change && change.range) {
        const before = doc.document;
        const startIndex = before.offsetAt(change.range.start);
        const oldEndIndex = before.offsetAt(change.range.end);
        // offsetAt clamps; positions must be the clamped ones too.
        const startPosition = before.positionAt(startIndex);
        const oldEndPosition = before.positionAt(oldEndIndex);
        const start = { row: startPosition.line, column: startPosition.character };
        if (doc.tree) {
          editTree(doc.tree, {
            startIndex,
            oldEndIndex,
            newEndIndex: startIndex + change.text.length,
            startPosition: start,
            oldEndPosition: { row: oldEndPosition.line, column: oldEndPosition.character },
            newEndPosition: endPoint(start, change.text),
          });
        }
        before.replace(change.range, change.text);
      } else {
        this.dropTree(doc);
        doc.document.setText(change.text);
      }
    }
    doc.document.version = version;
    return doc;
  }

  /** The tree for the document's current text, parsing (incrementally when possible). */
  treeOf(doc: OpenDocument): Tree {
    this.withTrees.delete(doc);
    this.trimTrees();
    const old = doc.tree;
    const tree = this.parser.parse(doc.document.getText(), old);
    if (old && old !== tree) old.delete();
    doc.tree = tree;
    this.withTrees.add(doc);
    return tree;
  }

  /** How many open documents hold a tree (for tests). */
  treeCount(): number {
    return this.withTrees.size;
  }

  /** Drops the oldest trees of other documents until those left are within the limits. */
  private trimTrees(): void {
    let chars = 0;
    for (const d of this.withTrees) chars += d.document.size;
    for (const d of this.withTrees) {
      if (this.withTrees.size < KEPT_TREES && chars <= KEPT_TREE_CHARS) break;
      chars -= d.document.size;
      this.dropTree(d);
    }
  }

  private dropTree(doc: OpenDocument): void {
    doc.tree?.delete();
    doc.tree = null;
    this.withTrees.delete(doc);
  }

  close(uri: string): boolean {
    const doc = this.docs.get(uri);
    if (!doc) return false;
    this.dropTree(doc);
    this.docs.delete(uri);
    return true;
  }

  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.close(uri);
  }
}

/**
 * The documents the editor has open: their text (kept in sync with incremental changes) and their
 * syntax tree, re-parsed incrementally by turning each LSP change into a tree-sitter edit.
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

export class OpenDocuments {
  private readonly docs = new Map<string, OpenDocument>();

  constructor(private readonly parser: PythonParser) {}

  get(uri: string): OpenDocument | undefined {
    return this.docs.get(uri);
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
        doc.tree?.delete();
        doc.tree = null;
        doc.document.setText(change.text);
      }
    }
    doc.document.version = version;
    return doc;
  }

  /** The tree for the document's current text, parsing (incrementally when possible). */
  treeOf(doc: OpenDocument): Tree {
    const old = doc.tree;
    const tree = this.parser.parse(doc.document.getText(), old);
    if (old && old !== tree) old.delete();
    doc.tree = tree;
    return tree;
  }

  close(uri: string): boolean {
    const doc = this.docs.get(uri);
    if (!doc) return false;
    doc.tree?.delete();
    this.docs.delete(uri);
    return true;
  }

  dispose(): void {
    for (const uri of [...this.docs.keys()]) this.close(uri);
  }
}

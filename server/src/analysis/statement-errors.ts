/**
 * Errors Python's compiler raises over whole statements that tree-sitter's grammar reads without
 * complaint, each as fatal to importing the module as a syntax error:
 * - `del` of what cannot be deleted (a literal, a call: what a line cut in two may leave);
 * - an annotated assignment inside another assignment (`settings[KEY] = save:d_views`, what a stray
 *   colon makes: the grammar takes `save: d_views` for an annotated assignment, chained);
 * - a `from __future__` import anywhere but at the top of the module (after its docstring and other
 *   future imports only: an import added above Django 1.x's `from __future__ import
 *   unicode_literals` breaks the file), or of a feature Python does not have;
 * - an import ending with a comma outside brackets (`from django.db import migrations,`: a file cut
 *   short), and a `try` with neither `except` nor `finally` (the same, cut inside its block);
 * - a `return` or `yield` at module level (a function's last line dedented too far).
 *
 * Each is read from the tree only where a test of the text says it may be there: walking a whole
 * tree for one kind of node costs about a fortieth of parsing it (measured on the bench trees'
 * migrations), and almost no file has any of these.
 */
import type { ArgumentProblem } from './argument-errors';
import { lineStarts, positionAt } from './line-index';
import type { Node } from './syntax';

/** The first such error in the tree of `text` (text as argument-errors.ts's scannedText gives it), or null. */
export function statementProblem(root: Node, text: string): ArgumentProblem | null {
  const at = keywordSites(text);
  const positions = new Positions(text);
  const parsed = [deleteProblem(root, at.del, text, positions), annotationProblem(root, text, positions), importCommaProblem(root, at.imports, positions), handlerlessTry(root, at.tries, positions), outsideFunction(root, at.lineStarts, positions)].reduce(earliest, null);
  // Python reads future imports once the module has parsed: a parse error anywhere comes first.
  return parsed ?? (at.future ? futureProblem(root, text, positions) : null);
}

/**
 * Where the checks below may apply, in one search of the text (an editor runs this on every change of a
 * 4,000-line squashed migration: one search costs a third of four): each `del`, `try:`, import ending with a
 * comma (`import a,` / `from m import a,`, a comment after it; a backslash would continue it), each
 * `return` or `yield` at the start of a line, and whether `__future__` appears at all.
 */
const KEYWORDS = /\bdel\b|\btry[ \t]*:|__future__|\n(?:return|yield)\b|import[ \t][^\n#(\\]*,[ \t]*(?:#[^\n]*)?$/gm;

function keywordSites(text: string): { del: number[]; tries: number[]; imports: number[]; lineStarts: number[]; future: boolean } {
  const out = { del: [] as number[], tries: [] as number[], imports: [] as number[], lineStarts: [] as number[], future: false };
  KEYWORDS.lastIndex = 0;
  for (let m = KEYWORDS.exec(text); m; m = KEYWORDS.exec(text)) {
    const word = m[0];
    if (word === 'del') out.del.push(m.index);
    else if (word.startsWith('try')) out.tries.push(m.index);
    else if (word === '__future__') out.future = true;
    else if (word.startsWith('\n')) out.lineStarts.push(m.index + 1);
    else out.imports.push(m.index);
  }
  return out;
}

function earliest(a: ArgumentProblem | null, b: ArgumentProblem | null): ArgumentProblem | null {
  if (!a || !b) return a ?? b;
  return a.line < b.line || (a.line === b.line && a.character <= b.character) ? a : b;
}

function problemAt(node: Node, message: string): ArgumentProblem {
  return { line: node.startPosition.row, character: node.startPosition.column, message: `SyntaxError: ${message}` };
}

/** The smallest nodes at offsets of a text, its line starts found once (line-index.ts). */
class Positions {
  private starts: number[] | null = null;
  constructor(private readonly text: string) {}

  /** The smallest node spanning `length` characters of one line from `index`. */
  nodeAt(root: Node, index: number, length: number): Node | null {
    this.starts ??= lineStarts(this.text);
    const { line, character } = positionAt(this.starts, index);
    return root.descendantForPosition({ row: line, column: character }, { row: line, column: character + length });
  }
}

/** Whether the word at `index` starts a statement: only blanks before it on its line, or a `;` or a block's `:`. */
function startsStatement(text: string, index: number): boolean {
  let k = index - 1;
  while (k >= 0 && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k--;
  const c = k < 0 ? 10 : text.charCodeAt(k);
  return c === 10 || c === 13 || c === 59 || c === 58;
}

/**
 * `del` of what Python cannot delete — a literal, a call, another expression (`del("news", "Topic")`, what a line
 * cut in two may leave: `apps.get_mo` / `del("news", "Topic")`) — which the grammar takes as a delete statement.
 * Read at each `del` that starts a statement (the word is common in verbose names: "Nombre del producto").
 */
function deleteProblem(root: Node, sites: readonly number[], text: string, positions: Positions): ArgumentProblem | null {
  const bad = (t: Node): Node | null => {
    if (t.type === 'identifier' || t.type === 'attribute' || t.type === 'subscript') return null;
    if (t.type === 'tuple' || t.type === 'list' || t.type === 'expression_list' || t.type === 'parenthesized_expression') {
      for (const c of t.namedChildren) {
        if (c.type === 'comment') continue;
        const b = bad(c);
        if (b) return b;
      }
      return null;
    }
    return t;
  };
  for (const index of sites) {
    if (!startsStatement(text, index)) continue;
    const token = positions.nodeAt(root, index, 3);
    const d = token?.type === 'del' ? token.parent : null;
    if (d?.type !== 'delete_statement') continue;
    for (const c of d.namedChildren) {
      if (c.type === 'comment') continue;
      const b = bad(c);
      if (!b) continue;
      const what = /^(?:string|concatenated_string|integer|float|true|false|none|ellipsis)$/.test(b.type) ? 'literal' : b.type === 'call' ? 'function call' : 'expression';
      return problemAt(b, `cannot delete ${what}`);
    }
  }
  return null;
}

/**
 * Where an annotated assignment may stand inside another (`= name:`, not `= lambda:`, not `:=`): the
 * colon of each such place. Valid code rarely matches (a one-line `if x: y = z` does: 84 places in
 * the bench trees' 5,136 migrations); each match is then read from the tree. (An annotation of
 * several targets, `a, b: int = 1`, is not looked for: a test of the text for it cost twice this
 * one, for a shape no migration there has.)
 */
const CHAIN_CANDIDATES = /=[ \t]*(?!lambda\b)[A-Za-z_][\w.]*[ \t]*:(?!=)/g;

/** An annotated assignment inside another assignment: the grammar chains them, Python does not. */
function annotationProblem(root: Node, text: string, positions: Positions): ArgumentProblem | null {
  CHAIN_CANDIDATES.lastIndex = 0;
  for (let m = CHAIN_CANDIDATES.exec(text); m; m = CHAIN_CANDIDATES.exec(text)) {
    // `==`, `<=`, `>=`, `!=` compare.
    const before = m.index > 0 ? text.charCodeAt(m.index - 1) : 0;
    if (before === 61 || before === 33 || before === 60 || before === 62) continue;
    const token = positions.nodeAt(root, m.index + m[0].length - 1, 1);
    const assignment = token?.type === ':' ? token.parent : null;
    if (assignment?.type !== 'assignment' || assignment.childForFieldName('type') === null) continue;
    const outer = assignment.parent;
    if (outer?.type === 'assignment' || outer?.type === 'augmented_assignment') return problemAt(assignment, 'invalid syntax');
  }
  return null;
}

/** An import whose names end with a comma and no bracket: Python refuses it, the grammar reads it. */
function importCommaProblem(root: Node, sites: readonly number[], positions: Positions): ArgumentProblem | null {
  for (const index of sites) {
    const token = positions.nodeAt(root, index, 6);
    const statement = token?.type === 'import' ? token.parent : null;
    // Python's words differ: `from m import a,` names the comma, `import a,` is only invalid.
    if (statement?.type === 'import_from_statement') return problemAt(statement, 'trailing comma not allowed without surrounding parentheses');
    if (statement?.type === 'import_statement') return problemAt(statement, 'invalid syntax');
  }
  return null;
}

/** A `try` block with no `except` or `finally` after it (what a file cut inside the block leaves). */
function handlerlessTry(root: Node, sites: readonly number[], positions: Positions): ArgumentProblem | null {
  for (const index of sites) {
    const token = positions.nodeAt(root, index, 3);
    const statement = token?.type === 'try' ? token.parent : null;
    if (statement?.type !== 'try_statement') continue;
    if (!statement.namedChildren.some((c) => c.type === 'except_clause' || c.type === 'except_group_clause' || c.type === 'finally_clause')) {
      return { line: statement.endPosition.row, character: statement.endPosition.column, message: "SyntaxError: expected 'except' or 'finally' block" };
    }
  }
  return null;
}

/** A `return` or `yield` at the start of a line (what a function's last line dedented too far leaves) of the module's own code. */
function outsideFunction(root: Node, sites: readonly number[], positions: Positions): ArgumentProblem | null {
  for (const index of sites) {
    const token = positions.nodeAt(root, index, 5);
    let statement = token?.parent ?? null;
    if (statement?.type === 'yield') statement = statement.parent;
    if ((statement?.type === 'return_statement' || statement?.type === 'expression_statement') && statement.parent?.type === 'module') {
      return problemAt(statement, `'${token?.type}' outside function`);
    }
  }
  return null;
}

/** The features `from __future__ import` may name (Python 2.1 to 3.7's; none is ever removed). */
const FUTURE_FEATURES = new Set(['nested_scopes', 'generators', 'division', 'absolute_import', 'with_statement', 'print_function', 'unicode_literals', 'barry_as_FLUFL', 'generator_stop', 'annotations']);

/** A statement that is a plain string (not bytes, not an f-string): the module's docstring when it comes first. */
function isDocstring(statement: Node): boolean {
  if (statement.type !== 'expression_statement' || statement.namedChildCount !== 1) return false;
  let value = statement.namedChild(0);
  while (value?.type === 'parenthesized_expression' && value.namedChildCount === 1) value = value.namedChild(0);
  const plain = (s: Node | null): boolean => s?.type === 'string' && !/^[A-Za-z]*[bBfF]/.test(s.text);
  if (value?.type === 'concatenated_string') return value.namedChildren.every(plain);
  return plain(value);
}

/** The first feature of a future import Python does not know, as its node. */
function unknownFeature(statement: Node): Node | null {
  for (const c of statement.namedChildren) {
    if (c.type === 'comment') continue;
    const name = c.type === 'aliased_import' ? c.childForFieldName('name') : c;
    if (name && !FUTURE_FEATURES.has(name.text)) return name;
  }
  return null;
}

const FUTURE_IMPORT = /\bfrom[ \t]+__future__[ \t]+import\b/g;

/** A future import after the module's first other statement (or inside a block), or naming no feature. */
function futureProblem(root: Node, text: string, positions: Positions): ArgumentProblem | null {
  let end = -1;
  let docstringAllowed = true;
  for (let i = 0; i < root.namedChildCount; i++) {
    const statement = root.namedChild(i);
    if (!statement || statement.type === 'comment') continue;
    if (docstringAllowed && isDocstring(statement)) {
      docstringAllowed = false;
      continue;
    }
    docstringAllowed = false;
    if (statement.type !== 'future_import_statement') break;
    const unknown = unknownFeature(statement);
    if (unknown) return problemAt(unknown, unknown.text === 'braces' ? 'not a chance' : `future feature ${unknown.text} is not defined`);
    end = statement.endIndex;
  }
  // Any other future import, wherever it is (a string or a comment that spells one is not one).
  FUTURE_IMPORT.lastIndex = 0;
  for (let m = FUTURE_IMPORT.exec(text); m; m = FUTURE_IMPORT.exec(text)) {
    const node = positions.nodeAt(root, m.index, 4);
    const statement = node?.type === 'from' ? node.parent : null;
    if (statement?.type === 'future_import_statement' && statement.startIndex > end) return problemAt(statement, 'from __future__ imports must occur at the beginning of the file');
  }
  return null;
}

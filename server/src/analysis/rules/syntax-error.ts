/**
 * syntax-error: the file does not parse as Python, so Django cannot import it and `migrate` stops
 * there. Reported once, where tree-sitter first had to recover, so CI fails as `migrate` would.
 * The engine produces it even when no Migration class can be read from the broken file.
 */
import { rangeOf, type Node } from '../syntax';
import { argumentError } from '../argument-errors';
import { indentationError } from '../indentation';
import type { Finding, Range, RuleSetting } from '../types';
import type { ReportedFinding, Rule } from './rule';

/** The first node tree-sitter inserted (MISSING) or could not fit (ERROR), or null for a clean parse. */
export function firstSyntaxError(root: Node): Node | null {
  if (!root.hasError) return null;
  let node: Node = root;
  for (;;) {
    if (node.isError || node.isMissing) return node;
    const child: Node | undefined = node.children.find((c) => c.hasError || c.isMissing);
    if (!child) return node;
    node = child;
  }
}

/** At most the first line of the error: an ERROR node can swallow the rest of the file. */
function errorRange(node: Node): Range {
  const r = rangeOf(node);
  if (r.end.line === r.start.line) return r;
  const firstLine = node.text.split('\n', 1)[0] ?? '';
  return { start: r.start, end: { line: r.start.line, character: r.start.character + firstLine.replace(/\r$/, '').length } };
}

function describe(node: Node): string {
  if (node.isMissing) return `\`${node.type}\` is missing here`;
  const text = (node.text.split('\n', 1)[0] ?? '').trim();
  return text ? `unexpected \`${text.length > 40 ? `${text.slice(0, 39)}…` : text}\`` : 'unexpected input';
}

const CONSEQUENCE = 'Python cannot import this migration, so `migrate` stops here. Other findings for this file may be incomplete.';

/**
 * Where Python would first refuse the file, or null when it imports: where tree-sitter first had to
 * recover, else an indentation error its grammar lets through (indentation.ts), else an error in
 * a call's arguments (argument-errors.ts); `parsesAsPython` in
 * indentation.ts answers the same question without the position.
 */
export function syntaxProblem(root: Node): { range: Range; message: string } | null {
  const node = firstSyntaxError(root);
  if (node) return { range: errorRange(node), message: `Syntax error (${describe(node)})` };
  const other = indentationError(root) ?? argumentError(root);
  if (!other) return null;
  const at = { line: other.line, character: other.character };
  return { range: { start: at, end: { line: at.line, character: at.character + 1 } }, message: other.message };
}

/** The syntax-error finding for a tree, or null when it parses. */
export function syntaxErrorFinding(root: Node): ReportedFinding | null {
  const problem = syntaxProblem(root);
  return problem ? { range: problem.range, message: `${problem.message}: ${CONSEQUENCE}` } : null;
}

export const syntaxError: Rule = {
  meta: {
    id: 'syntax-error',
    summary: 'The migration does not parse as Python, so Django cannot load it.',
    defaultSeverity: 'error',
  },
  check(ctx) {
    const finding = syntaxErrorFinding(ctx.model.root);
    if (finding) ctx.report(finding);
  },
};

/** A syntax-error finding under the rule's setting (none when it is off). */
function settled(f: ReportedFinding | null, setting: RuleSetting | undefined): Finding[] {
  if (!f || setting === 'off') return [];
  const severity = !setting || setting === 'default' ? syntaxError.meta.defaultSeverity : setting;
  return [{ rule: syntaxError.meta.id, severity, message: f.message, range: f.range, related: [], fixes: [] }];
}

/**
 * The finding for a file whose Migration class cannot be read at all (the engine's rules need
 * one): the rule's setting applies, suppression comments cannot be trusted in a broken file.
 */
export function syntaxErrorWithoutModel(root: Node, setting: RuleSetting | undefined): Finding[] {
  return settled(syntaxErrorFinding(root), setting);
}

/** The finding for bytes Python cannot decode (no valid UTF-8, or not the declared encoding): it stops before parsing. */
export function undecodableSourceFinding(problem: { line: number; character: number; message: string }, setting: RuleSetting | undefined): Finding[] {
  const at = { line: problem.line, character: problem.character };
  return settled({ range: { start: at, end: { line: at.line, character: at.character + 1 } }, message: `${problem.message} Django cannot import this migration.` }, setting);
}

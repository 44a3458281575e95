/**
 * What the schema fixes (not-null-steps.ts, two-release-drop.ts) share: the operation call as it
 * is written in the file (its span, indentation, `migrations.` prefix and arguments), edits that
 * replace or remove it, the import lines a copied argument needs in a new file, and the Python
 * text of the operations they write (AlterField, SeparateDatabaseAndState, RunSQL).
 */
import type { OperationArgs } from '../operation-args';
import type { OperationSummary } from '../project/summary';
import { ownPreview, previewFile } from '../sql-preview/from-view';
import type { ProjectRuleContext } from '../rules/rule';
import type { TextEdit } from '../types';
import { argumentOf, callText, offsetsOf, rangeAt, type CallText } from './call-text';
import { NAMES_UNKNOWN } from './fix-context';
import { pythonString } from './edits';

/** One operation call of the file being fixed. */
export interface OperationSite {
  source: string;
  /** The call's span (callee to closing parenthesis). */
  start: number;
  end: number;
  /** The whitespace before the call on its line. */
  indent: string;
  /** `migrations.` when the file writes `migrations.AddField(...)`. */
  prefix: string;
  call: CallText;
  eol: string;
}

/** The site of `op`, or why a fix cannot edit it. */
export function operationSite(source: string, op: OperationSummary): OperationSite | string {
  if (op.container !== null) return 'the operation is inside SeparateDatabaseAndState';
  if (!op.certain || op.branches.length > 0) return 'the operation is written conditionally';
  const { start, end } = offsetsOf(source, op.callRange);
  const callee = offsetsOf(source, op.range);
  const calleeText = source.slice(callee.start, callee.end);
  const m = /^([A-Za-z_]\w*\.)[A-Za-z_]\w*$/.exec(calleeText);
  if (!m || m[1] !== 'migrations.') return `the file does not write its operations as \`migrations.${op.name}(…)\``;
  const lineStart = source.lastIndexOf('\n', start - 1) + 1;
  const indent = source.slice(lineStart, start);
  if (!/^[ \t]*$/.test(indent)) return 'the operation does not start its own line';
  const open = source.indexOf('(', callee.end);
  const call = open >= 0 && open < end ? callText(source, open) : null;
  if (!call || call.close !== end - 1) return 'the operation\'s arguments cannot be read';
  return { source, start, end, indent, prefix: m[1], call, eol: source.includes('\r\n') ? '\r\n' : '\n' };
}

/** The text of an argument as written, or null. */
export function argumentText(site: OperationSite, keyword: string, position: number): string | null {
  const a = argumentOf(site.call, keyword, position);
  return a ? site.source.slice(a.start, a.end) : null;
}

/** Lines 2… of `text` moved from `from` indentation to `to`. */
export function reindent(text: string, from: string, to: string): string {
  return text
    .split(/\r?\n/)
    .map((line, i) => (i === 0 || !line.startsWith(from) ? line : to + line.slice(from.length)))
    .join('\n');
}

/** `text` (lines at indentation 0, `\n`-separated) indented by `indent`, in the file's line ends. */
export function indentBlock(text: string, indent: string, eol = '\n'): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : indent + line))
    .join(eol);
}

/** Replaces the call with `text` (written at indentation 0). */
export function replaceOperation(site: OperationSite, text: string): TextEdit {
  return { range: rangeAt(site.source, site.start, site.end), newText: indentBlock(text, site.indent, site.eol) };
}

/** Removes the call, its comma and its line(s); the only operation of a literal list leaves `[]`. */
export function removeOperation(site: OperationSite, only: boolean): TextEdit {
  const lineStart = site.start - site.indent.length;
  const open = /\[\s*$/.exec(site.source.slice(0, site.start));
  const close = /^\s*,?\s*\]/.exec(site.source.slice(site.end));
  if (only && open && close) return { range: rangeAt(site.source, open.index, site.end + close[0].length), newText: '[]' };
  const rest = /^[ \t]*,?[ \t]*(#[^\n]*)?\r?\n/.exec(site.source.slice(site.end));
  const end = rest ? site.end + rest[0].length : site.end;
  return { range: rangeAt(site.source, rest ? lineStart : site.start, end), newText: '' };
}

// --- Imports a copied argument needs ------------------------------------------------------

const PYTHON_NAMES = new Set(['True', 'False', 'None', 'dict', 'list', 'set', 'tuple', 'str', 'int', 'float', 'bool', 'bytes', 'frozenset', 'lambda', 'and', 'or', 'not', 'in', 'is', 'if', 'else', 'for']);

/** Top-level import statements of a file: bound name → the import line that binds it. */
function importBindings(source: string): Map<string, string> {
  const out = new Map<string, string>();
  const flat = source.replace(/\(([^()]*)\)/g, (all: string, inner: string, at: number) => (/^from\s/m.test(source.slice(source.lastIndexOf('\n', at) + 1, at)) ? inner.replace(/\s*\n\s*/g, ' ') : all));
  for (const line of flat.split(/\r?\n/)) {
    const from = /^from\s+([\w.]+)\s+import\s+(.+?)\s*(#.*)?$/.exec(line);
    if (from) {
      for (const part of (from[2] as string).split(',')) {
        const m = /^\s*(\w+)(?:\s+as\s+(\w+))?\s*$/.exec(part);
        if (m) out.set((m[2] ?? m[1]) as string, `from ${from[1]} import ${m[1]}${m[2] ? ` as ${m[2]}` : ''}`);
      }
      continue;
    }
    const imp = /^import\s+(.+?)\s*(#.*)?$/.exec(line);
    if (imp) {
      for (const part of (imp[1] as string).split(',')) {
        const m = /^\s*([\w.]+)(?:\s+as\s+(\w+))?\s*$/.exec(part);
        if (m) out.set((m[2] ?? (m[1] as string).split('.')[0]) as string, `import ${m[1]}${m[2] ? ` as ${m[2]}` : ''}`);
      }
    }
  }
  return out;
}

/** The names `code` reads (heads of dotted names, not keywords of a call, not attributes). */
function namesRead(code: string): Set<string> {
  // Strings (with their r / b / u / f prefix) and comments read no names.
  const masked = code.replace(/(?<!\w)(?:[rRbBuUfF]{1,2})?("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/g, (s) => ' '.repeat(s.length)).replace(/#[^\n]*/g, '');
  const out = new Set<string>();
  for (const m of masked.matchAll(/(?<![\w.])([A-Za-z_]\w*)(?!\w)(?!\s*=(?!=))/g)) {
    const name = m[1] as string;
    if (!PYTHON_NAMES.has(name)) out.add(name);
  }
  return out;
}

/** The import lines `code` (copied from `source`) needs in a new file, or why it cannot be copied. */
export function importsFor(source: string, code: string): string[] | string {
  const bindings = importBindings(source);
  const lines: string[] = [];
  for (const name of namesRead(code)) {
    const line = bindings.get(name);
    if (!line) return `'${name}' is not imported by the file, so it cannot be copied into a new migration`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

// --- Operations as text (indentation 0, four spaces a level) -------------------------------

/** A Python string for SQL: double-quoted, or single-quoted when the SQL quotes identifiers. */
export function sqlString(sql: string): string {
  return pythonString(sql);
}

/** `[a, b]` on one line for one item, else one item a line. */
function list(items: readonly string[], pad: string): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((i) => `${pad}    ${indentBlock(i, `${pad}    `)},`).join('\n')}\n${pad}]`;
}

export function runSqlText(prefix: string, sql: readonly string[], reverse: readonly string[] | 'noop'): string {
  const one = (s: readonly string[]): string => (s.length === 1 ? sqlString(s[0] as string) : list(s.map(sqlString), '    '));
  const back = reverse === 'noop' ? `${prefix}RunSQL.noop` : one(reverse);
  return `${prefix}RunSQL(\n    sql=${one(sql)},\n    reverse_sql=${back},\n)`;
}

export function separateText(prefix: string, state: readonly string[], database: readonly string[]): string {
  const parts = [];
  if (state.length > 0) parts.push(`    state_operations=${list(state, '    ')},`);
  parts.push(`    database_operations=${list(database, '    ')},`);
  return `${prefix}SeparateDatabaseAndState(\n${parts.join('\n')}\n)`;
}

/** `migrations.AlterField(model_name=…, name=…, field=…)`, the texts as written (field at indentation 0). */
export function fieldOperationText(prefix: string, kind: 'AlterField' | 'AddField', model: string, name: string, field: string, preserveDefault: string | null): string {
  return `${prefix}${kind}(\n    model_name=${model},\n    name=${name},\n    field=${indentBlock(field, '    ')},\n${preserveDefault ? `    preserve_default=${preserveDefault},\n` : ''})`;
}

/** The migration's other operations that name `model` (and `field`, when given) after `op`. */
export function laterOperationsOn(ctx: ProjectRuleContext, op: OperationSummary, model: string, field: string | null): boolean {
  const ops = ctx.summary.operations;
  return ops.slice(ops.indexOf(op) + 1).some((o) => {
    const a = o.args;
    if (!a || !('model' in a) || a.model?.toLowerCase() !== model) return !a; // an unreadable operation might
    if (field === null) return true;
    return ('name' in a && a.name === field) || (a.kind === 'RenameField' && a.oldName === field);
  });
}

/** The operation `op` with other arguments, for the preview (an operation no file holds: the reverse of a drop, an AlterField back). */
export function withArgs(op: OperationSummary, args: OperationArgs): OperationSummary {
  return { ...op, name: args.kind, specName: args.kind, args, container: null, stateOperations: null, label: args.kind };
}

/** The SQL Django runs for operation `index` of the file (or of `operations` in its place); or why it is not known. */
/**
 * What sqlOf says, except where only the constraint names Django would drop are not known (a table
 * or column renamed after they were made, or made by a Django before 1.9): then the statements under today's generated names, which
 * tell what kinds run — a constraint dropped and added back — but are never to be shown or written
 * (review 54: signals `0037` renames a key of a table a RenameModel renamed just before).
 */
export function sqlKindsOf(ctx: ProjectRuleContext, index: number, operations?: OperationSummary[]): string[] | string {
  return sqlKinds(ctx, index, operations).sql;
}

/** sqlKindsOf, and whether its names are today's guesses (`guessed`: never to be written). */
export function sqlKinds(ctx: ProjectRuleContext, index: number, operations?: OperationSummary[]): { sql: string[] | string; guessed: boolean } {
  const exact = sqlOf(ctx, index, operations);
  if (typeof exact !== 'string' || !NAMES_UNKNOWN.test(exact)) return { sql: exact, guessed: false };
  const approximate = sqlOf(ctx, index, operations, true);
  return typeof approximate === 'string' ? { sql: exact, guessed: false } : { sql: approximate, guessed: true };
}

/** `approximateNames`: the constraint names Django would drop taken as today's (see sqlKindsOf). */
export function sqlOf(ctx: ProjectRuleContext, index: number, operations?: OperationSummary[], approximateNames = false): string[] | string {
  const { view, file } = ctx;
  if (!view || !file || !view.names) return 'the project is not known';
  // The models of other apps (foreign keys) as they are at this point: their latest migrations before this one.
  const node = view.node(file);
  const latest = new Map<string, string>();
  for (const n of node && operations ? view.graph.forwardsPlan(node) : []) if (n !== node && n.key.app !== node?.key.app) latest.set(n.key.app, n.key.name);
  const dependencies = { ...ctx.summary.dependencies, entries: [...ctx.summary.dependencies.entries, ...[...latest].map(([app, name]) => ({ kind: 'key' as const, app, name, range: ctx.summary.classRange }))] };
  const summary = operations ? { ...ctx.summary, atomic: true, dependencies, operations } : ctx.summary;
  // The file's own SQL, asked by several rules and fixes of one lint one after the other: previewed once.
  const names = view.names;
  const preview = operations ? previewFile(view, file, ctx.target, names, summary, approximateNames) : ownPreview(view, file, ctx.target, names, summary, approximateNames);
  const op = preview?.operations[index];
  if (!op) return 'the SQL of the operation is not known';
  if (op.cannotPreview) return op.cannotPreview;
  const sql = [...op.statements, ...op.deferred].map((s) => s.sql);
  return sql.length > 0 ? sql : 'the operation runs no SQL';
}

/**
 * "Commit this loop in batches": the fix offered for a save loop no bulk rewrite fits (it uses
 * what a write returns, calls save() with arguments, writes through a helper that cannot be
 * inlined, uses today's model...). The loop's body is kept as written, statement for statement;
 * only its rows are taken a chunk at a time, each chunk in a `transaction.atomic()` block of its
 * own, and the migration gets `atomic = False`:
 *
 *     rows = iter(<the loop's iterable>)
 *     while True:
 *         chunk = list(islice(rows, N))
 *         if not chunk:
 *             break
 *         with transaction.atomic(using=<the migration's alias>):
 *             for <target> in chunk:
 *                 <the body, unchanged>
 *
 * The rows come in the same order from one evaluation of the iterable, and every statement runs as
 * before: what changes is that each chunk commits, so no row stays locked until the migration
 * ends. Marked lines say what the author must check: a failure leaves the chunks before it
 * written, so the code must be safe to run again over them (and a loop that creates rows creates
 * them again unless it skips those done). An inner loop over a row's children is committed by the
 * outermost loop around it that walks rows. The seeds' batching pattern (seed 001).
 *
 * Refused where the rows would not commit per chunk (an atomic block, decorator or
 * `RunPython(atomic=True)` around the loop), where the loop would do something else (`break`,
 * `for … else`, a `try` that catches database errors inside a batch), and, in an atomic migration,
 * wherever `atomic = False` would take other writes out of the transaction (other-writes.ts) or let
 * a schema change half-apply (checked last: then a split leaves a loop this fix takes).
 */
import type { CodeIndex, LoopFacts, UnitFacts } from '../code-facts';
import { unitOf, type CodeUnit } from '../code-flow';
import { atomicDecorator, enclosingAtomic } from '../committed-chunks';
import { otherWritingOperation, unitWrites, writeOutside } from '../other-writes';
import { isBoundedIterable, iteratesInBatches } from '../iterables';
import type { MigrationModel } from '../migration-model';
import type { Operation } from '../operations';
import { parameterNames, positionalParameterNames } from '../runpython-code';
import type { Scope } from '../scope';
import { functionAround, moduleAssignments, spanRange, unparen, walk, within, type Node } from '../syntax';
import type { Fix, TextEdit } from '../types';
import { atomicFalseFix } from './atomic-fix';
import { eolOf, indentOf, insertAfter, insertAt, replaceNode } from './edits';
import { changedAgain, lockingRead, swallowsErrors } from './rerun-safety';
import { createsRows } from './row-inserts';
import { MARK } from './loop-reading';

export interface CommitBatchesInput {
  loop: LoopFacts;
  source: string;
  batchSize: number;
  model: MigrationModel;
  /** The RunPython operation whose code reaches the loop, and the function it names. */
  op: Operation;
  runPython: CodeUnit;
  /** The function the loop is in (the RunPython function or a helper it calls). */
  fn: Node;
  /** What is known of that function's code, and the index to reach the rest. */
  facts: UnitFacts;
  index: CodeIndex;
  /** Whether the migration's schema operations run SQL (a state-only AlterField runs none: rules/schema-sql.ts). */
  schemaRunsSql: () => boolean;
}

const NESTED_SCOPES = new Set(['for_statement', 'while_statement', 'function_definition', 'lambda', 'class_definition']);

/** A `break` of this loop's own (not one of a nested loop or function). */
function breaksOut(body: Node): boolean {
  let found = false;
  walk(body, (n) => {
    if (found || NESTED_SCOPES.has(n.type)) return false;
    if (n.type === 'break_statement') found = true;
    return !found;
  });
  return found;
}

/**
 * What `using=` names for the migration's database in `fn`: a local bound to
 * `<schema_editor>.connection.alias` before the loop, else that expression; null when the function
 * does not receive the schema editor (a helper without it).
 */
function aliasIn(fn: Node, isRunPython: boolean, before: number): string | null {
  // RunPython calls its function with (apps, schema_editor); a method of the Migration class has `self` or `cls` first.
  const all = positionalParameterNames(fn);
  const params = all[0] === 'self' || all[0] === 'cls' ? all.slice(1) : all;
  const named = parameterNames(fn).find((p) => /editor/.test(p));
  const editor = named ?? (isRunPython && params.length >= 2 && params[1] ? params[1] : null);
  if (!editor) return null;
  const expr = `${editor}.connection.alias`;
  for (const a of fn.childForFieldName('body')?.descendantsOfType('assignment') ?? []) {
    const left = a.childForFieldName('left');
    if (a.startIndex < before && left?.type === 'identifier' && a.childForFieldName('right')?.text.replace(/\s+/g, '') === expr && a.parent?.parent?.parent?.id === fn.id) return left.text;
  }
  return expr;
}

/** A call of the module-level function `fn` by its name anywhere in the file, or null. */
function directCall(root: Node, fn: Node): { name: string; line: number } | null {
  const name = fn.childForFieldName('name')?.text;
  const holder = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
  if (!name || holder.parent?.type !== 'module') return null;
  const call = root.descendantsOfType('call').find((c) => c?.childForFieldName('function')?.type === 'identifier' && c.childForFieldName('function')?.text === name);
  return call ? { name, line: call.startPosition.row + 1 } : null;
}

interface ModuleImport {
  node: Node;
  module: string;
  /** For `from … import`: the names bound, with what each is imported as. */
  names: Map<string, string> | null;
}

function moduleImports(root: Node): ModuleImport[] {
  return root.namedChildren.flatMap((stmt): ModuleImport[] => {
    if (stmt.type === 'import_statement') {
      const first = stmt.childrenForFieldName('name')[0];
      const name = first?.type === 'aliased_import' ? first.childForFieldName('name') : first;
      return [{ node: stmt, module: name?.text ?? '', names: null }];
    }
    if (stmt.type === 'future_import_statement') return [{ node: stmt, module: '__future__', names: null }];
    if (stmt.type !== 'import_from_statement') return [];
    const module = stmt.childForFieldName('module_name')?.text ?? '';
    const names = new Map<string, string>();
    for (const c of stmt.childrenForFieldName('name')) {
      if (c.type === 'dotted_name') names.set(c.text, c.text);
      else if (c.type === 'aliased_import') names.set(c.childForFieldName('alias')?.text ?? '', c.childForFieldName('name')?.text ?? '');
    }
    return [{ node: stmt, module, names }];
  });
}

/** Standard-library modules a migration may import before its own (isort puts them first, in a section of their own). */
const STDLIB = new Set(['abc', 'ast', 'base64', 'collections', 'contextlib', 'copy', 'csv', 'datetime', 'decimal', 'enum', 'functools', 'hashlib', 'io', 'itertools', 'json', 'logging', 'math', 'operator', 'os', 'pathlib', 'random', 're', 'secrets', 'string', 'sys', 'textwrap', 'time', 'typing', 'unicodedata', 'urllib', 'uuid', 'warnings', 'zoneinfo']);

/**
 * The name `module.name` is bound to at module level, adding the import when it is not: joined to a
 * one-line `from module import …` (`from django.db import migrations, transaction`), else a line of
 * its own — a standard-library one among (or as a section before) the file's standard-library
 * imports, any other after the imports of its package. Imported under another name when the file
 * already uses `name` for something else.
 */
function bindImport(root: Node, source: string, module: string, name: string, edits: TextEdit[], used: Set<string>): string {
  const imports = moduleImports(root);
  for (const i of imports) {
    if (i.module !== module || !i.names) continue;
    for (const [bound, original] of i.names) if (original === name) return bound;
  }
  const local = freshName(name, used);
  const eol = eolOf(source);
  const same = local === name ? imports.find((i) => i.module === module && i.names && !/[(\\]/.test(i.node.text)) : undefined;
  if (same) {
    edits.push(insertAfter(same.node, `, ${name}`));
    return local;
  }
  const line = `from ${module} import ${name}${local === name ? '' : ` as ${local}`}`;
  const top = (m: string) => m.split('.')[0] as string;
  const before = (i: ModuleImport) => insertAt({ line: i.node.startPosition.row, character: 0 }, `${line}${eol}`);
  const after = (i: ModuleImport) => insertAfter(i.node, `${eol}${line}`);
  if (STDLIB.has(top(module))) {
    // isort's order: a section's `import x` lines, then its `from x import y` lines, each sorted.
    const stdlib = imports.filter((i) => STDLIB.has(top(i.module)));
    const froms = stdlib.filter((i) => i.names !== null);
    const next = froms.find((i) => i.module > module);
    const last = froms[froms.length - 1] ?? stdlib[stdlib.length - 1];
    const first = imports.find((i) => i.module !== '__future__');
    if (next) edits.push(before(next));
    else if (last) edits.push(after(last));
    else if (first) edits.push(insertAt({ line: first.node.startPosition.row, character: 0 }, `${line}${eol}${eol}`));
    else edits.push(insertAt({ line: 0, character: 0 }, `${line}${eol}${eol}`));
    return local;
  }
  const kin = imports.filter((i) => top(i.module) === top(module));
  const anchor = kin[kin.length - 1] ?? imports[imports.length - 1];
  edits.push(anchor ? after(anchor) : insertAt({ line: 0, character: 0 }, `${line}${eol}`));
  return local;
}

/** Every identifier the module's code uses (not its comments or strings). */
function identifiers(root: Node): Set<string> {
  const out = new Set<string>();
  walk(root, (n) => {
    if (n.type === 'identifier') out.add(n.text);
    return n.type !== 'string' && n.type !== 'comment';
  });
  return out;
}

/** `base`, or `base_2`, `base_3`… : the first the code does not use. */
function freshName(base: string, used: Set<string>): string {
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** Lines of `text` that continue a string begun on an earlier line (their indentation is the string's content). */
function stringRows(node: Node): Set<number> {
  const rows = new Set<number>();
  walk(node, (n) => {
    if (n.type === 'string' && n.endPosition.row > n.startPosition.row) {
      for (let r = n.startPosition.row + 1; r <= n.endPosition.row; r++) rows.add(r);
      return false;
    }
    return true;
  });
  return rows;
}

/** The statements of a function's body after its docstring, or null when there are none. */
function bodyStatements(fn: Node): { first: Node; body: Node } | null {
  const body = fn.childForFieldName('body');
  const statements = body?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const docstring = statements[0]?.type === 'expression_statement' && statements[0].namedChildren.length === 1 && statements[0].firstNamedChild?.type === 'string';
  const first = statements[docstring ? 1 : 0];
  return body && first ? { first, body } : null;
}

/** Why the function the migration runs in the other direction cannot be wrapped in transaction.atomic(), or null. */
function twinUnwrappable(twin: Node, loop: Node): string | null {
  const name = twin.childForFieldName('name')?.text ?? 'it';
  if (twin.type !== 'function_definition') return `${name} is not a function whose body can be wrapped`;
  if (/^async\b/.test(twin.text)) return `${name}() is async`;
  if (within(loop, twin)) return `the loop is inside ${name}()`;
  const parts = bodyStatements(twin);
  if (!parts || parts.body.startPosition.row === twin.startPosition.row) return `${name}() is written on one line`;
  return null;
}

/**
 * `with <transaction>.atomic(using=…):` around the statements of `fn` (after its docstring): the code a
 * migration runs in its other direction keeps one transaction once the migration is atomic = False.
 */
function wrapInAtomic(fn: Node, source: string, transaction: string): TextEdit {
  const { first, body } = bodyStatements(fn) as { first: Node; body: Node };
  const eol = eolOf(source);
  const indent = indentOf(first, source);
  const step = indent.slice(indentOf(fn, source).length) || '    ';
  const keep = stringRows(body);
  const alias = aliasIn(fn, true, first.startIndex);
  const text = source
    .slice(first.startIndex, body.endIndex)
    .split('\n')
    .map((line, i) => (i === 0 || line.trim() === '' || keep.has(first.startPosition.row + i) ? line : `${step}${line}`))
    .join('\n');
  return {
    range: spanRange(first, body),
    newText: `with ${transaction}.atomic(${alias ? `using=${alias}` : ''}):${eol}${indent}${step}${text}`,
  };
}

/** Why not, when the migration does other work atomic = False would take out of its transaction. */
const OTHER_WORK = "the migration does other work, which atomic = False would take out of its transaction: move this RunPython into a migration of its own";

/** The refusal for an atomic migration that also changes the schema: the loop's fix comes after a split. */
export const SPLIT_FIRST = 'the migration also changes the schema, which atomic = False would let half-apply: move the data operations into a migration of their own first (Split Migration)';

/**
 * The loop to commit in batches: the finding's loop, or the outermost `for` around it in its
 * function that walks rows of unknown number one at a time (an inner loop over a row's few children
 * would commit once per parent row). Not past a loop that already walks batches, nor one over a
 * collection the code fixes.
 */
/**
 * A name the function never binds whose last assignment at the module's top level is a literal list,
 * tuple or set: what it holds when the function runs, also where an import bound the name first
 * (review 76: tandoor `0149`'s `models = ["Keyword", "Food", "Unit"]` after `from django.db import models`,
 * which the scope takes for no one value). Committing a loop over it in batches would make one batch.
 */
function moduleLiteralList(iterable: Node | null): boolean {
  const n = iterable ? unparen(iterable) : null;
  if (n?.type !== 'identifier') return false;
  const fn = functionAround(n);
  if (!fn) return false;
  const params = fn.childForFieldName('parameters')?.descendantsOfType('identifier') ?? [];
  const binds = [...fn.descendantsOfType('assignment'), ...fn.descendantsOfType('for_statement')].some((b) => b.childForFieldName('left')?.descendantsOfType('identifier').some((i) => i.text === n.text) || b.childForFieldName('left')?.text === n.text);
  if (binds || params.some((p) => p.text === n.text) || fn.descendantsOfType('global_statement').length > 0) return false;
  const assigned = moduleAssignments(fn, n.text);
  const last = assigned[assigned.length - 1]?.childForFieldName('right');
  return !!last && ['list', 'tuple', 'set'].includes(last.type);
}

function loopToCommit(node: Node, locals: Scope): Node {
  let chosen = node;
  for (let p = node.parent; p && p.type !== 'function_definition' && p.type !== 'lambda' && p.type !== 'class_definition'; p = p.parent) {
    if (p.type !== 'for_statement') continue;
    const iterable = p.childForFieldName('right');
    if (iteratesInBatches(iterable) || isBoundedIterable(iterable, locals) || moduleLiteralList(iterable)) break;
    chosen = p;
  }
  return chosen;
}

/** The fix, or why there is none (a phrase). */
/**
 * The model a loop's decisions read that the loop also writes, when some rows are left as they were
 * (a `continue`): a replay in order, each row judged against what the rows before it wrote (review 29:
 * pydis-site `api/0044` replays nomination history, skipping a second nomination while one is active).
 * Committed in batches and run again after a failure, the rows skipped the first time meet other rows
 * than they did. Null otherwise.
 */
function decidesOnOwnWrites(body: Node): string | null {
  if (!body.descendantsOfType('continue_statement').length) return null;
  const text = body.text;
  const written = new Set<string>();
  for (const m of text.matchAll(/(?<![\w.])([A-Z]\w*)(?:\(|\.objects\.(?:create|get_or_create|update_or_create|bulk_create|update)\b)/g)) written.add(m[1] as string);
  for (const m of text.matchAll(/(?<![\w.])([A-Z]\w*)\.objects\.(?:filter|exclude|get|exists|count|first|last)\(/g)) if (written.has(m[1] as string)) return m[1] as string;
  return null;
}

export function commitBatchesFix(input: CommitBatchesInput): Fix | string {
  const { loop, source, batchSize: n, model, op, runPython, fn, facts, index } = input;
  const runPythonFn = runPython.node;
  if (loop.kind !== 'for' || loop.node.type !== 'for_statement') return 'only a `for` loop is committed in batches';
  const node = loopToCommit(loop.node, facts.locals);
  const own = node.id === loop.node.id;
  const which = own ? 'the loop' : `the loop at line ${node.startPosition.row + 1} around it`;
  const body = node.childForFieldName('body');
  const left = node.childForFieldName('left');
  const right = node.childForFieldName('right');
  if (!body || !left || !right) return `${which} cannot be read`;
  if (/^async\b/.test(node.text)) return `${which} is an \`async for\`, which is not committed in batches`;
  if (node.childForFieldName('alternative')) return `${which} has an \`else:\` clause, which batches would run once per batch`;
  if (breaksOut(body)) return `${which} breaks out early: in batches it would leave only one batch`;
  // Rows it holds for a bulk write after it (a batching template's list): that write would commit apart
  // from the batch that changed the rows (review 26, normandy recipes/0007: links cleared per chunk,
  // their JSON written chunks later, or never after a failure).
  const held = [...((facts.loops.find((l) => l.node.id === node.id) ?? loop).appendsTo)].find((name) => (facts.bulkArguments.get(name) ?? []).some((call) => !within(call, node)));
  if (held) return `${which} holds rows in \`${held}\` for a bulk write after it, which its batches would commit apart from the rest of each row's changes`;
  if (body.startPosition.row === node.startPosition.row) return `${which} is written on one line`;
  if (model.atomic.value === 'unknown') return "the migration's atomic is computed";
  if (op.runPython?.atomicArg === true) return `${op.name}(atomic=True) runs it in one transaction`;
  const decorated = atomicDecorator(fn) ?? atomicDecorator(runPythonFn);
  if (decorated) return `the function is decorated ${decorated}, which runs it in one transaction`;
  if (enclosingAtomic(node)) return 'it runs inside a transaction.atomic() block already';
  const swallowed = swallowsErrors(node, facts, index);
  if (swallowed) return `${which} catches database errors (line ${swallowed.startPosition.row + 1}): inside a batch's transaction, a caught error would throw the whole batch away without a word`;
  const locking = lockingRead(index, runPython);
  if (locking) return `the function reads rows with select_for_update() (line ${locking.startPosition.row + 1}), which Django refuses outside a transaction: the batches would read their rows before their own transaction opens`;
  const again = changedAgain(node, body, left);
  if (again) return `${which} sets ${again.text} from ${again.from} (line ${again.line}): run again after a failure, the rows already committed would be changed twice`;
  const replay = decidesOnOwnWrites(body);
  if (replay) return `${which} decides what to do with each row from ${replay}, which it writes too, and leaves some rows as they were (\`continue\`): run again after a failure, those rows would be decided against what the committed batches wrote, not what the rows before them did`;
  // A helper the RunPython code calls from inside a loop: its batches would commit once per call, each
  // as small as one outer row's items (review 23, arches 6020's relations deleted per tile).
  if (fn.id !== runPythonFn.id) {
    const inLoop = index.facts(runPython).helperCalls.find((h) => h.target.node.id === fn.id && h.loop);
    if (inLoop) return `${fn.childForFieldName('name')?.text ?? 'the function'}() is called once per row of the loop at line ${inLoop.call.startPosition.row + 1}: its batches would commit once per call`;
  }
  const atomicMigration = model.atomic.value !== false;
  let twinToWrap: Node | null = null;
  if (atomicMigration) {
    // atomic = False takes every other write of the migration out of its transaction too.
    const other = otherWritingOperation(model, op, index);
    if (other) return `${OTHER_WORK}: ${other.name} at line ${other.call.startPosition.row + 1} writes too`;
    const twin = op.runPython ? [op.runPython.forward, op.runPython.reverseTarget].map((t) => (t ? unitOf(t) : null)).find((u) => u && u.node.id !== runPythonFn.id) : null;
    // Its own other direction: a migration of its own would hold it too (review 33: opencraft `instance/0141`),
    // so it is kept in one transaction of its own, as the migration's was (wrapTwin below).
    if (twin && unitWrites(index, twin) && !atomicDecorator(twin.node)) {
      const why = twinUnwrappable(twin.node, node);
      if (why) return `the code it runs in the other direction (${twin.node.childForFieldName('name')?.text ?? 'its reverse'}()) writes too, and with atomic = False it would run outside a transaction as well, and ${why}: commit that code in batches too, or wrap it in transaction.atomic() of its own`;
      twinToWrap = twin.node;
    }
    const outside = writeOutside(facts, index, node);
    if (outside !== null) return `the function also writes outside ${which} (line ${outside}), which atomic = False would take out of the migration's transaction`;
    if (fn.id !== runPythonFn.id) {
      // The loop is in a helper: the RunPython function may write only by calling it, once.
      const top = index.facts(runPython);
      const calls = top.helperCalls.filter((h) => h.target.node.id === fn.id);
      const elsewhere = writeOutside(top, index, calls[0]?.call ?? runPythonFn);
      if (calls.length !== 1 || calls[0]?.loop || elsewhere !== null) return `the function that calls ${fn.childForFieldName('name')?.text ?? 'it'}() also writes, or calls it more than once, outside its transaction once atomic = False`;
    }
    // Last: then the only obstacle is the schema, and a split (the editor offers it) leaves a loop this fix takes.
    if (input.schemaRunsSql()) return SPLIT_FIRST;
  }

  // The batches name the migration's database through the schema editor RunPython passes: a call of
  // the function from the file itself may pass none (rapidpro's `apply_manual()` passes None).
  const direct = directCall(model.root, runPythonFn);
  if (direct) return `the file also calls ${direct.name}() itself (line ${direct.line}), where the schema editor the batches take their database from may not be one`;

  const eol = eolOf(source);
  const indent = indentOf(node, source);
  const step = indentOf(body.firstNamedChild ?? body, source).slice(indent.length) || '    ';
  const used = identifiers(model.root);
  const rows = ['rows', 'pending'].find((b) => !used.has(b)) ?? freshName('rows', used);
  used.add(rows);
  const chunk = freshName('chunk', used);
  const edits: TextEdit[] = [];
  const root = model.root;
  const islice = bindImport(root, source, 'itertools', 'islice', edits, used);
  const transaction = bindImport(root, source, 'django.db', 'transaction', edits, used);
  const alias = aliasIn(fn, fn.id === runPythonFn.id, node.startIndex);
  const notes = [`${MARK} batches commit one by one: make this safe to run again after a failure`];
  if (createsRows(node, [...facts.directWrites, ...facts.loops.flatMap((l) => l.writes)])) notes.push(`${MARK} it creates rows: a run after a failure creates them again unless it skips rows already done`);
  if (!alias) notes.push(`${MARK} the batches commit on the default database: pass using= the migration's alias (schema_editor.connection.alias) if it runs on another`);
  // The loop's header after the iterable (`:` and any comment), then its body, two levels deeper.
  const keep = stringRows(node);
  const rest = source
    .slice(right.endIndex, node.endIndex)
    .split('\n')
    .map((line, i) => (i === 0 || line.trim() === '' || keep.has(right.endPosition.row + i) ? line : `${step}${step}${line}`))
    .join('\n');
  const header = source.slice(node.startIndex, right.startIndex);
  if (!/^for\s/.test(header) || !header.endsWith(' ') || source.slice(left.endIndex, right.startIndex).replace(/\s+/g, ' ') !== ' in ') return 'the loop header is not written the usual way';
  const lines = [
    ...notes,
    `${rows} = iter(${right.text})`,
    'while True:',
    `${step}${chunk} = list(${islice}(${rows}, ${n}))`,
    `${step}if not ${chunk}:`,
    `${step}${step}break`,
    `${step}with ${transaction}.atomic(${alias ? `using=${alias}` : ''}):`,
    `${step}${step}for ${left.text} in ${chunk}${rest}`,
  ];
  edits.push(replaceNode(node, lines.join(`${eol}${indent}`)));
  let title = `Commit ${own ? 'this loop' : `the loop at line ${node.startPosition.row + 1}`} in batches of ${n}, each in its own transaction`;
  if (atomicMigration) {
    const atomic = atomicFalseFix(model, source, 'Each batch of the data migration commits on its own.', false);
    if (!atomic) return "atomic = False cannot be set on this migration's class as it is written";
    edits.push(...atomic.edits);
    title += ' (atomic = False)';
  }
  if (twinToWrap) {
    edits.push(wrapInAtomic(twinToWrap, source, transaction));
    title += `; ${twinToWrap.childForFieldName('name')?.text ?? 'its reverse'}() in a transaction of its own`;
  }
  return { title, edits, isPreferred: true, safe: false };
}

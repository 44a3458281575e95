/**
 * Rewrites a row-by-row loop as batched code, or refuses. Four templates:
 *  - every assigned value is a constant: the loop's primary keys, updated with one
 *    `filter(pk__in=…).update(field=value)` per batch;
 *  - values computed per row: `iterator(chunk_size=N)` plus `bulk_update(batch, [fields])`, with the
 *    fields from `save(update_fields=…)` or from the attributes the loop assigns;
 *  - `Model.objects.create(...)` per row: one `bulk_create([...], batch_size=N)`;
 *  - `row.delete()` per row: queryset deletes of N primary keys at a time.
 * Anything whose effect could change (returns inside the loop, other writes, related objects,
 * mutations we cannot see, queries of the table it writes, a loop that is not over a model's
 * queryset) gets no rewrite.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import type { ModelFields } from '../project/view';
import { callArguments, codeChildren, dottedName, sequenceElements, staticString, unparen, type Node } from '../syntax';
import type { Fix } from '../types';
import { eolOf, indentOf, insertAfter, pythonString, replaceNode } from './edits';
import { uniqueName as freshName } from './loop-reading';
import { chainOf, QUERYSET_CHAIN } from './loop-chain';
import { mayRepeatRows } from './repeated-rows';
import { deleteCalls } from './cascades';
import type { MultiTable } from './multi-table';
import { modelHandedTo, readsModel, relationReadOf, selfRelationRead } from './reads-model';
import { filledOnSave, keysGivenRows } from './row-fields';
import { MANAGERS } from '../historical-models';

interface TemplateInput {
  loop: LoopFacts;
  write: WriteCall;
  /** Every write in the loop, to refuse loops that do more than the one we rewrite. */
  loopWrites: readonly WriteCall[];
  source: string;
  batchSize: number;
  /** Set when an enclosing loop is batched too: see BatchLoopInput.suffix. */
  suffix?: string;
  /** See BatchLoopInput.multiTable. */
  multiTable?: MultiTable;
  /** See BatchLoopInput.stamped. */
  stamped?: (model: string) => string[];
  /** See BatchLoopInput.fields. */
  fields?: (model: string) => ModelFields | null;
  /** See BatchLoopInput.inView. */
  inView?: boolean;
}

/** `Order` for `Order.objects.filter(...)...`, the model whose manager the chain starts from. */
function modelOfQueryset(iterable: Node): { model: string; queryset: Node } | null {
  const n = unparen(iterable);
  let cur: Node | null = n;
  let sawManager = false;
  while (cur) {
    if (cur.type === 'call') cur = cur.childForFieldName('function');
    else if (cur.type === 'attribute') {
      const attr = cur.childForFieldName('attribute')?.text ?? '';
      if (MANAGERS.has(attr)) sawManager = true;
      // Before the manager (outside in), only methods that keep the same model's rows.
      else if (!sawManager && !QUERYSET_CHAIN.has(attr)) return null;
      if (['iterator', 'prefetch_related'].includes(attr)) return null; // already streaming / prefetch needs list()
      cur = cur.childForFieldName('object');
    } else if (cur.type === 'identifier') {
      return sawManager && /^[A-Z]/.test(cur.text) ? { model: cur.text, queryset: n } : null;
    } else return null; // subscripts (slices), literals, ...
  }
  return null;
}

function isConstant(node: Node): boolean {
  const n = unparen(node);
  if (['string', 'integer', 'float', 'true', 'false', 'none'].includes(n.type)) return n.type !== 'string' || !n.text.toLowerCase().startsWith('f');
  if (n.type === 'unary_operator') return ['integer', 'float'].includes(n.lastNamedChild?.type ?? '');
  return n.type === 'identifier' && /^[A-Z][A-Z0-9_]*$/.test(n.text);
}

interface Assignments {
  /** Field -> assigned value node (null when not a plain assignment). */
  fields: Map<string, Node | null>;
  /** Only `target.field = value` statements and the write, at the top of the body. */
  straight: boolean;
}

const HARMLESS_CALLS = /^(print|logger\.\w+|logging\.\w+|log\.\w+)$/;

/**
 * Reads what the loop body does to its row. Null when the body does anything a batch rewrite
 * could not keep: returns, nested loops, try/with, rebinding the row, mutating it in ways that do
 * not name a field, or calls that might write.
 */
function readBody(body: Node, target: string, write: Node): Assignments | null {
  const fields = new Map<string, Node | null>();
  let straight = true;
  const visit = (block: Node, top: boolean): boolean => {
    for (const stmt of block.namedChildren) {
      switch (stmt.type) {
        case 'comment':
        case 'pass_statement':
        case 'continue_statement':
          straight &&= stmt.type === 'comment';
          continue;
        case 'if_statement': {
          straight = false;
          for (const child of stmt.namedChildren) {
            if (child.type === 'block' && !visit(child, false)) return false;
            if (child.type === 'elif_clause' || child.type === 'else_clause') {
              const b = child.childForFieldName('consequence') ?? child.childForFieldName('body');
              if (b && !visit(b, false)) return false;
            }
          }
          continue;
        }
        case 'expression_statement': {
          const e = stmt.firstNamedChild;
          if (!e) continue;
          if (e.type === 'call') {
            if (e.id === write.id) continue;
            const fn = e.childForFieldName('function');
            const name = fn ? dottedName(fn) : null;
            if (name === 'setattr') {
              const [obj, attr, value] = callArguments(e).positional;
              const field = attr ? staticString(attr) : null;
              if (obj?.text !== target || !field?.complete || !value) return false;
              fields.set(field.text, value);
              straight = false;
              continue;
            }
            if (name && HARMLESS_CALLS.test(name)) continue;
            return false; // an unknown call might write or mutate the row
          }
          if (e.type === 'assignment' || e.type === 'augmented_assignment') {
            const left = e.childForFieldName('left');
            const right = e.childForFieldName('right');
            if (!left || !right) return false;
            if (left.type === 'identifier') {
              if (left.text === target) return false; // rebinding the row
              straight = false;
              continue; // a local variable
            }
            const field = fieldOf(left, target);
            if (field === undefined) return false;
            if (field === null) continue; // not the row (another object's attribute): refuse below
            fields.set(field, e.type === 'assignment' && left.type === 'attribute' && top ? right : null);
            if (e.type !== 'assignment' || left.type !== 'attribute' || !top) straight = false;
            continue;
          }
          return false;
        }
        default:
          return false; // for/while/try/with/return/raise/del/...
      }
    }
    return true;
  };
  return visit(body, true) ? { fields, straight } : null;
}

/**
 * The field a target of assignment changes on the row: `row.f` or `row.f[...]` -> 'f'. Undefined
 * when it changes something we cannot account for (`row.f.g`, another object).
 */
function fieldOf(left: Node, target: string): string | null | undefined {
  let n = left;
  if (n.type === 'subscript') n = n.childForFieldName('value') ?? n;
  if (n.type !== 'attribute') return undefined;
  const obj = n.childForFieldName('object');
  if (obj?.type !== 'identifier' || obj.text !== target) return undefined;
  return n.childForFieldName('attribute')?.text ?? undefined;
}

function updateFieldsOf(save: Node): string[] | null | undefined {
  const args = callArguments(save);
  if (args.positional.length > 0 || args.hasSplat) return undefined;
  for (const key of args.keywords.keys()) if (key !== 'update_fields') return undefined;
  const list = args.keywords.get('update_fields');
  if (!list) return null;
  const elements = sequenceElements(list);
  if (!elements) return undefined;
  const names = elements.map((e) => staticString(e));
  return names.every((s) => s?.complete) ? names.map((s) => (s as { text: string }).text) : undefined;
}

function statementOf(node: Node): Node {
  let n = node;
  while (n.parent && n.type !== 'expression_statement') n = n.parent;
  return n;
}

export function batchTemplateFix(input: TemplateInput): Fix | null {
  const { loop, write, loopWrites, source, batchSize } = input;
  if (loop.kind !== 'for' || loop.node.childForFieldName('alternative')) return null;
  if (loopWrites.length !== 1 || loopWrites[0]?.call.id !== write.call.id) return null;
  const left = loop.node.childForFieldName('left');
  const body = loop.node.childForFieldName('body');
  if (!left || !body || !loop.iterable) return null;
  const eol = eolOf(source);
  const indent = indentOf(loop.node, source);
  const inner = indentOf(body.firstNamedChild ?? body, source);
  const step = inner.slice(indent.length) || '    ';
  const fn = (() => {
    for (let p = loop.node.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda') return p;
    return loop.node.parent ?? loop.node;
  })();
  const scopeText = fn.text;
  const uniqueName = (base: string) => freshName(input.suffix ? `${base}_${input.suffix}` : base, scopeText);

  if (write.kind === 'create') return createTemplate(input, left, body, indent, step, eol);
  if (write.kind !== 'save' && write.kind !== 'delete') return null;
  if (left.type !== 'identifier') return null;
  const target = left.text;
  const qs = modelOfQueryset(loop.iterable);
  if (!qs) return null;
  // The manager the loop reads through, with its database (`Order.objects.using(alias)`): the writes go there too.
  const manager = chainOf(qs.queryset)?.manager ?? `${qs.model}.objects`;
  const receiver = write.call.childForFieldName('function')?.childForFieldName('object');
  if (receiver?.type !== 'identifier' || receiver.text !== target) return null;
  // The loop queries the table it writes: batched, those queries would not see the rows written so far.
  if (readsModel(body, qs.model) || modelHandedTo(body, qs.model)) return null;
  // Nor a field it sets, read through rows the body queries (`[e.node.name for e in Edge.objects…]`).
  const assigned = [...body.text.matchAll(new RegExp(`(?<![\\w.])${target}\\.(\\w+)\\s*(?:[-+*/]?=)(?!=)`, 'g'))].map((m) => m[1] as string);
  if (relationReadOf(body, [target], assigned)) return null;
  // Nor through a relation of the row to its own model (`profile.current_team.current_project`), per the project view.
  const known = input.fields?.(qs.model) ?? null;
  if (known?.selfRelated && selfRelationRead(body, target, known.selfRelated)) return null;

  if (write.kind === 'delete') {
    const only = codeChildren(body);
    if (only.length !== 1 || only[0]?.id !== statementOf(write.call).id || callArguments(write.call).keywords.size > 0) return null;
    const pks = uniqueName('pks');
    const start = uniqueName('start');
    const text =
      `${pks} = list(${qs.queryset.text}.values_list("pk", flat=True))${eol}` +
      `${indent}for ${start} in range(0, len(${pks}), ${batchSize}):${eol}` +
      `${indent}${step}${manager}.filter(pk__in=${pks}[${start} : ${start} + ${batchSize}]).delete()`;
    return { title: `Delete in batches of ${batchSize} with a queryset delete()`, edits: [replaceNode(loop.node, text)], isPreferred: true, safe: false };
  }
  if (write.kind !== 'save') return null;
  // A delete in the loop may cascade to a row it saves later: not proven the same ("Batch this loop" says when it is).
  if (deleteCalls(body).length > 0) return null;
  const explicit = updateFieldsOf(write.call);
  if (explicit === undefined) return null;
  const read = readBody(body, target, write.call);
  if (!read) return null;
  const fields = explicit ?? [...read.fields.keys()];
  if (fields.length === 0) return null;
  // save() stamps auto_now fields (the ones it writes), bulk_update and update() do not: "Batch this loop" says how.
  // A model the project view cannot answer about may have some: not proven, and the template marks it.
  if (input.inView && !known && explicit === null) return null;
  const stamps = input.stamped?.(qs.model) ?? [];
  if (stamps.some((f) => explicit === null || explicit.includes(f))) return null;
  // update_fields names a field the loop never sets: save() is there to have it computed (its pre_save).
  if (explicit && explicit.some((f) => !read.fields.has(f))) return null;
  if (!explicit && [...read.fields.keys()].some((f) => f === 'pk' || f === 'id')) return null;
  // A name that may be no field (`row._event_ignore`), or a query that may yield a row twice (a
  // join): not proven the same — "Batch this loop" says how it handles them.
  const rowsGiven = known ? null : keysGivenRows(body, target);
  if (fields.some((f) => (known ? !known.mixins && !known.fields.has(f) && !f.endsWith('_id') : f.startsWith('_') || rowsGiven?.has(f)))) return null;
  if (mayRepeatRows(unparen(loop.iterable), known)) return null;
  // A field whose save() fills in another (a MarkupField's rendering): "Batch this loop" says why not.
  if (filledOnSave(known, fields)) return null;
  const saveStatement = statementOf(write.call);

  // Constant values, straight-line body, save last: one UPDATE per batch of primary keys.
  const values = fields.map((f) => read.fields.get(f));
  const last = codeChildren(body).pop();
  if (read.straight && last?.id === saveStatement.id && values.every((v): v is Node => !!v && isConstant(v)) && read.fields.size === fields.length) {
    const pks = uniqueName('pks');
    const start = uniqueName('start');
    const assignments = fields.map((f, i) => `${f}=${(values[i] as Node).text}`).join(', ');
    const text =
      `${pks} = list(${qs.queryset.text}.values_list("pk", flat=True))${eol}` +
      `${indent}for ${start} in range(0, len(${pks}), ${batchSize}):${eol}` +
      `${indent}${step}${manager}.filter(pk__in=${pks}[${start} : ${start} + ${batchSize}]).update(${assignments})`;
    return { title: `Update in batches of ${batchSize} with .update(${assignments})`, edits: [replaceNode(loop.node, text)], isPreferred: true, safe: false };
  }

  // Computed values: stream the rows and write them back with bulk_update.
  const batch = uniqueName('batch');
  const fieldList = `[${fields.map((f) => pythonString(f)).join(', ')}]`;
  const saveIndent = indentOf(saveStatement, source);
  const flush = `${manager}.bulk_update(${batch}, ${fieldList})`;
  const appendText =
    `${batch}.append(${target})${eol}` +
    `${saveIndent}if len(${batch}) >= ${batchSize}:${eol}` +
    `${saveIndent}${step}${flush}${eol}` +
    `${saveIndent}${step}${batch}.clear()`;
  return {
    title: `Batch with bulk_update(${batch}, ${fieldList}) every ${batchSize} rows`,
    edits: [
      { range: { start: { line: loop.node.startPosition.row, character: loop.node.startPosition.column }, end: { line: loop.node.startPosition.row, character: loop.node.startPosition.column } }, newText: `${batch} = []${eol}${indent}` },
      insertAfter(loop.iterable, `.iterator(chunk_size=${batchSize})`),
      replaceNode(saveStatement, appendText),
      insertAfter(loop.node, `${eol}${indent}if ${batch}:${eol}${indent}${step}${flush}`),
    ],
    isPreferred: true,
    safe: false,
  };
}

/** `for x in xs: Model.objects.create(...)` -> one bulk_create over a list comprehension. */
function createTemplate(input: TemplateInput, left: Node, body: Node, indent: string, step: string, eol: string): Fix | null {
  const { loop, write, batchSize } = input;
  const only = codeChildren(body);
  if (only.length !== 1 || only[0]?.id !== statementOf(write.call).id || statementOf(write.call).firstNamedChild?.id !== write.call.id) return null;
  const fn = write.call.childForFieldName('function');
  if (fn?.childForFieldName('attribute')?.text !== 'create') return null;
  const manager = fn.childForFieldName('object');
  const model = manager?.type === 'attribute' && manager.childForFieldName('attribute')?.text === 'objects' ? manager.childForFieldName('object') : null;
  if (model?.type !== 'identifier' || !/^[A-Z]/.test(model.text) || input.multiTable?.(model.text)) return null;
  if (manager && readsModel(body, model.text, [manager])) return null;
  const args = callArguments(write.call);
  if (args.hasSplat || args.positional.length > 0) return null;
  const argsText = write.call.childForFieldName('arguments')?.text ?? '()';
  const text =
    `${model.text}.objects.bulk_create(${eol}` +
    `${indent}${step}[${model.text}${argsText} for ${left.text} in ${loop.iterable?.text}],${eol}` +
    `${indent}${step}batch_size=${batchSize},${eol}` +
    `${indent})`;
  return { title: `Insert in batches of ${batchSize} with bulk_create()`, edits: [replaceNode(loop.node, text)], isPreferred: true, safe: false };
}

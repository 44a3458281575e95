/**
 * The split of deferred-create.ts for an object the loop builds and saves, then hands on
 * (`project = Project()`, `project.save()`, `profile.current_project = project`): the object stays
 * built where it is, its save line goes, and the split's flush inserts the batch with bulk_create.
 */
import type { LoopFacts, WriteCall } from '../code-facts';
import { multiTableRefusal, type MultiTable } from './multi-table';
import type { Scope } from '../scope';
import type { Node } from '../syntax';
import type { Producer } from './deferred-create';
import { constructedModel, keyRefusal, insertDatabase } from './loop-objects';
import { referencedNames } from './name-flow';

/** What may touch a built object before its save() without needing it saved: setting it, validating it. */
const BEFORE_SAVE_METHODS = new Set(['full_clean', 'clean', 'clean_fields', 'validate_unique']);

/** A statement that sets or validates `name` (`obj = Model()`, `obj.x = …`, `obj.full_clean()`): it needs no key. */
export function preparesBuilt(stmt: Node, name: string): boolean {
  const e = stmt.type === 'expression_statement' && stmt.namedChildCount === 1 ? stmt.firstNamedChild : null;
  if (e?.type === 'assignment') {
    const left = e.childForFieldName('left');
    const target = left?.type === 'attribute' ? left.childForFieldName('object') : left;
    const right = e.childForFieldName('right');
    return target?.type === 'identifier' && target.text === name && !!right && !referencedNames(right).has(name);
  }
  if (e?.type === 'call') {
    const fn = e.childForFieldName('function');
    const obj = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    return obj?.type === 'identifier' && obj.text === name && BEFORE_SAVE_METHODS.has(fn?.childForFieldName('attribute')?.text ?? '') && !referencedNames(e.childForFieldName('arguments') ?? e).has(name);
  }
  return false;
}

/**
 * `obj.save()` of an object the loop builds (`obj = Model(...)`) whose key the rest of the loop
 * needs (builtObjectUsed): the object stays built where it is, its save line goes, and the flush
 * inserts the batch with bulk_create. Null when the write is not such a save; a string says why not.
 */
export function builtSave(w: WriteCall, loop: LoopFacts, body: Node, locals: Scope, multiTable?: MultiTable): Producer | string | null {
  const fn = w.call.childForFieldName('function');
  const recv = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
  if (recv?.type !== 'identifier' || !loop.constructed.has(recv.text) || loop.targets.includes(recv.text)) return null;
  const stmt = w.call.parent;
  if (stmt?.type !== 'expression_statement' || stmt.namedChildCount !== 1) return null;
  const db = insertDatabase(w.call);
  if (db === null) return 'save() takes arguments bulk_create cannot keep';
  const made = constructedModel(body, recv.text, locals);
  if (!made || !/^[A-Za-z_]\w*$/.test(made.model)) return 'the new object is not built from one model class in the loop';
  const mti = multiTable?.(made.model);
  if (mti) return multiTableRefusal(made.model, mti);
  const keyed = made.calls.map((c) => keyRefusal(c, w.call)).find((r) => r !== null);
  if (keyed) return keyed;
  const name = recv.text;
  return {
    stmt,
    target: recv,
    name,
    build: '',
    drop: true,
    flush: (p, i) => [`${made.model}.objects${db}.bulk_create([item[${i}] for item in ${p}])`],
    notes: [],
    model: made.model,
    recv: made.calls[0] ?? recv,
  };
}

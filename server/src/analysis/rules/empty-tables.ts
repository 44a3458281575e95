/**
 * Tables a migration creates and that are still empty when one of its RunPython operations runs: a
 * loop over their rows writes nothing, whatever it would do per row (respa's squashed
 * `resources/0001`, review 25). Empty means created earlier in the same file (certainly: not in a
 * comprehension or a branch), and no operation between them could have put rows in it: only
 * operations whose effect is read, and RunPython code that inserts nothing — it updates or deletes
 * the rows it reads, or writes only inside loops over tables that are themselves still empty
 * (sodar-server's squashed `samplesheets/0001`, review 45: two loops over a new table, after
 * RunPython code that flags the rows of another new one).
 */
import type { LoopFacts, UnitFacts, WriteCall } from '../code-facts';
import type { Operation } from '../operations';
import type { Scope } from '../scope';
import type { Node } from '../syntax';
import { runPythonUnits } from './runpython-units';
import type { RuleContext } from './rule';

export interface EmptyTableQuestions {
  /** The model a loop walks the rows of, lower-cased, when it is one of the file's own app; else null. */
  ownModel: (loop: LoopFacts, locals: Scope) => string | null;
  /** Whether a save() in a loop inserts a new object rather than updating the row it read. */
  newInstance: (w: WriteCall, loop: LoopFacts, locals: Scope) => boolean;
  /** The model of the file's own app an insert writes, lower-cased, when the code names it; else null. */
  insertedModel?: (w: WriteCall, locals: Scope) => string | null;
}

/** Writes that put no row in any table: updates and deletes (a same-file helper's are read where it is). */
const NO_INSERT = new Set(['update', 'delete', 'queryset-delete', 'helper']);

/** Calls that load data whatever they are given. */
const LOADS_DATA = /(?:^|\.)(?:call_command|loaddata)$/;

/** Whether the loop walks a table the migration created before the operation at `at` and nothing has filled since. */
export function walksEmptyTable(loop: LoopFacts, locals: Scope, at: number, ctx: RuleContext, q: EmptyTableQuestions): boolean {
  const ops = ctx.model.operations;
  if (at <= 0 || !ops.slice(0, at).some((o) => o.createsModel)) return false;
  const model = q.ownModel(loop, locals);
  return model !== null && emptyBefore(model, at, ctx, q, 0);
}

function emptyBefore(model: string, at: number, ctx: RuleContext, q: EmptyTableQuestions, depth: number): boolean {
  const ops = ctx.model.operations;
  const created = ops.findIndex((o, i) => i < at && o.createsModel === model && o.certain);
  if (created < 0) return false;
  // Code, SQL or an operation we cannot read between them may put rows in it.
  for (let i = created + 1; i < at; i++) {
    const o = ops[i] as Operation;
    if (o.spec === null || o.runSql || o.name === 'SeparateDatabaseAndState') return false;
    if (o.runPython && (depth >= 2 || mayInsertRows(o, i, ctx, q, depth + 1, model))) return false;
  }
  return true;
}

/**
 * Whether the RunPython operation at `at` may insert rows: its forward code (and the same-file
 * helpers it calls) creates objects, writes in bulk, links, runs SQL, calls code that cannot be
 * read or hands it the app registry — anywhere but inside a loop over a table still empty then.
 */
function mayInsertRows(op: Operation, at: number, ctx: RuleContext, q: EmptyTableQuestions, depth: number, model: string): boolean {
  const units = runPythonUnits(ctx.model).filter((u) => u.op === op && u.direction === 'forward');
  if (units.length === 0) return true;
  for (const u of units) {
    for (const facts of ctx.index.reachable(u.unit)) {
      const empty = new Map<LoopFacts, boolean>();
      const idle = (loop: LoopFacts | null): boolean => {
        for (let l = loop; l; l = l.parent) {
          let e = empty.get(l);
          if (e === undefined) {
            const m = l.kind === 'for' ? q.ownModel(l, facts.locals) : null;
            e = m !== null && emptyBefore(m, at, ctx, q, depth);
            empty.set(l, e);
          }
          if (e) return true;
        }
        return false;
      };
      if (insertsOutside(facts, idle, q, plainOtherModel(ctx, at, model)) || handsOnCode(facts, idle)) return true;
    }
  }
  return false;
}

/**
 * Whether an insert into `other` leaves `model`'s table alone: `other` is another model this migration
 * created before `at`, plainly (its only base Django's Model, no proxy), so its rows are in its own table
 * alone (TWLight's squashed `resources/0001` seeds Language before a loop over Partner, review 56). A model
 * made elsewhere may be a child of `model` (multi-table inheritance) or a proxy of it: not answered.
 */
function plainOtherModel(ctx: RuleContext, at: number, model: string): (other: string) => boolean {
  return (other) => {
    if (other === model) return false;
    const op = ctx.model.operations.slice(0, at).find((o) => o.createsModel === other && o.certain);
    const a = op?.args;
    return a?.kind === 'CreateModel' && a.options.proxy !== true && !!a.bases && a.bases.every((b) => /^(?:django\.db\.)?models\.Model$/.test(b));
  };
}

function insertsOutside(facts: UnitFacts, idle: (loop: LoopFacts | null) => boolean, q: EmptyTableQuestions, elsewhere: (other: string) => boolean): boolean {
  for (const w of [...facts.directWrites, ...facts.loops.flatMap((l) => l.writes)]) {
    if (NO_INSERT.has(w.kind) || idle(w.loop ?? null)) continue;
    if (w.kind === 'save' && w.loop && !q.newInstance(w, w.loop, facts.locals)) continue;
    const into = q.insertedModel?.(w, facts.locals) ?? null;
    if (into !== null && elsewhere(into)) continue;
    return true;
  }
  return facts.opaqueSites.some((s) => !idle(s.loop));
}

/** A call that loads data, or hands the app registry or the schema editor to code not of this file, outside an idle loop. */
function handsOnCode(facts: UnitFacts, idle: (loop: LoopFacts | null) => boolean): boolean {
  const helpers = new Set(facts.helperCalls.map((h) => h.call.id));
  const loopOf = (call: Node): LoopFacts | null => {
    let inner: LoopFacts | null = null;
    for (const l of facts.loops) if (l.node.startIndex <= call.startIndex && call.endIndex <= l.node.endIndex && (!inner || l.node.startIndex >= inner.node.startIndex)) inner = l;
    return inner;
  };
  for (const call of facts.unit.node.descendantsOfType('call')) {
    if (helpers.has(call.id)) continue;
    const fn = call.childForFieldName('function')?.text ?? '';
    const handed = call.childForFieldName('arguments')?.namedChildren.some((a) => {
      const value = a.type === 'keyword_argument' ? a.childForFieldName('value') : a;
      return value?.type === 'identifier' && (value.text === 'apps' || value.text === 'schema_editor');
    });
    if ((handed || LOADS_DATA.test(fn)) && !idle(loopOf(call))) return true;
  }
  return false;
}

/**
 * Why a no-op reverse would leave the database wrong on a rollback, or make the next forward run fail, read from
 * the migration's operations and its RunPython code (runpython-no-reverse withholds its no-op for these):
 * a column an earlier AlterField changed and the code writes, rows moved out of their own filter while a field the
 * migration adds is set, a row looked up by a literal the code then changes.
 */
import type { UnitFacts } from '../code-facts';
import type { FieldSpec } from '../fields';
import { historicalModelRef } from '../historical-models';
import type { Operation } from '../operations';
import { callArguments, chainRoot, functionAround, type Node } from '../syntax';
import { lineOf, type RuleContext } from './rule';

/**
 * An AlterField earlier in this migration of a model the code names (`apps.get_model`) and writes
 * to (review 49: karrot `subscriptions/0005` turns an integer column into text, then writes
 * `'android'` into it; jumpserver `authentication/0008` re-saves each secret through an encrypting
 * field): a rollback undoes the AlterField on the values the code wrote. Null when none.
 */
export function alteredThenWritten(op: Operation, units: readonly UnitFacts[], ctx: RuleContext): { model: string; field: string; line: number } | null {
  const before = ctx.model.operations.slice(0, Math.max(0, ctx.model.operations.indexOf(op)));
  const alters = before.flatMap((o) => (o.args?.kind === 'AlterField' && o.args.model && o.args.name && changesColumn(o.args.model, o.args.name, o.args.field, ctx) ? [{ model: o.args.model.toLowerCase(), field: o.args.name, line: lineOf(o.call) }] : []));
  if (alters.length === 0) return null;
  for (const f of units) {
    const writes = [...f.directWrites, ...f.loops.flatMap((l) => l.allWrites)];
    if (writes.length === 0) continue;
    const fields = writtenFields(f.unit.node);
    for (const a of f.unit.node.descendantsOfType('assignment')) {
      const right = a.childForFieldName('right');
      const ref = right ? historicalModelRef(right, f.locals) : null;
      // By model name (an AlterField names a model of this app; one of another app by the same name only costs the offer).
      const hit = ref ? alters.find((x) => x.model === ref.model.toLowerCase() && fields.has(x.field)) : undefined;
      if (hit && ref) return { model: ref.model, field: hit.field, line: hit.line };
    }
  }
  return null;
}

/**
 * A RemoveField later in this migration of a field the code reads, on a model it names (`apps.get_model`):
 * the code moves the field's values elsewhere before the field goes (review 64: tethys `tethys_apps/0008` copies
 * `persistent_store_service_id` into a generic relation, then drops it). Rolled back with a no-op, the
 * RemoveField's reverse adds the field back empty and the values are lost. Null when none.
 */
export function readThenRemoved(op: Operation, units: readonly UnitFacts[], ctx: RuleContext): { model: string; field: string; line: number } | null {
  const after = ctx.model.operations.slice(ctx.model.operations.indexOf(op) + 1);
  const removed = after.flatMap((o) => (o.args?.kind === 'RemoveField' && o.args.model && o.args.name ? [{ model: o.args.model.toLowerCase(), field: o.args.name, line: lineOf(o.call) }] : []));
  if (removed.length === 0) return null;
  for (const f of units) {
    const read = readNames(f.unit.node);
    const models = new Set<string>();
    for (const a of f.unit.node.descendantsOfType('assignment')) {
      const right = a.childForFieldName('right');
      const ref = right ? historicalModelRef(right, f.locals) : null;
      if (ref) models.add(ref.model.toLowerCase());
    }
    const hit = removed.find((r) => models.has(r.model) && (read.has(r.field) || read.has(`${r.field}_id`)));
    if (hit) return hit;
  }
  return null;
}

/** The attribute names the function reads (`setting.persistent_store_service_id`, `getattr(row, "name", …)`), targets of assignments left out. */
function readNames(fn: Node): Set<string> {
  const out = new Set<string>();
  for (const n of fn.descendantsOfType(['attribute', 'call'])) {
    if (n.type === 'call') {
      const callee = n.childForFieldName('function');
      if (callee?.type === 'identifier' && (callee.text === 'getattr' || callee.text === 'hasattr')) {
        const name = callArguments(n).positional[1];
        if (name?.type === 'string') out.add(name.text.replace(/^["']|["']$/g, ''));
      }
      continue;
    }
    const parent = n.parent;
    if (parent?.type === 'assignment' && parent.childForFieldName('left')?.id === n.id) continue;
    out.add(n.childForFieldName('attribute')?.text ?? '');
  }
  return out;
}

/**
 * Whether an AlterField changes the column the database has (its type, length, precision, NULL, name), per the
 * field before it in the project view; true when that cannot be read. Choices, defaults, help texts change
 * nothing a rollback would cast (review 50: 10 of 12 withheld no-ops were such AlterFields: plane `0042`, `0076`).
 */
function changesColumn(model: string, name: string, field: FieldSpec | null, ctx: RuleContext): boolean {
  const project = ctx.project;
  if (!project?.view) {
    ctx.needsView?.(`the field ${model}.${name} before its AlterField`);
    return true;
  }
  const entry = project.view.modelBefore(project.file, model.toLowerCase());
  const was = typeof entry === 'string' ? undefined : entry.fields.get(name);
  if (!field || !was) return true;
  const keys = ['cls', 'null', 'maxLength', 'maxDigits', 'decimalPlaces', 'dbColumn'] as const;
  const target = (f: FieldSpec) => (f.relation ? `${f.relation.kind} ${JSON.stringify(f.relation.to)}` : null);
  return keys.some((k) => was[k] === undefined || field[k] === undefined || was[k] !== field[k]) || target(was) !== target(field);
}

/** Field names the code gives values: `x.f = …`, `setattr(x, "f", …)`, `update(f=…)` / `create(f=…)`, bulk_update's list. */
function writtenFields(fn: Node): Set<string> {
  const out = new Set<string>();
  for (const n of fn.descendantsOfType(['assignment', 'augmented_assignment', 'call'])) {
    if (n.type !== 'call') {
      const left = n.childForFieldName('left');
      if (left?.type === 'attribute') out.add(left.childForFieldName('attribute')?.text ?? '');
      continue;
    }
    const callee = n.childForFieldName('function');
    const method = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
    const args = callArguments(n);
    if (method === 'setattr') out.add((args.positional[1]?.text ?? '').replace(/^["']|["']$/g, ''));
    else if (method === 'update' || method === 'create' || method === 'get_or_create' || method === 'update_or_create') for (const k of args.keywords.keys()) out.add(k);
    else if (method === 'bulk_update') for (const item of (args.positional[1] ?? args.keywords.get('fields'))?.namedChildren ?? []) out.add(item.text.replace(/^["']|["']$/g, ''));
  }
  return out;
}

/**
 * `filter(group="backlog", …).update(group="triage", is_triage=True)` where `is_triage` is a field an AddField
 * earlier in this migration adds (review 50: plane `0063`): rolled back with a no-op, the AddField's reverse drops
 * the column and the rows keep their new `group`; forward again, the filter finds none and the new column stays
 * at its default. Null when none.
 */
export function movedOutOfFilter(op: Operation, units: readonly UnitFacts[], ctx: RuleContext): { field: string; added: string; line: number } | null {
  const before = ctx.model.operations.slice(0, Math.max(0, ctx.model.operations.indexOf(op)));
  const added = new Set(before.flatMap((o) => (o.args?.kind === 'AddField' && o.args.name ? [o.args.name] : [])));
  if (added.size === 0) return null;
  for (const f of units) {
    for (const call of f.unit.node.descendantsOfType('call')) {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'update') continue;
      const set = [...callArguments(call).keywords.keys()];
      const fresh = set.find((k) => added.has(k));
      if (!fresh) continue;
      let filtered: string[] = [];
      for (let n: Node | null = fn.childForFieldName('object'); n?.type === 'call'; n = n.childForFieldName('function')?.childForFieldName('object') ?? null) {
        if (n.childForFieldName('function')?.childForFieldName('attribute')?.text === 'filter') filtered = filtered.concat([...callArguments(n).keywords.keys()].map((k) => k.split('__')[0] as string));
      }
      // A filter on the column this migration adds finds its rows again: the rollback drops it, and the
      // next run adds it back empty (review 54: experimenter `0049`, `filter(risk_revenue=None).update(risk_revenue=False)`).
      const field = set.find((k) => filtered.includes(k) && !added.has(k));
      if (field) return { field, added: fresh, line: lineOf(call) };
    }
  }
  return null;
}

/** `x = Model.objects.get(field=…)` followed by `x.field = …` in the same function; null when none. */
export function lookupChanged(units: readonly UnitFacts[]): { field: string; line: number } | null {
  for (const f of units) {
    const assigns = f.unit.node.descendantsOfType('assignment');
    for (const a of assigns) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      const fn = right?.type === 'call' ? right.childForFieldName('function') : null;
      if (left?.type !== 'identifier' || fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'get' || !/\.(?:objects|_default_manager|_base_manager)\b/.test(fn.text)) continue;
      // Looked up by a literal (`func="sequences.tasks.x"`), then given another value.
      const keys = new Map([...callArguments(right as Node).keywords].filter(([k, v]) => !k.includes('__') && (v.type === 'string' || v.type === 'integer')).map(([k, v]) => [k, v.text]));
      const changed = assigns.find((b) => {
        const target = b.childForFieldName('left');
        const field = target?.type === 'attribute' ? target.childForFieldName('attribute')?.text ?? '' : '';
        return b.startIndex > a.endIndex && target?.type === 'attribute' && target.childForFieldName('object')?.text === left.text && keys.has(field) && keys.get(field) !== b.childForFieldName('right')?.text;
      });
      if (changed) return { field: changed.childForFieldName('left')?.childForFieldName('attribute')?.text ?? '', line: lineOf(a) };
    }
  }
  return null;
}

/** The method of a call through a manager or queryset (`Rule.objects.get_or_create`), and the model name it starts from. */
function modelCall(call: Node, locals: UnitFacts['locals']): { method: string; model: string | null; named: string | null } | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return null;
  const root = chainRoot(fn.childForFieldName('object'));
  const model = root?.type === 'identifier' ? (historicalModelRef(root, locals)?.model ?? root.text) : null;
  return { method: fn.childForFieldName('attribute')?.text ?? '', model: model?.toLowerCase() ?? null, named: model ?? null };
}

/**
 * A get_or_create() / update_or_create() whose look-up names a field an AddField earlier in this migration adds
 * (review 56: seed `0125` looks rules up by `condition`, `0222` by `cross_cycle` in the dicts it splats): rolled
 * back with a no-op, the column is dropped and the rows stay; forward again, it comes back at its default, the
 * look-up finds none of them, and the rows are inserted a second time. Null when none.
 */
export function keyedOnAddedField(op: Operation, units: readonly UnitFacts[], ctx: RuleContext): { field: string; line: number } | null {
  const before = ctx.model.operations.slice(0, Math.max(0, ctx.model.operations.indexOf(op)));
  const added = before.flatMap((o) => (o.args?.kind === 'AddField' && o.args.name ? [{ model: o.args.model?.toLowerCase() ?? null, field: o.args.name, back: comesBackAs(o.args.field) }] : []));
  if (added.length === 0) return null;
  const created = new Set(before.flatMap((o) => (o.createsModel ? [o.createsModel] : [])));
  for (const f of units) {
    for (const call of f.unit.node.descendantsOfType('call')) {
      const c = modelCall(call, f.locals);
      if (!c || (c.method !== 'get_or_create' && c.method !== 'update_or_create') || (c.model && created.has(c.model))) continue;
      const ofModel = added.filter((a) => !a.model || !c.model || a.model === c.model);
      const args = call.childForFieldName('arguments');
      const keywords = callArguments(call).keywords;
      // Only a look-up by a literal the column does not come back with: by a name, or by the field's own default
      // (seed `0100` looks measures up by `schema_type="BuildingSync"`, the AddField's default), the re-run finds its rows.
      let hit = ofModel.find((a) => {
        const v = keywords.get(a.field);
        const values = v ? valuesOf(v, call) : undefined;
        return !!values && a.back !== undefined && values.some((x) => x !== a.back);
      });
      // `get_or_create(**rule)`: the dicts it is given are not followed; a key of that name written in the file, with a
      // literal other than the default, counts.
      if (!hit && args?.namedChildren.some((a) => a.type === 'dictionary_splat')) {
        hit = ofModel.find((a) => {
          const m = new RegExp(`["']${a.field}["']\\s*:\\s*("[^"]*"|'[^']*'|True|False|None|-?\\d+)`).exec(ctx.source);
          return !!m && a.back !== undefined && literalOf(m[1] as string) !== a.back;
        });
      }
      if (hit) return { field: hit.field, line: lineOf(call) };
    }
  }
  return null;
}

/**
 * An insert into a model whose unique_together an earlier operation of this migration changed, or one of whose
 * constraints it removed (review 56: seed `0243` widens (organization, category, name) by schema_version, then
 * inserts measures that repeat those three): rolled back with a no-op, the rows stay, and the old constraint,
 * made again, may fail on them. Null when none.
 */
export function insertsAfterUniqueRelaxed(op: Operation, units: readonly UnitFacts[], ctx: RuleContext): { model: string; line: number; insert: number } | null {
  const before = ctx.model.operations.slice(0, Math.max(0, ctx.model.operations.indexOf(op)));
  const relaxed = new Map<string, number>();
  // A table this migration creates goes with the rollback, rows and all.
  const created = new Set(before.flatMap((o) => (o.createsModel ? [o.createsModel] : [])));
  for (const o of before) {
    const a = o.args;
    if (((a?.kind === 'AlterTogether' && a.option === 'unique_together') || a?.kind === 'RemoveConstraint') && a.model && !created.has(a.model.toLowerCase())) relaxed.set(a.model.toLowerCase(), lineOf(o.call));
  }
  if (relaxed.size === 0) return null;
  for (const f of units) {
    for (const call of f.unit.node.descendantsOfType('call')) {
      const c = modelCall(call, f.locals);
      if (!c?.model || !/^(create|get_or_create|update_or_create|bulk_create)$/.test(c.method)) continue;
      const line = relaxed.get(c.model);
      if (line !== undefined) return { model: c.named ?? c.model, line, insert: lineOf(call) };
    }
  }
  return null;
}

/** A Python literal's value as text (`"x"` and `'x'` alike), or undefined for anything else. */
function literalOf(text: string): string | undefined {
  const t = text.trim();
  if (/^(?:True|False|None|-?\d+)$/.test(t)) return t;
  const m = /^(?:"([^"\\]*)"|'([^'\\]*)')$/.exec(t);
  return m ? `"${m[1] ?? m[2]}"` : undefined;
}

/** What an added column holds in the rows it finds, as literalOf writes it: its default, None without one; undefined when unknown. */
function comesBackAs(field: FieldSpec | null | undefined): string | undefined {
  const d = field?.default;
  if (!field || d === undefined) return undefined;
  if (d === 'NOT_PROVIDED') return 'None';
  if (d.kind === 'str') return `"${d.value}"`;
  if (d.kind === 'int') return String(d.value);
  if (d.kind === 'bool') return d.value ? 'True' : 'False';
  if (d.kind === 'none') return 'None';
  return undefined;
}

/**
 * The literal values an argument of a call can hold: its own, or, for a parameter of the function around the
 * call, what each call of that function in the file gives it (its default where a call leaves it out: seed `0125`
 * calls `create_rule(rule, "not_null")`, `0100` calls `populate_measures(apps, c.id)` with `schema_type` left at
 * its default). Undefined where one of them is not a literal.
 */
function valuesOf(value: Node, at: Node): string[] | undefined {
  const own = literalOf(value.text);
  if (own !== undefined) return [own];
  if (value.type !== 'identifier') return undefined;
  const fn = functionAround(at);
  const name = fn?.childForFieldName('name')?.text;
  const params = fn?.childForFieldName('parameters')?.namedChildren ?? [];
  const index = params.findIndex((p) => (p.type === 'identifier' ? p.text : p.childForFieldName('name')?.text) === value.text);
  const param = params[index];
  if (!fn || !name || !param) return undefined;
  const fallback = param.type === 'default_parameter' || param.type === 'typed_default_parameter' ? literalOf(param.childForFieldName('value')?.text ?? '') : undefined;
  let root: Node = fn;
  while (root.parent) root = root.parent;
  const calls = root.descendantsOfType('call').filter((c) => c.childForFieldName('function')?.text === name);
  if (calls.length === 0) return undefined;
  const out: string[] = [];
  for (const c of calls) {
    const args = callArguments(c);
    if (args.hasSplat) return undefined;
    const given = args.keywords.get(value.text) ?? args.positional[index];
    const v = given ? literalOf(given.text) : fallback;
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * runpython-no-db-alias (off by default): a query in RunPython code that goes through a model's
 * manager without naming the database the migration runs on — `Model.objects.filter(...)` instead
 * of `Model.objects.using(schema_editor.connection.alias).filter(...)` (or `db_manager(alias)`).
 * Only matters to projects with several databases, hence off unless turned on.
 */
import type { CodeUnit } from '../code-flow';
import { insertAfter } from '../fixes/edits';
import { parameterNames, runPythonCode, type UnitNames, unitNodes, walkUnit } from '../runpython-code';
import { rangeOf, type Node } from '../syntax';
import type { Fix } from '../types';
import { snippet, type Rule } from './rule';
import { isGetModelCall, isHistoricalModel, MANAGERS } from '../historical-models';

const ROUTED = new Set(['using', 'db_manager']);

/** `X` is a model: bound to `apps.get_model(...)` in this code, a CamelCase name, or `apps.get_model(...)` itself. */
function isModel(obj: Node, names: UnitNames): boolean {
  if (obj.type === 'call') return isGetModelCall(obj);
  if (obj.type !== 'identifier') return false;
  if (isHistoricalModel(obj.text, names.facts.locals)) return true;
  return /^[A-Z][a-z0-9]/.test(obj.text);
}

/** Some method on the chain above `manager` routes it (`.using(...)` anywhere, `.db_manager(...)`). */
function routed(manager: Node): boolean {
  for (let n: Node | null = manager; n; n = n.parent) {
    if (n.type === 'attribute' && ROUTED.has(n.childForFieldName('attribute')?.text ?? '')) return true;
    if (n.type !== 'attribute' && n.type !== 'call' && n.type !== 'argument_list' && n.type !== 'subscript') break;
    if (n.type === 'argument_list') break;
  }
  return false;
}

/** The alias expression this unit can name: a local `alias = schema_editor.connection.alias`, else the schema editor's. */
function aliasIn(unit: CodeUnit, isEntry: boolean, names: UnitNames): string | null {
  let local: string | null = null;
  for (const n of unitNodes(unit, ['assignment'])) {
    const left = n.childForFieldName('left');
    if (left?.type === 'identifier' && /\.connection\.alias$/.test(n.childForFieldName('right')?.text ?? '') && names.facts.locals.lookup(left.text)?.kind === 'value') {
      local = left.text;
      break;
    }
  }
  if (local) return local;
  if (unit.node.type !== 'function_definition') return null;
  const params = parameterNames(unit.node).filter((p) => p !== 'self' && p !== 'cls');
  if (isEntry && params[1]) return `${params[1]}.connection.alias`;
  const editor = params.find((p) => p === 'schema_editor');
  if (editor) return `${editor}.connection.alias`;
  return params.find((p) => /^(db_?)?alias$|^using$/.test(p)) ?? null;
}

export const runpythonNoDbAlias: Rule = {
  meta: {
    id: 'runpython-no-db-alias',
    summary: "RunPython code queries through a model's manager without .using(schema_editor.connection.alias).",
    defaultSeverity: 'warning',
    defaultOff: true,
  },
  check(ctx) {
    for (const { facts, isEntry, names, where, related } of runPythonCode(ctx.model, ctx.index)) {
      let alias: string | null | undefined;
      walkUnit(facts.unit, ['attribute'], (n) => {
        if (n.type !== 'attribute' || !MANAGERS.has(n.childForFieldName('attribute')?.text ?? '')) return;
        const obj = n.childForFieldName('object');
        // Only a manager that is queried here: `Model.objects.<method>(...)`.
        const method = n.parent?.type === 'attribute' && n.parent.childForFieldName('object')?.id === n.id ? n.parent : null;
        if (!obj || !method || method.parent?.type !== 'call' || !isModel(obj, names) || routed(n)) return;
        if (alias === undefined) alias = aliasIn(facts.unit, isEntry, names);
        const fix: Fix | null = alias
          ? { title: `Add .using(${alias})`, edits: [insertAfter(n, `.using(${alias})`)], isPreferred: true, safe: false }
          : null;
        ctx.report({
          range: rangeOf(n),
          message:
            `\`${snippet(method.parent, 50)}\` in ${where} runs on the database the routers pick, not necessarily the one ` +
            'this migration is being applied to (`migrate --database=…`). Add `.using(schema_editor.connection.alias)`.',
          related: [related],
          fixes: fix ? [fix] : [],
        });
      });
    }
  },
};

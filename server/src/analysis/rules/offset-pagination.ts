/**
 * offset-pagination: RunPython code pages through a model's rows by offset (`qs[start:start + N]`
 * with `start` moving from page to page) while the same loop changes those rows. Each page is a
 * query of its own: rows the loop changed so that they leave the query (a field it filters or
 * orders on, a row deleted) shift the rows after them forward, and the next offset steps over as
 * many; with no order at all, PostgreSQL returns the rows of each query in whatever order its
 * scan meets them, and an UPDATE writes a row's new version elsewhere in the table. Either way some
 * rows are never visited and the migration says nothing. Paging by key (`pk__gt=last`) does not.
 * Django's Paginator pages the same way (`paginator.page(n)` is a slice of its query).
 */
import type { LoopFacts, UnitFacts } from '../code-facts';
import { historicalModelRef, MANAGERS } from '../historical-models';
import { runPythonCode, walkUnit } from '../runpython-code';
import { callArguments, rangeOf, staticString, unparen, walk, within, type Node } from '../syntax';
import { snippet, type Rule, type RuleContext } from './rule';

/** Queryset methods a paged query may be built with; any other leaves the query unread. */
const QUERYSET_METHODS = new Set(['all', 'filter', 'exclude', 'order_by', 'select_related', 'prefetch_related', 'only', 'defer', 'distinct', 'using', 'values', 'values_list', 'annotate', 'iterator']);

/** A query as the code builds it: `Model.objects.filter(…).order_by(…)`. */
interface Query {
  /** The model class expression's text (`Bookmark`, `execution_model`). */
  model: string;
  modelNode: Node;
  /** Field names its filter() / exclude() calls (and Q objects in them) look at; null when unreadable. */
  filtered: Set<string> | null;
  /** Of those, the fields only asked whether they are set (`__isnull`, `= []`, `= ""`, `= None`). */
  presenceOnly: Set<string>;
  /** Field names of order_by(); null when unreadable; empty list when there is no order_by(). */
  ordered: string[] | null;
  hasOrderBy: boolean;
}

/** The first field of a lookup (`url_normalized__isnull` -> `url_normalized`, `owner_id` -> `owner`). */
function fieldOf(lookup: string): string {
  const first = lookup.replace(/^-/, '').split('__')[0] ?? '';
  return first.endsWith('_id') ? first.slice(0, -3) : first;
}

/** `[]`, `{}`, `""`, `None`: what an empty or unset field holds. */
const EMPTY_VALUE = /^(?:\[\s*\]|\{\s*\}|""|''|None|dict\(\)|list\(\))$/;

/**
 * Keyword names of a filter()/exclude() call, Q objects included; false when some cannot be read.
 * `presence` records, per field, whether every look-up of it asks only whether it is set.
 */
function lookupsOf(call: Node, into: Set<string>, presence: Map<string, boolean>): boolean {
  const args = call.childForFieldName('arguments');
  if (!args) return false;
  for (const a of args.namedChildren) {
    if (a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const lookup = a.childForFieldName('name')?.text ?? '';
      const field = fieldOf(lookup);
      into.add(field);
      const only = /^\w+__isnull$/.test(lookup) || (!lookup.replace(/__exact$/, '').includes('__') && EMPTY_VALUE.test(a.childForFieldName('value')?.text.trim() ?? ''));
      presence.set(field, (presence.get(field) ?? true) && only);
      continue;
    }
    if (a.type === 'dictionary_splat' || a.type === 'list_splat') return false;
    // Q(...) objects, combined with & | ~: every Q call's keywords.
    let ok = true;
    walk(a, (n) => {
      if (!ok) return false;
      if (n.type === 'call') {
        const fn = n.childForFieldName('function')?.text ?? '';
        if (!/(^|\.)Q$/.test(fn)) ok = false;
        else if (!lookupsOf(n, into, presence)) ok = false;
        return false;
      }
      if (n.type === 'identifier' || n.type === 'attribute') ok = false;
      return ok;
    });
    if (!ok) return false;
  }
  return true;
}

/** `Model.objects.<queryset methods>`; null for anything else. */
function readQuery(expr: Node): Query | null {
  const calls: Array<{ method: string; call: Node }> = [];
  let n = unparen(expr);
  while (n.type === 'call') {
    const fn = n.childForFieldName('function');
    if (fn?.type !== 'attribute') return null;
    const method = fn.childForFieldName('attribute')?.text ?? '';
    if (!QUERYSET_METHODS.has(method)) return null;
    calls.push({ method, call: n });
    n = unparen(fn.childForFieldName('object') as Node);
  }
  if (n.type !== 'attribute' || !MANAGERS.has(n.childForFieldName('attribute')?.text ?? '')) return null;
  const modelNode = unparen(n.childForFieldName('object') as Node);
  if (modelNode.type !== 'identifier') return null;
  let filtered: Set<string> | null = new Set();
  const presence = new Map<string, boolean>();
  let ordered: string[] | null = [];
  let hasOrderBy = false;
  for (const { method, call } of calls) {
    if ((method === 'filter' || method === 'exclude') && filtered && !lookupsOf(call, filtered, presence)) filtered = null;
    if (method === 'order_by') {
      hasOrderBy = true;
      const args = callArguments(call);
      const names = args.positional.map((a) => staticString(a)?.text ?? null);
      if (ordered && !args.hasSplat && names.every((x) => x !== null)) ordered.push(...(names as string[]).map(fieldOf));
      else ordered = null;
    }
  }
  const presenceOnly = new Set([...presence].filter(([, only]) => only).map(([f]) => f));
  return { model: modelNode.text, modelNode, filtered, presenceOnly, ordered, hasOrderBy };
}

/** The one expression `name` is assigned in `scope` (a function or loop node), or null. */
function soleValue(name: string, scope: Node): Node | null {
  let found: Node | null = null;
  let count = 0;
  walk(scope, (n) => {
    if (n.type === 'function_definition' && n.id !== scope.id) return false;
    if ((n.type === 'assignment' || n.type === 'augmented_assignment') && n.childForFieldName('left')?.text === name) {
      count++;
      found = n.type === 'assignment' ? n.childForFieldName('right') : null;
    }
    return true;
  });
  return count === 1 ? found : null;
}

/** The expression the slice is taken of, read through a name assigned once (`qs = Model.objects.filter(…)`). */
function slicedQuery(value: Node, fn: Node): Query | null {
  const v = unparen(value);
  if (v.type === 'identifier') {
    const bound = soleValue(v.text, fn);
    return bound ? readQuery(bound) : null;
  }
  return readQuery(v);
}

/** The slice's start (`start` in `qs[start : start + n]`), when the subscript is one slice. */
function sliceStart(sub: Node): Node | null {
  const slices = sub.childrenForFieldName('subscript');
  const slice = slices.length === 1 ? slices[0] : null;
  if (slice?.type !== 'slice') return null;
  const first = slice.children[0];
  return first && first.type !== ':' ? first : null;
}

/**
 * The loop that moves the offset: a `for` whose target the start uses (`for start in range(…)`, or a
 * Paginator's `page_range`), or a loop in whose body a name of the start is stepped (`offset += n`,
 * `count = count + len(rows)`).
 */
function pagingLoop(sub: Node, start: Node, facts: UnitFacts, paginator?: string): LoopFacts | null {
  const names = new Set<string>();
  walk(start, (n) => {
    if (n.type === 'identifier') names.add(n.text);
  });
  if (names.size === 0) return null;
  const around = facts.loops.filter((l) => l.kind !== 'comprehension' && within(sub, l.node)).sort((a, b) => b.node.startIndex - a.node.startIndex);
  for (const loop of around) {
    if (loop.kind === 'for' && loop.targets.some((t) => names.has(t))) {
      const it = loop.iterable ? unparen(loop.iterable) : null;
      if (it?.type === 'call' && it.childForFieldName('function')?.text === 'range') return loop;
      // `for n in paginator.page_range`.
      if (paginator && it?.type === 'attribute' && it.text.replace(/\s+/g, '') === `${paginator}.page_range`) return loop;
      continue;
    }
    let stepped = false;
    walk(loop.node.childForFieldName('body') ?? loop.node, (n) => {
      if (stepped) return false;
      const left = n.type === 'augmented_assignment' || n.type === 'assignment' ? n.childForFieldName('left') : null;
      if (left?.type === 'identifier' && names.has(left.text)) {
        const right = n.childForFieldName('right');
        let usesItself = n.type === 'augmented_assignment';
        if (!usesItself && right) walk(right, (r) => (usesItself ||= r.type === 'identifier' && r.text === left.text, !usesItself));
        if (usesItself) stepped = true;
      }
      return !stepped;
    });
    if (stepped) return loop;
  }
  return null;
}

/** The names the page's rows go by in the loop: targets of loops over the slice, or over a name holding it. */
function rowNames(sub: Node, loop: LoopFacts, facts: UnitFacts): Set<string> {
  const holders = new Set<string>();
  // `batch = list(qs[a:b])`, `executions = qs[a:b]`.
  for (let n: Node | null = sub.parent; n && n.id !== loop.node.id; n = n.parent) {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      if (left?.type === 'identifier') holders.add(left.text);
      break;
    }
    if (!['call', 'argument_list', 'parenthesized_expression'].includes(n.type)) break;
  }
  const rows = new Set<string>();
  for (const l of facts.loops) {
    if (!within(l.node, loop.node) || !l.iterable) continue;
    const it = unparen(l.iterable);
    // A Paginator's page, or its `object_list` (`page = paginator.page(n)`, `for row in page.object_list`).
    const list = it.type === 'attribute' && it.childForFieldName('attribute')?.text === 'object_list' ? unparen(it.childForFieldName('object') as Node) : null;
    const over = within(sub, it) || (it.type === 'identifier' && holders.has(it.text)) || (list?.type === 'identifier' && holders.has(list.text));
    if (over) for (const t of l.targets) rows.add(t);
  }
  return rows;
}

interface Changes {
  fields: Set<string>;
  /** The fields given a new value as a whole (`row.f = …`, `setattr`, `update(f=…)`), not only changed inside. */
  assigned: Set<string>;
  /** Some write's fields cannot be read (a save() of rows whose changes are not all attribute assignments is still read). */
  unknown: boolean;
  deletes: boolean;
  /** Any write of the paged model at all. */
  writes: boolean;
}

/** What the paging loop changes in the paged model's rows. */
function changesIn(loop: LoopFacts, query: Query, rows: Set<string>): Changes {
  const out: Changes = { fields: new Set(), assigned: new Set(), unknown: false, deletes: false, writes: false };
  let savesRows = false;
  for (const w of loop.allWrites) {
    // The identifier the write's receiver chain starts from (code-facts records it for every write).
    const root = w.receiverRoot ?? null;
    const onModel = root === query.model;
    const onRow = root !== null && rows.has(root);
    const method = w.call.childForFieldName('function')?.childForFieldName('attribute')?.text ?? '';
    if (w.kind === 'bulk' && onModel && method === 'bulk_update') {
      out.writes = true;
      const args = callArguments(w.call);
      const list = args.positional[1] ?? args.keywords.get('fields');
      const items = list && (list.type === 'list' || list.type === 'tuple') ? list.namedChildren.filter((c) => c.type !== 'comment') : null;
      const names = items?.map((i) => staticString(i)?.text ?? null);
      if (names && names.every((x) => x !== null)) for (const f of names as string[]) out.fields.add(fieldOf(f));
      else out.unknown = true;
    } else if (w.kind === 'update' && onModel) {
      out.writes = true;
      const args = callArguments(w.call);
      if (args.hasSplat) out.unknown = true;
      for (const k of args.keywords.keys()) {
        out.fields.add(fieldOf(k));
        out.assigned.add(fieldOf(k));
      }
    } else if ((w.kind === 'delete' && onRow) || (w.kind === 'queryset-delete' && onModel)) {
      out.writes = true;
      out.deletes = true;
    } else if (w.kind === 'save' && onRow) {
      out.writes = true;
      savesRows = true;
      const fields = callArguments(w.call).keywords.get('update_fields');
      if (fields) out.unknown ||= !(fields.type === 'list' || fields.type === 'tuple');
    }
  }
  if (savesRows || out.writes) {
    // The fields the loop sets on a page's rows (`row.url_normalized = …`, `setattr(row, "x", …)`).
    walk(loop.node, (n) => {
      if (n.type === 'assignment' || n.type === 'augmented_assignment') {
        const left = n.childForFieldName('left');
        const obj = left?.type === 'attribute' ? unparen(left.childForFieldName('object') as Node) : null;
        if (obj?.type === 'identifier' && rows.has(obj.text)) {
          const f = fieldOf(left?.childForFieldName('attribute')?.text ?? '');
          out.fields.add(f);
          out.assigned.add(f);
        }
      } else if (n.type === 'call' && n.childForFieldName('function')?.text === 'setattr') {
        const [obj, name] = callArguments(n).positional;
        if (obj?.type === 'identifier' && rows.has(obj.text)) {
          const f = name ? staticString(name)?.text : null;
          if (f) {
            out.fields.add(fieldOf(f));
            out.assigned.add(fieldOf(f));
          } else out.unknown = true;
        }
      }
      return true;
    });
  }
  return out;
}

/** Whether the model has Meta.ordering, per the project view; undefined when it cannot say. */
function modelOrdered(ctx: RuleContext, query: Query, facts: UnitFacts): boolean | undefined {
  const bound = soleValue(query.model, facts.unit.node);
  const ref = bound ? historicalModelRef(bound, facts.locals) : null;
  if (!ref) return undefined;
  const project = ctx.project;
  if (!project?.view) {
    // The CLI's first pass has no view: it lints the file again with one (as the editor does).
    ctx.needsView?.(`the ordering of ${ref.app}.${ref.model}`);
    return undefined;
  }
  const m = project.view.modelSeenBy(project.file, ref.app, ref.model);
  if (typeof m === 'string') return undefined;
  // A child of another model, or a proxy, takes its parent's ordering.
  if (!m.bases || m.bases.some((b) => !/^(django\.db\.)?models\.Model$/.test(b))) return undefined;
  return m.options.ordered;
}

/**
 * `paginator.page(n)` / `get_page(n)` of `paginator = Paginator(query, size)` (django.core.paginator):
 * a page is the query sliced by offset, `query[(n - 1) * size : n * size]` (review 73: care
 * `facility/0450`, `0460`). The query and the loop that moves `n`, or null.
 */
function paginatorPage(call: Node, facts: UnitFacts): { query: Query; loop: LoopFacts } | null {
  const fn = call.childForFieldName('function');
  const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
  const holder = fn?.type === 'attribute' ? unparen(fn.childForFieldName('object') as Node) : null;
  if ((method !== 'page' && method !== 'get_page') || holder?.type !== 'identifier') return null;
  const made = soleValue(holder.text, facts.unit.node);
  const maker = made?.type === 'call' ? made.childForFieldName('function') : null;
  if (!made || !maker || !/(?:^|\.)Paginator$/.test(maker.text)) return null;
  const [list] = callArguments(made).positional;
  const query = list ? slicedQuery(list, facts.unit.node) : null;
  const [number] = callArguments(call).positional;
  const loop = number ? pagingLoop(call, number, facts, holder.text) : null;
  return query && loop ? { query, loop } : null;
}

const KEYSET =
  'Page by key instead: order by the primary key and take the next page after the last row seen ' +
  '(`page = list(qs.filter(pk__gt=last_pk).order_by("pk")[:n])`, then `last_pk = page[-1].pk`), which no change to the rows can shift.';

export const offsetPagination: Rule = {
  meta: {
    id: 'offset-pagination',
    summary: 'RunPython code pages through rows by offset (qs[start:start + n]) while changing them: rows that leave the query or move shift the pages, and some are never visited.',
    defaultSeverity: 'warning',
  },
  check(ctx) {
    const slices = /\[[^\]\n]*:/.test(ctx.source);
    const paginators = /\bPaginator\(/.test(ctx.source);
    if (!ctx.model.operations.some((op) => op.runPython) || (!slices && !paginators)) return;
    for (const { facts, where } of runPythonCode(ctx.model, ctx.index)) {
      if (facts.loops.length === 0) continue;
      const judge = (node: Node, query: Query, loop: LoopFacts, how: string): boolean => {
        const changes = changesIn(loop, query, rowNames(node, loop, facts));
        if (!changes.writes) return false;
        const shown = `\`${snippet(node, 60)}\``;
        // A field asked only whether it is set (`exclude(scores=[])`) stays set when the loop changes what is inside it
        // (review 73: care `facility/0429` doubles a value in each entry of a list): only a new value may empty it.
        const leave = [...changes.fields].filter((f) => (query.filtered?.has(f) && (!query.presenceOnly.has(f) || changes.assigned.has(f))) || query.ordered?.includes(f));
        if (changes.deletes || leave.length > 0) {
          const what = changes.deletes
            ? `the loop deletes rows of ${query.model} it pages through`
            : `the loop changes ${leave.map((f) => `\`${f}\``).join(', ')}, which the query ${query.filtered && leave.some((f) => query.filtered?.has(f)) ? 'filters' : 'orders'} on`;
          ctx.report({
            range: rangeOf(node),
            message:
              `${shown} pages through ${query.model} by offset${how} in ${where}, and ${what}: each row changed that way leaves ` +
              `its place in the query's result, so the next page's offset steps over as many rows that were never visited, ` +
              `and the migration ends without a word. ${KEYSET}`,
          });
          return true;
        }
        // MySQL's InnoDB and SQLite scan a table in key order and update rows in place: PostgreSQL's heap is what moves them.
        if (query.hasOrderBy || ctx.target.vendor !== 'postgresql') return false;
        if (modelOrdered(ctx, query, facts) !== false) return false;
        ctx.report({
          range: rangeOf(node),
          message:
            `${shown} pages through ${query.model} by offset${how} in ${where}, with no order_by() (and ${query.model} has no Meta.ordering), while the loop writes those rows: ` +
            `each page is a query of its own, PostgreSQL returns its rows in whatever order its scan meets them, and an UPDATE writes a row's new ` +
            `version elsewhere in the table, so later pages can repeat rows and step over others that are never visited. ${KEYSET}`,
        });
        return true;
      };
      if (slices) {
        walkUnit(facts.unit, ['subscript'], (sub) => {
          const start = sliceStart(sub);
          if (!start || /^0+$/.test(start.text)) return;
          const value = sub.childForFieldName('value');
          const loop = value ? pagingLoop(sub, start, facts) : null;
          const query = loop && value ? slicedQuery(value, facts.unit.node) : null;
          if (loop && query) judge(sub, query, loop, '');
        });
      }
      if (paginators) {
        // One finding per paging loop: a second page(n) of the same page (to list its ids again, review 74: care
        // `facility/0410`) is the same slice.
        const judged = new Set<number>();
        walkUnit(facts.unit, ['call'], (call) => {
          const page = paginatorPage(call, facts);
          if (!page || judged.has(page.loop.node.id)) return;
          if (judge(call, page.query, page.loop, ' (a Paginator takes each page as a slice of the query: LIMIT … OFFSET …)')) judged.add(page.loop.node.id);
        });
      }
    }
  },
};

/** runpython-no-reverse: RunPython without reverse_code (or with reverse_code=None). */
import { unitOf } from '../code-flow';
import type { CodeIndex, UnitFacts } from '../code-facts';
import { runPythonReverseFixes } from '../fixes/reverse-fixes';
import { changedAgain } from '../fixes/rerun-safety';
import { builtBeforeSave, inserts } from '../fixes/row-inserts';
import type { Operation } from '../operations';
import { intoNewTable, writesNewTable } from '../new-table-writes';
import { oneLine } from '../fixes/loop-chain';
import type { Scope } from '../scope';
import { callArguments, chainRoot, functionAround, rangeOf, type Node } from '../syntax';
import { lineOf, type Rule, type RuleContext } from './rule';
import type { Fix } from '../types';
import { alteredThenWritten, insertsAfterUniqueRelaxed, keyedOnAddedField, lookupChanged, movedOutOfFilter, readThenRemoved } from './noop-refusals';
import { irreversibleStop as stops } from './reverse-stop';

/** The RunPython class itself given as reverse_code (`migrations.RunPython`), where `migrations.RunPython.noop` was meant. */
const CLASS_ITSELF = /^(?:(?:django\.db\.)?migrations\.)?RunPython$/;

/** A comment that says the change cannot be undone: the authors kept it irreversible on purpose. */
const ON_PURPOSE = /\b(?:irreversib\w*|not\s+reversible|non[- ]reversible|can(?:not|'t|\s+not)\s+be\s+(?:reversed|undone|rolled\s+back|unapplied))/i;

/** A comment at the operation about its reverse (casepro `statistics/0008`: "the reverse migration is commented out because…"). */
const ABOUT_REVERSE = /\brevers|\broll(?:ing)?[- ]?back|\bundo/i;

function comments(node: Node): Node[] {
  return node.descendantsOfType('comment');
}

/**
 * Why a no-op reverse (or an empty stub) would be wrong for this RunPython, or null: the authors say
 * it cannot be undone (a comment in the forward function), or speak of its reverse at the operation
 * (a comment in the call or on the lines just above it), or its code inserts rows that migrating forward again after a rollback would insert a second
 * time (review 25: casepro `statistics/0008` and `0010`, meinberlin `kiezradar/0002`, respa
 * `respa_exchange/0008`).
 */
function noopWouldHurt(op: Operation, index: CodeIndex, ctx: RuleContext): string | null {
  const rp = op.runPython;
  const unit = rp ? unitOf(rp.forward) : null;
  const inCode = (unit ? comments(unit.node) : []).find((c) => ON_PURPOSE.test(c.text)) ?? comments(op.call).find((c) => ON_PURPOSE.test(c.text) || ABOUT_REVERSE.test(c.text));
  const said = inCode ? lineOf(inCode) : commentsAbove(ctx.source, op.call).find((c) => ON_PURPOSE.test(c.text) || ABOUT_REVERSE.test(c.text))?.line;
  if (said !== undefined) return `the comment at line ${said} speaks of undoing it, and the choice is the authors': write the reverse it needs, or keep it irreversible on purpose and suppress this finding with the reason`;
  // Code that cannot be read here (a method of an object built in the operation list, a function of
  // another module): what it changes is not known, so a reverse that does nothing is no safe offer
  // (review 32: signals `0075` runs `CategoryMutation().new_main(…).run`, which inserts categories).
  if (rp?.forward.kind === 'unknown') return `the code it runs (\`${oneLine(rp.code?.text ?? 'its callable')}\`) is no function of this file the linter follows (a function imported, a method of an object the operation list builds), so what rolling it back needs is not known: write the reverse it needs`;
  const created = new Set(ctx.model.operations.flatMap((o) => (o.createsModel ? [o.createsModel] : [])));
  const inserted = unit
    ? index
        .reachable(unit)
        .flatMap((f) => [...f.directWrites, ...f.loops.flatMap((l) => l.writes)].filter((w) => inserts(w) && !intoNewTable(w.call, created, f.locals) && !lookedUpFirst(w.call)))
        .find((w) => w)
    : null;
  if (inserted) return `it inserts rows (line ${lineOf(inserted.call)}): with a reverse that does nothing, migrating forward again after a rollback would insert them a second time, so write one that deletes them`;
  // A manager's create() bound to a name first (`create_node = TreeNode.objects.using(db).create`, then
  // `create_node(...)` per page: djangocms `cms/0018`): inserts all the same.
  const aliased = unit ? aliasedCreate(index.reachable(unit), created) : null;
  if (aliased) return `it inserts rows (line ${lineOf(aliased)}, through ${aliased.childForFieldName('function')?.text ?? 'a name'}, a manager's create()): with a reverse that does nothing, migrating forward again after a rollback would insert them a second time, so write one that deletes them`;
  const filed = unit ? fileFieldInsert(index.reachable(unit), created) : null;
  if (filed) return `it inserts rows (line ${lineOf(filed)}: a file field's save() saves its new object too): with a reverse that does nothing, migrating forward again after a rollback would insert them a second time, so write one that deletes them`;
  const altered = unit ? alteredThenWritten(op, index.reachable(unit), ctx) : null;
  if (altered) {
    return (
      `it writes ${altered.model}.${altered.field} after the AlterField of that field at line ${altered.line}: rolled back with a reverse that does nothing, ` +
      'the AlterField is undone on the values this code wrote — where it changed the column, they are cast back to its old type or cut to its old length —, so write a reverse that restores them first'
    );
  }
  // A look-up by a value the code then changes (`Schedule.objects.get(func="a")`, then `.func = "b"`;
  // review 49: ChiefOnboarding `organization/0006`): run again after a no-op rollback, get() finds no row.
  const relookup = unit ? lookupChanged(index.reachable(unit)) : null;
  if (relookup) {
    return `it looks a row up by ${relookup.field} (line ${relookup.line}) and changes ${relookup.field}: after a rollback with a reverse that does nothing, migrating forward again finds no such row and stops with DoesNotExist, so write a reverse that sets it back`;
  }
  const keyed = unit ? keyedOnAddedField(op, index.reachable(unit), ctx) : null;
  if (keyed) {
    return (
      `it looks rows up by ${keyed.field}, which this migration adds, and inserts those it does not find (line ${keyed.line}): ` +
      `after a rollback with a reverse that does nothing, ${keyed.field} is dropped and added back at its default, and migrating forward again finds none of the rows it made and inserts them a second time, so write a reverse that deletes them`
    );
  }
  const relaxed = unit ? insertsAfterUniqueRelaxed(op, index.reachable(unit), ctx) : null;
  if (relaxed) {
    return (
      `it inserts ${relaxed.model} rows (line ${relaxed.insert}) after the operation at line ${relaxed.line} changes what must be unique in that table: ` +
      'with a reverse that does nothing, a rollback keeps the rows and then makes the old constraint again, which they may break, so write a reverse that deletes them'
    );
  }
  const dropped = unit ? readThenRemoved(op, index.reachable(unit), ctx) : null;
  if (dropped) {
    return (
      `it reads ${dropped.model}.${dropped.field}, which the RemoveField at line ${dropped.line} then drops: rolled back with a reverse that does nothing, ` +
      `the field comes back empty and the values it held are lost, so write a reverse that copies them back from where this code put them`
    );
  }
  const moved = unit ? movedOutOfFilter(op, index.reachable(unit), ctx) : null;
  if (moved) {
    return (
      `it sets ${moved.added}, which this migration adds, on the rows it finds by ${moved.field} and moves out of that filter (line ${moved.line}): ` +
      `after a rollback with a reverse that does nothing, ${moved.added} is dropped and added back empty, and migrating forward again finds no such row, so write a reverse that sets ${moved.field} back`
    );
  }
  // A value rebuilt from itself (`cat = "[" + cat + "]"`, review 27: fiduswriter usermedia/0004): run
  // again after a no-op rollback, it wraps the rows a second time.
  for (const facts of unit ? index.reachable(unit) : []) {
    for (const loop of facts.loops) {
      const body = loop.node.type === 'for_statement' ? loop.node.childForFieldName('body') : null;
      const left = loop.node.type === 'for_statement' ? loop.node.childForFieldName('left') : null;
      const again = body && left ? changedAgain(loop.node, body, left) : null;
      if (again) return `it sets ${again.text} from ${again.from} (line ${again.line}): with a reverse that does nothing, migrating forward again after a rollback would change those rows a second time, so write one that undoes it`;
    }
    const shifted = shiftedByName(facts.unit.node);
    if (shifted) return `it sets fields of ${shifted.object} named at run time from its other fields (line ${shifted.line}): with a reverse that does nothing, migrating forward again after a rollback would move those values a second time, so write one that undoes it`;
  }
  return null;
}

/**
 * `setattr(row, name, getattr(row, other))` with a name that is not a literal (sapl `sessao/0067`
 * shifts an ordering one place down its fields: review 59): which fields it writes and reads cannot be
 * told, so a second run may read what the first wrote.
 */
function shiftedByName(fn: Node): { object: string; line: number } | null {
  for (const call of fn.descendantsOfType('call')) {
    if (call.childForFieldName('function')?.text !== 'setattr') continue;
    const [object, name, value] = callArguments(call).positional;
    if (object?.type !== 'identifier' || !name || name.type === 'string' || !value) continue;
    const reads = new RegExp(String.raw`(?<![\w.])(?:getattr\(\s*${object.text}\s*,|${object.text}\.\w)`);
    if (reads.test(value.text)) return { object: object.text, line: lineOf(call) };
  }
  return null;
}

/**
 * A call of a name its function binds to a manager's `create` (`make = Tag.objects.create`), not under
 * a look-up first, into a table this migration does not create; null when none.
 */
function aliasedCreate(units: readonly UnitFacts[], created: ReadonlySet<string>): Node | null {
  for (const f of units) {
    const fn = f.unit.node;
    const names = new Set<string>();
    for (const a of fn.descendantsOfType('assignment')) {
      const left = a.childForFieldName('left');
      const right = a.childForFieldName('right');
      if (left?.type !== 'identifier' || right?.type !== 'attribute' || right.childForFieldName('attribute')?.text !== 'create' || !/\.(?:objects|_default_manager|_base_manager)\b/.test(right.text)) continue;
      // Into a table this migration creates, the rows go with the rollback (djangocms `cms/0018`'s TreeNode).
      if (writesNewTable(right, created, f.locals)) continue;
      names.add(left.text);
    }
    if (names.size === 0) continue;
    const call = fn.descendantsOfType('call').find((c) => {
      const callee = c.childForFieldName('function');
      return callee?.type === 'identifier' && names.has(callee.text) && !lookedUpFirst(c);
    });
    if (call) return call;
  }
  return null;
}

/**
 * A file field's save() on an object the function builds (`image = Image()`, then
 * `image.image.save(name, content)`): FieldFile.save() saves the instance as well unless told
 * `save=False`, inserting its row (review 35: ureport `assets/0002` copies each background into a
 * new Image so). Null when none, or when the row goes into a table this migration creates.
 */
function fileFieldInsert(units: readonly UnitFacts[], created: ReadonlySet<string>): Node | null {
  for (const f of units) {
    for (const call of f.unit.node.descendantsOfType('call')) {
      const callee = call.childForFieldName('function');
      const field = callee?.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'save' ? callee.childForFieldName('object') : null;
      const root = field?.type === 'attribute' ? field.childForFieldName('object') : null;
      if (root?.type !== 'identifier') continue;
      const args = callArguments(call);
      if (args.positional.length + (args.keywords.has('name') ? 1 : 0) + (args.keywords.has('content') ? 1 : 0) < 2) continue;
      if ((args.keywords.get('save') ?? args.positional[2])?.text === 'False') continue;
      if (!builtBeforeSave(root.text, call) || lookedUpFirst(call)) continue;
      const cls = f.unit.node.descendantsOfType('assignment').find((a) => a.childForFieldName('left')?.text === root.text)?.childForFieldName('right')?.childForFieldName('function') ?? null;
      if (writesNewTable(cls, created, f.locals)) continue;
      return call;
    }
  }
  return null;
}


/**
 * An insert the code makes only when a look-up found no row first — `if not Tag.objects.filter(…).exists():`,
 * `row = Tag.objects.filter(…).first()` then `if not row:`, a `try: get()` whose `except … DoesNotExist`
 * creates: run again, it finds the row it made (casepro `cases/0016`).
 */
function lookedUpFirst(call: Node): boolean {
  // The look-up must be of the model the insert writes: a test of another table's rows tells nothing
  // of the rows made (review 31: seed `0005` creates a row wherever no CanonicalBuilding matches).
  const root = chainRoot(call.childForFieldName('function'));
  // …or of a name bound to a query of it (`product_class = ProductClass.objects.all()`, saleor `product/0020`).
  let fnNode: Node | null = call.parent;
  while (fnNode && fnNode.type !== 'function_definition') fnNode = fnNode.parent;
  const mentions = (name: string) => new RegExp(`(?<![\\w.])${name}(?!\\w)`);
  const names = root?.type === 'identifier' ? [root.text] : [];
  if (root?.type === 'identifier' && fnNode) {
    for (const a of fnNode.descendantsOfType('assignment')) {
      const left = a.childForFieldName('left');
      if (left?.type === 'identifier' && !names.includes(left.text) && mentions(root.text).test(a.childForFieldName('right')?.text ?? '')) names.push(left.text);
    }
  }
  const model = names.length > 0 ? new RegExp(`(?<![\\w.])(?:${names.join('|')})(?!\\w)`) : null;
  const LOOKUP = { test: (text: string) => /\.(?:filter|exclude|get|first|last|exists|count)\(/.test(text) && (!model || model.test(text)) };
  for (let p = call.parent, on: Node = call; p && p.type !== 'function_definition'; on = p, p = p.parent) {
    // An early return before it on a look-up (`if TileLayer.objects.count(): return`, review 45: umap `0003`).
    if (p.type === 'block') for (let prev = on.previousNamedSibling; prev; prev = prev.previousNamedSibling) if (returnsOnLookup(prev, LOOKUP)) return true;
    if (p.type === 'except_clause' && /DoesNotExist/.test(p.namedChildren[0]?.text ?? '')) return true;
    if (p.type !== 'if_statement') continue;
    const condition = p.childForFieldName('condition');
    if (!condition) continue;
    if (LOOKUP.test(condition.text)) return true;
    // A name the condition tests, assigned a look-up earlier in the function.
    const names = new Set(condition.type === 'identifier' ? [condition.text] : condition.descendantsOfType('identifier').map((i) => i.text));
    const fn = functionAround(p);
    const assigned = fn?.descendantsOfType('assignment').some((a) => {
      const left = a.childForFieldName('left');
      return left?.type === 'identifier' && names.has(left.text) && a.endIndex <= p.startIndex && LOOKUP.test(a.childForFieldName('right')?.text ?? '');
    });
    if (assigned) return true;
  }
  return false;
}

/** `if <look-up>: return` (or `continue`), with no other branch: the code after it runs only where the look-up found nothing. */
function returnsOnLookup(stmt: Node, lookup: { test: (text: string) => boolean }): boolean {
  if (stmt.type !== 'if_statement' || stmt.childForFieldName('alternative')) return false;
  const condition = stmt.childForFieldName('condition');
  const body = stmt.childForFieldName('consequence')?.namedChildren.filter((n) => n.type !== 'comment') ?? [];
  const last = body[body.length - 1];
  return !!condition && lookup.test(condition.text) && !/^not\b/.test(condition.text) && (last?.type === 'return_statement' || last?.type === 'continue_statement');
}

/**
 * The comment lines just above a node that starts its line (blank lines between them are passed,
 * any code ends them), with their 1-based lines. Read from the text: walking the tree's siblings
 * cost the editor's first lint of a file about a tenth of its start-up (14 ms of 125).
 */
function commentsAbove(source: string, node: Node): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let end = node.startIndex;
  let start = source.lastIndexOf('\n', end - 1) + 1;
  if (source.slice(start, end).trim() !== '') return out;
  for (let line = node.startPosition.row; start > 0; line--) {
    end = start - 1;
    start = source.lastIndexOf('\n', end - 1) + 1;
    const text = source.slice(start, end).trim();
    if (text.startsWith('#')) out.push({ text, line });
    else if (text !== '') break;
  }
  return out;
}

/**
 * Why a reverse function of this file cannot take the two arguments Django calls it with
 * (`apps, schema_editor`), or null: more than two required positional parameters, fewer than two
 * positional ones and no `*args`, or a required keyword-only one (review 46: shynet `0006` and
 * `0009` pass `lambda: ()`, and rolling back raises TypeError).
 */
function cannotTakeTwo(fn: Node): { why: string; params: Node | null; positional: Node[] } | null {
  const params = fn.childForFieldName('parameters');
  const items = params?.namedChildren.filter((p) => p.type !== 'comment') ?? [];
  let splat = false;
  let keywordOnly = false;
  const positional: Node[] = [];
  let required = 0;
  for (const p of items) {
    if (p.type === 'list_splat_pattern' || p.type === 'keyword_separator') {
      splat ||= p.type === 'list_splat_pattern';
      keywordOnly = true;
      continue;
    }
    if (p.type === 'dictionary_splat_pattern' || p.type === 'positional_separator') continue;
    const hasDefault = p.type === 'default_parameter' || p.type === 'typed_default_parameter';
    if (keywordOnly) {
      if (!hasDefault) return { why: `its keyword-only parameter ${oneLine(p.text)} is never given`, params, positional };
      continue;
    }
    positional.push(p);
    if (!hasDefault) required++;
  }
  if (required > 2) return { why: `it requires ${required} arguments`, params, positional };
  if (!splat && positional.length < 2) return { why: positional.length === 0 ? 'it takes no arguments' : 'it takes one argument', params, positional };
  return null;
}

/**
 * The lambda or function of this file given as reverse_code (also one that does nothing), or null.
 * Not resolveCallable's reading: that one follows `partial(f, …)` to `f`, whose parameters the bound
 * arguments change, and takes a function that does nothing for a no-op without its node.
 */
function reverseFunction(expr: Node, scope: Scope, depth = 0): Node | null {
  const n = expr.type === 'parenthesized_expression' ? expr.namedChildren[0] ?? expr : expr;
  if (n.type === 'lambda') return n;
  if (n.type !== 'identifier' || depth > 2) return null;
  const b = scope.lookup(n.text);
  if (b?.kind === 'function') return b.node.type === 'function_definition' ? b.node : null;
  return b?.kind === 'value' ? reverseFunction(b.node, scope, depth + 1) : null;
}

/** `lambda: ()` → `lambda apps, schema_editor: ()` (the names it has kept, the missing ones added); null when not that simple. */
function arityFix(fn: Node, positional: readonly Node[], params: Node | null): Fix | null {
  if (fn.type !== 'lambda' || positional.some((p) => p.type !== 'identifier')) return null;
  const names = positional.map((p) => p.text);
  for (const extra of ['apps', 'schema_editor', 'schema_editor_']) if (names.length < 2 && !names.includes(extra)) names.push(extra);
  const header = `lambda ${names.join(', ')}:`;
  const colon = fn.children.find((c) => c.type === ':');
  if (!colon || (params && params.namedChildren.length !== positional.length)) return null;
  return { title: `Take (apps, schema_editor): ${header}`, edits: [{ range: { start: rangeOf(fn).start, end: rangeOf(colon).end }, newText: header }], isPreferred: true, safe: true };
}

export const runpythonNoReverse: Rule = {
  meta: {
    id: 'runpython-no-reverse',
    summary: 'RunPython has no reverse_code, so the migration cannot be rolled back.',
    defaultSeverity: 'warning',
  },
  check(ctx) {
    for (const op of ctx.model.operations) {
      const rp = op.runPython;
      if (!rp || !op.argumentsReliable) continue;
      // `reverse_code=migrations.RunPython`: the class, callable, so Django takes it; backwards it is
      // called as RunPython(apps, schema_editor) and raises (review 28: mitxpro users/0014).
      const theClass = rp.reverseState === 'present' && rp.reverse && CLASS_ITSELF.test(rp.reverse.text) ? rp.reverse.text : null;
      // A function of this file that cannot be called as Django calls a reverse: rolling back raises TypeError.
      const target = rp.reverseState === 'present' && rp.reverse ? reverseFunction(rp.reverse, ctx.model.classScope) : null;
      const wrong = target ? cannotTakeTwo(target) : null;
      if (wrong && target && rp.reverse) {
        const shown = target.type === 'lambda' ? `\`${oneLine(target.text).slice(0, 40)}\`` : `${target.childForFieldName('name')?.text ?? 'its function'}()`;
        const fix = arityFix(target, wrong.positional, wrong.params);
        ctx.report({
          range: rangeOf(rp.reverse),
          message: `${op.name} passes reverse_code=${shown}, but ${wrong.why}: rolling back calls it with (apps, schema_editor) and stops with TypeError, so this migration cannot be rolled back either. Let it take (apps, schema_editor).`,
          fixes: fix ? [fix] : [],
        });
        continue;
      }
      if (rp.reverseState === 'present' && !theClass) continue;
      const how = theClass ? `passes reverse_code=${theClass}, the operation's class, not a function` : rp.reverseState === 'none' ? 'passes reverse_code=None' : 'has no reverse_code';
      const what = theClass
        ? `Django takes it (a class is callable), but rolling back calls ${theClass}(apps, schema_editor), which stops with ValueError ("RunPython must be supplied with a callable")`
        : `\`migrate\` cannot roll this migration back and ${stops(op.container?.name)}`;
      const hurt = noopWouldHurt(op, ctx.index, ctx);
      ctx.report({
        range: rangeOf(theClass && rp.reverse ? rp.reverse : op.callee),
        message:
          `${op.name} ${how}: ${what}. ` +
          (rp.reverseState === 'none'
            ? `If None is on purpose (the change cannot be undone), say why in a suppression; else give it a reverse function (none is offered for an explicit None).`
            : hurt
              ? `No fix is offered: ${hurt}.`
              : `Give it a reverse function, or migrations.RunPython.noop when nothing needs undoing.`),
        fixes: hurt ? [] : runPythonReverseFixes(op, ctx.source, ctx.model.moduleScope),
      });
    }
  },
};

/**
 * runpython-model-import: RunPython code (or a same-file helper it calls) uses a model class that
 * was imported — today's model — instead of the historical one from `apps.get_model(...)`. Only
 * names used as models count: a manager access (`X.objects`, `X._default_manager`), an instance
 * built from a class imported from a `models` module, `get_user_model()`, or swapper's
 * `load_model(app, model)` (a swappable model, looked up in today's registry). Imports of functions,
 * constants or choices, and imports Python would not bind for certain (`if TYPE_CHECKING:`,
 * `try/except ImportError`), are not findings.
 */
import type { CodeUnit } from '../code-flow';
import { eolOf, indentOf, insertAt, replaceNode } from '../fixes/edits';
import { importedNames, mayImportModels, modelUses, useFilter, type ModelUse } from '../model-uses';
import { runPythonCode, type UnitNames } from '../runpython-code';
import { rangeOf, walk, within, type Node } from '../syntax';
import type { Fix, TextEdit } from '../types';
import { appLabelOf, handsRowsTo, notAModel, swapRefusal } from './historical-swap';
import { lineOf, type ProjectRuleContext, type Rule, type RuleContext } from './rule';
import type { ImportedCodeUse } from '../project/imported-code';
import { howItRuns, importedCode } from './imported-code-findings';
import { basename } from 'node:path';

export { mayImportModels };

/**
 * The fix for swapper's `load_model("app", "Model")`: `apps.get_model(swapper.get_model_name("app",
 * "Model"))` — the label the swappable setting names, looked up among the historical models. Only
 * when swapper's `get_model_name` is already reachable by a name the file binds.
 */
function swapperFix(use: ModelUse, apps: string, names: UnitNames): Fix | null {
  const s = use.swappable;
  if (!s) return null;
  const getName = names.qualified('swapper') === 'swapper' ? 'swapper.get_model_name' : names.qualified('get_model_name') === 'swapper.get_model_name' ? 'get_model_name' : null;
  if (!getName) return null;
  const text = `${apps}.get_model(${getName}("${s.app}", "${s.model}"))`;
  return { title: `Use ${text}`, edits: [replaceNode(use.node, text)], isPreferred: true, safe: false };
}

/** The first statement of a function body that is not its docstring, and the body's indentation. */
function firstStatement(def: Node): Node | null {
  const body = def.childForFieldName('body');
  if (!body || body.startPosition.row === def.startPosition.row) return null;
  for (const s of body.namedChildren) {
    if (s.type === 'comment') continue;
    if (s.type === 'expression_statement' && s.firstNamedChild?.type === 'string' && s.id === body.namedChildren.find((c) => c.type !== 'comment')?.id) continue;
    return s;
  }
  return null;
}


/** The whole lines a statement takes, newline included. */
function deleteLines(stmt: Node, source: string): TextEdit {
  const start = { line: stmt.startPosition.row, character: 0 };
  const nl = source.indexOf('\n', stmt.endIndex);
  const end = nl === -1 ? rangeOf(stmt).end : { line: stmt.endPosition.row + 1, character: 0 };
  return { range: { start, end }, newText: '' };
}

/** Removes one imported name from `from m import a, b` (the whole statement when it is the only one). */
function dropImportedName(stmt: Node, bound: string, source: string): TextEdit | null {
  if (stmt.type !== 'import_from_statement') return null;
  const items = stmt.childrenForFieldName('name');
  const i = items.findIndex((c) => (c.type === 'aliased_import' ? c.childForFieldName('alias')?.text : c.text) === bound);
  if (i < 0) return null;
  if (items.length === 1) return deleteLines(stmt, source);
  const item = items[i] as Node;
  const next = items[i + 1];
  const prev = items[i - 1];
  if (next) return { range: { start: rangeOf(item).start, end: rangeOf(next).start }, newText: '' };
  if (prev) return { range: { start: rangeOf(prev).end, end: rangeOf(item).end }, newText: '' };
  return null;
}

/** Whether `name` is used anywhere in the file outside the `skipped` nodes (the unit, the import). */
function usedElsewhere(name: string, root: Node, skipped: readonly Node[]): boolean {
  let found = false;
  walk(root, (n) => {
    if (found) return false;
    if (skipped.some((k) => k.id === n.id)) return false;
    if (n.type === 'identifier' && n.text === name) {
      // `x.name` is an attribute, not a use of the name.
      const p = n.parent;
      if (!(p?.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) && !(p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id)) found = true;
    }
    return true;
  });
  return found;
}

/** The registry parameter of the unit: the first parameter of the RunPython callable, or `apps` in a helper. */
function appsParameter(unit: CodeUnit, isEntry: boolean): string | null {
  if (unit.node.type !== 'function_definition') return null;
  // A plain positional parameter (`apps`, `apps=None`): never `*args` or `**kwargs`, a tuple or dict.
  const params = (unit.node.childForFieldName('parameters')?.namedChildren ?? []).filter((p) => p.type !== 'comment');
  const names = params.map((p): string | null => {
    if (p.type === 'identifier') return p.text;
    if (p.type !== 'default_parameter' && p.type !== 'typed_parameter' && p.type !== 'typed_default_parameter') return null;
    const name = p.childForFieldName('name') ?? p.namedChildren[0];
    return name?.type === 'identifier' ? name.text : null;
  });
  const first = names[0] === 'self' || names[0] === 'cls' ? names[1] : names[0];
  if (!first) return null;
  return isEntry || first === 'apps' ? first : null;
}

function buildFix(use: ModelUse, unit: CodeUnit, apps: string, ctx: RuleContext, names: UnitNames): Fix | null {
  const eol = eolOf(ctx.source);
  if (use.swappable !== undefined) return swapperFix(use, apps, names);
  if (use.userModel) {
    // apps.get_model accepts "app_label.ModelName", which is what AUTH_USER_MODEL holds.
    if (names.qualified('settings') !== 'django.conf.settings') return null;
    if (use.userModelName) {
      // `User = get_user_model()` at module level: the function takes its own, historical, `User` first.
      const first = firstStatement(unit.node);
      if (!first) return null;
      const line = `${use.userModelName} = ${apps}.get_model(settings.AUTH_USER_MODEL)`;
      return { title: `Use ${line}`, edits: [insertAt(rangeOf(first).start, `${line}${eol}${indentOf(first, ctx.source)}`)], isPreferred: true, safe: false };
    }
    const args = use.node.childForFieldName('arguments');
    if (args && args.namedChildCount > 0) return null;
    const edits: TextEdit[] = [replaceNode(use.node, `${apps}.get_model(settings.AUTH_USER_MODEL)`)];
    // Drop `from django.contrib.auth import get_user_model` when this was its only use.
    const fn = use.node.childForFieldName('function');
    const b = fn?.type === 'identifier' ? names.importOf(fn.text) : null;
    if (fn && b && !usedElsewhere(fn.text, unit.node.tree.rootNode, [use.node, b.node])) {
      const drop = dropImportedName(b.node, fn.text, ctx.source);
      if (drop) edits.push(drop);
    }
    return { title: `Use ${apps}.get_model(settings.AUTH_USER_MODEL)`, edits, isPreferred: true, safe: false };
  }
  const bare = use.bare;
  if (!bare) return null;
  const label = appLabelOf(bare.module, ctx.project);
  if (!label) return null;
  const line = `${bare.name} = ${apps}.get_model("${label}", "${bare.model}")`;
  const title = `Use ${line}`;
  const stmt = bare.binding.node;
  if (within(stmt, unit.node)) {
    // An import inside the function: the assignment takes its place.
    const items = stmt.childrenForFieldName('name');
    if (stmt.type !== 'import_from_statement' || stmt.parent?.parent?.id !== unit.node.id) return null;
    if (items.length === 1) return { title, edits: [replaceNode(stmt, line)], isPreferred: true, safe: false };
    const drop = dropImportedName(stmt, bare.name, ctx.source);
    if (!drop) return null;
    return { title, edits: [drop, insertAt(rangeOf(stmt).end, `${eol}${indentOf(stmt, ctx.source)}${line}`)], isPreferred: true, safe: false };
  }
  const first = firstStatement(unit.node);
  if (!first) return null;
  const edits: TextEdit[] = [insertAt(rangeOf(first).start, `${line}${eol}${indentOf(first, ctx.source)}`)];
  const root = unit.node.tree.rootNode;
  if (!usedElsewhere(bare.name, root, [unit.node, stmt])) {
    const drop = dropImportedName(stmt, bare.name, ctx.source);
    if (drop) edits.push(drop);
  }
  return { title, edits, isPreferred: true, safe: false };
}

/** The uses of an imported function that count: not a class its app never made a model, nor a package's options class. */
function countedUses(uses: readonly ImportedCodeUse[], ctx: ProjectRuleContext): ImportedCodeUse[] {
  return uses.filter((u) => {
    if (u.model === undefined || u.module === undefined) return true;
    if (/(?:Options|Meta)$/.test(u.model) && !u.shown.includes('(')) return false;
    // (A relative module names its app only from the helper's own folder: not looked up.)
    const label = u.module.startsWith('.') ? null : appLabelOf(u.module, ctx.view && ctx.file ? { view: ctx.view, file: ctx.file } : null);
    return !(label && ctx.file && ctx.view?.neverAModel(ctx.file, label, u.model));
  });
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * RunPython handed a function of another module of the project: the models that function (and the
 * helpers of its module it calls) uses as imported, read there by the project view. One finding on
 * the name the migration hands RunPython, pointing at each use.
 */
function checkImportedCode(ctx: ProjectRuleContext): void {
  importedCode(ctx, (code, callable, op) => {
    const uses = countedUses(code.uses, ctx);
    if (uses.length === 0) return;
    const module = basename(code.file);
    const shown = uses.slice(0, 3).map((u) => {
      const where = `line ${u.range.start.line + 1}${u.inFunction !== code.function ? ` in ${u.inFunction}()` : ''}`;
      if (u.kind === 'user-model') return `\`${u.shown}\` (today's user model, ${where})`;
      if (u.kind === 'swappable') return `\`${u.shown}\` (today's swappable model, ${where})`;
      return `\`${u.shown}\` (from \`${u.qualified.slice(0, u.qualified.lastIndexOf('.'))}\`, ${where})`;
    });
    const more = uses.length > 3 ? ` and ${uses.length - 3} more` : '';
    ctx.report({
      range: callable.range,
      message:
        `${code.function}() in ${module}, ${howItRuns(callable)}, uses today's model${uses.length > 1 ? 's' : ''} ${listed(shown)}${more} instead of taking ${uses.length > 1 ? 'them' : 'it'} from the \`apps\` registry: ` +
        'it queries the model as it is now, not as it was at this migration, so it reads or writes columns that may not exist yet (or any more) and breaks when the model changes. ' +
        `Use \`apps.get_model(...)\` in that function (no fix is offered here: the code is in ${module}).`,
      related: [
        ...uses.map((u) => ({ file: code.file, range: u.range, message: `today's ${u.model ?? u.shown}, used in ${u.inFunction}()` })),
        { range: op.range, message: 'the RunPython operation that runs it' },
      ],
    });
  });
}

export const runpythonModelImport: Rule = {
  meta: {
    id: 'runpython-model-import',
    summary: 'RunPython code uses an imported model (today\'s model) instead of the historical one from apps.get_model().',
    defaultSeverity: 'error',
  },
  checkProject: checkImportedCode,
  check(ctx) {
    if (!mayImportModels(ctx.source)) return;
    let filter: ((text: string) => boolean) | null | undefined;
    for (const { facts, isEntry, names, where, related: operation } of runPythonCode(ctx.model, ctx.index)) {
      if (filter === undefined) {
        const imported = importedNames(facts.unit.node.tree.rootNode);
        filter = imported ? useFilter(imported) : null;
      }
      if (filter && !filter(facts.unit.node.text)) continue;
      // A class of a models module that the app's migrations never made a model is no model (casepro `msgs/0030`).
      const uses = modelUses(facts.unit, names).filter((use) => !use.bare || use.swappable !== undefined || use.userModel || !notAModel(use.bare, facts.unit, ctx));
      // Code the historical model lacks: the swap would raise, so no fix.
      const refusals = uses.map((use) => (use.bare ? swapRefusal(use.bare, facts.unit, ctx) : null));
      // A model left as today's beside one made historical: an instance of one assigned to the
      // other's relation raises ValueError (review 23, tendenci directories/0005), so none is swapped.
      // So is one no fix can swap (another package's model, whose app label is not known: DRF's Token
      // beside auth's User, review 25, casepro profiles/0009).
      const apps = appsParameter(facts.unit, isEntry);
      // A name the module re-exports from another app (seed's `from seed.models import User`, which is
      // landing's SEEDUser: review 31): the app its path names never made it, and get_model() would raise.
      const foreign = uses.map((use) => {
        if (!use.bare) return null;
        if (!ctx.project) {
          ctx.needsView?.(`whether ${use.bare.model} is a model of its module's app`);
          return null;
        }
        const label = appLabelOf(use.bare.module, ctx.project);
        return label && ctx.project.view?.neverAModel(ctx.project.file, label, use.bare.model) ? label : null;
      });
      const own = uses.map((use, i) => (apps && refusals[i] === null && foreign[i] === null ? buildFix(use, facts.unit, apps, ctx, names) : null));
      const refused = uses.find((u, i) => u.bare && refusals[i] !== null);
      // An inline `get_user_model()` no fix can swap (no `settings` in the module) counts too (review 80:
      // acceslibre `compte/0003` hands its users to an imported UserPreferences).
      const unswapped = uses.filter((u, i) => (u.bare || u.userModel) && apps && refusals[i] === null && own[i] === null);
      // Without the view a deeper path names no app (`baserow.contrib.database.models`): the view may.
      if (unswapped.some((u) => u.bare || u.userModelName) && !ctx.project) ctx.needsView?.('app labels of models modules');
      // Rows of one handed to the other, either way (review 46: linkding's `Toast(owner=user)` over
      // `User = get_user_model()` rows, which no fix swapped there: ValueError).
      const nameOf = (u: ModelUse): string | undefined => u.bare?.name ?? u.userModelName;
      const handed = (a: string, b: string): boolean => handsRowsTo(facts.unit, a, b) || handsRowsTo(facts.unit, b, a);
      uses.forEach((use, i) => {
        const name = nameOf(use);
        // A use with no name of its own (`get_user_model()` inline) hands over the rows of the loop it feeds
        // (review 49: ChiefOnboarding `users/0042` builds allauth's `EmailAddress(user=user)` from them).
        const hands = (k: ModelUse): boolean => {
          const other = nameOf(k);
          if (name && other) return handed(name, other);
          if (other) return handsRowsTo(facts.unit, use.node, other);
          return !!name && handsRowsTo(facts.unit, k.node, name);
        };
        const kept = refused ?? unswapped.find((k) => k !== use && (nameOf(k) === undefined || nameOf(k) !== name) && hands(k));
        const why = kept === refused ? 'its swap is refused' : 'no fix can swap it';
        const keptName = kept ? nameOf(kept) ?? kept.shown : undefined;
        const noSwap = refusals[i] ?? (keptName && keptName !== name ? `keeps \`${keptName}\` as today's model (${why}), and an instance of a historical model assigned to a relation of today's raises ValueError` : null);
        const fix = noSwap === null ? own[i] ?? null : null;
        const related = [operation];
        if (use.bare) related.push({ range: rangeOf(use.bare.binding.node), message: `the import (line ${lineOf(use.bare.binding.node)})` });
        const message = use.swappable !== undefined
          ? `\`${use.shown}\` in ${where} returns today's swappable model from the live app registry, not the one this migration was written against: ` +
            'when the model gains or loses a field later, this migration breaks on a fresh database. ' +
            `Use \`${apps ?? 'apps'}.get_model(swapper.get_model_name(...))\` for the historical model.`
          : use.userModel
          ? `\`${use.shown}\` in ${where} returns today's user model, not the one this migration was written against: ` +
            'when the model gains or loses a field later, this migration breaks on a fresh database. Use `apps.get_model(settings.AUTH_USER_MODEL)`.' +
            (noSwap ? ` No fix is offered: the code ${noSwap} (move what it needs into the migration).` : '')
          : `\`${use.shown}\` is imported from \`${use.qualified.slice(0, use.qualified.lastIndexOf('.'))}\`: ${where} gets today's model, ` +
            "not the model as it was at this migration, so it queries columns that may not exist yet (or any more) and breaks when the model changes. " +
            `Use \`${apps ?? 'apps'}.get_model(...)\` for the historical model.` +
            (noSwap ? ` No fix is offered: the code ${noSwap} (move what it needs into the migration).` : foreign[i] ? ` No fix is offered: app ${foreign[i]}'s migrations make no model ${use.bare?.model ?? ''}, so the name comes from another app's models; name that app and model in apps.get_model().` : '');
        ctx.report({ range: rangeOf(use.node), message, related, fixes: fix ? [fix] : [] });
      });
    }
  },
};

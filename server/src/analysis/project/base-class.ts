/**
 * What a base class a migration gives a model (`bases=(shop.mixins.Priced, models.Model)`) does to
 * its writes. The historical model Django builds from the migrations inherits that class, so a
 * save() or delete() it defines runs on every `row.save()` / `row.delete()` of a RunPython loop —
 * and bulk_update, bulk_create and queryset deletes never call them. A class that defines neither
 * (a mixin of URLs or permissions) changes nothing a batched loop would skip.
 *
 * Read from the project's own source, as plain data (`moduleClasses`), never imported or run; a
 * class outside the project, or one whose methods cannot all be seen (a class decorator, a
 * metaclass, `__init_subclass__`, attributes set from outside), answers "unknown".
 */
import { moduleScope, type Scope } from '../scope';
import { boundNames } from '../split/names';
import { dottedName, type Node } from '../syntax';

/** `from m import x` as one dotted name: `m.x`, or `.x` for `from . import x`. */
const joinImport = (module: string, name: string): string => `${module}${module.endsWith('.') ? '' : '.'}${name}`;

/** A dotted name of the module's code through its imports (relative ones kept relative), or null. */
export function importedName(dotted: string, scope: Scope): string | null {
  const dot = dotted.indexOf('.');
  const head = dot === -1 ? dotted : dotted.slice(0, dot);
  const rest = dot === -1 ? '' : dotted.slice(dot);
  if (head === 'object' && rest === '' && !scope.has(head)) return 'builtins.object';
  const b = scope.lookup(head);
  if (b?.kind !== 'import' || b.importedFrom === undefined) return null;
  return `${b.importedName !== undefined ? joinImport(b.importedFrom, b.importedName) : b.importedFrom}${rest}`;
}

/** One class of a module, as the writes question needs it. */
export interface ClassFacts {
  name: string;
  /** The names its body binds (methods, attributes, nested classes), and those the module assigns on it. */
  members: string[];
  /** A class of the same module, a qualified name through the module's imports, or unreadable. */
  bases: Array<{ local: string } | { qualified: string } | { unknown: true }>;
  /** Something may add or change its methods out of sight: a class decorator, a metaclass, __init_subclass__, setattr. */
  opaque: string | null;
  /** Methods its body defines that do nothing (`pass`, a docstring, `...`, a bare `return`). */
  emptyMethods: string[];
  /** Its body names `state_operations` (a RunSQL subclass may hand its own to Django). */
  namesStateOperations: boolean;
}

/** A module's classes and the names it imports (to follow a class re-exported from elsewhere). */
export interface ModuleClasses {
  classes: Map<string, ClassFacts>;
  /** Name -> what it imports, as written: `shop.mixins.Priced`, or relative (`.mixins.Priced`). */
  imports: Map<string, string>;
}

/**
 * Members whose presence makes the class's own code part of a row write: save or delete as a word
 * of the name (save, save_base, _save_table, pre_save, soft_delete), not inside one (a field
 * `saves`, `deleted`, `autosaved_at` is data).
 */
const SAVE_MEMBER = /(?:^|_)save(?:_|$)|^_do_(?:insert|update)$/;
const DELETE_MEMBER = /(?:^|_)delete(?:_|$)/;
/** Members through which a class may reach every attribute look-up, or its subclasses' methods. */
const HOOKS = new Set(['__init_subclass__', '__getattribute__', '__class_getitem__']);

/** A function body that does nothing: only `pass`, `...`, strings (a docstring) and a bare `return` / `return None`. */
function isEmptyBody(body: Node | null): boolean {
  if (!body) return false;
  return body.namedChildren.every((s) => {
    if (s.type === 'comment' || s.type === 'pass_statement') return true;
    if (s.type === 'return_statement') {
      const value = s.firstNamedChild;
      return !value || (value.type === 'none');
    }
    if (s.type !== 'expression_statement') return false;
    const e = s.firstNamedChild;
    return !!e && s.namedChildCount === 1 && (e.type === 'string' || e.type === 'concatenated_string' || e.type === 'ellipsis');
  });
}

/** The classes of a module, read from its tree. */
export function moduleClasses(root: Node): ModuleClasses {
  const scope = moduleScope(root);
  const classes = new Map<string, ClassFacts>();
  const imports = new Map<string, string>();
  const assigned: Array<{ target: string; member: string }> = [];
  const setattrOn = new Set<string>();
  for (const stmt of root.namedChildren) {
    if (stmt.type === 'import_from_statement') {
      const module = stmt.childForFieldName('module_name')?.text ?? '';
      for (const child of stmt.childrenForFieldName('name')) {
        const original = child.type === 'aliased_import' ? child.childForFieldName('name')?.text : child.text;
        const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : child.text;
        if (original && local) imports.set(local, joinImport(module, original));
      }
      continue;
    }
    if (stmt.type === 'expression_statement') {
      const e = stmt.firstNamedChild;
      const left = e?.type === 'assignment' ? e.childForFieldName('left') : null;
      if (left?.type === 'attribute') {
        const obj = left.childForFieldName('object');
        const attr = left.childForFieldName('attribute')?.text;
        if (obj?.type === 'identifier' && attr) assigned.push({ target: obj.text, member: attr });
      }
      if (e?.type === 'call' && e.childForFieldName('function')?.text === 'setattr') {
        const first = e.childForFieldName('arguments')?.namedChildren[0];
        if (first?.type === 'identifier') setattrOn.add(first.text);
      }
      continue;
    }
    const decorated = stmt.type === 'decorated_definition';
    const cls = decorated ? stmt.childForFieldName('definition') : stmt;
    if (cls?.type !== 'class_definition') continue;
    const name = cls.childForFieldName('name')?.text;
    if (!name) continue;
    // The names its body binds (through if / try / with blocks, as a module's statements would).
    const members = new Set<string>();
    for (const s of cls.childForFieldName('body')?.namedChildren ?? []) boundNames(s, members);
    const args = (cls.childForFieldName('superclasses')?.namedChildren ?? []).filter((b) => b.type !== 'comment');
    const metaclass = args.some((b) => b.type === 'keyword_argument');
    const bases = args
      .filter((b) => b.type !== 'keyword_argument')
      .map((b): ClassFacts['bases'][number] => {
        // `Generic[M]`, `Protocol[T]`: typing's generic bases (kausal-watch's `PlanRelatedModel(PlanDefaultsModel, Generic[M])`).
        const generic = b.type === 'subscript' ? b.childForFieldName('value') : null;
        const typed = generic ? dottedName(generic) : null;
        const typedName = typed ? importedName(typed, scope) : null;
        if (typedName && TYPING_BASES.has(typedName)) return { qualified: typedName };
        const dotted = dottedName(b);
        if (!dotted) return { unknown: true };
        if (!dotted.includes('.') && classes.has(dotted)) return { local: dotted };
        const q = importedName(dotted, scope);
        return q ? { qualified: q } : { unknown: true };
      });
    const hook = [...members].find((m) => HOOKS.has(m));
    const opaque = decorated ? 'a class decorator' : metaclass ? 'a metaclass' : hook ? hook : null;
    const body = cls.childForFieldName('body');
    const emptyMethods = (body?.namedChildren ?? []).flatMap((m) => {
      const def = m.type === 'decorated_definition' ? m.childForFieldName('definition') : m;
      const methodName = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
      return methodName && isEmptyBody(def?.childForFieldName('body') ?? null) ? [methodName] : [];
    });
    classes.set(name, { name, members: [...members], bases, opaque, emptyMethods, namesStateOperations: /\bstate_operations\b/.test(body?.text ?? '') });
  }
  for (const { target, member } of assigned) classes.get(target)?.members.push(member);
  for (const target of setattrOn) {
    const c = classes.get(target);
    if (c) c.opaque ??= 'setattr() from its module';
  }
  return { classes, imports };
}

/** What a base class's own code does to writes: which write it takes part in, or why that cannot be known. */
export type BaseWrites =
  | { kind: 'read'; save: string | null; delete: string | null; /** Every member the classes read define (`objects`, `LIMIT`). */ members: ReadonlySet<string> }
  /** `why`: a clause, e.g. `it is not in the project`, `shop.base.Audited has a metaclass, …`. */
  | { kind: 'unknown'; why: string };

/**
 * Finds a module of the project by its dotted name: its classes, and whether it is a package (its
 * `__init__.py`, against which relative imports resolve). Null when the project has no such module;
 * 'unreadable' when it has one that cannot be read (it does not parse, it is too large).
 */
export type ModuleLookup = (module: string) => { classes: ModuleClasses; isPackage: boolean } | null | 'unreadable';

/** `.mixins.Priced` imported in module `shop.models` (a package or not) as an absolute name. */
export function absoluteImport(target: string, module: string, isPackage: boolean): string | null {
  const dots = /^\.*/.exec(target)?.[0].length ?? 0;
  if (dots === 0) return target;
  const parts = module.split('.');
  const keep = parts.length - (isPackage ? dots - 1 : dots);
  if (keep < 0) return null;
  return [...parts.slice(0, keep), target.slice(dots)].filter((p) => p !== '').join('.');
}

/**
 * The class a qualified name (`shop.mixins.Priced`) names in the project: read, re-exported from
 * another module (its name there), or missing with why, said of `subject` (`it is not in the
 * project`, `its module does not parse …`, `shop.mixins has no class Priced to read`).
 */
export function readClass(name: string, lookup: ModuleLookup, subject: string = name): { kind: 'read'; cls: ClassFacts; module: string; isPackage: boolean } | { kind: 're-exported'; next: string } | { kind: 'missing'; why: string } {
  const dot = name.lastIndexOf('.');
  const found = dot > 0 ? lookup(name.slice(0, dot)) : null;
  if (!found) return { kind: 'missing', why: `${subject} is not in the project` };
  if (found === 'unreadable') return { kind: 'missing', why: `${subject === 'it' ? 'its module' : `the module of ${subject}`} does not parse or is too large` };
  const module = name.slice(0, dot);
  const className = name.slice(dot + 1);
  const cls = found.classes.classes.get(className);
  if (cls) return { kind: 'read', cls, module, isPackage: found.isPackage };
  const imported = found.classes.imports.get(className);
  const next = imported ? absoluteImport(imported, module, found.isPackage) : null;
  return next ? { kind: 're-exported', next } : { kind: 'missing', why: `${module} has no class ${className} to read` };
}

/** A base of a class of `module`, as a qualified name; null when it cannot be read. */
export function baseName(base: ClassFacts['bases'][number], module: string, isPackage: boolean): string | null {
  return 'unknown' in base ? null : 'local' in base ? `${module}.${base.local}` : absoluteImport(base.qualified, module, isPackage);
}

const OBJECT = new Set(['builtins.object', 'object', 'typing.Generic', 'typing.Protocol', 'typing_extensions.Protocol']);
/** typing's bases for generic classes, written subscripted (`Generic[M]`): they define no write method. */
const TYPING_BASES: ReadonlySet<string> = new Set(['typing.Generic', 'typing.Protocol', 'typing_extensions.Protocol']);
/** Django's own Model: the save() and delete() bulk writes stand for, read as known. */
const DJANGO_MODEL = new Set(['django.db.models.Model', 'django.db.models.base.Model']);
/**
 * Package mixins whose write methods only count them and call on: bulk writes that skip them lose a
 * metric, not a row or a value. django-prometheus's ExportModelOperationsMixin('name') wraps
 * `_do_insert`, `_do_update` and `delete` with counters (tandoor's models use it; review 32's
 * squash-replaced migrations brought them into view).
 */
const OBSERVING_MIXINS = new Set(['django_prometheus.models.ExportModelOperationsMixin']);
/**
 * Package classes read once from their packages' sources, which define no write method, no
 * metaclass and no hook, and the members they do define (review 67). django-simple-history puts
 * HistoricalChanges first in the bases of every historical model it makes (`bases=(
 * simple_history.models.HistoricalChanges, models.Model)` in the migrations of caluma, readthedocs
 * and countless others): it defines `diff_against` only. vng-api-common's APIMixin (open-zaak's
 * models) defines `get_absolute_api_url` only.
 */
const KNOWN_PACKAGE_CLASSES: ReadonlyMap<string, readonly string[]> = new Map([
  ['simple_history.models.HistoricalChanges', ['diff_against']],
  ['vng_api_common.models.APIMixin', ['get_absolute_api_url']],
]);

/**
 * Which writes the class `qualified` (e.g. `shop.mixins.Priced`) and the bases it inherits from
 * take part in: a member named like save() (save, save_base, _do_update…) or delete(). A class
 * re-exported by a module (`from .base import Priced` in `shop/mixins/__init__.py`) is followed.
 */
export function baseWrites(qualified: string, lookup: ModuleLookup): BaseWrites {
  const seen = new Set<string>();
  let save: string | null = null;
  let del: string | null = null;
  const members = new Set<string>();
  // Each answer is a clause about the class asked of (`it`) or one it inherits from.
  const visit = (name: string, depth: number): string | null => {
    if (OBJECT.has(name) || DJANGO_MODEL.has(name) || OBSERVING_MIXINS.has(name) || seen.has(name)) return null;
    seen.add(name);
    const known = KNOWN_PACKAGE_CLASSES.get(name);
    if (known) {
      for (const m of known) members.add(m);
      return null;
    }
    const subject = name === qualified ? 'it' : name;
    if (depth > 8) return `${subject} inherits from too long a chain of classes`;
    const read = readClass(name, lookup, subject);
    if (read.kind === 'missing') return read.why;
    if (read.kind === 're-exported') return visit(read.next, depth + 1);
    const { cls, module, isPackage } = read;
    const className = cls.name;
    if (cls.opaque) return `${subject} has ${cls.opaque}, which may give it methods out of sight`;
    for (const m of cls.members) members.add(m);
    const saves = cls.members.find((m) => SAVE_MEMBER.test(m));
    const deletes = cls.members.find((m) => DELETE_MEMBER.test(m));
    save ??= saves ? `${className}.${saves}()` : null;
    del ??= deletes ? `${className}.${deletes}()` : null;
    for (const base of cls.bases) {
      const next = baseName(base, module, isPackage);
      if (!next) return `a base of ${subject === 'it' ? 'it' : name} cannot be read`;
      const why = visit(next, depth + 1);
      if (why) return why;
    }
    return null;
  };
  const why = visit(qualified, 0);
  return why ? { kind: 'unknown', why } : { kind: 'read', save, delete: del, members };
}

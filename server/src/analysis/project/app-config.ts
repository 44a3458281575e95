/**
 * An app's label as its `apps.py` states it: the AppConfig Django would pick (the only one, or the
 * one with `default = True`), its literal `label`, else the last part of its literal `name`
 * (Django's default), or of a `name` computed as the module's own package (`__name__.rpartition('.')[0]`). A config class may inherit from another config class — in the same file, or
 * imported from a module the caller can find in the project — which may set the label; a base
 * that cannot be read, a computed value, or several candidates answer `unknown`.
 */
import { classAttributes } from '../migration-model';
import { moduleScope } from '../scope';
import { dottedName, type Node } from '../syntax';
import { asBool, asString, Evaluator, qualifiedName } from '../values';

export type AppLabel = { kind: 'label'; label: string } | { kind: 'none' } | { kind: 'unknown' };

/** One class of a module that may be an AppConfig, as plain data. */
export interface ConfigClass {
  name: string;
  /** Literal `label`: a string, null when not set, 'unknown' when computed. */
  label: string | null | 'unknown';
  /** Literal `name` (the app's dotted module path). */
  appName: string | null | 'unknown';
  isDefault: boolean | 'unknown';
  /** Sets `label` somewhere other than a class attribute (e.g. in __init__): unknown. */
  labelElsewhere: boolean;
  /** Bases: a class of the same module, or a qualified name through the module's imports. */
  bases: Array<{ local: string } | { qualified: string } | { unknown: true }>;
}

const DJANGO_APP_CONFIG = new Set(['django.apps.AppConfig', 'django.apps.config.AppConfig']);

/** What a module says about app configs: its classes, and its `default_app_config` (Django < 4.1). */
export interface ConfigModule {
  classes: ConfigClass[];
  /**
   * `default_app_config = "shuup.core.ShuupCoreAppConfig"` in an app package's __init__.py
   * (`__name__.apps.AppConfig` for `__name__ + ".apps.AppConfig"`); 'unknown' when computed otherwise.
   */
  defaultAppConfig: string | null | 'unknown';
}

/**
 * The last parts of a module's dotted name, from its file's path: `shop/orders/apps.py` ->
 * ['orders', 'apps']; null for a package's `__init__.py` (its parent package is not known here).
 */
export function moduleTail(file: string): string[] | null {
  const parts = file.split(/[\\/]/).filter((p) => p.length > 0);
  const stem = (parts.pop() ?? '').replace(/\.py$/, '');
  const folder = parts.pop();
  return stem === '__init__' || !folder || !stem ? null : [folder, stem];
}

/** How apps.py spells "this module's package" (etools: `name = __name__.rpartition('.')[0]`), quotes and spaces aside. */
const PACKAGE_OF_MODULE = new Set([
  "__name__.rpartition('.')[0]",
  "__name__.rsplit('.',1)[0]",
  "__name__.rsplit('.',maxsplit=1)[0]",
  "'.'.join(__name__.split('.')[:-1])",
  '__package__',
]);

/**
 * The app's dotted name a computed `name = …` gives, as far as the module's file tells: its package
 * (the folder holding apps.py, which is then the label's last part); null for anything else.
 */
function computedAppName(value: Node | null, tail: readonly string[] | null): string | null {
  if (!value || !tail) return null;
  const text = value.text.replace(/\s+/g, '').replace(/"/g, "'");
  return PACKAGE_OF_MODULE.has(text) ? tail.slice(0, -1).join('.') : null;
}

/**
 * The classes of a module with their config-relevant attributes, and its default_app_config.
 * @param tail the module's dotted name's last parts (moduleTail), to read a `name` computed from `__name__`
 */
export function configModule(root: Node, tail: readonly string[] | null = null): ConfigModule {
  const scope = moduleScope(root);
  const ev = new Evaluator(scope);
  const out: ConfigClass[] = [];
  let defaultAppConfig: string | null | 'unknown' = null;
  for (const stmt of root.namedChildren) {
    const assignment = stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'assignment' ? stmt.firstNamedChild : null;
    if (assignment?.childForFieldName('left')?.text === 'default_app_config') {
      // `__name__ + ".apps.AppConfig"`: relative to the package, kept as `__name__.apps.AppConfig`.
      const right = assignment.childForFieldName('right');
      const relative = right?.type === 'binary_operator' && right.childForFieldName('left')?.text === '__name__' && right.childForFieldName('operator')?.text === '+' ? asString(ev.eval(right.childForFieldName('right'))) : null;
      defaultAppConfig = relative ? `__name__${relative}` : (asString(ev.eval(right)) ?? 'unknown');
      continue;
    }
    const cls = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (cls?.type !== 'class_definition') continue;
    const name = cls.childForFieldName('name')?.text;
    if (!name) continue;
    const body = cls.childForFieldName('body');
    const attrs = body ? classAttributes(body) : new Map<string, { statement: Node; value: Node | null }>();
    const literal = (key: string): string | null | 'unknown' => {
      const a = attrs.get(key);
      return a ? (asString(ev.eval(a.value)) ?? 'unknown') : null;
    };
    const appName = literal('name');
    const defaultAttr = attrs.get('default');
    const bases = (cls.childForFieldName('superclasses')?.namedChildren ?? [])
      .filter((b) => b.type !== 'keyword_argument' && b.type !== 'comment')
      .map((b) => {
        const dotted = dottedName(b);
        if (!dotted) return { unknown: true as const };
        if (!dotted.includes('.') && scope.lookup(dotted)?.kind === 'class') return { local: dotted };
        const q = qualifiedName(dotted, scope);
        return q ? { qualified: q } : { unknown: true as const };
      });
    out.push({
      name,
      label: literal('label'),
      appName: appName === 'unknown' ? (computedAppName(attrs.get('name')?.value ?? null, tail) ?? 'unknown') : appName,
      isDefault: defaultAttr ? (asBool(ev.eval(defaultAttr.value)) ?? 'unknown') : false,
      labelElsewhere: body ? /\bself\.label\s*=|\blabel\s*=\s*property\b|def\s+label\b/.test(body.text) : false,
      bases,
    });
  }
  return { classes: out, defaultAppConfig };
}

/** Finds a class `className` of module `module` (dotted) in the project, or null. */
export type ClassLookup = (module: string, className: string) => { cls: ConfigClass; classes: ConfigClass[] } | null;

/**
 * The label the config class a package's `default_app_config` names gives its app (Django < 4.1
 * used it when the app had no apps.py config): `none` for the folder's name, `unknown` when the
 * class cannot be read.
 */
export function defaultConfigLabel(path: string | 'unknown', folderName: string, lookup: ClassLookup): AppLabel {
  const dot = path === 'unknown' ? -1 : path.lastIndexOf('.');
  const found = dot > 0 ? lookup(path.slice(0, dot), path.slice(dot + 1)) : null;
  return (found && configClassLabel(found.cls, found.classes, folderName, lookup)) ?? { kind: 'unknown' };
}

/** The label one config class gives its app (its own, a base's, else its `name`'s last part); null when it is no AppConfig. */
function configClassLabel(cls: ConfigClass, classes: readonly ConfigClass[], folderName: string, lookup: ClassLookup): AppLabel | null {
  const r = resolveClass(cls, classes, lookup, 0);
  if (!r.isConfig) return null;
  if (r.label === 'unknown') return { kind: 'unknown' };
  const label = r.label ?? (cls.appName === null ? null : cls.appName === 'unknown' ? 'unknown' : (cls.appName.split('.').pop() as string));
  if (label === 'unknown') return { kind: 'unknown' };
  return label === null || label === folderName ? { kind: 'none' } : { kind: 'label', label };
}

/**
 * The label a config class INSTALLED_APPS names itself gives its app: `none` for the folder's name
 * (or a class that is no AppConfig), `unknown` when it cannot be read.
 */
export function explicitConfigLabel(cls: ConfigClass, classes: readonly ConfigClass[], folderName: string, lookup: ClassLookup): AppLabel {
  return configClassLabel(cls, classes, folderName, lookup) ?? { kind: 'none' };
}

type Resolved = { isConfig: false } | { isConfig: true; label: string | null | 'unknown' };

/** Whether a class is an AppConfig and the label it (or a base) sets. */
function resolveClass(cls: ConfigClass, classes: readonly ConfigClass[], lookup: ClassLookup, depth: number): Resolved {
  if (depth > 5) return { isConfig: true, label: 'unknown' };
  let isConfig = false;
  let inherited: string | null | 'unknown' = null;
  for (const base of cls.bases) {
    let r: Resolved;
    if ('local' in base) {
      const local = classes.find((c) => c.name === base.local);
      r = local ? resolveClass(local, classes, lookup, depth + 1) : { isConfig: false };
    } else if ('qualified' in base) {
      if (DJANGO_APP_CONFIG.has(base.qualified)) r = { isConfig: true, label: null };
      else {
        const dot = base.qualified.lastIndexOf('.');
        const found = dot > 0 ? lookup(base.qualified.slice(0, dot), base.qualified.slice(dot + 1)) : null;
        // A base we cannot read may be an AppConfig setting a label.
        r = found ? resolveClass(found.cls, found.classes, lookup, depth + 1) : /Config$/.test(base.qualified) ? { isConfig: true, label: 'unknown' } : { isConfig: false };
      }
    } else r = { isConfig: false };
    if (!r.isConfig) continue;
    isConfig = true;
    if (inherited === null) inherited = r.label;
  }
  if (!isConfig) return { isConfig: false };
  if (cls.labelElsewhere) return { isConfig: true, label: 'unknown' };
  return { isConfig: true, label: cls.label ?? inherited };
}

/**
 * The label an apps.py module gives its app; `none` when it is the app folder's name (no AppConfig
 * subclass, or one that does not change it).
 */
export function appConfigLabel(classes: readonly ConfigClass[], folderName: string, lookup: ClassLookup = () => null): AppLabel {
  const configs: Array<{ cls: ConfigClass; label: string | null | 'unknown' }> = [];
  for (const cls of classes) {
    // A class that sets no `name` and inherits from config classes of other modules takes their
    // name: it configures their app, not this one (Marsha's `MarshaAdminConfig(AdminConfig)` beside
    // its `CoreConfig`, blind review 22).
    if (cls.appName === null && cls.bases.length > 0 && cls.bases.every((b) => 'qualified' in b && !DJANGO_APP_CONFIG.has(b.qualified))) continue;
    const r = resolveClass(cls, classes, lookup, 0);
    if (!r.isConfig) continue;
    // Django's default label: the last part of the app's dotted name.
    const label = r.label ?? (cls.appName === null ? null : cls.appName === 'unknown' ? 'unknown' : (cls.appName.split('.').pop() as string));
    configs.push({ cls, label });
  }
  if (configs.length === 0) return { kind: 'none' };
  if (configs.some((c) => c.cls.isDefault === 'unknown')) return { kind: 'unknown' };
  const explicit = configs.filter((c) => c.cls.isDefault === true);
  const chosen = explicit.length === 1 ? explicit[0] : configs.length === 1 ? configs[0] : null;
  if (!chosen) {
    // Several configs, none the default: Django falls back to the plain AppConfig (the folder's
    // name), unless INSTALLED_APPS names one of them. Safe only when they all agree with it.
    return configs.every((c) => c.label === null || c.label === folderName) ? { kind: 'none' } : { kind: 'unknown' };
  }
  if (chosen.label === 'unknown') return { kind: 'unknown' };
  return chosen.label === null || chosen.label === folderName ? { kind: 'none' } : { kind: 'label', label: chosen.label };
}

/**
 * An app's label as its `apps.py` states it: the AppConfig Django would pick (the only one, or the
 * one with `default = True`), its literal `label`, else the last part of its literal `name`.
 * Anything computed, inherited from an imported config, or ambiguous answers `unknown`.
 */
import { classAttributes } from '../migration-model';
import { moduleScope } from '../scope';
import { dottedName, type Node } from '../syntax';
import { asBool, asString, Evaluator } from '../values';

export type AppLabel = { kind: 'label'; label: string } | { kind: 'none' } | { kind: 'unknown' };

interface ConfigClass {
  label: string | null | 'unknown';
  isDefault: boolean | 'unknown';
}

/** The label an apps.py module gives its app; `none` when it defines no AppConfig subclass. */
export function appConfigLabel(root: Node): AppLabel {
  const scope = moduleScope(root);
  const ev = new Evaluator(scope);
  const configs: ConfigClass[] = [];
  for (const stmt of root.namedChildren) {
    const cls = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (cls?.type !== 'class_definition') continue;
    const bases = (cls.childForFieldName('superclasses')?.namedChildren ?? []).filter((b) => b.type !== 'keyword_argument' && b.type !== 'comment');
    const names = bases.map((b) => dottedName(b) ?? '');
    if (!names.some((n) => /(^|\.)\w*AppConfig$/.test(n))) continue;
    const body = cls.childForFieldName('body');
    const attrs = body ? classAttributes(body) : new Map();
    // Django's own AppConfig sets no label: a base from elsewhere may.
    const djangoBase = names.every((n) => {
      const head = n.split('.')[0] as string;
      const b = scope.lookup(head);
      return n === 'AppConfig' || n === 'apps.AppConfig' || n === 'django.apps.AppConfig' ? !b || b.kind === 'import' && (b.importedFrom ?? '').startsWith('django') : false;
    });
    const labelAttr = attrs.get('label');
    const nameAttr = attrs.get('name');
    let label: string | null | 'unknown';
    if (labelAttr) label = asString(ev.eval(labelAttr.value)) ?? 'unknown';
    else if (!djangoBase) label = 'unknown';
    else if (nameAttr) {
      const name = asString(ev.eval(nameAttr.value));
      label = name ? (name.split('.').pop() as string) : 'unknown';
    } else label = null;
    const defaultAttr = attrs.get('default');
    const isDefault = defaultAttr ? (asBool(ev.eval(defaultAttr.value)) ?? 'unknown') : false;
    configs.push({ label, isDefault });
  }
  if (configs.length === 0) return { kind: 'none' };
  const explicit = configs.filter((c) => c.isDefault === true);
  if (configs.some((c) => c.isDefault === 'unknown') || explicit.length > 1) return { kind: 'unknown' };
  const chosen = explicit.length === 1 ? explicit : configs.length === 1 ? configs : null;
  const candidates = chosen ?? configs;
  const labels = new Set(candidates.map((c) => c.label));
  if (labels.size !== 1) return { kind: 'unknown' };
  const [label] = [...labels];
  if (label === 'unknown' || label === undefined) return { kind: 'unknown' };
  if (label === null) return { kind: 'none' };
  // Several configs, none the default: Django uses the plain AppConfig (folder name) unless
  // INSTALLED_APPS names one; only a label every candidate agrees on is safe.
  if (!chosen) return { kind: 'unknown' };
  return { kind: 'label', label };
}

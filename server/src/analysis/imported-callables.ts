/**
 * Where a migration's RunPython reaches code of another module of the project: the callable it is
 * handed (`RunPython(rbac.create_roles)`), and, in its own code and the same-file helpers that code
 * calls, calls of an imported function that are handed the `apps` registry
 * (`make_new_user(apps, schema_editor, "bot", …)` from courtlistener's `cl.lib.migration_utils`).
 * Names only, through the module's imports: the project view reads the code (project/imported-code.ts).
 */
import type { CodeIndex } from './code-facts';
import { unitOf } from './code-flow';
import type { Operation } from './operations';
import { parameterNames, UnitNames, unitNodes } from './runpython-code';
import type { Scope } from './scope';
import { dottedName, rangeOf, type Node } from './syntax';
import type { Range } from './types';
import { importedName } from './project/base-class';

export interface ImportedCallable {
  /** Its dotted name through the module's imports (relative ones kept relative). */
  qualified: string;
  /** Where the migration names it. */
  range: Range;
  direction: 'forward' | 'reverse';
  /** Called from the migration's RunPython code (the line of the call), rather than handed to RunPython. */
  calledAt?: number;
}

/** A dotted name that may name a function of the project: not Django's, not a class (capitalised). */
function projectFunction(qualified: string | null): qualified is string {
  if (!qualified || qualified.startsWith('django.') || qualified === 'builtins.object') return false;
  return !/^[A-Z]/.test(qualified.slice(qualified.lastIndexOf('.') + 1));
}

/** Whether a call hands over one of `names` as an argument (by position or keyword). */
function handsOver(call: Node, names: ReadonlySet<string>): boolean {
  for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) {
    const value = a.type === 'keyword_argument' ? a.childForFieldName('value') : a;
    if (value?.type === 'identifier' && names.has(value.text)) return true;
  }
  return false;
}

/** `{ importedCode }` for a RunPython operation that reaches functions imported from outside Django. */
export function importedCodeOf(op: Operation, scope: Scope, code: CodeIndex | null): { importedCode?: ImportedCallable[] } {
  const rp = op.runPython;
  if (!rp) return {};
  const out: ImportedCallable[] = [];
  const handed = (node: Node | null, direction: ImportedCallable['direction']) => {
    if (!node || (node.type !== 'identifier' && node.type !== 'attribute')) return;
    const dotted = dottedName(node);
    const qualified = dotted ? importedName(dotted, scope) : null;
    if (projectFunction(qualified)) out.push({ qualified, range: rangeOf(node), direction });
  };
  if (rp.forward.kind === 'unknown') handed(rp.code, 'forward');
  if (rp.reverseTarget?.kind === 'unknown') handed(rp.reverse, 'reverse');
  if (code) {
    const seen = new Set<string>();
    for (const [target, direction] of [[rp.forward, 'forward'], [rp.reverseTarget, 'reverse']] as const) {
      const entry = target ? unitOf(target) : null;
      if (!entry) continue;
      // The registry: the callable's first parameter, and `apps` in the helpers it calls.
      const registry = new Set(['apps', ...parameterNames(entry.node).slice(0, 1)]);
      // A unit that hands the registry to no call at all (most of them) is not walked.
      const handing = new RegExp(`[(,]\\s*(?:\\w+\\s*=\\s*)?(?:${[...registry].filter((n) => /^\w+$/.test(n)).join('|')})\\s*[,)]`);
      // Code that hands the registry to no call reaches no function with it: its facts are not built
      // (most RunPython functions only call `apps.get_model`; the rules build what they need themselves).
      if (!handing.test(entry.node.text)) continue;
      for (const facts of code.reachable(entry)) {
        if (!handing.test(facts.unit.node.text)) continue;
        let names: UnitNames | null = null;
        for (const call of unitNodes(facts.unit, ['call'])) {
          const fn = call.childForFieldName('function');
          if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute') || !handsOver(call, registry)) continue;
          const dotted = dottedName(fn);
          names ??= new UnitNames(facts);
          // (importedName keeps `from . import x` as `.x`, relative to the migrations package.)
          const qualified = dotted && names.importOf(dotted.split('.')[0] ?? dotted) ? importedName(dotted, facts.locals) : null;
          const key = `${direction}\0${call.startIndex}`;
          if (!projectFunction(qualified) || seen.has(key)) continue;
          seen.add(key);
          out.push({ qualified, range: rangeOf(fn), direction, calledAt: call.startPosition.row + 1 });
        }
      }
    }
  }
  return out.length > 0 ? { importedCode: out } : {};
}

/**
 * What an operation class the project defines (`from ureport.sql import InstallSQL`, a RunSQL that
 * reads its SQL from a file) does to Django's model state. Without an answer the state replay must
 * take the whole app as unknown from that migration on (review 35: ureport's `contacts`, `polls`
 * and `stats` lost their state at their first trigger migration, and with it every later NOT NULL,
 * index and drop finding).
 *
 * Read from the project's source as plain data (base-class.ts's `moduleClasses`), never imported or
 * run. Neutral only when it is certain: the class, or the first class it inherits one from, defines
 * a `state_forwards()` that does nothing, or it reaches Django's RunSQL / RunPython (whose state is
 * their `state_operations`) without naming `state_operations` or defining `state_forwards` on the
 * way. Anything else — a class outside the project, a metaclass, a `state_forwards` with a body,
 * a subclass of another of Django's operations — is unknown, as before.
 */
import { baseName, readClass, type ModuleLookup } from './base-class';

/** Django's operations whose state is exactly their `state_operations`, none by default. */
const STATE_OPERATIONS_ONLY = new Set(
  ['RunSQL', 'RunPython'].flatMap((n) => [`django.db.migrations.${n}`, `django.db.migrations.operations.${n}`, `django.db.migrations.operations.special.${n}`]),
);

export type OperationClassEffect = { kind: 'neutral' } | { kind: 'unknown'; why: string };

/** `null`: the class and its bases say nothing about the state (no state_forwards); a string: why it cannot be known. */
type Step = 'neutral' | null | string;

export function operationClassEffect(qualified: string, lookup: ModuleLookup): OperationClassEffect {
  const seen = new Set<string>();
  const visit = (name: string, depth: number): Step => {
    if (STATE_OPERATIONS_ONLY.has(name)) return 'neutral';
    if (name === 'builtins.object' || name === 'object') return null;
    if (name.startsWith('django.')) return `${name} is one of Django's classes whose state changes are not read here`;
    if (seen.has(name)) return null;
    seen.add(name);
    if (depth > 8) return `${name} inherits from too long a chain of classes`;
    const read = readClass(name, lookup);
    if (read.kind === 'missing') return read.why;
    if (read.kind === 're-exported') return visit(read.next, depth + 1);
    const { cls, module, isPackage } = read;
    if (cls.opaque) return `${name} has ${cls.opaque}`;
    if (cls.emptyMethods.includes('state_forwards')) return 'neutral';
    if (cls.members.includes('state_forwards')) return `${name} defines state_forwards()`;
    if (cls.namesStateOperations) return `${name} names state_operations`;
    // Python looks a method up base by base, in order (depth first for the classes read here).
    for (const base of cls.bases) {
      const next = baseName(base, module, isPackage);
      if (!next) return `a base of ${name} cannot be read`;
      const step = visit(next, depth + 1);
      if (step !== null) return step;
    }
    return null;
  };
  const step = visit(qualified, 0);
  if (step === 'neutral') return { kind: 'neutral' };
  return { kind: 'unknown', why: step ?? `${qualified} defines no state_forwards()` };
}

/**
 * Writes into a table the migration itself creates (`CreateModel` in the same file): a rollback drops
 * those rows with the table (runpython-no-reverse), and no one else reads or writes them before the
 * migration commits (missing-atomic-false).
 */
import { constructedModel } from './fixes/loop-objects';
import { historicalModelRef } from './historical-models';
import type { Scope } from './scope';
import { chainRoot, functionAround, type Node } from './syntax';

/**
 * An insert into a table this migration creates (`Contact.objects.create(…)` after
 * `CreateModel(name="Contact")`): rolling the migration back drops the table and its rows with it.
 */
export function intoNewTable(call: Node, created: ReadonlySet<string>, locals: Scope): boolean {
  if (writesNewTable(call.childForFieldName('function'), created, locals)) return true;
  // `profile = UserProfile(); …; profile.save()`: an object built from such a model (review 56: TWLight's squashed
  // `users/0001` makes a profile per user right after creating the table; its batched form was offered the no-op).
  const receiver = call.childForFieldName('function')?.childForFieldName('object');
  const fn = functionAround(call);
  const body = fn?.childForFieldName('body');
  const built = receiver?.type === 'identifier' && body ? constructedModel(body, receiver.text, locals) : null;
  const cls = built?.calls[0]?.childForFieldName('function');
  return !!built && !!cls && created.has((historicalModelRef(cls, locals)?.model ?? built.model).toLowerCase());
}

/** Whether the receiver chain of a write (`Tag.objects.create`, `Tag.objects.using(db)`) starts from a model this migration creates. */
export function writesNewTable(chain: Node | null, created: ReadonlySet<string>, locals: Scope): boolean {
  const n = chainRoot(chain);
  if (n?.type !== 'identifier') return false;
  // `NewOutgoing = apps.get_model("msgs", "Outgoing")`: the model is get_model's.
  return created.has((historicalModelRef(n, locals)?.model ?? n.text).toLowerCase());
}

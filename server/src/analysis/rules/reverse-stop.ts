/**
 * How `migrate` stops when it cannot reverse an operation: Django's Migration.unapply refuses an
 * irreversible operation before it reverses anything (IrreversibleError); inside
 * SeparateDatabaseAndState, which counts as reversible, the inner operation's own backwards raises
 * NotImplementedError once the rollback reaches it, after the operations after it were reversed
 * (peering-manager peering/0102).
 */
export function irreversibleStop(container: string | undefined): string {
  return container === 'SeparateDatabaseAndState'
    ? 'stops with NotImplementedError when the rollback reaches it, inside SeparateDatabaseAndState (which does not refuse upfront, as an irreversible operation of its own would, with IrreversibleError)'
    : 'stops with IrreversibleError';
}

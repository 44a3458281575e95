/** Applies one fix's text edits in tests, failing loudly if any of them would be skipped. */
import { applyFixEdits } from '../../server/src/analysis/fixes/apply';
import type { TextEdit } from '../../server/src/analysis/types';

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const r = applyFixEdits(text, edits.map((e) => [e]));
  if (r.skipped > 0) throw new Error(`${r.skipped} overlapping edit(s)`);
  return r.text;
}

/**
 * Split Migration: turns one migration that mixes kinds of operations into several files Django
 * accepts, in the original order, each depending on the previous. Pure: the caller reads the
 * folder and the dependants and writes the result. Refuses, with a reason, whatever it cannot
 * split safely.
 */
import { CodeIndex } from '../code-facts';
import { buildMigrationModel } from '../migration-model';
import type { Tree } from '../parser';
import { planParts, type PartKind } from './plan';
import { renderParts } from './render';
import { parsesAsPython } from '../indentation';

export { dependantEdits } from './dependants';

export interface SplitInput {
  /** The migration's file name, e.g. `0042_backfill_currency.py`. */
  fileName: string;
  source: string;
  tree: Tree;
  /** File names in the same migrations folder. */
  siblings: readonly string[];
  /** The app's label, from the project view. */
  appLabel: string;
}

export interface SplitPart {
  fileName: string;
  name: string;
  kind: PartKind;
  nonAtomic: boolean;
  operationCount: number;
  text: string;
}

export type SplitResult =
  | { ok: true; appLabel: string; originalName: string; lastName: string; parts: SplitPart[] }
  | { ok: false; reason: string };

const NUMBERED = /^(\d+)_\w+\.py$/;

export function splitMigration(input: SplitInput): SplitResult {
  const { fileName, source, tree, siblings } = input;
  const refuse = (reason: string): SplitResult => ({ ok: false, reason });
  if (!parsesAsPython(tree.rootNode)) return refuse(`${fileName} does not parse as Python; fix the syntax first.`);
  const model = buildMigrationModel(tree.rootNode);
  if (!model) return refuse(`${fileName} defines no Migration class.`);
  if (model.replaces.statement) return refuse(`${fileName} is a squashed migration (it has replaces); splitting it would break the migrations it replaces.`);
  if (!model.operationsLiteral || !model.operationsStatement) {
    return refuse(`${fileName}: operations is not a literal list, so it cannot be split without guessing what it contains.`);
  }
  const index = new CodeIndex();
  const parts = planParts(model, model.operationsLiteral, index);
  if (!parts) return refuse(`${fileName} has only one kind of operation; there is nothing to split.`);

  const originalName = fileName.replace(/\.py$/, '');
  const width = /^(\d+)_/.exec(fileName)?.[1]?.length ?? 4;
  let next = Math.max(0, ...siblings.map((s) => Number(NUMBERED.exec(s)?.[1] ?? 0))) + 1;
  const names = parts.map((p, i) => (i === 0 ? originalName : `${String(next++).padStart(width, '0')}_${p.name}`));

  const appLabel = input.appLabel;
  const texts = renderParts({ model, source, parts, names, appLabel });
  return {
    ok: true,
    appLabel,
    originalName,
    lastName: names[names.length - 1] as string,
    parts: parts.map((p, i) => ({
      fileName: `${names[i]}.py`,
      name: names[i] as string,
      kind: p.kind,
      nonAtomic: p.nonAtomic,
      operationCount: p.elements.length,
      text: texts[i] as string,
    })),
  };
}

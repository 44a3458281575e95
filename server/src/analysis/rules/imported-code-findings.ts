/**
 * Findings about RunPython code that lives in another module of the project (the callable a
 * migration hands RunPython, a function its RunPython code calls with `apps`): read there by the
 * project view (project/imported-code.ts) and reported on the name in the migration, pointing at
 * the code. The rules about RunPython code share this: runpython-model-import for the models the
 * code uses, unbatched-save-loop and runpython-external-call for what the rules find in it.
 */
import { basename } from 'node:path';
import type { ImportedCallable } from '../imported-callables';
import type { ImportedCodeReading } from '../project/imported-code';
import type { OperationSummary } from '../project/summary';
import type { ProjectRuleContext } from './rule';
import type { Fix } from '../types';

export type ReadCode = Extract<ImportedCodeReading, { kind: 'read' }>;

/** `which RunPython runs`, `which this migration's RunPython code calls with its \`apps\` registry`, … */
export function howItRuns(callable: ImportedCallable): string {
  if (callable.calledAt !== undefined) return "which this migration's RunPython code calls with its `apps` registry";
  return callable.direction === 'reverse' ? 'which RunPython runs when this migration is reversed' : 'which RunPython runs';
}

/** Each function of another module the migration's RunPython operations reach, read (one per place it is named). */
export function importedCode(ctx: ProjectRuleContext, visit: (code: ReadCode, callable: ImportedCallable, op: OperationSummary) => void): void {
  const { view, file } = ctx;
  if (!view || !file) return;
  for (const op of ctx.summary.operations) {
    // One per place: a helper reached both ways is called at the same line forwards and backwards.
    const seen = new Set<string>();
    for (const callable of op.importedCode ?? []) {
      const at = `${callable.range.start.line}:${callable.range.start.character}:${callable.qualified}`;
      if (seen.has(at)) continue;
      seen.add(at);
      const reading = view.importedCode(callable.qualified, file);
      if (reading.kind === 'read') visit(reading, callable, op);
    }
  }
}

/** Reports, on the migration, what `rule` finds in the imported functions (RUNPYTHON_CODE_RULES). */
export function reportImportedCodeFindings(rule: string, ctx: ProjectRuleContext): void {
  importedCode(ctx, (code, callable, op) => {
    const module = basename(code.file);
    for (const f of code.findings ?? []) {
      if (f.rule !== rule) continue;
      // The rule's fixes, made to the module (every migration that runs the function gets the same change).
      const fixes: Fix[] = (f.fixes ?? []).map((x) => ({ title: `${x.title} (in ${module})`, edits: [], elsewhere: { file: code.file, edits: x.edits }, isPreferred: x.isPreferred, safe: false }));
      ctx.report({
        range: callable.range,
        message:
          `${code.function}() in ${module}, ${howItRuns(callable)} — at line ${f.range.start.line + 1} there: ${f.message}` +
          (fixes.length > 0 ? ` (The fix edits ${module}, which other migrations may run too, and any other code that calls the function with today's models, whose save() and signals the rewrite would skip there.)` : ` (No fix is offered here: the code is in ${module}.)`),
        related: [
          { file: code.file, range: f.range, message: `in ${module}` },
          { range: op.range, message: 'the RunPython operation that runs it' },
        ],
        fixes,
      });
    }
  });
}

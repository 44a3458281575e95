/**
 * The Python files under a workspace folder, from the walk the CLI uses too (walk.ts), sorted:
 * what the language server's scan reads.
 */
import { walkPython } from './walk';

export async function findPythonFiles(root: string, isCancelled: () => boolean = () => false): Promise<string[]> {
  return walkPython(root, { isCancelled }).flatMap((f) => f.files).sort();
}

/**
 * Python's own parser as the judge of generated code: `ast.parse` in a python3 subprocess. The
 * code is parsed, never executed.
 */
import { spawnSync } from 'node:child_process';

export function pythonSyntaxError(source: string): string | null {
  const r = spawnSync('python3', ['-c', 'import ast, sys\nast.parse(sys.stdin.read())'], { input: source, encoding: 'utf8' });
  if (r.error) throw new Error(`python3 is needed to check generated code: ${r.error.message}`);
  return r.status === 0 ? null : r.stderr.trim().split('\n').slice(-2).join(' ');
}

/**
 * The schema rules' fixes through the command line: `--fix` (safe fixes only) leaves every
 * project of test/fixtures/schema-fixes as it is; `--unsafe-fixes` writes exactly what the fixture's
 * <case>.after/ holds (this file's edits and the new migrations), and a second run finds nothing of
 * the rule. Refused cases stay unchanged under both, and say why in the message of a plain run.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings, runCli, TempDirs } from './helpers/cli';
import { withBase } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

const ROOT = join(FIXTURES, 'schema-fixes');
const temps = new TempDirs();
after(() => temps.removeAll());

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

for (const rule of readdirSync(ROOT).sort()) {
  describe(`schema fixes from the CLI: ${rule}`, () => {
    for (const name of readdirSync(join(ROOT, rule)).filter((n) => !n.endsWith('.after') && statSync(join(ROOT, rule, n)).isDirectory()).sort()) {
      it(name, () => {
        const project = withBase(join(ROOT, rule, name), temps);
        const before = tree(project);
        const safe = runCli(['check', '.', '--fix', '--select', rule], project);
        assert.equal(safe.code, 1, `--fix leaves the finding: ${safe.stdout}${safe.stderr}`);
        assert.deepEqual(tree(project), before, '--fix writes nothing');

        const fixed = runCli(['check', '.', '--fix', '--unsafe-fixes', '--select', rule, '--format', 'json'], project);
        const now = tree(project);
        const expected = join(ROOT, rule, `${name}.after`);
        if (!existsSync(expected)) {
          assert.deepEqual(now, before, 'a refused fix writes nothing');
          assert.ok(jsonFindings(fixed).some((f) => f.rule === rule), 'and the finding stays');
          // A run that computes no fix (no file text kept) tells the same reason.
          const reason = join(ROOT, rule, `${name}.reason`);
          if (existsSync(reason)) {
            const pattern = new RegExp(readFileSync(reason, 'utf8').trim());
            const plain = jsonFindings(runCli(['check', '.', '--select', rule, '--format', 'json'], project));
            assert.ok(plain.some((f) => pattern.test(f.message)), plain.map((f) => f.message).join('\n'));
          }
          if (existsSync(join(ROOT, rule, `${name}.silent`))) assert.ok(jsonFindings(fixed).every((f) => !/No automatic fix/.test(f.message)));
          return;
        }
        assert.equal(fixed.code, 0, `${fixed.stdout}${fixed.stderr}`);
        const want = new Map(before);
        for (const [rel, text] of tree(expected)) want.set(rel, text);
        assert.deepEqual(now, want);
        const again = runCli(['check', '.', '--select', rule, '--format', 'json'], project);
        assert.deepEqual(jsonFindings(again), [], 'nothing left to report');
      });
    }
  });
}

/**
 * Fixes of the schema rules on project fixtures: test/fixtures/schema-fixes/<rule>/<case>/ is a
 * project (a `.base` names the shared migrations under it); the preferred fix of every finding of
 * the rule is applied once (findings that share a fix share it), its new files written, and every
 * file under <case>.after/ must then equal the project's file exactly, every written file parse
 * with Python's own parser, and the rule find nothing more in the fixed project. A `refused-*` case
 * has findings and no fix; where <case>.reason holds a pattern, the findings' messages say why with it
 * (schema-fixes-cli.test.ts: also where no fix is computed). The target is the default (PostgreSQL 14, Django 4.2) unless the case
 * has a pyproject.toml.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Fix, TextEdit } from '../server/src/analysis/types';
import { applyEdits } from './helpers/apply-edits';
import { TempDirs } from './helpers/cli';
import { lintProject, withBase } from './helpers/lint';
import { FIXTURES } from './helpers/paths';
import { pythonSyntaxError } from './helpers/python';

const ROOT = join(FIXTURES, 'schema-fixes');
const temps = new TempDirs();
after(() => temps.removeAll());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The rule's findings in the project, with each distinct preferred fix once (and the file it edits). */
async function findingsOf(project: string, rule: string) {
  const results = await lintProject(project);
  const messages: string[] = [];
  const fixes: Array<{ file: string; fix: Fix }> = [];
  const seen = new Set<string>();
  let count = 0;
  for (const [file, r] of results) {
    for (const f of r.findings.filter((x) => x.rule === rule)) {
      count++;
      messages.push(f.message);
      const fix = f.fixes.find((x) => x.isPreferred) ?? f.fixes[0];
      if (!fix) continue;
      const key = JSON.stringify([file, fix.edits, fix.creates]);
      if (seen.has(key)) continue;
      seen.add(key);
      fixes.push({ file, fix });
    }
  }
  return { count, fixes, messages };
}

for (const rule of readdirSync(ROOT).sort()) {
  describe(`schema fixes: ${rule}`, () => {
    for (const name of readdirSync(join(ROOT, rule)).filter((n) => !n.endsWith('.after') && statSync(join(ROOT, rule, n)).isDirectory()).sort()) {
      it(name, async () => {
        const project = withBase(join(ROOT, rule, name), temps);
        const { count, fixes, messages } = await findingsOf(project, rule);
        assert.ok(count > 0, `${name} has no ${rule} finding`);
        if (name.startsWith('refused-')) {
          assert.deepEqual(fixes.map((f) => f.fix.title), [], 'a refused case offers no fix');
          const reason = join(ROOT, rule, `${name}.reason`);
          if (existsSync(reason)) {
            const pattern = new RegExp(readFileSync(reason, 'utf8').trim());
            assert.ok(messages.some((m) => pattern.test(m)), `a message says why (${pattern}):\n${messages.join('\n')}`);
          }
          // Older migrations (not the app's latest) get no fix and no word about one: they have run.
          if (existsSync(join(ROOT, rule, `${name}.silent`))) assert.ok(messages.every((m) => !/No automatic fix/.test(m)), messages.join('\n'));
          return;
        }
        assert.ok(fixes.length > 0, 'the findings offer a fix');
        for (const f of fixes) assert.equal(f.fix.safe, false, 'never applied by --fix');
        const edits = new Map<string, TextEdit[]>();
        for (const { file, fix } of fixes) edits.set(file, [...(edits.get(file) ?? []), ...fix.edits]);
        const written = new Set<string>();
        for (const [file, list] of edits) {
          writeFileSync(file, applyEdits(readFileSync(file, 'utf8'), list));
          written.add(file);
        }
        for (const { fix } of fixes) {
          for (const c of fix.creates ?? []) {
            assert.equal(existsSync(c.file), false, `${c.file} is new`);
            writeFileSync(c.file, c.text);
            written.add(c.file);
          }
        }
        const expected = join(ROOT, rule, `${name}.after`);
        const actual = [...written].map((f) => `--- ${relative(project, f)}\n${readFileSync(f, 'utf8')}`).join('\n');
        assert.ok(existsSync(expected), `missing ${expected}; the fixed files are:\n${actual}`);
        const want = filesUnder(expected).map((f) => relative(expected, f)).sort();
        assert.deepEqual([...written].map((f) => relative(project, f)).sort(), want, 'the files the fix writes');
        for (const rel of want) assert.equal(readFileSync(join(project, rel), 'utf8'), readFileSync(join(expected, rel), 'utf8'), rel);
        for (const f of written) assert.equal(pythonSyntaxError(readFileSync(f, 'utf8')), null, `${relative(project, f)} parses`);
        const again = await findingsOf(project, rule);
        assert.equal(again.count, 0, `no ${rule} finding is left`);
      });
    }
  });
}

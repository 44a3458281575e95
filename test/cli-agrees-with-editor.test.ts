/**
 * The CLI's plain `check` of a folder gives the findings the editor gives for that workspace (issue
 * 7): the CLI lints each file without the project view and lints again, with it, only the files
 * whose rules asked a question the view answers differently — a question a rule forgot to ask is a
 * finding the editor drops and the CLI keeps (review 45: a loop over a table the same migration
 * created, reported by `check` alone). Checked on every project fixture of the rules, each as its
 * own workspace: the same (file, line, rule) triples, and the same messages but for the editor's
 * note on why a project rule offers no fix (the CLI computes those fixes only when it may write them).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, TempDirs } from './helpers/cli';
import { lintProject, withBase } from './helpers/lint';
import { FIXTURES } from './helpers/paths';
import { RULE_IDS, ruleById } from '../server/src/analysis/rules';

const root = join(FIXTURES, 'rules');

interface JsonFinding {
  path: string;
  line: number;
  rule: string;
  message: string;
}

function checkJson(dir: string, select: string): Promise<JsonFinding[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'check', '--no-cache', '--jobs', '1', '--format', 'json', '--select', select, '.'], { cwd: dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`check exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as JsonFinding[]);
    });
  });
}

describe('the CLI and the editor agree on every project fixture', () => {
  const temps = new TempDirs();
  after(() => temps.removeAll());
  const projects = readdirSync(root)
    .sort()
    .flatMap((rule) => readdirSync(join(root, rule)).sort().filter((p) => statSync(join(root, rule, p)).isDirectory()).map((p) => ({ rule, project: p })));

  it(`gives the same findings as the project lint (${projects.length} projects)`, async () => {
    assert.ok(projects.length > 100, 'the project fixtures were found');
    // Every rule, the off-by-default ones too: a disagreement in any rule counts.
    const select = RULE_IDS.join(',');
    const rules = Object.fromEntries(RULE_IDS.map((id) => [id, ruleById(id)?.meta.defaultSeverity ?? 'warning']));
    const differ: string[] = [];
    // Two CLI processes at a time (the machines have two cores).
    const queue = [...projects];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const dir = withBase(join(root, next.rule, next.project), temps);
        const [cli, editor] = await Promise.all([checkJson(dir, select), lintProject(dir, { rules })]);
        const key = (file: string, line: number, rule: string, message: string) => `${relative(dir, file)}:${line}:${rule}: ${message}`;
        const fromCli = cli.map((f) => key(resolve(dir, f.path), f.line, f.rule, f.message)).sort();
        // The editor says why a project rule offers no fix; a CLI run that writes none computes no fixes for them.
        const fromEditor = [...editor].flatMap(([file, r]) => r.findings.map((f) => key(file, f.range.start.line + 1, f.rule, f.message.replace(/ \(No fix: .*\)$/s, '')))).sort();
        const onlyCli = fromCli.filter((k) => !fromEditor.includes(k));
        const onlyEditor = fromEditor.filter((k) => !fromCli.includes(k));
        if (onlyCli.length + onlyEditor.length > 0) differ.push(`${next.rule}/${next.project}:\n${onlyCli.map((k) => `  CLI only: ${k}`).join('\n')}\n${onlyEditor.map((k) => `  editor only: ${k}`).join('\n')}`);
      }
    };
    await Promise.all([worker(), worker()]);
    assert.deepEqual(differ, []);
  });
});

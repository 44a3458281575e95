/**
 * The GitHub Action, its steps run here as a runner would run them: action.yml is read (with
 * Debian's python3-yaml), each `run` step executed by bash with its `env` and `working-directory`,
 * the expressions it uses filled in from the inputs; the `uses` steps are checked rather than run
 * (setup-node, and upload-sarif, which must find a valid SARIF log). Inputs reach the scripts only
 * as environment variables: one that looks like shell code is not run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SAVE_LOOP_MIGRATION, TempDirs, writeFileIn } from '../helpers/cli';
import { DJANGO_PYTHON } from '../helpers/django';
import { REPO_ROOT } from '../helpers/paths';
import { snapshotRepository } from '../helpers/snapshot';

const temps = new TempDirs();
after(() => temps.removeAll());

interface Step {
  name: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
  'working-directory'?: string;
}

interface ActionYaml {
  inputs: Record<string, { default?: string; description: string }>;
  runs: { using: string; steps: Step[] };
}

function readAction(): ActionYaml {
  const r = spawnSync(DJANGO_PYTHON, ['-c', 'import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(REPO_ROOT, 'action.yml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `reading action.yml needs python3-yaml: ${r.stderr}`);
  return JSON.parse(r.stdout) as ActionYaml;
}

/** Fills in the few expressions the action may use; anything else fails the test. */
function expand(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    if (!(expr in context)) throw new Error(`action.yml uses an expression this test does not know: ${expr}`);
    return context[expr] as string;
  });
}

/**
 * `if:` conditions of the shape `!cancelled() && inputs.x == 'y'`, as a runner evaluates them after
 * the earlier steps (no `if:` means `success()`: skipped once a step has failed).
 */
function condition(expr: string | undefined, context: Record<string, string>, failed: boolean): boolean {
  const inner = (expr ?? 'success()').replace(/^\$\{\{\s*|\s*\}\}$/g, '');
  const status = ['success()', 'failure()', 'always()', '!cancelled()'];
  if (!status.some((f) => inner.includes(f)) && failed) return false;
  return inner.split('&&').every((term) => {
    const t = term.trim();
    if (t === '!cancelled()' || t === 'always()') return true;
    if (t === 'success()') return !failed;
    if (t === 'failure()') return failed;
    const m = /^([\w.-]+) == '([^']*)'$/.exec(t);
    if (!m || !(m[1] as string in context)) throw new Error(`action.yml condition this test does not know: ${t}`);
    return context[m[1] as string] === m[2];
  });
}

function runAction(workspace: string, actionPath: string, inputs: Record<string, string>, skip: string[] = []): { outputs: Map<string, { code: number | null; stdout: string; stderr: string }>; uploaded: string | null } {
  const action = readAction();
  assert.equal(action.runs.using, 'composite');
  const context: Record<string, string> = { 'github.action_path': actionPath, 'github.workspace': workspace };
  for (const [name, input] of Object.entries(action.inputs)) context[`inputs.${name}`] = inputs[name] ?? input.default ?? '';
  const outputs = new Map<string, { code: number | null; stdout: string; stderr: string }>();
  let uploaded: string | null = null;
  let failed = false;
  for (const step of action.runs.steps) {
    if (skip.includes(step.name) || !condition(step.if, context, failed)) continue;
    if (step.uses?.startsWith('actions/setup-node@')) {
      assert.equal(String(step.with?.['node-version']), '20', 'the Node the bundles target');
      continue;
    }
    if (step.uses?.startsWith('github/codeql-action/upload-sarif@')) {
      uploaded = join(workspace, expand(String(step.with?.sarif_file), context));
      continue;
    }
    assert.ok(step.run, `step '${step.name}' neither runs a script nor uses a known action`);
    assert.equal(step.shell, 'bash');
    const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_OUTPUT: join(workspace, '.github-output'), GITHUB_ACTION_PATH: actionPath, GITHUB_WORKSPACE: workspace };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expand(String(v), context);
    const cwd = step['working-directory'] ? expand(step['working-directory'], context) : workspace;
    const r = spawnSync('bash', ['-e', '-c', expand(step.run, context)], { cwd, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    outputs.set(step.id ?? step.name, { code: r.status, stdout: r.stdout, stderr: r.stderr });
    if (r.status !== 0) failed = true;
  }
  return { outputs, uploaded };
}

describe('GitHub Action', () => {
  const actionPath = temps.make('migration-guard-action-');
  snapshotRepository(actionPath);

  it('annotates the findings, fails on them, and hands a valid SARIF log to code scanning', () => {
    const workspace = temps.make('migration-guard-workspace-');
    writeFileIn(join(workspace, 'shop', 'migrations', '0002_flag_items.py'), SAVE_LOOP_MIGRATION);
    writeFileIn(join(workspace, 'shop', 'migrations', '0001_initial.py'), 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = []\n');
    const { outputs, uploaded } = runAction(workspace, actionPath, {});
    assert.equal(outputs.get('Install Django Migration Guard')?.code, 0, outputs.get('Install Django Migration Guard')?.stderr);
    const check = outputs.get('check');
    assert.equal(check?.code, 1, check?.stderr);
    assert.match(check?.stdout ?? '', /^::warning file=shop\/migrations\/0002_flag_items\.py,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=unbatched-save-loop::/m);
    assert.ok(uploaded && existsSync(uploaded), 'the upload step finds the SARIF file, even though the check failed');
    const sarif = JSON.parse(readFileSync(uploaded, 'utf8')) as { version: string; runs: Array<{ results: unknown[] }> };
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0]?.results.length, 2);
    assert.match(readFileSync(join(workspace, '.github-output'), 'utf8'), /^sarif-file=migration-guard\.sarif$/m);
  });

  it('passes inputs as data: a baseline and several paths work, and an input that looks like shell code is not run', () => {
    const workspace = temps.make('migration-guard-workspace-');
    writeFileIn(join(workspace, 'shop', 'migrations', '0002_flag_items.py'), SAVE_LOOP_MIGRATION);
    writeFileIn(join(workspace, 'billing', 'migrations', '0002_flag_items.py'), SAVE_LOOP_MIGRATION);
    const cli = join(actionPath, 'dist', 'cli.js');
    assert.ok(existsSync(cli), 'installed by the previous test');
    const installed = ['Install Django Migration Guard'];
    assert.equal(spawnSync(process.execPath, [cli, 'check', '--write-baseline', 'baseline.json', 'shop'], { cwd: workspace }).status, 0);
    const { outputs } = runAction(workspace, actionPath, { paths: 'shop\nbilling', baseline: 'baseline.json', 'upload-sarif': 'false' }, installed);
    const check = outputs.get('check');
    assert.equal(check?.code, 1, check?.stderr);
    assert.doesNotMatch(check?.stdout ?? '', /file=shop\//, 'the baseline hides the recorded findings');
    assert.match(check?.stdout ?? '', /file=billing\/migrations\/0002_flag_items\.py/);

    for (const input of ['paths', 'baseline', 'changed-since', 'fail-on', 'sarif-file']) {
      const hostile = runAction(workspace, actionPath, { [input]: 'x";touch pwned;"$(touch pwned)`touch pwned`', 'upload-sarif': 'false' }, installed);
      assert.equal(existsSync(join(workspace, 'pwned')), false, `the ${input} input was run as shell code`);
      assert.notEqual(hostile.outputs.get('check')?.code, 0, `${input}: a nonsense input fails the step`);
    }
  });
});

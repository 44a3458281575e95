/**
 * Adopting the tool on an old project: `check --write-baseline` records today's findings and
 * `check --baseline` (or `baseline` in pyproject.toml) reports only new ones. Proven on a generated
 * project with a long migration history: after lines are inserted above every finding and the
 * operations reformatted, only the findings of a newly added migration appear; a changed operation
 * is reported again; a fixed one is listed as removed when the baseline is rewritten.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jsonFindings as findings, runCli, TempDirs, writeFileIn, type JsonFinding } from './helpers/cli';
import { shiftAndReformat, writeRealisticProject } from './helpers/realistic-project';

const temps = new TempDirs();
after(() => temps.removeAll());


const NEW_MIGRATION = `from django.db import migrations


def forwards(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    for invoice in Invoice.objects.filter(total__isnull=True):
        invoice.total = 0
        invoice.save()


class Migration(migrations.Migration):
    dependencies = [("billing", "0012_change_12")]

    operations = [migrations.RunPython(forwards)]
`;

function adoptedProject(): { root: string; files: string[]; before: JsonFinding[] } {
  const root = temps.make();
  const { files } = writeRealisticProject(root);
  const before = findings(runCli(['check', '--format', 'json', '.'], root));
  assert.ok(before.length >= 40, `the generated history has findings to adopt (${before.length})`);
  const written = runCli(['check', '--write-baseline', 'migration-guard-baseline.json', '.'], root);
  assert.equal(written.code, 0, written.stderr);
  assert.match(written.stderr, new RegExp(`wrote ${before.length} findings to migration-guard-baseline\\.json \\(${before.length} new, 0 removed\\)`));
  assert.equal(written.stdout, '', 'writing a baseline reports no findings');
  return { root, files, before };
}

describe('baseline: adopting on a project with a long history', () => {
  it('after lines inserted above every finding, reformatting and a new migration, reports only the new migration', () => {
    const { root, files, before } = adoptedProject();
    const clean = runCli(['check', '--baseline', 'migration-guard-baseline.json', '.'], root);
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, new RegExp(`No problems found in ${files.length} files \\(${before.length} recorded in the baseline not shown\\)`));

    for (const f of files) writeFileSync(join(root, f), shiftAndReformat(readFileSync(join(root, f), 'utf8')));
    writeFileIn(join(root, 'billing', 'migrations', '0013_invoice_totals.py'), NEW_MIGRATION);
    const moved = findings(runCli(['check', '--format', 'json', '.'], root));
    assert.equal(moved.length, before.length + 2, 'the edits changed no finding, only moved them');
    assert.ok(moved.filter((f) => !f.path.includes('0013')).every((f, i) => f.line !== before[i]?.line), 'every old finding moved to another line');

    const run = runCli(['check', '--format', 'json', '--baseline', 'migration-guard-baseline.json', '.'], root);
    assert.equal(run.code, 1);
    assert.deepEqual(findings(run).map((f) => `${f.path} ${f.rule}`).sort(), ['billing/migrations/0013_invoice_totals.py runpython-no-reverse', 'billing/migrations/0013_invoice_totals.py unbatched-save-loop']);
    assert.doesNotMatch(run.stderr, /no longer occur/);
  });

  it('counts identical findings, and reports a baselined finding again when its own code changes', () => {
    const root = temps.make();
    const file = join(root, 'billing', 'migrations', '0002_purge.py');
    const purge = (sqls: string[]) => `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [\n${sqls.map((q) => `        migrations.RunSQL("${q}"),\n`).join('')}    ]\n`;
    writeFileIn(file, purge(['DELETE FROM billing_log', 'DELETE FROM billing_log']));
    assert.equal(runCli(['check', '--write-baseline', 'b.json', '.'], root).code, 0);
    const entries = (JSON.parse(readFileSync(join(root, 'b.json'), 'utf8')) as { findings: Array<{ count: number; code: string }> }).findings;
    assert.deepEqual(entries.map((e) => [e.count, e.code]), [[2, 'migrations.RunSQL("DELETE FROM billing_log")']]);
    // A third identical operation: the baseline accounts for two of them, not for all.
    writeFileIn(file, purge(['DELETE FROM billing_log', 'DELETE FROM billing_log', 'DELETE FROM billing_log']));
    assert.equal(findings(runCli(['check', '--format', 'json', '--baseline', 'b.json', '.'], root)).length, 1);
    // One of the two changes its SQL: that one is new, and one recorded finding no longer occurs.
    writeFileIn(file, purge(['DELETE FROM billing_log', 'DELETE FROM billing_log WHERE created < now()']));
    const changed = runCli(['check', '--format', 'json', '--baseline', 'b.json', '.'], root);
    assert.deepEqual(findings(changed).map((f) => f.line), [7]);
    assert.match(changed.stderr, /1 finding recorded in .*b\.json no longer occurs/);
  });

  it('--write-baseline lists the entries that went away, and keeps the ones of files not checked', () => {
    const { root } = adoptedProject();
    const baseline = join(root, 'migration-guard-baseline.json');
    const fixedFile = join(root, 'billing', 'migrations', '0012_change_12.py');
    const own = findings(runCli(['check', '--format', 'json', 'billing/migrations/0012_change_12.py'], root));
    writeFileSync(fixedFile, 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = []\n');
    const stale = runCli(['check', '--baseline', 'migration-guard-baseline.json', 'billing'], root);
    if (own.length > 0) assert.match(stale.stderr, new RegExp(`${own.length} findings? recorded in .* no longer occurs?`));
    const before = readFileSync(baseline, 'utf8');
    const rewritten = runCli(['check', '--write-baseline', 'migration-guard-baseline.json', 'billing'], root);
    assert.equal(rewritten.code, 0, rewritten.stderr);
    const removed = rewritten.stderr.split('\n').filter((l) => l.includes('removed from the baseline: billing/migrations/0012_change_12.py'));
    assert.equal(removed.length, new Set(own.map((f) => f.rule)).size);
    const entries = (text: string) => (JSON.parse(text) as { findings: Array<{ path: string }> }).findings;
    const otherApps = (text: string) => entries(text).filter((e) => !e.path.startsWith('billing/'));
    assert.deepEqual(otherApps(readFileSync(baseline, 'utf8')), otherApps(before), 'entries of files not checked are kept as they were');
    assert.equal(runCli(['check', '--baseline', 'migration-guard-baseline.json', '.'], root).code, 0);
  });

  it('pyproject.toml `baseline` is used by a plain check, relative to the pyproject folder', () => {
    const { root, before } = adoptedProject();
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nbaseline = "migration-guard-baseline.json"\n');
    const run = runCli(['check', 'billing'], join(root));
    assert.equal(run.code, 0, run.stdout);
    const fromInside = runCli(['check', '.'], join(root, 'billing'));
    assert.equal(fromInside.code, 0, fromInside.stdout);
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nbaseline = "not-written-yet.json"\n');
    const missing = runCli(['check', '--format', 'json', '.'], root);
    assert.match(missing.stderr, /not-written-yet\.json: no such file .*; every finding is reported/);
    assert.equal(findings(missing).length, before.length);
  });

  it('writes the same baseline from a cache filled by a run without one (whose results carry no fingerprints)', () => {
    const root = temps.make();
    writeRealisticProject(root);
    const cacheDir = join(root, 'cache');
    const filled = runCli(['check', '--cache-dir', cacheDir, '--format', 'json', '.'], root);
    assert.ok(findings(filled).length >= 40);
    assert.ok(existsSync(cacheDir), 'the first run filled the cache');
    assert.equal(runCli(['check', '--cache-dir', cacheDir, '--write-baseline', 'from-cache.json', '.'], root).code, 0);
    assert.equal(runCli(['check', '--no-cache', '--write-baseline', 'fresh.json', '.'], root).code, 0);
    assert.equal(readFileSync(join(root, 'from-cache.json'), 'utf8'), readFileSync(join(root, 'fresh.json'), 'utf8'));
    const clean = runCli(['check', '--cache-dir', cacheDir, '--baseline', 'fresh.json', '.'], root);
    assert.equal(clean.code, 0, clean.stdout);
  });

  it('refuses what would lose information, with exit status 2 and nothing written', () => {
    const { root } = adoptedProject();
    const missing = runCli(['check', '--baseline', 'nope.json', '.'], root);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--baseline: .*nope\.json: no such file/);
    writeFileSync(join(root, 'pyproject.toml'), '[project]\nname = "shop"\n');
    const clobber = runCli(['check', '--write-baseline', 'pyproject.toml', '.'], root);
    assert.equal(clobber.code, 2);
    assert.match(clobber.stderr, /not overwritten/);
    assert.equal(readFileSync(join(root, 'pyproject.toml'), 'utf8'), '[project]\nname = "shop"\n');
    for (const other of ['--fix', '--unsafe-fixes', '--diff']) {
      const r = runCli(['check', '--write-baseline', 'b.json', other, '.'], root);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /cannot be combined/);
    }
    assert.equal(existsSync(join(root, 'b.json')), false);
  });
});

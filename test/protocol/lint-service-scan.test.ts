/**
 * LintService.scanning(): during a workspace scan, settings are resolved once per directory, and
 * every change the server learns of (editor settings, workspace folders, a pyproject.toml) still
 * applies at once; after the scan, a pyproject.toml edited on disk is noticed as before.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LintService } from '../../server/src/protocol/lint-service';

describe('settings during a workspace scan', () => {
  const root = mkdtempSync(join(tmpdir(), 'migration-guard-scan-settings-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const pyproject = join(root, 'pyproject.toml');
  let stamp = Date.now() / 1000;
  const writePyproject = (batch: number): void => {
    writeFileSync(pyproject, `[tool.migration-guard]\nbatch-size = ${batch}\n`);
    // A distinct mtime each time, as an editor's save a moment later would give.
    stamp += 10;
    utimesSync(pyproject, stamp, stamp);
  };
  mkdirSync(join(root, 'app', 'migrations'), { recursive: true });
  const first = join(root, 'app', 'migrations', '0001_initial.py');
  const second = join(root, 'app', 'migrations', '0002_more.py');

  it('resolves once per directory, keeps each file its own, and drops what it resolved on every change', () => {
    writePyproject(10);
    const service = new LintService();
    service.setWorkspaceFolders([root]);
    const scan = service.scanning();
    const a = service.settingsFor(first);
    const b = service.settingsFor(second);
    assert.equal(a.file, first);
    assert.equal(b.file, second);
    assert.equal(a.matcher, b.matcher, 'one resolution for the directory');
    assert.equal(b.settings.batchSize, 10);
    assert.equal(service.settingsFor(null).file, null);

    assert.deepEqual(service.setEditorSettings(root, { batchSize: 20 }), []);
    assert.equal(service.settingsFor(first).settings.batchSize, 20, "the editor's settings are layered over pyproject.toml's");
    service.clearEditorSettings();
    assert.equal(service.settingsFor(first).settings.batchSize, 10);
    writePyproject(30);
    assert.equal(service.settingsFor(first).settings.batchSize, 10, 'unchanged until the server is told (a scan follows)');
    service.clearProjectSettings();
    assert.equal(service.settingsFor(first).settings.batchSize, 30);
    service.setWorkspaceFolders([join(root, 'app')]);
    assert.equal(service.settingsFor(first).matcher.root, root, 'the project root is still the pyproject.toml folder');
    scan.done();

    writePyproject(40);
    assert.equal(service.settingsFor(first).settings.batchSize, 40, 'after the scan a saved pyproject.toml is read again');
  });

  it('an editor setting applies at once during a scan', () => {
    rmSync(pyproject, { force: true });
    const service = new LintService();
    service.setWorkspaceFolders([root]);
    const scan = service.scanning();
    assert.equal(service.settingsFor(first).settings.batchSize, 1000);
    service.setEditorSettings(root, { batchSize: 20 });
    assert.equal(service.settingsFor(first).settings.batchSize, 20);
    // A scan that started later owns the memo: the older one ending does not drop it.
    const later = service.scanning();
    const resolved = service.settingsFor(first);
    scan.done();
    assert.equal(service.settingsFor(second).matcher, resolved.matcher);
    later.done();
    assert.notEqual(service.settingsFor(second).matcher, resolved.matcher);
  });

  it('shares one resolution between the directories one pyproject.toml and folder apply to, and gives the answers it gives outside a scan', () => {
    writePyproject(10);
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub', 'pyproject.toml'), '[tool.migration-guard]\nbatch-size = 7\n');
    const files = [first, join(root, 'app', 'models.py'), join(root, 'other', 'x.py'), join(root, 'sub', 'app', 'migrations', '0001_initial.py')];
    const plain = new LintService();
    plain.setWorkspaceFolders([root]);
    const outside = files.map((f) => plain.settingsFor(f));
    const service = new LintService();
    service.setWorkspaceFolders([root]);
    const scan = service.scanning();
    const during = files.map((f) => service.settingsFor(f));
    scan.done();
    during.forEach((d, i) => {
      assert.deepEqual(d.settings, outside[i]?.settings);
      assert.equal(d.matcher.root, outside[i]?.matcher.root);
      assert.equal(d.file, files[i]);
    });
    assert.equal(during[0]?.matcher, during[2]?.matcher, 'one pyproject.toml, one folder: one resolution');
    assert.notEqual(during[0]?.matcher, during[3]?.matcher, 'another pyproject.toml');
    assert.equal(during[3]?.settings.batchSize, 7);
    rmSync(join(root, 'sub'), { recursive: true, force: true });
  });

  it('finds a file\'s workspace folder whatever the order files come in, nested folders included', () => {
    const service = new LintService();
    const inner = join(root, 'app');
    const sibling = `${root}-sibling`;
    service.setWorkspaceFolders([root, inner, sibling]);
    const asked: Array<[string, string | null]> = [
      [join(root, 'a.py'), root],
      [join(root, 'b.py'), root],
      [join(inner, 'c.py'), inner],
      [join(inner, 'd.py'), inner],
      [join(root, 'e.py'), root],
      [join(sibling, 'f.py'), sibling],
      [join(sibling, 'g.py'), sibling],
      [join(inner, 'h.py'), inner],
      [`${root}x/i.py`, null],
      [root, root],
    ];
    for (const [file, folder] of asked) assert.equal(service.folderOf(file), folder, file);
  });
});

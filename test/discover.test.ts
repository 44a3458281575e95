/**
 * Discovery: the lint tasks for the paths on the command line — each file once, whatever paths
 * overlap, and every Python file of the walked folders once for the project view.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { discover } from '../server/src/cli/discover';
import { ConfigResolver } from '../server/src/cli/project-config';

describe('discover', () => {
  let root = '';
  const resolver = (): ConfigResolver => new ConfigResolver(null, { select: null, ignore: [] }, () => undefined);
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'mg-discover-'));
    for (const app of ['shop', 'blog']) {
      mkdirSync(join(root, app, 'migrations'), { recursive: true });
      for (const f of ['__init__.py', '0001_initial.py', '0002_more.py']) writeFileSync(join(root, app, 'migrations', f), '');
      writeFileSync(join(root, app, 'models.py'), '');
    }
    mkdirSync(join(root, 'node_modules', 'pkg', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'pkg', 'migrations', '0001_x.py'), '');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const files = (d: ReturnType<typeof discover>): string[] => d.tasks.map((t) => `${t.mode} ${t.path}`);

  it('walks one folder: migrations to lint, other Python files to detect, skipped folders left out', () => {
    const d = discover(['.'], resolver(), root);
    assert.deepEqual(files(d), [
      'detect blog/models.py',
      'lint blog/migrations/0001_initial.py',
      'lint blog/migrations/0002_more.py',
      'detect shop/models.py',
      'lint shop/migrations/0001_initial.py',
      'lint shop/migrations/0002_more.py',
    ]);
    assert.equal(d.python.length, 8);
    assert.equal(new Set(d.python).size, d.python.length);
  });

  it('tells a watcher once, during the walk, that it has found that many files', () => {
    const calls: number[] = [];
    let d: ReturnType<typeof discover> | null = null;
    d = discover(['.'], resolver(), root, { at: 4, reached: () => calls.push(d === null ? -1 : d.tasks.length) });
    assert.deepEqual(calls, [-1], 'called once, before discover returned');
    const none: number[] = [];
    discover(['.'], resolver(), root, { at: 7, reached: () => none.push(1) });
    assert.deepEqual(none, [], 'six files: never told about seven');
  });

  it('lists a file once when paths overlap, as a migration when any path names it so', () => {
    const d = discover(['shop/models.py', 'shop', '.', 'shop/migrations/0001_initial.py'], resolver(), root);
    const seen = d.tasks.map((t) => t.file);
    assert.equal(new Set(seen).size, seen.length, seen.join('\n'));
    assert.deepEqual(files(d), [
      'lint shop/models.py',
      'lint shop/migrations/0001_initial.py',
      'lint shop/migrations/0002_more.py',
      'detect blog/models.py',
      'lint blog/migrations/0001_initial.py',
      'lint blog/migrations/0002_more.py',
    ]);
    assert.equal(new Set(d.python).size, d.python.length, 'python files listed twice');
    assert.equal(d.python.length, 8);
  });

  it('lists the siblings of named files once, even for two files of one folder', () => {
    const d = discover(['shop/migrations/0001_initial.py', 'shop/migrations/0002_more.py', 'shop/migrations/0002_more.py'], resolver(), root);
    assert.deepEqual(files(d), ['lint shop/migrations/0001_initial.py', 'lint shop/migrations/0002_more.py']);
    assert.deepEqual([...d.python].sort(), ['0001_initial.py', '0002_more.py', '__init__.py'].map((f) => join(root, 'shop', 'migrations', f)));
  });

  it('walks folders that do not overlap each in turn, without merging', () => {
    const d = discover(['blog', 'shop/migrations'], resolver(), root);
    assert.deepEqual(files(d), ['detect blog/models.py', 'lint blog/migrations/0001_initial.py', 'lint blog/migrations/0002_more.py', 'lint shop/migrations/0001_initial.py', 'lint shop/migrations/0002_more.py']);
  });

  it('shows each file under the path as the user spelled it (trailing slash, ./, absolute)', () => {
    const spelled = (given: string): string[] => discover([given], resolver(), root).tasks.filter((t) => t.mode === 'lint').map((t) => t.path);
    assert.deepEqual(spelled('shop/'), ['shop/migrations/0001_initial.py', 'shop/migrations/0002_more.py']);
    assert.deepEqual(spelled('./shop'), ['shop/migrations/0001_initial.py', 'shop/migrations/0002_more.py']);
    assert.deepEqual(spelled('shop//migrations'), ['shop/migrations/0001_initial.py', 'shop/migrations/0002_more.py']);
    assert.deepEqual(spelled(join(root, 'shop')), [join(root, 'shop', 'migrations', '0001_initial.py'), join(root, 'shop', 'migrations', '0002_more.py')]);
    assert.deepEqual(spelled('shop/migrations/../migrations'), ['shop/migrations/0001_initial.py', 'shop/migrations/0002_more.py']);
  });
});

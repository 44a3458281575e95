/**
 * include / exclude globs: the matcher's compiled form must decide exactly as minimatch does on
 * the same relative path, for the default globs and the shapes users write.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minimatch } from 'minimatch';
import { FileMatcher, globRegExp, globTest } from '../server/src/config/file-matcher';
import { mergeSettings } from '../server/src/config/settings';

const ROOT = '/repo';
const GLOBS = ['**/migrations/*.py', '**/migrations/**/*.py', 'legacy/**', 'app/migrations/000[1-3]_*.py', '*.py', '**/tests/**', '{shop,billing}/migrations/*.py', 'app/migrations/00??_*.py', '**/.hidden/*.py', '**/migrations/!(__init__).py'];
const PATHS = [
  'shop/migrations/0001_initial.py',
  'shop/migrations/__init__.py',
  'shop/migrations/sub/0002_x.py',
  'legacy/app/migrations/0001_initial.py',
  'app/migrations/0002_add.py',
  'app/migrations/0004_add.py',
  'app/migrations/0012_x.py',
  'manage.py',
  'billing/tests/migrations/0001_t.py',
  'billing/migrations/0001_initial.py',
  'other/migrations/0001_initial.py',
  'x/.hidden/0001.py',
  'deep/a/b/c/migrations/0099_z.py',
  'migrations/0001_top.py',
];

describe('FileMatcher globs', () => {
  for (const glob of GLOBS) {
    it(`decides as minimatch for ${glob}`, () => {
      const settings = mergeSettings({});
      const asInclude = new FileMatcher({ ...settings, include: [glob], exclude: [] }, ROOT);
      const asExclude = new FileMatcher({ ...settings, include: ['**/*.py'], exclude: [glob] }, ROOT);
      for (const rel of PATHS) {
        const expected = minimatch(rel, glob, { dot: true });
        const file = `${ROOT}/${rel}`;
        // An include glob starting with **/ may also match the absolute path (see isIncluded).
        const viaAbsolute = glob.startsWith('**/') && minimatch(file.slice(1), glob, { dot: true });
        assert.equal(asInclude.isIncluded(file), expected || viaAbsolute, `include ${glob} on ${rel}`);
        assert.equal(asExclude.isExcluded(file), expected, `exclude ${glob} on ${rel}`);
      }
    });
  }

  it('matches files outside the root by their relative path, as before', () => {
    const m = new FileMatcher({ ...mergeSettings({}), include: ['**/migrations/*.py'], exclude: ['../elsewhere/**'] }, ROOT);
    assert.equal(m.isExcluded('/elsewhere/app/migrations/0001_x.py'), true);
    assert.equal(m.isIncluded('/repo2/app/migrations/0001_x.py'), true);
  });

  // Compared with minimatch's regular expression, which the matcher used for every glob before (it
  // differs from minimatch() on folder paths such as `a/node_modules` for `**/node_modules/**`,
  // where matching is what an exclude means).
  it("answers the folder-name and file-name shapes by string tests exactly as minimatch's expression does", () => {
    const globs = [...mergeSettings({}).exclude, '**/migrations', '**/legacy_migrations/**', '**/a.b', '**/.venv', '**/migrations/*.py', '**/a.b/*.py', '**/.venv/*.py', '**/venv/*.pyc'];
    const names = ['.git', 'node_modules', '.venv', 'venv', 'site-packages', '.tox', '.nox', '__init__.py', 'migrations', 'legacy_migrations', 'a.b', 'x', '.', '..', 'git', 'venv2', 'my.venv', '__init__.pyc'];
    // Every path of up to three segments over those names, plus a few with a file at the end.
    const paths: string[] = [];
    for (const a of names) {
      paths.push(a, `${a}/0001.py`);
      for (const b of names) {
        paths.push(`${a}/${b}`, `${a}/${b}/0001.py`);
        for (const c of ['x', '.git', '__init__.py', '..', 'venv', '.py', 'x.pyc', 'migrations.py']) paths.push(`${a}/${b}/${c}`, `/${a}/${b}/${c}`);
      }
    }
    let checked = 0;
    for (const glob of globs) {
      const test = globTest(glob);
      const re = globRegExp(glob);
      assert.ok(re, glob);
      for (const p of paths) {
        assert.equal(test(p), re.test(p), `${glob} on ${p}`);
        checked++;
      }
    }
    assert.ok(checked > 20_000, `${checked} checks`);
    // All the excludes as one test (segment lookups, a memo per folder): the same answers, for
    // every path, asked twice so remembered folders answer too.
    const exclude = [...globs, 'legacy/**', '**/tests/*.py'];
    const matcher = new FileMatcher({ ...mergeSettings({}), exclude }, ROOT);
    const expressions = exclude.map((g) => globRegExp(g));
    for (const round of [1, 2]) {
      for (const p of paths) {
        const expected = expressions.some((re) => re !== false && re.test(p));
        assert.equal(matcher.isExcluded(`${ROOT}/${p}`), expected, `round ${round}: exclude on ${p}`);
      }
    }
  });
});

describe('FileMatcher.folderClassifier', () => {
  // Every folder and file name over a few settings: the per-folder answers must be classify's.
  const dirs = ['/repo', '/repo/shop/migrations', '/repo/a/b/migrations', '/repo/node_modules/x/migrations', '/repo/.venv/lib/migrations', '/repo/shop', '/repo/legacy/migrations', '/repo2/app/migrations', '/elsewhere/migrations', '/repo/x/.hidden', '/repo/migrations', '/', '/repo/tests/migrations'];
  const names = ['0001_initial.py', '__init__.py', 'models.py', 'x.pyc', '.hidden.py', 'migrations', '0002.PY', 'node_modules', 'a.b', 'migrations.py', 'venv'];
  const settingsList = [
    mergeSettings({}),
    { ...mergeSettings({}), detectByContent: false },
    { ...mergeSettings({}), include: ['**/migrations/*.py', '**/legacy/*.py'] },
    { ...mergeSettings({}), include: ['shop/migrations/*.py'] },
    { ...mergeSettings({}), exclude: [...mergeSettings({}).exclude, 'legacy/**'] },
    { ...mergeSettings({}), exclude: ['**/a.b', '**/tests/**'] },
    { ...mergeSettings({}), include: ['**/migrations/*.py', '**/.hidden/*.py'] },
  ];
  it('gives every file of a folder the answer classify gives its path', () => {
    let checked = 0;
    for (const settings of settingsList) {
      for (const root of ['/repo', '/repo/', '/']) {
        const matcher = new FileMatcher(settings, root);
        for (const dir of dirs) {
          const classify = matcher.folderClassifier(dir);
          for (const name of names) {
            const file = dir.endsWith('/') ? dir + name : `${dir}/${name}`;
            assert.equal(classify(name), new FileMatcher(settings, root).classify(file), `${JSON.stringify(settings.include)} ${JSON.stringify(settings.exclude.slice(-2))} root ${root}: ${file}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 2_000, `${checked} checks`);
  });
});

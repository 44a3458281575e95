/**
 * Which migrations shipped together, from git: the files one commit added (or none of which is
 * committed yet) run in one `migrate` on every database, so a table or column an earlier one made
 * is new to the later ones and the schema rules say nothing of it (review 64: 9 of 12 wrong findings
 * were of that kind). Real repositories, made here with git: moves keep their first add, the first
 * commit with migrations and a shallow clone's boundary say nothing, the history kept on disk is
 * brought up to date when HEAD moves, and `git-history = false` turns it off.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { headFromFiles } from '../server/src/workspace/git-files';
import { releasesOf, syncMerge, WORKTREE } from '../server/src/workspace/release-history';
import { jsonFindings, runCli, TempDirs } from './helpers/cli';
import { addNotNull, create, git, IMPORTS, migration, releaseRepository, remove, withHistory, write } from './helpers/release-repo';

const temps = new TempDirs();
after(() => temps.removeAll());

const at = (root: string, ...parts: string[]) => join(root, ...parts);

/** A repository whose first commit brought `core`'s first migration (the project's start: no release known). */
function startedRepository(): string {
  const root = temps.make();
  git(root, 'init', '-q');
  write(root, 'core', '0001_initial', migration('core', null, create('Setting'), '    initial = True\n'));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'start');
  return root;
}

describe('release history from git', () => {
  it('gives each migration the commit that first added it, or the work tree, and says nothing where it cannot know', async () => {
    const repo = releaseRepository(temps.make());
    const { root } = repo;
    const files = [
      at(root, 'shop', 'migrations', '0001_initial.py'),
      at(root, 'shop', 'migrations', '0002_item.py'),
      at(root, 'shop', 'migrations', '0003_item_price.py'),
      at(root, 'shop', 'migrations', '0004_order_total.py'),
      at(root, 'shop', 'migrations', '0005_item_sku.py'),
      at(root, 'shop', 'migrations', '0006_remove_item_sku.py'),
      at(root, 'apps', 'legacy', 'migrations', '0001_initial.py'),
      at(root, 'apps', 'legacy', 'migrations', '0002_thing_size.py'),
    ];
    const releases = await releasesOf(files, null);
    const of = (i: number) => releases.get(files[i] as string)?.replace(/^.*:/, '');
    // The first commit that brought migrations in: unknown (a start, or an import).
    assert.equal(of(0), undefined);
    assert.equal(of(6), undefined, 'a file moved under its name keeps its first add (here: unknown)');
    assert.equal(of(1), repo.pair);
    assert.equal(of(2), repo.pair);
    assert.equal(of(7), repo.legacyAdd, 'moved with its folder, it keeps the commit that added it');
    assert.equal(of(3), repo.single);
    assert.equal(of(4), WORKTREE, 'staged');
    assert.equal(of(5), WORKTREE, 'untracked');
  });

  it('takes no committed migration for a new one when the index is lost (a checkout that failed half-way: review 81, obico)', async () => {
    const repo = releaseRepository(temps.make());
    const { root } = repo;
    const files = [at(root, 'shop', 'migrations', '0002_item.py'), at(root, 'shop', 'migrations', '0004_order_total.py'), at(root, 'shop', 'migrations', '0005_item_sku.py')];
    const before = await releasesOf(files, null);
    rmSync(join(root, '.git', 'index'));
    // git now reports every file of HEAD staged as deleted and untracked; the files never committed stay the work tree's.
    const after = await releasesOf(files, null);
    assert.equal(after.get(files[0] as string)?.replace(/^.*:/, ''), repo.pair);
    assert.deepEqual([...after].sort(), [...before].sort());
  });

  it('takes a migration renamed under a new name for one the renaming commit added, and a staged rename for the work tree\'s (review 73: care facility/0413)', async () => {
    const root = orderReleases('total');
    write(root, 'shop', '0003_order_note', migration('shop', '0002_order_total', addNotNull('order', 'note')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'note');
    // Renumbered after another line took 0003: to Django another migration, first run where 0004 ships.
    git(root, 'mv', join('shop', 'migrations', '0003_order_note.py'), join('shop', 'migrations', '0004_order_note.py'));
    git(root, 'commit', '-qm', 'renumber');
    const renumber = git(root, 'rev-parse', 'HEAD').trim();
    const renamed = at(root, 'shop', 'migrations', '0004_order_note.py');
    assert.equal((await releasesOf([renamed], null)).get(renamed), `${root}:${renumber}`);
    git(root, 'mv', join('shop', 'migrations', '0004_order_note.py'), join('shop', 'migrations', '0005_order_note.py'));
    const staged = at(root, 'shop', 'migrations', '0005_order_note.py');
    assert.equal((await releasesOf([staged], null)).get(staged), `${root}:${WORKTREE}`);
  });

  it('says nothing of the first commit that brought migrations in, though it has a parent (an import)', async () => {
    const root = temps.make();
    git(root, 'init', '-q');
    writeFileSync(join(root, 'README.md'), 'a project with no migrations yet\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'readme');
    write(root, 'shop', '0001_initial', migration('shop', null, create('Order'), '    initial = True\n'));
    write(root, 'shop', '0002_order_total', migration('shop', '0001_initial', addNotNull('order', 'total')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'import the backend');
    write(root, 'shop', '0003_order_tax', migration('shop', '0002_order_total', addNotNull('order', 'tax')));
    write(root, 'shop', '0004_order_fee', migration('shop', '0003_order_tax', addNotNull('order', 'fee')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'tax and fee');
    const files = ['0001_initial', '0002_order_total', '0003_order_tax', '0004_order_fee'].map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    const got = await releasesOf(files, null);
    assert.equal(got.get(files[0] as string), undefined);
    assert.equal(got.get(files[1] as string), undefined);
    assert.equal(got.get(files[2] as string), got.get(files[3] as string));
    assert.ok(got.get(files[2] as string));
  });

  it('says nothing outside a repository, nor of a shallow clone\'s boundary', async () => {
    const plain = temps.make();
    write(plain, 'shop', '0001_initial', migration('shop', null, create('Order')));
    assert.equal((await releasesOf([join(plain, 'shop', 'migrations', '0001_initial.py')], null)).size, 0);
    const { root } = releaseRepository(temps.make());
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'the rest');
    const clone = temps.make();
    git(clone, 'clone', '-q', '--depth', '1', `file://${root}`, 'c');
    const files = ['0002_item', '0003_item_price', '0006_remove_item_sku'].map((n) => join(clone, 'c', 'shop', 'migrations', `${n}.py`));
    assert.equal((await releasesOf(files, null)).size, 0, 'the boundary commit shows every file as added');
  });

  it('keeps the history read on disk and brings it up to date when HEAD moves on', async () => {
    const { root } = releaseRepository(temps.make());
    const cache = temps.make();
    const files = () => ['0002_item', '0003_item_price', '0005_item_sku', '0006_remove_item_sku', '0007_item_note'].map((n) => at(root, 'shop', 'migrations', `${n}.py`));
    const first = await releasesOf(files(), cache);
    assert.ok(existsSync(join(cache, 'releases.json')));
    const kept = JSON.parse(readFileSync(join(cache, 'releases.json'), 'utf8')) as Array<{ head: string; adds: Record<string, string> }>;
    assert.equal(kept[0]?.head, git(root, 'rev-parse', 'HEAD').trim());
    assert.equal(first.get(files()[2] as string), `${root}:${WORKTREE}`);
    // Commit 0005 and 0006 separately: each is its own release now.
    git(root, 'commit', '-qm', 'sku');
    const sku = git(root, 'rev-parse', 'HEAD').trim();
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'drop sku');
    const drop = git(root, 'rev-parse', 'HEAD').trim();
    write(root, 'shop', '0007_item_note', migration('shop', '0006_remove_item_sku', addNotNull('item', 'note')));
    const next = await releasesOf(files(), cache);
    const [a, b, c, d, e] = files().map((f) => next.get(f));
    assert.equal(a, b);
    assert.equal(c, `${root}:${sku}`);
    assert.equal(d, `${root}:${drop}`);
    assert.equal(e, `${root}:${WORKTREE}`);
    const again = JSON.parse(readFileSync(join(cache, 'releases.json'), 'utf8')) as Array<{ head: string }>;
    assert.equal(again[0]?.head, drop);
    // Nothing moved: the same answer, from what was kept.
    assert.deepEqual([...(await releasesOf(files(), cache))].sort(), [...next].sort());
  });

  it('counts what a merge commit brings as one release, along the branch\'s first parents', async () => {
    const { root } = releaseRepository(temps.make());
    // 0005 and 0006 on a branch of their own, one commit each, while main goes on.
    git(root, 'checkout', '-qb', 'feature');
    git(root, 'commit', '-qm', 'sku');
    const sku = git(root, 'rev-parse', 'HEAD').trim();
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'drop sku');
    const files = ['0004_order_total', '0005_item_sku', '0006_remove_item_sku'].map((n) => at(root, 'shop', 'migrations', `${n}.py`));
    // Kept on disk while the branch is checked out: two releases there.
    const cache = temps.make();
    const onBranch = await releasesOf(files, cache);
    assert.equal(onBranch.get(files[1] as string), `${root}:${sku}`);
    assert.notEqual(onBranch.get(files[1] as string), onBranch.get(files[2] as string));
    git(root, 'checkout', '-q', 'main');
    writeFileSync(join(root, 'README'), 'main goes on\n');
    git(root, 'add', 'README');
    git(root, 'commit', '-qm', 'readme');
    git(root, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #7', 'feature');
    const merge = git(root, 'rev-parse', 'HEAD').trim();
    // On main, the merge brought both at once: one release, the merge's.
    const merged = await releasesOf(files, null);
    assert.equal(merged.get(files[1] as string), `${root}:${merge}`);
    assert.equal(merged.get(files[2] as string), `${root}:${merge}`);
    assert.notEqual(merged.get(files[0] as string), `${root}:${merge}`, 'what main had before keeps its own commit');
    // The history kept at the branch's head is not on main's first-parent line: read whole, the same answer.
    assert.deepEqual([...(await releasesOf(files, cache))].sort(), [...merged].sort());
    // Fast-forwarded instead (no merge commit), the branch's commits stay two releases.
    const linear = releaseRepository(temps.make()).root;
    git(linear, 'checkout', '-qb', 'feature');
    git(linear, 'commit', '-qm', 'sku');
    git(linear, 'add', '-A');
    git(linear, 'commit', '-qm', 'drop sku');
    git(linear, 'checkout', '-q', 'main');
    git(linear, 'merge', '-q', '--ff-only', 'feature');
    const ff = await releasesOf(['0005_item_sku', '0006_remove_item_sku'].map((n) => at(linear, 'shop', 'migrations', `${n}.py`)), null);
    assert.equal(new Set(ff.values()).size, 2, [...ff.values()].join(', '));
  });

  it('leaves unknown what a merge only brought up to date: the main line merged into a topic branch, a pull', async () => {
    const { root } = releaseRepository(temps.make());
    git(root, 'stash', '-q', '-u');
    git(root, 'checkout', '-qb', 'feature');
    writeFileSync(join(root, 'README'), 'feature work\n');
    git(root, 'add', 'README');
    git(root, 'commit', '-qm', 'feature work');
    // Meanwhile main gets 0005 and 0006, one commit each (deployed one after the other).
    git(root, 'checkout', '-q', 'main');
    git(root, 'stash', 'pop', '-q');
    git(root, 'add', 'shop/migrations/0005_item_sku.py');
    git(root, 'commit', '-qm', 'sku');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'drop sku');
    // The topic branch takes main in, and main is then fast-forwarded to it: on main's first-parent
    // line, that merge adds 0005 and 0006 at once, though they shipped apart.
    git(root, 'checkout', '-q', 'feature');
    git(root, 'merge', '-q', '--no-ff', '-m', "Merge branch 'main' into feature", 'main');
    git(root, 'checkout', '-q', 'main');
    git(root, 'merge', '-q', '--ff-only', 'feature');
    const files = ['0004_order_total', '0005_item_sku', '0006_remove_item_sku'].map((n) => at(root, 'shop', 'migrations', `${n}.py`));
    const releases = await releasesOf(files, null);
    assert.ok(releases.has(files[0] as string), 'what came before is still known');
    assert.equal(releases.get(files[1] as string), undefined);
    assert.equal(releases.get(files[2] as string), undefined);
  });

  it('counts neither a squash nor an app\'s reset initial migration as new tables of their release', async () => {
    const root = startedRepository();
    write(root, 'shop', '0001_initial', migration('shop', null, create('Order'), '    initial = True\n'));
    write(root, 'shop', '0002_item', migration('shop', '0001_initial', create('Item')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'shop');
    const shop = git(root, 'rev-parse', 'HEAD').trim();
    // The app's migrations reset: the old files deleted, a new initial one (Order and Item again) and a
    // change after it, in one commit. On every database that had the old ones, Item has rows.
    for (const n of ['0001_initial', '0002_item']) git(root, 'rm', '-q', `shop/migrations/${n}.py`);
    write(root, 'shop', '0001_initial', migration('shop', null, create('Order') + create('Item'), '    initial = True\n'));
    write(root, 'shop', '0002_item_size', migration('shop', '0001_initial', addNotNull('item', 'size')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'reset shop');
    const reset = git(root, 'rev-parse', 'HEAD').trim();
    // After the reset, a release that makes a table and adds a column to it: known, one release.
    write(root, 'shop', '0003_note', migration('shop', '0002_item_size', create('Note')));
    write(root, 'shop', '0004_note_size', migration('shop', '0003_note', addNotNull('note', 'size')));
    // And a squash, added beside the files it replaces (no deletion): its operations ran long before.
    write(root, 'core', '0002_setting_size', migration('core', '0001_initial', addNotNull('setting', 'size')));
    write(root, 'core', '0001_squashed_0002_setting_size', migration('core', null, create('Setting'), '    initial = True\n    replaces = [("core", "0001_initial"), ("core", "0002_setting_size")]\n'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'notes');
    const notes = git(root, 'rev-parse', 'HEAD').trim();
    const file = (app: string, n: string) => at(root, app, 'migrations', `${n}.py`);
    const releases = await releasesOf([file('shop', '0001_initial'), file('shop', '0002_item_size'), file('shop', '0003_note'), file('shop', '0004_note_size'), file('core', '0001_squashed_0002_setting_size'), file('core', '0002_setting_size')], null);
    // The reset's initial migration keeps its path's first add: not of the reset's release.
    assert.equal(releases.get(file('shop', '0001_initial')), `${root}:${shop}`);
    assert.equal(releases.get(file('shop', '0002_item_size')), `${root}:${reset}`);
    assert.equal(releases.get(file('shop', '0003_note')), `${root}:${notes}`);
    assert.equal(releases.get(file('shop', '0004_note_size')), `${root}:${notes}`);
    assert.equal(releases.get(file('core', '0001_squashed_0002_setting_size')), undefined, 'a squash');
    assert.equal(releases.get(file('core', '0002_setting_size')), `${root}:${notes}`);
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    // Item has rows since the first release: the NOT NULL column added after the reset is reported.
    assert.ok(found.includes('shop/migrations/0002_item_size.py add-field-not-null'), found.join('\n'));
    // Note is new in its release: its column is not.
    assert.ok(!found.includes('shop/migrations/0004_note_size.py add-field-not-null'), found.join('\n'));
  });

  it('counts a first migration added under a new name to a folder that had migrations as no release of its tables (review 68: open-forms)', async () => {
    const root = startedRepository();
    write(root, 'shop', '0001_initial', migration('shop', null, create('Order'), '    initial = True\n'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'shop');
    // The old migrations made one (a squash turned into a plain migration), then a column on its old table.
    git(root, 'rm', '-q', 'shop/migrations/0001_initial.py');
    // (Other models beside it, as a squash has: git sees no rename.)
    write(root, 'shop', '0001_initial_to_v2', migration('shop', null, ['Order', 'Invoice', 'Refund', 'Coupon', 'Basket', 'Voucher'].map(create).join(''), '    initial = True\n'));
    write(root, 'shop', '0002_order_size', migration('shop', '0001_initial_to_v2', addNotNull('order', 'size')));
    // A new app's first migration in the same commit is of the release, as before.
    write(root, 'crm', '0001_initial', migration('crm', null, create('Lead'), '    initial = True\n'));
    write(root, 'crm', '0002_lead_size', migration('crm', '0001_initial', addNotNull('lead', 'size')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'squash shop');
    const file = (app: string, n: string) => at(root, app, 'migrations', `${n}.py`);
    const releases = await releasesOf([file('shop', '0001_initial_to_v2'), file('shop', '0002_order_size'), file('crm', '0001_initial')], null);
    assert.equal(releases.get(file('shop', '0001_initial_to_v2')), undefined);
    assert.ok(releases.get(file('shop', '0002_order_size')));
    assert.equal(releases.get(file('crm', '0001_initial')), releases.get(file('shop', '0002_order_size')));
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    assert.ok(found.includes('shop/migrations/0002_order_size.py add-field-not-null'), found.join('\n'));
    assert.ok(!found.includes('crm/migrations/0002_lead_size.py add-field-not-null'), found.join('\n'));
  });

  it('tells a merge that brought work up to date from one that released it, by git\'s own subjects', () => {
    const sync = [
      "Merge branch 'main' of github.com:shop/shop",
      "Merge branch 'develop' into url_import_recipes",
      "Merge remote-tracking branch 'origin/develop' into feature/steps",
      "Merge remote-tracking branch 'origin/master'",
      "Merge branch 'master'",
      "Merge branch 'feature/x' into feature/x",
    ];
    const release = [
      'Merge pull request #377 from artursmet/improve-order-model',
      "Merge branch 'develop' into 'master'",
      "Merge branch 'master' into stable",
      "Merge branch 'feature/recipe-steps' into develop",
      "Merge branch 'feature/sane_source'",
      "Merge remote-tracking branch 'origin/develop'",
      "Merge branch 'develop' into release/2.0",
      "Merge branch 'main' into 'v3.x'",
      'Release 2.0',
    ];
    for (const s of sync) assert.equal(syncMerge(s), true, s);
    for (const s of release) assert.equal(syncMerge(s), false, s);
  });

  it('reads HEAD however git keeps it: packed refs, a linked work tree, a detached HEAD', async () => {
    const { root, pair } = releaseRepository(temps.make());
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'the rest');
    const names = ['0002_item', '0003_item_price', '0006_remove_item_sku'];
    const expect = async (tree: string) => {
      // Read from the files, without git, as git itself names it.
      assert.equal(headFromFiles(tree), git(tree, 'rev-parse', 'HEAD').trim(), tree);
      const files = names.map((n) => join(tree, 'shop', 'migrations', `${n}.py`));
      const got = await releasesOf(files, null);
      assert.equal(got.get(files[0] as string), `${tree}:${pair}`, tree);
      assert.equal(got.get(files[1] as string), `${tree}:${pair}`, tree);
      assert.ok(got.get(files[2] as string)?.startsWith(`${tree}:`), tree);
    };
    await expect(root);
    git(root, 'pack-refs', '--all');
    await expect(root);
    const linked = join(temps.make(), 'linked');
    git(root, 'worktree', 'add', '-q', linked);
    await expect(linked);
    git(root, 'checkout', '-q', '--detach');
    await expect(root);
  });
});

/** Two releases of shop: 0001 (the start: Order), then 0002 adding a NOT NULL column to it. */
function orderReleases(column: string): string {
  const root = temps.make();
  git(root, 'init', '-q');
  write(root, 'shop', '0001_initial', migration('shop', null, create('Order'), '    initial = True\n'));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'start');
  write(root, 'shop', `0002_order_${column}`, migration('shop', '0001_initial', addNotNull('order', column)));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', column);
  return root;
}

/** A merge migration of shop joining two of its migrations. */
const mergeOf = (a: string, b: string): string => migration('shop', b, '').replace(`dependencies = [("shop", "${b}")]`, `dependencies = [("shop", "${a}"), ("shop", "${b}")]`);

describe('check with the release history', () => {
  const problems = (root: string, env: NodeJS.ProcessEnv = withHistory()) =>
    jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`).sort();

  it('says nothing of a table or column an earlier migration of the same release made', () => {
    const { root } = releaseRepository(temps.make());
    const found = problems(root);
    // 0003 adds a NOT NULL column to Item, which 0002 of the same commit made: no old code knows Item.
    assert.ok(!found.includes('shop/migrations/0003_item_price.py add-field-not-null'), found.join('\n'));
    // 0006 drops the column 0005 made; neither is committed yet: they ship together.
    assert.ok(!found.includes('shop/migrations/0006_remove_item_sku.py drop-column'), found.join('\n'));
    // 0004 is alone in its commit, on a table of an earlier release.
    assert.ok(found.includes('shop/migrations/0004_order_total.py add-field-not-null'), found.join('\n'));
    // legacy 0002's table came with the repository's first migrations: not known to be new.
    assert.ok(found.includes('apps/legacy/migrations/0002_thing_size.py add-field-not-null'), found.join('\n'));
    // With the history turned off, by the environment or by the settings, both findings come back.
    const byEnv = problems(root, { ...withHistory(), MIGRATION_GUARD_GIT_HISTORY: '0' });
    assert.ok(byEnv.includes('shop/migrations/0003_item_price.py add-field-not-null'), byEnv.join('\n'));
    assert.ok(byEnv.includes('shop/migrations/0006_remove_item_sku.py drop-column'), byEnv.join('\n'));
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\ngit-history = false\n');
    const off = problems(root);
    assert.ok(off.includes('shop/migrations/0003_item_price.py add-field-not-null'), off.join('\n'));
    assert.ok(off.includes('shop/migrations/0006_remove_item_sku.py drop-column'), off.join('\n'));
  });

  it('says nothing of a NOT NULL column a later migration of the same release drops again, or whose table it drops (review 80: inyoka portal/0007, osis base/0420)', () => {
    const root = startedRepository();
    const up = (name: string, parent: string, ops: string) => write(root, 'core', name, migration('core', parent, ops));
    up('0002_setting_rank', '0001_initial', addNotNull('setting', 'rank') + addNotNull('setting', 'weight'));
    up('0003_remove_setting_rank', '0002_setting_rank', remove('setting', 'rank'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'rank, tried and given up in the same pull request');
    const found = problems(root).filter((f) => f.includes('add-field-not-null'));
    // `rank` lives within one `migrate` run; `weight` stays, and old code's INSERTs fail on it.
    assert.deepEqual(found.map((f) => f.split(' ')[0]), ['core/migrations/0002_setting_rank.py'], found.join('\n'));
    const lines = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).filter((f) => f.rule === 'add-field-not-null').map((f) => f.message.slice(0, 25));
    assert.deepEqual(lines, ["AddField 'weight' on 'set"]);
    // Dropped by a later release instead: the column met old code in between.
    up('0004_setting_level', '0003_remove_setting_rank', addNotNull('setting', 'level'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'level');
    up('0005_remove_setting_level', '0004_setting_level', remove('setting', 'level'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'level, gone again');
    assert.ok(problems(root).includes('core/migrations/0004_setting_level.py add-field-not-null'));
    // A column the same migration drops counts only where old code names it: not one an earlier migration of
    // the release made (review 80: osis base/0247 drops what 0237 of its release added, and adds a NOT NULL column).
    up('0006_setting_tag', '0005_remove_setting_level', '        migrations.AddField(model_name="setting", name="tag", field=models.CharField(max_length=5, null=True)),\n');
    up('0007_setting_size', '0006_setting_tag', remove('setting', 'tag') + addNotNull('setting', 'size'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'tag replaced by size');
    assert.ok(problems(root).includes('core/migrations/0007_setting_size.py add-field-not-null'), problems(root).join('\n'));
  });

  it('with --changed-since, what the branch adds is one release, however many commits it has', () => {
    const { root } = releaseRepository(temps.make());
    git(root, 'checkout', '-qb', 'feature');
    git(root, 'commit', '-qm', 'sku');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'drop sku');
    // Two commits of the branch: two releases by the commits alone.
    assert.ok(problems(root).includes('shop/migrations/0006_remove_item_sku.py drop-column'));
    const run = runCli(['check', '--no-cache', '--format', 'json', '--changed-since', 'main', '.'], root, { env: withHistory() });
    const found = jsonFindings(run).map((f) => `${f.path} ${f.rule}`);
    assert.ok(!found.includes('shop/migrations/0006_remove_item_sku.py drop-column'), found.join('\n'));
    assert.match(run.stderr, /2 of \d+ files added or changed since main/);
    // release-base says the same for every run (and the editor), reporting every file.
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nrelease-base = "main"\n');
    const withBase = problems(root);
    assert.ok(!withBase.includes('shop/migrations/0006_remove_item_sku.py drop-column'), withBase.join('\n'));
    assert.ok(withBase.includes('shop/migrations/0004_order_total.py add-field-not-null'), withBase.join('\n'));
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nrelease-base = "--output=x"\n');
    assert.match(runCli(['check', '--no-cache', '.'], root, { env: withHistory() }).stderr, /release-base must be a git revision/);
  });

  it('follows a merge migration along its parent of the same release', () => {
    const root = orderReleases('note');
    // One pull request: a column added on its own line of migrations, a merge migration joining that
    // line with 0002 (of an earlier release), then the column dropped.
    write(root, 'shop', '0002_order_size', migration('shop', '0001_initial', addNotNull('order', 'size')));
    write(root, 'shop', '0003_merge', mergeOf('0002_order_note', '0002_order_size'));
    write(root, 'shop', '0004_remove_order_size', migration('shop', '0003_merge', remove('order', 'size')));
    write(root, 'shop', '0005_remove_order_note', migration('shop', '0004_remove_order_size', remove('order', 'note')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'sizes');
    const found = problems(root);
    // size was made in the same release (behind the merge migration): no old code knows it.
    assert.ok(!found.includes('shop/migrations/0004_remove_order_size.py drop-column'), found.join('\n'));
    // note came from the other line, an earlier release: old code reads it.
    assert.ok(found.includes('shop/migrations/0005_remove_order_note.py drop-column'), found.join('\n'));
  });

  it('follows a merge migration whose parents are both of the release, back to where the release started (review 69: open-inwoner pdc/0025)', () => {
    const root = orderReleases('total');
    // One pull request: two lines from 0002, each adding a column, joined by a merge migration; then both
    // columns dropped, and the column of the release before.
    write(root, 'shop', '0003_order_size', migration('shop', '0002_order_total', addNotNull('order', 'size')));
    write(root, 'shop', '0003_order_note', migration('shop', '0002_order_total', addNotNull('order', 'note')));
    write(root, 'shop', '0004_merge', mergeOf('0003_order_note', '0003_order_size'));
    write(root, 'shop', '0005_remove_order_size', migration('shop', '0004_merge', remove('order', 'size')));
    write(root, 'shop', '0006_remove_order_note', migration('shop', '0005_remove_order_size', remove('order', 'note')));
    write(root, 'shop', '0007_remove_order_total', migration('shop', '0006_remove_order_note', remove('order', 'total')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'sizes and notes');
    const found = problems(root);
    assert.ok(!found.includes('shop/migrations/0005_remove_order_size.py drop-column'), found.join('\n'));
    assert.ok(!found.includes('shop/migrations/0006_remove_order_note.py drop-column'), found.join('\n'));
    // total came with an earlier release: old code reads it.
    assert.ok(found.includes('shop/migrations/0007_remove_order_total.py drop-column'), found.join('\n'));
  });

  it('follows lines of the release that start from different migrations, and keeps what came before each start old (review 73: care facility/0414)', () => {
    const root = orderReleases('total');
    write(root, 'shop', '0003_order_note', migration('shop', '0002_order_total', addNotNull('order', 'note')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'note');
    // One release: a branch begun on 0002 (before note shipped) and one begun on 0003, joined by a merge
    // migration; then the columns both lines added are dropped, and those of the releases before.
    write(root, 'shop', '0003_order_size', migration('shop', '0002_order_total', addNotNull('order', 'size')));
    write(root, 'shop', '0004_order_weight', migration('shop', '0003_order_note', addNotNull('order', 'weight')));
    write(root, 'shop', '0005_merge', mergeOf('0003_order_size', '0004_order_weight'));
    write(root, 'shop', '0006_remove_order_size', migration('shop', '0005_merge', remove('order', 'size')));
    write(root, 'shop', '0007_remove_order_weight', migration('shop', '0006_remove_order_size', remove('order', 'weight')));
    write(root, 'shop', '0008_remove_order_note', migration('shop', '0007_remove_order_weight', remove('order', 'note')));
    write(root, 'shop', '0009_remove_order_total', migration('shop', '0008_remove_order_note', remove('order', 'total')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'sizes and weights');
    const found = problems(root);
    assert.ok(!found.includes('shop/migrations/0006_remove_order_size.py drop-column'), found.join('\n'));
    assert.ok(!found.includes('shop/migrations/0007_remove_order_weight.py drop-column'), found.join('\n'));
    // note and total shipped before the release, on the lines its branches started from.
    assert.ok(found.includes('shop/migrations/0008_remove_order_note.py drop-column'), found.join('\n'));
    assert.ok(found.includes('shop/migrations/0009_remove_order_total.py drop-column'), found.join('\n'));
  });

  it('tells data and schema work on a table an earlier migration of the release made apart, at the information level (review 73: care facility/0412)', () => {
    const root = orderReleases('total');
    const fill = (table: string, model: string, field: string) =>
      `        migrations.RunSQL("UPDATE ${table} SET name = 'x'", migrations.RunSQL.noop),\n` + addNotNull(model, field);
    write(root, 'shop', '0003_rack', migration('shop', '0002_order_total', create('Rack')));
    write(root, 'shop', '0004_fill_rack', migration('shop', '0003_rack', fill('shop_rack', 'rack', 'size')));
    write(root, 'shop', '0005_fill_order', migration('shop', '0004_fill_rack', fill('shop_order', 'order', 'size')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'racks');
    const severityOf = (file: string) => jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).find((f) => f.rule === 'mixed-data-and-schema' && f.path.replace(/\\/g, '/').endsWith(file))?.severity;
    assert.equal(severityOf('0004_fill_rack.py'), 'information');
    assert.equal(severityOf('0005_fill_order.py'), 'warning');
  });

  it('says nothing of a many-to-many field renamed after an earlier migration of the release added it (review 70: bornhack teams/0006)', () => {
    const root = orderReleases('total');
    const m2m = (name: string) => `        migrations.AddField(model_name="order", name="${name}", field=models.ManyToManyField(to="shop.order")),\n`;
    const rename = (from: string, to: string) => `        migrations.RenameField(model_name="order", old_name="${from}", new_name="${to}"),\n`;
    // One commit adds `linksnew` (its join table shop_order_linksnew) and renames it: old code never knew that table.
    write(root, 'shop', '0003_order_linksnew', migration('shop', '0002_order_total', m2m('linksnew')));
    write(root, 'shop', '0004_rename_links', migration('shop', '0003_order_linksnew', rename('linksnew', 'links')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'links');
    // The next release renames it again: the release before created shop_order_links, and its code queries it.
    write(root, 'shop', '0005_rename_related', migration('shop', '0004_rename_links', rename('links', 'related')));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'related');
    const found = problems(root);
    assert.ok(!found.includes('shop/migrations/0004_rename_links.py rename-table'), found.join('\n'));
    assert.ok(found.includes('shop/migrations/0005_rename_related.py rename-table'), found.join('\n'));
  });

  it('says nothing of SQL that changes a table an earlier migration of the release made (review 72: varfish variants/0027)', () => {
    const root = orderReleases('total');
    const sql = (statement: string) => `        migrations.RunSQL(${JSON.stringify(statement)}, migrations.RunSQL.noop),\n`;
    const alter = 'ALTER TABLE "shop_order_links" ALTER COLUMN "id" TYPE bigint USING "id"::bigint';
    write(root, 'shop', '0003_order_links', migration('shop', '0002_order_total', `        migrations.AddField(model_name="order", name="links", field=models.ManyToManyField(to="shop.order")),\n`));
    write(root, 'shop', '0004_links_bigint', migration('shop', '0003_order_links', sql(alter)));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'links');
    // The next release: the join table is old code's now.
    write(root, 'shop', '0005_links_bigint_again', migration('shop', '0004_links_bigint', sql(alter.replace('"id"', '"from_order_id"').replace('"id"::', '"from_order_id"::'))));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'links again');
    const found = problems(root);
    assert.ok(!found.includes('shop/migrations/0004_links_bigint.py alter-field-type'), found.join('\n'));
    assert.ok(found.includes('shop/migrations/0005_links_bigint_again.py alter-field-type'), found.join('\n'));
  });

  it('says when a shallow clone keeps the history from telling', () => {
    const { root } = releaseRepository(temps.make());
    const clone = temps.make();
    git(clone, 'clone', '-q', '--depth', '1', `file://${root}`, 'c');
    const run = runCli(['check', '--no-cache', '.'], join(clone, 'c'), { env: withHistory() });
    assert.match(run.stderr, /shallow clone: which migrations shipped together/);
    assert.match(run.stderr, /fetch-depth: 0/);
    // The full repository says nothing of it.
    assert.doesNotMatch(runCli(['check', '--no-cache', '.'], root, { env: withHistory() }).stderr, /shallow/);
  });

  it('a squash, an initial migration of before Django 1.9 in the release, or code that may fill a table, keeps the findings that need them', () => {
    const { root } = releaseRepository(temps.make());
    // A model of an earlier release, with a many-to-many field and a column...
    write(root, 'shelf', '0001_initial', migration('shelf', null, `        migrations.CreateModel(name="Shelf", fields=[("id", models.BigAutoField(primary_key=True)), ("label", models.CharField(max_length=20)), ("orders", models.ManyToManyField(to="shop.order"))]),\n`, '    initial = True\n    dependencies = [("shop", "0001_initial")]\n').replace('    dependencies = []\n', ''));
    git(root, 'add', 'shelf');
    git(root, 'commit', '-qm', 'shelves');
    // ...renamed by the release, which then drops its join table and renames its column: both were there before.
    write(root, 'shelf', '0002_rename', migration('shelf', '0001_initial', `        migrations.RenameModel(old_name="Shelf", new_name="Rack"),\n`));
    write(root, 'shelf', '0003_rack_changes', migration('shelf', '0002_rename', `        migrations.RemoveField(model_name="rack", name="orders"),\n        migrations.RenameField(model_name="rack", old_name="label", new_name="title"),\n`));
    // A squash and the migration after it, added in one commit: the squash's operations shipped long before.
    write(root, 'books', '0001_squashed_0002', migration('books', null, create('Book'), '    replaces = [("books", "0001_initial"), ("books", "0002_more")]\n    initial = True\n'));
    write(root, 'books', '0003_book_pages', migration('books', '0001_squashed_0002', addNotNull('book', 'pages')));
    // An app's first migration as Django 1.7 wrote it (an app South may have built), with a change after it.
    const old = (text: string) => text.replace(/^# Generated[^\n]*\n\n/, '# -*- coding: utf-8 -*-\nfrom __future__ import unicode_literals\n\n').replace(IMPORTS, 'from django.db import models, migrations\n\n\n');
    write(root, 'ledger', '0001_initial', old(migration('ledger', null, create('Entry'), '    initial = True\n')));
    write(root, 'ledger', '0002_entry_amount', old(migration('ledger', '0001_initial', addNotNull('entry', 'amount'))));
    // A table of the release that code of the release fills before the change: not known to be empty.
    write(root, 'tags', '0001_initial', migration('tags', null, create('Tag'), '    initial = True\n'));
    write(root, 'tags', '0002_fill', migration('tags', '0001_initial', `        migrations.RunSQL("INSERT INTO tags_tag (name) VALUES ('a'), ('b')", migrations.RunSQL.noop),\n`));
    write(root, 'tags', '0003_tag_slug', migration('tags', '0002_fill', `        migrations.AddField(model_name="tag", name="slug", field=models.SlugField(default="x", unique=True)),\n`));
    // ...and a new app of today in the same commit, whose findings go.
    write(root, 'notes', '0001_initial', migration('notes', null, create('Note'), '    initial = True\n'));
    write(root, 'notes', '0002_note_stars', migration('notes', '0001_initial', addNotNull('note', 'stars')));
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard.rules]\nadd-field-unique-default = "error"\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'three apps');
    const found = problems(root);
    assert.ok(found.includes('books/migrations/0003_book_pages.py add-field-not-null'), found.join('\n'));
    assert.ok(found.includes('shelf/migrations/0003_rack_changes.py drop-column'), found.join('\n'));
    assert.ok(found.includes('shelf/migrations/0003_rack_changes.py rename-column'), found.join('\n'));
    assert.ok(found.includes('ledger/migrations/0002_entry_amount.py add-field-not-null'), found.join('\n'));
    assert.ok(!found.includes('notes/migrations/0002_note_stars.py add-field-not-null'), found.join('\n'));
    // The table is new to old code (no NOT NULL finding), but may hold rows: a unique default fails on them.
    assert.ok(!found.includes('tags/migrations/0003_tag_slug.py add-field-not-null'), found.join('\n'));
    assert.ok(found.includes('tags/migrations/0003_tag_slug.py add-field-unique-default'), found.join('\n'));
  });
});

/**
 * Releases by tag (release-tags.ts): a project that tags its releases ships all the migrations one
 * tag first held in one `migrate`, however many commits brought them (review 67: caluma, open-forms,
 * open-zaak). Real repositories made here with git: what a tag first held is one release, a tag on a
 * release branch holds what the main line had when the branch left it, a tag on a line merged later
 * holds what it had before the main line got it, nothing the oldest tag or no tag holds is grouped,
 * `latest` is no release, and a tag made later (HEAD unmoved) is seen through the history kept on disk.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tagsFromFiles } from '../server/src/workspace/git-files';
import { releasesOf } from '../server/src/workspace/release-history';
import { jsonFindings, runCli, TempDirs } from './helpers/cli';
import { addNotNull, create, git, migration, withHistory, write } from './helpers/release-repo';

const temps = new TempDirs();
after(() => temps.removeAll());

/** Writes one migration of `shop` and commits it alone; returns the commit. */
function commitMigration(root: string, name: string, parent: string | null, operations: string): string {
  write(root, 'shop', name, migration('shop', parent, operations, parent ? '' : '    initial = True\n'));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', name);
  return git(root, 'rev-parse', 'HEAD').trim();
}

/**
 * main: 0001 (the first commit with migrations), 0002 Item, tag v1.0; 0003 Note, 0004 a NOT NULL
 * column on Note, tag v1.1 (annotated) on 0004; 0005 Shelf, 0006 a NOT NULL column on Shelf; a
 * release branch `2.x` leaves main at 0006 and is tagged v2.0 after a fix of its own; main goes on
 * with 0007 (a NOT NULL column on Item) and 0008 (Bin), and `latest` is put on 0008. Then a `preview`
 * line adds 0009 (Crate) and is tagged v3.0-dev before main merges it; main adds 0010 (a NOT NULL
 * column on Crate) and is tagged v3.1.
 */
function taggedRepository(root: string): Record<string, string> {
  git(root, 'init', '-q');
  const c: Record<string, string> = {};
  c['0001'] = commitMigration(root, '0001_initial', null, create('Order'));
  c['0002'] = commitMigration(root, '0002_item', '0001_initial', create('Item'));
  git(root, 'tag', 'v1.0');
  c['0003'] = commitMigration(root, '0003_note', '0002_item', create('Note'));
  c['0004'] = commitMigration(root, '0004_note_size', '0003_note', addNotNull('note', 'size'));
  git(root, 'tag', '-a', 'v1.1', '-m', 'Release 1.1');
  c['0005'] = commitMigration(root, '0005_shelf', '0004_note_size', create('Shelf'));
  c['0006'] = commitMigration(root, '0006_shelf_size', '0005_shelf', addNotNull('shelf', 'size'));
  git(root, 'checkout', '-qb', '2.x');
  writeFileSync(join(root, 'CHANGES'), 'a fix on the release branch\n');
  git(root, 'add', 'CHANGES');
  git(root, 'commit', '-qm', 'fix for 2.0');
  git(root, 'tag', 'v2.0');
  git(root, 'checkout', '-q', 'main');
  c['0007'] = commitMigration(root, '0007_item_size', '0006_shelf_size', addNotNull('item', 'size'));
  c['0008'] = commitMigration(root, '0008_bin', '0007_item_size', create('Bin'));
  git(root, 'tag', 'latest');
  git(root, 'checkout', '-qb', 'preview');
  c['0009'] = commitMigration(root, '0009_crate', '0008_bin', create('Crate'));
  git(root, 'tag', 'v3.0-dev');
  git(root, 'checkout', '-q', 'main');
  git(root, 'merge', '-q', '--no-ff', '-m', 'Merge branch preview', 'preview');
  c['0010'] = commitMigration(root, '0010_crate_size', '0009_crate', addNotNull('crate', 'size'));
  git(root, 'tag', 'v3.1');
  return c;
}

const names = ['0001_initial', '0002_item', '0003_note', '0004_note_size', '0005_shelf', '0006_shelf_size', '0007_item_size', '0008_bin', '0009_crate', '0010_crate_size'];

describe('releases by tag', () => {
  it('groups what each release tag first held, on a release branch or a line merged later, and nothing the oldest or no tag holds', async () => {
    const root = temps.make();
    const c = taggedRepository(root);
    const files = names.map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    const got = await releasesOf(files, null);
    const of = (n: number) => got.get(files[n - 1] as string)?.replace(`${root}:`, '');
    assert.equal(of(1), undefined, 'the first commit with migrations: unknown');
    // What the oldest tag first held: as the commits tell (the main line may have been deployed as it went).
    assert.equal(of(2), c['0002']);
    // v1.1 first held 0003 and 0004: one release.
    assert.equal(of(3), 'tag:v1.1');
    assert.equal(of(4), 'tag:v1.1');
    // v2.0, on its own branch, holds what main had when the branch left it: 0005 and 0006.
    assert.equal(of(5), 'tag:v2.0');
    assert.equal(of(6), 'tag:v2.0');
    // v3.0-dev held 0009 on its line before main merged it (and 0007, 0008 with it: `latest` is no release);
    // 0010 came after, in v3.1.
    assert.equal(of(7), 'tag:v3.0-dev');
    assert.equal(of(8), 'tag:v3.0-dev');
    assert.equal(of(9), 'tag:v3.0-dev');
    assert.equal(of(10), 'tag:v3.1');
  });

  it('takes the oldest tag by its date, not its name (v9.0 before v10.0)', async () => {
    const root = temps.make();
    git(root, 'init', '-q');
    /** An annotated tag dated `date` (its tagger date: what `creatordate` gives it). */
    const tagOn = (name: string, date: string) => {
      const r = spawnSync('git', ['-c', 'user.email=dev@example.com', '-c', 'user.name=Dev', 'tag', '-a', name, '-m', `Release ${name}`], { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_COMMITTER_DATE: date } });
      assert.equal(r.status, 0, r.stderr);
    };
    commitMigration(root, '0001_initial', null, create('Order'));
    const c2 = commitMigration(root, '0002_item', '0001_initial', create('Item'));
    tagOn('v9.0', '2020-01-01T00:00:00Z');
    commitMigration(root, '0003_note', '0002_item', create('Note'));
    commitMigration(root, '0004_note_size', '0003_note', addNotNull('note', 'size'));
    tagOn('v10.0', '2021-01-01T00:00:00Z');
    const files = ['0002_item', '0003_note', '0004_note_size'].map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    const got = await releasesOf(files, null);
    // v9.0, the oldest by date, is left as the commits tell; by name, v10.0 would be the oldest and nothing grouped.
    assert.equal(got.get(files[0] as string), `${root}:${c2}`);
    assert.equal(got.get(files[1] as string), `${root}:tag:v10.0`);
    assert.equal(got.get(files[2] as string), `${root}:tag:v10.0`);
  });

  it('groups by tag what a merge that only brought the branch up to date added (review 69: open-inwoner\'s pulls)', async () => {
    const root = temps.make();
    git(root, 'init', '-q');
    commitMigration(root, '0001_initial', null, create('Order'));
    commitMigration(root, '0002_item', '0001_initial', create('Item'));
    git(root, 'tag', 'v1.0');
    // Someone else's commits, one migration each, pulled into this clone by a merge.
    git(root, 'checkout', '-qb', 'upstream');
    commitMigration(root, '0003_box', '0002_item', create('Box'));
    commitMigration(root, '0004_box_size', '0003_box', addNotNull('box', 'size'));
    git(root, 'checkout', '-q', 'main');
    writeFileSync(join(root, 'NOTES'), 'local work\n');
    git(root, 'add', 'NOTES');
    git(root, 'commit', '-qm', 'local work');
    git(root, 'merge', '-q', '--no-ff', '-m', "Merge branch 'main' of github.com:shop/shop", 'upstream');
    const files = ['0003_box', '0004_box_size'].map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    // Untagged: what the pull brought is no release of this branch.
    assert.deepEqual([...(await releasesOf(files, null)).values()], []);
    git(root, 'tag', 'v1.1');
    const got = await releasesOf(files, null);
    assert.equal(got.get(files[0] as string), `${root}:tag:v1.1`);
    assert.equal(got.get(files[1] as string), `${root}:tag:v1.1`);
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    assert.ok(!found.includes('shop/migrations/0004_box_size.py add-field-not-null'), found.join('\n'));
  });

  it('keeps what a tag held of a migration folder moved under the same names (review 68: plane moved apiserver/ to apps/api/)', async () => {
    const root = temps.make();
    taggedRepository(root);
    const before = await releasesOf(names.map((n) => join(root, 'shop', 'migrations', `${n}.py`)), null);
    mkdirSync(join(root, 'apps'));
    renameSync(join(root, 'shop'), join(root, 'apps', 'shop'));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'move the app');
    git(root, 'tag', 'v4.0');
    const moved = await releasesOf(names.map((n) => join(root, 'apps', 'shop', 'migrations', `${n}.py`)), null);
    assert.deepEqual(
      names.map((n) => moved.get(join(root, 'apps', 'shop', 'migrations', `${n}.py`))?.replace(`${root}:`, '')),
      names.map((n) => before.get(join(root, 'shop', 'migrations', `${n}.py`))?.replace(`${root}:`, '')),
    );
  });

  it('sees a tag made later, with HEAD where it was, through the history kept on disk', async () => {
    const root = temps.make();
    const c = taggedRepository(root);
    const cache = temps.make();
    const files = names.map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    git(root, 'tag', '-d', 'v3.0-dev', 'v3.1');
    const before = await releasesOf(files, cache);
    assert.equal(before.get(files[6] as string), `${root}:${c['0007']}`, 'held by no release tag');
    const fingerprint = tagsFromFiles(root);
    assert.ok(fingerprint);
    // v2.1 on 0008: 0007 and 0008 are now the release after v2.0.
    git(root, 'tag', 'v2.1', c['0008'] as string);
    assert.notEqual(tagsFromFiles(root), fingerprint);
    const after1 = await releasesOf(files, cache);
    assert.equal(after1.get(files[6] as string), `${root}:tag:v2.1`);
    assert.equal(after1.get(files[7] as string), `${root}:tag:v2.1`);
    assert.equal(after1.get(files[9] as string), `${root}:${c['0010']}`);
    // Packed, the same tags give the same answer; deleted, the grouping goes.
    git(root, 'pack-refs', '--all');
    assert.deepEqual([...(await releasesOf(files, cache))].sort(), [...after1].sort());
    git(root, 'tag', '-d', 'v2.1');
    assert.equal((await releasesOf(files, cache)).get(files[6] as string), `${root}:${c['0007']}`);
  });

  it('check says nothing of a column added to a table the same release tag made, reports those of later tags, and release-tags = false groups none', () => {
    const root = temps.make();
    taggedRepository(root);
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    assert.ok(!found.includes('shop/migrations/0004_note_size.py add-field-not-null'), found.join('\n'));
    assert.ok(!found.includes('shop/migrations/0006_shelf_size.py add-field-not-null'), found.join('\n'));
    // Item came with v1.0; its column with v3.0-dev. Crate came with v3.0-dev, its column with v3.1.
    assert.ok(found.includes('shop/migrations/0007_item_size.py add-field-not-null'), found.join('\n'));
    assert.ok(found.includes('shop/migrations/0010_crate_size.py add-field-not-null'), found.join('\n'));
    // A project that deploys its main line continuously says so: each commit is a release again.
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nrelease-tags = false\n');
    const untagged = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    for (const n of ['0004_note_size', '0006_shelf_size', '0007_item_size']) assert.ok(untagged.includes(`shop/migrations/${n}.py add-field-not-null`), untagged.join('\n'));
    writeFileSync(join(root, 'pyproject.toml'), '[tool.migration-guard]\nrelease-tags = "yes"\n');
    assert.match(runCli(['check', '--no-cache', '.'], root, { env: withHistory() }).stderr, /release-tags must be true or false/);
    // Without the history, all three.
    const off = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: { ...withHistory(), MIGRATION_GUARD_GIT_HISTORY: '0' } })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    for (const n of ['0004_note_size', '0006_shelf_size', '0007_item_size']) assert.ok(off.includes(`shop/migrations/${n}.py add-field-not-null`), off.join('\n'));
  });

  it("takes an app's first migration added again to its emptied folder as new, by commit and by tag (review 79: kitsune customercare; review 77: bluebutton dot_ext)", async () => {
    const root = temps.make();
    git(root, 'init', '-q');
    commitMigration(root, '0001_initial', null, create('Order'));
    commitMigration(root, '0002_item', '0001_initial', create('Item'));
    git(root, 'tag', 'v1.0');
    // The app's migrations go (the app is dropped), a release ships without them…
    git(root, 'rm', '-q', join('shop', 'migrations', '0001_initial.py'), join('shop', 'migrations', '0002_item.py'));
    git(root, 'commit', '-qm', 'drop the shop app');
    git(root, 'tag', 'v2.0');
    // …and the app is made anew: a new 0001 under the old name, new tables, a column added to one in the same release.
    const again = commitMigration(root, '0001_initial', null, create('Ticket'));
    const later = commitMigration(root, '0002_ticket_size', '0001_initial', addNotNull('ticket', 'size'));
    const files = ['0001_initial', '0002_ticket_size'].map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    const byCommit = await releasesOf(files, null);
    assert.equal(byCommit.get(files[0] as string), `${root}:${again}`, 'the new add, not the 2013-style first one');
    assert.equal(byCommit.get(files[1] as string), `${root}:${later}`);
    git(root, 'tag', 'v3.0');
    const byTag = await releasesOf(files, null);
    assert.equal(byTag.get(files[0] as string), `${root}:tag:v3.0`);
    assert.equal(byTag.get(files[1] as string), `${root}:tag:v3.0`);
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    assert.ok(!found.includes('shop/migrations/0002_ticket_size.py add-field-not-null'), found.join('\n'));
  });

  it("keeps the oldest add of a first migration rewritten while the app's others stay (a reset in one commit: its tables shipped)", async () => {
    const root = temps.make();
    git(root, 'init', '-q');
    commitMigration(root, '0001_initial', null, create('Order'));
    const first = commitMigration(root, '0002_item', '0001_initial', create('Item'));
    git(root, 'tag', 'v1.0');
    // Deleted and added again in two commits, but the folder kept 0002 between them: no new app.
    git(root, 'rm', '-q', join('shop', 'migrations', '0001_initial.py'));
    git(root, 'commit', '-qm', 'oops');
    commitMigration(root, '0001_initial', null, create('Order'));
    commitMigration(root, '0003_order_size', '0002_item', addNotNull('order', 'size'));
    git(root, 'tag', 'v2.0');
    const files = ['0002_item', '0003_order_size'].map((n) => join(root, 'shop', 'migrations', `${n}.py`));
    const got = await releasesOf(files, null);
    assert.equal(got.get(files[0] as string), `${root}:${first}`);
    const found = jsonFindings(runCli(['check', '--no-cache', '--format', 'json', '.'], root, { env: withHistory() })).map((f) => `${f.path.replace(/\\/g, '/')} ${f.rule}`);
    assert.ok(found.includes('shop/migrations/0003_order_size.py add-field-not-null'), found.join('\n'));
  });
});

/**
 * A `check` run remembered whole (cli/run-memo.ts): the next run with the same command line prints
 * what it printed, with its exit status, when nothing it looked at changed — and checks again when a
 * migration's bytes, a folder's entries, a settings file, the command line or git's answers changed.
 *
 * To tell a replay from a run that checked, each test rewrites the remembered output to a marker
 * once it is written: a run that prints the marker was replayed. The files must be older than the
 * racy window (2 s) for a run to be remembered at all: the projects are made first, then the suite
 * waits once.
 */
import assert from 'node:assert/strict';
import { cpSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { runCli, SAVE_LOOP_MIGRATION, TempDirs, writeFileIn } from './helpers/cli';
import { git, releaseRepository, withHistory } from './helpers/release-repo';
import { replay, RunRecorder, runKey } from '../server/src/cli/run-memo';
import { toolId } from '../server/src/cli/run-cache';

const temps = new TempDirs();
const MARK = 'REPLAYED FROM THE MEMO\n';

const INITIAL = `from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(name="Item", fields=[("id", models.AutoField(primary_key=True)), ("flag", models.BooleanField(default=False))]),
    ]
`;

interface Project {
  root: string;
  cache: string;
}

function project(extra: (root: string) => void = () => {}): Project {
  const root = temps.make('mg-memo-');
  writeFileIn(join(root, 'shop', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  writeFileIn(join(root, 'shop', 'migrations', '0001_initial.py'), INITIAL);
  writeFileIn(join(root, 'shop', 'migrations', '0002_flag.py'), SAVE_LOOP_MIGRATION);
  extra(root);
  return { root, cache: join(temps.make('mg-memo-cache-'), 'c') };
}

/** The remembered runs in a cache folder. */
function memos(cache: string): string[] {
  try {
    return readdirSync(cache).filter((n) => n.startsWith('run-') && n.endsWith('.bin'));
  } catch {
    return [];
  }
}

/** Makes every remembered run print MARK on stdout (and nothing on stderr). */
function mark(cache: string): void {
  const found = memos(cache);
  assert.ok(found.length > 0, `no run remembered in ${cache}`);
  for (const n of found) {
    const file = join(cache, n);
    const pack = deserialize(readFileSync(file)) as { printed: { stream: number; bytes: Uint8Array }[] };
    pack.printed = [{ stream: 0, bytes: Buffer.from(MARK) }];
    writeFileSync(file, serialize(pack));
  }
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, MIGRATION_GUARD_GIT_HISTORY: '0' });

function check(p: Project, args: string[] = [], e: NodeJS.ProcessEnv = env()): ReturnType<typeof runCli> {
  return runCli(['check', '--cache-dir', p.cache, ...args, '.'], p.root, { env: e });
}

const plain = project();
const edited = project();
const added = project();
const settings = project();
const removedSettings = project((root) => writeFileIn(join(root, 'pyproject.toml'), '[tool.migration-guard.rules]\nrunpython-no-reverse = "off"\n'));
const options = project();
const uncached = project();
const many = project((root) => {
  // More files than a run takes on one thread: a cold run with --jobs 2 starts workers.
  for (let i = 3; i < 215; i++) writeFileIn(join(root, 'shop', 'migrations', `${String(i).padStart(4, '0')}_more.py`), `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "${String(i - 1).padStart(4, '0')}_${i === 3 ? 'flag' : 'more'}")]\n    operations = []\n`);
});
const repo = temps.make('mg-memo-git-');
releaseRepository(repo);
const tagged = temps.make('mg-memo-tag-');
releaseRepository(tagged);
const ignoring = temps.make('mg-memo-ignore-');
releaseRepository(ignoring);
writeFileIn(join(ignoring, '.gitignore'), '# nothing yet\n');

// Review of the run memo (an adversarial helper's five stale replays): a cache folder that holds the project,
// a project under /dev, a link in the middle of a path retargeted, another user, a history grafted.
const holding = project();
holding.cache = holding.root;
const shm = temps.makeIn('/dev/shm', 'mg-memo-shm-');
const underDev = { root: shm, cache: join(temps.make('mg-memo-cache-'), 'c') };
project((root) => cpSync(root, shm, { recursive: true }));
const linked = temps.make('mg-memo-linked-');
const outside = temps.make('mg-memo-outside-');
{
  cpSync(project().root, linked, { recursive: true });
  git(linked, 'init', '-q');
  writeFileIn(join(linked, 'ext', 'a', '0003_more.py'), `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_flag")]\n    operations = [migrations.AddField(model_name="item", name="qty", field=models.IntegerField(default=0))]\n`);
  symlinkSync(join(outside, 'cur', '0003_more.py'), join(linked, 'shop', 'migrations', '0003_more.py'));
  git(linked, 'add', '-A');
  git(linked, 'commit', '-qm', 'all');
  mkdirSync(join(linked, 'ext', 'b'));
  linkSync(join(linked, 'ext', 'a', '0003_more.py'), join(linked, 'ext', 'b', '0003_more.py'));
  symlinkSync(join(linked, 'ext', 'a'), join(outside, 'cur'));
}
const grafted = temps.make('mg-memo-graft-');
{
  const p = project();
  cpSync(p.root, grafted, { recursive: true });
  rmSync(join(grafted, 'shop', 'migrations', '0002_flag.py'));
  git(grafted, 'init', '-q');
  git(grafted, 'add', '-A');
  git(grafted, 'commit', '-qm', 'start');
  writeFileIn(join(grafted, 'shop', 'migrations', '0002_thing.py'), `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0001_initial")]\n    operations = [migrations.CreateModel(name="Thing", fields=[("id", models.AutoField(primary_key=True)), ("name", models.CharField(max_length=10))])]\n`);
  git(grafted, 'add', '-A');
  git(grafted, 'commit', '-qm', 'thing');
  writeFileIn(join(grafted, 'shop', 'migrations', '0003_thing_more.py'), `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_thing")]\n    operations = [migrations.RemoveField(model_name="thing", name="name")]\n`);
  git(grafted, 'add', '-A');
  git(grafted, 'commit', '-qm', 'more');
}

before(async () => {
  // Everything above older than the racy window.
  await new Promise((r) => setTimeout(r, 2_300));
});
after(() => temps.removeAll());

describe('check: a run remembered whole', () => {
  it('prints the remembered run again, with its exit status, when nothing changed', () => {
    const first = check(plain);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stdout, /unbatched-save-loop/);
    assert.equal(memos(plain.cache).length, 1);
    // Unmarked, the replay is what the first run printed, byte for byte, on both streams.
    const again = check(plain);
    assert.deepEqual(again, first);
    mark(plain.cache);
    const replayed = check(plain);
    assert.equal(replayed.stdout, MARK);
    assert.equal(replayed.code, 1);
  });

  it("checks again after a migration's bytes change, even keeping its size, and does not remember a run over a file changed just before it", () => {
    check(edited);
    mark(edited.cache);
    const file = join(edited.root, 'shop', 'migrations', '0002_flag.py');
    writeFileSync(file, readFileSync(file, 'utf8').replace('item.flag = True', 'item.flag = 1   '));
    const after = check(edited);
    assert.notEqual(after.stdout, MARK);
    assert.match(after.stdout, /unbatched-save-loop/);
    // The edit is younger than the racy window: that run was not remembered, the marked one is still the only one.
    assert.equal(memos(edited.cache).length, 1);
    assert.notEqual(check(edited).stdout, MARK);
  });

  it('checks again when a migration is added to a folder', () => {
    check(added);
    mark(added.cache);
    writeFileIn(join(added.root, 'shop', 'migrations', '0003_drop.py'), `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_flag")]\n    operations = [migrations.RemoveField(model_name="item", name="flag")]\n`);
    const after = check(added);
    assert.notEqual(after.stdout, MARK);
    assert.match(after.stdout, /0003_drop\.py.*drop-column/);
  });

  it('checks again when a settings file appears where the run found none, or goes', () => {
    check(settings);
    mark(settings.cache);
    writeFileIn(join(settings.root, 'pyproject.toml'), '[tool.migration-guard.rules]\nunbatched-save-loop = "off"\n');
    const after = check(settings);
    assert.notEqual(after.stdout, MARK);
    assert.doesNotMatch(after.stdout, /unbatched-save-loop/);

    const before = check(removedSettings);
    assert.doesNotMatch(before.stdout, /runpython-no-reverse/);
    mark(removedSettings.cache);
    rmSync(join(removedSettings.root, 'pyproject.toml'));
    const gone = check(removedSettings);
    assert.notEqual(gone.stdout, MARK);
    assert.match(gone.stdout, /runpython-no-reverse/);
  });

  it('is kept per command line: other options check (and are remembered apart)', () => {
    check(options);
    mark(options.cache);
    const selected = check(options, ['--select', 'runpython-no-reverse']);
    assert.notEqual(selected.stdout, MARK);
    assert.doesNotMatch(selected.stdout, /unbatched-save-loop/);
    assert.equal(memos(options.cache).length, 2);
    assert.equal(check(options).stdout, MARK);
  });

  it('remembers nothing without the cache, nor a run that started worker threads', () => {
    runCli(['check', '--no-cache', '.'], uncached.root, { env: env() });
    assert.deepEqual(memos(join(uncached.root, '.migration-guard-cache')), []);

    const cold = check(many, ['--jobs', '2']);
    assert.equal(cold.code, 1, cold.stderr);
    assert.deepEqual(memos(many.cache), []);
    // The next run answers from the cache on this thread alone: remembered.
    const warm = check(many, ['--jobs', '2']);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(memos(many.cache).length, 1);
  });

  it("asks git again: a file staged, a tag made or a file ignored since is another run's matter", () => {
    /** Runs twice in `root` (the first reads the history in full and is not remembered), marks the second's memo and sees it printed; then `change` and checks. */
    const afterChange = (root: string, change: () => void): ReturnType<typeof runCli> => {
      const p = { root, cache: join(temps.make('mg-memo-cache-'), 'c') };
      const first = check(p, [], withHistory());
      assert.equal(first.code, 1, first.stderr);
      assert.deepEqual(check(p, [], withHistory()), first);
      mark(p.cache);
      assert.equal(check(p, [], withHistory()).stdout, MARK);
      change();
      return check(p, [], withHistory());
    };
    // Staging the untracked migration changes what `git status` says (and git's index).
    assert.notEqual(afterChange(repo, () => git(repo, 'add', 'shop/migrations/0006_remove_item_sku.py')).stdout, MARK);
    assert.notEqual(afterChange(tagged, () => git(tagged, 'tag', 'v1.0')).stdout, MARK);
    // A file no run reads changes only git's answer: the untracked migration is ignored from now on.
    assert.notEqual(afterChange(ignoring, () => writeFileSync(join(ignoring, '.gitignore'), 'shop/migrations/0006_*\n')).stdout, MARK);
  });
});

describe('check: what a remembered run is compared on (review of the run memo)', () => {
  /** Runs thrice (the last two may be replayed), changes, and compares with a run that checks. */
  const staleAfter = (p: Project, args: string[], change: () => void, e: NodeJS.ProcessEnv = env()): { cached: ReturnType<typeof runCli>; fresh: ReturnType<typeof runCli> } => {
    for (let i = 0; i < 3; i++) check(p, args, e);
    change();
    const cached = check(p, args, e);
    const fresh = runCli(['check', '--no-cache', ...args, '.'], p.root, { env: e });
    return { cached, fresh };
  };

  it('never replays a run whose cache folder holds the project (--cache-dir . or a folder above it)', () => {
    const { cached, fresh } = staleAfter(holding, [], () => writeFileSync(join(holding.root, 'shop', 'migrations', '0002_flag.py'), INITIAL.replace('initial = True\n    dependencies = []', 'dependencies = [("shop", "0001_initial")]').replace('"Item"', '"Other"')));
    assert.equal(cached.stdout, fresh.stdout);
    assert.equal(cached.code, fresh.code);
    assert.deepEqual(memos(holding.root), []);
  });

  it('records paths under /dev as any other (a project in /dev/shm)', () => {
    const { cached, fresh } = staleAfter(underDev, [], () => rmSync(join(shm, 'shop', 'migrations', '0002_flag.py')));
    assert.equal(cached.stdout, fresh.stdout);
    assert.doesNotMatch(cached.stdout, /unbatched-save-loop/);
  });

  it('asks realpath again: a link in the middle of a path retargeted to another name of the same file', () => {
    const p = { root: linked, cache: join(temps.make('mg-memo-cache-'), 'c') };
    const { cached, fresh } = staleAfter(p, ['--changed-since', 'HEAD'], () => {
      rmSync(join(outside, 'cur'));
      symlinkSync(join(linked, 'ext', 'b'), join(outside, 'cur'));
    });
    assert.equal(cached.stdout, fresh.stdout);
    assert.equal(cached.code, fresh.code);
  });

  it("keeps the runs of different users apart (one may not read what another can)", () => {
    const key = runKey({ paths: ['.'] }, '/project');
    const real = process.getuid;
    process.getuid = () => 4242;
    try {
      assert.notEqual(runKey({ paths: ['.'] }, '/project'), key);
    } finally {
      process.getuid = real;
    }
    assert.equal(runKey({ paths: ['.'] }, '/project'), key);
  });

  it('reads the history again when a graft or replace ref rewrites it under the same HEAD', () => {
    const p = { root: grafted, cache: join(temps.make('mg-memo-cache-'), 'c') };
    // 0002 and 0003 now ship in one commit: the column 0003 drops is new to that release.
    const { cached, fresh } = staleAfter(p, [], () => git(grafted, 'replace', '--graft', 'HEAD', 'HEAD~2'), withHistory());
    assert.equal(cached.stdout, fresh.stdout);
    assert.doesNotMatch(fresh.stdout, /drop-column/);
  });
});

describe('check: a remembered run that cannot be read', () => {
  it('is no run at all: a damaged or foreign pack is passed over, never half replayed', async () => {
    const dir = temps.make('mg-memo-damaged-');
    const key = runKey({ paths: ['.'] }, dir);
    const good = { format: 1, tool: toolId(), key, paths: '', numbers: new Float64Array(0), git: [], resolved: [], printed: [{ stream: 0, bytes: Buffer.from(MARK) }], code: 0 };
    const file = (): string => {
      const found = readdirSync(dir).filter((n) => n.startsWith('run-'));
      assert.equal(found.length, 1);
      return join(dir, found[0] as string);
    };
    // The file name is the key's: made by the recorder (a run that met nothing), then overwritten.
    const recorder = new RunRecorder(join(dir, 'elsewhere'));
    assert.equal(recorder.save(dir, key, 0), null);
    const named = file();
    writeFileSync(named, serialize(good));
    assert.deepEqual(await replay(dir, key), { printed: [{ stream: 0, text: MARK }], code: 0 });
    for (const damaged of [
      { ...good, git: 'not a list' },
      { ...good, git: [{ cwd: dir, args: 'status', timeoutMs: 0, result: {} }] },
      { ...good, printed: [{ stream: 2, bytes: Buffer.from('x') }] },
      { ...good, printed: [{ stream: 0, bytes: 'text' }] },
      { ...good, numbers: [1, 2, 3, 4, 5], paths: 's/x' },
      { ...good, code: '1' },
      { ...good, resolved: [['/x']] },
      { ...good, paths: 's/x', numbers: new Float64Array(4) },
      { ...good, tool: 'another build' },
      null,
      'text',
    ]) {
      writeFileSync(named, serialize(damaged));
      assert.equal(await replay(dir, key), null, JSON.stringify(damaged));
    }
    writeFileSync(named, Buffer.from('not a pack'));
    assert.equal(await replay(dir, key), null);
  });
});

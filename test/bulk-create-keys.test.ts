/**
 * "Batch this loop" splits a loop that uses what its create() returns where the create stands: the
 * creates are saved with bulk_create(), and the rest of the loop reads their primary keys. Django
 * sets those keys on PostgreSQL, and on SQLite from Django 4.0; on MySQL it does not (a blind review
 * found such templates offered with nothing said). The split is offered only where the database in
 * the settings gets the keys, and the message says why it is not elsewhere.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_TARGET_DATABASE, type TargetDatabase } from '../server/src/analysis/target-database';
import { lint } from './helpers/lint';
import { FIXTURES } from './helpers/paths';

const SOURCE = readFileSync(join(FIXTURES, 'fixes', 'unbatched-save-loop', 'create-result-used.py'), 'utf8');
const SPLIT = /^Batch this loop: create the rows \d+ at a time, then run the rest of the loop for each/;

async function outerFinding(target: TargetDatabase): Promise<{ message: string; titles: string[] }> {
  const { findings } = await lint(SOURCE, { target });
  const loops = findings.filter((f) => f.rule === 'unbatched-save-loop');
  const split = loops.find((f) => /uses what the write returns/.test(f.message) || f.fixes.some((x) => SPLIT.test(x.title)));
  assert.ok(split, `no finding of the loop that uses its create(): ${loops.map((f) => f.message).join('\n')}`);
  return { message: split.message, titles: split.fixes.map((x) => x.title) };
}

describe('the split at a create needs the primary keys bulk_create() returns', () => {
  it('is offered on PostgreSQL (the default) and on SQLite from Django 4.0', async () => {
    for (const target of [DEFAULT_TARGET_DATABASE, { ...DEFAULT_TARGET_DATABASE, vendor: 'sqlite' as const, djangoVersion: [4, 0] as const }]) {
      const { titles } = await outerFinding(target);
      assert.ok(titles.some((t) => SPLIT.test(t)), `${target.vendor} ${target.djangoVersion.join('.')}: ${titles.join(' | ')}`);
    }
  });

  it('is not offered on MySQL, nor on SQLite before Django 4.0, and the message says why', async () => {
    const cases: Array<[TargetDatabase, RegExp]> = [
      [{ ...DEFAULT_TARGET_DATABASE, vendor: 'mysql' }, /the loop uses what the write returns, and bulk_create\(\) gives the new rows no primary keys on MySQL/],
      [{ ...DEFAULT_TARGET_DATABASE, vendor: 'sqlite', djangoVersion: [3, 2] }, /no primary keys on SQLite before Django 4\.0/],
    ];
    for (const [target, why] of cases) {
      const { message, titles } = await outerFinding(target);
      assert.ok(!titles.some((t) => SPLIT.test(t)), `${target.vendor}: ${titles.join(' | ')}`);
      assert.match(message, why);
    }
  });
});

/**
 * Reading which database backends an arm of an `if` (or a conditional expression) cannot run on:
 * the tests projects write (`'sqlite3' in db_engine`, `connection.vendor == 'postgresql'`, `not`,
 * `and`, `or`, `elif` after `elif`), and the ones it must not read (an unknown name, a computed string).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scope } from '../server/src/analysis/scope';
import type { Node } from '../server/src/analysis/syntax';
import { armsNotRunOn } from '../server/src/analysis/vendor-branch';
import { getParser } from './helpers/lint';

/** The arms of the first `if` of `source` (module level), each as the vendors it does not run on. */
async function arms(source: string): Promise<string[][]> {
  const tree = (await getParser()).parse(source);
  try {
    const root = tree.rootNode as unknown as Node;
    const stmt = root.namedChildren.find((n) => n.type === 'if_statement');
    assert.ok(stmt, 'an if statement');
    const alternatives = stmt.childrenForFieldName('alternative');
    const conditions = [stmt.childForFieldName('condition'), ...alternatives.map((a) => (a.type === 'elif_clause' ? a.childForFieldName('condition') : null))];
    return armsNotRunOn(conditions, Scope.lazy(root, null)).map((a) => [...a]);
  } finally {
    tree.delete();
  }
}

const ENGINE = "from django.db import connection\ndb_engine = connection.settings_dict['ENGINE']\n";

describe('backend tests in a migration', () => {
  it("reads 'x' in the ENGINE, through a name bound to it, with elif and else", async () => {
    const src = `${ENGINE}if 'sqlite3' in db_engine:\n    pass\nelif 'postgresql' in db_engine:\n    pass\nelse:\n    pass\n`;
    assert.deepEqual(await arms(src), [['postgresql', 'mysql'], ['mysql', 'sqlite'], ['postgresql', 'sqlite']]);
  });

  it('reads connection.vendor compared with ==, !=, and not / and / or', async () => {
    assert.deepEqual(await arms("from django.db import connection\nif connection.vendor == 'postgresql':\n    pass\nelse:\n    pass\n"), [['mysql', 'sqlite'], ['postgresql']]);
    assert.deepEqual(await arms("from django.db import connection\nif connection.vendor != 'sqlite':\n    pass\n"), [['sqlite']]);
    assert.deepEqual(await arms(`${ENGINE}if not 'mysql' in db_engine and connection.vendor != 'sqlite':\n    pass\n`), [['mysql', 'sqlite']]);
    assert.deepEqual(await arms(`${ENGINE}if 'mysql' in db_engine or 'sqlite3' in db_engine:\n    pass\nelse:\n    pass\n`), [['postgresql'], ['mysql', 'sqlite']]);
  });

  it('decides nothing from what it cannot read', async () => {
    assert.deepEqual(await arms("import os\nif os.environ.get('DB') == 'postgresql':\n    pass\nelse:\n    pass\n"), [[], []]);
    assert.deepEqual(await arms(`${ENGINE}if PREFIX + 'sqlite3' in db_engine:\n    pass\n`), [[]]);
    // A name bound twice is ambiguous: no reading through it.
    assert.deepEqual(await arms(`${ENGINE}db_engine = 'x'\nif 'sqlite3' in db_engine:\n    pass\n`), [[]]);
    // An unknown test on one side of `or` leaves the arm possible everywhere it may be true.
    assert.deepEqual(await arms(`${ENGINE}if 'mysql' in db_engine or FORCE:\n    pass\n`), [[]]);
  });
});

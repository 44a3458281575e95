/**
 * The join table's keys a many-to-many add() writes (project/m2m-link.ts): Django's own join table
 * named from the two models, an explicit through model's two foreign keys with a unique pair, and
 * no answer where add() would do more than insert one row per link (a link of a model to itself may
 * be symmetrical; a package's field class; a through model without a unique pair, or with two keys
 * to one end).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldSpec } from '../server/src/analysis/fields';
import { manyToManyLink, type ThroughFields } from '../server/src/analysis/project/m2m-link';
import type { ModelState } from '../server/src/analysis/project/state';

const str = (value: string) => ({ kind: 'str', value }) as const;

function m2m(to: string, through: string | null = null, cls = 'ManyToManyField'): FieldSpec {
  return { cls, builtin: cls === 'ManyToManyField', relation: { kind: 'many-to-many', to: str(to), through, toField: null } } as unknown as FieldSpec;
}

function model(app: string, name: string, fields: Record<string, FieldSpec | null>): ModelState {
  return { app, name, fields: new Map(Object.entries(fields)), options: {}, bases: [] } as unknown as ModelState;
}

const fk = (to: string, toField: string | null = null) => ({ relation: { kind: 'foreign-key', to: str(to), toField } });

function through(fields: ThroughFields['fields'], unique: boolean | null): ThroughFields {
  return { fields, uniqueWithin: () => unique };
}

describe('many-to-many links as rows of the through model', () => {
  it("names Django's join table keys from the two models' names", () => {
    const contact = model('tenancy', 'Contact', { groups: m2m('tenancy.ContactGroup') });
    assert.deepEqual(manyToManyLink([contact], 'groups', () => null), { source: 'contact_id', target: 'contactgroup_id', auto: true, to: { app: 'tenancy', model: 'contactgroup' } });
  });

  it('skips states before the field was added, and gives no answer where the states disagree', () => {
    const before = model('tenancy', 'Contact', {});
    const after = model('tenancy', 'Contact', { groups: m2m('ContactGroup') });
    assert.equal(manyToManyLink([before, after], 'groups', () => null)?.target, 'contactgroup_id');
    const other = model('tenancy', 'Contact', { groups: m2m('tenancy.Team') });
    assert.equal(manyToManyLink([after, other], 'groups', () => null), null);
  });

  it('gives no answer for a link of a model to itself, a package field, or a field that is not many-to-many', () => {
    assert.equal(manyToManyLink([model('people', 'Person', { friends: m2m('self') })], 'friends', () => null), null);
    assert.equal(manyToManyLink([model('people', 'Person', { friends: m2m('people.Person') })], 'friends', () => null), null);
    assert.equal(manyToManyLink([model('news', 'Post', { tags: m2m('taggit.Tag', null, 'TaggableManager') })], 'tags', () => null), null);
    assert.equal(manyToManyLink([model('news', 'Post', { tags: null })], 'tags', () => null), null);
  });

  it("takes an explicit through model's two foreign keys where a unique constraint covers the pair", () => {
    const warehouse = model('shop', 'Warehouse', { stockists: m2m('shop.customer', 'shop.Stocking') });
    const stocking = new Map<string, ReturnType<typeof fk> | { relation: null }>([
      ['id', { relation: null }],
      ['customer', fk('shop.customer')],
      ['warehouse', fk('Warehouse')],
    ]);
    const asked: string[] = [];
    const fieldsOf = (unique: boolean | null) => (app: string, m: string) => {
      asked.push(`${app}.${m}`);
      return through(stocking, unique);
    };
    assert.deepEqual(manyToManyLink([warehouse], 'stockists', fieldsOf(true)), { source: 'warehouse_id', target: 'customer_id', auto: false, to: { app: 'shop', model: 'customer' } });
    assert.deepEqual(asked, ['shop.stocking']);
    // No unique pair: add() skips a link that exists, an insert that ignores conflicts would not.
    assert.equal(manyToManyLink([warehouse], 'stockists', fieldsOf(false)), null);
    assert.equal(manyToManyLink([warehouse], 'stockists', fieldsOf(null)), null);
    // A key to a field other than the primary key: add() is given the object, not that value.
    const byCode = new Map([...stocking, ['customer', fk('shop.customer', 'code')]]);
    assert.equal(manyToManyLink([warehouse], 'stockists', () => through(byCode, true)), null);
    // Two keys to one end: which one add() fills is through_fields', not read here.
    const twice = new Map([...stocking, ['referrer', fk('shop.Customer')]]);
    assert.equal(manyToManyLink([warehouse], 'stockists', () => through(twice, true)), null);
  });
});

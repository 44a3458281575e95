/**
 * How a many-to-many field's links are rows of its through model: the keyword arguments that name
 * the two ends (`contact_id=…`, `contactgroup_id=…`), so a loop that calls `row.groups.add(g)` per
 * row can build the through rows itself and insert a batch of them at once. Django names the
 * columns of a join table it makes from the two models' names (`from_`/`to_` when they are the
 * same, and a link of a model to itself may be symmetrical: not answered); an explicit through
 * model's are its two foreign keys to the two ends.
 */
import type { Value } from '../values';
import type { ModelState } from './state';

export interface ManyToManyLink {
  /** The through model's keyword for the key of the row the field belongs to (`contact_id`). */
  source: string;
  /** The keyword for the key of the object linked (`contactgroup_id`). */
  target: string;
  /** Django made the join table: its model has a plain `objects` manager and a unique pair of keys. */
  auto: boolean;
  /** The model the field links to, as app label and lower-case model name. */
  to: { app: string; model: string };
}

/** What the through model's fields and unique constraints are, as the project view answers. */
export interface ThroughFields {
  fields: ReadonlyMap<string, { relation?: { kind: string; to: Value; toField: string | null | undefined } | null } | null>;
  uniqueWithin?: (names: readonly string[]) => boolean | null;
}

/** `'shop.Order'`, `'Order'` (of `app`), `'self'` (of `self`) as app and lower-case model name; null otherwise. */
function modelRef(to: Value | undefined, app: string, self: { app: string; model: string }): { app: string; model: string } | null {
  const ref = to && to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(to.value) : null;
  if (!ref) return null;
  if (ref[2] === 'self' && !ref[1]) return self;
  return { app: (ref[1] ?? app).toLowerCase(), model: (ref[2] as string).toLowerCase() };
}

const same = (a: { app: string; model: string }, b: { app: string; model: string }) => a.app === b.app && a.model === b.model;

/**
 * The link of field `name` of a model (its states during the migration, each must agree), or null:
 * not Django's own ManyToManyField (a package's add() may do more: taggit takes tag names, sortedm2m
 * keeps an order), the target or the through model unknown, a through model whose two ends are not
 * one foreign key each to a primary key, or whose pair of keys no unique constraint covers (add()
 * skips a link that exists; an insert that ignores conflicts skips it only where one does).
 */
export function manyToManyLink(own: readonly ModelState[], name: string, throughOf: (app: string, model: string) => ThroughFields | null): ManyToManyLink | null {
  let out: ManyToManyLink | null = null;
  for (const entry of own) {
    const spec = entry.fields.get(name);
    // A state before the operation that adds the field (the RunPython runs after it).
    if (spec === undefined) continue;
    const rel = spec?.relation;
    if (!spec || !spec.builtin || spec.cls !== 'ManyToManyField' || rel?.kind !== 'many-to-many' || rel.through === undefined) return null;
    const from = { app: entry.app.toLowerCase(), model: entry.name.toLowerCase() };
    const to = modelRef(rel.to, entry.app, from);
    if (!to) return null;
    let link: ManyToManyLink;
    if (rel.through === null) {
      // A link of a model to itself may be symmetrical (`'self'`): add() then inserts both directions.
      if (to.model === from.model) return null;
      // Django's create_many_to_many_intermediary_model: the lower-case model names.
      link = { source: `${from.model}_id`, target: `${to.model}_id`, auto: true, to };
    } else {
      const through = modelRef({ kind: 'str', value: rel.through } as Value, entry.app, from);
      const fields = through ? throughOf(through.app, through.model) : null;
      if (!through || !fields || same(from, to)) return null;
      // Every foreign key of the through model, with the model it points at (any unreadable: no answer).
      const keys: Array<[string, { app: string; model: string }, string | null | undefined]> = [];
      for (const [key, f] of fields.fields) {
        if (f === null) return null;
        if (f.relation?.kind !== 'foreign-key') continue;
        const points = modelRef(f.relation.to, through.app, through);
        if (!points) return null;
        keys.push([key, points, f.relation.toField]);
      }
      const ends = (end: { app: string; model: string }) => keys.filter(([, points]) => same(points, end));
      const [source, ...moreSources] = ends(from);
      const [target, ...moreTargets] = ends(to);
      if (!source || !target || moreSources.length > 0 || moreTargets.length > 0) return null;
      // The keys must be the ends' primary keys: a to_field's value is not what add() is given.
      if (source[2] !== null || target[2] !== null) return null;
      if (fields.uniqueWithin?.([source[0], target[0]]) !== true) return null;
      link = { source: `${source[0]}_id`, target: `${target[0]}_id`, auto: false, to };
    }
    if (out && (out.source !== link.source || out.target !== link.target || out.auto !== link.auto)) return null;
    out = link;
  }
  return out;
}

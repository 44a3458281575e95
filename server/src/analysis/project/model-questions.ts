/**
 * What the project view says of one model as the RunPython code of a migration sees it: its fields
 * with those of the concrete models it inherits from, its base classes (mixins, multi-table
 * inheritance), the fields save() stamps, the relations that point back at it. What the rules about
 * RunPython code and their fixes ask; ProjectView answers through it, from its states (ModelSource).
 */
import type { AppState, ModelEntry, ModelState, StateView } from './state';
import { applyMigration, modelEntry } from './state';
import type { GraphNode } from './graph';
import type { MigrationSummary } from './summary';
import { ACTS_ON_OTHER_ROWS, FILLS_ANOTHER_FIELD, REMADE_ON_SAVE, stampedOnSave, type FieldSpec, type RelationSpec } from '../fields';
import type { BaseWrites } from './base-class';
import { manyToManyLink, type ManyToManyLink } from './m2m-link';

/** A model's fields as the project view knows them (ProjectView.modelFields). */
export interface ModelFields {
  fields: ReadonlyMap<string, FieldSpec | null>;
  /** A base class of its own (a mixin) may define attributes besides its fields. */
  mixins: boolean;
  /** The fields of the model a relation field of it points at; null when not known. */
  related: (field: string) => ModelFields | null;
  /** Whether a relation field of it points at the model itself (`'self'`, its own label): reading it reads another row of the same table. */
  selfRelated?: (field: string) => boolean;
  /**
   * Whether a unique constraint of its table (a unique field, unique_together, a UniqueConstraint
   * that is neither partial nor deferrable) lies within these fields: a row matching them all then
   * conflicts on insert. Null when its options cannot be read.
   */
  uniqueWithin?: (names: readonly string[]) => boolean | null;
  /** How a many-to-many field of its own is rows of its through model; null when not known. */
  link?: (field: string) => ManyToManyLink | null;
  /**
   * What kind of relation of another model a reverse manager of it (`org.preset_set`) walks back:
   * Django names both a foreign key's and a many-to-many field's `<model>_set`, and only the first
   * one's manager has `.field` (review 31: seed `0117`). Null when not known.
   */
  reverse?: (accessor: string) => RelationSpec['kind'] | null;
}

/** Which writes a batched loop would stop going through the model's own methods for. */
export interface WriteKinds {
  save: boolean;
  delete: boolean;
}

/** A base class of the model's own (or the class of one of its fields) whose code batching would skip, and what of it. */
export interface BaseInTheWay {
  base: string;
  /** The field whose class `base` is, when it is a field's class (ACTS_ON_OTHER_ROWS) rather than a base of the model. */
  field?: string;
  /** `defines LogMixin.delete()`, or why the class could not be read. */
  reason: string;
}

/** What the questions read of the project view: its graph, its states, and the classes of the project's source. */
export interface ModelSource {
  node(file: string): GraphNode | null;
  squashOf(file: string): string | null;
  modelSeenBy(file: string, app: string, model: string): ModelEntry;
  modelAroundSquash(file: string, app: string, model: string): ModelEntry;
  stateOf(file: string, when: 'before' | 'after', view?: StateView): AppState | null;
  appsInView(): ReadonlySet<string>;
  classWrites(qualified: string, file: string): BaseWrites;
  outOfViewModel(file: string, app: string, model: string): boolean;
}

/** A base as migrations name a model of the project (`'shop.parcel'`): its app and model, else null. */
const modelBase = (base: string): RegExpExecArray | null => /^(\w+)\.(\w+)$/.exec(base);
/** A base that is neither a model of the project nor Django's Model: a mixin the historical model inherits. */
const isMixin = (base: string): boolean => !modelBase(base) && !/^(?:django\.db\.)?models\.Model$/.test(base);
/** The concrete parent model among a model's bases (`'shop.parcel'`; `models.Model` is none). */
const parentModel = (bases: readonly string[]): RegExpExecArray | null => bases.map(modelBase).find((m) => m !== null && m[1] !== 'models') ?? null;


export class ModelQuestions {
  /** statesDuring's answers, by file. */
  private readonly during = new Map<string, AppState[] | null>();

  constructor(private readonly view: ModelSource) {}

  /**
   * Whether a model RunPython code in this file reaches is a child of multi-table inheritance: a
   * concrete model (not a proxy) with another concrete model of the project among its bases
   * (`bases=("shop.parcel",)`), its rows spanning its parent's table and its own. Django cannot
   * bulk_create it. False when the state says otherwise or is not known.
   */
  multiTableChild(file: string, app: string, model: string): boolean {
    // As the code of the file sees the model: a model the migration creates and then renames away is
    // a child where its RunPython runs (review 39: pulp_rpm `0033` moves rows into NewRpmDistribution,
    // a child of core's Distribution, which a RenameModel after it makes RpmDistribution).
    // A migration a squash replaced has no state of its own: the squash's, which holds its operations, stand for it.
    const squash = this.view.node(file) ? null : this.view.squashOf(file);
    const during = this.entriesDuring(squash ?? file, app, model);
    const seen = this.view.modelSeenBy(squash ?? file, app, model);
    const entries = during ?? (typeof seen === 'string' ? [] : [seen]);
    return entries.some((entry) => entry.options.proxy !== true && this.childOfConcrete(file, entry));
  }

  /** Whether one of a model state's bases is a concrete model (multi-table inheritance). */
  private childOfConcrete(file: string, entry: ModelState, depth = 0): boolean {
    return (entry.bases ?? []).some((b) => {
      const m = modelBase(b);
      if (!m || m[1] === 'models') return false;
      const parent = this.view.modelSeenBy(file, m[1] as string, m[2] as string);
      // A parent in an app out of view (a package's: bluebottle's fluent_contents.contentitem, review
      // 22) is concrete all the same when the base is written as makemigrations writes a model
      // (`app_label.modelname`, lower case; abstract parents are never bases); a mixin is a class.
      if (typeof parent === 'string') return parent === 'unknown' && m[2] === (m[2] as string).toLowerCase();
      // A proxy parent stands for the concrete model it proxies (review 49: jumpserver `accounts/0005`'s
      // BackupAccountAutomation, under the proxy AccountBaseAutomation of assets.BaseAutomation).
      return parent.options.proxy !== true || (depth < 8 && this.childOfConcrete(file, parent, depth + 1));
    });
  }

  /**
   * The base classes of the model's own (or of a parent it inherits from) as its migrations name
   * them, other than Django's Model: mixins, which the historical model inherits.
   */
  customBases(file: string, app: string, model: string): string[] {
    const out: string[] = [];
    // A migration a squash replaced has no node of its own: the bases the squash leaves stand for it
    // (a model's bases seldom change; review 32: opencraft `instance/0092`, inside a squash, saved
    // RabbitMQServer rows whose ValidateModelMixin.save() runs full_clean()). Fields are not taken so.
    let entry = this.view.node(file) ? this.view.modelSeenBy(file, app, model) : this.view.modelAroundSquash(file, app, model);
    for (let hops = 0; typeof entry !== 'string' && hops < 10; hops++) {
      const bases = entry.bases ?? [];
      out.push(...bases.filter(isMixin));
      const parent = parentModel(bases);
      if (!parent) break;
      entry = this.view.modelSeenBy(file, parent[1] as string, parent[2] as string);
    }
    return out;
  }

  /**
   * A base class of the model's own whose code a batched loop would skip: one that defines save()
   * (or save_base(), _do_update()…) when the loop saves or creates rows, delete() when it deletes
   * them — django-lifecycle's hooks, bookwyrm's ActivitypubMixin — or one that cannot be read
   * (outside the project, a metaclass, a class decorator); or a field whose class does (fieldInTheWay).
   * Null when every such class is read and takes no part in those writes (a mixin of URLs, of permissions).
   */
  baseInTheWay(file: string, app: string, model: string, kinds: WriteKinds = { save: true, delete: true }): BaseInTheWay | null {
    for (const base of this.customBases(file, app, model)) {
      const read = this.view.classWrites(base, file);
      if (read.kind === 'unknown') return { base, reason: read.why };
      const hit = (kinds.save ? read.save : null) ?? (kinds.delete ? read.delete : null);
      if (hit) return { base, reason: `it defines ${hit}` };
    }
    return this.fieldInTheWay(file, app, model, kinds);
  }

  /** A field of the model whose class acts on the other rows on save() or delete() (ACTS_ON_OTHER_ROWS): the historical model runs it too. */
  fieldInTheWay(file: string, app: string, model: string, kinds: WriteKinds = { save: true, delete: true }): BaseInTheWay | null {
    for (const [name, spec] of this.modelFields(file, app, model)?.fields ?? []) {
      const acts = spec?.path ? ACTS_ON_OTHER_ROWS.get(spec.path) : undefined;
      if (acts && ((kinds.save && acts.save) || (kinds.delete && acts.delete))) return { base: spec?.path as string, field: name, reason: acts.what };
    }
    return null;
  }



  /**
   * Whether bulk writes of the model (as `file` sees it) are not what its save() and delete() do:
   * a child of multi-table inheritance (bulk_create refuses it), or a model whose migrations give it
   * a base class that takes part in them. What the CLI's plain run asks before linting a file again with the view.
   */
  bulkWritesDiffer(file: string, app: string, model: string): boolean {
    return this.multiTableChild(file, app, model) || this.view.outOfViewModel(file, app, model) || this.fillsAnotherField(file, app, model) || this.hasManyToMany(file, app, model) || this.baseInTheWay(file, app, model) !== null;
  }

  /** The model has a many-to-many field: a loop that assigns it (`row.tags = [...]`) sets links, which bulk_update() cannot. */
  hasManyToMany(file: string, app: string, model: string): boolean {
    const known = this.modelFields(file, app, model);
    return !!known && [...known.fields.values()].some((spec) => spec?.relation?.kind === 'many-to-many');
  }

  /** The model has a field whose save() fills in another (FILLS_ANOTHER_FIELD) or remakes its own value (REMADE_ON_SAVE): bulk_update() of it would not. */
  fillsAnotherField(file: string, app: string, model: string): boolean {
    const known = this.modelFields(file, app, model);
    return !!known && [...known.fields.values()].some((spec) => !!spec?.path && (FILLS_ANOTHER_FIELD.has(spec.path) || REMADE_ON_SAVE.has(spec.path)));
  }

  /**
   * Every field of the model as the code of `file` sees it — its own and those of the concrete
   * models it inherits from — by name (a null spec: a field whose definition cannot be read), and
   * whether a base class of its own (a mixin) may add attributes besides (a property setter that
   * writes a field). Null when some part is unknown.
   */
  modelFields(file: string, app: string, model: string): ModelFields | null {
    // (uniqueWithin reads the model's own table only: a parent's of multi-table inheritance is another.)
    const fields = new Map<string, FieldSpec | null>();
    let mixins = false;
    let entries = this.entriesDuring(file, app, model);
    const own = entries;
    for (let hops = 0; hops < 10; hops++) {
      if (entries === null) return null;
      let parent: RegExpExecArray | null = null;
      for (const entry of entries) {
        if (entry.bases === null) return null;
        for (const [name, spec] of entry.fields) if (!fields.has(name)) fields.set(name, spec);
        if (entry.bases.some(isMixin)) mixins = true;
        parent ??= parentModel(entry.bases);
      }
      if (!parent) {
        const selfRelated = (name: string): boolean => {
          const to = fields.get(name)?.relation?.to;
          const ref = to && to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(to.value) : null;
          if (!ref) return false;
          return ref[2] === 'self' || ((ref[1] ?? app).toLowerCase() === app.toLowerCase() && (ref[2] as string).toLowerCase() === model.toLowerCase());
        };
        return { fields, mixins, related: (name) => this.relatedFields(file, app, fields.get(name)), selfRelated,
          uniqueWithin: (names) => uniqueWithin(own ?? [], names),
          link: (name) => manyToManyLink(own ?? [], name, (a, m) => this.modelFields(file, a, m)),
          reverse: (accessor) => this.reverseKind(file, app, model, accessor),
        };
      }
      entries = this.entriesDuring(file, parent[1] as string, parent[2] as string);
    }
    return null;
  }

  /**
   * The kind of the relation a default reverse accessor `<model>_set` of `app.model` walks: the
   * fields of every model of that name in view that point at it without a related_name. Django's
   * checks allow one such relation per accessor, whatever the apps (fields.E304), so one read is it.
   * Null when none is read, or (a project Django would refuse) relations of several kinds.
   */
  private reverseKind(file: string, app: string, model: string, accessor: string): RelationSpec['kind'] | null {
    return this.reverseRelations(file, app, model, accessor)?.kind ?? null;
  }

  /**
   * The model a default reverse accessor `<model>_set` of `app.model` walks (`org.columnmappingprofile_set`:
   * seed's ColumnMappingProfile, review 56), as app and model; null when no relation, or several, are read.
   */
  reverseModel(file: string, app: string, model: string, accessor: string): { app: string; model: string } | null {
    return this.reverseRelations(file, app, model, accessor)?.model ?? null;
  }

  private reverseRelations(file: string, app: string, model: string, accessor: string): { kind: RelationSpec['kind']; model: { app: string; model: string } | null } | null {
    const m = /^(\w+)_set$/.exec(accessor);
    if (!m) return null;
    const kinds = new Set<RelationSpec['kind']>();
    const owners = new Set<string>();
    for (const other of [app, ...[...this.view.appsInView()].filter((a) => a !== app)]) {
      // An app whose state is not known here may hold no such model: one kind read anywhere is the accessor's (below).
      const entries = this.entriesDuring(file, other, m[1] as string) ?? [];
      for (const entry of entries) {
        for (const spec of entry.fields.values()) {
          // Two relations of one model to another without a related_name clash in Django's checks
          // (fields.E304): the one read is the accessor's, whatever the fields that cannot be read.
          const rel = spec?.relation;
          const to = rel?.to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(rel.to.value) : null;
          if (!rel || !to || rel.relatedName) continue;
          if ((to[1] ?? other).toLowerCase() === app.toLowerCase() && (to[2] as string).toLowerCase() === model.toLowerCase()) {
            kinds.add(rel.kind);
            owners.add(`${other}.${entry.name}`);
          }
        }
      }
    }
    if (kinds.size !== 1) return null;
    const [owner] = owners.size === 1 ? [...owners] : [];
    const dot = owner ? owner.indexOf('.') : -1;
    return { kind: [...kinds][0] as RelationSpec['kind'], model: owner ? { app: owner.slice(0, dot), model: owner.slice(dot + 1) } : null };
  }

  /** The fields of the model a relation field points at (`'shop.Order'`, `'Order'` of `app`). */
  private relatedFields(file: string, app: string, spec: FieldSpec | null | undefined): ModelFields | null {
    const to = spec?.relation?.to;
    const ref = to && to.kind === 'str' ? /^(?:(\w+)\.)?(\w+)$/.exec(to.value) : null;
    return ref ? this.modelFields(file, ref[1] ?? app, ref[2] as string) : null;
  }

  /**
   * The model as RunPython code of `file` may see it: for the file's own app, before and after each
   * of its operations (a RunPython between a RenameField and a RemoveField sees the field the
   * migration then removes); else as modelSeenBy. Null when some state of it is unknown.
   */
  entriesDuring(file: string, app: string, model: string): ModelState[] | null {
    const node = this.view.node(file);
    if (!node?.migration || node.key.app !== app) {
      const entry = this.view.modelSeenBy(file, app, model);
      return entry === 'unknown' ? null : entry === 'absent' ? [] : [entry];
    }
    const states = this.statesDuring(file, node.migration.summary);
    if (!states) return null;
    const out: ModelState[] = [];
    for (const state of states) {
      const entry = modelEntry(state, model);
      if (entry === 'unknown') return null;
      if (entry !== 'absent') out.push(entry);
    }
    return out;
  }

  /** The app's state before each operation of a file's migration and after the last, replayed once per view. */
  private statesDuring(file: string, summary: MigrationSummary): AppState[] | null {
    if (this.during.has(file)) return this.during.get(file) ?? null;
    const before = this.view.stateOf(file, 'before', 'state');
    const states = before ? [before] : null;
    if (states) for (const op of summary.operations) states.push(applyMigration(states[states.length - 1] as AppState, [op], summary.operationsComplete, 'state'));
    this.during.set(file, states);
    return states;
  }


  /**
   * The fields of the model, as the code of `file` sees it, that every save() stamps with the
   * current time (auto_now): its own and those of the concrete models it inherits from (save() of
   * a child of multi-table inheritance saves its parent's row too: bluebottle's `updated`, found by
   * a blind review); empty when none is known to. With `at`, the index of the operation whose code
   * saves (RunPython), as that operation sees the model.
   */
  stampedFields(file: string, app: string, model: string, at?: number): string[] {
    const all = this.modelFields(file, app, model)?.fields;
    const entry = all ? null : this.view.modelSeenBy(file, app, model);
    const fields = all ?? (entry && typeof entry !== 'string' ? entry.fields : null);
    const stamped = fields ? [...fields].flatMap(([name, spec]) => (spec && stampedOnSave(spec) ? [name] : [])) : [];
    if (at === undefined) return stamped;
    // Code run by the operation at `at` sees the model as it is there: a field of its own the
    // migration adds later, or removed before, is no field of the rows it saves (review 36:
    // actionpopulaire `activity/0012` adds `modified` after its RunPython).
    const node = this.view.node(file);
    const states = node?.migration && node.key.app === app ? this.statesDuring(file, node.migration.summary) : null;
    const there = states?.[at];
    const now = there ? modelEntry(there, model) : 'unknown';
    if (typeof now === 'string') return stamped;
    const own = new Set((this.entriesDuring(file, app, model) ?? []).flatMap((e) => [...e.fields.keys()]));
    return stamped.filter((name) => now.fields.has(name) || !own.has(name));
  }
}

/** ModelFields.uniqueWithin over a model's states (each must know its options and fields). */
function uniqueWithin(entries: readonly ModelState[], names: readonly string[]): boolean | null {
  if (entries.length === 0) return null;
  const given = new Set(names.flatMap((n) => [n, n.replace(/_id$/, '')]));
  const within = (fields: readonly string[]) => fields.length > 0 && fields.every((f) => given.has(f));
  for (const entry of entries) {
    const o = entry.options;
    if (!o.uniqueTogether || !o.constraints) return null;
    for (const [name, spec] of entry.fields) {
      if (!spec) return null;
      if ((spec.unique === true || spec.primaryKey === true) && given.has(name)) return true;
      if (spec.unique === undefined && given.has(name)) return null;
    }
    if (o.uniqueTogether.some(within)) return true;
    for (const c of o.constraints) {
      if (c.kind !== 'unique') continue;
      if (!c.fields) return null;
      if (!c.partial && !c.deferrable && within(c.fields)) return true;
    }
  }
  return false;
}

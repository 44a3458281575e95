/**
 * Queryset filters that fix which rows a loop can meet, whatever the table holds: a short range of
 * primary keys written in the call, or a unique key compared with a fixed list (iterables.ts asks).
 */
import { callArguments, chainRoot, unparen, type Node } from './syntax';

/**
 * Whether `key` is a unique column of the model the code names `model` (the receiver a query
 * starts from: `datatypes` of `datatypes = apps.get_model("models", "DDataType")`), as the project
 * view answers; what is known without one is taken anyway (the primary key, auth's Group.name).
 */
export type UniqueKey = (model: string, key: string) => boolean;

/** Rows whose primary key lies between two numbers written in the call, at most this many apart. */
const NARROW_KEY_RANGE = 100;

/**
 * `filter(id__gte=1000, id__lt=1005)`: no more rows than the keys between the two bounds (review 32:
 * signals `feedback/0003` walks five rows so).
 */
export function narrowKeyRange(args: ReturnType<typeof callArguments>): boolean {
  let low: number | null = null;
  let high: number | null = null;
  for (const [key, value] of args.keywords) {
    const m = /^(?:pk|id)__(gte?|lte?)$/.exec(key);
    const v = unparen(value);
    if (!m || v.type !== 'integer') continue;
    const n = Number(v.text);
    if (m[1] === 'gte') low = n;
    else if (m[1] === 'gt') low = n + 1;
    else if (m[1] === 'lte') high = n;
    else high = n - 1;
  }
  return low !== null && high !== null && high - low < NARROW_KEY_RANGE;
}

/** A value that names columns of the rows compared, not one value: F(), OuterRef(), a Subquery. */
const COLUMN_EXPRESSION = /(?:^|[^\w.])(?:models\.)?(?:F|OuterRef|Subquery|Exists)\(/;

/**
 * `Model.objects.filter(pk__in=[1, 2])`, `Group.objects.filter(name__in=["Editors", "Moderators"])`:
 * rows picked by a unique key from a fixed list, no more rows than the list has. The keys known
 * unique without the project view: the primary key, and the name of django.contrib.auth's Group;
 * with it, any unique column of the model (`uniqueKey`).
 */
export function keyedByFixedList(args: ReturnType<typeof callArguments>, receiver: Node, again: (x: Node | null) => boolean, uniqueKey?: UniqueKey): boolean {
  const root = chainRoot(unparen(receiver));
  const unique = root?.text === 'Group' ? /^(?:pk|id|name)(?:__in)?$/ : /^(?:pk|id)(?:__in)?$/;
  // Another unique column, as the project view names it (arches 6019: DDataType's key is `datatype`).
  const named = (key: string) => !!root && root.type === 'identifier' && /^\w+(?:__in)?$/.test(key) && !!uniqueKey?.(root.text, key.replace(/__in$/, ''));
  for (const [key, value] of args.keywords) {
    if (key.endsWith('__in') && !again(value)) continue;
    // A key compared with another column (`id=F("thread_id")`: every row that is its own thread) picks any number of rows
    // (review 49: karrot `conversations/0019`).
    if (COLUMN_EXPRESSION.test(value.text)) continue;
    if (unique.test(key)) return true;
    // Another column's uniqueness is asked of the view only for a fixed list of values, none of them
    // None (NULL is not unique: `badge_key=None` matches every row without one, healthchecks api/0117).
    if (key.endsWith('__in') && !/\bNone\b/.test(value.text) && named(key)) return true;
  }
  return false;
}

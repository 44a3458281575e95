/**
 * Conditions that choose a migration's operations by database backend: `if 'sqlite3' in db_engine:`
 * with `db_engine = connection.settings_dict['ENGINE']`, `connection.vendor == 'postgresql'`, in an
 * `if` / `elif` / `else` of the class body or a conditional expression (edx-enterprise builds its
 * indexes so: CONCURRENTLY on PostgreSQL, `ALGORITHM=INPLACE` on MySQL, a plain operation on SQLite).
 * Each arm is read as before; what this adds is the backends an arm certainly does not run on, so a
 * rule judges only what the target database runs. A test it cannot read decides nothing.
 */
import type { Scope } from './scope';
import { unparen, type Node } from './syntax';
import { DATABASE_VENDORS, type DatabaseVendor } from './target-database';

/**
 * The ENGINE strings of each vendor's backends: Django's own, as the code that tests them assumes
 * (`'postgresql' in db_engine`). GeoDjango's (`…backends.postgis`) are left out: a project on
 * PostGIS that tests for 'postgresql' runs the other arm, and these findings follow the test.
 */
const ENGINES: Record<DatabaseVendor, readonly string[]> = {
  postgresql: ['django.db.backends.postgresql', 'django.db.backends.postgresql_psycopg2'],
  mysql: ['django.db.backends.mysql'],
  sqlite: ['django.db.backends.sqlite3'],
};

/** Per vendor: the condition is true, false, or cannot be told. */
type ByVendor = Record<DatabaseVendor, boolean | null>;

const UNKNOWN: ByVendor = { postgresql: null, mysql: null, sqlite: null };

const ENGINE_TEXT = /(?:\bsettings_dict|\bDATABASES\s*\[[^\]]+\])\s*\[\s*['"]ENGINE['"]\s*\]$/;
const VENDOR_TEXT = /\bconnections?(?:\s*\[[^\]]+\])?\.vendor$/;

type Subject = 'engine' | 'vendor' | null;

function subjectOf(node: Node, scope: Scope, depth = 0): Subject {
  const n = unparen(node);
  if (n.type === 'identifier' && depth < 3) {
    const b = scope.lookup(n.text);
    return b?.kind === 'value' ? subjectOf(b.node, scope, depth + 1) : null;
  }
  const text = n.text.replace(/\s+/g, '');
  if (ENGINE_TEXT.test(text)) return 'engine';
  if (VENDOR_TEXT.test(text)) return 'vendor';
  return null;
}

/** A plain string literal's value (no f-string, no concatenation), or null. */
function stringValue(node: Node): string | null {
  const n = unparen(node);
  if (n.type !== 'string' || n.namedChildren.some((c) => c.type === 'interpolation')) return null;
  const m = /^[rRuU]?(['"])([^'"\\\n]*)\1$/.exec(n.text);
  return m ? (m[2] as string) : null;
}

function each(f: (v: DatabaseVendor) => boolean | null): ByVendor {
  const out = { ...UNKNOWN };
  for (const v of DATABASE_VENDORS) out[v] = f(v);
  return out;
}

/** True for every string of the vendor, false for none, null when they differ. */
function allOrNone(values: readonly boolean[]): boolean | null {
  return values.every(Boolean) ? true : values.some(Boolean) ? null : false;
}

function comparison(n: Node, scope: Scope): ByVendor {
  const [a, b] = n.namedChildren;
  if (!a || !b || n.namedChildren.length !== 2) return UNKNOWN;
  const op = n.text.slice(a.endIndex - n.startIndex, b.startIndex - n.startIndex).replace(/\s+/g, ' ').trim();
  const negate = op === 'not in' || op === '!=';
  let result: ByVendor = UNKNOWN;
  if (op === 'in' || op === 'not in') {
    const word = stringValue(a);
    if (word === null || subjectOf(b, scope) !== 'engine') return UNKNOWN;
    result = each((v) => allOrNone(ENGINES[v].map((e) => e.includes(word))));
  } else if (op === '==' || op === '!=') {
    const [subject, value] = stringValue(b) !== null ? [a, stringValue(b)] : [b, stringValue(a)];
    if (value === null) return UNKNOWN;
    const kind = subjectOf(subject, scope);
    if (kind === 'engine') result = each((v) => allOrNone(ENGINES[v].map((e) => e === value)));
    else if (kind === 'vendor') result = each((v) => v === value);
    else return UNKNOWN;
  } else return UNKNOWN;
  return negate ? not(result) : result;
}

function not(x: ByVendor): ByVendor {
  return each((v) => (x[v] === null ? null : !x[v]));
}

/** What `cond` is on each vendor. */
export function vendorTruth(cond: Node | null, scope: Scope): ByVendor {
  if (!cond) return UNKNOWN;
  const n = unparen(cond);
  switch (n.type) {
    case 'comparison_operator':
      return comparison(n, scope);
    case 'not_operator': {
      const arg = n.childForFieldName('argument');
      return arg ? not(vendorTruth(arg, scope)) : UNKNOWN;
    }
    case 'boolean_operator': {
      const l = vendorTruth(n.childForFieldName('left'), scope);
      const r = vendorTruth(n.childForFieldName('right'), scope);
      const and = n.childForFieldName('operator')?.text === 'and';
      return each((v) => {
        const [x, y] = [l[v], r[v]];
        if (and) return x === false || y === false ? false : x === true && y === true ? true : null;
        return x === true || y === true ? true : x === false && y === false ? false : null;
      });
    }
    default:
      return UNKNOWN;
  }
}

/**
 * For an `if` with its `elif`s and `else` (conditions in order, null for the `else`): per arm, the
 * vendors it certainly does not run on — its own test false there, or an earlier one true.
 */
export function armsNotRunOn(conditions: ReadonlyArray<Node | null>, scope: Scope): DatabaseVendor[][] {
  const earlier: ByVendor[] = [];
  return conditions.map((cond) => {
    const own = cond ? vendorTruth(cond, scope) : null;
    const skip = DATABASE_VENDORS.filter((v) => (own !== null && own[v] === false) || earlier.some((e) => e[v] === true));
    if (own) earlier.push(own);
    return skip;
  });
}

/** Whether an operation in these arms runs on `vendor`: false only when one of its arms certainly does not. */
export function runsOn(branches: ReadonlyArray<{ notOn?: readonly DatabaseVendor[] }>, vendor: DatabaseVendor): boolean {
  return !branches.some((b) => b.notOn?.includes(vendor));
}

/**
 * Whether `node` sits in an arm of an `if` / `elif` / `else` (within its function) that certainly does
 * not run on `vendor`: a loop under `else:` after `if connection.vendor == 'postgresql':` runs on the
 * other backends only (review 38: patchwork `0007` and `0039` save row by row on SQLite, and run one
 * `UPDATE … FROM` on PostgreSQL).
 */
export function inArmNotRunOn(node: Node, scope: Scope, vendor: DatabaseVendor): boolean {
  for (let child: Node = node, p = node.parent; p && p.type !== 'function_definition' && p.type !== 'module'; child = p, p = p.parent) {
    if (p.type !== 'if_statement') continue;
    const conditions: Array<Node | null> = [p.childForFieldName('condition')];
    const arms: Array<Node | null> = [p.childForFieldName('consequence')];
    for (const alt of p.childrenForFieldName('alternative')) {
      conditions.push(alt.type === 'elif_clause' ? alt.childForFieldName('condition') : null);
      arms.push(alt);
    }
    const arm = arms.findIndex((a) => a?.id === child.id);
    if (arm >= 0 && armsNotRunOn(conditions, scope)[arm]?.includes(vendor)) return true;
  }
  return false;
}

/**
 * The app's model code as the previous release had it: what the old code, still running while a
 * release migrates, can query. A DeleteModel or RemoveField is the second step of a two-release
 * removal when that code no longer has the model, or the model no longer has the field (review 77:
 * job-server `0013` drops a column the pull request before removed from the model; openprescribing
 * `0072` deletes Measure1, gone from the code two months earlier; review 75: ynr `candidates/0057`).
 * Plain data read from the project's history (workspace/code-before.ts), never run; a question it
 * cannot answer for certain is answered "not gone".
 */

/** One class of the app's models modules at that commit. */
export interface ClassBefore {
  /** The bases as written (`models.Model`, `TimeStampedModel`). */
  bases: string[];
  /** Every word of its body (field names, and whatever its methods name). */
  words: ReadonlySet<string>;
}

/** One module of the app's package, read. */
export interface ModuleBefore {
  text: string;
  /** Classes defined at the module's top, by name lower-cased (Django's model names): read when first asked. */
  readonly classes: ReadonlyMap<string, ClassBefore>;
  /** It imports `*`: names may come from anywhere. */
  wildcard: boolean;
}

/** The app's package (every Python module of it but its migrations) at that commit. */
export interface ModelsBefore {
  modules: readonly ModuleBefore[];
}

/** Fields Django makes without a line of the class: `id`, `<parent>_ptr`, `_order`. */
const IMPLICIT_FIELD = /^(?:id|pk|_order|\w+_ptr)$/;

/** Bases whose fields are the class's own: Django's model class itself. */
const PLAIN_BASES = new Set(['models.Model', 'Model', 'django.db.models.Model']);

/**
 * Whether no module of the app names the model: its class was gone (nor imported, nor aliased, nor
 * named in a comment or a string). Compared without case, as Django compares model names (a
 * field `coupon` counts too: not gone for certain) — but for an all-lower-case bare name, which
 * is a variable of that name and no model (review 80: acceslibre's `stats/middleware.py` keeps a
 * `referer` variable after the `Referer` model left); written in quotes (`"stats.referer"`) or
 * after a dot (`link.referer`, a reverse one-to-one accessor) it still counts.
 */
export function modelGoneBefore(before: ModelsBefore, model: string): boolean {
  if (before.modules.some((m) => m.wildcard)) return false;
  const word = new RegExp(`(?<![\\w])${model.replace(/[^\w]/g, '')}(?![\\w])`, 'gi');
  return !before.modules.some((m) => {
    for (const hit of m.text.matchAll(word)) if (namesModel(m.text, hit[0], hit.index)) return true;
    return false;
  });
}

/** Whether a word matching a model's name names it (see modelGoneBefore): all but a lower-case bare name. */
function namesModel(text: string, found: string, at: number): boolean {
  if (found !== found.toLowerCase()) return true;
  const before = text[at - 1] ?? '';
  const after = text[at + found.length] ?? '';
  return before === '.' || before === '"' || before === "'" || after === '"' || after === "'" || /\bclass\s+$/.test(text.slice(Math.max(0, at - 12), at));
}

/** The class of that name (lower-cased) in the app's modules; undefined where none or several define one. */
function classOf(before: ModelsBefore, key: string): ClassBefore | undefined {
  // Only the modules whose text has such a class line are read into classes.
  const head = new RegExp(`^class\\s+${key.replace(/[^\w]/g, '')}\\b`, 'im');
  const found = before.modules.flatMap((m) => (head.test(m.text) && m.classes.has(key) ? [m.classes.get(key) as ClassBefore] : []));
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Whether the model's class had no field `field`: no word of its body names it, and every class it
 * inherits from is Django's Model or a class of the same modules that does not name it either. A
 * base from elsewhere (an abstract model of another module, a mixin) may hold the field: not gone.
 */
export function fieldGoneBefore(before: ModelsBefore, model: string, field: string): boolean {
  if (modelGoneBefore(before, model)) return true;
  // Fields Django adds that no class body names: the automatic primary key, a multi-table child's link
  // to its parent, order_with_respect_to's order (saleor `order/0143` removes the old `id` of OrderLine).
  if (IMPLICIT_FIELD.test(field)) return false;
  const seen = new Set<string>();
  const lacks = (name: string, depth: number): boolean => {
    const key = name.toLowerCase();
    if (seen.has(key)) return true;
    seen.add(key);
    const cls = classOf(before, key);
    if (!cls || depth > 8 || cls.words.has(field)) return false;
    return cls.bases.every((b) => PLAIN_BASES.has(b) || (/^\w+$/.test(b) && lacks(b, depth + 1)));
  };
  return lacks(model, 0);
}

/** Identifiers, and the words of comments and strings alike. */
const WORD = /[A-Za-z_]\w*/g;
const CLASS_HEAD = /^class\s+([A-Za-z_]\w*)\s*(?:\(|:)/;

/** How many `"""` / `'''` a line opens or closes (an odd count flips whether the next line is inside a string). */
function flipsString(line: string, inside: string | null): string | null {
  let state = inside;
  for (let i = 0; i < line.length; i++) {
    const three = line.slice(i, i + 3);
    if (state === null) {
      if (line[i] === '#') break;
      if (three === '"""' || three === "'''") {
        state = three;
        i += 2;
      }
    } else if (three === state) {
      state = null;
      i += 2;
    }
  }
  return state;
}

/**
 * A module's classes, from its text: a class starts at a line `class Name(…):` at the module's top
 * (its head may span lines) and runs to the next line at the module's top that is code (a comment
 * or a line inside a string there does not end it).
 */
export function moduleBefore(text: string): ModuleBefore {
  let classes: Map<string, ClassBefore> | null = null;
  return {
    text,
    wildcard: /^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*/m.test(text),
    get classes(): ReadonlyMap<string, ClassBefore> {
      return (classes ??= classesOf(text));
    },
  };
}

function classesOf(text: string): Map<string, ClassBefore> {
  const classes = new Map<string, ClassBefore>();
  const lines = text.split(/\r?\n/);
  let string: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const inString = string !== null;
    string = flipsString(line, string);
    const head = inString ? null : CLASS_HEAD.exec(line);
    if (!head) continue;
    // The head, to its closing `):` (a list of bases over several lines).
    let header = line;
    let j = i;
    while (!/\)\s*:|^class\s+\w+\s*:/.test(header) && j + 1 < lines.length && j - i < 20) header += ` ${lines[++j] as string}`;
    const inner = /\(([^)]*)\)/.exec(header)?.[1] ?? '';
    const bases = inner
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b.length > 0 && !b.includes('='));
    const body = new Set<string>();
    let k = j + 1;
    let bodyString: string | null = null;
    for (; k < lines.length; k++) {
      const l = lines[k] as string;
      const within = bodyString !== null;
      if (!within && /^\S/.test(l) && !l.startsWith('#')) break;
      bodyString = flipsString(l, bodyString);
      for (const m of l.matchAll(WORD)) body.add(m[0]);
    }
    // Words after the head on its own line (`class A(models.Model): name = …`).
    for (const m of (/\)\s*:(.*)$/.exec(header)?.[1] ?? '').matchAll(WORD)) body.add(m[0]);
    classes.set((head[1] as string).toLowerCase(), { bases, words: body });
    string = null;
    i = k - 1;
  }
  return classes;
}

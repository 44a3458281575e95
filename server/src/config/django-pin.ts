/**
 * The Django version a project pins, read from its lock or requirements files: what the findings'
 * wording and fixes follow when `[tool.migration-guard]` sets no `django-version` (review 26:
 * courtlistener runs Django 6.0, and the NOT NULL fix wrote three migrations where `db_default`
 * would do). Read, never executed: the exact version of a lock file (uv.lock, poetry.lock,
 * Pipfile.lock), else an `==` pin of a requirements file, else the oldest version a package's metadata
 * says it supports (`Django>=2.1` in setup.py, setup.cfg or pyproject.toml) or pins (`Django==5.2.16`). A range in a requirements
 * file (`>=4.2`) says nothing exact and is not taken.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DjangoPin {
  version: readonly [number, number];
  /** The file it was read from. */
  from: string;
}

/** The PostgreSQL major version a project's Compose file runs, and that file. */
export interface PostgresPin {
  version: number;
  from: string;
}

/** Where a project keeps its pins, in the order they are trusted (a lock file is exact). */
const PIN_FILES = ['uv.lock', 'poetry.lock', 'Pipfile.lock', 'requirements.txt', 'requirements/base.txt', 'requirements/production.txt', 'requirements/prod.txt', 'requirements/common.txt', 'requirements/requirements.txt'];

/** A package's metadata, which names the oldest Django it supports (`Django>=2.1,<3.1`). */
const PACKAGE_FILES = ['pyproject.toml', 'setup.cfg', 'setup.py'];

/** Where a project names the PostgreSQL it runs: the image of its Compose file's database service. */
export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml'];

/**
 * Where its tests name it, read where no Compose file does: the database service of a CI configuration
 * (review 75: EveryElection's only PostgreSQL version is CircleCI's `cimg/postgres:16.3-postgis`).
 */
const CI_FILES = ['.circleci/config.yml', '.gitlab-ci.yml', '.travis.yml'];
const WORKFLOWS = '.github/workflows';
/** Workflow files read at most. */
const MAX_WORKFLOWS = 30;

/**
 * The names a folder's listing holds when a pin may be read there (a pin file, or the folder the
 * split requirements live in): a folder listed without any of them is not asked again, file by file.
 */
export const PIN_ENTRY_NAMES: ReadonlySet<string> = new Set(['uv.lock', 'poetry.lock', 'Pipfile.lock', 'requirements.txt', 'requirements', 'Dockerfile', ...PACKAGE_FILES, ...COMPOSE_FILES, '.circleci', '.gitlab-ci.yml', '.travis.yml', '.github']);

/** Glob patterns of the pin files, for an editor to watch (a change re-reads the settings). */
export const PIN_FILE_GLOBS = ['**/Dockerfile', '**/uv.lock', '**/poetry.lock', '**/Pipfile.lock', '**/requirements.txt', '**/requirements/*.txt', '**/requirements/*.in', '**/requirements/*/*.txt', '**/requirements/*/*.in', '**/setup.cfg', ...COMPOSE_FILES.map((f) => `**/${f}`), ...CI_FILES.map((f) => `**/${f}`), `**/${WORKFLOWS}/*.{yml,yaml}`];

/** Whether a path is one of the files the pins are read from (any `.txt` / `.in` under a `requirements` folder too). */
export function isPinFile(path: string): boolean {
  const parts = path.replace(/\\/g, '/').split('/');
  const name = parts.pop() ?? '';
  const dir = parts.slice(-2).join('/');
  return (
    PIN_FILES.includes(name) ||
    name === 'Dockerfile' ||
    PACKAGE_FILES.includes(name) ||
    COMPOSE_FILES.includes(name) ||
    (/\.(?:txt|in)$/.test(name) && parts.slice(-2).includes('requirements')) ||
    name === '.gitlab-ci.yml' ||
    name === '.travis.yml' ||
    (parts[parts.length - 1] === '.circleci' && name === 'config.yml') ||
    (dir === WORKFLOWS && /\.ya?ml$/.test(name))
  );
}

/** Files of a `requirements` folder read for a pin, at most: a real one holds a dozen. */
const MAX_REQUIREMENT_FILES = 40;

/**
 * The requirements files of `dir/requirements` (and of its subfolders, one level down: cla_backend keeps
 * `requirements/source/requirements-base.in` and `requirements/generated/requirements-production.txt`,
 * review 31) that no fixed name above covers, the ones a deployment runs first: production, base or
 * common in their names, then the rest by name.
 */
function requirementsFolderFiles(dir: string): string[] {
  const root = join(dir, 'requirements');
  const out: string[] = [];
  const list = (folder: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (out.length >= MAX_REQUIREMENT_FILES) return;
      if (e.isFile() && /\.(?:txt|in)$/.test(e.name)) out.push(join(folder, e.name));
      else if (e.isDirectory() && depth === 0) list(join(folder, e.name), 1);
    }
  };
  list(root, 0);
  const rank = (f: string) => (/prod/i.test(f) ? 0 : /base|common/i.test(f) ? 1 : 2);
  return out.filter((f) => !PIN_FILES.some((p) => join(dir, p) === f)).sort((a, b) => rank(a) - rank(b));
}

/**
 * The requirements files the folder's `Dockerfile` installs from (`COPY ./dependencies/pip/requirements.txt …`,
 * `RUN pip install -r deps/prod.txt`), relative to the folder and present in it: read where the usual
 * places pin nothing (review 79: kpi installs its image from `dependencies/pip/requirements.txt`).
 */
export function dockerfileRequirements(dir: string): string[] {
  const file = join(dir, 'Dockerfile');
  let text: string;
  try {
    text = existsSync(file) && statSync(file).size <= MAX_PIN_FILE ? readFileSync(file, 'utf8') : '';
  } catch {
    return [];
  }
  const out: string[] = [];
  // A path with `requirements` in its name, not absolute (a path inside the image) and not made of variables.
  for (const m of text.matchAll(/(?<![\w/$.{}-])((?:\.\/)?(?:[\w.-]+\/)*[\w.-]*requirements[\w.-]*\.(?:txt|in))(?![\w/])/gi)) {
    const path = join(dir, m[1] as string);
    if (!out.includes(path) && path.startsWith(dir) && existsSync(path)) out.push(path);
  }
  const rank = (f: string) => (/dev|test|doc|lint/i.test(f.slice(dir.length)) ? 1 : 0);
  return out.sort((a, b) => rank(a) - rank(b));
}

/** Lock files larger than this are not read (a pin sits in the first few megabytes of any real one). */
const MAX_PIN_FILE = 16 * 1024 * 1024;

function versionOf(major: string | undefined, minor: string | undefined): readonly [number, number] | null {
  const a = Number(major);
  const b = Number(minor);
  return Number.isInteger(a) && Number.isInteger(b) && a >= 1 && a < 100 ? [a, b] : null;
}

/** The Django version one pin file states, or null. */
export function pinnedIn(file: string, text: string): readonly [number, number] | null {
  const name = file.replace(/\\/g, '/').split('/').pop() ?? '';
  if (name === 'uv.lock' || name === 'poetry.lock') {
    // [[package]] / name = "django" / version = "6.0.7"
    const m = /^\[\[package\]\]\s*\r?\nname\s*=\s*"django"\s*\r?\nversion\s*=\s*"(\d+)\.(\d+)/im.exec(text);
    return m ? versionOf(m[1], m[2]) : null;
  }
  if (name === 'Pipfile.lock') {
    const m = /"django"\s*:\s*\{[^{}]*?"version"\s*:\s*"==(\d+)\.(\d+)/i.exec(text);
    return m ? versionOf(m[1], m[2]) : null;
  }
  // `Django==1.11.29`, or `Django~=1.11.12` (a compatible release of three parts stays within 1.11; of two, `~=4.2`, it does not).
  const m = /^[ \t]*django[ \t]*(?:\[[^\]]*\])?[ \t]*(?:==[ \t]*(\d+)\.(\d+)|~=[ \t]*(\d+)\.(\d+)\.\d+)/im.exec(text);
  return m ? versionOf(m[1] ?? m[3], m[2] ?? m[4]) : oneMinorRange(text);
}

/**
 * A range of a requirements file that admits one minor version only (`django>=2.2.0,<2.3.0`, review 63:
 * dissemin, whose fix imported AddIndexConcurrently, new in Django 3.0); null for a wider one (`>=4.2,<6`
 * says nothing exact).
 */
function oneMinorRange(text: string): readonly [number, number] | null {
  const line = /^[ \t]*django[ \t]*(?:\[[^\]]*\])?[ \t]*([<>=!~][^#;\r\n]*)/im.exec(text)?.[1];
  if (!line) return null;
  let lower: [number, number] | null = null;
  let upper: [number, number] | null = null;
  // Any `>=X.Y[.Z]`; an upper bound `<X.Y` or `<X.Y.0` only (`<3.2.9` admits part of 3.2).
  for (const c of line.matchAll(/>=[ \t]*(\d+)\.(\d+)|<[ \t]*(\d+)\.(\d+)(?:\.0)?(?![.\d])/g)) {
    if (c[1] !== undefined) lower = [Number(c[1]), Number(c[2])];
    else upper = [Number(c[3]), Number(c[4])];
  }
  return lower && upper && upper[0] === lower[0] && upper[1] === lower[1] + 1 ? versionOf(String(lower[0]), String(lower[1])) : null;
}

/**
 * The PostgreSQL major version a Compose file runs (`image: postgres:9.6.3`, `postgis/postgis:13-3.1`,
 * `bitnami/postgresql:15`, `postgres:17@sha256:…` pinned to a digest as well; the lowest where several
 * services name one), or null: no such image, or
 * one without a version in its tag (`postgres:latest`, `postgres:${PG_VERSION}`).
 */
export function postgresImageIn(text: string): number | null {
  return lowestMajor(text, /^[ \t-]*image:[ \t]*["']?(?:[\w.:-]+\/)*(?:postgres|postgresql|postgis)(?::(\d{1,2})(?:[.\-_]\w*)*)?(?:@sha256:[0-9a-f]+)?["']?[ \t]*(?:#.*)?$/gim);
}

/**
 * The PostgreSQL major version a CI configuration's database service runs: an `image:` as in Compose
 * (GitHub Actions' `services: postgres: image: postgres:15`, CircleCI's `- image: cimg/postgres:16.3`), or
 * GitLab's list of services (`services: [postgres:13]`, `- postgres:13`, `- name: postgis/postgis:14-3.3`).
 */
export function postgresServiceIn(text: string): number | null {
  // Travis CI's add-on (review 80: osis's `.travis.yml` has `addons:` / `postgresql: "9.6"`).
  const travis = /^addons:[ \t]*(?:#.*)?\n(?:[ \t]+.*\n|[ \t]*\n)*?[ \t]+postgresql:[ \t]*["']?(\d{1,2})(?:\.\d+)?["']?[ \t]*(?:#.*)?$/m.exec(text);
  if (travis) return Number(travis[1]);
  const listed = lowestMajor(text, /^[ \t]*-[ \t]*(?:name:[ \t]*)?["']?(?:[\w.:-]+\/)*(?:postgres|postgresql|postgis):(\d{1,2})(?:[.\-_]\w*)*(?:@sha256:[0-9a-f]+)?["']?[ \t]*(?:#.*)?$/gim);
  const image = postgresImageIn(text);
  return listed === null ? image : image === null ? listed : Math.min(listed, image);
}

function lowestMajor(text: string, pattern: RegExp): number | null {
  let lowest: number | null = null;
  for (const m of text.matchAll(pattern)) {
    const major = m[1] === undefined ? null : Number(m[1]);
    if (major !== null && major >= 9 && (lowest === null || major < lowest)) lowest = major;
  }
  return lowest;
}

/** The PostgreSQL a CI configuration in `dir` runs its tests on, and the file that says so; null when none names a version. */
function ciPostgres(dir: string): PostgresPin | null {
  const files = CI_FILES.map((f) => join(dir, f));
  try {
    const flows = join(dir, WORKFLOWS);
    if (existsSync(flows)) files.push(...readdirSync(flows).filter((n) => /\.ya?ml$/.test(n)).sort().slice(0, MAX_WORKFLOWS).map((n) => join(flows, n)));
  } catch {
    // A workflows folder that cannot be listed names nothing.
  }
  let found: PostgresPin | null = null;
  for (const file of files) {
    try {
      if (!existsSync(file) || statSync(file).size > MAX_PIN_FILE) continue;
      const version = postgresServiceIn(readFileSync(file, 'utf8'));
      if (version !== null && (found === null || version < found.version)) found = { version, from: file };
    } catch {
      // An unreadable file names nothing.
    }
  }
  return found;
}

/** Pin files read for one folder at most, those its requirements files include counted. */
const MAX_INCLUDED = 24;

/**
 * The files a requirements file includes (`-r base.txt`, `--requirement=../pip/prod.txt`, and
 * constraints files, `-c constraints.txt`), relative to its folder; none for a lock file.
 */
export function includedRequirements(file: string, text: string): string[] {
  if (!/\.(?:txt|in)$/.test(file)) return [];
  const out: string[] = [];
  for (const m of text.matchAll(/^[ \t]*(?:-r|--requirement|-c|--constraint)(?:[ \t]*=[ \t]*|[ \t]+|(?=[^\s=-]))([^\s#]+)/gm)) {
    out.push(join(dirname(file), m[1] as string));
  }
  return out;
}

/** The lowest Django version a package's own metadata declares it supports (`>=` / `~=` in pyproject.toml, setup.cfg or setup.py), or the one it pins there (`==`), or null. */
function oldestSupported(dir: string): (readonly [number, number] & { from: string }) | null {
  for (const name of ['pyproject.toml', 'setup.cfg', 'setup.py']) {
    const file = join(dir, name);
    let text: string;
    try {
      text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    } catch {
      text = '';
    }
    // `==` too: an application that lists its dependencies in [project] pins them there (review 70: bornhack's `Django==5.2.16`).
    const m = /["'\s]django(?:\[[^\]]*\])?\s*(?:>=|~=|==)\s*(\d+)\.(\d+)/i.exec(text);
    const version = m ? versionOf(m[1], m[2]) : null;
    if (version) return Object.assign([version[0], version[1]] as const, { from: file });
  }
  return null;
}

/**
 * Finds and reads the pins of the projects migrations live in: the nearest folder at or above a
 * migration's folder that holds a pin file answers for it. Answers are kept per folder for the
 * life of the cache (a run, or the editor until settings or a pyproject.toml change).
 */
export class DjangoPins {
  private readonly byDir = new Map<string, DjangoPin | null>();
  private readonly postgresByDir = new Map<string, PostgresPin | null>();
  private readonly absent = new Set<string>();

  /** A folder listed without any of PIN_ENTRY_NAMES, as a walk that lists it anyway learns. */
  noteAbsent(dir: string): void {
    this.absent.add(dir);
  }

  /** The pin for files in `dir`, searching up to `stop` (inclusive) when given. */
  forDirectory(dir: string, stop?: string): DjangoPin | null {
    const known = this.byDir.get(dir);
    if (known !== undefined) return known;
    let found: DjangoPin | null = null;
    let stated = false;
    const absent = this.absent.has(dir);
    const files = absent ? [] : PIN_FILES.map((name) => join(dir, name));
    // The other files of a requirements folder, then those the Dockerfile installs from, read only when the
    // fixed names pin nothing.
    const later = absent ? [] : [() => (existsSync(join(dir, 'requirements')) ? requirementsFolderFiles(dir) : []), () => dockerfileRequirements(dir)];
    for (let i = 0; i < files.length; i++) {
      const file = files[i] as string;
      if (existsSync(file)) {
        stated = true;
        let version: readonly [number, number] | null = null;
        try {
          if (statSync(file).size <= MAX_PIN_FILE) {
            const text = readFileSync(file, 'utf8');
            version = pinnedIn(file, text);
            // `-r pip/requirements.txt`: the pin may be in a file this one includes (review 54: muckrock's
            // requirements.txt is that one line). Followed a few files deep, never twice.
            if (!version && files.length < MAX_INCLUDED) for (const included of includedRequirements(file, text)) if (!files.includes(included)) files.push(included);
          }
        } catch {
          version = null;
        }
        if (version) {
          // A package that declares the Django versions it supports (`Django>=4.2,<6.1`: wagtail) runs its
          // migrations on the oldest of them too, whatever its own lock file pins for development.
          const oldest = oldestSupported(dir);
          found = oldest && (oldest[0] < version[0] || (oldest[0] === version[0] && oldest[1] < version[1])) ? { version: oldest, from: oldest.from } : { version, from: file };
          break;
        }
      }
      while (i === files.length - 1 && later.length > 0) files.push(...(later.shift() as () => string[])().filter((f) => !files.includes(f)));
    }
    // No exact pin, but the package's metadata names the oldest Django it supports (review 39: django-shop's
    // `Django>=2.1,<3.1` in setup.py, and no lock file): its migrations run there too.
    if (!found && !absent) {
      const oldest = oldestSupported(dir);
      if (oldest) {
        found = { version: [oldest[0], oldest[1]], from: oldest.from };
        stated = true;
      }
    }
    // A folder with pin files that pin no Django exactly ends the search: a parent's pins are another project's.
    if (!found && !stated) {
      const parent = dirname(dir);
      found = parent === dir || dir === stop ? null : this.forDirectory(parent, stop);
    }
    this.byDir.set(dir, found);
    return found;
  }

  /**
   * The PostgreSQL version for files in `dir`: the nearest folder at or above it (up to `stop`)
   * with a Compose file answers, with the version of its postgres image or with none.
   */
  postgresFor(dir: string, stop?: string): PostgresPin | null {
    const known = this.postgresByDir.get(dir);
    if (known !== undefined) return known;
    let found: PostgresPin | null = null;
    let stated = false;
    for (const name of this.absent.has(dir) ? [] : COMPOSE_FILES) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      stated = true;
      try {
        const version = statSync(file).size <= MAX_PIN_FILE ? postgresImageIn(readFileSync(file, 'utf8')) : null;
        if (version !== null) {
          found = { version, from: file };
          break;
        }
      } catch {
        // An unreadable Compose file names nothing.
      }
    }
    // No Compose file names one: the CI configuration's database service (the repository's root, usually).
    if (!found && !this.absent.has(dir)) {
      const ci = ciPostgres(dir);
      if (ci) {
        found = ci;
        stated = true;
      }
    }
    if (!found && !stated) {
      const parent = dirname(dir);
      found = parent === dir || dir === stop ? null : this.postgresFor(parent, stop);
    }
    this.postgresByDir.set(dir, found);
    return found;
  }

  clear(): void {
    this.byDir.clear();
    this.postgresByDir.clear();
    this.absent.clear();
  }
}

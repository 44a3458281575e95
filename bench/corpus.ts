/**
 * Generates the benchmark corpus, deterministically from a seed: ~60 Django apps whose migration
 * chains evolve a model state (mostly makemigrations-style schema migrations, ~15% data
 * migrations, ~5% RunSQL, a few squashed migrations of 2,000-4,000 lines), laid out as
 * <root>/project/<app>/migrations/NNNN_name.py with __init__.py files. Files are rewritten only
 * when the generated content changes (a stamp file records its hash). The editor figures type in
 * files of the corpus itself (edit-points.ts), and open one ~1 MB squashed migration made by
 * bigSquashedMigration.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataMigration, sqlMigration, type HandWritten } from './corpus-data';
import { migrationModule, renderOperation, Rng, str, tuple, type Expr, type Style } from './corpus-format';
import { autoName, createModel, headerComment, schemaOperation, type AppState, type FileCtx } from './corpus-schema';

export type FileKind = 'initial' | 'schema' | 'data' | 'sql' | 'squashed';

export interface CorpusFile {
  /** Path relative to the corpus workspace root (…/project). */
  rel: string;
  kind: FileKind;
  text: string;
  lines: number;
}

export interface EditPoint {
  line: number;
  character: number;
  what: 'comment' | 'string';
}

export interface Corpus {
  files: CorpusFile[];
  apps: number;
}

const APPS = ['accounts', 'billing', 'orders', 'catalog', 'inventory', 'shipping', 'payments', 'invoices', 'customers', 'notifications',
  'analytics', 'reports', 'support', 'tickets', 'blog', 'cms', 'media', 'comments', 'reviews', 'ratings', 'search', 'tags', 'subscriptions',
  'plans', 'coupons', 'promotions', 'loyalty', 'wallets', 'ledger', 'audit', 'integrations', 'webhooks', 'api_keys', 'teams',
  'organizations', 'projects', 'tasks', 'calendar', 'bookings', 'events', 'venues', 'courses', 'lessons', 'enrollments', 'quizzes',
  'messaging', 'chat', 'forums', 'surveys', 'forms', 'documents', 'contracts', 'staff', 'payroll', 'timesheets', 'warehouses', 'suppliers',
  'procurement', 'returns', 'fraud'];
const DJANGO = ['3.2.25', '4.1.13', '4.2.11', '4.2.11', '5.0.6'];
const pad4 = (n: number): string => String(n).padStart(4, '0');
const countLines = (t: string): number => t.split('\n').length - 1;

function newCtx(rng: Rng, app: AppState, apps: AppState[]): FileCtx {
  return { rng, app, apps, imports: new Set(), deps: [], nameParts: [] };
}

function previousDep(app: AppState): Expr[] {
  const last = app.migrations[app.migrations.length - 1];
  return last ? [tuple(str(app.style, app.label), str(app.style, last))] : [];
}

/** Dependencies in the writer's order: swappable first, then this app's, then other apps'. */
function dependencies(ctx: FileCtx): Expr[] {
  const isCall = (d: Expr): boolean => typeof d !== 'string' && d.kind === 'call';
  return [...ctx.deps.filter(isCall), ...previousDep(ctx.app), ...ctx.deps.filter((d) => !isCall(d))];
}

/** One makemigrations-style file with `ops` operations (`initial` adds CreateModels first). */
function schemaFile(ctx: FileCtx, nOps: number, initial: boolean): { name: string; text: string } {
  const { rng, app } = ctx;
  const ops: string[] = [];
  if (initial) {
    for (let i = rng.int(1, 6); i > 0; i--) ops.push(...renderOperation(createModel(ctx, rng.int(5, 30)), 8, app.style));
  }
  // makemigrations files are rarely shorter than ~20 lines: one more change makes up the rest.
  for (let i = 0; i < nOps || ops.length < 8; i++) ops.push(...renderOperation(schemaOperation(ctx), 8, app.style));
  ctx.imports.add('from django.db import migrations, models');
  const deps = dependencies(ctx);
  const text = migrationModule({ header: headerComment(app), imports: ctx.imports, attributes: initial ? ['    initial = True'] : [], dependencies: deps, operations: ops }, app.style);
  return { name: initial ? 'initial' : autoName(ctx.nameParts, app.clock), text };
}

function handFile(ctx: FileCtx, h: HandWritten): string {
  const imports = new Set([...ctx.imports, ...h.imports]);
  if (imports.has('from django.db import migrations, models')) imports.delete('from django.db import migrations');
  // Hand-written migrations usually start from `makemigrations --empty`, header included.
  const header = ctx.rng.chance(0.8) ? headerComment(ctx.app) : undefined;
  const note = ctx.rng.chance(0.3) ? [`# ${h.name.replace(/_/g, ' ')}: reviewed with the DBA, see the deploy checklist.`, ''] : [];
  const preamble = note.length && h.preamble.length ? [...note, '', ...h.preamble] : h.preamble;
  return migrationModule({ ...(header ? { header } : {}), imports, preamble, attributes: h.attributes, dependencies: dependencies(ctx), operations: h.operations }, ctx.app.style);
}

/** A squashed migration: the app rebuilt from scratch, `replaces` the first `n` migrations. */
function squashedFile(rng: Rng, app: AppState, apps: AppState[], n: number, targetLines: number): { name: string; text: string } {
  const scratch: AppState = { ...app, models: [], migrations: [] };
  const ctx = newCtx(rng, scratch, apps);
  const ops: string[] = [];
  const preamble: string[] = [];
  const imports = new Set<string>();
  let lines = 40 + n;
  while (lines < targetLines) {
    const before = ops.length + preamble.length;
    if (scratch.models.length > 3 && rng.chance(0.04)) {
      const h = dataMigration(ctx);
      if (h) {
        if (preamble.length) preamble.push('', '');
        preamble.push(...h.preamble);
        ops.push(...h.operations);
        h.imports.forEach((i) => imports.add(i));
      }
    } else if (scratch.models.length < 4 || rng.chance(0.3)) {
      ops.push(...renderOperation(createModel(ctx, rng.int(10, 30)), 8, app.style));
    } else ops.push(...renderOperation(schemaOperation(ctx), 8, app.style));
    lines += ops.length + preamble.length - before;
  }
  ctx.imports.forEach((i) => imports.add(i));
  imports.add('from django.db import migrations, models');
  imports.delete('from django.db import migrations');
  const replaces = ['    replaces = ['];
  for (const m of app.migrations.slice(0, n)) replaces.push(`        (${str(app.style, app.label)}, ${str(app.style, m)}),`);
  replaces.push('    ]');
  const name = `squashed_${pad4(n)}_${app.migrations[n - 1]!.slice(5)}`.slice(0, 60);
  const text = migrationModule({ header: headerComment(app), imports, preamble, attributes: [...replaces, '', '    initial = True'], dependencies: ctx.deps, operations: ops }, app.style);
  return { name, text };
}

function appCounts(rng: Rng, total: number): number[] {
  const w = APPS.map(() => 0.3 + rng.next() * rng.next() * 6);
  const sum = w.reduce((a, b) => a + b, 0);
  const counts = w.map((x) => Math.max(5, Math.floor((x / sum) * total)));
  let diff = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; diff !== 0; i = (i + 1) % counts.length) {
    if (diff > 0) { counts[i]!++; diff--; } else if (counts[i]! > 5) { counts[i]!--; diff++; }
  }
  return counts;
}

/** Generates the whole corpus in memory. `total` counts migration files (not __init__.py). */
export function generateCorpus(seed: number, total = 3000): Corpus {
  const rng = new Rng(seed);
  const counts = appCounts(rng, total);
  const apps: AppState[] = APPS.map((label) => {
    const black = rng.chance(0.45);
    const style: Style = { black, q: black ? '"' : "'" };
    return { label, style, models: [], migrations: [], django: rng.pick(DJANGO), clock: rng.int(0, 200_000) };
  });
  const files: CorpusFile[] = [];
  // Apps with the longest histories get a squashed migration instead of one of their files.
  const squashApps = new Set([...counts.keys()].sort((a, b) => counts[b]! - counts[a]!).slice(0, 6));
  // Round-robin over apps so cross-app dependencies point at migrations that exist already.
  const maxCount = Math.max(...counts);
  for (let round = 0; round < maxCount; round++) {
    apps.forEach((app, ai) => {
      const want = counts[ai]! - (squashApps.has(ai) ? 1 : 0);
      if (round >= want) return;
      app.clock += rng.int(60, 60 * 24 * 20);
      // An app that gets squashed keeps to itself: a replaced migration depending on another app
      // that depends on an earlier replaced one would make the squash part of a cycle, which
      // Django refuses (CircularDependencyError).
      const ctx = newCtx(rng, app, squashApps.has(ai) ? [] : apps);
      let kind: FileKind = round === 0 ? 'initial' : rng.weighted({ schema: 80, data: 15, sql: 5 });
      let name: string;
      let text: string;
      const hand = kind === 'data' ? dataMigration(ctx) : kind === 'sql' ? sqlMigration(ctx) : null;
      if (hand) {
        name = hand.name;
        text = handFile(ctx, hand);
      } else {
        if (kind !== 'initial') kind = 'schema';
        const nOps = kind === 'initial' ? rng.int(0, 3) : Number(rng.weighted({ 1: 40, 2: 25, 3: 12, 4: 8, 6: 7, 10: 5, 18: 3 }));
        ({ name, text } = schemaFile(ctx, nOps, kind === 'initial'));
      }
      name = `${pad4(app.migrations.length + 1)}_${name}`;
      app.migrations.push(name);
      files.push({ rel: `${app.label}/migrations/${name}.py`, kind, text, lines: countLines(text) });
      if (squashApps.has(ai) && round === want - 1) {
        const n = Math.min(app.migrations.length, rng.int(20, 60));
        const sq = squashedFile(rng, app, [], n, rng.int(2000, 4000));
        files.push({ rel: `${app.label}/migrations/0001_${sq.name}.py`, kind: 'squashed', text: sq.text, lines: countLines(sq.text) });
      }
    });
  }
  return { files, apps: APPS.length };
}

/**
 * A squashed migration of about `bytes` characters (the editor's burst figure opens a ~1 MB one):
 * an app rebuilt from scratch as `squashedFile` writes it, with its data migrations folded in.
 */
export function bigSquashedMigration(seed: number, bytes: number): { rel: string; text: string; lines: number } {
  const app = (): AppState => ({
    label: 'warehouse', style: { black: true, q: '"' }, models: [], django: '4.2.11', clock: 3_100_000,
    migrations: Array.from({ length: 80 }, (_, i) => `${pad4(i + 1)}_auto_2024${String(1 + (i % 12)).padStart(2, '0')}01_0000`),
  });
  let targetLines = Math.ceil(bytes / 36);
  for (;;) {
    const sq = squashedFile(new Rng(seed), app(), [], 80, targetLines);
    if (sq.text.length >= bytes * 0.97 || targetLines > 1_000_000) {
      return { rel: `warehouse/migrations/0001_${sq.name}.py`, text: sq.text, lines: countLines(sq.text) };
    }
    targetLines = Math.ceil((targetLines * bytes) / sq.text.length) + 100;
  }
}

/** Writes the corpus under `root` (project/) unless the stamp says it is current. */
export function writeCorpus(root: string, corpus: Corpus, seed: number): { written: boolean; project: string } {
  const project = join(root, 'project');
  const hash = createHash('sha256');
  for (const f of corpus.files) hash.update(f.rel).update('\0').update(f.text).update('\0');
  const stamp = JSON.stringify({ seed, files: corpus.files.length, hash: hash.digest('hex') });
  const stampPath = join(root, 'STAMP.json');
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp && existsSync(project)) return { written: false, project };
  rmSync(root, { recursive: true, force: true });
  const dirs = new Set<string>();
  const put = (path: string, text: string): void => {
    const d = dirname(path);
    if (!dirs.has(d)) {
      mkdirSync(d, { recursive: true });
      dirs.add(d);
      writeFileSync(join(d, '__init__.py'), '');
      if (d.endsWith('migrations')) writeFileSync(join(d, '..', '__init__.py'), '');
    }
    writeFileSync(path, text);
  };
  for (const f of corpus.files) put(join(project, f.rel), f.text);
  writeFileSync(stampPath, stamp);
  return { written: true, project };
}

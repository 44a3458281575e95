/** Runs the bundled CLI (dist/cli.js) in a subprocess, as users run it, and makes temp folders. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DIST } from './paths';

export const CLI = join(DIST, 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], cwd: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.env ? { env: options.env } : {}),
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One finding of `check --format json`. */
export interface JsonFinding {
  path: string;
  line: number;
  column: number;
  rule: string;
  severity: string;
  message: string;
}

/** The findings a `check --format json` run printed. */
export function jsonFindings(run: CliRun): JsonFinding[] {
  return JSON.parse(run.stdout) as JsonFinding[];
}

/** A migration whose RunPython saves row by row and has no reverse: two findings. */
export const SAVE_LOOP_MIGRATION = `from django.db import migrations


def forwards(apps, schema_editor):
    Item = apps.get_model("shop", "Item")
    for item in Item.objects.all():
        item.flag = True
        item.save()


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.RunPython(forwards),
    ]
`;

/** Temporary folders removed by `removeAll` (call it from the suite's `after`). */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix = 'migration-guard-test-'): string {
    return this.makeIn(tmpdir(), prefix);
  }

  /** A temporary folder inside `parent` (another file system than the temporary folder's: /dev/shm). */
  makeIn(parent: string, prefix = 'migration-guard-test-'): string {
    const d = mkdtempSync(join(parent, prefix));
    this.dirs.push(d);
    return d;
  }

  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Writes a file, creating its folder; `content` may be bytes. */
export function writeFileIn(file: string, content: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/**
 * `text` as shop/migrations/0002_flag.py of a new project, after `check --unsafe-fixes` (as users fix):
 * the syntax-error finding, if any, and the file's text afterwards.
 */
export function afterUnsafeFixes(temps: TempDirs, text: string): { syntax: { message: string; line: number } | undefined; rules: string[]; after: string } {
  const root = temps.make();
  const file = join(root, 'shop', 'migrations', '0002_flag.py');
  writeFileIn(file, text);
  writeFileIn(join(root, 'shop', 'migrations', '__init__.py'), '');
  const run = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'check', '--no-cache', '--fix', '--unsafe-fixes', '--format', 'json', '.'], { cwd: root, encoding: 'utf8' });
  const found = JSON.parse(run.stdout) as Array<{ rule: string; message: string; line: number }>;
  return { syntax: found.find((f) => f.rule === 'syntax-error'), rules: found.map((f) => f.rule), after: readFileSync(file, 'utf8') };
}

/** stderr without the note on the database lock findings assume (cli/report.ts): for tests about the other notes. */
export function otherNotes(stderr: string): string {
  return stderr.replace(/^migration-guard: \d+ findings? \([^)]*\) assumes? the project deploys to .*\n/gm, '');
}

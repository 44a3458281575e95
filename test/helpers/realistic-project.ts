/**
 * A generated Django project with the migration history of a long-lived codebase: several apps,
 * each a chain of migrations in the shapes `makemigrations` and people write (initial models,
 * added fields, indexes, data backfills with loops, raw SQL, one-way RunPython), many of which
 * have findings. Seeded, so every run writes the same files. All templates are our own.
 */
import { join } from 'node:path';
import { writeFileIn } from './cli';

/** A small deterministic generator (a linear congruential one is plenty for picking templates). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const HEADER = 'from django.db import migrations, models\n';

type Template = (app: string, model: string, n: number) => string;

const TEMPLATES: Template[] = [
  // An added nullable field (no finding).
  (app, model, n) => `${HEADER}\n\nclass Migration(migrations.Migration):\n    dependencies = [("${app}", "PREVIOUS")]\n\n    operations = [\n        migrations.AddField(\n            model_name="${model}",\n            name="note_${n}",\n            field=models.TextField(blank=True, null=True),\n        ),\n    ]\n`,
  // A backfill with a save loop and no reverse.
  (app, model, n) => `${HEADER}\n\ndef backfill_${n}(apps, schema_editor):\n    ${cap(model)} = apps.get_model("${app}", "${cap(model)}")\n    for row in ${cap(model)}.objects.filter(status_${n}__isnull=True):\n        row.status_${n} = "active"\n        row.save(update_fields=["status_${n}"])\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("${app}", "PREVIOUS")]\n\n    operations = [\n        migrations.RunPython(backfill_${n}),\n    ]\n`,
  // Raw SQL without a reverse, and a concurrent index in a transaction.
  (app, model, n) => `${HEADER}\n\nclass Migration(migrations.Migration):\n    dependencies = [("${app}", "PREVIOUS")]\n\n    operations = [\n        migrations.RunSQL("UPDATE ${app}_${model} SET flag_${n} = false WHERE flag_${n} IS NULL"),\n        migrations.RunSQL(\n            "CREATE INDEX CONCURRENTLY ${app}_${model}_${n}_idx ON ${app}_${model} (flag_${n})",\n            reverse_sql="DROP INDEX CONCURRENTLY ${app}_${model}_${n}_idx",\n        ),\n    ]\n`,
  // Data and schema in one migration.
  (app, model, n) => `${HEADER}\n\ndef copy_codes_${n}(apps, schema_editor):\n    ${cap(model)} = apps.get_model("${app}", "${cap(model)}")\n    ${cap(model)}.objects.filter(code_${n}="").update(code_${n}="n/a")\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("${app}", "PREVIOUS")]\n\n    operations = [\n        migrations.RunPython(copy_codes_${n}, migrations.RunPython.noop),\n        migrations.AlterField(\n            model_name="${model}",\n            name="code_${n}",\n            field=models.CharField(max_length=32, db_index=True),\n        ),\n    ]\n`,
  // An index added the plain way (no finding in the first wave).
  (app, model, n) => `${HEADER}\n\nclass Migration(migrations.Migration):\n    dependencies = [("${app}", "PREVIOUS")]\n\n    operations = [\n        migrations.AddIndex(\n            model_name="${model}",\n            index=models.Index(fields=["created_${n}"], name="${app}_${model}_c${n}"),\n        ),\n    ]\n`,
  // Deletes one row at a time, in a helper.
  (app, model, n) => `${HEADER}\n\ndef _purge(row):\n    row.delete()\n\n\ndef purge_${n}(apps, schema_editor):\n    ${cap(model)} = apps.get_model("${app}", "${cap(model)}")\n    for row in ${cap(model)}.objects.filter(archived=True).iterator():\n        _purge(row)\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("${app}", "PREVIOUS")]\n\n    operations = [\n        migrations.RunPython(purge_${n}, reverse_code=migrations.RunPython.noop),\n    ]\n`,
];

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function initial(model: string): string {
  return `${HEADER}\n\nclass Migration(migrations.Migration):\n    initial = True\n\n    dependencies = []\n\n    operations = [\n        migrations.CreateModel(\n            name="${cap(model)}",\n            fields=[\n                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),\n                ("name", models.CharField(max_length=200)),\n            ],\n        ),\n    ]\n`;
}

export interface GeneratedProject {
  /** Migration files, relative to the root, in creation order per app. */
  files: string[];
}

/** Writes `apps` apps of `perApp` migrations each under `root`. */
export function writeRealisticProject(root: string, options: { apps?: number; perApp?: number; seed?: number } = {}): GeneratedProject {
  const random = seeded(options.seed ?? 20240611);
  const apps = ['billing', 'catalog', 'accounts', 'shipping', 'reviews', 'support', 'search', 'audit'].slice(0, options.apps ?? 6);
  const files: string[] = [];
  for (const app of apps) {
    const model = `${app.replace(/s$/, '')}item`;
    let previous = '0001_initial';
    const first = join(app, 'migrations', '0001_initial.py');
    writeFileIn(join(root, first), initial(model));
    writeFileIn(join(root, app, 'migrations', '__init__.py'), '');
    files.push(first);
    for (let n = 2; n <= (options.perApp ?? 12); n++) {
      const template = TEMPLATES[Math.floor(random() * TEMPLATES.length)] as Template;
      const name = `${String(n).padStart(4, '0')}_change_${n}`;
      const rel = join(app, 'migrations', `${name}.py`);
      writeFileIn(join(root, rel), template(app, model, n).replace('PREVIOUS', previous));
      files.push(rel);
      previous = name;
    }
  }
  return { files };
}

/**
 * Edits that must not disturb a baseline: lines inserted above everything (a module docstring and
 * an import), and the operations reformatted (one-line calls exploded with a trailing comma,
 * quotes switched, a comment and a blank line inside the list).
 */
export function shiftAndReformat(text: string): string {
  const shifted = `"""Reviewed in the 2019 migration audit."""\nimport logging\n\nlogger = logging.getLogger(__name__)\n${text}`;
  return shifted
    .replace(/^( {8})migrations\.RunPython\(([^()\n]*)\),$/gm, (_m, indent: string, args: string) => `${indent}# kept as it shipped\n\n${indent}migrations.RunPython(\n${args.split(', ').map((a) => `${indent}    ${a},`).join('\n')}\n${indent}),`)
    .replace(/migrations\.RunSQL\("([^"\n]*)"\)/g, "migrations.RunSQL('$1')");
}

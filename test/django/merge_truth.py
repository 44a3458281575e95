"""Runs Django's own `makemigrations --merge --noinput` on a fixture project (configured from its
fixture.json, as project_truth.py does) and prints the merge migrations it wrote, as JSON:
[{"app": label, "file": path relative to the fixture, "name": migration name,
  "dependencies": [[app, name], ...]}]. Only used on copies of fixtures: it writes files.

Usage: /usr/bin/python3 merge_truth.py <fixture_copy_dir>
"""
import io
import json
import os
import sys

sys.dont_write_bytecode = True

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from project_truth import configure  # noqa: E402


def main(fixture_dir):
    configure(fixture_dir)
    from django.core.management import call_command
    from django.db.migrations.loader import MigrationLoader

    before = set()
    for root, _, files in os.walk(fixture_dir):
        before.update(os.path.join(root, f) for f in files)
    call_command("makemigrations", merge=True, interactive=False, stdout=io.StringIO())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    written = []
    for root, _, files in os.walk(fixture_dir):
        for f in files:
            path = os.path.join(root, f)
            if path in before or not f.endswith(".py"):
                continue
            name = f[:-3]
            app = next(label for (label, n) in loader.disk_migrations if n == name)
            migration = loader.disk_migrations[(app, name)]
            written.append({
                "app": app,
                "file": os.path.relpath(path, fixture_dir),
                "name": name,
                "dependencies": [list(d) for d in migration.dependencies],
            })
    print(json.dumps(written))


if __name__ == "__main__":
    main(sys.argv[1])

"""Runs a Django management command for the truth tests (test/helpers/django.ts).

Usage: /usr/bin/python3 run_django.py <manage.py arguments...>

The environment names the project: DJANGO_SETTINGS_MODULE, and PYTHONPATH holding the generated
settings module's folder and the fixture project. With MG_TIMELINE=<file>, each applied or unapplied
migration and each RunPython operation appends a JSON line with time.monotonic() stamps to that
file (CLOCK_MONOTONIC is machine-wide, so another process can compare its own stamps with them).
The instrumentation wraps Django's own methods; it never changes what a migration does.
"""
import json
import os
import sys
import time

import django


def _install_timeline(path):
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.operations.special import RunPython

    def emit(**event):
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")

    def timed(kind, label):
        def wrap(method):
            def run(self, *args, **kwargs):
                name = label(self, args)
                start = time.monotonic()
                emit(event=kind + "-start", name=name, t=start)
                try:
                    return method(self, *args, **kwargs)
                finally:
                    end = time.monotonic()
                    emit(event=kind, name=name, start=start, end=end)
            return run
        return wrap

    migration_label = lambda self, args: "%s.%s" % (args[1].app_label, args[1].name)
    MigrationExecutor.apply_migration = timed("apply", migration_label)(MigrationExecutor.apply_migration)
    MigrationExecutor.unapply_migration = timed("unapply", migration_label)(MigrationExecutor.unapply_migration)
    RunPython.database_forwards = timed("runpython", lambda self, args: "%s.%s" % (args[0], self.code.__name__))(
        RunPython.database_forwards
    )


def main():
    django.setup()
    timeline = os.environ.get("MG_TIMELINE")
    if timeline:
        _install_timeline(timeline)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py"] + sys.argv[1:])


if __name__ == "__main__":
    main()

"""Runs one migration with Django's `migrate` and watches, from other sessions, what it locks and
whom it blocks (test/blocking-truth.test.ts asserts on what this prints; this file only observes).

Usage: /usr/bin/python3 blocking_probe.py '<spec as JSON>'   (DJANGO_SETTINGS_MODULE and PYTHONPATH
as for run_django.py). The spec:
  app, migration   what `manage.py migrate <app> <migration>` applies (one migration);
  tables           the tables to watch (their oids are taken before the migration runs);
  hold             how the migration is held still while it holds its locks:
                   "commit"   - (atomic migrations) the migrate process waits, once Django has run
                                every statement of the migration (its deferred ones included) and
                                before the transaction commits, for an advisory lock this script
                                holds: every lock the migration took is held until it is released;
                   "snapshot" - (atomic = False) a session keeps a REPEATABLE READ transaction open
                                (with ACCESS SHARE on `snapshot_table`): CREATE INDEX CONCURRENTLY
                                waits for its snapshot and DROP INDEX CONCURRENTLY for its lock, both
                                while holding their own table lock;
                   "none"     - nothing is held; `hammer` writes run in a loop for the whole migrate;
  during           probes [{name, sql}] run one by one while the migration is held;
  after            probes run once the migration has committed (what the previous release would run);
  hammer           a write run in a loop while an unheld migrate runs.
With --migrate APP MIGRATION this script is the migrate process: `manage.py migrate APP MIGRATION`,
with the pause before commit when MG_PAUSE_KEY names the advisory lock. The pause wraps the
schema editor's transaction (Django's own code runs unchanged; one SELECT pg_advisory_xact_lock is
added at its end) — Django 3.2 records the migration inside that transaction only when it has no
deferred statements, so django_migrations is no place to hold it.
Every probe runs in its own transaction, rolled back, with lock_timeout = 500ms. While it runs, its
backend's ungranted lock requests are read from pg_locks: a probe is blocked when one is seen (it
is then cancelled) or when PostgreSQL cancels it for the lock timeout (SQLSTATE 55P03) — both only
happen while it waits for a lock, and the hold keeps that lock held for as long as the probe would
wait.
"""
import json
import os
import subprocess
import sys
import threading
import time

import django
import psycopg2

LOCK_TIMEOUT = "500ms"
DEADLINE = 90.0


def connect(settings, autocommit=True, name="mg-probe"):
    conn = psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"], application_name=name
    )
    conn.autocommit = autocommit
    return conn


def rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def table_stats(conn, oids):
    """File node and sequential-scan count of each watched table (None when it is gone)."""
    rows(conn, "SELECT pg_stat_clear_snapshot()")
    out = {}
    for table, oid in oids.items():
        (filenode, scans), = rows(conn, "SELECT pg_relation_filenode(%s::oid), pg_stat_get_numscans(%s::oid)", (oid, oid))
        out[table] = {"filenode": filenode, "scans": scans}
    return out


def run_probe(settings, watcher, sql, oids):
    """Runs `sql` in its own rolled-back transaction; reports whether it waited for a lock."""
    conn = connect(settings, autocommit=False)
    (pid,), = rows(conn, "SELECT pg_backend_pid()")
    conn.rollback()
    result = {"outcome": "ok", "error": None, "sqlstate": None, "waited_for": []}

    def work():
        started = time.monotonic()
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = %s", (LOCK_TIMEOUT,))
                cur.execute(sql)
        except psycopg2.Error as e:
            result["outcome"] = {"55P03": "lock_timeout", "57014": "cancelled"}.get(e.pgcode, "error")
            result["sqlstate"] = e.pgcode
            result["error"] = str(e).strip()
        result["ms"] = round((time.monotonic() - started) * 1000, 1)
        conn.rollback()

    thread = threading.Thread(target=work)
    thread.start()
    names = {str(oid): table for table, oid in oids.items()}
    while thread.is_alive():
        for locktype, relation, mode in rows(
            watcher, "SELECT locktype, relation::text, mode FROM pg_locks WHERE pid = %s AND NOT granted", (pid,)
        ):
            seen = {"locktype": locktype, "table": names.get(relation, relation), "mode": mode}
            if seen not in result["waited_for"]:
                result["waited_for"].append(seen)
        if result["waited_for"]:
            # Seen waiting: no need to wait for the lock timeout too.
            rows(watcher, "SELECT pg_cancel_backend(%s)", (pid,))
            break
        time.sleep(0.005)
    thread.join()
    conn.close()
    result["blocked"] = result["outcome"] == "lock_timeout" or bool(result["waited_for"])
    return result


def hammer(settings, sql, stop, report):
    conn = connect(settings, autocommit=False)
    while not stop.is_set():
        started = time.monotonic()
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = %s", (LOCK_TIMEOUT,))
                cur.execute(sql)
            report["writes"] += 1
        except psycopg2.Error as e:
            report["failures"].append(e.pgcode)
        report["max_ms"] = max(report["max_ms"], round((time.monotonic() - started) * 1000, 1))
        conn.rollback()
    conn.close()


def migrate_paused(app, migration):
    """`manage.py migrate app migration`, waiting before each migration's commit (see above)."""
    from django.core.management import execute_from_command_line
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

    key = int(os.environ["MG_PAUSE_KEY"])
    enter = BaseDatabaseSchemaEditor.__enter__

    class PausedAtomic:
        def __init__(self, editor, atomic):
            self.editor, self.atomic = editor, atomic

        def __exit__(self, exc_type, exc_value, traceback):
            if exc_type is None:
                with self.editor.connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
            return self.atomic.__exit__(exc_type, exc_value, traceback)

    def paused_enter(self):
        result = enter(self)
        if self.atomic_migration:
            self.atomic = PausedAtomic(self, self.atomic)
        return result

    BaseDatabaseSchemaEditor.__enter__ = paused_enter
    execute_from_command_line(["manage.py", "migrate", app, migration])


def main():
    if sys.argv[1] == "--migrate":
        migrate_paused(sys.argv[2], sys.argv[3])
        return
    spec = json.loads(sys.argv[1])
    django.setup()
    from django.db import connection

    settings = connection.settings_dict
    watcher = connect(settings)
    oids = {}
    for table in spec["tables"]:
        (oid,), = rows(watcher, "SELECT %s::regclass::oid", (table,))
        oids[table] = oid
    report = {"before": table_stats(watcher, oids), "held": False, "locks": {}, "during": {}, "after": {}}

    holder = None
    pause_key = os.getpid()
    if spec["hold"] == "commit":
        holder = connect(settings, autocommit=False, name="mg-holder")
        rows(holder, "SELECT pg_advisory_xact_lock(%s)", (pause_key,))
    elif spec["hold"] == "snapshot":
        holder = connect(settings, autocommit=False, name="mg-holder")
        rows(holder, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows(holder, 'SELECT id FROM "%s" WHERE id = 1' % spec["snapshot_table"])

    app_name = "mg-migrate-%d" % os.getpid()
    env = dict(os.environ, PGAPPNAME=app_name, MG_PAUSE_KEY=str(pause_key))
    migrate = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--migrate", spec["app"], spec["migration"]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )

    stop = threading.Event()
    hammering = None
    if spec.get("hammer"):
        report["hammer"] = {"writes": 0, "failures": [], "max_ms": 0}
        hammering = threading.Thread(target=hammer, args=(settings, spec["hammer"], stop, report["hammer"]))
        hammering.start()

    if holder is not None:
        # Wait (no guessing how long) until the migration's backend waits at the hold.
        wanted = "advisory" if spec["hold"] == "commit" else "virtualxid"
        started = time.monotonic()
        pid = None
        while pid is None and migrate.poll() is None and time.monotonic() - started < DEADLINE:
            for backend, event, query in rows(
                watcher,
                "SELECT pid, wait_event, query FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'",
                (app_name,),
            ):
                if event == wanted:
                    pid = backend
                    report["waiting_at"] = query
            time.sleep(0.01)
        if pid is not None:
            report["held"] = True
            for relation, mode in rows(
                watcher, "SELECT relation, mode FROM pg_locks WHERE pid = %s AND granted AND locktype = 'relation'", (pid,)
            ):
                for table, oid in oids.items():
                    if relation == oid:
                        report["locks"].setdefault(table, []).append(mode)
            for probe in spec.get("during", []):
                report["during"][probe["name"]] = run_probe(settings, watcher, probe["sql"], oids)
        holder.rollback()
        holder.close()

    out, err = migrate.communicate(timeout=DEADLINE)
    stop.set()
    if hammering is not None:
        hammering.join()
    report["migrate"] = {"code": migrate.returncode, "stdout": out[-4000:], "stderr": err[-4000:]}
    # Its backend flushes its statistics as it exits: wait until it is gone before reading them.
    started = time.monotonic()
    while rows(watcher, "SELECT 1 FROM pg_stat_activity WHERE application_name = %s", (app_name,)):
        if time.monotonic() - started > DEADLINE:
            break
        time.sleep(0.01)
    report["after_stats"] = table_stats(watcher, oids)
    for probe in spec.get("after", []):
        report["after"][probe["name"]] = run_probe(settings, watcher, probe["sql"], oids)
    watcher.close()
    json.dump(report, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

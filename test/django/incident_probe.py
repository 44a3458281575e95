"""The seed-000 incident, measured: runs `migrate` (run_django.py, in its own process) while this
process keeps writing one row of the table the migration works on, and reports how long each write
had to wait.

Usage: /usr/bin/python3 incident_probe.py --dsn DSN --table T --row-id N --timeline FILE
                                         [--deadline SECONDS] -- <migrate arguments...>
(DJANGO_SETTINGS_MODULE and PYTHONPATH as for run_django.py; the migrate process gets
MG_TIMELINE=FILE, so its migrations and RunPython operations are timed on the same clock.)

The writer is a second connection in autocommit mode doing `UPDATE <table> SET note = 'x'
WHERE id = <row>`, paced at about 50 writes a second. One write counts from its first attempt
until it succeeds, however long that takes. It is attempted in slices of `lock_timeout = 200ms`
and retried at once after each timeout rather than with one long timeout: a writer blocked on a
row lock the migration holds also holds a ROW EXCLUSIVE lock on the table, so a single long wait
would deadlock with the migration's ALTER TABLE, and PostgreSQL would kill the migration — not
what an application that retries does to a deploy. The slices are shorter than deadlock_timeout
(1 s), so the ALTER always gets its lock first, as in production.

Prints JSON: {"returncode", "stdout", "stderr", "writes": [[start, wait, attempts], ...],
"timeline": [events from run_django.py]}; times are time.monotonic() seconds.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import psycopg2
import psycopg2.errors

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--row-id", type=int, required=True)
    parser.add_argument("--timeline", required=True)
    parser.add_argument("--deadline", type=float, default=100.0)
    parser.add_argument("migrate", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    migrate_args = [a for a in args.migrate if a != "--"]

    conn = psycopg2.connect(args.dsn, application_name="incident-probe")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET lock_timeout = '200ms'")
    update = "UPDATE %s SET note = 'x' WHERE id = %%s" % args.table
    cur.execute(update, (args.row_id,))  # one write before: the row exists, the connection is warm
    if cur.rowcount != 1:
        raise SystemExit("row %s of %s does not exist" % (args.row_id, args.table))

    env = dict(os.environ, MG_TIMELINE=args.timeline)
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "run_django.py"), "migrate"] + migrate_args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + args.deadline
    writes = []
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                break
            start = time.monotonic()
            attempts = 0
            while True:
                attempts += 1
                try:
                    cur.execute(update, (args.row_id,))
                    break
                except psycopg2.errors.LockNotAvailable:
                    if time.monotonic() > deadline:
                        break
            writes.append([start, time.monotonic() - start, attempts])
            time.sleep(0.02)
    finally:
        stdout, stderr = proc.communicate()
        conn.close()
    timeline = []
    if os.path.exists(args.timeline):
        with open(args.timeline, encoding="utf-8") as f:
            timeline = [json.loads(line) for line in f if line.strip()]
    json.dump({
        "returncode": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
        "writes": writes,
        "timeline": timeline,
    }, sys.stdout)


if __name__ == "__main__":
    main()

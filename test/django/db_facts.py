"""Prints what a migrated database holds, through Django's connection and introspection (the same
code for SQLite and PostgreSQL): every table's columns (nullability, type) and constraints/indexes,
the applied migrations, and the rows each SQL query given on the command line returns.

Usage: /usr/bin/python3 db_facts.py [SQL...]   (DJANGO_SETTINGS_MODULE and PYTHONPATH as for
run_django.py)
"""
import json
import sys

import django


def main():
    django.setup()
    from django.db import connection

    facts = {"vendor": connection.vendor, "tables": {}, "applied": [], "queries": []}
    with connection.cursor() as cursor:
        introspection = connection.introspection
        for table in sorted(introspection.table_names(cursor)):
            columns = {
                c.name: {"null": bool(c.null_ok), "type": introspection.get_field_type(c.type_code, c)}
                for c in introspection.get_table_description(cursor, table)
            }
            constraints = {
                name: {
                    "columns": list(info["columns"] or []),
                    "unique": bool(info["unique"]),
                    "index": bool(info["index"]),
                    "primary_key": bool(info["primary_key"]),
                }
                for name, info in introspection.get_constraints(cursor, table).items()
            }
            facts["tables"][table] = {"columns": columns, "constraints": constraints}
        if "django_migrations" in facts["tables"]:
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
            facts["applied"] = ["%s.%s" % row for row in cursor.fetchall()]
        for sql in sys.argv[1:]:
            cursor.execute(sql)
            facts["queries"].append([[str(v) if v is not None else None for v in row] for row in cursor.fetchall()])
    json.dump(facts, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

"""Loads a project's migrations with Django's own MigrationLoader (no database) and prints JSON.

Usage: /usr/bin/python3 inspect_migrations.py   (DJANGO_SETTINGS_MODULE and PYTHONPATH as for
run_django.py)

Output:
  {"leaves": {app: [name, ...]},            graph.leaf_nodes() per app
   "conflicts": {app: [name, ...]},         loader.detect_conflicts()
   "plan": [{"app", "name", "file", "atomic", "dependencies", "run_before", "replaces",
             "ancestors": ["app.name", ...],  every migration that must run before this one
             "operations": [{"op": class name, "args": [str], "kwargs": {name: str}}]}]}
"plan" is the full forwards order: graph.forwards_plan(leaf) of every leaf (sorted), deduplicated,
as MigrationExecutor.migration_plan builds it. Operation arguments are rendered from deconstruct():
fields, indexes and nested operations by their own deconstruct(), callables by __name__ (so a
RunPython reads the same whichever module now defines its function).
"""
import functools
import inspect
import json
import sys

import django


def render(value):
    """A stable text for a deconstructed argument (strings as repr)."""
    from django.db.migrations.operations.base import Operation

    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Operation):
        summary = summarize(value)
        return "%s(%s)" % (summary["op"], ", ".join(summary["args"] + ["%s=%s" % kv for kv in summary["kwargs"].items()]))
    if isinstance(value, functools.partial):
        return "partial(%s)" % ", ".join(
            [render(value.func)] + [render(a) for a in value.args]
            + ["%s=%s" % (k, render(v)) for k, v in sorted(value.keywords.items())]
        )
    if inspect.isfunction(value) or inspect.ismethod(value) or inspect.isbuiltin(value):
        return "callable:%s" % value.__name__
    if isinstance(value, type):
        return "class:%s.%s" % (value.__module__, value.__qualname__)
    if isinstance(value, list):
        return "[%s]" % ", ".join(render(v) for v in value)
    if isinstance(value, tuple):
        return "(%s)" % ", ".join(render(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return "{%s}" % ", ".join(sorted(render(v) for v in value))
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (render(k), render(v)) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0])))
    if hasattr(value, "deconstruct"):
        parts = value.deconstruct()
        if len(parts) == 4:  # a Field: (name, path, args, kwargs)
            _, path, args, kwargs = parts
        else:
            path, args, kwargs = parts
        return "%s(%s)" % (path, ", ".join([render(a) for a in args] + ["%s=%s" % (k, render(v)) for k, v in sorted(kwargs.items())]))
    return repr(value)


def summarize(operation):
    name, args, kwargs = operation.deconstruct()
    return {
        "op": name,
        "args": [render(a) for a in args],
        "kwargs": {k: render(v) for k, v in sorted(kwargs.items())},
    }


def main():
    django.setup()
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    leaves = {}
    for app, name in graph.leaf_nodes():
        leaves.setdefault(app, []).append(name)
    plan, seen = [], set()
    for leaf in sorted(graph.leaf_nodes()):
        for node in graph.forwards_plan(leaf):
            if node in seen:
                continue
            seen.add(node)
            migration = loader.graph.nodes[node]
            module = sys.modules.get(migration.__module__)
            plan.append({
                "app": node[0],
                "name": node[1],
                "file": getattr(module, "__file__", None),
                "atomic": migration.atomic,
                "dependencies": ["%s.%s" % d for d in migration.dependencies],
                "run_before": ["%s.%s" % d for d in migration.run_before],
                "replaces": ["%s.%s" % d for d in migration.replaces],
                "ancestors": sorted("%s.%s" % n for n in graph.forwards_plan(node) if n != node),
                "operations": [summarize(op) for op in migration.operations],
            })
    json.dump({
        "leaves": {app: sorted(names) for app, names in sorted(leaves.items())},
        "conflicts": {app: sorted(names) for app, names in sorted(loader.detect_conflicts().items())},
        "plan": plan,
    }, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

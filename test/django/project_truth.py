"""What real Django makes of a fixture project's migrations: the graph, the plan and the model
state after every migration, as JSON — the reference the static project view is compared with.

Usage: /usr/bin/python3 project_truth.py <fixture_dir>
With MIGRATION_GUARD_TRUTH_APPLIED='[["app", "name"], …]' those migrations count as applied.

Django is configured from <fixture_dir>/fixture.json (installed_apps, auth_user_model,
migration_modules) with a PostgreSQL DATABASES entry that is never connected to: the loader gets
no connection (nothing counts as applied) and rendering only asks the backend for its name-length
limit. <fixture_dir> goes first on sys.path. Prints one JSON object (see
test/fixtures/projects/README.md for every key):
  {"error", "apps", "nodes", "parents", "leaves", "conflicts", "plan", "replacements", "states"}
An error raised while Django builds the graph is reported in "error" (then "plan" is [] and
"states" is {}); the exit code is 0 whenever the JSON was printed.
"""
import decimal
import importlib.util
import json
import math
import os
import sys

sys.dont_write_bytecode = True  # never leave __pycache__ folders in the fixtures

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def configure(fixture_dir):
    """settings.configure() from fixture.json; the fixture root becomes importable."""
    with open(os.path.join(fixture_dir, "fixture.json"), encoding="utf-8") as f:
        fixture = json.load(f)
    sys.path.insert(0, fixture_dir)
    options = {
        "INSTALLED_APPS": fixture["installed_apps"],
        "MIGRATION_MODULES": fixture.get("migration_modules") or {},
        "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "migration_guard_never_connected"}},
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        "USE_TZ": True,
    }
    if fixture.get("auth_user_model"):
        options["AUTH_USER_MODEL"] = fixture["auth_user_model"]
    settings.configure(**options)
    django.setup()


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def fixture_apps(fixture_dir):
    """Labels of installed apps whose migrations package (a regular package, as the loader
    requires) lives inside the fixture folder."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    labels = []
    for config in apps.get_app_configs():
        module_name, _ = MigrationLoader.migrations_module(config.label)
        if module_name is None:
            continue
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            continue
        if spec is None or spec.origin is None or not spec.submodule_search_locations:
            continue  # missing, a namespace folder (no __init__.py) or a plain module
        if inside(spec.origin, fixture_dir):
            labels.append(config.label)
    return sorted(labels)


def pair(node):
    return [node[0], node[1]]


def origin_pair(origin):
    """A NodeNotFoundError's origin is the Migration instance that named the missing node."""
    if origin is None:
        return None
    if hasattr(origin, "app_label") and hasattr(origin, "name"):
        return [origin.app_label, origin.name]
    if isinstance(origin, tuple) and len(origin) == 2:
        return pair(origin)
    return [str(origin), None]


def describe_error(exc):
    from django.db.migrations.exceptions import NodeNotFoundError

    node = origin = None
    if isinstance(exc, NodeNotFoundError):
        node = pair(exc.node) if exc.node is not None else None
        origin = origin_pair(exc.origin)
    return {"type": type(exc).__name__, "message": str(exc), "node": node, "origin": origin}


def callable_name(value):
    module = getattr(value, "__module__", None)
    owner = getattr(value, "__self__", None)
    if module is None and isinstance(owner, type):
        module = owner.__module__  # e.g. datetime.datetime.now
    qualname = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or type(value).__qualname__
    return "%s.%s" % (module or "builtins", qualname)


def encode_default(value):
    from django.db.models.fields import NOT_PROVIDED

    if value is NOT_PROVIDED:
        return {"$": "NOT_PROVIDED"}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$repr": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if callable(value):
        return {"$callable": callable_name(value)}
    if isinstance(value, list):
        return [encode_default(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: encode_default(v) for k, v in value.items()}
    return {"$repr": repr(value)}


def model_label(app_label, reference):
    """'app.model' (lower case) for a related model given as a class or a string."""
    if hasattr(reference, "_meta"):
        return reference._meta.label_lower
    if reference == "self":
        return None
    app, _, name = reference.rpartition(".")
    return "%s.%s" % (app or app_label, name.lower())


def describe_field(app_label, model_name_lower, name, field, rendered):
    """One field, from the rendered model's field when there is one, else from the state's."""
    if rendered is None:
        field = field.clone()
        field.set_attributes_from_name(name)  # gives the unbound clone its attname and column
    else:
        field = rendered
    related = None
    if field.is_relation:
        related = model_label(app_label, field.related_model) or "%s.%s" % (app_label, model_name_lower)
    return {
        "path": field.deconstruct()[1],
        "column": field.get_attname_column()[1],
        "null": field.null,
        "blank": field.blank,
        "default": encode_default(field.default),
        "db_index": field.db_index,
        "unique": field.unique,
        "primary_key": field.primary_key,
        "max_length": field.max_length,
        "db_column": field.db_column,
        "related_model": related,
    }


def together(value):
    from django.db.models.options import normalize_together

    return sorted(sorted(fields) for fields in normalize_together(value or ()))


def describe_model(model_state, rendered, render_error):
    options = model_state.options
    meta = rendered._meta if rendered is not None else None
    model = {
        "name": model_state.name,
        "db_table": meta.db_table if meta else None,
        "managed": meta.managed if meta else options.get("managed", True),
        "proxy": meta.proxy if meta else options.get("proxy", False),
        "options_db_table": options.get("db_table"),
        "unique_together": together(options.get("unique_together")),
        "index_together": together(options.get("index_together")),
        "indexes": [index.name for index in options.get("indexes", [])],
        "constraints": [constraint.name for constraint in options.get("constraints", [])],
        "fields": {
            name: describe_field(
                model_state.app_label, model_state.name_lower, name, field,
                meta.get_field(name) if meta else None,
            )
            for name, field in model_state.fields.items()
        },
    }
    if render_error is not None:
        model["render_error"] = render_error
    return model


def state_at(loader, node, labels):
    """Models of the fixture apps once `node` has run, as Django's loader replays them."""
    state = loader.project_state(node, at_end=True)
    try:
        rendered_apps, render_error = state.apps, None
    except Exception as exc:  # the whole registry fails to render (e.g. a lazy reference)
        rendered_apps, render_error = None, "%s: %s" % (type(exc).__name__, exc)
    models = {}
    for (app_label, name_lower), model_state in sorted(state.models.items()):
        if app_label not in labels:
            continue
        rendered = rendered_apps.get_model(app_label, name_lower) if rendered_apps else None
        models["%s.%s" % (app_label, name_lower)] = describe_model(model_state, rendered, render_error)
    return models


def full_plan(graph):
    """`migrate` with no arguments on an empty database: MigrationExecutor.migration_plan over
    graph.leaf_nodes(), without the executor (it wants a connection)."""
    plan, seen = [], set()
    for leaf in graph.leaf_nodes():
        for node in graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    return plan


def build(fixture_dir):
    from django.db.migrations.loader import MigrationLoader

    labels = fixture_apps(fixture_dir)
    result = {
        "error": None, "apps": labels, "nodes": [], "parents": {}, "leaves": [], "conflicts": {},
        "plan": [], "replacements": {}, "states": {},
    }
    applied = json.loads(os.environ.get("MIGRATION_GUARD_TRUTH_APPLIED") or "[]")
    if applied:
        # A database on which these migrations are applied (never connected to: the recorder is
        # replaced): a squash only part of whose chain is applied is dropped and its chain kept.
        from django.db.migrations import loader as loader_module

        class Recorder:
            def __init__(self, connection):
                pass

            def applied_migrations(self):
                return {(app, name): None for app, name in applied}

        loader_module.MigrationRecorder = Recorder
    loader = MigrationLoader(object() if applied else None, load=False, ignore_no_migrations=True)
    try:
        loader.build_graph()
    except Exception as exc:
        result["error"] = describe_error(exc)
    graph = getattr(loader, "graph", None)
    if graph is None:
        return result
    # Dummy nodes (named but missing migrations) only survive in a graph Django rejected.
    real = {key for key, migration in graph.nodes.items() if migration is not None and key[0] in labels}
    result["nodes"] = [pair(n) for n in sorted(real)]
    result["parents"] = {
        "%s.%s" % key: [pair(p.key) for p in sorted(graph.node_map[key].parents)] for key in sorted(real)
    }
    result["leaves"] = [pair(n) for n in graph.leaf_nodes() if n in real]
    conflicts = {}
    for app, names in loader.detect_conflicts().items():
        names = [name for name in names if (app, name) in real]
        if app in labels and len(names) > 1:
            conflicts[app] = names
    result["conflicts"] = dict(sorted(conflicts.items()))
    result["replacements"] = {
        "%s.%s" % key: [pair(r) for r in migration.replaces]
        for key, migration in sorted(getattr(loader, "replacements", {}).items())
        if key[0] in labels
    }
    if result["error"] is not None:
        return result
    result["plan"] = [pair(n) for n in full_plan(graph) if n[0] in labels]
    for key in sorted(real):
        try:
            result["states"]["%s.%s" % key] = state_at(loader, key, set(labels))
        except Exception as exc:  # an operation that cannot replay (e.g. a model that does not exist)
            result["error"] = describe_error(exc)
            result["error"]["node"] = pair(key)
            result["plan"], result["states"] = [], {}
            break
    return result


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: project_truth.py <fixture_dir>")
    fixture_dir = os.path.abspath(sys.argv[1])
    configure(fixture_dir)
    json.dump(build(fixture_dir), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

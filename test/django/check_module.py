"""Reads migration files as Python (parse and symbol tables only, nothing is executed) and prints
JSON: per file, a syntax error if any, the module-level names it binds and never uses (imports,
helper functions, constants), and the names it uses but binds nowhere (a helper or import left
behind in another file). The class `Migration` is the module's export and never counts as unused.

Usage: /usr/bin/python3 check_module.py FILE...
"""
import builtins
import json
import symtable
import sys


def walk(table):
    yield table
    for child in table.get_children():
        yield from walk(child)


def check(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        compile(source, path, "exec", dont_inherit=True)
        top = symtable.symtable(source, path, "exec")
    except SyntaxError as e:
        return {"syntax_error": "%s (line %s)" % (e.msg, e.lineno), "unused": [], "undefined": []}
    module_bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    used_globally = set()
    undefined = set()
    for table in walk(top):
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if table is top:
                if symbol.is_referenced():
                    used_globally.add(name)
                continue
            if symbol.is_referenced() and (symbol.is_global() or symbol.is_free()):
                used_globally.add(name)
    for table in walk(top):
        for symbol in table.get_symbols():
            name = symbol.get_name()
            is_module_ref = table is top or symbol.is_global()
            if symbol.is_referenced() and is_module_ref and name not in module_bound and not hasattr(builtins, name):
                undefined.add(name)
    unused = sorted(n for n in module_bound - used_globally if n != "Migration" and not n.startswith("__"))
    return {"syntax_error": None, "unused": unused, "undefined": sorted(undefined)}


if __name__ == "__main__":
    json.dump({path: check(path) for path in sys.argv[1:]}, sys.stdout, indent=1)

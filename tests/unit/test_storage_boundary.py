"""The storage boundary (issue #12): only repositories (and core/db.py) know Mongo — its imports and its filters."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "core", "rules", "scheduler")
STORAGE_MODULES = {
    "core/db.py",  # the client, the one transaction helper, the error codes
}
# Not yet moved behind a repository; shrink this list, never grow it.
KNOWN_DEBT: set[str] = set()
# Modules that still build ``{"$...": ...}`` documents or query collections themselves (measured when the
# check was added; some may be false positives of the heuristic). Fixing one means removing it here.
FILTER_DEBT: set[str] = set()
# Not Mongo at all: durable_rules' ruleset language spells its operators "$and", "$or", "$neq", "$lt", …
OTHER_DOLLAR_LANGUAGES = {"rules/engine.py"}
QUERY_DEBT: set[str] = set()
COLLECTION_CALLS = {"find", "find_one", "find_one_and_update", "update_one", "update_many", "insert_one",
                    "insert_many", "delete_one", "delete_many", "aggregate", "count_documents", "bulk_write",
                    "replace_one", "distinct"}


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found.append((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _outside(name: str) -> bool:
    return not (name.endswith("/repository.py") or name in STORAGE_MODULES or name in KNOWN_DEBT)


def _imports_driver(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if any(n.split(".")[0] in ("pymongo", "bson") for n in names):
            return True
    return False


def _mongo_operators(tree: ast.Module) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Dict)
            and any(isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.startswith("$")
                    for k in node.keys)]


def _collection_calls(tree: ast.Module) -> list[int]:
    # ``database["name"].find(...)``: a method of the driver's collection called on a subscript.
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr in COLLECTION_CALLS
            and isinstance(node.func.value, ast.Subscript)]


def test_only_storage_modules_import_the_driver() -> None:
    offenders = [name for name, tree in _modules() if _outside(name) and _imports_driver(tree)]
    assert offenders == []


def test_only_storage_modules_build_mongo_filters() -> None:
    offenders = {name: lines for name, tree in _modules()
                 if _outside(name) and name not in FILTER_DEBT | OTHER_DOLLAR_LANGUAGES
                 and (lines := _mongo_operators(tree))}
    assert offenders == {}


def test_only_storage_modules_query_collections() -> None:
    offenders = {name: lines for name, tree in _modules()
                 if _outside(name) and name not in QUERY_DEBT and (lines := _collection_calls(tree))}
    assert offenders == {}


def test_the_check_sees_a_violation() -> None:
    tree = ast.parse('import pymongo\nq = {"$in": [1]}\nx = db["t"].find_one(q)\n')
    assert _imports_driver(tree) and _mongo_operators(tree) == [2] and _collection_calls(tree) == [3]

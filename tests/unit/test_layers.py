"""Dependency direction (issue #12): core imports no outer layer, and core's packages import each other one way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTER_LAYERS = ("api", "rules", "scheduler")
# Packages of core that still import each other (directly or round a longer loop): keep it empty. The last one,
# inspections <-> policies, went when the supervision class moved down to core/policies/classes.py.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _imported(tree: ast.Module) -> set[str]:
    """Every module an import statement names, type-only imports included (they couple the packages too)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _unit(path: Path) -> str:
    """core/<name>/... or core/<name>.py -> <name>."""
    return path.relative_to(ROOT / "core").parts[0].removesuffix(".py")


def core_graph() -> dict[str, set[str]]:
    """Which of core's packages (and top-level modules) each one imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        unit = _unit(path)
        targets = graph.setdefault(unit, set())
        for name in _imported(ast.parse(path.read_text(encoding="utf-8"))):
            parts = name.split(".")
            if parts[0] == "core" and len(parts) > 1 and parts[1] != unit:
                targets.add(parts[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one member (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, set()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_core_imports_no_outer_layer() -> None:
    offenders = {path.relative_to(ROOT).as_posix(): sorted(outer)
                 for path in sorted((ROOT / "core").rglob("*.py"))
                 if (outer := {n for n in _imported(ast.parse(path.read_text(encoding="utf-8")))
                               if n.split(".")[0] in OUTER_LAYERS})}
    assert offenders == {}


def test_evidence_does_not_import_fieldwork() -> None:
    # Field work registers evidence and checks it with core.evidence.media; evidence reaches field work only
    # through the on_complete hook wired in api/assembly.py.
    graph = core_graph()
    assert "evidence" in graph["fieldwork"]
    assert "fieldwork" not in graph["evidence"]


def test_core_packages_form_no_new_cycle() -> None:
    assert cycles(core_graph()) <= KNOWN_CYCLES


def test_policies_do_not_import_inspections() -> None:
    # Plans read the policies' decisions and supervision class; policies never reach back into plans.
    graph = core_graph()
    assert "policies" in graph["inspections"]
    assert "inspections" not in graph["policies"]


def test_the_check_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}
    assert _imported(ast.parse("from core.fieldwork import ops\nimport core.evidence.media\n")) == {
        "core.fieldwork", "core.fieldwork.ops", "core.evidence.media"}

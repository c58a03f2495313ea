"""One way through a mutation: a refusal becomes userErrors only in api/graphql/payloads.py, never in a resolver."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from core import errors

ROOT = Path(__file__).resolve().parents[2]
MUTATION_MODULES = sorted(ROOT.glob("api/*/mutations/**/*.py"))
# DomainError and every error of its tree: catching a NotFound in a resolver is the same shortcut.
DOMAIN_ERRORS = frozenset(name for name, value in vars(errors).items()
                          if inspect.isclass(value) and issubclass(value, errors.DomainError))


def _names(node: ast.expr | None) -> set[str]:
    """The class names an except clause catches: ``X``, ``core.errors.X``, ``(X, Y)``."""
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return set().union(*(_names(item) for item in node.elts))
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Name):
        return {node.id}
    return set()


def domain_catches(source: str) -> list[int]:
    """Line numbers of the except clauses in ``source`` that catch a domain error."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ExceptHandler) and _names(node.type) & DOMAIN_ERRORS]


def test_the_check_finds_the_shapes_it_refuses() -> None:
    assert "DomainError" in DOMAIN_ERRORS and "NotFound" in DOMAIN_ERRORS
    caught = ("try:\n    pass\nexcept DomainError as exc:\n    pass\n"
              "try:\n    pass\nexcept (ValueError, errors.StaleVersion):\n    pass\n"
              "try:\n    pass\nexcept SourceError:\n    pass\n")
    assert domain_catches(caught) == [3, 7]


@pytest.mark.parametrize("path", MUTATION_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_mutation_module_catches_a_domain_error(path: Path) -> None:
    lines = domain_catches(path.read_text(encoding="utf-8"))
    assert not lines, (f"{path.relative_to(ROOT)}:{lines} catches a DomainError; map it to userErrors with "
                       "api.graphql.payloads.payload(call, ok=..., refused=...)")


def test_every_domain_has_its_mutation_modules_checked() -> None:
    domains = {path.relative_to(ROOT).parts[1] for path in MUTATION_MODULES}
    assert domains >= {"alerts", "events", "fieldwork", "inspections", "nonsite", "policies", "registry"}

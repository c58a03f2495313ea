"""Role sets are named once (issue #12): core/accounts/roles.py, which the permission table and the services import."""

from __future__ import annotations

import ast
from pathlib import Path

from core.accounts.models import Role
from core.accounts.roles import ADMINS, ANY_ROLE, AUTHORS, FIELD_STAFF, POLICY_READERS, SUPERVISORS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "core", "rules", "scheduler")
HOME = "core/accounts/roles.py"


def _role_sets(tree: ast.Module) -> list[int]:
    """Lines of set literals that name a ``Role`` member: ``{Role.SUPERVISOR, Role.ADMIN}``."""
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Set)
            and any(isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "Role"
                    for e in node.elts)]


def test_role_sets_are_declared_only_in_roles_module() -> None:
    offenders = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name != HOME and (lines := _role_sets(ast.parse(path.read_text(encoding="utf-8")))):
                offenders[name] = lines
    assert offenders == {}


def test_the_check_sees_a_role_set() -> None:
    assert _role_sets(ast.parse("S = frozenset({Role.SUPERVISOR, Role.ADMIN})\nL = [Role.ADMIN]\n")) == [1]


def test_the_named_sets_nest_as_their_names_say() -> None:
    assert SUPERVISORS < FIELD_STAFF < ANY_ROLE and ADMINS < SUPERVISORS and ADMINS < AUTHORS
    assert Role.RULE_AUTHOR not in FIELD_STAFF and POLICY_READERS == AUTHORS | SUPERVISORS

"""Error codes are declared once (``core.error_codes.ErrorCode``): no code is written as a string literal, and
docs/api.md's table of codes is the one generated from the enum."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from api.error_docs import BEGIN, END, error_table, with_error_table
from core.error_codes import ErrorCode

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "core", "rules", "scheduler")
DECLARATION = "core/error_codes.py"
CODES = {code.value for code in ErrorCode}
LOOKS_LIKE_A_CODE = re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*")  # NOT_FOUND, GAP; not 610403, not a message


def _modules() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _own_index(node: ast.AST) -> int | None:
    """The position of the ``code`` parameter of a function, or of a class (its ``__init__`` or its fields)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        names = _parameters(node)
        return names.index("code") if "code" in names else None
    if isinstance(node, ast.ClassDef):
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                return _own_index(item)
        fields = [item.target.id for item in node.body
                  if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)]
        return fields.index("code") if "code" in fields else None
    return None


def code_positions(trees: list[ast.Module]) -> dict[str, set[int]]:
    """Every callable (by name) that takes a ``code`` positionally, with that argument's index.

    Found from the definitions themselves, so a new error type or helper with a ``code`` parameter is
    checked without being listed; a class without its own ``__init__`` or fields takes its base's.
    """
    found: dict[str, set[int]] = {}
    bases: dict[str, list[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            index = _own_index(node)
            if index is not None and node.name != "__init__":
                found.setdefault(node.name, set()).add(index)
            elif isinstance(node, ast.ClassDef) and not any(
                    isinstance(item, ast.AnnAssign) or isinstance(item, ast.FunctionDef) and item.name == "__init__"
                    for item in node.body):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    for _ in range(5):  # inheritance chains are short
        for name, parents in bases.items():
            for parent in parents:
                found.setdefault(name, set()).update(found.get(parent, set()))
    return {name: indexes for name, indexes in found.items() if indexes}


def _strings(node: ast.AST | None) -> Iterator[ast.Constant]:
    """String literals that ``node`` evaluates to, through conditionals and collections."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _strings(value)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _strings(element)


def _is_code(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "code" or isinstance(node, ast.Attribute) and node.attr == "code"


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(
        node.func, ast.Attribute) else ""


def _in_code_position(tree: ast.Module, positions: dict[str, set[int]]) -> Iterator[ast.Constant]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "code":
                    yield from _strings(keyword.value)
            for index in positions.get(_called(node), ()):
                if index < len(node.args):
                    yield from _strings(node.args[index])
        elif isinstance(node, ast.Assign) and any(_is_code(t) for t in node.targets) or \
                isinstance(node, ast.AnnAssign) and _is_code(node.target):
            yield from _strings(node.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code":
                    yield from _strings(value)
        elif isinstance(node, ast.Compare) and any(_is_code(n) for n in [node.left, *node.comparators]):
            for operand in [node.left, *node.comparators]:
                yield from _strings(operand)


def _enum_bodies(tree: ast.Module) -> set[int]:
    """Ids of the string constants that are the values of other enums' members (``OpStatus.CONFLICT``)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id.endswith("Enum")
                                                  for b in node.bases):
            inside |= {id(n) for item in node.body if isinstance(item, ast.Assign) for n in ast.walk(item.value)}
    return inside


def _docstrings(tree: ast.Module) -> set[int]:
    return {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def literal_codes(tree: ast.Module, positions: dict[str, set[int]]) -> list[tuple[int, str]]:
    """(line, literal) of every code written as a string instead of an ``ErrorCode`` member.

    Where a code goes (a ``code=`` keyword, the ``code`` argument of a callable that has one, an assignment
    to ``code``, a ``"code"`` key, a comparison with ``.code``), a string that looks like a code is refused,
    known or not (``code=`` also names division and matter codes, hence the look); anywhere else, a bare
    string equal to a known code is refused. ``FieldError`` and ``DomainError`` take an ``ErrorCode``, so
    mypy refuses the rest.
    """
    found = {id(node): node for node in _in_code_position(tree, positions)
             if len(node.value) >= 3 and LOOKS_LIKE_A_CODE.fullmatch(node.value)}
    skip = _enum_bodies(tree) | _docstrings(tree)
    found |= {id(node): node for node in ast.walk(tree) if isinstance(node, ast.Constant)
              and node.value in CODES and id(node) not in skip}
    return [(node.lineno, ast.unparse(node)) for node in sorted(found.values(), key=lambda n: (n.lineno, n.col_offset))]


def test_no_code_is_a_string_literal() -> None:
    modules = [(name, tree) for name, tree in _modules() if name != DECLARATION]
    positions = code_positions([tree for _, tree in modules])
    offenders = {name: lines for name, tree in modules if (lines := literal_codes(tree, positions))}
    assert offenders == {}, "use core.error_codes.ErrorCode (add a member for a new code)"


def test_the_check_sees_a_violation() -> None:
    tree = ast.parse(
        "class Problem:\n"
        "    def __init__(self, message, code): ...\n"
        "class Odd(DomainError):\n"
        "    code = 'ODD_ONE'\n"
        "class Odder(Problem):\n"
        "    pass\n"
        "def f(x, flag):\n"
        "    raise Conflict('m', code='NEW_CODE')\n"
        "    FieldError('f', 'm', 'BAD_ONE' if flag else ErrorCode.NOT_FOUND)\n"
        "    Odder('m', 'FROM_PARAM')\n"
        "    return {'code': 'IN_DICT'}, x.code in ('COMPARED',), ('NOT_FOUND', 'a message')\n"
        "class Field:\n"
        "    field: str\n"
        "    message: str\n"
        "    code: str\n"
        "Field('f', 'm', ErrorCode.NOT_FOUND), Field('f', 'm', 'FIELD_CODE'), Place(code='610403', name='X')\n")
    positions = code_positions([tree, *(t for _, t in _modules())])
    assert [literal for _, literal in literal_codes(tree, positions)] == [
        "'ODD_ONE'", "'NEW_CODE'", "'BAD_ONE'", "'FROM_PARAM'", "'IN_DICT'", "'COMPARED'", "'NOT_FOUND'",
        "'FIELD_CODE'"]


def test_every_code_is_declared_once_with_a_meaning() -> None:
    assert len(ErrorCode.__members__) == len(list(ErrorCode)), "two members share a value (an alias)"
    assert [c.name for c in ErrorCode if c.value != c.name] == []
    assert [c.name for c in ErrorCode if not c.meaning.strip() or "\n" in c.meaning] == []
    assert {c for c in ErrorCode if c.retry} >= {ErrorCode.UNAVAILABLE, ErrorCode.SYNC_BUSY}


def test_docs_table_is_generated_from_the_enum() -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert doc.count(BEGIN) == 1 and doc.count(END) == 1
    assert doc == with_error_table(doc), "docs/api.md's error codes are stale: run `ecoinspect error-codes`"


def test_the_table_lists_every_code() -> None:
    table = error_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == sorted(CODES)
    assert "| `UNAVAILABLE` | the database cannot be reached; sent with Retry-After | yes |" in rows

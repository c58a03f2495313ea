"""The JSON scalar, made safe: only values that can be stored and read back get in or out."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValueNode, value_from_ast_untyped
from strawberry.types.scalar import scalar

from core.error_codes import ErrorCode
from core.jsonsafe import find_unsafe, sanitise_for_output


def _checked(value: Any) -> Any:
    problem = find_unsafe(value)
    if problem:
        raise GraphQLError(f"not storable JSON: {problem}", extensions={"code": ErrorCode.BAD_USER_INPUT})
    return value


def _parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return _checked(value_from_ast_untyped(node, variables))


SafeJSON = scalar(
    name="JSON",
    description=("A JSON value (ECMA-404). Numbers must be finite and integers within the signed 64-bit "
                 "range; strings must be valid Unicode. Anything else is refused with BAD_USER_INPUT."),
    specified_by_url="https://ecma-international.org/publications-and-standards/standards/ecma-404/",
    serialize=sanitise_for_output,
    parse_value=_checked,
    parse_literal=_parse_literal,
)

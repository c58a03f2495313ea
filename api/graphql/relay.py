"""Relay conventions: the Node interface, opaque global ids, page info, user errors."""

from __future__ import annotations

import base64

import strawberry

from core.errors import DomainError, FieldError


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


def to_global_id(type_name: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str]:
    """(type name, key), or ("", "") when the id is not one of ours."""
    try:
        type_name, key = base64.urlsafe_b64decode(global_id.encode()).decode().split(":", 1)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    return type_name, key


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A problem with the input that the caller can fix.")
class UserError:
    field: str
    message: str
    code: str

    @classmethod
    def from_domain(cls, error: FieldError) -> UserError:
        return cls(field=error.field, message=error.message, code=error.code)


def user_errors(exc: DomainError) -> list[UserError]:
    """A refused mutation's payload errors: one per field the domain error names."""
    return [UserError.from_domain(e) for e in exc.as_field_errors()]

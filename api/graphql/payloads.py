"""A mutation's payload: its service call's result, or the call's DomainError as the payload's userErrors."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

from api.graphql.relay import UserError, user_errors
from core.errors import DomainError

T = TypeVar("T")
P = TypeVar("P")


async def payload(call: Awaitable[T], *, ok: Callable[[T], P | Awaitable[P]],
                  refused: Callable[[list[UserError]], P]) -> P:
    """Await ``call``; map its result with ``ok``, or its refusal with ``refused``.

    This is the one place a mutation turns a ``DomainError`` into ``userErrors``
    (``tests/unit/test_mutation_shape.py`` refuses an ``except DomainError`` in a mutation module).
    Only ``call`` is guarded: an error raised while ``ok`` maps the result (or runs a follow-up
    call when it is async) reaches the client as a top-level error with its code.
    """
    try:
        result = await call
    except DomainError as exc:
        return refused(user_errors(exc))
    mapped = ok(result)
    if inspect.isawaitable(mapped):
        return await mapped
    return mapped

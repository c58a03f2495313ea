"""Document validation off the event loop, within a time budget, remembered per document.

graphql-core validates in pure Python and some of its rules grow with the square of the document
(``OverlappingFieldsCanBeMergedRule`` compares every pair of same-named fields): a 2,000-token
document can take seconds. Run on the event loop, that would stall every request of the process,
``/healthz`` included. Here validation runs in a worker thread (at most ``WORKERS`` at once); a
document that uses more than the budget of the worker's CPU time is refused with
``QUERY_TOO_COMPLEX``, abandoned at its next node. CPU time, not wall time, so that a busy
machine does not refuse ordinary documents; a wall-clock guard (``WALL_FACTOR`` × the budget,
at least ``WALL_MIN_S``) still bounds the wait. Outcomes are cached by document text, so a
repeated document is answered at once, whether it was valid, invalid or too complex.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from graphql import ASTValidationRule, GraphQLError, ValidationRule, ValuesOfCorrectTypeRule, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from core.error_codes import ErrorCode

WORKERS = 2
WALL_FACTOR = 20
WALL_MIN_S = 30.0
_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("validation_deadline", default=float("inf"))
_slots = threading.BoundedSemaphore(WORKERS)


class _Overtime(Exception):
    """The validation ran out of its budget."""


class Deadline(ValidationRule):
    """Stops a validation whose thread has used more CPU time than its budget, at the next node."""

    def enter(self, *_args: Any) -> None:
        if time.thread_time() > _deadline.get():
            raise _Overtime


class UserInputValues(ValuesOfCorrectTypeRule):
    """graphql-core's check of literal values, its errors coded BAD_USER_INPUT: the client sent a bad value."""

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": ErrorCode.BAD_USER_INPUT}
        super().report_error(error)


def _too_complex(budget_s: float) -> GraphQLError:
    return GraphQLError(f"the document could not be validated within {budget_s * 1000:.0f} ms; simplify it",
                        extensions={"code": ErrorCode.QUERY_TOO_COMPLEX})


class _Outcomes:
    """A small LRU of validation outcomes by document text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, list[GraphQLError]] = OrderedDict()

    def get(self, key: str) -> list[GraphQLError] | None:
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
        return found

    def put(self, key: str, errors: list[GraphQLError]) -> None:
        self.items[key] = errors
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


def budgeted_validation(
    extra_rules: Sequence[type[ASTValidationRule]], *, budget_s: float, cache_size: int = 512
) -> Callable[[], SchemaExtension]:
    """A schema extension factory: validates with graphql-core's rules plus ``extra_rules``."""
    own = tuple(UserInputValues if rule is ValuesOfCorrectTypeRule else rule for rule in specified_rules)
    rules = (*own, *extra_rules, Deadline)
    outcomes = _Outcomes(cache_size)

    wall_s = max(WALL_MIN_S, budget_s * WALL_FACTOR)

    def run(schema: Any, document: Any) -> list[GraphQLError]:
        if not _slots.acquire(timeout=wall_s):
            raise TimeoutError
        try:
            _deadline.set(time.thread_time() + budget_s)
            return validate_document(schema, document, rules)
        finally:
            _slots.release()

    class BudgetedValidation(SchemaExtension):
        async def on_validate(self) -> AsyncIterator[None]:
            context = self.execution_context
            key = context.query or ""
            errors = outcomes.get(key) if key else None
            if errors is None:
                errors, final = await self._validate(context)
                if key and final:
                    outcomes.put(key, errors)
            context.pre_execution_errors = list(errors)
            yield

        async def _validate(self, context: Any) -> tuple[list[GraphQLError], bool]:
            """The errors, and whether they hold for good (a wall-clock timeout may not recur)."""
            work = asyncio.ensure_future(asyncio.to_thread(run, context.schema._schema, context.graphql_document))
            try:
                return await asyncio.wait_for(asyncio.shield(work), timeout=wall_s), True
            except _Overtime:
                return [_too_complex(budget_s)], True
            except TimeoutError:
                work.add_done_callback(_discard)
                return [_too_complex(budget_s)], False

    return BudgetedValidation


def _discard(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so that asyncio does not log it as never retrieved

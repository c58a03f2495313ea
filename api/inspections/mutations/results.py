"""recordTaskResult and publishResults: results of random checks and their publication (一公开)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.payloads import payload
from api.graphql.relay import UserError
from api.inspections import types


@strawberry.input
class RecordTaskResultInput:
    task_id: str
    outcome: types.Outcome
    summary: str
    completed_on: date


@strawberry.type
class RecordTaskResultPayload:
    task: types.Task | None
    user_errors: list[UserError]


async def record_task_result(info: Info[Context, None], input: RecordTaskResultInput) -> RecordTaskResultPayload:
    context = info.context
    return await payload(
        context.services.results.record(context.viewer, input.task_id, outcome=input.outcome.value,
                                        summary=input.summary, completed_on=input.completed_on,
                                        request_id=context.request_id),
        ok=lambda task: RecordTaskResultPayload(task=types.Task.from_domain(task), user_errors=[]),
        refused=lambda errors: RecordTaskResultPayload(task=None, user_errors=errors))


@strawberry.input
class PublishResultsInput:
    plan_id: str


@strawberry.type
class PublishResultsPayload:
    published: int
    user_errors: list[UserError]


async def publish_results(info: Info[Context, None], input: PublishResultsInput) -> PublishResultsPayload:
    context = info.context
    return await payload(
        context.services.results.publish(context.viewer, input.plan_id, request_id=context.request_id),
        ok=lambda count: PublishResultsPayload(published=count, user_errors=[]),
        refused=lambda errors: PublishResultsPayload(published=0, user_errors=errors))

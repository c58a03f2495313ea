"""recordTaskResult and publishResults: results of random checks and their publication (一公开)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.graphql.relay import UserError
from api.inspections import types
from api.inspections.mutations.payloads import refused
from core.errors import DomainError


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


async def record_task_result(info: Info[Context, None], data: RecordTaskResultInput) -> RecordTaskResultPayload:
    context = info.context
    try:
        task = await context.services.results.record(
            context.viewer, data.task_id, outcome=data.outcome.value, summary=data.summary,
            completed_on=data.completed_on, request_id=context.request_id)
    except DomainError as exc:
        return RecordTaskResultPayload(task=None, user_errors=refused(exc))
    return RecordTaskResultPayload(task=types.Task.from_domain(task), user_errors=[])


@strawberry.input
class PublishResultsInput:
    plan_id: str


@strawberry.type
class PublishResultsPayload:
    published: int
    user_errors: list[UserError]


async def publish_results(info: Info[Context, None], data: PublishResultsInput) -> PublishResultsPayload:
    context = info.context
    try:
        count = await context.services.results.publish(context.viewer, data.plan_id, request_id=context.request_id)
    except DomainError as exc:
        return PublishResultsPayload(published=0, user_errors=refused(exc))
    return PublishResultsPayload(published=count, user_errors=[])

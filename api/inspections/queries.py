"""Plan, draw and task queries; public views of what was published."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from api.context import Context
from api.inspections import types
from core.errors import DomainError
from core.pagination import check_first


@strawberry.type
class InspectionQuery:
    @strawberry.field(description="Plans in the viewer's jurisdictions, newest first (supervisors).")
    async def plans(self, info: Info[Context, None]) -> list[types.Plan]:
        plans = await info.context.services.plans.list_plans(info.context.viewer)
        return [types.Plan.from_domain(p) for p in plans]

    @strawberry.field(description="One plan by id, if in the viewer's scope.")
    async def plan(self, info: Info[Context, None], plan_id: str) -> types.Plan | None:
        try:
            return types.Plan.from_domain(await info.context.services.plans.get(info.context.viewer, plan_id))
        except DomainError:
            return None

    @strawberry.field(description="The draw of a plan with its revealed secret and seed (supervisors).")
    async def draw(self, info: Info[Context, None], plan_id: str) -> types.Draw | None:
        try:
            found = await info.context.services.plans.draw_of(info.context.viewer, plan_id)
        except DomainError:
            return None
        return types.Draw.from_domain(found) if found else None

    @strawberry.field(description="The tasks a plan's draw created (supervisors of its jurisdiction).")
    async def plan_tasks(self, info: Info[Context, None], plan_id: str) -> list[types.Task]:
        tasks = await info.context.services.plans.tasks_of(info.context.viewer, plan_id)
        return [types.Task.from_domain(t) for t in tasks]

    @strawberry.field(description="Tasks assigned to the signed-in inspector, newest first; by status and by "
                                  "creation on or after a date.")
    async def my_tasks(self, info: Info[Context, None], first: int = 50, status: list[types.TaskStatus] | None = None,
                       since: date | None = None) -> list[types.Task]:
        check_first(first)
        tasks = await info.context.services.plans.my_tasks(
            info.context.viewer, limit=first,
            statuses=[s.value for s in status] if status else None, since=since)
        return [types.Task.from_domain(t) for t in tasks]

    @strawberry.field(description="Published plans (一公开), for anyone.")
    async def published_plans(self, info: Info[Context, None]) -> list[types.Plan]:
        return [types.Plan.from_domain(p) for p in await info.context.services.plans.published()]

    @strawberry.field(description="A published draw: every object drawn, its replacements with their originals, "
                                  "and everything needed to verify it.")
    async def published_draw(self, info: Info[Context, None], plan_id: str) -> types.PublishedDraw | None:
        found = await info.context.services.plans.published_draw(plan_id)
        return types.PublishedDraw.from_public(found) if found else None

    @strawberry.field(description="Published results of a plan's random checks, for anyone.")
    async def published_results(self, info: Info[Context, None], plan_id: str) -> list[types.PublishedResult]:
        return [types.PublishedResult.from_domain(t) for t in await info.context.services.results.published(plan_id)]

    @strawberry.field(description="Completed checks whose result is unpublished past its deadline (supervisors).")
    async def overdue_results(self, info: Info[Context, None]) -> list[types.Task]:
        tasks = await info.context.services.results.overdue(info.context.viewer)
        return [types.Task.from_domain(t) for t in tasks]

    @strawberry.field(description="Per jurisdiction: completed, published and overdue results in a year.")
    async def publication_coverage(self, info: Info[Context, None], year: int) -> list[types.PublicationCoverage]:
        rows = await info.context.services.results.coverage(info.context.viewer, year)
        return [types.PublicationCoverage(jurisdiction=r.jurisdiction, completed=r.completed, published=r.published,
                                          overdue=r.overdue, ratio=r.ratio) for r in rows]

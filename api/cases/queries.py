"""Case queries: one case, and pages of cases with filters (status, overdue, jurisdiction, party)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import strawberry
from strawberry.types import Info

from api.cases import types
from api.context import Context
from api.graphql.relay import PageInfo
from core.errors import NotFound


@strawberry.type
class CaseQuery:
    @strawberry.field(description="One case by id, if the viewer may see it (its jurisdiction and role).")
    async def case(self, info: Info[Context, None], case_id: str) -> types.Case | None:
        services = info.context.services
        try:
            found = await services.cases.get(info.context.viewer, case_id)
        except NotFound:
            return None
        return types.Case.from_domain(found, services.cases.rules)

    @strawberry.field(description="Cases in the viewer's jurisdictions in filing order; `overdue` keeps the cases "
                                  "with a deadline already passed (what is late).")
    async def cases(self, info: Info[Context, None], first: int, after: str | None = None,
                    status: types.CaseStatus | None = None, overdue: bool = False,
                    jurisdiction: str | None = None, credit_code: str | None = None) -> types.CaseConnection:
        services = info.context.services
        rows, more = await services.cases.list_cases(
            info.context.viewer, first=first, after=after, status=status.value if status else None,
            overdue=overdue, jurisdiction=jurisdiction, credit_code=credit_code)
        edges = [types.CaseEdge(cursor=cursor, node=types.Case.from_domain(case, services.cases.rules))
                 for cursor, case in rows]
        return types.CaseConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                                    end_cursor=rows[-1][0] if rows else None))

    @strawberry.field(description="Penalty decisions not published within the deadline (supervisors; 一公开).")
    async def overdue_penalty_publications(self, info: Info[Context, None]) -> list[types.OverduePublication]:
        found = await info.context.services.public_cases.overdue(info.context.viewer)
        return [types.OverduePublication(**dataclasses.asdict(item)) for item in found]

    @strawberry.field(description="What the daily deadline job flagged on a day (default today), by deadline.")
    async def case_deadline_report(self, info: Info[Context, None], day: date | None = None
                                   ) -> types.CaseDeadlineReport:
        report = await info.context.services.case_deadlines.report(info.context.viewer,
                                                                   day or datetime.now(UTC).date())
        return types.CaseDeadlineReport(day=report.day, cases=report.cases, by_deadline=[
            types.CaseDeadlineCount(deadline=name, cases=count) for name, count in sorted(report.by_deadline.items())])
